"""Benchmark the Monte Carlo forecast against drawing its samples and against a run-by-run loop.

Run: ``.venv/bin/python bench/forecast.py [--tasks 1000] [--iterations 10000] [--repeat 5]``.

The network is the seeded random project network of ``bench/cpm.py`` (about three links per
task of all four kinds, with lags); every task that takes time gets a three-point estimate of
-20 % / planned / +60 %. The bench measures, as medians of ``--repeat`` runs:

- ``forecast_s``: ``forecast()`` for ``--iterations`` runs (PERT-beta draws, forward and backward
  pass over all runs at once, percentiles and criticality);
- ``draw_s``: the forecast's own drawing of the duration matrix alone (its floor);
- ``sampling_s``, the reference floor: NumPy's ``Generator.beta`` drawing the same matrix of
  float64 beta samples in one call, as the forecast did before it drew float32 gamma ratios;
- ``loop_s``, the straightforward reference: one ``schedule()`` per run on a network with that
  run's durations, timed over ``--loop-runs`` runs and scaled to ``--iterations``.

It prints one JSON line with the ratios ``forecast_s / sampling_s`` and ``loop_s / forecast_s``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpm import project_network

from golive.scheduling.cpm import schedule
from golive.scheduling.forecast import ThreePoint, _durations, forecast
from golive.scheduling.network import Network

BUDGET_S = 1.0


def main() -> None:
    """Parse arguments, run the measurements and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000)
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--loop-runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20270104)
    args = parser.parse_args()

    items, dependencies = project_network(args.tasks, args.seed)
    network = Network(items, dependencies)
    estimates = {
        task.id: ThreePoint(task.duration * 4 // 5, task.duration, task.duration * 8 // 5)
        for task in items
        if task.duration
    }

    runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = forecast(network, estimates, iterations=args.iterations, seed=args.seed)
        runs.append(time.perf_counter() - start)

    draws = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        _durations(network, estimates, args.iterations, args.seed, "pert")
        draws.append(time.perf_counter() - start)

    low = np.array([e.optimistic for e in estimates.values()], dtype=np.float64)
    mode = np.array([e.most_likely for e in estimates.values()], dtype=np.float64)
    high = np.array([e.pessimistic for e in estimates.values()], dtype=np.float64)
    peak = (mode - low) / np.where(high > low, high - low, 1.0)
    shape = (args.iterations, len(estimates))
    floors = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        rng = np.random.default_rng(args.seed)
        unit = rng.beta(1.0 + 4.0 * peak, 1.0 + 4.0 * (1.0 - peak), size=shape)
        np.rint(low + unit * (high - low)).astype(np.int64)
        floors.append(time.perf_counter() - start)

    # The loop draws its durations up front, so it times scheduling alone.
    rng = np.random.default_rng(args.seed)
    unit = rng.beta(1.0 + 4.0 * peak, 1.0 + 4.0 * (1.0 - peak), size=(args.loop_runs, len(low)))
    drawn = np.rint(low + unit * (high - low)).astype(np.int64).tolist()
    position = {task_id: i for i, task_id in enumerate(estimates)}
    finishes = []
    start = time.perf_counter()
    for durations in drawn:
        tasks = [
            replace(task, duration=durations[position[task.id]]) if task.id in position else task
            for task in items
        ]
        finishes.append(schedule(Network(tasks, dependencies)).finish)
    loop = (time.perf_counter() - start) / args.loop_runs * args.iterations

    median, floor = statistics.median(runs), statistics.median(floors)
    figures = {
        "bench": "forecast",
        "tasks": args.tasks,
        "links": network.graph.link_count,
        "estimated": len(estimates),
        "iterations": args.iterations,
        "repeat": args.repeat,
        "forecast_s": round(median, 4),
        "draw_s": round(statistics.median(draws), 4),
        "sampling_s": round(floor, 4),
        "ratio_to_sampling": round(median / floor, 2),
        "loop_s": round(loop, 2),
        "loop_runs_timed": args.loop_runs,
        "ratio_loop": round(loop / median, 1),
        "p50_p80_p95": [result.project.p50, result.project.p80, result.project.p95],
        "loop_p50": int(np.percentile(finishes, 50)),
        "budget_s": BUDGET_S,
        "within_budget": median < BUDGET_S,
        "load_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
