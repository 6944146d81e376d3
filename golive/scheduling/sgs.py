"""The serial schedule-generation scheme behind resource leveling, on an integer time grid.

``leveling`` compiles a network into a ``Problem`` over the tasks that may move (the *free*
jobs); everything that may not move (started and finished tasks, must-start-on tasks, resource
time off) is folded into per-resource ``background`` usage, start floors and start ceilings.
This module knows nothing about tasks, calendars or ids: only jobs, links and resources.

A link ``(p, s, delta)`` means ``start(s) >= start(p) + delta``; every FS/SS/FF/SF link with a
lag reduces to this form once durations are known (``delta`` may be negative).
"""

from __future__ import annotations

import heapq
import random
import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

_MIN_TIME = -(2**62)


@dataclass(frozen=True)
class Problem:
    """A resource-constrained scheduling problem over jobs ``0 .. n-1`` on an integer grid.

    ``demands[j]`` lists ``(resource, units)`` pairs with ``0 < units <= capacity``;
    ``background[r]`` lists fixed ``(start, end, units)`` usage of resource ``r`` (time off is
    usage at full capacity). ``ceiling[j]`` is the latest allowed start or None.
    """

    duration: Sequence[int]
    floor: Sequence[int]
    ceiling: Sequence[int | None]
    demands: Sequence[Sequence[tuple[int, int]]]
    links: Sequence[tuple[int, int, int]]
    capacity: Sequence[int]
    background: Sequence[Sequence[tuple[int, int, int]]]

    @property
    def size(self) -> int:
        """Return the number of jobs."""
        return len(self.duration)


@dataclass(frozen=True)
class Violation:
    """A job the scheme could only place after its ceiling, and the resource that pushed it."""

    job: int
    start: int
    ceiling: int
    culprit_job: int
    resource: int


@dataclass(frozen=True)
class SgsResult:
    """Starts per job, and the first ceiling the scheme could not meet (None when all met)."""

    starts: list[int]
    violation: Violation | None


