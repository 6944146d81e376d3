"""Reads on migration checks and their results, with the access check.

The stored URLs (`source_secret`, `target_secret`) are never loaded here: the checks come back
with those fields deferred, and callers show `source_display` / `target_display` instead.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from golive.errors import NotFound
from golive.projects.models import Project
from golive.rollout.access import rollout_check
from golive.rollout.models import MigrationCheck, MigrationExtract, MigrationResult

SECRET_FIELDS = ("source_secret", "target_secret")


def _checks(project: Project) -> QuerySet[MigrationCheck]:
    latest = MigrationResult.objects.filter(check_obj=OuterRef("pk")).order_by("-started_at", "-id")
    return (
        MigrationCheck.objects.filter(project=project)
        .defer(*SECRET_FIELDS)
        .annotate(latest_result_id=Subquery(latest.values("pk")[:1]))
        .prefetch_related(
            Prefetch(
                "extracts",
                queryset=MigrationExtract.objects.select_related("uploaded_by").order_by(
                    "side", "table"
                ),
            )
        )
    )


def _attach_latest(project: Project, checks: list[MigrationCheck]) -> list[MigrationCheck]:
    ids = [c.latest_result_id for c in checks if c.latest_result_id]  # type: ignore[attr-defined]
    results = MigrationResult.objects.select_related("run_by").defer("report").in_bulk(ids)
    for check in checks:
        check.project = project
        check.latest_result = results.get(check.latest_result_id)  # type: ignore[attr-defined]
    return checks


def migration_check_list(
    *, user: Any, project: Project, check_set: str | None = None
) -> list[MigrationCheck]:
    """Return the project's checks (of one set when given), each with `latest_result` or None.

    Three queries whatever the number of checks: the checks, their extracts, the latest results
    (whose `report` is deferred).
    """
    rollout_check(user=user, project=project, action="view")
    checks = _checks(project)
    if check_set is not None:
        checks = checks.filter(check_set=check_set)
    return _attach_latest(project, list(checks))


def migration_check_get(*, user: Any, project: Project, name: str) -> MigrationCheck:
    """Return the check called `name`, with `latest_result`; NotFound when there is none."""
    rollout_check(user=user, project=project, action="view")
    check = _checks(project).filter(name=str(name).strip()).first()
    if check is None:
        raise NotFound(f"{project.key} has no migration check {name!r}.")
    return _attach_latest(project, [check])[0]


def migration_result_list(*, user: Any, check: MigrationCheck) -> QuerySet[MigrationResult]:
    """Return a check's results, newest first (`report` deferred: fetch one for the detail)."""
    rollout_check(user=user, project=check.project, action="view")
    return (
        MigrationResult.objects.filter(check_obj_id=check.pk)
        .select_related("run_by", "run_step")
        .defer("report")
    )


def migration_result_get(*, user: Any, check: MigrationCheck, result_id: int) -> MigrationResult:
    """Return one result of `check` with its full report; NotFound for another check's."""
    rollout_check(user=user, project=check.project, action="view")
    result = (
        MigrationResult.objects.filter(check_obj_id=check.pk, pk=result_id)
        .select_related("run_by", "run_step")
        .first()
    )
    if result is None:
        raise NotFound(f"The migration check {check.name} has no result {result_id}.")
    return result
