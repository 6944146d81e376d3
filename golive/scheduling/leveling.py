"""Resource leveling: resource-constrained scheduling of a Network with OR-Tools CP-SAT.

Times are working minutes on the project calendar axis, as in ``cpm``. A ``Resource`` has a
capacity in units (100 = one full-time person) and optional time off: [start, end) windows on
the same axis in which its capacity is 0. A ``Demand`` says how many units of a resource a task
uses for its whole duration.

What moves and what does not:

* Leaf tasks that have not started are scheduled: every dependency (FS/SS/FF/SF, any lag,
  negative too) and their SNET constraint hold, and no resource is over capacity in any minute.
* Started and finished tasks stay at their CPM dates (``cpm.schedule`` with the same
  ``status_date``) and keep their resource use there. Links *into* them are history and are
  not enforced; links *out of* them are. Where their use alone exceeds a capacity (the past
  cannot be undone) the resource counts as fully used for the rest, never as infeasible.
* MSO tasks are fixed at their offset like started tasks, but their incoming links hold:
  predecessors must make room for them.
* FNLT is hard. A deadline that leveling cannot meet raises LevelingError naming the task and
  the resource that blocked it; nothing is silently relaxed.
* Summary tasks are not scheduled: their span is that of their leaf descendants. Milestones
  and other zero-duration tasks use no resources.

The answer: a serial schedule-generation scheme with the latest-finish-time rule (what
commercial tools do) gives a valid schedule at once; forward-backward justification and a short
genetic search improve it, and CP-SAT starts from the result as a hint and improves it within
``time_limit``. The solver works on the largest step that divides every time in the problem
(often 60: plans are estimated in hours), which loses nothing. ``time_unit`` coarsens the grid
further (for example 60 = hours) when it does not divide that step: durations round up to whole
units and starts land on multiples of the unit, so the schedule converted back never overloads a
resource and keeps every link; the makespan is still exact in minutes.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from golive.scheduling.cpm import Schedule, schedule
from golive.scheduling.cpsat import solve
from golive.scheduling.errors import SchedulingError
from golive.scheduling.network import ConstraintKind, Network
from golive.scheduling.sgs import Problem, SgsResult, improve, justify, serial_sgs

# CP-SAT parameters, measured with two workers (see docs/design/leveling.md): the fuller LP
# relaxation raises the proven bound of a 500-task project markedly and costs PSPLIB nothing.
SOLVER_PARAMETERS: dict[str, Any] = {"linearization_level": 2}
# Share of the time limit spent improving the priority-rule schedule before CP-SAT starts.
WARM_START_SHARE = 0.2


@dataclass(frozen=True)
class Resource:
    """A renewable resource: ``capacity`` units, none during the ``unavailable`` windows."""

    id: str
    capacity: int
    name: str = ""
    unavailable: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Demand:
    """Task ``task_id`` uses ``units`` of resource ``resource_id`` while it runs."""

    task_id: str
    resource_id: str
    units: int


@dataclass(frozen=True)
class LevelingResult:
    """A leveled schedule: starts and finishes per task (summaries included), in minutes.

    ``status`` is "optimal" (CP-SAT proved the makespan minimal on its time grid), "feasible"
    (CP-SAT's best within the time limit) or "priority_rule" (the solver found nothing better
    in time, or was given no time). ``optimal`` is True only when the makespan is proven
    minimal in minutes; ``lower_bound`` is the best proven bound on the makespan; ``moved``
    gives each task's shift against its unleveled early start.
    """

    starts: dict[str, int]
    finishes: dict[str, int]
    makespan: int
    status: str
    optimal: bool
    lower_bound: int
    priority_rule_makespan: int
    solve_seconds: float
    moved: dict[str, int]


class LevelingError(SchedulingError):
    """Refuse a leveling input, or report that no schedule exists; names task and resource."""

    def __init__(self, message: str, task_id: str | None = None, resource_id: str | None = None):
        super().__init__(message)
        self.task_id = task_id
        self.resource_id = resource_id
        self.task_ids: tuple[str, ...] = (task_id,) if task_id is not None else ()


@dataclass(frozen=True)
class _Compiled:
    """A network compiled for leveling on a grid of ``unit`` minutes."""

    network: Network
    cpm: Schedule
    unit: int
    exact: bool  # True when the grid loses nothing: its optimum and bounds are the minutes'
    leaves: list[int]  # task positions of the leaf tasks
    free: list[int]  # task positions of the jobs, job j = free[j]
    fixed_start: dict[int, int]  # task position -> start (minutes) for tasks that stay put
    duration: list[int]  # per job, minutes
    problem: Problem
    resources: list[Resource]
    ceiling_reason: list[str]  # per job: why it has a ceiling ("" when none)
    summaries: dict[int, list[int]]  # summary position -> leaf positions


def _validate(
    network: Network, resources: Sequence[Resource], demands: Sequence[Demand], leaf: set[str]
) -> dict[str, list[tuple[int, int]]]:
    """Return each task's demands as (resource index, units); raise LevelingError on bad input."""
    index: dict[str, int] = {}
    for position, resource in enumerate(resources):
        if resource.id in index:
            raise LevelingError(f"duplicate resource id {resource.id!r}", None, resource.id)
        if resource.capacity < 0:
            raise LevelingError(
                f"resource {resource.id} has a negative capacity ({resource.capacity})",
                None,
                resource.id,
            )
        for start, end in resource.unavailable:
            if end <= start:
                raise LevelingError(
                    f"resource {resource.id} has an empty or reversed time-off window "
                    f"[{start}, {end})",
                    None,
                    resource.id,
                )
        index[resource.id] = position
    known = {task.id for task in network.tasks}
    per_task: dict[str, dict[int, int]] = {}
    for demand in demands:
        task_id, resource_id = demand.task_id, demand.resource_id
        if task_id not in known:
            raise LevelingError(
                f"a demand names unknown task {task_id!r} (resource {resource_id})",
                task_id,
                resource_id,
            )
        if resource_id not in index:
            raise LevelingError(
                f"task {task_id} needs unknown resource {resource_id!r}", task_id, resource_id
            )
        if demand.units < 0:
            raise LevelingError(
                f"task {task_id} needs a negative amount ({demand.units}) of resource "
                f"{resource_id}",
                task_id,
                resource_id,
            )
        if demand.units == 0:
            continue
        if task_id not in leaf:
            raise LevelingError(
                f"summary task {task_id} cannot need resource {resource_id}; "
                "assign the resource to its children",
                task_id,
                resource_id,
            )
        r = index[resource_id]
        units = per_task.setdefault(task_id, {}).get(r, 0) + demand.units
        capacity = resources[r].capacity
        if capacity == 0:
            raise LevelingError(
                f"task {task_id} needs {units} units of resource {resource_id}, "
                "which has zero capacity",
                task_id,
                resource_id,
            )
        if units > capacity:
            raise LevelingError(
                f"task {task_id} needs {units} units of resource {resource_id}, "
                f"more than its capacity of {capacity}",
                task_id,
                resource_id,
            )
        per_task[task_id][r] = units
    return {task_id: sorted(units.items()) for task_id, units in per_task.items()}


