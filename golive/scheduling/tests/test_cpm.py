"""Hand-computed examples for the critical path method."""

from __future__ import annotations

import pytest

from golive.scheduling.cpm import Schedule, schedule
from golive.scheduling.errors import ConstraintError, CycleError
from golive.scheduling.network import (
    Constraint,
    ConstraintKind,
    Dependency,
    DependencyType,
    Network,
    Task,
)

FS, SS, FF, SF = DependencyType.FS, DependencyType.SS, DependencyType.FF, DependencyType.SF


def pair(kind: DependencyType, lag: int) -> Schedule:
    """Schedule A (10 min) linked to B (5 min) by one link."""
    return schedule(Network([Task("A", 10), Task("B", 5)], [Dependency("A", "B", kind, lag)]))


def dates(result: Schedule, task_id: str) -> tuple[int, int, int, int]:
    """Return (ES, EF, LS, LF) of one task."""
    entry = result.tasks[task_id]
    return entry.early_start, entry.early_finish, entry.late_start, entry.late_finish


class LinkTypeTests:
    @pytest.mark.parametrize(
        ("lag", "start"),
        [(0, 10), (5, 15), (-3, 7), (-20, 0)],
    )
    def test_finish_to_start(self, lag: int, start: int) -> None:
        """FS: B starts lag minutes after A finishes, never before the project start."""
        result = pair(FS, lag)
        assert dates(result, "B")[:2] == (start, start + 5)
        assert result.finish == max(10, start + 5)

    def test_finish_to_start_late_dates(self) -> None:
        """FS with a positive lag leaves no float on either task."""
        result = pair(FS, 5)
        assert dates(result, "A") == (0, 10, 0, 10)
        assert dates(result, "B") == (15, 20, 15, 20)
        assert result.critical_path == ["A", "B"]

    @pytest.mark.parametrize(("lag", "start"), [(0, 0), (2, 2), (-2, 0)])
    def test_start_to_start(self, lag: int, start: int) -> None:
        """SS: B starts lag minutes after A starts."""
        result = pair(SS, lag)
        assert dates(result, "B")[:2] == (start, start + 5)
        assert result.finish == 10

    def test_start_to_start_float(self) -> None:
        """SS lag 2: B (2-7) has 3 minutes of float to the project finish at 10."""
        result = pair(SS, 2)
        assert dates(result, "B") == (2, 7, 5, 10)
        assert result.tasks["B"].total_float == 3
        assert result.tasks["A"].critical

    @pytest.mark.parametrize(("lag", "finish"), [(0, 10), (4, 14), (-4, 6)])
    def test_finish_to_finish(self, lag: int, finish: int) -> None:
        """FF: B finishes lag minutes after A finishes."""
        result = pair(FF, lag)
        assert dates(result, "B")[:2] == (finish - 5, finish)

    def test_finish_to_finish_late_dates(self) -> None:
        """FF lag 4: A's late finish is B's late finish minus the lag."""
        result = pair(FF, 4)
        assert dates(result, "A") == (0, 10, 0, 10)
        assert dates(result, "B") == (9, 14, 9, 14)

    @pytest.mark.parametrize(("lag", "finish"), [(0, 5), (12, 12), (8, 8)])
    def test_start_to_finish(self, lag: int, finish: int) -> None:
        """SF: B finishes lag minutes after A starts, never starting before offset 0."""
        result = pair(SF, lag)
        assert dates(result, "B")[:2] == (finish - 5, finish)

    def test_start_to_finish_negative_lag(self) -> None:
        """SF lag -5 after A starts at 20: B must finish by 15 at the earliest."""
        network = Network(
            [Task("X", 20), Task("A", 10), Task("B", 5)],
            [Dependency("X", "A"), Dependency("A", "B", SF, -5)],
        )
        result = schedule(network)
        assert dates(result, "B") == (10, 15, 25, 30)
        assert result.finish == 30

    def test_start_to_finish_late_dates(self) -> None:
        """SF lag 12: A's late start is B's late finish minus the lag."""
        result = pair(SF, 12)
        assert dates(result, "B") == (7, 12, 7, 12)
        assert dates(result, "A") == (0, 10, 0, 10)


