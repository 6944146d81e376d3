"""Validation of Network construction."""

from __future__ import annotations

import pytest

from golive.scheduling.errors import NetworkError, SchedulingError
from golive.scheduling.network import (
    Constraint,
    ConstraintKind,
    Dependency,
    DependencyType,
    Network,
    Task,
)


class NetworkValidationTests:
    def test_accepts_a_valid_network(self) -> None:
        """A well-formed network builds and exposes its tasks by id."""
        network = Network([Task("A", 10), Task("B", 5)], [Dependency("A", "B")])
        assert network.task("B").duration == 5
        assert network.graph.link_count == 1

    def test_rejects_duplicate_ids(self) -> None:
        """Two tasks with the same id raise NetworkError naming the id."""
        with pytest.raises(NetworkError, match="duplicate task id 'A'") as caught:
            Network([Task("A", 1), Task("A", 2)], [])
        assert caught.value.task_ids == ("A",)

    def test_rejects_unknown_ids_in_dependencies(self) -> None:
        """A dependency on a task that does not exist names the missing id."""
        with pytest.raises(NetworkError, match="unknown task") as caught:
            Network([Task("A", 1)], [Dependency("A", "Z")])
        assert caught.value.task_ids == ("Z",)

    def test_rejects_unknown_parents(self) -> None:
        """A parent id that does not exist is rejected."""
        with pytest.raises(NetworkError, match="unknown parent") as caught:
            Network([Task("A", 1, parent="P")], [])
        assert caught.value.task_ids == ("A", "P")

    def test_rejects_self_dependencies(self) -> None:
        """A task cannot depend on itself."""
        with pytest.raises(NetworkError, match="depends on itself"):
            Network([Task("A", 1)], [Dependency("A", "A")])

    def test_rejects_negative_durations(self) -> None:
        """A negative duration names the task."""
        with pytest.raises(NetworkError, match="negative duration") as caught:
            Network([Task("A", -1)], [])
        assert caught.value.task_ids == ("A",)

    def test_rejects_milestones_with_duration(self) -> None:
        """A milestone takes no time."""
        with pytest.raises(NetworkError, match="milestone M"):
            Network([Task("M", 5, milestone=True)], [])

    def test_rejects_finish_before_start(self) -> None:
        """An actual finish earlier than the actual start is rejected."""
        with pytest.raises(NetworkError, match="finishes"):
            Network([Task("A", 5, actual_start=10, actual_finish=8)], [])

    def test_rejects_finish_without_start(self) -> None:
        """An actual finish needs an actual start."""
        with pytest.raises(NetworkError, match="no actual start"):
            Network([Task("A", 5, actual_finish=8)], [])

    def test_rejects_parent_cycles(self) -> None:
        """Tasks that are each other's parents are named."""
        with pytest.raises(NetworkError, match="each other's parents") as caught:
            Network([Task("A", parent="B"), Task("B", parent="A"), Task("C", 1)], [])
        assert set(caught.value.task_ids) == {"A", "B"}

    def test_rejects_links_between_summary_and_descendant(self) -> None:
        """A summary cannot depend on (or drive) its own children."""
        tasks = [Task("S"), Task("A", 1, parent="S")]
        with pytest.raises(NetworkError, match="own descendant"):
            Network(tasks, [Dependency("S", "A")])

    def test_rejects_constraints_on_summaries(self) -> None:
        """Constraints belong on leaf tasks."""
        tasks = [Task("S", constraint=Constraint(ConstraintKind.SNET, 5)), Task("A", 1, parent="S")]
        with pytest.raises(NetworkError, match="summary task S"):
            Network(tasks, [])

    def test_expands_summary_links_to_leaves(self) -> None:
        """A link between summaries becomes one link per pair of leaves."""
        tasks = [
            Task("S"),
            Task("A", 1, parent="S"),
            Task("B", 1, parent="S"),
            Task("T"),
            Task("C", 1, parent="T"),
            Task("D", 1, parent="T"),
        ]
        network = Network(tasks, [Dependency("S", "T", DependencyType.SS)])
        assert network.graph.link_count == 4

    def test_errors_share_a_base_class(self) -> None:
        """Every library error is a SchedulingError."""
        with pytest.raises(SchedulingError):
            Network([Task("A", -1)], [])
