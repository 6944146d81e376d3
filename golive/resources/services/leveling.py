"""Leveling runs: preview a leveled plan, apply it as holds, undo it, or discard it.

Applying and undoing reschedule the project in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from golive.audit.services import audit_record
from golive.errors import Conflict
from golive.projects.models import Project
from golive.resources.access import resource_check
from golive.resources.models import (
    Assignment,
    LevelingHold,
    LevelingRun,
    LevelingStatus,
    ProcurementItem,
    Resource,
    TimeOff,
)
from golive.resources.planning import LevelingInput, leveling_input
from golive.scheduling.errors import SchedulingError
from golive.scheduling.leveling import LevelingError, LevelingResult, level
from golive.work.models import Dependency, ProjectCalendar, WorkPackage
from golive.work.services import work_reschedule


def plan_fingerprint(project: Project) -> str:
    """Return a hash of everything leveling reads: packages, links, calendar, resources,
    assignments, time off, procurement and the holds in force. Any edit changes it."""
    parts: list[Any] = [
        list(
            WorkPackage.objects.filter(project=project).order_by("id").values_list("id", "version")
        ),
        list(
            Dependency.objects.filter(project=project).order_by("id").values_list("id", "version")
        ),
        list(ProjectCalendar.objects.filter(project=project).values_list("id", "version")),
        list(Resource.objects.filter(project=project).order_by("id").values_list("id", "version")),
        list(
            Assignment.objects.filter(work_package__project=project)
            .order_by("id")
            .values_list("id", "version")
        ),
        list(
            TimeOff.objects.filter(resource__project=project)
            .order_by("id")
            .values_list("id", "resource_id", "start", "end")
        ),
        list(
            ProcurementItem.objects.filter(project=project)
            .order_by("id")
            .values_list("id", "version")
        ),
        list(
            LevelingHold.objects.filter(run__project=project)
            .order_by("work_package_id")
            .values_list("work_package_id", "run_id", "start")
        ),
    ]
    payload = json.dumps(parts, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _solve(problem: LevelingInput, time_limit: float) -> LevelingResult:
    """Run the solver; a plan it cannot level is refused saying why, in the plan's names."""
    try:
        return level(
            problem.network,
            problem.resources,
            problem.demands,
            time_limit=time_limit,
            workers=2,
            time_unit=problem.time_unit,
            seed=0,
            status_date=problem.status_date,
        )
    except LevelingError as exc:
        raise ValidationError({"leveling": problem.name(str(exc))}) from None
    except SchedulingError as exc:
        raise ValidationError({"schedule": problem.name(str(exc))}) from None


def leveling_preview(*, actor: Any, project: Project, time_limit: float = 10.0) -> LevelingRun:
    """Level the project's resources and store the proposal (nothing in the plan changes).

    The run's result lists each package that moves (old and new start and finish, the shift in
    working minutes), the finish before and after, overloaded resource-days before and after,
    whether the solver proved the finish optimal, its lower bound and status.
    """
    from golive.resources.selectors import overload_count

    if not isinstance(time_limit, int | float) or not 0 <= time_limit <= 600:
        raise ValidationError({"time_limit": f"Seconds from 0 to 600; got {time_limit!r}."})
    with transaction.atomic():
        resource_check(user=actor, project=project, action="level")
        fingerprint = plan_fingerprint(project)
        problem = leveling_input(project)
        result = _solve(problem, float(time_limit))
        cal = problem.plan.calendar
        packages = problem.plan.packages
        summaries = {wp.parent_id for wp in packages.values() if wp.parent_id}
        # The plan as it stands (with the holds in force) is what the moves are measured from.
        current = {
            wp.pk: (
                cal.offset_of(wp.early_start) if wp.early_start else 0,
                cal.offset_of(wp.early_finish) if wp.early_finish else 0,
            )
            for wp in packages.values()
        }
        base = problem.plan.schedule.tasks
        moves: list[dict[str, Any]] = []
        holds: dict[str, str] = {}
        for pk, wp in packages.items():
            start, finish = result.starts[f"P{pk}"], result.finishes[f"P{pk}"]
            if pk not in summaries and not wp.actual_start and start > base[str(pk)].early_start:
                holds[str(pk)] = cal.instant_at(start).isoformat()
            old_start, old_finish = current[pk]
            if pk in summaries or (start, finish) == (old_start, old_finish):
                continue
            moves.append(
                {
                    "package": pk,
                    "wbs": wp.wbs,
                    "name": wp.name,
                    "old_start": _iso(cal.instant_at(old_start)),
                    "old_finish": _iso(cal.instant_at(old_finish, end=old_finish > old_start)),
                    "new_start": _iso(cal.instant_at(start)),
                    "new_finish": _iso(cal.instant_at(finish, end=finish > start)),
                    "shift": start - old_start,
                }
            )
        moves.sort(key=lambda m: (-abs(m["shift"]), m["wbs"]))
        spans = {pk: current[pk] for pk in packages if pk not in summaries}
        leveled = {
            pk: (result.starts[f"P{pk}"], result.finishes[f"P{pk}"])
            for pk in packages
            if pk not in summaries
        }
        before_finish = max((f for _, f in spans.values()), default=0)
        run = LevelingRun(
            project=project,
            status=LevelingStatus.PREVIEW,
            time_limit=float(time_limit),
            created_by=actor if getattr(actor, "pk", None) else _system_user(project),
            created_at=timezone.now(),
            holds=holds,
            result={
                "fingerprint": fingerprint,
                "status": result.status,
                "optimal": result.optimal,
                "lower_bound": result.lower_bound,
                "lower_bound_date": _iso(cal.instant_at(result.lower_bound, end=True)),
                "makespan": result.makespan,
                "priority_rule_makespan": result.priority_rule_makespan,
                "solve_seconds": round(result.solve_seconds, 3),
                "time_unit": problem.time_unit,
                "finish_before": _iso(cal.instant_at(before_finish, end=True))
                if packages
                else None,
                "finish_after": _iso(cal.instant_at(result.makespan, end=True))
                if packages
                else None,
                "finish_shift": result.makespan - before_finish,
                "overloads_before": overload_count(project, spans, cal),
                "overloads_after": overload_count(project, leveled, cal),
                "moves": moves,
            },
        )
        run.full_clean()
        run.save()
        audit_record(
            actor=actor,
            action="leveling.preview",
            obj=run,
            project=project,
            changes={
                "moves": [None, len(moves)],
                "finish": [run.result["finish_before"], run.result["finish_after"]],
                "status": [None, result.status],
            },
        )
    return run


