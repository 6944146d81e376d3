"""The input of the engine: tasks, dependencies and constraints on the working-minute axis.

All times are integer working minutes from the project start (see docs/design/scheduling.md).

Summary tasks are the tasks that other tasks name as their ``parent``. They carry no work of their
own: their dates roll up from their leaf descendants (start = earliest child start, finish =
latest child finish). A dependency that names a summary task applies to every leaf descendant of
that summary, as in MS Project: a link *into* a summary constrains each child's start (or
finish), and a link *out of* a summary waits for each child's finish (or start). For finish-anchored
links (FS, FF out of a summary) that is exactly "after the summary finishes"; for start-anchored
links (SS, SF out of a summary) it waits for the latest child start, which is the conservative
reading. A link between two summaries with m and n leaves becomes m * n leaf links. Summary tasks
may not carry constraints or progress, and a summary may not be linked to its own descendants.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from golive.scheduling.errors import NetworkError


class DependencyType(enum.Enum):
    """Which end of the predecessor drives which end of the successor."""

    FS = "FS"
    SS = "SS"
    FF = "FF"
    SF = "SF"

    @property
    def from_finish(self) -> bool:
        """Return True when the predecessor's finish (not its start) drives the link."""
        return self in (DependencyType.FS, DependencyType.FF)

    @property
    def to_finish(self) -> bool:
        """Return True when the link constrains the successor's finish (not its start)."""
        return self in (DependencyType.FF, DependencyType.SF)


class ConstraintKind(enum.Enum):
    """Date constraints a task may carry."""

    SNET = "SNET"  # start no earlier than
    FNLT = "FNLT"  # finish no later than
    MSO = "MSO"  # must start on


@dataclass(frozen=True)
class Dependency:
    """A link from ``predecessor`` to ``successor``; ``lag`` in working minutes, may be negative."""

    predecessor: str
    successor: str
    type: DependencyType = DependencyType.FS
    lag: int = 0


@dataclass(frozen=True)
class Constraint:
    """A date constraint at ``offset`` working minutes from the project start."""

    kind: ConstraintKind
    offset: int


@dataclass(frozen=True)
class Task:
    """One activity; ``duration`` and ``remaining`` in working minutes, actuals as offsets."""

    id: str
    duration: int = 0
    milestone: bool = False
    parent: str | None = None
    constraint: Constraint | None = None
    actual_start: int | None = None
    actual_finish: int | None = None
    remaining: int | None = None
    name: str = ""

    @property
    def has_progress(self) -> bool:
        """Return True when the task has started (or finished) according to its actuals."""
        return self.actual_start is not None or self.actual_finish is not None


# One incoming leaf link as the passes read it: (predecessor node, predecessor's finish drives it,
# it constrains the successor's finish, lag).
Link = tuple[int, bool, bool, int]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Graph:
    """The network compiled to integer node indices for the scheduling passes.

    Nodes are the leaf tasks in insertion order. The leaf links (summary links already expanded
    to leaves) are five parallel arrays in insertion order: ``link_from`` and ``link_to`` hold the
    predecessor and successor nodes, ``link_from_finish`` whether the predecessor's finish drives
    the link, ``link_to_finish`` whether it constrains the successor's finish, ``link_lag`` the
    lag. ``preds[n]`` lists the links into node ``n`` and ``succs[n]`` the successor of every link
    out of ``n``, both in insertion order; they are built on first use. ``summary_leaves`` maps
    each summary task's position to its leaf nodes.
    """

    index: dict[str, int]
    task_of_node: list[int]
    node_of_task: list[int]
    summary_leaves: dict[int, list[int]]
    link_from: IntArray
    link_to: IntArray
    link_from_finish: BoolArray
    link_to_finish: BoolArray
    link_lag: IntArray

    @property
    def link_count(self) -> int:
        """Return the number of leaf links."""
        return len(self.link_from)

    @cached_property
    def out_degree(self) -> IntArray:
        """Return the number of links out of each node."""
        return np.bincount(self.link_from, minlength=len(self.task_of_node))

    @cached_property
    def preds(self) -> list[list[Link]]:
        """Return the links into each node as (predecessor, from finish, to finish, lag)."""
        preds: list[list[Link]] = [[] for _ in self.task_of_node]
        for source, target, from_finish, to_finish, lag in zip(
            self.link_from.tolist(),
            self.link_to.tolist(),
            self.link_from_finish.tolist(),
            self.link_to_finish.tolist(),
            self.link_lag.tolist(),
            strict=True,
        ):
            preds[target].append((source, from_finish, to_finish, lag))
        return preds

    @cached_property
    def succs(self) -> list[list[int]]:
        """Return the successor node of every link out of each node."""
        succs: list[list[int]] = [[] for _ in self.task_of_node]
        for source, target in zip(self.link_from.tolist(), self.link_to.tolist(), strict=True):
            succs[source].append(target)
        return succs


