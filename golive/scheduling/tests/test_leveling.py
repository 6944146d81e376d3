"""Tests for resource leveling: hand instances, every link kind, progress, time off, bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golive.scheduling import cpm
from golive.scheduling.cpsat import cliques
from golive.scheduling.leveling import (
    Demand,
    LevelingError,
    LevelingResult,
    Resource,
    level,
    priority_rule_schedule,
)
from golive.scheduling.network import (
    Constraint,
    ConstraintKind,
    Dependency,
    DependencyType,
    Network,
    Task,
)
from golive.scheduling.sgs import Problem, serial_sgs

FS, SS, FF, SF = DependencyType.FS, DependencyType.SS, DependencyType.FF, DependencyType.SF


def overloads(
    network: Network,
    resources: list[Resource],
    demands: list[Demand],
    starts: dict[str, int],
    finishes: dict[str, int],
) -> list[str]:
    """Return every (resource, minute) where the use exceeds the capacity, time off included."""
    problems = []
    for resource in resources:
        events: list[tuple[int, int]] = []
        for demand in demands:
            if demand.resource_id != resource.id or not demand.units:
                continue
            s, f = starts[demand.task_id], finishes[demand.task_id]
            if f > s:
                events += [(s, demand.units), (f, -demand.units)]
                problems += [
                    f"{demand.task_id} uses {resource.id} during its time off [{a}, {b})"
                    for a, b in resource.unavailable
                    if s < b and a < f and not network.task(demand.task_id).has_progress
                ]
        use = 0
        for moment, change in sorted(events):
            use += change
            if use > resource.capacity:
                problems.append(f"{resource.id} at {moment}: {use}")
    return problems


def broken_links(network: Network, starts: dict[str, int], finishes: dict[str, int]) -> list[str]:
    """Return the links between unstarted leaf tasks that the schedule breaks."""
    problems = []
    for link in network.dependencies:
        if network.task(link.successor).has_progress:
            continue
        source = finishes[link.predecessor] if link.type.from_finish else starts[link.predecessor]
        target = finishes[link.successor] if link.type.to_finish else starts[link.successor]
        if target < source + link.lag:
            problems.append(f"{link.predecessor}->{link.successor} {link.type.value}")
    return problems


def assert_valid(
    network: Network,
    resources: list[Resource],
    demands: list[Demand],
    result: LevelingResult,
) -> None:
    starts, finishes = result.starts, result.finishes
    assert overloads(network, resources, demands, starts, finishes) == []
    assert broken_links(network, starts, finishes) == []
    for task in network.tasks:
        if not task.has_progress:
            assert finishes[task.id] - starts[task.id] == task.duration
            assert starts[task.id] >= 0
    assert result.lower_bound <= result.makespan
    assert result.makespan == max(finishes.values(), default=0)


class LevelingHandInstanceTests:
    def test_two_full_time_tasks_on_one_person_run_one_after_the_other(self) -> None:
        """Two tasks that each need the whole resource are sequenced; the optimum is proven."""
        network = Network([Task("A", 60), Task("B", 30)])
        resources = [Resource("dev", 100)]
        demands = [Demand("A", "dev", 100), Demand("B", "dev", 100)]
        result = level(network, resources, demands, time_limit=5)
        assert result.makespan == 90
        assert result.optimal
        assert result.lower_bound == 90
        assert_valid(network, resources, demands, result)

    def test_known_optimum_beats_the_priority_rule(self) -> None:
        """The solver finds the optimum 25 where the order matters."""
        network = Network([Task("A", 10), Task("B", 10), Task("C", 5)], [Dependency("A", "C")])
        resources = [Resource("R", 100)]
        demands = [Demand("A", "R", 100), Demand("B", "R", 100), Demand("C", "R", 50)]
        result = level(network, resources, demands, time_limit=5)
        assert result.makespan == 25
        assert result.status in ("optimal", "priority_rule")
        assert result.optimal

    def test_classic_instance_optimum(self) -> None:
        """A small RCPSP whose optimum (by enumeration) is 12 is solved to 12 and proven."""
        durations = {"a": 3, "b": 4, "c": 2, "d": 5, "e": 3, "f": 2}
        units = {"a": 2, "b": 3, "c": 2, "d": 2, "e": 3, "f": 1}
        links = [("a", "c"), ("b", "d"), ("c", "e"), ("a", "f")]
        network = Network(
            [Task(k, d) for k, d in durations.items()], [Dependency(p, s) for p, s in links]
        )
        resources = [Resource("R", 4)]
        demands = [Demand(k, "R", u) for k, u in units.items()]
        result = level(network, resources, demands, time_limit=5)
        assert_valid(network, resources, demands, result)
        assert result.makespan == brute_force_optimum(durations, units, links, 4)
        assert result.optimal

    def test_unconstrained_network_keeps_its_early_dates(self) -> None:
        """Without resource conflicts nothing moves and the CPM finish is optimal."""
        network = Network([Task("A", 10), Task("B", 20)], [Dependency("A", "B")])
        result = level(network, [Resource("R", 100)], [Demand("A", "R", 50)])
        assert result.moved == {"A": 0, "B": 0}
        assert result.makespan == 30
        assert result.optimal

    def test_summary_spans_its_children_and_milestones_take_no_time(self) -> None:
        """Summaries roll up the leveled children; milestones have zero duration."""
        network = Network(
            [
                Task("S"),
                Task("A", 10, parent="S"),
                Task("B", 10, parent="S"),
                Task("M", milestone=True),
            ],
            [Dependency("S", "M")],
        )
        resources = [Resource("R", 100)]
        demands = [Demand("A", "R", 100), Demand("B", "R", 100)]
        result = level(network, resources, demands, time_limit=2)
        assert (result.starts["S"], result.finishes["S"]) == (0, 20)
        assert result.starts["M"] == result.finishes["M"] == 20

    def test_whole_hour_plan_is_solved_exactly_on_the_hour_grid(self) -> None:
        """With every time a multiple of an hour the optimum and its proof are exact."""
        network = Network(
            [Task("A", 120), Task("B", 60), Task("C", 180)],
            [Dependency("A", "C", DependencyType.SS, 60)],
        )
        resources = [Resource("R", 100, unavailable=((240, 360),))]
        demands = [Demand(t, "R", 100) for t in ("A", "B", "C")]
        result = level(network, resources, demands, time_limit=5)
        assert_valid(network, resources, demands, result)
        # C cannot fit before the time off (it starts an hour after A), so it runs after it.
        assert result.makespan == 540
        assert result.optimal and result.lower_bound == 540

    def test_no_time_limit_returns_the_priority_rule(self) -> None:
        """With no time for the solver the priority-rule schedule is the answer."""
        network = Network([Task("A", 60), Task("B", 30)])
        resources = [Resource("dev", 100)]
        demands = [Demand("A", "dev", 100), Demand("B", "dev", 100)]
        result = level(network, resources, demands, time_limit=0)
        assert result.status == "priority_rule"
        assert result.makespan == 90
        assert result.priority_rule_makespan == 90


def brute_force_optimum(
    durations: dict[str, int], units: dict[str, int], links: list[tuple[str, str]], cap: int
) -> int:
    """Return the optimum over all activity lists decoded by the serial scheme (exact)."""
    import itertools

    ids = list(durations)
    best = 10**9
    for order in itertools.permutations(ids):
        position = {k: i for i, k in enumerate(order)}
        if any(position[p] > position[s] for p, s in links):
            continue
        start: dict[str, int] = {}
        for k in order:
            t = max([start[p] + durations[p] for p, s in links if s == k], default=0)
            while any(
                sum(units[o] for o in start if start[o] <= m < start[o] + durations[o]) + units[k]
                > cap
                for m in range(t, t + durations[k])
            ):
                t += 1
            start[k] = t
        best = min(best, max(start[k] + durations[k] for k in ids))
    return best


class LevelingLinkTests:
    @pytest.mark.parametrize("kind", [FS, SS, FF, SF])
    @pytest.mark.parametrize("lag", [-30, 0, 45])
    def test_every_link_kind_with_lag_holds_under_contention(
        self, kind: DependencyType, lag: int
    ) -> None:
        """Each link kind with a positive, zero or negative lag holds in the leveled schedule."""
        network = Network(
            [Task("A", 60), Task("B", 90), Task("C", 120), Task("D", 30)],
            [Dependency("A", "B", kind, lag), Dependency("C", "D", kind, lag)],
        )
        resources = [Resource("R", 100), Resource("Q", 50)]
        demands = [
            Demand("A", "R", 100),
            Demand("C", "R", 60),
            Demand("B", "Q", 50),
            Demand("D", "R", 40),
            Demand("D", "Q", 50),
        ]
        result = level(network, resources, demands, time_limit=1)
        assert_valid(network, resources, demands, result)
        rule = priority_rule_schedule(network, resources, demands)
        finishes = {t.id: rule[t.id] + t.duration for t in network.tasks}
        assert overloads(network, resources, demands, rule, finishes) == []
        assert broken_links(network, rule, finishes) == []


class LevelingProgressTests:
    def test_started_and_finished_tasks_do_not_move(self) -> None:
        """Done and in-progress tasks keep their dates; the others make room around them."""
        network = Network(
            [
                Task("done", 60, actual_start=0, actual_finish=60),
                Task("doing", 120, actual_start=30),
                Task("next", 60),
                Task("later", 60),
            ],
            [Dependency("done", "next"), Dependency("next", "doing")],
        )
        resources = [Resource("R", 100)]
        demands = [Demand(t, "R", 100) for t in ("doing", "next", "later")]
        plain = cpm.schedule(network)
        result = level(network, resources, demands, time_limit=2)
        for task_id in ("done", "doing"):
            assert result.starts[task_id] == plain.tasks[task_id].early_start
            assert result.finishes[task_id] == plain.tasks[task_id].early_finish
        assert result.starts["next"] >= result.finishes["doing"] or (
            result.finishes["next"] <= result.starts["doing"]
        )
        assert overloads(network, resources, demands, result.starts, result.finishes) == []

    def test_overloaded_history_is_not_refused(self) -> None:
        """Two started tasks that overload a resource are accepted; the rest waits."""
        network = Network(
            [Task("x", 60, actual_start=0), Task("y", 60, actual_start=0), Task("z", 30)]
        )
        resources = [Resource("R", 100)]
        demands = [Demand("x", "R", 100), Demand("y", "R", 100), Demand("z", "R", 100)]
        result = level(network, resources, demands, time_limit=2)
        assert result.starts["x"] == result.starts["y"] == 0
        assert result.starts["z"] >= 60

    def test_status_date_keeps_unstarted_work_after_it(self) -> None:
        """With a status date, unstarted tasks start no earlier than it."""
        network = Network([Task("A", 60), Task("B", 30)])
        demands = [Demand("A", "R", 100), Demand("B", "R", 100)]
        result = level(network, [Resource("R", 100)], demands, status_date=100)
        assert min(result.starts.values()) >= 100
        assert result.makespan == 190

    def test_must_start_on_task_is_fixed_and_predecessors_make_room(self) -> None:
        """An MSO task keeps its offset; a predecessor needing the same resource fits before."""
        network = Network(
            [
                Task("P", 60),
                Task("Q", 60),
                Task("M", 60, constraint=Constraint(ConstraintKind.MSO, 60)),
            ],
            [Dependency("P", "M")],
        )
        resources = [Resource("R", 100)]
        demands = [Demand(t, "R", 100) for t in ("P", "Q", "M")]
        result = level(network, resources, demands, time_limit=2)
        assert result.starts["M"] == 60
        assert result.starts["P"] == 0
        assert result.starts["Q"] == 120
        assert_valid(network, resources, demands, result)

    def test_snet_is_respected(self) -> None:
        """A start-no-earlier-than constraint holds after leveling."""
        network = Network([Task("A", 60, constraint=Constraint(ConstraintKind.SNET, 500))])
        result = level(network, [Resource("R", 100)], [Demand("A", "R", 100)])
        assert result.starts["A"] == 500


class LevelingTimeOffTests:
    def test_time_off_window_is_never_used(self) -> None:
        """A task does not overlap its resource's time off; it waits for the window to end."""
        network = Network([Task("A", 120), Task("B", 60)])
        resources = [Resource("dev", 100, unavailable=((60, 240),))]
        demands = [Demand("A", "dev", 100), Demand("B", "dev", 50)]
        result = level(network, resources, demands, time_limit=2)
        assert_valid(network, resources, demands, result)
        assert result.starts["A"] == 240
        assert result.starts["B"] in (0, 240)


