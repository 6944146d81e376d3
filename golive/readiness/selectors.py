"""Reads on the readiness checklist, with the access check."""

from typing import Any

from django.db.models import QuerySet

from golive.errors import NotFound
from golive.projects.models import Project
from golive.readiness.access import readiness_item_check
from golive.readiness.models import ReadinessItem


def readiness_item_list(*, user: Any, project: Project) -> QuerySet[ReadinessItem]:
    """Return a project's checklist in order."""
    readiness_item_check(user=user, project=project, action="view")
    return ReadinessItem.objects.filter(project=project).select_related(
        "owner", "approved_by", "project"
    )


def readiness_item_get(*, user: Any, project: Project, item_id: int) -> ReadinessItem:
    """Return one item of `project`'s checklist."""
    item = readiness_item_list(user=user, project=project).filter(pk=item_id).first()
    if item is None:
        raise NotFound(f"{project.key} has no readiness item {item_id}.")
    return item