@dataclass(frozen=True)
class Network:
    """A validated set of tasks and dependencies; construction raises NetworkError on bad input."""

    tasks: tuple[Task, ...]
    dependencies: tuple[Dependency, ...] = ()
    graph: Graph = field(init=False, repr=False, compare=False)

    def __init__(self, tasks: Iterable[Task], dependencies: Iterable[Dependency] = ()) -> None:
        object.__setattr__(self, "tasks", tuple(tasks))
        object.__setattr__(self, "dependencies", tuple(dependencies))
        object.__setattr__(self, "graph", _compile(self.tasks, self.dependencies))

    def task(self, task_id: str) -> Task:
        """Return the task with ``task_id``; raise KeyError when there is none."""
        return self.tasks[self.graph.index[task_id]]


# Which ends a link joins, as bits: 1 = the predecessor's finish drives it, 2 = it constrains the
# successor's finish (SS has neither). Keyed by identity: Enum hashing runs in Python.
_LINK_BITS = {id(DependencyType.FS): 1, id(DependencyType.FF): 3, id(DependencyType.SF): 2}
_id = attrgetter("id")
_parent = attrgetter("parent")
_predecessor = attrgetter("predecessor")
_successor = attrgetter("successor")
_type = attrgetter("type")
_lag = attrgetter("lag")


def _validate_task(task: Task) -> None:
    if task.duration < 0:
        raise NetworkError(f"task {task.id} has a negative duration ({task.duration})", [task.id])
    if task.milestone and task.duration > 0:
        raise NetworkError(
            f"milestone {task.id} has a duration of {task.duration}; milestones take no time",
            [task.id],
        )
    if task.remaining is not None and task.remaining < 0:
        raise NetworkError(f"task {task.id} has negative remaining work", [task.id])
    if task.actual_finish is not None:
        if task.actual_start is None:
            raise NetworkError(
                f"task {task.id} has an actual finish but no actual start", [task.id]
            )
        if task.actual_finish < task.actual_start:
            raise NetworkError(
                f"task {task.id} finishes ({task.actual_finish}) before it starts "
                f"({task.actual_start})",
                [task.id],
            )


def _check_parents(tasks: tuple[Task, ...], index: dict[str, int]) -> list[int]:
    """Return each task's parent position (-1 for none); reject unknown parents and loops."""
    parent = [-1] * len(tasks)
    if list(map(_parent, tasks)).count(None) == len(tasks):
        return parent
    for position, task in enumerate(tasks):
        if task.parent is None:
            continue
        if task.parent not in index:
            raise NetworkError(
                f"task {task.id} names an unknown parent {task.parent!r}", [task.id, task.parent]
            )
        parent[position] = index[task.parent]
    # 0 = unvisited, 1 = on the current walk, 2 = known to reach a root.
    state = [0] * len(tasks)
    for start in range(len(tasks)):
        walk = []
        position = start
        while position != -1 and state[position] == 0:
            state[position] = 1
            walk.append(position)
            position = parent[position]
        if position != -1 and state[position] == 1:
            loop = walk[walk.index(position) :]
            ids = [tasks[p].id for p in loop]
            raise NetworkError(f"tasks {', '.join(ids)} are each other's parents", ids)
        for p in walk:
            state[p] = 2
    return parent


