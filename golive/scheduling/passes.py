"""The passes behind ``cpm.schedule``: inputs per node, Kahn's order, forward and backward pass.

The link semantics, progress and constraint rules are those documented in ``cpm``. There are two
implementations of the passes with the same results, chosen by the shape of the network:

* Plain Python over per-node link lists, for small networks and for deep, narrow ones (a long
  chain has one node per wave, and per-wave NumPy calls would cost more than they save).
* NumPy, one wave at a time. Kahn's algorithm releases the nodes in waves: wave 0 holds the
  nodes without predecessors, wave k+1 the nodes whose last predecessor was in wave k. Every link
  runs from an earlier wave to a later one, so the forward pass can settle a whole wave with a
  few array operations once the waves before it are done, and the backward pass likewise in
  reverse. Waves are found with the same FIFO order as the Python version (the queue seeded in
  insertion order), so both report the same first failing constraint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import islice
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from golive.scheduling.errors import ConstraintError
from golive.scheduling.network import ConstraintKind, Graph, Link, Network, Task

NOT_STARTED, IN_PROGRESS, COMPLETE = 0, 1, 2

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Below this many nodes NumPy's per-call overhead outweighs what it saves.
_NUMPY_MIN_NODES = 2_000
# Kahn's waves continue in Python once they average fewer nodes than this (checked after a
# few waves): per-wave NumPy work costs tens of microseconds, a Python node well under one.
_NUMPY_MIN_WAVE = 48
_NUMPY_TRIAL_WAVES = 16

_duration = attrgetter("duration")
_constraint = attrgetter("constraint")
_actual_start = attrgetter("actual_start")


@dataclass(frozen=True)
class Inputs:
    """Per-node scheduling inputs derived from the tasks, progress and status date.

    ``special`` lists the nodes with a constraint or progress, in node order; every other node
    is not started, with ``start_floor`` the status date (or 0) and no bounds.
    """

    state: list[int]
    duration: list[int]
    start_floor: list[int]
    finish_floor: list[int]
    must_start: list[int | None]
    deadline: list[int | None]
    special: list[int]
    base: int


def inputs(network: Network, status_date: int | None) -> Inputs:
    """Return the per-node inputs of ``network`` scheduled at ``status_date``."""
    tasks = network.tasks
    task_of_node = network.graph.task_of_node
    leaves = tasks if len(task_of_node) == len(tasks) else [tasks[p] for p in task_of_node]
    size = len(leaves)
    base = max(0, status_date) if status_date is not None else 0
    state = [NOT_STARTED] * size
    duration = list(map(_duration, leaves))
    start_floor = [base] * size
    finish_floor = [0] * size
    must_start: list[int | None] = [None] * size
    deadline: list[int | None] = [None] * size
    # A finished task has an actual start too (Network enforces it).
    constraints = list(map(_constraint, leaves))
    starts = list(map(_actual_start, leaves))
    special: list[int] = []
    if constraints.count(None) < size or starts.count(None) < size:
        special = [
            node
            for node, (constraint, start) in enumerate(zip(constraints, starts, strict=True))
            if constraint is not None or start is not None
        ]
    for node in special:
        task = leaves[node]
        if task.actual_finish is not None and task.actual_start is not None:
            state[node] = COMPLETE
            start_floor[node] = task.actual_start
            finish_floor[node] = task.actual_finish
            continue
        constraint = task.constraint
        if constraint is not None and constraint.kind is ConstraintKind.FNLT:
            deadline[node] = constraint.offset
        if task.actual_start is not None:
            state[node] = IN_PROGRESS
            start_floor[node] = task.actual_start
            finish_floor[node] = _remaining_finish(task, task.actual_start, status_date)
            continue
        floor = base
        if constraint is not None and constraint.kind is not ConstraintKind.FNLT:
            floor = max(floor, constraint.offset)
            if constraint.kind is ConstraintKind.MSO:
                must_start[node] = constraint.offset
        start_floor[node] = floor
    return Inputs(state, duration, start_floor, finish_floor, must_start, deadline, special, base)


def _remaining_finish(task: Task, actual_start: int, status_date: int | None) -> int:
    """Return the earliest finish of a started task's remaining work."""
    resume = actual_start if status_date is None else max(status_date, actual_start)
    remaining = task.remaining
    if remaining is None:
        remaining = max(0, task.duration - (resume - actual_start))
    return resume + remaining


