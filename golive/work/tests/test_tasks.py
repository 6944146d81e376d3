"""Background escalation: the django-tasks task and its scheduling."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from golive.audit.models import AuditEvent
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.work.models import Blocker
from golive.work.services import (
    blocker_raise,
    blocker_resolve,
    escalation_path_set,
    work_package_create,
)
from golive.work.tasks import escalate_blockers, escalation_due, schedule_next_escalation

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def world():
    project = ProjectFactory(key="ESC", manager=UserFactory(username="pm"))
    team = team_for(project)
    escalation_path_set(
        actor=project.manager,
        project=project,
        levels=[
            {"owner": team["approver"], "max_age_hours": 4},
            {"owner": project.manager, "max_age_hours": 24},
        ],
    )
    wp = work_package_create(
        actor=project.manager, project=project, name="Cut-over", owner=project.manager, duration=60
    )
    blocker = blocker_raise(actor=team["contributor"], package=wp, reason="Firewall closed")
    return {"project": project, "team": team, "wp": wp, "blocker": blocker}


def _age(blocker, hours):
    Blocker.objects.filter(pk=blocker.pk).update(raised_at=timezone.now() - timedelta(hours=hours))
    blocker.refresh_from_db()


@pytest.mark.django_db
class EscalateTaskTests:
    def test_overdue_blocker_escalates_and_mails_the_owner(
        self, world, settings, django_capture_on_commit_callbacks
    ):
        """Older than level 1's age: level 1, an e-mail to its owner, an audit event; once."""
        settings.TASKS = IMMEDIATE
        blocker = world["blocker"]
        _age(blocker, 5)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = escalate_blockers.enqueue()
        assert result.return_value == [blocker.pk]
        blocker.refresh_from_db()
        assert blocker.level == 1 and blocker.escalated_at is not None
        assert [m.to for m in mail.outbox] == [[world["team"]["approver"].email]]
        assert "Cut-over" in mail.outbox[0].subject and "level 1" in mail.outbox[0].subject
        events = AuditEvent.objects.filter(action="blocker.escalate")
        assert events.count() == 1
        with django_capture_on_commit_callbacks(execute=True):
            again = escalate_blockers.enqueue()
        assert again.return_value == []
        assert len(mail.outbox) == 1
        assert AuditEvent.objects.filter(action="blocker.escalate").count() == 1

    def test_young_blocker_stays(self, world, settings):
        """A blocker younger than level 1's age is not escalated."""
        settings.TASKS = IMMEDIATE
        _age(world["blocker"], 3)
        assert escalate_blockers.enqueue().return_value == []
        assert Blocker.objects.get(pk=world["blocker"].pk).level == 0

    def test_second_level_after_its_own_age(self, world, settings):
        """At level 1 the blocker moves on only after level 1's age since it escalated."""
        settings.TASKS = IMMEDIATE
        blocker = world["blocker"]
        _age(blocker, 5)
        escalate_blockers.enqueue()
        blocker.refresh_from_db()
        assert escalation_due(blocker) == blocker.escalated_at + timedelta(hours=4)
        Blocker.objects.filter(pk=blocker.pk).update(
            escalated_at=timezone.now() - timedelta(hours=5)
        )
        assert escalate_blockers.enqueue().return_value == [blocker.pk]
        blocker.refresh_from_db()
        assert blocker.level == 2
        assert escalation_due(blocker) is None


@pytest.mark.django_db
class ScheduleNextEscalationTests:
    def test_database_backend_defers_to_the_due_moment(self, world, settings):
        """On the database backend the task is queued to run when the blocker becomes due."""
        settings.TASKS = DATABASE
        blocker = world["blocker"]
        due = schedule_next_escalation(blocker)
        assert due == blocker.raised_at + timedelta(hours=4)
        queued = DBTaskResult.objects.get()
        assert queued.run_after == due
        assert queued.task_path == "golive.work.tasks.escalate_blockers"

    def test_due_blocker_runs_now_on_the_immediate_backend(
        self, world, settings, django_capture_on_commit_callbacks
    ):
        """An overdue blocker's task runs at once and escalates it."""
        settings.TASKS = IMMEDIATE
        blocker = world["blocker"]
        _age(blocker, 6)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            schedule_next_escalation(blocker)
        assert Blocker.objects.get(pk=blocker.pk).level == 1
        assert len(mail.outbox) == 1

    def test_not_due_is_not_run_early_without_defer(self, world, settings):
        """The immediate backend cannot defer: a blocker not yet due is left for later."""
        settings.TASKS = IMMEDIATE
        blocker = world["blocker"]
        assert schedule_next_escalation(blocker) == blocker.raised_at + timedelta(hours=4)
        assert Blocker.objects.get(pk=blocker.pk).level == 0

    def test_resolved_or_pathless_blockers_are_not_scheduled(self, world, settings):
        """A resolved blocker, or one in a project without a path, has no next escalation."""
        settings.TASKS = DATABASE
        blocker = blocker_resolve(
            actor=world["project"].manager, blocker=world["blocker"], resolution="Opened"
        )
        assert schedule_next_escalation(blocker) is None
        other = ProjectFactory(key="NOPATH", manager=world["project"].manager)
        wp = work_package_create(
            actor=other.manager, project=other, name="X", owner=other.manager, duration=60
        )
        lone = blocker_raise(actor=other.manager, package=wp, reason="Waiting")
        assert schedule_next_escalation(lone) is None
        assert not DBTaskResult.objects.exists()

    def test_raising_through_the_api_queues_the_escalation(
        self, world, settings, django_capture_on_commit_callbacks
    ):
        """POST …/blockers queues the escalation task (on commit) for the blocker's due moment."""
        from golive.config.tests.support import ApiClient

        settings.TASKS = DATABASE
        api = ApiClient(world["project"].manager)
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                f"/projects/ESC/work-packages/{world['wp'].pk}/blockers", {"reason": "Licence"}
            )
        assert response.status_code == 201, response.content
        raised = Blocker.objects.get(pk=response.json()["id"])
        assert DBTaskResult.objects.get().run_after == raised.raised_at + timedelta(hours=4)
