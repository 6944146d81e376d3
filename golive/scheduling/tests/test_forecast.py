"""Monte Carlo forecast: agreement with the CPM, reproducibility and percentile order."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

from golive.scheduling.cpm import schedule
from golive.scheduling.errors import NetworkError
from golive.scheduling.forecast import Distribution, ThreePoint, forecast
from golive.scheduling.network import Dependency, Network, Task
from golive.scheduling.tests.test_cpm_properties import networks

# The package re-exports forecast(), which hides the module of the same name.
forecast_module = importlib.import_module("golive.scheduling.forecast")


def fork() -> Network:
    """Build A -> (B | C) -> M, with M a milestone."""
    return Network(
        [Task("A", 10), Task("B", 50), Task("C", 50), Task("M", milestone=True)],
        [Dependency("A", "B"), Dependency("A", "C"), Dependency("B", "M"), Dependency("C", "M")],
    )


class ThreePointTests:
    def test_rejects_unordered_estimates(self) -> None:
        """Optimistic <= most likely <= pessimistic is required."""
        with pytest.raises(ValueError, match="three-point"):
            ThreePoint(10, 5, 20)


class ForecastTests:
    @given(networks())
    @settings(max_examples=100, deadline=None)
    def test_point_estimates_reproduce_the_cpm(self, network: Network) -> None:
        """With o = m = p everywhere every percentile is the CPM finish, criticality 0 or 1."""
        estimates = {t.id: ThreePoint(t.duration, t.duration, t.duration) for t in network.tasks}
        result = forecast(network, estimates, iterations=20, seed=1)
        plan = schedule(network)
        assert (result.project.p50, result.project.p80, result.project.p95) == (plan.finish,) * 3
        assert result.criticality == {
            t: (1.0 if e.critical else 0.0) for t, e in plan.tasks.items()
        }

    def test_seeded_runs_are_reproducible(self) -> None:
        """The same seed gives the same forecast; another seed generally does not."""
        estimates = {"B": ThreePoint(20, 50, 200), "C": ThreePoint(30, 50, 90)}
        first = forecast(fork(), estimates, iterations=500, seed=7)
        assert first == forecast(fork(), estimates, iterations=500, seed=7)
        assert first.criticality != forecast(fork(), estimates, iterations=500, seed=8).criticality

    @pytest.mark.parametrize("distribution", ["pert", "triangular"])
    def test_percentiles_are_ordered_and_bounded(self, distribution: Distribution) -> None:
        """P50 <= P80 <= P95, all between the best and worst case finish."""
        estimates = {"B": ThreePoint(20, 50, 200), "C": ThreePoint(30, 50, 90)}
        result = forecast(fork(), estimates, iterations=2000, seed=3, distribution=distribution)
        project = result.project
        assert 10 + 30 <= project.p50 <= project.p80 <= project.p95 <= 10 + 200
        assert result.milestones["M"] == project

    def test_criticality_splits_between_parallel_branches(self) -> None:
        """Each branch is critical in part of the runs; together they cover every run."""
        estimates = {"B": ThreePoint(20, 50, 80), "C": ThreePoint(20, 50, 80)}
        result = forecast(fork(), estimates, iterations=2000, seed=5)
        assert 0.3 < result.criticality["B"] < 0.7
        assert 0.3 < result.criticality["C"] < 0.7
        assert result.criticality["B"] + result.criticality["C"] >= 1.0
        assert result.criticality["A"] == result.criticality["M"] == 1.0

    def test_unestimated_tasks_keep_their_duration(self) -> None:
        """Only estimated tasks vary: with B fixed longer than C's worst case, B stays critical."""
        result = forecast(fork(), {"C": ThreePoint(10, 20, 40)}, iterations=300, seed=2)
        assert result.project == type(result.project)(60, 60, 60)
        assert result.criticality["B"] == 1.0
        assert result.criticality["C"] == 0.0

    def test_pert_mean_matches_the_estimate(self) -> None:
        """PERT durations average (o + 4m + p) / 6."""
        network = Network([Task("A", 0)], [])
        result = forecast(network, {"A": ThreePoint(0, 300, 1200)}, iterations=20000, seed=11)
        assert 350 < result.project.p50 < 500

    def test_rejects_estimates_for_unknown_tasks(self) -> None:
        """An estimate must name a task of the network."""
        with pytest.raises(NetworkError, match="unknown task 'Z'"):
            forecast(fork(), {"Z": ThreePoint(1, 2, 3)}, iterations=10)


