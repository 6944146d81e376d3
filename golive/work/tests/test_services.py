"""The plan through its services: every change reschedules; bad plans are refused."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from golive.accounts.models import User
from golive.audit.models import AuditEvent
from golive.errors import Conflict
from golive.projects.tests.factories import ProjectFactory, team_for
from golive.work.models import Blocker, Dependency, Status, WorkPackage
from golive.work.services import (
    baseline_save,
    blocker_raise,
    blocker_resolve,
    blockers_escalate,
    calendar_update,
    checkpoint_action_done,
    checkpoint_record,
    dependency_create,
    dependency_delete,
    dependency_update,
    escalation_path_set,
    work_package_create,
    work_package_delete,
    work_package_update,
)
from golive.work.tests import failing_mail

DAY = 480  # working minutes in the standard 8-hour day


@pytest.fixture
def plan(db):
    """A project on the standard calendar with design → build → go-live and a side task."""
    project = ProjectFactory(key="PLN", time_zone="Europe/Berlin")
    team = team_for(project)
    pm = project.manager
    calendar_update(actor=pm, project=project, schedule_start=date(2027, 3, 1))  # a Monday
    design = work_package_create(
        actor=pm, project=project, name="Design", owner=pm, duration=2 * DAY
    )
    build = work_package_create(actor=pm, project=project, name="Build", owner=pm, duration=3 * DAY)
    golive = work_package_create(
        actor=pm, project=project, name="Go-live", owner=pm, milestone=True
    )
    docs = work_package_create(actor=pm, project=project, name="Docs", owner=pm, duration=DAY)
    dependency_create(actor=pm, project=project, predecessor=design, successor=build)
    dependency_create(actor=pm, project=project, predecessor=build, successor=golive)
    dependency_create(actor=pm, project=project, predecessor=docs, successor=golive)
    return project, team, {wp.name: wp for wp in WorkPackage.objects.filter(project=project)}


def local(dt):
    return timezone.localtime(dt, timezone=None).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Berlin")
    )


@pytest.mark.django_db
class RescheduleTests:
    def test_critical_path_dates_and_float(self, plan):
        """Dates follow the calendar; the chain is critical and the side task has float."""
        _, _, wps = plan
        design, build, golive, docs = (wps[n] for n in ("Design", "Build", "Go-live", "Docs"))
        assert local(design.early_start).isoformat() == "2027-03-01T08:00:00+01:00"
        assert local(design.early_finish).isoformat() == "2027-03-02T17:00:00+01:00"
        assert local(build.early_start).isoformat() == "2027-03-03T08:00:00+01:00"
        assert local(golive.early_finish).isoformat() == "2027-03-05T17:00:00+01:00"
        assert design.critical and build.critical and golive.critical
        assert not docs.critical and docs.total_float == 4 * DAY

    def test_every_change_reschedules(self, plan):
        """A longer design moves build and go-live in the same write."""
        project, _, wps = plan
        work_package_update(actor=project.manager, package=wps["Design"], duration=4 * DAY)
        golive = WorkPackage.objects.get(pk=wps["Go-live"].pk)
        assert local(golive.early_finish).date() == date(2027, 3, 9)

    def test_cycle_is_refused_naming_packages_and_nothing_saved(self, plan):
        """Closing a loop names the packages and leaves the plan as it was."""
        project, _, wps = plan
        with pytest.raises(ValidationError) as exc:
            dependency_create(
                actor=project.manager,
                project=project,
                predecessor=wps["Go-live"],
                successor=wps["Design"],
            )
        assert "1 Design" in str(exc.value) and "cycle" in str(exc.value)
        assert Dependency.objects.filter(project=project).count() == 3

    def test_link_types_and_lags(self, plan):
        """An SS link with a one-day lag starts docs a day after design starts."""
        project, _, wps = plan
        link = dependency_create(
            actor=project.manager,
            project=project,
            predecessor=wps["Design"],
            successor=wps["Docs"],
            type="SS",
            lag=DAY,
        )
        docs = WorkPackage.objects.get(pk=wps["Docs"].pk)
        assert local(docs.early_start).date() == date(2027, 3, 2)
        dependency_update(actor=project.manager, link=link, type="FS", lag=-DAY)
        docs.refresh_from_db()
        assert local(docs.early_start).date() == date(2027, 3, 2)
        dependency_delete(actor=project.manager, link=link)
        docs.refresh_from_db()
        assert local(docs.early_start).date() == date(2027, 3, 1)

    def test_impossible_constraint_is_refused(self, plan):
        """A finish-no-later-than before the chain can finish names the package."""
        project, _, wps = plan
        with pytest.raises(ValidationError) as exc:
            work_package_update(
                actor=project.manager,
                package=wps["Build"],
                constraint_kind="fnlt",
                constraint_date=timezone.make_aware(timezone.datetime(2027, 3, 2, 12, 0)),
            )
        assert "Build" in str(exc.value)

    def test_holiday_moves_the_dates(self, plan):
        """A holiday on the build's first day pushes it by a day."""
        project, _, wps = plan
        calendar_update(
            actor=project.manager,
            project=project,
            exceptions=[{"date": date(2027, 3, 3), "name": "Works holiday"}],
        )
        build = WorkPackage.objects.get(pk=wps["Build"].pk)
        assert local(build.early_start).date() == date(2027, 3, 4)

    def test_summary_rolls_up_children_and_outline_numbers(self, plan):
        """Sub-packages get outline numbers and the summary spans them."""
        project, _, _ = plan
        pm = project.manager
        phase = work_package_create(actor=pm, project=project, name="Cutover", owner=pm)
        a = work_package_create(
            actor=pm, project=project, name="Freeze", owner=pm, parent=phase.pk, duration=DAY
        )
        b = work_package_create(
            actor=pm, project=project, name="Migrate", owner=pm, parent=phase.pk, duration=2 * DAY
        )
        dependency_create(actor=pm, project=project, predecessor=a, successor=b)
        phase.refresh_from_db()
        a.refresh_from_db()
        b.refresh_from_db()
        assert (phase.wbs, a.wbs, b.wbs) == ("5", "5.1", "5.2")
        assert phase.early_start == a.early_start and phase.early_finish == b.early_finish

    def test_three_point_estimate_sets_duration(self, plan):
        """The duration of a three-point estimate is its PERT mean."""
        project, _, wps = plan
        wp = work_package_update(
            actor=project.manager,
            package=wps["Docs"],
            optimistic=240,
            most_likely=480,
            pessimistic=1200,
        )
        assert wp.duration == 560
        with pytest.raises(ValidationError):
            work_package_update(actor=project.manager, package=wp, optimistic=900)

    def test_progress_is_respected(self, plan):
        """Recorded actual dates are kept: the plan moves around what already happened."""
        from zoneinfo import ZoneInfo

        project, _, wps = plan
        berlin = ZoneInfo("Europe/Berlin")
        started = timezone.datetime(2027, 3, 1, 10, 0, tzinfo=berlin)
        finished = timezone.datetime(2027, 3, 3, 12, 0, tzinfo=berlin)
        design = work_package_update(
            actor=project.manager,
            package=wps["Design"],
            actual_start=started,
            actual_finish=finished,
        )
        assert design.status == Status.DONE and design.percent_complete == 100
        assert local(design.early_start) == started and local(design.early_finish) == finished
        build = WorkPackage.objects.get(pk=wps["Build"].pk)
        assert local(build.early_start) == finished.replace(hour=13)  # after the lunch break


