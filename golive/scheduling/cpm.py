"""Critical path method: forward and backward pass over a Network on the working-minute axis.

Link semantics (lag ``L``, predecessor ``p``, successor ``s``)::

    FS: start(s)  >= finish(p) + L        SS: start(s)  >= start(p) + L
    FF: finish(s) >= finish(p) + L        SF: finish(s) >= start(p) + L

No task starts before offset 0 (the project start). Constraints: SNET and MSO bound the early
start, FNLT and MSO bound the late finish; a constraint the network cannot meet raises
ConstraintError. The project finish is the latest early finish; every late finish is at most the
project finish (and at most the task's FNLT). Total float = LS - ES. Free float is the smallest
slack on the task's outgoing links in the early schedule, capped by its total float (negative
lags could otherwise give a task more free float than total float); a task without successors
has free float = total float.

Progress, relative to ``status_date`` (what already happened is never rescheduled):

* A task with ``actual_finish`` is fixed at [actual_start, actual_finish]. Links into it are
  history and are ignored; it has no float and is never critical.
* A started task (``actual_start`` only) keeps its actual start. Its remaining work runs from
  ``max(status_date, actual_start)`` (just ``actual_start`` without a status date); ``remaining``
  defaults to the duration minus the elapsed minutes, at least 0. Links that constrain its start
  (FS, SS) are history and ignored; links that constrain its finish (FF, SF) can push it later.
  Its float is measured on the finish: total float = LF - EF, and LS = LF - (EF - ES).
* A task not yet started cannot start before ``status_date``.

Summary tasks roll up their leaf descendants: ES/LS = earliest, EF/LF = latest, total and free
float = the smallest among the leaves, critical when any leaf is. ``critical_path`` and
``critical_tasks`` name leaf tasks only.

The passes run over integer node indices in a topological order found with Kahn's algorithm (a
FIFO queue seeded in insertion order), so the results are deterministic for a given network.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from golive.scheduling.errors import ConstraintError, CycleError
from golive.scheduling.network import ConstraintKind, Graph, Network, Task

_NOT_STARTED, _IN_PROGRESS, _COMPLETE = 0, 1, 2


@dataclass(frozen=True)
class TaskSchedule:
    """The computed dates (offsets) and float (minutes) of one task."""

    early_start: int
    early_finish: int
    late_start: int
    late_finish: int
    total_float: int
    free_float: int
    critical: bool
    near_critical: bool


class TaskSchedules(Mapping[str, TaskSchedule]):
    """A read-only mapping of task id to its TaskSchedule, in the network's task order.

    Entries are built on access: materialising 100,000 frozen dataclasses up front would cost
    more than the passes themselves.
    """

    def __init__(self, network: Network, columns: _Columns, near_critical: int) -> None:
        self._network = network
        self._columns = columns
        self._near_critical = near_critical

    def __getitem__(self, task_id: str) -> TaskSchedule:
        graph = self._network.graph
        position = graph.index[task_id]
        node = graph.node_of_task[position]
        c = self._columns
        if node != -1:
            tf = c.total_float[node]
            return TaskSchedule(
                early_start=c.early_start[node],
                early_finish=c.early_finish[node],
                late_start=c.late_finish[node] - c.span[node],
                late_finish=c.late_finish[node],
                total_float=tf,
                free_float=c.free_float[node],
                critical=c.critical[node],
                near_critical=not c.critical[node] and 0 < tf <= self._near_critical,
            )
        leaves = graph.summary_leaves[position]
        tf = min(c.total_float[n] for n in leaves)
        is_critical = any(c.critical[n] for n in leaves)
        return TaskSchedule(
            early_start=min(c.early_start[n] for n in leaves),
            early_finish=max(c.early_finish[n] for n in leaves),
            late_start=min(c.late_finish[n] - c.span[n] for n in leaves),
            late_finish=max(c.late_finish[n] for n in leaves),
            total_float=tf,
            free_float=min(c.free_float[n] for n in leaves),
            critical=is_critical,
            near_critical=not is_critical and 0 < tf <= self._near_critical,
        )

    def __iter__(self) -> Iterator[str]:
        return (task.id for task in self._network.tasks)

    def __len__(self) -> int:
        return len(self._network.tasks)

    def __repr__(self) -> str:
        return f"TaskSchedules({len(self)} tasks)"


@dataclass(frozen=True)
class _Columns:
    """Per-node results of the passes, indexed by node."""

    early_start: list[int]
    early_finish: list[int]
    late_finish: list[int]
    span: list[int]
    total_float: list[int]
    free_float: list[int]
    critical: list[bool]


@dataclass(frozen=True)
class Schedule:
    """The result of ``schedule()``: per-task dates, the project finish and the critical path."""

    tasks: TaskSchedules
    finish: int
    critical_path: list[str]
    critical_tasks: list[str]


def topological_order(network: Network) -> list[int]:
    """Return the leaf nodes of ``network`` in topological order; raise CycleError on a cycle."""
    graph = network.graph
    succs = graph.succs
    indegree = [len(incoming) for incoming in graph.preds]
    # The order list doubles as Kahn's FIFO queue: iterating a list sees the items appended to
    # it during the loop, so each released node is visited in turn.
    order = [node for node, count in enumerate(indegree) if not count]
    for node in order:
        for successor in succs[node]:
            indegree[successor] -= 1
            if not indegree[successor]:
                order.append(successor)
    if len(order) < len(indegree):
        raise CycleError(_find_cycle(network, indegree))
    return order


def _find_cycle(network: Network, indegree: list[int]) -> list[str]:
    """Return the task ids of one cycle among the nodes Kahn's algorithm could not release."""
    graph = network.graph
    # Every unreleased node has an unreleased predecessor, so walking backwards must loop.
    node = next(n for n, count in enumerate(indegree) if count)
    position_on_walk: dict[int, int] = {}
    walk: list[int] = []
    while node not in position_on_walk:
        position_on_walk[node] = len(walk)
        walk.append(node)
        node = next(link[0] for link in graph.preds[node] if indegree[link[0]])
    cycle = walk[position_on_walk[node] :]
    cycle.reverse()
    first = cycle.index(min(cycle))
    cycle = cycle[first:] + cycle[:first]
    return [network.tasks[graph.task_of_node[n]].id for n in cycle]


