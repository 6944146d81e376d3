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
from dataclasses import dataclass, field
from functools import cached_property, partial
from itertools import islice
from operator import attrgetter
from typing import Any

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
class Special:
    """The inputs of a node with a constraint or progress."""

    state: int
    start_floor: int
    finish_floor: int = 0
    must_start: int | None = None
    deadline: int | None = None


@dataclass(frozen=True)
class Inputs:
    """Per-node scheduling inputs derived from the tasks, progress and status date.

    ``special`` maps the nodes with a constraint or progress to their inputs, in node order;
    every other node is not started, may start at ``base`` (the status date, or 0) and has no
    bounds.
    """

    duration: IntArray
    base: int
    special: dict[int, Special]

    def state_of(self, node: int) -> int:
        """Return the node's progress state."""
        found = self.special.get(node)
        return NOT_STARTED if found is None else found.state

    def columns(
        self,
    ) -> tuple[list[int], list[int], list[int], list[int | None], list[int | None]]:
        """Return state, start floor, finish floor, must-start and deadline of every node."""
        size = len(self.duration)
        state = [NOT_STARTED] * size
        start_floor = [self.base] * size
        finish_floor = [0] * size
        must_start: list[int | None] = [None] * size
        deadline: list[int | None] = [None] * size
        for node, found in self.special.items():
            state[node] = found.state
            start_floor[node] = found.start_floor
            finish_floor[node] = found.finish_floor
            must_start[node] = found.must_start
            deadline[node] = found.deadline
        return state, start_floor, finish_floor, must_start, deadline


def inputs(network: Network, status_date: int | None) -> Inputs:
    """Return the per-node inputs of ``network`` scheduled at ``status_date``."""
    tasks = network.tasks
    task_of_node = network.graph.task_of_node
    leaves = tasks if len(task_of_node) == len(tasks) else [tasks[p] for p in task_of_node]
    size = len(leaves)
    base = max(0, status_date) if status_date is not None else 0
    # A finished task has an actual start too (Network enforces it).
    constraints = list(map(_constraint, leaves))
    starts = list(map(_actual_start, leaves))
    special: dict[int, Special] = {}
    if constraints.count(None) == size and starts.count(None) == size:
        return Inputs(np.fromiter(map(_duration, leaves), np.int64, size), base, special)
    for node, (constraint, start) in enumerate(zip(constraints, starts, strict=True)):
        if constraint is None and start is None:
            continue
        task = leaves[node]
        if task.actual_finish is not None and task.actual_start is not None:
            special[node] = Special(COMPLETE, task.actual_start, task.actual_finish)
            continue
        deadline = None
        if constraint is not None and constraint.kind is ConstraintKind.FNLT:
            deadline = constraint.offset
        if task.actual_start is not None:
            finish = _remaining_finish(task, task.actual_start, status_date)
            special[node] = Special(IN_PROGRESS, task.actual_start, finish, deadline=deadline)
            continue
        floor, must_start = base, None
        if constraint is not None and constraint.kind is not ConstraintKind.FNLT:
            floor = max(floor, constraint.offset)
            if constraint.kind is ConstraintKind.MSO:
                must_start = constraint.offset
        special[node] = Special(NOT_STARTED, floor, must_start=must_start, deadline=deadline)
    return Inputs(np.fromiter(map(_duration, leaves), np.int64, size), base, special)


def _remaining_finish(task: Task, actual_start: int, status_date: int | None) -> int:
    """Return the earliest finish of a started task's remaining work."""
    resume = actual_start if status_date is None else max(status_date, actual_start)
    remaining = task.remaining
    if remaining is None:
        remaining = max(0, task.duration - (resume - actual_start))
    return resume + remaining


@dataclass(frozen=True, eq=False)
class Order:
    """Kahn's topological order of the leaf nodes.

    ``nodes`` is the order: an array when the waves were found with NumPy, and then ``waves``
    holds the position where each wave starts, plus ``len(nodes)`` (the passes then run with
    NumPy too); a list with ``waves`` None when the order was found in Python. On a cycle,
    ``nodes`` lacks the nodes on or after the cycle and ``indegree`` counts each node's
    predecessors that were never released.
    """

    nodes: list[int] | IntArray
    waves: list[int] | None
    indegree: list[int] | IntArray

    @cached_property
    def order(self) -> list[int]:
        """Return the order as a list."""
        nodes = self.nodes
        return nodes if isinstance(nodes, list) else nodes.tolist()

    @property
    def complete(self) -> bool:
        """Return True when every node was released (there is no cycle)."""
        return len(self.nodes) == len(self.indegree)

    def unreleased(self) -> list[int]:
        """Return each node's count of predecessors that were never released."""
        counts = self.indegree
        return counts if isinstance(counts, list) else counts.tolist()