class ForecastProgressTests:
    def progressed(self) -> Network:
        """A finished early (0-12), B half done at the status date 30, C not started."""
        return Network(
            [
                Task("A", 10, actual_start=0, actual_finish=12),
                Task("B", 50, actual_start=12, remaining=25),
                Task("C", 40),
                Task("M", milestone=True),
            ],
            [
                Dependency("A", "B"),
                Dependency("A", "C"),
                Dependency("B", "M"),
                Dependency("C", "M"),
            ],
        )

    def test_point_estimates_reproduce_the_cpm_with_progress(self) -> None:
        """With o = m = p the forecast finish equals the CPM's at the same status date."""
        network = self.progressed()
        estimates = {t: ThreePoint(d, d, d) for t, d in (("A", 10), ("B", 50), ("C", 40))}
        result = forecast(network, estimates, iterations=10, seed=3, status_date=30)
        plan = schedule(network, status_date=30)
        assert result.project.p50 == result.project.p95 == plan.finish == 30 + 40
        assert result.milestones["M"].p50 == plan.tasks["M"].early_finish
        assert result.criticality["A"] == 0.0

    def test_finished_work_is_not_resampled(self) -> None:
        """A finished task's wide estimate changes nothing; the remaining work still varies."""
        network = self.progressed()
        wide = {"A": ThreePoint(1, 10, 500), "B": ThreePoint(40, 50, 100)}
        result = forecast(network, wide, iterations=500, seed=5, status_date=30)
        # B's remaining 25 minutes scale with the sampled duration: 20 to 50 minutes from 30.
        assert 30 + 20 <= result.project.p50 <= result.project.p95 <= 30 + 50 + 40
        assert result.project.p50 >= 30 + 40  # C cannot start before the status date

    def test_unstarted_work_waits_for_the_status_date(self) -> None:
        """Without progress but with a status date, nothing starts before it."""
        network = fork()
        result = forecast(network, {}, iterations=5, seed=1, status_date=100)
        assert result.project.p50 == 100 + 10 + 50


class ForecastSamplingTests:
    def test_pert_percentiles_match_numpy_beta(self) -> None:
        """A lone task's P50/P80/P95 are those of NumPy's beta(1 + 4m', 1 + 4(1 - m'))."""
        network = Network([Task("A", 300)], [])
        result = forecast(network, {"A": ThreePoint(100, 300, 1100)}, iterations=50_000, seed=4)
        rng = np.random.default_rng(4)
        reference = 100 + 1000 * rng.beta(1.8, 4.2, size=200_000)
        expected = np.percentile(reference, [50, 80, 95])
        got = (result.project.p50, result.project.p80, result.project.p95)
        assert np.allclose(got, expected, atol=8), (got, expected)

    def test_triangular_percentiles_match_numpy_triangular(self) -> None:
        """The triangular draws have the percentiles of NumPy's triangular distribution."""
        network = Network([Task("A", 300)], [])
        estimate = ThreePoint(100, 300, 1100)
        result = forecast(
            network, {"A": estimate}, iterations=50_000, seed=4, distribution="triangular"
        )
        reference = np.random.default_rng(4).triangular(100, 300, 1100, size=200_000)
        expected = np.percentile(reference, [50, 80, 95])
        got = (result.project.p50, result.project.p80, result.project.p95)
        assert np.allclose(got, expected, atol=10), (got, expected)

    def test_draws_do_not_depend_on_the_number_of_threads(self, monkeypatch: Any) -> None:
        """Each block of estimates has its own stream, so one thread or two give the same runs."""
        tasks = [Task(f"T{i}", 100) for i in range(300)] + [Task("M", milestone=True)]
        links = [Dependency(f"T{i}", "M") for i in range(300)]
        network = Network(tasks, links)
        estimates = {f"T{i}": ThreePoint(50, 100 + i, 400) for i in range(300)}
        threaded = forecast(network, estimates, iterations=4000, seed=9)
        monkeypatch.setattr(forecast_module, "_SAMPLING_THREADS", 1)
        assert forecast(network, estimates, iterations=4000, seed=9) == threaded