@dataclass(frozen=True)
class _Inputs:
    """Per-node scheduling inputs derived from the tasks, progress and status date."""

    state: list[int]
    duration: list[int]
    start_floor: list[int]
    finish_floor: list[int]
    must_start: list[int | None]
    deadline: list[int | None]


def _inputs(network: Network, status_date: int | None) -> _Inputs:
    tasks = network.tasks
    task_of_node = network.graph.task_of_node
    size = len(task_of_node)
    state = [_NOT_STARTED] * size
    duration = [0] * size
    start_floor = [0] * size
    finish_floor = [0] * size
    must_start: list[int | None] = [None] * size
    deadline: list[int | None] = [None] * size
    base = max(0, status_date) if status_date is not None else 0
    for node, position in enumerate(task_of_node):
        task = tasks[position]
        duration[node] = task.duration
        if task.actual_finish is not None and task.actual_start is not None:
            state[node] = _COMPLETE
            start_floor[node] = task.actual_start
            finish_floor[node] = task.actual_finish
            continue
        constraint = task.constraint
        if constraint is not None and constraint.kind is ConstraintKind.FNLT:
            deadline[node] = constraint.offset
        if task.actual_start is not None:
            state[node] = _IN_PROGRESS
            start_floor[node] = task.actual_start
            finish_floor[node] = _remaining_finish(task, task.actual_start, status_date)
            continue
        floor = base
        if constraint is not None and constraint.kind is not ConstraintKind.FNLT:
            floor = max(floor, constraint.offset)
            if constraint.kind is ConstraintKind.MSO:
                must_start[node] = constraint.offset
        start_floor[node] = floor
    return _Inputs(state, duration, start_floor, finish_floor, must_start, deadline)


def _remaining_finish(task: Task, actual_start: int, status_date: int | None) -> int:
    """Return the earliest finish of a started task's remaining work."""
    resume = actual_start if status_date is None else max(status_date, actual_start)
    remaining = task.remaining
    if remaining is None:
        remaining = max(0, task.duration - (resume - actual_start))
    return resume + remaining