def kahn(graph: Graph) -> Order:
    """Return the nodes of ``graph`` in Kahn's FIFO order, seeded in insertion order."""
    size = len(graph.task_of_node)
    if size < _NUMPY_MIN_NODES:
        counts = [len(incoming) for incoming in graph.preds]
        return _kahn_python(graph, [node for node, n in enumerate(counts) if not n], 0, counts)
    links = graph.link_count
    # Successor lists in insertion order.
    by_source = _stable_order(graph.link_from, size)
    succ = graph.link_to[by_source]
    out_degree = graph.out_degree
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
    nodes = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
    return Order(nodes, waves, indegree)


def _stable_order(keys: IntArray, bound: int) -> IntArray:
    """Return the stable sorting order of ``keys`` (all in [0, bound)).

    A least-significant-digit radix sort, 16 bits a pass: NumPy's stable sort of 16-bit keys
    is a radix sort, several times faster than sorting the 64-bit keys themselves.
    """
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while bound > 1 << shift:
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


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
    """Per-node results of the passes, indexed by node, and the project finish.

    The columns are lists from the Python passes and arrays from the NumPy ones; `as_list`
    gives either as a list of Python numbers, converting an array once.
    """

    early_start: list[int] | IntArray
    early_finish: list[int] | IntArray
    late_start: list[int] | IntArray
    late_finish: list[int] | IntArray
    total_float: list[int] | IntArray
    free_float: list[int] | IntArray
    critical: list[bool] | BoolArray
    finish: int
    incoming: Callable[[int], Sequence[Link]]
    """Return the links into a node in insertion order (links no pass reads may be left out)."""
    has_successors: Callable[[int], bool]
    _lists: dict[str, list[Any]] = field(default_factory=dict, repr=False, compare=False)

    def as_list(self, name: str) -> list[Any]:
        """Return the column ``name`` as a list (the same list on every call)."""
        found = self._lists.get(name)
        if found is None:
            column = getattr(self, name)
            found = self._lists[name] = column if isinstance(column, list) else column.tolist()
        return found

    def critical_nodes(self) -> list[int]:
        """Return the critical nodes in node order."""
        if isinstance(self.critical, list):
            return [node for node, critical in enumerate(self.critical) if critical]
        nodes: list[int] = np.flatnonzero(self.critical).tolist()
        return nodes


def passes(network: Network, order: Order, given: Inputs) -> Passes:
    """Run the forward and backward pass; raise ConstraintError for an unmet constraint."""
    if order.waves is None:
        return _python_passes(network, order.order, given)
    return _numpy_passes(network, np.asarray(order.nodes, np.int64), order.waves, given)


def _python_passes(network: Network, order: list[int], given: Inputs) -> Passes:
    preds = network.graph.preds
    state, start_floor, finish_floor, must_start, deadline = given.columns()
    size = len(order)
    early_start, early_finish = _python_forward(
        network,
        order,
        given.duration.tolist(),
        state,
        start_floor,
        finish_floor,
        must_start,
        deadline,
    )
    finish = max(early_finish, default=0)
    span = [f - s for s, f in zip(early_start, early_finish, strict=True)]

    late_finish = [finish] * size
    for node, (must, due) in enumerate(zip(must_start, deadline, strict=True)):
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
        [lf - s for lf, s in zip(late_finish, span, strict=True)],
        late_finish,
        total_float,
        free_float,
        critical,
        finish,
        incoming=preds.__getitem__,
        has_successors=lambda node: bool(succs[node]),
    )


def _python_forward(
    network: Network,
    order: list[int],
    duration: list[int],
    state: list[int],
    start_floor: list[int],
    finish_floor: list[int],
    must_start: list[int | None],
    deadline: list[int | None],
) -> tuple[list[int], list[int]]:
    """Return early starts and finishes; raise ConstraintError for an unmet SNET/MSO/FNLT."""
    preds = network.graph.preds
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


