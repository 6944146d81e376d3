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
They live in ``passes``: plain Python for small or chain-like networks, NumPy wave by wave for
large ones, with the same results.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from golive.scheduling.errors import CycleError
from golive.scheduling.network import Network
from golive.scheduling.passes import IN_PROGRESS, Inputs, Order, Passes, inputs, kahn, passes

_FIELDS = (
    "early_start",
    "early_finish",
    "late_start",
    "late_finish",
    "total_float",
    "free_float",
    "critical",
)
Column = Literal[
    "early_start", "early_finish", "late_start", "late_finish", "total_float", "free_float"
]


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

    def __init__(self, network: Network, columns: Passes, near_critical: int) -> None:
        self._network = network
        self._columns = columns
        self._near_critical = near_critical
        self._lists: tuple[list[Any], ...] | None = None

    def __getitem__(self, task_id: str) -> TaskSchedule:
        graph = self._network.graph
        position = graph.index[task_id]
        node = graph.node_of_task[position]
        if self._lists is None:
            self._lists = tuple(map(self._columns.as_list, _FIELDS))
        early_start, early_finish, late_start, late_finish, total, free, critical = self._lists
        if node != -1:
            tf = total[node]
            return TaskSchedule(
                early_start=early_start[node],
                early_finish=early_finish[node],
                late_start=late_start[node],
                late_finish=late_finish[node],
                total_float=tf,
                free_float=free[node],
                critical=critical[node],
                near_critical=not critical[node] and 0 < tf <= self._near_critical,
            )
        leaves = graph.summary_leaves[position]
        tf = min(total[n] for n in leaves)
        is_critical = any(critical[n] for n in leaves)
        return TaskSchedule(
            early_start=min(early_start[n] for n in leaves),
            early_finish=max(early_finish[n] for n in leaves),
            late_start=min(late_start[n] for n in leaves),
            late_finish=max(late_finish[n] for n in leaves),
            total_float=tf,
            free_float=min(free[n] for n in leaves),
            critical=is_critical,
            near_critical=not is_critical and 0 < tf <= self._near_critical,
        )

    def __iter__(self) -> Iterator[str]:
        return (task.id for task in self._network.tasks)

    def __len__(self) -> int:
        return len(self._network.tasks)

    def __repr__(self) -> str:
        return f"TaskSchedules({len(self)} tasks)"

    def column(self, name: Column) -> list[int]:
        """Return one field of every task in task order, as ``[self[t].<name> for t in self]``.

        Summary tasks roll up as in the entries; no TaskSchedule is built, so this is the way
        to read a large schedule whole (`array` gives the same as a NumPy array).
        """
        values: list[int] = list(self._columns.as_list(name))
        graph = self._network.graph
        if not graph.summary_leaves:
            return values
        roll_up = max if name in ("early_finish", "late_finish") else min
        return [
            values[node]
            if node != -1
            else roll_up(values[n] for n in graph.summary_leaves[position])
            for position, node in enumerate(graph.node_of_task)
        ]

    def array(self, name: Column) -> npt.NDArray[np.int64]:
        """Return `column` as a NumPy array (a copy), which `WorkCalendar.instants_at` takes.

        Cheaper than the list for a large schedule: no Python number is built per task.
        """
        values = np.array(getattr(self._columns, name), dtype=np.int64)
        graph = self._network.graph
        if not graph.summary_leaves:
            return values
        roll_up = np.max if name in ("early_finish", "late_finish") else np.min
        result = np.empty(len(graph.node_of_task), dtype=np.int64)
        nodes = np.asarray(graph.node_of_task, dtype=np.int64)
        leaves = nodes != -1
        result[leaves] = values[nodes[leaves]]
        for position, members in graph.summary_leaves.items():
            result[position] = roll_up(values[members])
        return result


@dataclass(frozen=True)
class Schedule:
    """The result of ``schedule()``: per-task dates, the project finish and the critical path."""

    tasks: TaskSchedules
    finish: int
    critical_path: list[str]
    critical_tasks: list[str]


def topological_order(network: Network) -> list[int]:
    """Return the leaf nodes of ``network`` in topological order; raise CycleError on a cycle."""
    return _order(network).order


def _order(network: Network) -> Order:
    order = kahn(network.graph)
    if not order.complete:
        raise CycleError(_find_cycle(network, order.unreleased()))
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
    order = _order(network)
    given = inputs(network, status_date)
    columns = passes(network, order, given)
    task_of_node = graph.task_of_node
    path = _critical_path(given, columns)
    return Schedule(
        tasks=TaskSchedules(network, columns, near_critical),
        finish=columns.finish,
        critical_path=[tasks[task_of_node[n]].id for n in path],
        critical_tasks=[tasks[task_of_node[n]].id for n in columns.critical_nodes()],
    )


def _critical_path(given: Inputs, columns: Passes) -> list[int]:
    """Return one chain of critical nodes from a start to the project finish, along driving links.

    The chain ends at a critical node that finishes at the project finish, preferring one with
    no successors (so a closing milestone ends the path rather than the task before it; ties go
    to insertion order), and walks back through each node's first driving link (zero slack in
    the early schedule) to a critical predecessor, until a node has none.
    """
    early_start, early_finish = columns.early_start, columns.early_finish
    critical, finish = columns.critical, columns.finish
    if isinstance(early_finish, np.ndarray):
        candidates = np.flatnonzero(critical & (early_finish == finish)).tolist()
    else:
        candidates = [n for n, ef in enumerate(early_finish) if critical[n] and ef == finish]
    end = next((n for n in candidates if not columns.has_successors(n)), None)
    if end is None and candidates:
        end = candidates[0]
    if end is None:
        return []
    path = [end]
    node = end
    while True:
        node_state = given.state_of(node)
        driver = None
        for pred, from_finish, to_finish, lag in columns.incoming(node):
            if not critical[pred] or (not to_finish and node_state == IN_PROGRESS):
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
