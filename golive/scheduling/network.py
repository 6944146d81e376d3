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


@dataclass(frozen=True)
class Graph:
    """The network compiled to integer node indices for the scheduling passes.

    Nodes are the leaf tasks in insertion order. ``preds[n]`` lists the links into node ``n``
    (with summary links already expanded to leaves); ``succs[n]`` lists the successor node of
    every link out of ``n``, in insertion order. ``summary_leaves`` maps each summary task's
    position to its leaf nodes.
    """

    index: dict[str, int]
    task_of_node: list[int]
    node_of_task: list[int]
    preds: list[list[Link]]
    succs: list[list[int]]
    summary_leaves: dict[int, list[int]]
    link_count: int


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
    index: dict[str, int] = {}
    for position, task in enumerate(tasks):
        if task.id in index:
            raise NetworkError(f"duplicate task id {task.id!r}", [task.id])
        index[task.id] = position
        _validate_task(task)
    parent = _check_parents(tasks, index)

    has_children = [False] * len(tasks)
    for p in parent:
        if p != -1:
            has_children[p] = True
    node_of_task = [-1] * len(tasks)
    task_of_node: list[int] = []
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

    leaves: dict[int, list[int]] = {p: [] for p in range(len(tasks)) if has_children[p]}
    for node, position in enumerate(task_of_node):
        ancestor = parent[position]
        while ancestor != -1:
            leaves[ancestor].append(node)
            ancestor = parent[ancestor]

    preds: list[list[Link]] = [[] for _ in task_of_node]
    succs: list[list[int]] = [[] for _ in task_of_node]
    link_count = 0
    for dependency in dependencies:
        source, target = dependency.predecessor, dependency.successor
        first = index.get(source, -1)
        second = index.get(target, -1)
        if first == -1 or second == -1:
            unknown = [task_id for task_id in (source, target) if task_id not in index]
            raise NetworkError(
                f"dependency {source} → {target} names unknown task(s) {', '.join(unknown)}",
                unknown,
            )
        if first == second:
            raise NetworkError(f"task {source} depends on itself", [source])
        kind = dependency.type
        # Identity tests: Enum hashing runs in Python and would dominate this loop.
        from_finish = kind is DependencyType.FS or kind is DependencyType.FF
        to_finish = kind is DependencyType.FF or kind is DependencyType.SF
        if not (has_children[first] or has_children[second]):
            # The common leaf-to-leaf link skips the summary expansion below.
            from_node, to_node = node_of_task[first], node_of_task[second]
            preds[to_node].append((from_node, from_finish, to_finish, dependency.lag))
            succs[from_node].append(to_node)
            link_count += 1
            continue
        if _is_ancestor(parent, first, second) or _is_ancestor(parent, second, first):
            raise NetworkError(
                f"dependency {source} → {target} links a summary task to its own descendant",
                [source, target],
            )
        from_nodes = leaves[first] if has_children[first] else [node_of_task[first]]
        to_nodes = leaves[second] if has_children[second] else [node_of_task[second]]
        for to_node in to_nodes:
            incoming = preds[to_node]
            for from_node in from_nodes:
                incoming.append((from_node, from_finish, to_finish, dependency.lag))
                succs[from_node].append(to_node)
                link_count += 1

    return Graph(
        index=index,
        task_of_node=task_of_node,
        node_of_task=node_of_task,
        preds=preds,
        succs=succs,
        summary_leaves=leaves,
        link_count=link_count,
    )


def _is_ancestor(parent: list[int], ancestor: int, position: int) -> bool:
    current = parent[position]
    while current != -1:
        if current == ancestor:
            return True
        current = parent[current]
    return False
