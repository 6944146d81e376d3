"""Monte Carlo forecast of the project finish over three-point duration estimates.

Every run draws one duration per estimated task and schedules the network with the same link
semantics as ``cpm.schedule``. The runs are not looped in Python: each estimate's durations for
every run are drawn in one call (PERT as the ratio of two float32 gamma draws, the same beta
distribution NumPy's ``beta`` samples; blocks of 64 estimates each have their own random stream
spawned from the seed and are drawn on two threads), and the forward and backward passes walk
the topological order once, each task holding a NumPy array with one entry per run. The cost is
O(tasks + links) NumPy operations on arrays of length ``iterations``, and memory is four
int32 per task per run (int64 when the offsets need them).

Progress is respected as ``cpm.schedule`` does with a ``status_date``: a finished task keeps its
actual dates in every run; a started task keeps its actual start, and its remaining work (scaled
by the run's sampled duration over the planned one) resumes at the status date; nothing that
has not started begins before the status date. SNET and MSO act as earliest starts; FNLT and MSO cap the
late dates, so a run that misses a deadline shows the task as critical instead of failing. A task
is critical in a run when its total float is zero or less.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from golive.scheduling.cpm import topological_order
from golive.scheduling.errors import NetworkError
from golive.scheduling.network import ConstraintKind, Network

Distribution = Literal["pert", "triangular"]
IntArray = npt.NDArray[np.signedinteger[Any]]
# A task's duration across the runs: a plain int when it has no estimate, saving the array work.
Durations = IntArray | int
# Estimates per random stream; changing it changes every seeded forecast.
_BLOCK = 64
_SAMPLING_THREADS = 2
# Below this many draws a thread costs more than it saves.
_THREADED_DRAWS = 1_000_000


@dataclass(frozen=True)
class ThreePoint:
    """An optimistic / most likely / pessimistic duration estimate in working minutes."""

    optimistic: int
    most_likely: int
    pessimistic: int

    def __post_init__(self) -> None:
        if not 0 <= self.optimistic <= self.most_likely <= self.pessimistic:
            raise ValueError(
                "a three-point estimate needs 0 <= optimistic <= most likely <= pessimistic, got "
                f"{self.optimistic}, {self.most_likely}, {self.pessimistic}"
            )


@dataclass(frozen=True)
class Percentiles:
    """The 50th, 80th and 95th percentile of an offset across the runs."""

    p50: int
    p80: int
    p95: int


@dataclass(frozen=True)
class Forecast:
    """The result of ``forecast()``: finish percentiles and each leaf task's criticality index."""

    project: Percentiles
    milestones: dict[str, Percentiles]
    criticality: dict[str, float]
    iterations: int


