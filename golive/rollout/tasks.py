"""Background work of the rollout: communications go out at their scheduled time, without cron.

Like blocker escalation (golive/work/tasks.py), this runs as a django-tasks task on the database
backend. Planning or changing a communication (or moving the wave it is timed from) enqueues
`send_due_communications` to run when it becomes due; workers (`golive db_worker`) run it then.
The task sends only what is due and still planned, locking each communication first, so a task
running twice, or alongside `golive communications send-due`, sends a message once.

A cutover-anchored message gets its time when the live run is planned; `golive communications
send-due` (or any later enqueue) sends it once that time has passed.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django_tasks import task

from golive.rollout.models import Communication
from golive.rollout.services.communications import (
    communication_scheduled_at,
    communications_send_due,
)


@task()
def send_due_communications() -> list[int]:
    """Send every planned communication that is due; return the ids of the log entries."""
    return [log.pk for log in communications_send_due()]


def schedule_communication(communication_id: int) -> datetime | None:
    """Enqueue `send_due_communications` for when the communication is due; return that moment.

    A communication already due is enqueued to run at once. A backend that cannot defer tasks
    gets only what is due now: the others would run before their time and find nothing to do.
    """
    communication = (
        Communication.objects.filter(pk=communication_id, status=Communication.Status.PLANNED)
        .select_related("wave", "runbook")
        .first()
    )
    if communication is None:
        return None
    due = communication_scheduled_at(communication)
    if due is None:
        return None
    if due <= timezone.now():
        send_due_communications.enqueue()
    elif send_due_communications.get_backend().supports_defer:
        send_due_communications.using(run_after=due).enqueue()
    return due


def schedule_wave_communications(wave_id: int) -> list[datetime]:
    """Enqueue the sending of each planned communication timed from wave `wave_id`."""
    ids = Communication.objects.filter(
        wave_id=wave_id, status=Communication.Status.PLANNED
    ).values_list("pk", flat=True)
    return sorted({due for pk in ids if (due := schedule_communication(pk)) is not None})


def schedule_runbook_communications(runbook_id: int) -> list[datetime]:
    """Enqueue the sending of each planned communication timed from runbook `runbook_id`'s cutover.

    For the run services to call (on commit) when a live run of the runbook is planned.
    """
    ids = Communication.objects.filter(
        runbook_id=runbook_id, anchor="cutover", status=Communication.Status.PLANNED
    ).values_list("pk", flat=True)
    return sorted({due for pk in ids if (due := schedule_communication(pk)) is not None})