def schedule(
    network: Network, *, status_date: int | None = None, near_critical: int = 0
) -> Schedule:
    """Schedule ``network`` and return early/late dates, float and the critical path.

    ``near_critical`` is a threshold in minutes: a task that is not critical but has at most that
    much total float is flagged ``near_critical``. ``status_date`` is an offset; see the module
    docstring for how progress is scheduled around it. Raise CycleError for a dependency cycle
    and ConstraintError for a constraint the network cannot meet.
    """
    graph = network.graph
    tasks = network.tasks
    order = topological_order(network)
    inputs = _inputs(network, status_date)
    state = inputs.state
    preds = graph.preds
    size = len(order)

    early_start, early_finish = _forward(network, order, inputs)
    finish = max(early_finish, default=0)
    span = [f - s for s, f in zip(early_start, early_finish, strict=True)]

    late_finish = [finish] * size
    for node, (must, due) in enumerate(zip(inputs.must_start, inputs.deadline, strict=True)):
        if due is not None and due < late_finish[node]:
            late_finish[node] = due
        if must is not None and must + span[node] < late_finish[node]:
            late_finish[node] = must + span[node]
    # Start from the slack to the project finish, so a task without successors keeps it.
    free_float = [finish - ef for ef in early_finish]
    for node in reversed(order):
        node_state = state[node]
        if node_state == _COMPLETE:
            late_finish[node] = early_finish[node]
            continue
        lf = late_finish[node]
        ls = lf - span[node]
        es, ef = early_start[node], early_finish[node]
        for pred, from_finish, to_finish, lag in preds[node]:
            if to_finish:
                bound = lf - lag
                slack = ef - lag
            elif node_state == _IN_PROGRESS:
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
    critical = [s != _COMPLETE and tf <= 0 for s, tf in zip(state, total_float, strict=True)]

    columns = _Columns(
        early_start, early_finish, late_finish, span, total_float, free_float, critical
    )
    task_of_node = graph.task_of_node
    path = _critical_path(graph, state, early_start, early_finish, critical, finish)
    return Schedule(
        tasks=TaskSchedules(network, columns, near_critical),
        finish=finish,
        critical_path=[tasks[task_of_node[n]].id for n in path],
        critical_tasks=[tasks[task_of_node[n]].id for n in range(size) if critical[n]],
    )


def _forward(network: Network, order: list[int], inputs: _Inputs) -> tuple[list[int], list[int]]:
    """Return early starts and finishes; raise ConstraintError for an unmet SNET/MSO/FNLT."""
    preds = network.graph.preds
    state, duration = inputs.state, inputs.duration
    start_floor, finish_floor = inputs.start_floor, inputs.finish_floor
    must_start, deadline = inputs.must_start, inputs.deadline
    size = len(order)
    early_start = [0] * size
    early_finish = [0] * size
    for node in order:
        node_state = state[node]
        if node_state == _NOT_STARTED:
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
        elif node_state == _IN_PROGRESS:
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


def _critical_path(
    graph: Graph,
    state: list[int],
    early_start: list[int],
    early_finish: list[int],
    critical: list[bool],
    finish: int,
) -> list[int]:
    """Return one chain of critical nodes from a start to the project finish, along driving links.

    The chain ends at a critical node that finishes at the project finish, preferring one with
    no successors (so a closing milestone ends the path rather than the task before it; ties go
    to insertion order), and walks back through each node's first driving link (zero slack in
    the early schedule) to a critical predecessor, until a node has none.
    """
    candidates = [n for n, ef in enumerate(early_finish) if critical[n] and ef == finish]
    end = next((n for n in candidates if not graph.succs[n]), None)
    if end is None and candidates:
        end = candidates[0]
    if end is None:
        return []
    path = [end]
    node = end
    while True:
        node_state = state[node]
        driver = None
        for pred, from_finish, to_finish, lag in graph.preds[node]:
            if not critical[pred] or (not to_finish and node_state == _IN_PROGRESS):
                continue
            anchor = early_finish[node] if to_finish else early_start[node]
            source = early_finish[pred] if from_finish else early_start[pred]
            if anchor == source + lag:
                driver = pred
                break
        if driver is None:
            break
        path.append(driver)
        node = driver
    path.reverse()
    return path


def _task_id(network: Network, node: int) -> str:
    return network.tasks[network.graph.task_of_node[node]].id
