"""Background work of the plan: blocker escalation, on time and without cron.

Escalation runs as a django-tasks task on the database backend (settings.TASKS). Raising a
blocker, escalating one and changing a project's escalation path each enqueue `escalate_blockers`
to run at the moment the affected blocker next becomes due, so a worker escalates it then.

Workers run with `golive db_worker` (the django-tasks database backend's command), on one or on
any number of machines: each claims queued tasks with a row lock, so a task runs once. A task that
finds nothing due does nothing, and `blockers_escalate` locks each blocker and re-checks its level,
so a task running twice, or alongside `golive escalate`, escalates a blocker once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

from golive.projects.models import Project
from golive.work.models import Blocker, EscalationLevel
from golive.work.services import blockers_escalate


@task()
def escalate_blockers() -> list[int]:
    """Escalate every due blocker (each schedules its next step); return their ids.

    An e-mail that cannot be sent is logged (golive.work.services, with the traceback); the
    escalation stands and the other due blockers still escalate.
    """
    return [b.pk for b in blockers_escalate()]


def escalation_due(blocker: Blocker) -> datetime | None:
    """Return when `blocker` becomes due for its next level, or None (resolved or at the top)."""
    if blocker.resolved_at is not None:
        return None
    project_id = blocker.work_package.project_id
    path = {
        lvl.level: lvl.max_age_hours
        for lvl in EscalationLevel.objects.filter(
            project_id=project_id, level__in=[blocker.level, blocker.level + 1]
        )
    }
    if blocker.level + 1 not in path:
        return None
    # The same rule as blockers_escalate: the current level's age, or level 1's before any.
    hours = path.get(blocker.level, path[blocker.level + 1])
    return (blocker.escalated_at or blocker.raised_at) + timedelta(hours=hours)


def schedule_next_escalation(blocker: Blocker) -> datetime | None:
    """Enqueue `escalate_blockers` for when `blocker` is next due; return that moment.

    A blocker already due is enqueued to run at once. A backend that cannot defer tasks (the
    immediate backend of the tests) gets only the tasks that are due now: the others would run
    before their time and find nothing to do.
    """
    due = escalation_due(blocker)
    if due is None:
        return None
    backend = escalate_blockers.get_backend()
    if due <= timezone.now():
        escalate_blockers.enqueue()
    elif backend.supports_defer:
        escalate_blockers.using(run_after=due).enqueue()
    return due


def schedule_project_escalations(project: Project) -> list[datetime]:
    """Enqueue the next escalation of each open blocker of `project` (after its path changed)."""
    blockers = Blocker.objects.filter(
        work_package__project=project, resolved_at__isnull=True
    ).select_related("work_package")
    moments = sorted({due for b in blockers if (due := schedule_next_escalation(b)) is not None})
    return moments