class FloatTests:
    def network(self) -> Network:
        """Build A(10)->C(5), B(4)->C, B->D(2)."""
        return Network(
            [Task("A", 10), Task("B", 4), Task("C", 5), Task("D", 2)],
            [Dependency("A", "C"), Dependency("B", "C"), Dependency("B", "D")],
        )

    def test_total_and_free_float(self) -> None:
        """B can slip 6 without delaying the project but not without delaying D."""
        result = schedule(self.network())
        floats = {t: (s.total_float, s.free_float) for t, s in result.tasks.items()}
        assert floats == {"A": (0, 0), "B": (6, 0), "C": (0, 0), "D": (9, 9)}
        assert result.critical_tasks == ["A", "C"]
        assert result.critical_path == ["A", "C"]
        assert result.finish == 15

    def test_near_critical_threshold(self) -> None:
        """Tasks with positive float up to the threshold are near-critical."""
        result = schedule(self.network(), near_critical=6)
        flags = {t: s.near_critical for t, s in result.tasks.items()}
        assert flags == {"A": False, "B": True, "C": False, "D": False}
        assert not any(s.near_critical for s in schedule(self.network()).tasks.values())

    def test_free_float_capped_by_total_float(self) -> None:
        """A negative lag cannot give a task more free float than total float."""
        network = Network(
            [Task("P", 10), Task("Q", 10), Task("S", 0)],
            [Dependency("Q", "S"), Dependency("P", "S", FS, -5)],
        )
        entry = schedule(network).tasks["P"]
        assert (entry.total_float, entry.free_float) == (0, 0)


class ConstraintTests:
    def test_start_no_earlier_than(self) -> None:
        """SNET pushes a task past its predecessors."""
        network = Network(
            [Task("A", 10), Task("B", 5, constraint=Constraint(ConstraintKind.SNET, 20))],
            [Dependency("A", "B")],
        )
        result = schedule(network)
        assert dates(result, "B") == (20, 25, 20, 25)
        assert dates(result, "A") == (0, 10, 10, 20)

    def test_finish_no_later_than_met(self) -> None:
        """FNLT caps the late finish and so the float."""
        network = Network(
            [Task("A", 10), Task("B", 5, constraint=Constraint(ConstraintKind.FNLT, 8))], []
        )
        assert schedule(network).tasks["B"].total_float == 3

    def test_finish_no_later_than_impossible(self) -> None:
        """An FNLT the predecessors make impossible names the task and both offsets."""
        network = Network(
            [Task("A", 10), Task("B", 5, constraint=Constraint(ConstraintKind.FNLT, 12))],
            [Dependency("A", "B")],
        )
        with pytest.raises(ConstraintError) as caught:
            schedule(network)
        assert str(caught.value) == "B must finish no later than 12 but cannot finish before 15"
        assert caught.value.task_id == "B"

    def test_must_start_on_met(self) -> None:
        """MSO fixes the start and leaves no float."""
        network = Network(
            [Task("A", 20), Task("B", 5, constraint=Constraint(ConstraintKind.MSO, 2))], []
        )
        result = schedule(network)
        assert dates(result, "B") == (2, 7, 2, 7)
        assert result.tasks["B"].critical

    def test_must_start_on_conflicting_with_predecessors(self) -> None:
        """An MSO earlier than the predecessors allow raises ConstraintError."""
        network = Network(
            [Task("A", 10), Task("B", 5, constraint=Constraint(ConstraintKind.MSO, 5))],
            [Dependency("A", "B")],
        )
        with pytest.raises(ConstraintError, match="B must start on 5 but cannot start before 10"):
            schedule(network)


class CycleTests:
    def test_cycle_names_its_tasks_in_order(self) -> None:
        """A cycle is reported as an ordered chain of ids, excluding tasks merely feeding it."""
        network = Network(
            [Task("D", 1), Task("A", 1), Task("B", 1), Task("C", 1)],
            [
                Dependency("D", "A"),
                Dependency("A", "B"),
                Dependency("B", "C"),
                Dependency("C", "A"),
            ],
        )
        with pytest.raises(CycleError) as caught:
            schedule(network)
        assert caught.value.task_ids == ["A", "B", "C"]
        assert str(caught.value) == "tasks A → B → C → A form a cycle"