@dataclass(frozen=True)
class Order:
    """Kahn's topological order of the leaf nodes.

    ``waves`` holds the position in ``order`` where each wave starts, plus ``len(order)``, when
    the waves were found with NumPy (the passes then run with NumPy too); it is None when the
    order was found in Python. On a cycle, ``order`` lacks the nodes on or after the cycle and
    ``indegree`` counts each node's predecessors that were never released.
    """

    order: list[int]
    waves: list[int] | None
    indegree: list[int]

    @property
    def complete(self) -> bool:
        """Return True when every node was released (there is no cycle)."""
        return len(self.order) == len(self.indegree)


def kahn(graph: Graph) -> Order:
    """Return the nodes of ``graph`` in Kahn's FIFO order, seeded in insertion order."""
    size = len(graph.task_of_node)
    if size < _NUMPY_MIN_NODES:
        counts = [len(incoming) for incoming in graph.preds]
        return _kahn_python(graph, [node for node, n in enumerate(counts) if not n], 0, counts)
    links = graph.link_count
    # Successor lists in insertion order: sort by source, ties by link number.
    by_source = np.argsort(graph.link_from * max(links, 1) + np.arange(links))
    succ = graph.link_to[by_source]
    out_degree = np.bincount(graph.link_from, minlength=size)
    start_of = np.zeros(size + 1, np.int64)
    np.cumsum(out_degree, out=start_of[1:])
    indegree = np.bincount(graph.link_to, minlength=size)
    # The step at which each node last lost a predecessor; steps count links over all waves.
    last_step = np.full(size, -1, np.int64)
    steps = np.arange(links)
    step = 0
    frontier = np.flatnonzero(indegree == 0)
    pieces: list[IntArray] = []
    waves = [0]
    released = 0
    while frontier.size:
        pieces.append(frontier)
        released += frontier.size
        waves.append(released)
        if len(waves) > _NUMPY_TRIAL_WAVES and released < _NUMPY_MIN_WAVE * len(waves):
            order = np.concatenate(pieces).tolist()
            return _kahn_python(graph, order, released - frontier.size, indegree.tolist())
        lengths = out_degree[frontier]
        ends = np.cumsum(lengths)
        total = int(ends[-1])
        if not total:
            break
        # The frontier's successor lists, concatenated: the order in which the Python loop
        # would decrement them. A node joins the queue at its last decrement.
        wave_steps = steps[step : step + total]
        targets = succ[
            wave_steps + np.repeat(start_of[frontier] - (ends - lengths) - step, lengths)
        ]
        np.subtract.at(indegree, targets, 1)
        np.maximum.at(last_step, targets, wave_steps)
        joins = (indegree[targets] == 0) & (last_step[targets] == wave_steps)
        frontier = targets[joins]
        step += total
    order = np.concatenate(pieces).tolist() if pieces else []
    return Order(order, waves, indegree.tolist())


def _kahn_python(graph: Graph, order: list[int], start: int, indegree: list[int]) -> Order:
    """Continue Kahn's algorithm in Python from ``order[start:]`` (the queue) onwards."""
    succs = graph.succs
    # The order list doubles as Kahn's FIFO queue: iterating a list sees the items appended to
    # it during the loop, so each released node is visited in turn.
    for node in islice(order, start, None):
        for successor in succs[node]:
            indegree[successor] -= 1
            if not indegree[successor]:
                order.append(successor)
    return Order(order, None, indegree)


@dataclass(frozen=True)
class Passes:
    """Per-node results of the passes, indexed by node, and the project finish."""

    early_start: list[int]
    early_finish: list[int]
    late_finish: list[int]
    span: list[int]
    total_float: list[int]
    free_float: list[int]
    critical: list[bool]
    finish: int
    incoming: Callable[[int], Sequence[Link]]
    """Return the links into a node in insertion order (links no pass reads may be left out)."""
    has_successors: Callable[[int], bool]