def _system_user(project: Project) -> Any:
    """Return who a leveling run by the shell operator is recorded as: the project's manager."""
    from golive.projects.models import Membership, Role

    membership = (
        Membership.objects.filter(project=project, role=Role.MANAGER)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if membership is None:
        raise ValidationError({"user": "Name the user this leveling is made as (--user)."})
    return membership.user


def _run_locked(run: LevelingRun) -> LevelingRun:
    return LevelingRun.objects.select_for_update().select_related("project").get(pk=run.pk)


def _holds_now(project: Project) -> dict[str, list[Any]]:
    return {
        str(pk): [run_id, start.isoformat()]
        for pk, run_id, start in LevelingHold.objects.filter(run__project=project)
        .order_by("work_package_id")
        .values_list("work_package_id", "run_id", "start")
    }


def _holds_write(project: Project, holds: dict[str, list[Any]]) -> None:
    """Replace the project's holds by `holds` ({package id: [run id, start]})."""
    LevelingHold.objects.filter(run__project=project).delete()
    existing = set(
        WorkPackage.objects.filter(project=project, pk__in=[int(pk) for pk in holds]).values_list(
            "pk", flat=True
        )
    )
    LevelingHold.objects.bulk_create(
        [
            LevelingHold(
                run_id=run_id, work_package_id=int(pk), start=datetime.fromisoformat(start)
            )
            for pk, (run_id, start) in holds.items()
            if int(pk) in existing
        ]
    )


def leveling_apply(*, actor: Any, run: LevelingRun) -> LevelingRun:
    """Apply a preview: its holds replace the earlier ones and the plan reschedules.

    Refused when the plan changed since the preview (the proposal no longer fits it).
    """
    with transaction.atomic():
        run = _run_locked(run)
        project = run.project
        resource_check(user=actor, project=project, action="level")
        if run.status != LevelingStatus.PREVIEW:
            raise Conflict(f"Leveling run {run.pk} is {run.get_status_display().lower()}.")
        if plan_fingerprint(project) != run.result.get("fingerprint"):
            raise Conflict(
                f"The plan changed since leveling run {run.pk} was previewed; preview again."
            )
        previous = _holds_now(project)
        new = {pk: [run.pk, start] for pk, start in run.holds.items()}
        _holds_write(project, new)
        run.status = LevelingStatus.APPLIED
        run.applied_at = timezone.now()
        run.result = {**run.result, "previous_holds": previous}
        run.save(update_fields=["status", "applied_at", "result"])
        plan = work_reschedule(project=project)
        audit_record(
            actor=actor,
            action="leveling.apply",
            obj=run,
            project=project,
            changes={
                "holds": [previous, new],
                "finish": [run.result.get("finish_before"), _iso(plan.finish())],
            },
        )
    return run


def leveling_undo(*, actor: Any, run: LevelingRun) -> LevelingRun:
    """Undo the latest applied leveling: the holds before it come back and the plan
    reschedules."""
    with transaction.atomic():
        run = _run_locked(run)
        project = run.project
        resource_check(user=actor, project=project, action="level")
        if run.status != LevelingStatus.APPLIED:
            raise Conflict(f"Leveling run {run.pk} is not applied; only an applied run is undone.")
        latest = (
            LevelingRun.objects.filter(project=project, status=LevelingStatus.APPLIED)
            .order_by("-applied_at", "-id")
            .first()
        )
        if latest is not None and latest.pk != run.pk:
            raise Conflict(
                f"Leveling run {latest.pk} was applied after run {run.pk}; undo it first."
            )
        current = _holds_now(project)
        previous = run.result.get("previous_holds", {})
        _holds_write(project, previous)
        run.status = LevelingStatus.UNDONE
        run.undone_at = timezone.now()
        run.save(update_fields=["status", "undone_at"])
        plan = work_reschedule(project=project)
        audit_record(
            actor=actor,
            action="leveling.undo",
            obj=run,
            project=project,
            changes={"holds": [current, previous], "finish": [None, _iso(plan.finish())]},
        )
    return run


def leveling_discard(*, actor: Any, run: LevelingRun) -> LevelingRun:
    """Throw a preview away."""
    with transaction.atomic():
        run = _run_locked(run)
        project = run.project
        resource_check(user=actor, project=project, action="level")
        if run.status != LevelingStatus.PREVIEW:
            raise Conflict(
                f"Leveling run {run.pk} is {run.get_status_display().lower()}; only a preview "
                "is discarded."
            )
        run.status = LevelingStatus.DISCARDED
        run.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="leveling.discard",
            obj=run,
            project=project,
            changes={"status": [LevelingStatus.PREVIEW, LevelingStatus.DISCARDED]},
        )
    return run