@pytest.mark.django_db
class StatusTests:
    def test_status_can_go_back(self, plan):
        """Done → in progress reopens the work; back to not started clears the actuals."""
        project, _, wps = plan
        pm = project.manager
        wp = work_package_update(actor=pm, package=wps["Docs"], status=Status.DONE)
        assert (wp.percent_complete, wp.remaining) == (100, 0) and wp.actual_finish
        wp = work_package_update(actor=pm, package=wp, status=Status.IN_PROGRESS)
        assert wp.actual_finish is None and wp.percent_complete == 0 and wp.remaining is None
        wp = work_package_update(actor=pm, package=wp, status=Status.NOT_STARTED)
        assert wp.actual_start is None and wp.status == Status.NOT_STARTED

    def test_summary_status_and_percent_roll_up(self, plan):
        """A summary is in progress once a leaf started, with duration-weighted % complete."""
        project, _, _ = plan
        pm = project.manager
        phase = work_package_create(actor=pm, project=project, name="Cutover", owner=pm)
        a = work_package_create(
            actor=pm, project=project, name="Freeze", owner=pm, parent=phase.pk, duration=DAY
        )
        work_package_create(
            actor=pm, project=project, name="Migrate", owner=pm, parent=phase.pk, duration=3 * DAY
        )
        work_package_update(actor=pm, package=a, status=Status.DONE)
        phase.refresh_from_db()
        assert (phase.status, phase.percent_complete) == (Status.IN_PROGRESS, 25)

    def test_plan_of_a_project_without_calendar_computes(self, db):
        """A project whose plan was never touched schedules on the standard calendar."""
        from golive.work.planning import plan_compute

        project = ProjectFactory(key="NOCAL")
        assert plan_compute(project).finish() is None


