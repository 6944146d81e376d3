"""Reads of runs, with the access check: the live view of a run and its report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from golive.errors import NotFound
from golive.projects.models import Project
from golive.rollout.access import rollout_check
from golive.rollout.models import Run, Runbook, RunKind, RunStatus, RunStep, RunStepStatus
from golive.rollout.selectors.runbooks import PlanItem, plan_timeline, runbook_get
from golive.rollout.services.runs import ACTIVE, halted_keys, step_released, waiting_for
from golive.scheduling import (
    Constraint,
    ConstraintKind,
    Dependency,
    Network,
    SchedulingError,
    Task,
    schedule,
)


def run_list(*, user: Any, runbook: Runbook) -> QuerySet[Run]:
    """Return the runs of a runbook, newest first."""
    rollout_check(user=user, project=runbook.project, action="view")
    return Run.objects.filter(runbook=runbook).select_related("runbook__project", "started_by")


def run_get(*, user: Any, project: Project, runbook_name: str, number: int | str | None) -> Run:
    """Return run `number` of the runbook (None: the run in progress, else the latest one)."""
    runbook = runbook_get(user=user, project=project, name=runbook_name)
    runs = run_list(user=user, runbook=runbook)
    if number is None or number == "":
        run = runs.filter(status__in=ACTIVE).first() or runs.order_by("-number").first()
        if run is None:
            raise NotFound(f"{runbook.name} has not been run yet.")
        return run
    try:
        wanted = int(str(number).lstrip("#"))
    except ValueError:
        raise NotFound(f"{runbook.name} has no run {number}.") from None
    run = runs.filter(number=wanted).first()
    if run is None:
        raise NotFound(f"{runbook.name} has no run #{wanted}.")
    return run


def run_active(*, user: Any, project: Project, runbook_name: str) -> Run:
    """Return the run of the runbook that is running or paused, or NotFound."""
    runbook = runbook_get(user=user, project=project, name=runbook_name)
    run = run_list(user=user, runbook=runbook).filter(status__in=ACTIVE).first()
    if run is None:
        raise NotFound(f"{runbook.name} has no run in progress.")
    return run


def _run_steps(run: Run) -> list[RunStep]:
    return list(RunStep.objects.filter(run=run).select_related("assignee", "owner", "resolved_by"))


def _items(steps: list[RunStep]) -> list[PlanItem]:
    return [
        PlanItem(
            key=s.key,
            duration=s.duration_minutes,
            offset=s.offset_minutes,
            depends_on=tuple(s.depends_on),
        )
        for s in steps
    ]


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def _prediction(run: Run, steps: list[RunStep], now: datetime) -> dict[str, Any]:
    """Forward pass from now: finished steps at their actuals, started ones as
    max(now, start + duration), the rest after their predecessors (and not before their T±)."""
    t0 = run.planned_start
    offsets = [s.offset_minutes for s in steps if s.offset_minutes is not None]
    candidates = [t0 + timedelta(minutes=min([0, *offsets])), run.started_at, now]
    candidates += [s.started_at for s in steps if s.started_at is not None]
    candidates += [s.finished_at for s in steps if s.finished_at is not None]
    origin = min(candidates).replace(second=0, microsecond=0)

    def at(moment: datetime) -> int:
        return int((moment - origin).total_seconds() // 60)

    keys = {s.key for s in steps}
    tasks = []
    for s in steps:
        if step_released(s):
            finish = at(s.finished_at or now)
            start = min(at(s.started_at or s.finished_at or now), finish)
            tasks.append(
                Task(
                    id=s.key, duration=s.duration_minutes, actual_start=start, actual_finish=finish
                )
            )
        elif s.status == RunStepStatus.IN_PROGRESS and s.started_at is not None:
            tasks.append(Task(id=s.key, duration=s.duration_minutes, actual_start=at(s.started_at)))
        else:
            planned: int | None = None
            if s.offset_minutes is not None:
                planned = at(t0 + timedelta(minutes=s.offset_minutes))
            elif not s.depends_on:
                planned = at(t0)
            constraint = None if planned is None else Constraint(ConstraintKind.SNET, planned)
            tasks.append(Task(id=s.key, duration=s.duration_minutes, constraint=constraint))
    links = [
        Dependency(predecessor=p, successor=s.key) for s in steps for p in s.depends_on if p in keys
    ]
    try:
        result = schedule(Network(tasks, links), status_date=at(now))
    except SchedulingError:
        return {"end": None, "critical_path": [], "steps": {}}
    finished = {s.key for s in steps if step_released(s)}
    return {
        "end": origin + timedelta(minutes=result.finish),
        "critical_path": [k for k in result.critical_path if k not in finished],
        "steps": {
            key: (
                origin + timedelta(minutes=entry.early_start),
                origin + timedelta(minutes=entry.early_finish),
            )
            for key, entry in result.tasks.items()
        },
    }


def _run_summary(run: Run) -> dict[str, Any]:
    return {
        "id": run.pk,
        "runbook": run.runbook.name,
        "runbook_title": run.runbook.title,
        "number": run.number,
        "kind": run.kind,
        "status": run.status,
        "planned_start": run.planned_start,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "paused_at": run.paused_at,
        "paused_seconds": run.paused_seconds,
        "started_by": _username(run.started_by),
        "notes": run.notes,
    }


def run_live(*, user: Any, run: Run) -> dict[str, Any]:
    """Return the live view of a run: steps with status, people, planned, actual and predicted
    times, halted and can-start flags; the critical path of what remains, the predicted end,
    progress counts and an `updated_at` / `version` marker that changes with every write.
    """
    rollout_check(user=user, project=run.runbook.project, action="view")
    now = timezone.now()
    steps = _run_steps(run)
    by_key = {s.key: s for s in steps}
    t0 = run.planned_start
    plan = {entry["key"]: entry for entry in plan_timeline(_items(steps))["steps"]}
    planned_end = max(
        [t0 + timedelta(minutes=e["early_finish"]) for e in plan.values()], default=t0
    )
    halted = halted_keys(steps)
    running = run.status == RunStatus.RUNNING
    active = run.status in ACTIVE
    prediction = (
        _prediction(run, steps, now) if active else {"end": None, "critical_path": [], "steps": {}}
    )
    rows = []
    for s in steps:
        entry = plan[s.key]
        waits = waiting_for(s, by_key)
        predicted = prediction["steps"].get(s.key)
        rows.append(
            {
                "id": s.pk,
                "key": s.key,
                "title": s.title,
                "kind": s.kind,
                "status": s.status,
                "position": s.position,
                "assignee": _username(s.assignee),
                "owner": _username(s.owner),
                "owner_team": s.owner_team_name,
                "duration_minutes": s.duration_minutes,
                "offset_minutes": s.offset_minutes,
                "planned": entry["planned"],
                "planned_start": t0 + timedelta(minutes=entry["early_start"]),
                "planned_finish": t0 + timedelta(minutes=entry["early_finish"]),
                "actual_start": s.started_at,
                "actual_finish": s.finished_at,
                "predicted_start": predicted[0] if predicted else None,
                "predicted_finish": predicted[1] if predicted else None,
                "critical": s.key in prediction["critical_path"],
                "depends_on": list(s.depends_on),
                "waiting_for": waits,
                "halted": s.key in halted,
                "can_start": running
                and s.status == RunStepStatus.PENDING
                and s.key not in halted
                and not waits,
                "expected_value": s.expected_value,
                "actual_value": s.actual_value,
                "passed": s.passed,
                "note": s.note,
                "approver_ids": list(s.approver_ids),
                "approvals": list(s.approvals),
                "resolution": s.resolution,
                "resolved_by": _username(s.resolved_by),
                "resolution_note": s.resolution_note,
                "attempts": s.attempts,
                "version": s.version,
            }
        )
    counts = {status: 0 for status in RunStepStatus.values}
    for s in steps:
        counts[s.status] += 1
    released = sum(1 for s in steps if step_released(s))
    moments = [run.started_at, run.ended_at, run.paused_at]
    moments += [m for s in steps for m in (s.started_at, s.finished_at)]
    moments += [datetime.fromisoformat(a["at"]) for s in steps for a in s.approvals if a.get("at")]
    return {
        "run": _run_summary(run),
        "status": run.status,
        "steps": rows,
        "critical_path": prediction["critical_path"],
        "planned_end": planned_end,
        "predicted_end": prediction["end"] if active else run.ended_at,
        "progress": {
            "total": len(steps),
            **counts,
            "finished": released,
            "halted": len(halted),
            "percent": round(100 * released / len(steps)) if steps else 0,
        },
        "updated_at": max(m for m in moments if m is not None),
        "version": run.version + sum(s.version for s in steps),
    }


def _duration(start: datetime | None, end: datetime | None) -> float | None:
    return _minutes(end - start) if start is not None and end is not None else None


def run_report(*, user: Any, run: Run) -> dict[str, Any]:
    """Return the report of a run: per step planned vs actual duration and start delay with the
    notes; planned vs achieved totals; and the earlier rehearsals of the runbook to compare with.
    """
    rollout_check(user=user, project=run.runbook.project, action="view")
    now = timezone.now()
    steps = _run_steps(run)
    t0 = run.planned_start
    timeline = plan_timeline(_items(steps))
    plan = {entry["key"]: entry for entry in timeline["steps"]}
    rows = []
    for s in steps:
        entry = plan[s.key]
        planned_start = t0 + timedelta(minutes=entry["early_start"])
        actual = _duration(s.started_at, s.finished_at)
        rows.append(
            {
                "key": s.key,
                "title": s.title,
                "kind": s.kind,
                "status": s.status,
                "assignee": _username(s.assignee),
                "planned_duration_minutes": s.duration_minutes,
                "actual_duration_minutes": actual,
                "overrun_minutes": round(actual - s.duration_minutes, 1)
                if actual is not None
                else None,
                "planned_start": planned_start,
                "actual_start": s.started_at,
                "start_delay_minutes": _duration(planned_start, s.started_at),
                "actual_finish": s.finished_at,
                "expected_value": s.expected_value,
                "actual_value": s.actual_value,
                "passed": s.passed,
                "note": s.note,
                "approvals": list(s.approvals),
                "resolution": s.resolution,
                "resolution_note": s.resolution_note,
                "attempts": s.attempts,
            }
        )
    end = run.ended_at or now
    achieved = _minutes(end - run.started_at)
    earlier = list(
        Run.objects.filter(runbook_id=run.runbook_id, kind=RunKind.REHEARSAL, number__lt=run.number)
        .select_related("started_by")
        .order_by("number")
    )
    durations: dict[int, dict[str, float | None]] = {r.pk: {} for r in earlier}
    for run_id, key, started, finished in RunStep.objects.filter(
        run_id__in=list(durations)
    ).values_list("run_id", "key", "started_at", "finished_at"):
        durations[run_id][key] = _duration(started, finished)
    runbook = run.runbook
    return {
        "run": _run_summary(run),
        "steps": rows,
        "planned_minutes": timeline["finish"] - timeline["start"],
        "planned_end": t0 + timedelta(minutes=timeline["finish"]),
        "achieved_minutes": achieved,
        "paused_minutes": _minutes(timedelta(seconds=run.paused_seconds)),
        "active_minutes": round(achieved - run.paused_seconds / 60, 1),
        "finished": run.ended_at is not None,
        "rto_minutes": runbook.rto_minutes,
        "within_rto": (
            achieved <= runbook.rto_minutes
            if runbook.rto_minutes is not None and run.ended_at is not None
            else None
        ),
        "rehearsals": [
            {
                "number": r.number,
                "kind": r.kind,
                "status": r.status,
                "started_at": r.started_at,
                "ended_at": r.ended_at,
                "duration_minutes": _duration(r.started_at, r.ended_at),
                "steps": durations[r.pk],
            }
            for r in earlier
        ],
    }