class LevelingBadInputTests:
    def test_zero_capacity_resource_names_task_and_resource(self) -> None:
        """A task that needs a zero-capacity resource is refused, naming both."""
        network = Network([Task("Build", 60)])
        with pytest.raises(LevelingError, match=r"Build.*crane.*zero capacity") as caught:
            level(network, [Resource("crane", 0)], [Demand("Build", "crane", 100)])
        assert (caught.value.task_id, caught.value.resource_id) == ("Build", "crane")

    def test_demand_above_capacity_names_task_and_resource(self) -> None:
        """A demand above the capacity is refused with the amounts."""
        network = Network([Task("Build", 60)])
        with pytest.raises(LevelingError, match=r"Build needs 150 units of resource dev.*100"):
            priority_rule_schedule(network, [Resource("dev", 100)], [Demand("Build", "dev", 150)])

    def test_unknown_resource_and_task(self) -> None:
        """Demands naming unknown tasks or resources are refused."""
        network = Network([Task("A", 60)])
        with pytest.raises(LevelingError, match="unknown resource 'nobody'"):
            level(network, [], [Demand("A", "nobody", 10)])
        with pytest.raises(LevelingError, match="unknown task 'Z'"):
            level(network, [Resource("R", 1)], [Demand("Z", "R", 1)])

    def test_demand_on_summary_task_is_refused(self) -> None:
        """Summary tasks are not scheduled, so they cannot need resources."""
        network = Network([Task("S"), Task("A", 10, parent="S")])
        with pytest.raises(LevelingError, match="summary task S"):
            level(network, [Resource("R", 100)], [Demand("S", "R", 100)])

    def test_unmeetable_deadline_names_task_and_resource(self) -> None:
        """An FNLT that the resources make impossible is reported with task and resource."""
        network = Network(
            [
                Task("A", 60),
                Task("B", 60, constraint=Constraint(ConstraintKind.FNLT, 90)),
            ]
        )
        resources = [Resource("dev", 100)]
        demands = [Demand("A", "dev", 100), Demand("B", "dev", 100), Demand("A", "dev", 0)]
        result = level(network, resources, demands, time_limit=2)
        assert result.starts["B"] == 0  # the deadline task goes first
        late = Network(
            [
                Task("A", 60, constraint=Constraint(ConstraintKind.FNLT, 90)),
                Task("B", 60, constraint=Constraint(ConstraintKind.FNLT, 90)),
            ]
        )
        with pytest.raises(LevelingError, match=r"no resource-feasible schedule.*dev") as caught:
            level(late, resources, demands, time_limit=2)
        assert caught.value.task_id in ("A", "B")
        assert caught.value.resource_id == "dev"
        with pytest.raises(LevelingError, match="finish-no-later-than"):
            priority_rule_schedule(late, resources, demands)

    def test_bad_time_unit_and_rule(self) -> None:
        """A non-positive grid or an unknown rule is refused."""
        network = Network([Task("A", 60)])
        with pytest.raises(LevelingError, match="time_unit"):
            level(network, [], [], time_unit=0)
        with pytest.raises(ValueError, match="unknown priority rule"):
            priority_rule_schedule(network, [], [], rule="random")