@pytest.mark.django_db
class PackageRulesTests:
    def test_owner_must_be_member(self, plan):
        """The accountable owner is a project member."""
        from golive.projects.tests.factories import UserFactory

        project, _, _ = plan
        UserFactory(username="contractor")
        with pytest.raises(ValidationError) as exc:
            work_package_create(
                actor=project.manager, project=project, name="X", owner="contractor"
            )
        assert "owner" in exc.value.message_dict

    def test_roles(self, plan):
        """Viewers read only; contributors plan; deleting is for managers."""
        project, team, wps = plan
        with pytest.raises(PermissionDenied):
            work_package_create(
                actor=team["viewer"], project=project, name="X", owner=project.manager
            )
        work_package_update(actor=team["contributor"], package=wps["Docs"], name="User docs")
        with pytest.raises(PermissionDenied):
            work_package_delete(actor=team["contributor"], package=wps["Docs"])
        work_package_delete(actor=project.manager, package=wps["Docs"])
        assert not WorkPackage.objects.filter(pk=wps["Docs"].pk).exists()

    def test_stale_version(self, plan):
        """An edit against an outdated copy is refused."""
        project, _, wps = plan
        wp = wps["Docs"]
        work_package_update(actor=project.manager, package=wp, version=wp.version, name="A")
        with pytest.raises(Conflict):
            work_package_update(actor=project.manager, package=wp, version=wp.version, name="B")

    def test_package_cannot_move_under_itself(self, plan):
        """A parent loop is refused."""
        project, _, wps = plan
        child = work_package_create(
            actor=project.manager,
            project=project,
            name="Sub",
            owner=project.manager,
            parent=wps["Docs"].pk,
            duration=DAY,
        )
        with pytest.raises(ValidationError, match="under itself"):
            work_package_update(actor=project.manager, package=wps["Docs"], parent=child.pk)

    def test_writes_are_audited(self, plan):
        """Creating packages and links leaves audit events."""
        project, _, _ = plan
        actions = set(AuditEvent.objects.filter(project=project).values_list("action", flat=True))
        assert {"work_package.create", "dependency.create", "calendar.update"} <= actions


@pytest.mark.django_db
class BaselineCheckpointTests:
    def test_baseline_keeps_dates(self, plan):
        """A baseline stores each package's dates as they were."""
        project, _, wps = plan
        baseline = baseline_save(actor=project.manager, project=project, name="Approved plan")
        work_package_update(actor=project.manager, package=wps["Design"], duration=5 * DAY)
        entry = baseline.entries.get(work_package=wps["Build"])
        assert local(entry.start).date() == date(2027, 3, 3)
        assert local(baseline.finish).date() == date(2027, 3, 5)
        with pytest.raises(ValidationError):
            baseline_save(actor=project.manager, project=project, name="Approved plan")

    def test_checkpoint_with_actions(self, plan):
        """A checkpoint records attendees, decisions and owned actions."""
        project, team, _ = plan
        checkpoint = checkpoint_record(
            actor=team["contributor"],
            project=project,
            held_on=date(2027, 3, 2),
            title="Weekly review",
            attendees=[project.manager, team["approver"]],
            decisions="Go ahead with build.",
            actions=[
                {
                    "description": "Book the vendor",
                    "owner": team["approver"].username,
                    "due_date": date(2027, 3, 4),
                }
            ],
        )
        action = checkpoint.actions.get()
        checkpoint_action_done(actor=team["contributor"], action=action)
        action.refresh_from_db()
        assert action.done_at is not None and checkpoint.attendees.count() == 2
        with pytest.raises(ValidationError) as exc:
            checkpoint_record(
                actor=project.manager,
                project=project,
                held_on=date(2027, 3, 2),
                title="Bad",
                actions=[{"description": "x", "owner": "ghost", "due_date": date(2027, 3, 4)}],
            )
        assert "actions.0.owner" in exc.value.message_dict


