"""The CP-SAT model behind resource leveling: one interval per job, one cumulative per resource.

Small problems also get redundant no-overlap constraints over cliques of jobs that can never
run together (``cliques``).

Starts are grid steps (``unit`` minutes each); the objective is the project finish in minutes,
``max(unit * start + duration)``, so a coarse grid still reports an exact makespan.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from golive.scheduling.sgs import Problem


@dataclass(frozen=True)
class Outcome:
    """What CP-SAT found: grid starts (None when nothing), proof of optimality or infeasibility."""

    starts: list[int] | None
    optimal: bool
    infeasible: bool
    bound: int | None


def _horizon(problem: Problem, hint: Sequence[int], hint_valid: bool) -> int:
    """Return a grid time by which some optimal schedule has finished every job."""
    duration = problem.duration
    if hint_valid:
        return max((s + d for s, d in zip(hint, duration, strict=True)), default=0)
    # Any job can wait for all fixed usage and for every other job to run one after another.
    latest = max(
        [*problem.floor, *(c for c in problem.ceiling if c is not None)]
        + [end for usage in problem.background for _, end, _ in usage]
        + [s + d for s, d in zip(hint, duration, strict=True)],
        default=0,
    )
    slack = sum(max(0, delta) for _, _, delta in problem.links)
    return latest + sum(duration) + slack


# Redundant no-overlap constraints over cliques of jobs that can never run together: on
# PSPLIB's hard groups they let CP-SAT's disjunctive reasoning (edge finding, precedences)
# prove optima the cumulative alone does not (see docs/design/leveling.md).
CLIQUES = True
# Work bound on clique building: a plan with more incompatible pairs gets no cliques.
CLIQUE_PAIR_LIMIT = 50_000
# Only small problems get them: on the 500-task product case they came to 2,374 cliques that
# slowed the solver without a better result, and j120 showed no gain.
CLIQUE_MAX_JOBS = 100


def incompatible_pairs(problem: Problem, limit: int = CLIQUE_PAIR_LIMIT) -> list[set[int]] | None:
    """Return, per job, the jobs it can never overlap: together they exceed some capacity.

    Jobs without duration overlap nothing. A link that makes one job start at or after the
    other's finish also separates them; those pairs are included (precedence-related jobs
    make the cliques larger, and CP-SAT's no-overlap reasons with the precedences). Return
    None when there are more than ``limit`` resource-incompatible pairs.
    """
    size = problem.size
    pairs = 0
    neighbours: list[set[int]] = [set() for _ in range(size)]
    by_resource: dict[int, list[tuple[int, int]]] = {}
    for j, needs in enumerate(problem.demands):
        if problem.duration[j] <= 0:
            continue
        for r, units in needs:
            by_resource.setdefault(r, []).append((units, j))
    for r, users in by_resource.items():
        capacity = problem.capacity[r]
        users.sort(reverse=True)
        for a, (units_a, job_a) in enumerate(users):
            if units_a * 2 <= capacity:
                break  # this and every smaller user fit beside all smaller ones
            for units_b, job_b in users[a + 1 :]:
                if units_a + units_b <= capacity:
                    break
                pairs += 1
                if pairs > limit:
                    return None
                neighbours[job_a].add(job_b)
                neighbours[job_b].add(job_a)
    for pred, succ, delta in problem.links:
        # A link with delta >= pred's duration starts succ once pred has finished.
        if pred != succ and problem.duration[succ] > 0 and delta >= problem.duration[pred] > 0:
            neighbours[pred].add(succ)
            neighbours[succ].add(pred)
    return neighbours


def cliques(problem: Problem, *, minimum: int = 3) -> list[list[int]]:
    """Return greedy maximal cliques of pairwise incompatible jobs, each at least ``minimum``.

    Every resource-incompatible pair lies in some returned clique unless its clique would be
    smaller than ``minimum`` (the cumulative already handles a lone pair well). Seeds go by
    decreasing degree; a clique grows by the candidate with the most neighbours among the
    remaining candidates.
    """
    neighbours = incompatible_pairs(problem)
    if neighbours is None:
        return []
    covered: set[tuple[int, int]] = set()
    found: list[list[int]] = []
    order = sorted(range(problem.size), key=lambda j: (-len(neighbours[j]), j))
    for seed in order:
        for other in sorted(neighbours[seed], key=lambda j: (-len(neighbours[j]), j)):
            if (min(seed, other), max(seed, other)) in covered:
                continue
            clique = [seed, other]
            candidates = neighbours[seed] & neighbours[other]
            while candidates:
                best = max(candidates, key=lambda j: (len(neighbours[j] & candidates), -j))
                clique.append(best)
                candidates &= neighbours[best]
            for a in clique:
                for b in clique:
                    if a < b:
                        covered.add((a, b))
            if len(clique) >= minimum:
                found.append(sorted(clique))
    unique = {tuple(c) for c in found}
    return [list(c) for c in sorted(unique)]


def solve(
    problem: Problem,
    minutes: Sequence[int],
    unit: int,
    *,
    hint: Sequence[int],
    hint_valid: bool,
    fixed_span: int,
    lower_bound: int,
    time_limit: float,
    workers: int,
    seed: int,
    parameters: Mapping[str, Any],
) -> Outcome:
    """Minimise the finish (minutes) of ``problem``, starting from ``hint``.

    ``minutes`` are the jobs' exact durations; ``fixed_span`` is the latest finish of the tasks
    that do not move, and ``lower_bound`` a proven bound on the finish.
    """
    horizon = _horizon(problem, hint, hint_valid)
    model = cp_model.CpModel()
    starts: list[cp_model.IntVar] = []
    for j in range(problem.size):
        low = problem.floor[j]
        high = horizon - problem.duration[j]
        ceiling = problem.ceiling[j]
        if ceiling is not None:
            high = min(high, ceiling)
        if high < low:
            return Outcome(starts=None, optimal=False, infeasible=True, bound=None)
        starts.append(model.new_int_var(low, high, f"s{j}"))
    for pred, succ, delta in problem.links:
        model.add(starts[succ] >= starts[pred] + delta)

    intervals: dict[int, cp_model.IntervalVar] = {}
    for r, capacity in enumerate(problem.capacity):
        used: list[cp_model.IntervalVar] = []
        units: list[int] = []
        for j, needs in enumerate(problem.demands):
            duration = problem.duration[j]
            if duration <= 0:
                continue
            for resource, amount in needs:
                if resource != r:
                    continue
                if j not in intervals:
                    intervals[j] = model.new_fixed_size_interval_var(starts[j], duration, f"i{j}")
                used.append(intervals[j])
                units.append(amount)
        if not used:
            continue
        for k, (start, end, amount) in enumerate(problem.background[r]):
            used.append(model.new_fixed_size_interval_var(start, end - start, f"b{r}_{k}"))
            units.append(amount)
        model.add_cumulative(used, units, capacity)
    if CLIQUES and problem.size <= CLIQUE_MAX_JOBS:
        for clique in cliques(problem):
            for j in clique:
                if j not in intervals:
                    intervals[j] = model.new_fixed_size_interval_var(
                        starts[j], problem.duration[j], f"i{j}"
                    )
            model.add_no_overlap([intervals[j] for j in clique])

    hint_span = max(
        [fixed_span] + [unit * s + m for s, m in zip(hint, minutes, strict=True)], default=0
    )
    top = hint_span if hint_valid else unit * horizon + max(minutes, default=0) + fixed_span
    finish = model.new_int_var(min(max(lower_bound, fixed_span), top), top, "finish")
    # Only jobs that no link pushes past their own finish can end the project.
    pushes_later = {pred for pred, _, delta in problem.links if delta >= problem.duration[pred]}
    for j in range(problem.size):
        if j not in pushes_later:
            model.add(finish >= unit * starts[j] + minutes[j])
    model.minimize(finish)
    for var, value in zip(starts, hint, strict=True):
        model.add_hint(var, value)
    model.add_hint(finish, hint_span)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit, 0.01)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    for name, value in parameters.items():
        if isinstance(value, list):
            getattr(solver.parameters, name).extend(value)
        else:
            setattr(solver.parameters, name, value)
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        return Outcome(starts=None, optimal=False, infeasible=True, bound=None)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Outcome(starts=None, optimal=False, infeasible=False, bound=None)
    bound = math.ceil(solver.best_objective_bound - 1e-6)
    return Outcome(
        starts=[int(solver.value(var)) for var in starts],
        optimal=status == cp_model.OPTIMAL,
        infeasible=False,
        bound=bound,
    )