@st.composite
def small_projects(draw: st.DrawFn) -> tuple[Network, list[Resource], list[Demand]]:
    size = draw(st.integers(1, 7))
    # Whole hours exercise the exact coarse grid (every time a multiple of 60).
    scale = draw(st.sampled_from([1, 60]))
    tasks = []
    for i in range(size):
        duration = draw(st.integers(0, 90)) * scale
        started = i == 0 and draw(st.booleans())
        tasks.append(Task(f"t{i}", duration, actual_start=0 if started else None))
    links = []
    for j in range(1, size):
        for i in draw(st.sets(st.integers(0, j - 1), max_size=2)):
            kind = draw(st.sampled_from([FS, SS, FF, SF]))
            lag = draw(st.integers(-40, 40)) * scale
            links.append(Dependency(f"t{i}", f"t{j}", kind, lag))
    resources = []
    for k in range(draw(st.integers(1, 2))):
        windows = draw(st.lists(st.tuples(st.integers(0, 300), st.integers(1, 90)), max_size=2))
        resources.append(
            Resource(
                f"r{k}",
                draw(st.integers(1, 4)) * 50,
                unavailable=tuple((a * scale, (a + w) * scale) for a, w in windows),
            )
        )
    demands = []
    for task in tasks:
        for resource in resources:
            if draw(st.booleans()):
                units = draw(st.integers(1, resource.capacity))
                demands.append(Demand(task.id, resource.id, units))
    return Network(tasks, links), resources, demands