def forecast(
    network: Network,
    estimates: Mapping[str, ThreePoint],
    *,
    iterations: int = 1000,
    seed: int | None = None,
    distribution: Distribution = "pert",
    status_date: int | None = None,
) -> Forecast:
    """Simulate ``iterations`` runs and return finish percentiles and criticality indices.

    Tasks without an estimate keep their fixed duration. The same ``seed`` gives the same
    forecast for the same network and estimates. ``status_date`` (an offset) is the moment
    progress was recorded; without it, only finished tasks' actual dates are taken as given.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    graph = network.graph
    order = topological_order(network)
    durations = _durations(network, estimates, iterations, seed, distribution)
    start_floor, deadline, must_start = _constraint_bounds(network)
    fixed_start = _progress(network, durations, start_floor, status_date)
    preds = graph.preds
    size = len(order)
    dtype = _narrowest(network, durations, start_floor, deadline, must_start)
    durations = [d.astype(dtype, copy=False) if isinstance(d, np.ndarray) else d for d in durations]

    early_start = np.empty((size, iterations), dtype=dtype)
    early_finish = np.empty((size, iterations), dtype=dtype)
    for node in order:
        row = early_start[node]
        row.fill(start_floor[node])
        d = durations[node]
        if node in fixed_start:
            # Started or finished: the start is history; only finish-side links can still
            # delay the remaining work of a task in progress.
            finish_bound = row + d
            for pred, from_finish, to_finish, lag in preds[node]:
                if to_finish and not fixed_start[node]:
                    source = early_finish[pred] if from_finish else early_start[pred]
                    np.maximum(finish_bound, source + lag, out=finish_bound)
            early_finish[node] = finish_bound
            continue
        for pred, from_finish, to_finish, lag in preds[node]:
            source = early_finish[pred] if from_finish else early_start[pred]
            bound = source + lag - d if to_finish else source + lag
            np.maximum(row, bound, out=row)
        np.add(row, d, out=early_finish[node])

    finish: IntArray = early_finish.max(axis=0) if size else np.zeros(iterations, dtype=dtype)
    late_finish = np.empty((size, iterations), dtype=dtype)
    late_finish[:] = finish
    critical_runs = [0] * size
    for node in reversed(order):
        # Every successor has pushed its bound by now, so the caps apply to the final value.
        lf = late_finish[node]
        if node in deadline:
            np.minimum(lf, deadline[node], out=lf)
        if node in must_start:
            np.minimum(lf, must_start[node] + durations[node], out=lf)
        ls = lf - durations[node]
        for pred, from_finish, to_finish, lag in preds[node]:
            bound = (lf if to_finish else ls) - lag
            if not from_finish:
                bound = bound + durations[pred]
            np.minimum(late_finish[pred], bound, out=late_finish[pred])
        critical_runs[node] = (
            0 if fixed_start.get(node) else int(np.count_nonzero(lf <= early_finish[node]))
        )

    tasks = network.tasks
    task_of_node = graph.task_of_node
    return Forecast(
        project=_percentiles(finish),
        milestones={
            tasks[position].id: _percentiles(early_finish[node])
            for node, position in enumerate(task_of_node)
            if tasks[position].milestone
        },
        criticality={
            tasks[position].id: critical_runs[node] / iterations
            for node, position in enumerate(task_of_node)
        },
        iterations=iterations,
    )


def _durations(
    network: Network,
    estimates: Mapping[str, ThreePoint],
    iterations: int,
    seed: int | None,
    distribution: Distribution,
) -> list[Durations]:
    """Return each node's duration: sampled runs for estimated tasks, the fixed value otherwise."""
    graph = network.graph
    estimated: list[int] = []
    for task_id in estimates:
        position = graph.index.get(task_id)
        if position is None:
            raise NetworkError(f"estimate for unknown task {task_id!r}", [task_id])
        node = graph.node_of_task[position]
        if node == -1:
            raise NetworkError(
                f"summary task {task_id} takes its duration from its children; "
                "estimate the children instead",
                [task_id],
            )
        estimated.append(node)
    durations: list[Durations] = [
        network.tasks[position].duration for position in graph.task_of_node
    ]
    if not estimated:
        return durations
    if distribution not in ("pert", "triangular"):
        raise ValueError(f"unknown distribution {distribution!r}; use 'pert' or 'triangular'")
    points = list(estimates.values())
    reach = max(e.pessimistic for e in points)
    # A draw never exceeds the pessimistic estimate, so int32 rows usually suffice and the
    # passes need no conversion.
    by_task = np.empty((len(points), iterations), dtype=np.int32 if reach < 1 << 30 else np.int64)
    # In float32 while it holds every minute exactly (below 2**24): its samplers cost about half
    # of the float64 ones, and rounding to whole minutes hides the difference in precision.
    real = np.float32 if reach < 1 << 24 else np.float64
    # Every block of tasks has its own stream spawned from the seed, so the blocks can be drawn
    # on several cores (NumPy's samplers release the GIL) and a seed gives the same draws
    # whichever thread takes which block.
    blocks = range(0, len(points), _BLOCK)
    streams = np.random.SeedSequence(seed).spawn(len(blocks))

    def draw(block: int) -> None:
        rng = np.random.Generator(np.random.SFC64(streams[block // _BLOCK]))
        _draw(
            rng, points[block : block + _BLOCK], by_task[block : block + _BLOCK], real, distribution
        )

    workers = min(_SAMPLING_THREADS, len(blocks), os.cpu_count() or 1)
    if workers > 1 and len(points) * iterations >= _THREADED_DRAWS:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(draw, blocks))
    else:
        for block in blocks:
            draw(block)
    for column, node in enumerate(estimated):
        durations[node] = by_task[column]
    return durations


def _draw(
    rng: np.random.Generator,
    points: list[ThreePoint],
    rows: IntArray,
    real: type[np.floating[Any]],
    distribution: Distribution,
) -> None:
    """Draw every run's duration of each estimate into its row, one row at a time.

    One row at a time keeps the float buffers in the CPU cache.
    """
    unit = np.empty(rows.shape[1], dtype=real)
    other = np.empty(rows.shape[1], dtype=real)
    for row, estimate in zip(rows, points, strict=True):
        width = estimate.pessimistic - estimate.optimistic
        if width == 0:
            row.fill(estimate.optimistic)
            continue
        peak = (estimate.most_likely - estimate.optimistic) / width
        if distribution == "pert":
            # Beta(a, b) as Ga / (Ga + Gb), which is how NumPy's beta draws it for a or b > 1.
            rng.standard_gamma(1.0 + 4.0 * peak, dtype=real, out=unit)
            rng.standard_gamma(1.0 + 4.0 * (1.0 - peak), dtype=real, out=other)
            other += unit
            np.divide(unit, other, out=unit)
        else:
            _triangular(rng, peak, unit, other)
        unit *= width
        unit += estimate.optimistic
        np.rint(unit, out=row, casting="unsafe")


def _triangular(
    rng: np.random.Generator,
    peak: float,
    out: npt.NDArray[np.floating[Any]],
    scratch: npt.NDArray[np.floating[Any]],
) -> None:
    """Draw the triangular distribution on [0, 1] with its mode at ``peak`` into ``out``."""
    # Inverse CDF: sqrt(u * peak) below the mode, 1 - sqrt((1 - u) * (1 - peak)) above it.
    rng.random(dtype=out.dtype.type, out=out)
    above = out >= peak
    np.subtract(1.0, out, out=scratch)
    scratch *= 1.0 - peak
    np.sqrt(scratch, out=scratch)
    np.subtract(1.0, scratch, out=scratch)
    out *= peak
    np.sqrt(out, out=out)
    np.copyto(out, scratch, where=above)


def _progress(
    network: Network,
    durations: list[Durations],
    start_floor: list[int],
    status_date: int | None,
) -> dict[int, bool]:
    """Apply recorded progress in place; return {node: finished?} for every started node.

    A finished node's duration becomes its actual span; a started one's becomes the time from its
    actual start to the status date plus its remaining work, scaled per run by the sampled over
    the planned duration. Not-started nodes may not start before the status date.
    """
    tasks = network.tasks
    base = max(0, status_date) if status_date is not None else 0
    fixed: dict[int, bool] = {}
    for node, position in enumerate(network.graph.task_of_node):
        task = tasks[position]
        if task.actual_start is None:
            start_floor[node] = max(start_floor[node], base)
            continue
        start_floor[node] = task.actual_start
        if task.actual_finish is not None:
            durations[node] = task.actual_finish - task.actual_start
            fixed[node] = True
            continue
        resume = task.actual_start if status_date is None else max(status_date, task.actual_start)
        planned_remaining = (
            task.remaining
            if task.remaining is not None
            else max(0, task.duration - (resume - task.actual_start))
        )
        sampled = durations[node]
        if isinstance(sampled, np.ndarray) and task.duration > 0:
            remaining: Durations = np.rint(sampled * (planned_remaining / task.duration)).astype(
                np.int64
            )
        else:
            remaining = planned_remaining
        durations[node] = (resume - task.actual_start) + remaining
        fixed[node] = False
    return fixed


def _narrowest(
    network: Network,
    durations: list[Durations],
    start_floor: list[int],
    deadline: dict[int, int],
    must_start: dict[int, int],
) -> type[np.signedinteger[Any]]:
    """Return int32 when no date of any run can leave its range, else int64.

    Half the bytes per task per run halves the memory traffic of the passes. No start or finish
    can lie further from 0 than the largest bound plus every duration and every lag in a row.
    """
    reach = max(map(abs, [*start_floor, *deadline.values(), *must_start.values()]), default=0)
    reach += sum(int(np.abs(d).max()) if isinstance(d, np.ndarray) else abs(d) for d in durations)
    reach += int(np.abs(network.graph.link_lag).sum())
    return np.int32 if reach < 1 << 29 else np.int64


def _constraint_bounds(network: Network) -> tuple[list[int], dict[int, int], dict[int, int]]:
    """Return each node's earliest start, the FNLT latest finishes and the MSO latest starts."""
    tasks = network.tasks
    start_floor = [0] * len(network.graph.task_of_node)
    deadline: dict[int, int] = {}
    must_start: dict[int, int] = {}
    for node, position in enumerate(network.graph.task_of_node):
        task = tasks[position]
        constraint = task.constraint
        if constraint is None:
            continue
        if constraint.kind is ConstraintKind.FNLT:
            deadline[node] = constraint.offset
            continue
        start_floor[node] = max(0, constraint.offset)
        if constraint.kind is ConstraintKind.MSO:
            must_start[node] = constraint.offset
    return start_floor, deadline, must_start


def _percentiles(values: IntArray) -> Percentiles:
    """Return P50/P80/P95 as offsets that occurred in some run."""
    p50, p80, p95 = np.percentile(values, [50, 80, 95], method="inverted_cdf")
    return Percentiles(int(p50), int(p80), int(p95))
