"""Reads of runbooks, with the access check, and their planned timeline (CPM in minutes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from golive.errors import NotFound
from golive.projects.models import Project
from golive.rollout.access import rollout_check
from golive.rollout.models import Runbook, Step
from golive.scheduling import Constraint, ConstraintKind, Dependency, Network, Task, schedule


def runbook_list(*, user: Any, project: Project) -> QuerySet[Runbook]:
    """Return a project's runbooks (kind, then name) with owner, wave and rollback plan."""
    rollout_check(user=user, project=project, action="view")
    return Runbook.objects.filter(project=project).select_related(
        "project", "owner", "wave", "rollback_plan"
    )


def runbook_get(*, user: Any, project: Project, name: str) -> Runbook:
    """Return the runbook called `name` in `project`, or NotFound."""
    runbook = runbook_list(user=user, project=project).filter(name=str(name).strip()).first()
    if runbook is None:
        raise NotFound(f"{project.key} has no runbook {name}.")
    return runbook


def runbook_steps(runbook: Runbook) -> list[Step]:
    """Return the runbook's steps with owners, teams, approvers and predecessors, in order."""
    return list(
        Step.objects.filter(runbook=runbook)
        .select_related("owner", "owner_team", "migration_check", "communication")
        .prefetch_related("approvers", "depends_on")
    )


@dataclass(frozen=True)
class PlanItem:
    """What the timeline needs of a step (a runbook step or a run's copy of one)."""

    key: str
    duration: int
    offset: int | None
    depends_on: tuple[str, ...]


def t_label(minutes: int) -> str:
    """Return an offset from T0 as the cutover clock reads it: T-30, T0, T+1:15."""
    if minutes == 0:
        return "T0"
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"T{sign}{hours}:{rest:02d}" if hours else f"T{sign}{rest}"


def plan_timeline(items: Sequence[PlanItem]) -> dict[str, Any]:
    """Return the CPM of `items` in minutes from T0 (24x7: every minute counts).

    A step's `offset` is a start-no-earlier-than; a step with neither offset nor predecessor
    starts at T0. The engine's axis starts at the earliest T-minus offset.
    """
    keys = {item.key for item in items}
    base = min([0, *(item.offset for item in items if item.offset is not None)])
    tasks = []
    for item in items:
        start = item.offset if item.offset is not None else (None if item.depends_on else 0)
        constraint = None if start is None else Constraint(ConstraintKind.SNET, start - base)
        tasks.append(Task(id=item.key, duration=item.duration, constraint=constraint))
    links = [
        Dependency(predecessor=pred, successor=item.key)
        for item in items
        for pred in item.depends_on
        if pred in keys
    ]
    if not tasks:
        return {"steps": [], "start": 0, "finish": 0, "critical_path": []}
    result = schedule(Network(tasks, links))
    steps: list[dict[str, Any]] = []
    for item in items:
        entry = result.tasks[item.key]
        early_start = entry.early_start + base
        steps.append(
            {
                "key": item.key,
                "duration_minutes": item.duration,
                "offset_minutes": item.offset,
                "early_start": early_start,
                "early_finish": entry.early_finish + base,
                "late_start": entry.late_start + base,
                "late_finish": entry.late_finish + base,
                "total_float": entry.total_float,
                "critical": entry.critical,
                "planned": t_label(early_start),
            }
        )
    return {
        "steps": steps,
        "start": min(s["early_start"] for s in steps),
        "finish": result.finish + base,
        "critical_path": list(result.critical_path),
    }


def plan_items(steps: Iterable[Step]) -> list[PlanItem]:
    """Return the timeline items of runbook steps (their predecessors prefetched)."""
    return [
        PlanItem(
            key=step.key,
            duration=step.duration_minutes,
            offset=step.offset_minutes,
            depends_on=tuple(p.key for p in step.depends_on.all()),
        )
        for step in steps
    ]


def runbook_timeline(runbook: Runbook) -> dict[str, Any]:
    """Return the runbook's planned timeline: per step early/late start and finish (minutes
    from T0), total float, the critical flag and the planned T± label; the critical path and
    the planned finish.
    """
    steps = runbook_steps(runbook)
    timeline = plan_timeline(plan_items(steps))
    by_key = {s.key: s for s in steps}
    for entry in timeline["steps"]:
        step = by_key[entry["key"]]
        entry.update({"title": step.title, "kind": step.kind, "step_id": step.pk})
    timeline["duration_minutes"] = timeline["finish"] - timeline["start"]
    return timeline