class ProgressTests:
    def network(self, **started: int | None) -> Network:
        """Build A (done 0-12) -> B (10, started at 12) -> C (5); D (5) stands alone."""
        return Network(
            [
                Task("A", 10, actual_start=0, actual_finish=12),
                Task("B", 10, actual_start=12, remaining=started.get("remaining")),
                Task("C", 5),
                Task("D", 5),
            ],
            [Dependency("A", "B"), Dependency("B", "C")],
        )

    def test_remaining_work_runs_from_the_status_date(self) -> None:
        """B keeps its actual start; its 6 remaining minutes run from the status date 20."""
        result = schedule(self.network(remaining=6), status_date=20)
        assert dates(result, "A")[:2] == (0, 12)
        assert dates(result, "B")[:2] == (12, 26)
        assert dates(result, "C")[:2] == (26, 31)
        assert dates(result, "D")[:2] == (20, 25)
        assert result.tasks["D"].total_float == 6
        assert result.critical_path == ["B", "C"]

    def test_completed_tasks_are_not_critical(self) -> None:
        """What already happened has no float and is not critical."""
        result = schedule(self.network(remaining=6), status_date=20)
        assert result.tasks["A"].total_float == 0
        assert not result.tasks["A"].critical

    def test_remaining_defaults_to_duration_minus_elapsed(self) -> None:
        """Without a remaining figure, B has 10 - (15 - 12) = 7 minutes left at 15."""
        result = schedule(self.network(), status_date=15)
        assert dates(result, "B")[:2] == (12, 22)

    def test_without_status_date_work_runs_from_actual_start(self) -> None:
        """Without a status date a started task runs its remaining work from its actual start."""
        result = schedule(self.network())
        assert dates(result, "B")[:2] == (12, 22)
        assert dates(result, "D")[:2] == (0, 5)


class SummaryTests:
    def network(self) -> Network:
        """Build X -> S{A -> B} -> Y, plus Z started-to-start after S."""
        return Network(
            [
                Task("X", 3),
                Task("S", name="Summary"),
                Task("A", 10, parent="S"),
                Task("B", 5, parent="S"),
                Task("Y", 2),
                Task("Z", 1),
            ],
            [
                Dependency("X", "S"),
                Dependency("A", "B"),
                Dependency("S", "Y"),
                Dependency("S", "Z", SS),
            ],
        )

    def test_summary_dates_roll_up(self) -> None:
        """A summary spans its children: earliest start to latest finish."""
        result = schedule(self.network())
        assert dates(result, "A")[:2] == (3, 13)
        assert dates(result, "B")[:2] == (13, 18)
        assert dates(result, "S") == (3, 18, 3, 18)
        assert dates(result, "Y")[:2] == (18, 20)
        assert result.tasks["S"].critical
        assert result.critical_path == ["X", "A", "B", "Y"]

    def test_start_link_from_summary_waits_for_every_child_start(self) -> None:
        """SS out of a summary applies to each leaf, so Z waits for B's start."""
        assert dates(schedule(self.network()), "Z")[:2] == (13, 14)


class DeterminismTests:
    def test_ties_follow_insertion_order(self) -> None:
        """With two equal driving links the critical path follows the first one inserted."""
        network = Network(
            [Task("A", 5), Task("B", 5), Task("C", 5)],
            [Dependency("B", "C"), Dependency("A", "C")],
        )
        result = schedule(network)
        assert result.critical_path == ["B", "C"]
        assert result.critical_tasks == ["A", "B", "C"]

    def test_repeated_runs_agree(self) -> None:
        """Scheduling the same network twice gives identical results."""
        network = Network(
            [Task(f"T{i}", i % 7) for i in range(30)],
            [Dependency(f"T{i}", f"T{i + j}", FS, j - 2) for i in range(27) for j in (1, 3)],
        )
        first, second = schedule(network), schedule(network)
        assert dict(first.tasks) == dict(second.tasks)
        assert first.critical_path == second.critical_path

    def test_empty_network(self) -> None:
        """An empty network finishes at offset 0 with no critical path."""
        result = schedule(Network([], []))
        assert (result.finish, result.critical_path, len(result.tasks)) == (0, [], 0)


class CriticalPathEndTests:
    def test_closing_milestone_ends_the_path(self) -> None:
        """A go-live milestone after the last task is the path's last element."""
        network = Network(
            [Task("A", 10), Task("B", 20), Task("M", milestone=True)],
            [Dependency("A", "B"), Dependency("B", "M")],
        )
        assert schedule(network).critical_path == ["A", "B", "M"]