def passes(network: Network, order: Order, given: Inputs) -> Passes:
    """Run the forward and backward pass; raise ConstraintError for an unmet constraint."""
    if order.waves is None:
        return _python_passes(network, order.order, given)
    return _numpy_passes(network, order.order, order.waves, given)


def _python_passes(network: Network, order: list[int], given: Inputs) -> Passes:
    preds = network.graph.preds
    state = given.state
    size = len(order)
    early_start, early_finish = _python_forward(network, order, given)
    finish = max(early_finish, default=0)
    span = [f - s for s, f in zip(early_start, early_finish, strict=True)]

    late_finish = [finish] * size
    for node, (must, due) in enumerate(zip(given.must_start, given.deadline, strict=True)):
        if due is not None and due < late_finish[node]:
            late_finish[node] = due
        if must is not None and must + span[node] < late_finish[node]:
            late_finish[node] = must + span[node]
    # Start from the slack to the project finish, so a task without successors keeps it.
    free_float = [finish - ef for ef in early_finish]
    for node in reversed(order):
        node_state = state[node]
        if node_state == COMPLETE:
            late_finish[node] = early_finish[node]
            continue
        lf = late_finish[node]
        ls = lf - span[node]
        es, ef = early_start[node], early_finish[node]
        for pred, from_finish, to_finish, lag in preds[node]:
            if to_finish:
                bound = lf - lag
                slack = ef - lag
            elif node_state == IN_PROGRESS:
                continue
            else:
                bound = ls - lag
                slack = es - lag
            if from_finish:
                slack -= early_finish[pred]
            else:
                bound += span[pred]
                slack -= early_start[pred]
            if bound < late_finish[pred]:
                late_finish[pred] = bound
            if slack < free_float[pred]:
                free_float[pred] = slack

    total_float = [lf - ef for lf, ef in zip(late_finish, early_finish, strict=True)]
    free_float = [ff if ff < tf else tf for ff, tf in zip(free_float, total_float, strict=True)]
    critical = [s != COMPLETE and tf <= 0 for s, tf in zip(state, total_float, strict=True)]
    succs = network.graph.succs
    return Passes(
        early_start,
        early_finish,
        late_finish,
        span,
        total_float,
        free_float,
        critical,
        finish,
        incoming=preds.__getitem__,
        has_successors=lambda node: bool(succs[node]),
    )


def _python_forward(
    network: Network, order: list[int], given: Inputs
) -> tuple[list[int], list[int]]:
    """Return early starts and finishes; raise ConstraintError for an unmet SNET/MSO/FNLT."""
    preds = network.graph.preds
    state, duration = given.state, given.duration
    start_floor, finish_floor = given.start_floor, given.finish_floor
    must_start, deadline = given.must_start, given.deadline
    size = len(order)
    early_start = [0] * size
    early_finish = [0] * size
    for node in order:
        node_state = state[node]
        if node_state == NOT_STARTED:
            d = duration[node]
            start = start_floor[node]
            for pred, from_finish, to_finish, lag in preds[node]:
                bound = (early_finish[pred] if from_finish else early_start[pred]) + lag
                if to_finish:
                    bound -= d
                if bound > start:
                    start = bound
            must = must_start[node]
            if must is not None and start != must:
                raise ConstraintError(
                    _task_id(network, node),
                    f"must start on {must} but cannot start before {start}",
                )
            early_start[node] = start
            early_finish[node] = start + d
        elif node_state == IN_PROGRESS:
            end = finish_floor[node]
            for pred, from_finish, to_finish, lag in preds[node]:
                if to_finish:
                    bound = (early_finish[pred] if from_finish else early_start[pred]) + lag
                    if bound > end:
                        end = bound
            early_start[node] = start_floor[node]
            early_finish[node] = end
        else:
            early_start[node] = start_floor[node]
            early_finish[node] = finish_floor[node]
        due = deadline[node]
        if due is not None and early_finish[node] > due:
            raise ConstraintError(
                _task_id(network, node),
                f"must finish no later than {due} but cannot finish before {early_finish[node]}",
            )
    return early_start, early_finish