def _compile(tasks: tuple[Task, ...], dependencies: tuple[Dependency, ...]) -> Graph:
    index = dict(zip(map(_id, tasks), range(len(tasks)), strict=True))
    checked = tasks
    if len(index) < len(tasks):
        seen: set[str] = set()
        for position, task in enumerate(tasks):
            if task.id in seen:
                checked = tasks[:position]
                break
            seen.add(task.id)
    # Errors come in task order: a bad task before the first duplicate id is reported first.
    for task in checked:
        _validate_task(task)
    if checked is not tasks:
        task_id = tasks[len(checked)].id
        raise NetworkError(f"duplicate task id {task_id!r}", [task_id])
    parent = _check_parents(tasks, index)

    has_children = [False] * len(tasks)
    for p in parent:
        if p != -1:
            has_children[p] = True
    leaves: dict[int, list[int]] = {p: [] for p in range(len(tasks)) if has_children[p]}
    if not leaves:
        node_of_task = list(range(len(tasks)))
        task_of_node = list(range(len(tasks)))
    else:
        node_of_task = [-1] * len(tasks)
        task_of_node = []
        for position, task in enumerate(tasks):
            if has_children[position]:
                if task.milestone:
                    raise NetworkError(f"milestone {task.id} cannot have children", [task.id])
                if task.constraint is not None or task.has_progress or task.remaining is not None:
                    raise NetworkError(
                        f"summary task {task.id} cannot carry a constraint or progress; "
                        "set them on its children",
                        [task.id],
                    )
                continue
            node_of_task[position] = len(task_of_node)
            task_of_node.append(position)
        for node, position in enumerate(task_of_node):
            ancestor = parent[position]
            while ancestor != -1:
                leaves[ancestor].append(node)
                ancestor = parent[ancestor]

    # The links are read column by column with C-level maps: a Python loop over the
    # dependencies would cost several times more for 100,000s of them.
    count = len(dependencies)
    first = np.fromiter(
        map(index.get, map(_predecessor, dependencies), repeat(-1)), np.int64, count
    )
    second = np.fromiter(map(index.get, map(_successor, dependencies), repeat(-1)), np.int64, count)
    kinds = np.fromiter(map(id, map(_type, dependencies)), np.int64, count)
    bits = np.zeros(count, np.int64)
    for kind_id, kind_bits in _LINK_BITS.items():
        bits[kinds == kind_id] = kind_bits
    lags = np.fromiter(map(_lag, dependencies), np.int64, count)
    invalid = (first == -1) | (second == -1) | (first == second)
    first_invalid = int(np.argmax(invalid)) if count and invalid.any() else count
    summaries = np.asarray(has_children, dtype=np.bool_)
    if summaries.any() and count:
        known_first, known_second = np.maximum(first, 0), np.maximum(second, 0)
        expanded = np.flatnonzero(summaries[known_first] | summaries[known_second]).tolist()
    else:
        expanded = []
    # Errors are reported for the first offending dependency, in the order given.
    for at in expanded:
        if at > first_invalid:
            break
        if at < first_invalid and (
            _is_ancestor(parent, int(first[at]), int(second[at]))
            or _is_ancestor(parent, int(second[at]), int(first[at]))
        ):
            source, target = dependencies[at].predecessor, dependencies[at].successor
            raise NetworkError(
                f"dependency {source} → {target} links a summary task to its own descendant",
                [source, target],
            )
    if first_invalid < count:
        _reject(dependencies[first_invalid], index)

    nodes = np.asarray(node_of_task, dtype=np.int64)
    if not expanded:
        link_from, link_to, link_bits, link_lag = nodes[first], nodes[second], bits, lags
    else:
        # A summary link becomes one link per pair of leaves, in place of the dependency.
        pieces: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []
        done = 0
        for at in expanded:
            if done < at:
                run = slice(done, at)
                pieces.append((nodes[first[run]], nodes[second[run]], bits[run], lags[run]))
            head, tail = int(first[at]), int(second[at])
            from_nodes = np.asarray(
                leaves[head] if has_children[head] else [node_of_task[head]], np.int64
            )
            to_nodes = np.asarray(
                leaves[tail] if has_children[tail] else [node_of_task[tail]], np.int64
            )
            pairs = len(from_nodes) * len(to_nodes)
            pieces.append(
                (
                    np.tile(from_nodes, len(to_nodes)),
                    np.repeat(to_nodes, len(from_nodes)),
                    np.full(pairs, bits[at], np.int64),
                    np.full(pairs, lags[at], np.int64),
                )
            )
            done = at + 1
        if done < count:
            run = slice(done, count)
            pieces.append((nodes[first[run]], nodes[second[run]], bits[run], lags[run]))
        link_from, link_to, link_bits, link_lag = (
            np.concatenate([piece[column] for piece in pieces]) for column in range(4)
        )

    return Graph(
        index=index,
        task_of_node=task_of_node,
        node_of_task=node_of_task,
        summary_leaves=leaves,
        link_from=link_from,
        link_to=link_to,
        link_from_finish=(link_bits & 1).astype(np.bool_),
        link_to_finish=(link_bits & 2).astype(np.bool_),
        link_lag=link_lag,
    )


def _reject(dependency: Dependency, index: dict[str, int]) -> None:
    """Raise the NetworkError for a dependency on an unknown task or on itself."""
    source, target = dependency.predecessor, dependency.successor
    unknown = [task_id for task_id in (source, target) if task_id not in index]
    if unknown:
        raise NetworkError(
            f"dependency {source} → {target} names unknown task(s) {', '.join(unknown)}",
            unknown,
        )
    raise NetworkError(f"task {source} depends on itself", [source])


def _is_ancestor(parent: list[int], ancestor: int, position: int) -> bool:
    current = parent[position]
    while current != -1:
        if current == ancestor:
            return True
        current = parent[current]
    return False