class LevelingPropertyTests:
    @settings(max_examples=60, deadline=None)
    @given(small_projects(), st.sampled_from([1, 1, 7, 30]))
    def test_no_resource_over_capacity_and_every_link_holds(
        self, project: tuple[Network, list[Resource], list[Demand]], unit: int
    ) -> None:
        """On random small networks the leveled schedule never overloads and keeps every link."""
        network, resources, demands = project
        result = level(network, resources, demands, time_limit=0.5, time_unit=unit)
        assert_valid(network, resources, demands, result)
        plain = cpm.schedule(network)
        for task in network.tasks:
            if task.has_progress:
                assert result.starts[task.id] == plain.tasks[task.id].early_start
        assert result.makespan >= plain.finish
        if unit == 1:
            assert result.makespan <= result.priority_rule_makespan
            rule = priority_rule_schedule(network, resources, demands)
            finishes = {
                t.id: plain.tasks[t.id].early_finish if t.has_progress else rule[t.id] + t.duration
                for t in network.tasks
            }
            assert overloads(network, resources, demands, rule, finishes) == []
            assert broken_links(network, rule, finishes) == []


def _problem(
    duration: list[int],
    demands: list[list[tuple[int, int]]],
    links: list[tuple[int, int, int]],
    capacity: list[int],
) -> Problem:
    return Problem(
        duration=duration,
        floor=[0] * len(duration),
        ceiling=[None] * len(duration),
        demands=demands,
        links=links,
        capacity=capacity,
        background=[[] for _ in capacity],
    )