def _numpy_passes(network: Network, order: list[int], waves: list[int], given: Inputs) -> Passes:
    graph = network.graph
    size = len(order)
    by_rank = np.asarray(order, np.int64)
    rank = np.empty(size, np.int64)
    rank[by_rank] = np.arange(size)
    special = given.special
    state = np.zeros(size, np.int8)
    start_floor = np.full(size, given.base, np.int64)
    finish_floor = np.zeros(size, np.int64)
    if special:
        state[special] = [given.state[node] for node in special]
        start_floor[special] = [given.start_floor[node] for node in special]
        finish_floor[special] = [given.finish_floor[node] for node in special]
    duration = np.asarray(given.duration, np.int64)
    must, has_must, due, has_due = _bounds(given)
    progress = bool(np.any(state != NOT_STARTED))
    not_started = state == NOT_STARTED
    in_progress = state == IN_PROGRESS
    source, target = graph.link_from, graph.link_to
    from_finish, to_finish, lag = graph.link_from_finish, graph.link_to_finish, graph.link_lag
    target_state = state[target]

    # Forward: K is a node's early start when it has not started, its early finish when it is
    # in progress (only finish-side links can still push it); finished nodes take no links.
    # A link's bound is T[its source column] + adjust, T holding early starts in [0, n) and
    # early finishes in [n, 2n), by rank.
    column = rank[source] + size * from_finish
    key = rank[target]
    if progress:
        active = (target_state == NOT_STARTED) | ((target_state == IN_PROGRESS) & to_finish)
        adjust = lag - np.where(to_finish & (target_state == NOT_STARTED), duration[target], 0)
        column, key, adjust = column[active], key[active], adjust[active]
    else:
        adjust = lag - duration[target] * to_finish
    by_key = np.argsort(key.astype(np.int32))
    column, key, adjust = column[by_key], key[by_key], adjust[by_key]
    live_links = np.flatnonzero(active)[by_key] if progress else by_key
    link_waves = np.searchsorted(key, waves).tolist()
    k = np.where(in_progress, finish_floor, start_floor)[by_rank]
    early = np.empty(2 * size, np.int64)
    duration_r = duration[by_rank]
    if progress:
        start_r, finish_r = start_floor[by_rank], finish_floor[by_rank]
        not_started_r, in_progress_r = not_started[by_rank], in_progress[by_rank]
    for wave in range(len(waves) - 1):
        low, high = waves[wave], waves[wave + 1]
        first, last = link_waves[wave], link_waves[wave + 1]
        if first < last:
            np.maximum.at(k, key[first:last], early[column[first:last]] + adjust[first:last])
        settled = k[low:high]
        if not progress:
            early[low:high] = settled
            np.add(settled, duration_r[low:high], out=early[size + low : size + high])
            continue
        ns = not_started_r[low:high]
        early[low:high] = np.where(ns, settled, start_r[low:high])
        early[size + low : size + high] = np.where(
            ns,
            settled + duration_r[low:high],
            np.where(in_progress_r[low:high], settled, finish_r[low:high]),
        )
    early_start = np.empty(size, np.int64)
    early_finish = np.empty(size, np.int64)
    early_start[by_rank] = early[:size]
    early_finish[by_rank] = early[size:]
    _check_constraints(network, rank, early_start, early_finish, must, has_must, due, has_due)

    finish = int(early_finish.max()) if size else 0
    span = early_finish - early_start
    late_finish = np.full(size, finish, np.int64)
    np.minimum(late_finish, np.where(has_due, due, finish), out=late_finish)
    np.minimum(late_finish, np.where(has_must, must + span, finish), out=late_finish)

    # Backward: a link pushes its source's late finish to the target's late finish plus a
    # constant; links into finished nodes, and start-side links into started ones, are history.
    live_source, live_target = source, target
    live_from_finish, live_to_finish, live_lag = from_finish, to_finish, lag
    if progress:
        live_source, live_target = source[active], target[active]
        live_from_finish, live_to_finish = from_finish[active], to_finish[active]
        live_lag = lag[active]
    shift = (
        np.where(live_from_finish, 0, span[live_source])
        - np.where(live_to_finish, 0, span[live_target])
        - live_lag
    )
    back_key = rank[live_source]
    by_back = np.argsort(back_key.astype(np.int32))
    back_key, back_target, shift = back_key[by_back], rank[live_target][by_back], shift[by_back]
    back_waves = np.searchsorted(back_key, waves).tolist()
    late = late_finish[by_rank]
    for wave in range(len(waves) - 2, -1, -1):
        first, last = back_waves[wave], back_waves[wave + 1]
        if first < last:
            np.minimum.at(
                late, back_key[first:last], late[back_target[first:last]] + shift[first:last]
            )
    late_finish[by_rank] = late
    complete = state == COMPLETE
    late_finish[complete] = early_finish[complete]

    # Free float: the smallest slack on the live links out of a node, in the early schedule.
    free_float = finish - early_finish
    slack = (
        np.where(live_to_finish, early_finish[live_target], early_start[live_target])
        - live_lag
        - np.where(live_from_finish, early_finish[live_source], early_start[live_source])
    )
    np.minimum.at(free_float, live_source, slack)
    total_float = late_finish - early_finish
    np.minimum(free_float, total_float, out=free_float)
    critical = ~complete & (total_float <= 0)
    successors = np.bincount(source, minlength=size).tolist()

    def incoming(node: int) -> list[Link]:
        into = int(rank[node])
        numbers = np.sort(live_links[np.searchsorted(key, into) : np.searchsorted(key, into + 1)])
        return list(
            zip(
                source[numbers].tolist(),
                from_finish[numbers].tolist(),
                to_finish[numbers].tolist(),
                lag[numbers].tolist(),
                strict=True,
            )
        )

    return Passes(
        early_start.tolist(),
        early_finish.tolist(),
        late_finish.tolist(),
        span.tolist(),
        total_float.tolist(),
        free_float.tolist(),
        critical.tolist(),
        finish,
        incoming=incoming,
        has_successors=lambda node: successors[node] > 0,
    )