@pytest.mark.django_db
class BlockerEscalationTests:
    def test_blocker_escalates_after_max_age_and_mails_owner(
        self, plan, django_capture_on_commit_callbacks
    ):
        """An open blocker older than level 1's age goes to level 1 and its owner is e-mailed."""
        project, team, wps = plan
        escalation_path_set(
            actor=project.manager,
            project=project,
            levels=[
                {"owner": team["approver"].username, "max_age_hours": 4},
                {"owner": project.manager.username, "max_age_hours": 24},
            ],
        )
        blocker = blocker_raise(
            actor=team["contributor"], package=wps["Build"], reason="No test environment"
        )
        assert blockers_escalate(now=blocker.raised_at + timedelta(hours=3)) == []
        with django_capture_on_commit_callbacks(execute=True):
            escalated = blockers_escalate(now=blocker.raised_at + timedelta(hours=5))
        assert [b.level for b in escalated] == [1]
        assert mail.outbox[-1].to == [team["approver"].email]
        assert "No test environment" in mail.outbox[-1].body
        assert blockers_escalate(now=blocker.raised_at + timedelta(hours=6)) == []
        later = blockers_escalate(now=blocker.raised_at + timedelta(hours=10))
        assert [b.level for b in later] == [2]
        assert blockers_escalate(now=blocker.raised_at + timedelta(days=30)) == []

    def test_failed_mail_is_logged_and_the_others_still_escalate(
        self, plan, settings, caplog, django_capture_on_commit_callbacks
    ):
        """A mail the backend refuses is logged and reported; the next blocker still escalates."""
        settings.EMAIL_BACKEND = failing_mail.PATH
        project, team, wps = plan
        approver = team["approver"]
        User.objects.filter(pk=approver.pk).update(email=f"approver{failing_mail.BROKEN}")
        escalation_path_set(
            actor=project.manager,
            project=project,
            levels=[{"owner": approver.username, "max_age_hours": 4}],
        )
        first = blocker_raise(actor=team["contributor"], package=wps["Build"], reason="No VPN")
        second = blocker_raise(actor=team["contributor"], package=wps["Docs"], reason="No specs")
        mail.outbox.clear()
        failures = []
        with django_capture_on_commit_callbacks(execute=True):
            escalated = blockers_escalate(
                now=first.raised_at + timedelta(hours=5), on_mail_failure=failures.append
            )
        assert [b.pk for b in escalated] == [first.pk, second.pk]
        assert [f.blocker.pk for f in failures] == [first.pk, second.pk]
        assert all(f.owner.pk == approver.pk for f in failures)
        assert set(Blocker.objects.values_list("level", flat=True)) == {1}
        assert mail.outbox == []
        logged = [r for r in caplog.records if "e-mail to" in r.getMessage()]
        assert len(logged) == 2 and logged[0].exc_info is not None

    def test_resolved_blocker_does_not_escalate(self, plan):
        """Resolving stops escalation; resolving twice is a conflict."""
        project, team, wps = plan
        escalation_path_set(
            actor=project.manager,
            project=project,
            levels=[{"owner": team["approver"].username, "max_age_hours": 1}],
        )
        blocker = blocker_raise(actor=team["contributor"], package=wps["Build"], reason="Waiting")
        blocker_resolve(actor=team["contributor"], blocker=blocker, resolution="Env ready")
        assert blockers_escalate(now=timezone.now() + timedelta(days=2)) == []
        with pytest.raises(Conflict):
            blocker_resolve(actor=team["contributor"], blocker=blocker, resolution="again")
        assert Blocker.objects.get().level == 0

    def test_bad_escalation_path_is_refused(self, plan):
        """Levels need a member owner and a positive age."""
        project, _, _ = plan
        with pytest.raises(ValidationError) as exc:
            escalation_path_set(
                actor=project.manager,
                project=project,
                levels=[{"owner": "ghost", "max_age_hours": 4}],
            )
        assert "levels.0.owner" in exc.value.message_dict
        with pytest.raises(ValidationError):
            escalation_path_set(
                actor=project.manager,
                project=project,
                levels=[{"owner": project.manager.username, "max_age_hours": 0}],
            )
