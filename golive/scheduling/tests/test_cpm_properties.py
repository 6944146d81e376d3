"""Property-based tests of the critical path method on random acyclic networks."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from golive.scheduling.cpm import Schedule, TaskSchedule, schedule
from golive.scheduling.errors import ConstraintError
from golive.scheduling.network import (
    Constraint,
    ConstraintKind,
    Dependency,
    DependencyType,
    Network,
    Task,
)


@st.composite
def networks(draw: st.DrawFn, max_tasks: int = 12) -> Network:
    """Draw a random DAG: links always run from a lower to a higher task number."""
    size = draw(st.integers(1, max_tasks))
    tasks = [Task(f"T{i}", draw(st.integers(0, 60))) for i in range(size)]
    pairs = draw(
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=2 * size)
    )
    dependencies = [
        Dependency(
            f"T{min(a, b)}",
            f"T{max(a, b)}",
            draw(st.sampled_from(list(DependencyType))),
            draw(st.integers(-40, 40)),
        )
        for a, b in pairs
        if a != b
    ]
    return Network(tasks, dependencies)


def anchor(entry: TaskSchedule, finish: bool, late: bool) -> int:
    """Return the start or finish of a task in the early or late schedule."""
    if late:
        return entry.late_finish if finish else entry.late_start
    return entry.early_finish if finish else entry.early_start


def slack(result: Schedule, dependency: Dependency, late: bool = False) -> int:
    """Return how far a link's successor end lies beyond what the link requires."""
    kind = dependency.type
    source = anchor(result.tasks[dependency.predecessor], kind.from_finish, late)
    target = anchor(result.tasks[dependency.successor], kind.to_finish, late)
    return target - source - dependency.lag


def relaxed_early_starts(network: Network) -> dict[str, int]:
    """Compute early starts by naive repeated relaxation, as an independent oracle."""
    durations = {task.id: task.duration for task in network.tasks}
    start = dict.fromkeys(durations, 0)
    for _ in range(len(durations) + 1):
        for dependency in network.dependencies:
            kind = dependency.type
            pred, succ = dependency.predecessor, dependency.successor
            source = start[pred] + (durations[pred] if kind.from_finish else 0)
            needed = source + dependency.lag - (durations[succ] if kind.to_finish else 0)
            start[succ] = max(start[succ], needed)
    return start


class ScheduleInvariantTests:
    @given(networks())
    @settings(max_examples=300, deadline=None)
    def test_every_dependency_is_respected(self, network: Network) -> None:
        """Every link holds in both the early and the late schedule."""
        result = schedule(network)
        for dependency in network.dependencies:
            assert slack(result, dependency) >= 0
            assert slack(result, dependency, late=True) >= 0

    @given(networks())
    @settings(max_examples=300, deadline=None)
    def test_float_is_non_negative_and_free_within_total(self, network: Network) -> None:
        """Without constraints 0 <= free float <= total float, and nothing ends after the finish."""
        result = schedule(network)
        for entry in result.tasks.values():
            assert 0 <= entry.free_float <= entry.total_float
            assert entry.total_float == entry.late_start - entry.early_start
            assert entry.early_start >= 0
            assert entry.late_finish <= result.finish
        assert result.finish == max(e.early_finish for e in result.tasks.values())

    @given(networks())
    @settings(max_examples=300, deadline=None)
    def test_early_starts_are_the_least_feasible(self, network: Network) -> None:
        """The forward pass matches a naive relaxation to a fixed point."""
        result = schedule(network)
        expected = relaxed_early_starts(network)
        assert {t: e.early_start for t, e in result.tasks.items()} == expected

    @given(networks())
    @settings(max_examples=300, deadline=None)
    def test_critical_path_is_a_driving_chain_to_the_finish(self, network: Network) -> None:
        """The critical path runs through critical tasks along zero-slack links to the finish."""
        result = schedule(network)
        path = result.critical_path
        assert path
        assert all(result.tasks[task_id].critical for task_id in path)
        assert result.tasks[path[-1]].early_finish == result.finish
        for before, after in pairwise(path):
            assert any(
                d.predecessor == before and d.successor == after and slack(result, d) == 0
                for d in network.dependencies
            )
        assert not any(
            d.successor == path[0]
            and result.tasks[d.predecessor].critical
            and slack(result, d) == 0
            for d in network.dependencies
        )
        assert set(result.critical_tasks) == {t for t, e in result.tasks.items() if e.critical}

    @given(networks(), st.data())
    @settings(max_examples=300, deadline=None)
    def test_constraints_hold_or_raise(self, network: Network, data: st.DataObject) -> None:
        """With random constraints the schedule either meets every one or raises."""
        tasks = [
            Task(
                task.id,
                task.duration,
                constraint=data.draw(
                    st.none()
                    | st.builds(
                        Constraint, st.sampled_from(list(ConstraintKind)), st.integers(0, 200)
                    )
                ),
            )
            for task in network.tasks
        ]
        constrained = Network(tasks, network.dependencies)
        try:
            result = schedule(constrained)
        except ConstraintError:
            return
        for task in tasks:
            entry = result.tasks[task.id]
            assert entry.total_float >= 0
            if task.constraint is None:
                continue
            kind, offset = task.constraint.kind, task.constraint.offset
            if kind is ConstraintKind.SNET:
                assert entry.early_start >= offset
            elif kind is ConstraintKind.FNLT:
                assert entry.late_finish <= offset
            else:
                assert entry.early_start == entry.late_start == offset
        for dependency in constrained.dependencies:
            assert slack(result, dependency) >= 0
            assert slack(result, dependency, late=True) >= 0