class Profile:
    """Piecewise-constant usage of one resource: ``values[i]`` holds on [times[i], times[i+1])."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.times: list[int] = [_MIN_TIME]
        self.values: list[int] = [0]

    def _split(self, time: int) -> int:
        times = self.times
        i = bisect_right(times, time) - 1
        if times[i] != time:
            i += 1
            times.insert(i, time)
            self.values.insert(i, self.values[i - 1])
        return i

    def add(self, start: int, end: int, units: int) -> None:
        """Add ``units`` of usage over [start, end)."""
        if end <= start or units == 0:
            return
        first = self._split(start)
        last = self._split(end)
        values = self.values
        for i in range(first, last):
            values[i] += units

    def conflict_end(self, start: int, end: int, units: int) -> int | None:
        """Return the end of the first segment in [start, end) where ``units`` do not fit."""
        times, values = self.times, self.values
        limit = self.capacity - units
        i = bisect_right(times, start) - 1
        count = len(times)
        while i < count and times[i] < end:
            if values[i] > limit:
                # The last segment is unbounded with no usage, so a conflict is never the last.
                return times[i + 1]
            i += 1
        return None


def _profiles(problem: Problem) -> list[Profile]:
    profiles = [Profile(capacity) for capacity in problem.capacity]
    for resource, usage in enumerate(problem.background):
        for start, end, units in usage:
            profiles[resource].add(start, end, units)
    return profiles


def serial_sgs(problem: Problem, priority: Sequence[tuple[int, ...]]) -> SgsResult:
    """Schedule every job as early as precedences and resources allow, in priority order.

    Among the jobs whose predecessors are all placed, the one with the smallest ``priority``
    key goes next (a key should end with the job index to keep ties deterministic). A job the
    resources push past its ceiling is still placed; the first such job is reported.
    """
    size = problem.size
    succs: list[list[tuple[int, int]]] = [[] for _ in range(size)]
    indegree = [0] * size
    for pred, succ, delta in problem.links:
        succs[pred].append((succ, delta))
        indegree[succ] += 1
    earliest = list(problem.floor)
    # Which (job, resource) conflict last delayed each job, directly or through a predecessor.
    blame: list[tuple[int, int] | None] = [None] * size
    profiles = _profiles(problem)
    starts = [0] * size
    violation: Violation | None = None
    ready = [(priority[j], j) for j in range(size) if not indegree[j]]
    heapq.heapify(ready)
    while ready:
        _, job = heapq.heappop(ready)
        start = earliest[job]
        duration = problem.duration[job]
        demands = problem.demands[job]
        if duration > 0 and demands:
            moved = True
            while moved:
                moved = False
                for resource, units in demands:
                    end = profiles[resource].conflict_end(start, start + duration, units)
                    if end is not None:
                        start = end
                        blame[job] = (job, resource)
                        moved = True
                        break
            for resource, units in demands:
                profiles[resource].add(start, start + duration, units)
        starts[job] = start
        ceiling = problem.ceiling[job]
        if violation is None and ceiling is not None and start > ceiling:
            culprit = blame[job]
            violation = Violation(
                job=job,
                start=start,
                ceiling=ceiling,
                culprit_job=culprit[0] if culprit else job,
                resource=culprit[1] if culprit else -1,
            )
        for succ, delta in succs[job]:
            bound = start + delta
            if bound > earliest[succ]:
                earliest[succ] = bound
                blame[succ] = blame[job]
            indegree[succ] -= 1
            if not indegree[succ]:
                heapq.heappush(ready, (priority[succ], succ))
    return SgsResult(starts=starts, violation=violation)


def makespan(problem: Problem, starts: Sequence[int]) -> int:
    """Return the latest finish of the jobs (0 without jobs)."""
    return max((s + d for s, d in zip(starts, problem.duration, strict=True)), default=0)


def justify(problem: Problem, starts: Sequence[int], rounds: int = 2) -> list[int]:
    """Improve a schedule by forward-backward improvement (double justification).

    Each round shifts every job as late as possible within the current makespan, latest
    finishing job first, then rebuilds the schedule with the serial scheme, earliest late start
    first. Only the rebuilt schedules are kept (they respect every link, resource and floor by
    construction), and only while they are no longer than the best so far and meet every
    ceiling; the right-shifted one merely supplies the order.
    """
    best = list(starts)
    best_span = makespan(problem, best)
    size = problem.size
    if size == 0:
        return best
    preds: list[list[tuple[int, int]]] = [[] for _ in range(size)]
    succs: list[list[tuple[int, int]]] = [[] for _ in range(size)]
    for pred, succ, delta in problem.links:
        preds[succ].append((pred, delta))
        succs[pred].append((succ, delta))
    for _ in range(rounds):
        late = _right_shift(problem, best, best_span, succs)
        # Forward again: the earliest-starting job first, keys break ties by index.
        order = sorted(range(size), key=lambda j: (late[j], j))
        position = [0] * size
        for rank, job in enumerate(order):
            position[job] = rank
        result = serial_sgs(problem, [(position[j],) for j in range(size)])
        if result.violation is not None:
            break
        span = makespan(problem, result.starts)
        if span > best_span:
            break
        improved = span < best_span
        best, best_span = result.starts, span
        if not improved:
            break
    return best


def _right_shift(
    problem: Problem,
    starts: Sequence[int],
    span: int,
    succs: Sequence[Sequence[tuple[int, int]]],
) -> list[int]:
    """Return the starts with every job as late as possible within ``span``, as an order.

    Jobs go latest finish first. Each job starts at the latest time that keeps its links to the
    successors, its ceiling and the makespan, and fits the resources (a mirrored search). Links
    to successors not yet moved use their current start, so the result need not be a valid
    schedule; the caller only sorts by it.
    """
    size = problem.size
    duration = problem.duration
    order = sorted(range(size), key=lambda j: (-(starts[j] + duration[j]), -j))
    # Mirror time: a job at [s, e) becomes [-e, -s); then "as late as possible" is "as early".
    mirrored = Problem(
        duration=duration,
        floor=[0] * size,
        ceiling=[None] * size,
        demands=problem.demands,
        links=(),
        capacity=problem.capacity,
        background=[[(-e, -s, u) for s, e, u in usage] for usage in problem.background],
    )
    profiles = _profiles(mirrored)
    late = [0] * size
    placed = [False] * size
    for job in order:
        latest = span - duration[job]
        ceiling = problem.ceiling[job]
        if ceiling is not None and ceiling < latest:
            latest = ceiling
        for succ, delta in succs[job]:
            # A successor not yet moved finishes no later than this job: use where it is.
            bound = (late[succ] if placed[succ] else starts[succ]) - delta
            if bound < latest:
                latest = bound
        mirrored_start = -(latest + duration[job])
        d = duration[job]
        demands = problem.demands[job]
        if d > 0 and demands:
            moved = True
            while moved:
                moved = False
                for resource, units in demands:
                    end = profiles[resource].conflict_end(mirrored_start, mirrored_start + d, units)
                    if end is not None:
                        mirrored_start = end
                        moved = True
                        break
            for resource, units in demands:
                profiles[resource].add(mirrored_start, mirrored_start + d, units)
        late[job] = -mirrored_start - d
        placed[job] = True
    return late


def improve(
    problem: Problem,
    priority: Sequence[tuple[int, ...]],
    starts: Sequence[int],
    *,
    seconds: float,
    seed: int,
    lower_bound: int = 0,
    patience: int = 200,
    population: int = 24,
) -> list[int]:
    """Search for a shorter schedule than ``starts`` for ``seconds``: a genetic algorithm.

    Individuals are activity lists decoded by the serial scheme and justified (the list then
    takes the justified start order). The first population is ``starts`` plus the priority
    rule's keys with random noise; each child takes a two-point crossover of two tournament
    winners and swaps neighbours with a small probability; the best ``population`` survive.
    Only schedules that meet every ceiling count. Stop early at ``lower_bound`` or after
    ``patience`` children without a shorter schedule.
    """
    rng = random.Random(seed)  # noqa: S311 - a search heuristic, not cryptography
    size = problem.size
    best = list(starts)
    if size < 2 or seconds <= 0:
        return best
    deadline = time.perf_counter() + seconds
    first_keys = [key[0] for key in priority]
    spread = max(1, max(first_keys) - min(first_keys))

    def decode(order: Sequence[int]) -> tuple[int, list[int], list[int]] | None:
        rank = [0] * size
        for position, job in enumerate(order):
            rank[job] = position
        result = serial_sgs(problem, [(rank[j],) for j in range(size)])
        if result.violation is not None:
            return None
        justified = justify(problem, result.starts)
        return (
            makespan(problem, justified),
            sorted(range(size), key=lambda j: (justified[j], j)),
            justified,
        )

    pool = [(makespan(problem, best), sorted(range(size), key=lambda j: (best[j], j)), best)]
    for _ in range(population - 1):
        if time.perf_counter() > deadline:
            break
        keys = [first_keys[j] + rng.uniform(0, 0.25 * spread) for j in range(size)]
        member = decode(sorted(range(size), key=keys.__getitem__))
        if member is not None:
            pool.append(member)
    pool.sort(key=lambda member: member[0])
    best_span = pool[0][0]
    stale = 0
    while best_span > lower_bound and stale < patience and time.perf_counter() < deadline:
        stale += 1
        mother = min(rng.sample(pool, 2) if len(pool) > 1 else pool, key=lambda m: m[0])[1]
        father = min(rng.sample(pool, 2) if len(pool) > 1 else pool, key=lambda m: m[0])[1]
        cut, end = sorted(rng.sample(range(size + 1), 2))
        child = list(mother[:cut])
        taken = set(child)
        for job in father:
            if len(child) >= end:
                break
            if job not in taken:
                child.append(job)
                taken.add(job)
        child.extend(job for job in mother if job not in taken)
        for i in range(size - 1):
            if rng.random() < 0.05:
                child[i], child[i + 1] = child[i + 1], child[i]
        member = decode(child)
        if member is None:
            continue
        if member[0] < best_span:
            best_span = member[0]
            stale = 0
        pool.append(member)
        pool.sort(key=lambda m: m[0])
        del pool[population:]
    return pool[0][2]
