"""Reads of defects, with the access check."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from golive.errors import NotFound
from golive.projects.models import Project
from golive.quality.access import quality_check
from golive.quality.models import Defect, DefectStatus
from golive.quality.services.defects import severity_parse

DEFECT_REF = re.compile(r"^(?:DEF-)?(\d+)$", re.IGNORECASE)


def defect_list(
    *,
    user: Any,
    project: Project,
    status: str | None = None,
    severity: str | int | None = None,
    open: bool | None = None,
    blocking: bool | None = None,
) -> QuerySet[Defect]:
    """Return a project's defects, newest first, filtered by status, minimum severity, open, blocking.

    `severity` keeps defects at or above it; `blocking` keeps those that block go-live while open
    (True) or the others (False).
    """
    quality_check(user=user, project=project, action="view")
    defects = Defect.objects.filter(project=project).select_related(
        "project", "reporter", "assignee", "found_in__case", "found_in__run"
    )
    if status:
        statuses = [s.strip() for s in str(status).split(",") if s.strip()]
        unknown = [s for s in statuses if s not in DefectStatus.values]
        if unknown:
            raise ValidationError(
                {
                    "status": (
                        f"{', '.join(unknown)} is not a defect status; use one of "
                        f"{', '.join(DefectStatus.values)}."
                    )
                }
            )
        defects = defects.filter(status__in=statuses)
    if severity is not None and severity != "":
        defects = defects.filter(severity__gte=severity_parse(severity))
    if open is not None:
        defects = (
            defects.exclude(status=DefectStatus.CLOSED)
            if open
            else defects.filter(status=DefectStatus.CLOSED)
        )
    if blocking is not None:
        is_blocking = defects.filter(blocks_go_live=True).exclude(status=DefectStatus.CLOSED)
        defects = is_blocking if blocking else defects.exclude(pk__in=is_blocking.values("pk"))
    return defects.order_by("-number")


def defect_get(*, user: Any, project: Project, number: int | str) -> Defect:
    """Return defect DEF-`number` of `project` (accepts 7 or "DEF-7"), its links prefetched."""
    match = DEFECT_REF.match(str(number).strip())
    defect = None
    if match:
        defect = (
            defect_list(user=user, project=project)
            .prefetch_related("cases", "requirements", "work_packages")
            .select_related("retest_result__run", "retest_result__case")
            .filter(number=int(match.group(1)))
            .first()
        )
    if defect is None:
        raise NotFound(f"{project.key} has no defect {number}.")
    return defect