class CliqueTests:
    def test_three_majority_users_of_one_resource_form_one_clique(self) -> None:
        problem = _problem([2, 3, 4, 5], [[(0, 60)], [(0, 51)], [(0, 70)], [(0, 40)]], [], [100])
        assert cliques(problem) == [[0, 1, 2]]  # 40 fits beside 60 and 51: {2, 3} is a lone pair

    def test_a_finish_to_start_link_separates_a_negative_lag_does_not(self) -> None:
        demands = [[(0, 60)], [(0, 60)], [], []]
        # 2 starts after 0 and 1 finish: {0, 1, 2} never overlap; 3 may start before 1 ends.
        problem = _problem([2, 3, 4, 5], demands, [(0, 2, 2), (1, 2, 3), (1, 3, -1)], [100])
        assert cliques(problem) == [[0, 1, 2]]
        # A lone pair is left to the cumulative.
        assert cliques(_problem([2, 3], [[(0, 60)], [(0, 60)]], [], [100])) == []

    @settings(max_examples=80, deadline=None)
    @given(st.data())
    def test_no_two_jobs_of_a_clique_overlap_in_a_feasible_schedule(
        self, data: st.DataObject
    ) -> None:
        size = data.draw(st.integers(2, 12))
        capacity = data.draw(st.lists(st.integers(1, 10), min_size=1, max_size=3))
        duration = data.draw(st.lists(st.integers(0, 6), min_size=size, max_size=size))
        demands = [
            [
                (r, data.draw(st.integers(1, c)))
                for r, c in enumerate(capacity)
                if data.draw(st.booleans())
            ]
            for _ in range(size)
        ]
        links = [
            (i, j, data.draw(st.integers(-3, 6)))
            for j in range(1, size)
            for i in data.draw(st.sets(st.integers(0, j - 1), max_size=2))
        ]
        problem = _problem(duration, demands, links, capacity)
        found = cliques(problem, minimum=2)
        for clique in found:
            for a in clique:
                for b in clique:
                    if a >= b:
                        continue
                    need_a, need_b = dict(demands[a]), dict(demands[b])
                    too_much = any(
                        need_a.get(r, 0) + need_b.get(r, 0) > c for r, c in enumerate(capacity)
                    )
                    ordered = any(
                        (p, q) in ((a, b), (b, a)) and delta >= duration[p] for p, q, delta in links
                    )
                    assert duration[a] > 0 and duration[b] > 0
                    assert too_much or ordered
        for _ in range(3):
            keys = [(data.draw(st.integers(0, 100)),) for _ in range(size)]
            starts = serial_sgs(problem, keys).starts
            for clique in found:
                for a in clique:
                    for b in clique:
                        if a < b:
                            assert (
                                starts[a] + duration[a] <= starts[b]
                                or starts[b] + duration[b] <= starts[a]
                            )