def _bounds(given: Inputs) -> tuple[IntArray, BoolArray, IntArray, BoolArray]:
    """Return the must-start and deadline offsets as arrays with masks of where they are set."""
    size = len(given.state)
    must = np.zeros(size, np.int64)
    due = np.zeros(size, np.int64)
    has_must = np.zeros(size, np.bool_)
    has_due = np.zeros(size, np.bool_)
    for node in given.special:
        must_start, deadline = given.must_start[node], given.deadline[node]
        if must_start is not None:
            must[node], has_must[node] = must_start, True
        if deadline is not None:
            due[node], has_due[node] = deadline, True
    return must, has_must, due, has_due


def _check_constraints(
    network: Network,
    rank: IntArray,
    early_start: IntArray,
    early_finish: IntArray,
    must: IntArray,
    has_must: BoolArray,
    due: IntArray,
    has_due: BoolArray,
) -> None:
    """Raise the ConstraintError the Python pass would: for the earliest failing node."""
    missed_start = has_must & (early_start != must)
    missed_finish = has_due & (early_finish > due)
    failing = np.flatnonzero(missed_start | missed_finish)
    if not failing.size:
        return
    node = int(failing[np.argmin(rank[failing])])
    if missed_start[node]:
        raise ConstraintError(
            _task_id(network, node),
            f"must start on {must[node]} but cannot start before {early_start[node]}",
        )
    raise ConstraintError(
        _task_id(network, node),
        f"must finish no later than {due[node]} but cannot finish before {early_finish[node]}",
    )


def _task_id(network: Network, node: int) -> str:
    return network.tasks[network.graph.task_of_node[node]].id
