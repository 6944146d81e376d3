"""Reads of communications and their log, with the access check and when each goes out."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from golive.errors import NotFound
from golive.projects.models import Project
from golive.rollout.access import rollout_check
from golive.rollout.models import Communication, CommunicationLog
from golive.rollout.services.communications import communication_scheduled_at, live_run_t0


def communication_list(*, user: Any, project: Project) -> QuerySet[Communication]:
    """Return a project's communications by name, with their wave and runbook."""
    rollout_check(user=user, project=project, action="view")
    return Communication.objects.filter(project=project).select_related(
        "project", "wave", "runbook__wave"
    )


def communication_schedule(*, user: Any, project: Project) -> list[Communication]:
    """Return the communications with `scheduled_at` set on each, soonest first (unknown last)."""
    items = list(communication_list(user=user, project=project))
    live_t0 = live_run_t0({item.runbook_id for item in items if item.runbook_id is not None})
    for item in items:
        item.scheduled_at = communication_scheduled_at(item, live_t0=live_t0)  # type: ignore[attr-defined]
    return sorted(
        items,
        key=lambda c: (c.scheduled_at is None, c.scheduled_at or c.created_at, c.name),  # type: ignore[attr-defined]
    )


def communication_get(*, user: Any, project: Project, name: str) -> Communication:
    """Return communication `name` of `project` with its `scheduled_at`, or NotFound."""
    communication = (
        communication_list(user=user, project=project).filter(name=str(name).strip()).first()
    )
    if communication is None:
        raise NotFound(f"{project.key} has no communication {name!r}.")
    communication.scheduled_at = communication_scheduled_at(communication)  # type: ignore[attr-defined]
    return communication


def communication_log_list(
    *, user: Any, communication: Communication
) -> QuerySet[CommunicationLog]:
    """Return what was sent for `communication`, newest first."""
    rollout_check(user=user, project=communication.project, action="view")
    return CommunicationLog.objects.filter(communication=communication).select_related("sent_by")