def _numpy_passes(network: Network, by_rank: IntArray, waves: list[int], given: Inputs) -> Passes:
    # Everything runs by rank (position in Kahn's order): a wave is then a slice.
    graph = network.graph
    size = len(by_rank)
    count = len(waves) - 1
    rank = np.empty(size, np.int64)
    rank[by_rank] = np.arange(size)
    wave_of = np.repeat(np.arange(count), np.diff(waves))
    state = np.zeros(size, np.int8)
    start_floor = np.full(size, given.base, np.int64)
    finish_floor = np.zeros(size, np.int64)
    must, has_must = np.zeros(size, np.int64), np.zeros(size, np.bool_)
    due, has_due = np.zeros(size, np.int64), np.zeros(size, np.bool_)
    for node, found in given.special.items():
        at = rank[node]
        state[at] = found.state
        start_floor[at] = found.start_floor
        finish_floor[at] = found.finish_floor
        if found.must_start is not None:
            must[at], has_must[at] = found.must_start, True
        if found.deadline is not None:
            due[at], has_due[at] = found.deadline, True
    duration = given.duration[by_rank]
    progress = bool(state.any())
    not_started = state == NOT_STARTED

    # The links by rank; with progress, only the live ones: links into finished nodes, and
    # start-side links into started ones, are history for both passes.
    source, target = rank[graph.link_from], rank[graph.link_to]
    from_finish, to_finish, lag = graph.link_from_finish, graph.link_to_finish, graph.link_lag
    numbers = np.arange(len(source))
    pushes_start = to_finish
    if progress:
        target_state = state[target]
        live = (target_state == NOT_STARTED) | ((target_state == IN_PROGRESS) & to_finish)
        numbers = np.flatnonzero(live)
        source, target, lag = source[numbers], target[numbers], lag[numbers]
        from_finish, to_finish = from_finish[numbers], to_finish[numbers]
        pushes_start = to_finish & not_started[target]
    # `early` holds the early starts in [0, n) and the early finishes in [n, 2n); a link reads
    # its source's anchor at `column` and bounds its target's at `anchor`.
    column = source + size * from_finish
    anchor = target + size * to_finish

    # Forward: k is a node's early start when it has not started and its early finish when it
    # is in progress (only finish-side links can still push that); finished nodes take no links.
    adjust = lag - duration[target] * pushes_start
    by_target, target_waves = _group_by_wave(wave_of[target], count)
    f_column, f_target, f_adjust = column[by_target], target[by_target], adjust[by_target]
    k = np.where(state == IN_PROGRESS, finish_floor, start_floor)
    early = np.empty(2 * size, np.int64)
    for wave in range(count):
        low, high = waves[wave], waves[wave + 1]
        first, last = target_waves[wave], target_waves[wave + 1]
        if first < last:
            np.maximum.at(
                k, f_target[first:last], early[f_column[first:last]] + f_adjust[first:last]
            )
        settled = k[low:high]
        if not progress:
            early[low:high] = settled
            np.add(settled, duration[low:high], out=early[size + low : size + high])
            continue
        waiting = not_started[low:high]
        early[low:high] = np.where(waiting, settled, start_floor[low:high])
        early[size + low : size + high] = np.where(
            waiting,
            settled + duration[low:high],
            np.where(state[low:high] == IN_PROGRESS, settled, finish_floor[low:high]),
        )
    early_start, early_finish = early[:size], early[size:]
    failing = np.flatnonzero(has_must & (early_start != must) | has_due & (early_finish > due))
    if failing.size:
        # The first in Kahn's order, as the Python pass reports it.
        at = int(failing[0])
        node = int(by_rank[at])
        if has_must[at] and early_start[at] != must[at]:
            detail = f"must start on {must[at]} but cannot start before {early_start[at]}"
        else:
            detail = (
                f"must finish no later than {due[at]} but cannot finish before {early_finish[at]}"
            )
        raise ConstraintError(_task_id(network, node), detail)

    # Backward: a link pushes its source's late finish to its target's plus a constant.
    finish = int(early_finish.max()) if size else 0
    span = early_finish - early_start
    late = np.full(size, finish, np.int64)
    np.minimum(late, np.where(has_due, due, finish), out=late)
    np.minimum(late, np.where(has_must, must + span, finish), out=late)
    shift = span[source] * ~from_finish - span[target] * ~to_finish - lag
    by_source, source_waves = _group_by_wave(wave_of[source], count)
    b_source, b_target, b_shift = source[by_source], target[by_source], shift[by_source]
    for wave in range(count - 1, -1, -1):
        first, last = source_waves[wave], source_waves[wave + 1]
        if first < last:
            np.minimum.at(
                late, b_source[first:last], late[b_target[first:last]] + b_shift[first:last]
            )
    complete = state == COMPLETE
    late[complete] = early_finish[complete]

    # Free float: the smallest slack on the live links out of a node, in the early schedule.
    free_float = finish - early_finish
    np.minimum.at(free_float, source, early[anchor] - lag - early[column])
    total_float = late - early_finish
    np.minimum(free_float, total_float, out=free_float)
    critical = ~complete & (total_float <= 0)

    link_from = graph.link_from
    f_number = numbers[by_target]

    def incoming(node: int) -> list[Link]:
        at = int(rank[node])
        wave = int(wave_of[at])
        group = slice(target_waves[wave], target_waves[wave + 1])
        chosen = np.sort(f_number[group][f_target[group] == at])
        return list(
            zip(
                link_from[chosen].tolist(),
                graph.link_from_finish[chosen].tolist(),
                graph.link_to_finish[chosen].tolist(),
                graph.link_lag[chosen].tolist(),
                strict=True,
            )
        )

    return Passes(
        early_start[rank],
        early_finish[rank],
        (late - span)[rank],
        late[rank],
        total_float[rank],
        free_float[rank],
        critical[rank],
        finish,
        incoming=incoming,
        has_successors=partial(_has_successors, graph),
    )


def _has_successors(graph: Graph, node: int) -> bool:
    """Return True when a link leaves ``node``."""
    return bool(graph.out_degree[node])


def _group_by_wave(wave: IntArray, count: int) -> tuple[IntArray, list[int]]:
    """Return an order of the links grouping them by ``wave``, and where each group starts."""
    order = _stable_order(wave, count)
    starts = np.searchsorted(wave[order], np.arange(count + 1)).tolist()
    return order, starts


def _task_id(network: Network, node: int) -> str:
    return network.tasks[network.graph.task_of_node[node]].id