def _structure(network: Network) -> tuple[list[int], dict[int, list[int]]]:
    """Return the leaf positions and each summary's leaf positions, from the public fields."""
    tasks = network.tasks
    position_of = {task.id: p for p, task in enumerate(tasks)}
    children: dict[int, list[int]] = {}
    for p, task in enumerate(tasks):
        if task.parent is not None:
            children.setdefault(position_of[task.parent], []).append(p)
    leaves = [p for p in range(len(tasks)) if p not in children]
    summaries: dict[int, list[int]] = {}

    def collect(p: int) -> list[int]:
        if p not in children:
            return [p]
        if p not in summaries:
            found: list[int] = []
            for child in children[p]:
                found.extend(collect(child))
            summaries[p] = found
        return summaries[p]

    for p in children:
        collect(p)
    return leaves, summaries


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _compile(
    network: Network,
    resources: Sequence[Resource],
    demands: Sequence[Demand],
    *,
    time_unit: int,
    status_date: int | None,
) -> _Compiled:
    if time_unit < 1:
        raise LevelingError(f"time_unit must be a positive number of minutes, not {time_unit}")
    tasks = network.tasks
    position_of = {task.id: p for p, task in enumerate(tasks)}
    leaves, summaries = _structure(network)
    leaf_ids = {tasks[p].id for p in leaves}
    needs = _validate(network, resources, demands, leaf_ids)
    cpm = schedule(network, status_date=status_date)
    fixed_start: dict[int, int] = {}
    fixed_finish: dict[int, int] = {}
    free: list[int] = []
    for p in leaves:
        task = tasks[p]
        dates = cpm.tasks[task.id]
        constraint = task.constraint
        if task.has_progress or (constraint is not None and constraint.kind is ConstraintKind.MSO):
            fixed_start[p] = dates.early_start
            fixed_finish[p] = dates.early_finish
        else:
            free.append(p)
    job_of = {p: j for j, p in enumerate(free)}
    # Every time in the problem is a multiple of ``step``; on that grid nothing is lost.
    step = _common_step(network, resources, free, fixed_start, fixed_finish, status_date)
    exact = step % time_unit == 0
    unit = step if exact else time_unit
    duration = [tasks[p].duration for p in free]
    floor = [_ceil_div(cpm.tasks[tasks[p].id].early_start, unit) for p in free]
    ceiling: list[int | None] = [None] * len(free)
    reason = [""] * len(free)
    for j, p in enumerate(free):
        constraint = tasks[p].constraint
        if constraint is not None and constraint.kind is ConstraintKind.FNLT:
            ceiling[j] = (constraint.offset - duration[j]) // unit
            reason[j] = f"its finish-no-later-than constraint at {constraint.offset}"

    links: list[tuple[int, int, int]] = []
    for dependency in network.dependencies:
        first = position_of[dependency.predecessor]
        second = position_of[dependency.successor]
        kind = dependency.type
        for succ in summaries.get(second, [second]):
            if succ not in job_of and tasks[succ].has_progress:
                continue  # history: links into started or finished tasks are not enforced
            for pred in summaries.get(first, [first]):
                if pred in job_of and succ in job_of:
                    delta = dependency.lag
                    if kind.from_finish:
                        delta += tasks[pred].duration
                    if kind.to_finish:
                        delta -= tasks[succ].duration
                    links.append((job_of[pred], job_of[succ], _ceil_div(delta, unit)))
                elif succ in job_of:
                    anchor = fixed_finish[pred] if kind.from_finish else fixed_start[pred]
                    bound = anchor + dependency.lag
                    if kind.to_finish:
                        bound -= tasks[succ].duration
                    j = job_of[succ]
                    floor[j] = max(floor[j], _ceil_div(bound, unit))
                elif pred in job_of:
                    # A free task linked into a must-start-on task must make room before it.
                    anchor = fixed_finish[succ] if kind.to_finish else fixed_start[succ]
                    bound = anchor - dependency.lag
                    if kind.from_finish:
                        bound -= tasks[pred].duration
                    j = job_of[pred]
                    current = ceiling[j]
                    if current is None or bound // unit < current:
                        ceiling[j] = bound // unit
                        reason[j] = (
                            f"its {kind.value} link to {tasks[succ].id}, "
                            f"which must start on {fixed_start[succ]}"
                        )

    grid_duration = [_ceil_div(d, unit) for d in duration]
    job_demands = [needs.get(tasks[p].id, []) for p in free]
    background: list[list[tuple[int, int, int]]] = [[] for _ in resources]
    for r, resource in enumerate(resources):
        for start, end in resource.unavailable:
            background[r].append((start // unit, _ceil_div(end, unit), resource.capacity))
    for p, start in fixed_start.items():
        for r, units in needs.get(tasks[p].id, []):
            end = fixed_finish[p]
            if end > start:
                background[r].append((start // unit, _ceil_div(end, unit), units))
    problem = Problem(
        duration=grid_duration,
        floor=floor,
        ceiling=ceiling,
        demands=job_demands,
        links=links,
        capacity=[resource.capacity for resource in resources],
        background=[
            _clamp(usage, resource.capacity)
            for usage, resource in zip(background, resources, strict=True)
        ],
    )
    return _Compiled(
        network=network,
        cpm=cpm,
        unit=unit,
        exact=exact,
        leaves=leaves,
        free=free,
        fixed_start=fixed_start,
        duration=duration,
        problem=problem,
        resources=list(resources),
        ceiling_reason=reason,
        summaries=summaries,
    )


def _common_step(
    network: Network,
    resources: Sequence[Resource],
    free: Sequence[int],
    fixed_start: Mapping[int, int],
    fixed_finish: Mapping[int, int],
    status_date: int | None,
) -> int:
    """Return the greatest common divisor of every time the problem holds (1 at least).

    Plans are estimated in hours or days, so this is often 60 or more; scaling by it shrinks
    the solver's domains without changing the optimum (every semi-active schedule starts on it).
    """
    tasks = network.tasks
    step = 0
    for p in free:
        step = math.gcd(step, tasks[p].duration)
        constraint = tasks[p].constraint
        if constraint is not None:
            step = math.gcd(step, constraint.offset)
    for p, start in fixed_start.items():
        step = math.gcd(step, math.gcd(start, fixed_finish[p]))
    for dependency in network.dependencies:
        step = math.gcd(step, dependency.lag)
    for resource in resources:
        for start, end in resource.unavailable:
            step = math.gcd(step, math.gcd(start, end))
    if status_date is not None:
        step = math.gcd(step, status_date)
    return step or 1


def _clamp(usage: Sequence[tuple[int, int, int]], capacity: int) -> list[tuple[int, int, int]]:
    """Return ``usage`` as disjoint segments, each at most ``capacity`` units."""
    events: dict[int, int] = {}
    for start, end, units in usage:
        events[start] = events.get(start, 0) + units
        events[end] = events.get(end, 0) - units
    segments: list[tuple[int, int, int]] = []
    level = 0
    times = sorted(events)
    for first, second in itertools.pairwise(times):
        level += events[first]
        units = min(level, capacity)
        if units > 0:
            if segments and segments[-1][1] == first and segments[-1][2] == units:
                segments[-1] = (segments[-1][0], second, units)
            else:
                segments.append((first, second, units))
    return segments


def _priorities(compiled: _Compiled, rule: str) -> list[tuple[int, ...]]:
    """Return the serial scheme's priority key per job (smaller goes first)."""
    tasks = compiled.network.tasks
    dates = compiled.cpm.tasks
    keys: list[tuple[int, ...]] = []
    for j, p in enumerate(compiled.free):
        entry = dates[tasks[p].id]
        if rule == "lft":
            keys.append((entry.late_finish, entry.early_start, j))
        elif rule == "lst":
            keys.append((entry.late_start, entry.early_start, j))
        elif rule == "est":
            keys.append((entry.early_start, entry.late_finish, j))
        else:
            raise ValueError(f"unknown priority rule {rule!r}; use 'lft', 'lst' or 'est'")
    return keys


def _violation_error(compiled: _Compiled, result: SgsResult, *, lead: str) -> LevelingError:
    violation = result.violation
    assert violation is not None
    tasks = compiled.network.tasks
    unit = compiled.unit
    task_id = tasks[compiled.free[violation.job]].id
    why = compiled.ceiling_reason[violation.job]
    if violation.resource < 0:
        return LevelingError(
            f"task {task_id} cannot meet {why} on a grid of {unit} minutes; "
            "use a smaller time_unit",
            task_id,
        )
    resource = compiled.resources[violation.resource]
    culprit = tasks[compiled.free[violation.culprit_job]].id
    through = "" if culprit == task_id else f" (it waits for {culprit})"
    return LevelingError(
        f"{lead}: task {task_id} cannot meet {why}: resource {resource.id} is fully booked"
        f"{through}; the priority rule could start it at {violation.start * unit} at the "
        f"earliest, {(violation.start - violation.ceiling) * unit} minutes too late",
        task_id,
        resource.id,
    )


def _answer(
    compiled: _Compiled, grid_starts: Sequence[int]
) -> tuple[dict[str, int], dict[str, int], int]:
    """Return starts, finishes (summaries included) and the makespan, in minutes."""
    tasks = compiled.network.tasks
    unit = compiled.unit
    start_of: dict[int, int] = {}
    finish_of: dict[int, int] = {}
    cpm = compiled.cpm.tasks
    for p in compiled.fixed_start:
        entry = cpm[tasks[p].id]
        start_of[p] = entry.early_start
        finish_of[p] = entry.early_finish
    for j, p in enumerate(compiled.free):
        start_of[p] = grid_starts[j] * unit
        finish_of[p] = start_of[p] + compiled.duration[j]
    for p, leaves in compiled.summaries.items():
        start_of[p] = min(start_of[leaf] for leaf in leaves)
        finish_of[p] = max(finish_of[leaf] for leaf in leaves)
    starts = {task.id: start_of[p] for p, task in enumerate(tasks)}
    finishes = {task.id: finish_of[p] for p, task in enumerate(tasks)}
    span = max((finish_of[p] for p in compiled.leaves), default=0)
    return starts, finishes, span


def priority_rule_schedule(
    network: Network,
    resources: Sequence[Resource],
    demands: Sequence[Demand],
    *,
    rule: str = "lft",
    status_date: int | None = None,
) -> dict[str, int]:
    """Return every task's start after a serial schedule-generation scheme with one rule.

    ``rule`` is "lft" (latest finish time first, the default), "lst" (latest start) or "est"
    (earliest start); ties go to the earlier CPM start, then to the task order. Raise
    LevelingError when a finish-no-later-than constraint or a must-start-on task cannot be met.
    """
    compiled = _compile(network, resources, demands, time_unit=1, status_date=status_date)
    result = serial_sgs(compiled.problem, _priorities(compiled, rule))
    if result.violation is not None:
        raise _violation_error(compiled, result, lead="the priority rule found no schedule")
    return _answer(compiled, result.starts)[0]


def _energy_bound(compiled: _Compiled) -> int:
    """Return max over resources of (earliest start of its users + their work / capacity)."""
    bound = 0
    problem = compiled.problem
    by_resource: dict[int, list[int]] = {}
    for j, needs in enumerate(problem.demands):
        for r, _ in needs:
            by_resource.setdefault(r, []).append(j)
    tasks = compiled.network.tasks
    cpm = compiled.cpm.tasks
    for r, jobs in by_resource.items():
        capacity = problem.capacity[r]
        work = 0
        earliest = None
        for j in jobs:
            units = dict(problem.demands[j])[r]
            work += compiled.duration[j] * units
            es = cpm[tasks[compiled.free[j]].id].early_start
            earliest = es if earliest is None or es < earliest else earliest
        if earliest is not None:
            bound = max(bound, earliest + _ceil_div(work, capacity))
    return bound


def _fixed_span(compiled: _Compiled) -> int:
    cpm = compiled.cpm.tasks
    tasks = compiled.network.tasks
    return max((cpm[tasks[p].id].early_finish for p in compiled.fixed_start), default=0)


def level(
    network: Network,
    resources: Sequence[Resource],
    demands: Sequence[Demand],
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    time_unit: int = 1,
    seed: int = 0,
    status_date: int | None = None,
) -> LevelingResult:
    """Level ``network``: a schedule that keeps every link and no resource over capacity.

    Minimise the project finish with CP-SAT for at most ``time_limit`` seconds on ``workers``
    threads, starting from the priority-rule schedule. ``time_unit`` coarsens the grid (minutes
    per step); ``status_date`` is passed to ``cpm.schedule`` for the tasks that do not move.
    Raise LevelingError for bad input and for constraints leveling cannot meet, CycleError and
    ConstraintError as ``cpm.schedule`` does.
    """
    began = time.perf_counter()
    compiled = _compile(network, resources, demands, time_unit=time_unit, status_date=status_date)
    unit = compiled.unit
    problem = compiled.problem
    priorities = _priorities(compiled, "lft")
    sgs = serial_sgs(problem, priorities)
    rule_valid = sgs.violation is None
    rule_span = _answer(compiled, sgs.starts)[2]
    lower = max(compiled.cpm.finish, _energy_bound(compiled))
    hint = sgs.starts
    if rule_valid:
        hint = justify(problem, sgs.starts)
        if time_limit > 0:
            hint = improve(
                problem,
                priorities,
                hint,
                seconds=WARM_START_SHARE * time_limit,
                seed=seed,
                lower_bound=_ceil_div(lower, unit),
            )
    best_starts = list(hint)
    status = "priority_rule"
    solver_bound: int | None = None
    hint_span = _answer(compiled, hint)[2]
    if time_limit > 0 and problem.size and (not rule_valid or hint_span > lower):
        # On an exact grid the objective counts grid steps: the same optimum, fewer values.
        scale = unit if compiled.exact else 1
        outcome = solve(
            problem,
            problem.duration if compiled.exact else compiled.duration,
            1 if compiled.exact else unit,
            hint=hint,
            hint_valid=rule_valid,
            fixed_span=_ceil_div(_fixed_span(compiled), scale),
            lower_bound=_ceil_div(lower, scale),
            time_limit=max(0.0, time_limit - (time.perf_counter() - began)),
            workers=workers,
            seed=seed,
            parameters=SOLVER_PARAMETERS,
        )
        if outcome.infeasible:
            raise _violation_error(compiled, sgs, lead="no resource-feasible schedule exists")
        if outcome.starts is not None:
            best_starts = outcome.starts
            status = "optimal" if outcome.optimal else "feasible"
            solver_bound = None if outcome.bound is None else outcome.bound * scale
    if status == "priority_rule" and not rule_valid:
        raise _violation_error(
            compiled, sgs, lead="leveling found no schedule within the time limit"
        )
    starts, finishes, span = _answer(compiled, best_starts)
    if compiled.exact:
        # Every finish is a multiple of the step, so the bound rounds up to one.
        lower = _ceil_div(lower, unit) * unit
        if solver_bound is not None:
            lower = max(lower, solver_bound)
    if status == "optimal" and compiled.exact:
        lower = span
    lower = min(lower, span)
    cpm = compiled.cpm.tasks
    moved = {task.id: starts[task.id] - cpm[task.id].early_start for task in network.tasks}
    return LevelingResult(
        starts=starts,
        finishes=finishes,
        makespan=span,
        status=status,
        optimal=span == lower,
        lower_bound=lower,
        priority_rule_makespan=rule_span,
        solve_seconds=time.perf_counter() - began,
        moved=moved,
    )
