"""Property-based tests of the critical path method on random acyclic networks."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from golive.scheduling.cpm import Schedule, TaskSchedule, schedule
from golive.scheduling.errors import ConstraintError, CycleError
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


class SummaryInvariantTests:
    @given(networks(), st.data())
    @settings(max_examples=200, deadline=None)
    def test_summaries_span_their_leaves_and_links_apply_to_each(
        self, network: Network, data: st.DataObject
    ) -> None:
        """A summary spans its leaves, and a link into it holds for every leaf."""
        parents = [data.draw(st.sampled_from([None, "S1", "S2"])) for _ in network.tasks]
        tasks = [
            Task("S1"),
            Task("S2", parent="S1"),
            *(
                Task(t.id, t.duration, parent=p)
                for t, p in zip(network.tasks, parents, strict=True)
            ),
        ]
        outside = [t.id for t, p in zip(network.tasks, parents, strict=True) if p is None]
        extra = []
        if outside:
            source = data.draw(st.sampled_from(outside))
            kind = data.draw(st.sampled_from(list(DependencyType)))
            extra.append(Dependency(source, "S2", kind, data.draw(st.integers(-40, 40))))
        try:
            result = schedule(Network(tasks, [*network.dependencies, *extra]))
        except CycleError:
            # The extra link may close a loop through a task under S2; such draws say nothing.
            reject()
        # S2 is itself a leaf of S1 when no task was placed under it.
        under_s2 = [t.id for t, p in zip(network.tasks, parents, strict=True) if p == "S2"]
        under_s1 = [t.id for t, p in zip(network.tasks, parents, strict=True) if p == "S1"]
        leaves = {"S1": under_s1 + (under_s2 or ["S2"]), "S2": under_s2 or ["S2"]}
        for summary, members in leaves.items():
            if members == [summary]:
                continue
            entry = result.tasks[summary]
            assert entry.early_start == min(result.tasks[m].early_start for m in members)
            assert entry.early_finish == max(result.tasks[m].early_finish for m in members)
            assert entry.total_float == min(result.tasks[m].total_float for m in members)
        for link in extra:
            for member in leaves["S2"]:
                expanded = Dependency(link.predecessor, member, link.type, link.lag)
                assert slack(result, expanded) >= 0
                assert slack(result, expanded, late=True) >= 0


class CycleInvariantTests:
    @given(
        st.integers(2, 8).flatmap(
            lambda n: st.tuples(
                st.just(n),
                st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
            )
        )
    )
    @settings(max_examples=300, deadline=None)
    def test_reported_cycles_are_real(self, drawn: tuple[int, list[tuple[int, int]]]) -> None:
        """A CycleError lists tasks each linked to the next, the last back to the first."""
        size, pairs = drawn
        links = {(f"T{a}", f"T{b}") for a, b in pairs if a != b}
        network = Network(
            [Task(f"T{i}", 1) for i in range(size)], [Dependency(a, b) for a, b in sorted(links)]
        )
        try:
            result = schedule(network)
        except CycleError as error:
            cycle = error.task_ids
            assert len(set(cycle)) == len(cycle) >= 2
            assert all(pair in links for pair in pairwise([*cycle, cycle[0]]))
        else:
            # With unit durations, a schedule meeting every FS link proves there was no cycle.
            tasks = result.tasks
            assert all(tasks[b].early_start >= tasks[a].early_finish for a, b in links)
