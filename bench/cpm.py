"""Benchmark the critical path method, dates included, against a networkx reference CPM.

Run: ``.venv/bin/python bench/cpm.py [--sizes 10000,100000,1000000] [--repeat 5]``
(needs the ``bench`` extra: ``pip install -e .[bench]``).

Each size is a seeded random project network (see ``project_network``): about three links per
task of all four kinds, with lags, on a Monday-to-Friday calendar in Europe/Berlin with public
holidays and daylight saving changes. Per size the bench measures, as medians of ``--repeat``
runs, each on a freshly built Network and WorkCalendar so no run profits from the caches of
the one before:

- ``schedule_s``: ``schedule()`` (forward and backward pass, float, critical path);
- ``full_s``: ``schedule()`` plus every task's early/late start and finish converted to
  datetimes through the calendar: the figure the budget applies to;
- ``networkx_s``: the reference, a straightforward CPM on a networkx DiGraph of the same network
  (topological sort, forward pass, backward pass, total float), timed without building the graph.

``dates_s`` is ``full_s - schedule_s``. ``ratio`` is ``networkx_s / full_s`` (the reference computes no dates, so the ratio is the
conservative one) and ``ratio_cpm`` is ``networkx_s / schedule_s``. Building the inputs is
reported but not budgeted: ``build_s`` is ``Network(tasks, links)`` (validation and compile) and
``networkx_build_s`` the DiGraph. Before timing, the bench checks that both give every task the
same four dates (``agree``); ``passes`` says which implementation ran (NumPy wave by wave, or
plain Python for deep, narrow networks: try ``--width 10``). One JSON line per size goes to
stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from golive.scheduling.calendar import WorkCalendar
from golive.scheduling.cpm import Schedule, schedule
from golive.scheduling.network import Dependency, DependencyType, Network, Task
from golive.scheduling.passes import kahn

try:
    import networkx as nx
except ImportError:  # pragma: no cover - a hint rather than a traceback
    sys.exit("bench/cpm.py needs networkx: pip install -e '.[bench]'")

BUDGET_S = {100_000: 0.3, 1_000_000: 3.0}
MIN_RATIO = 5.0
ZONE = "Europe/Berlin"
START = date(2027, 1, 4)  # a Monday

# Most real links are finish-to-start; the rest exercise the other three kinds.
LINK_KINDS = (DependencyType.FS, DependencyType.SS, DependencyType.FF, DependencyType.SF)
LINK_WEIGHTS = (70, 12, 12, 6)
# Plans are estimated in hours and days: 1 h to 10 days of 8 h, and some milestones.
DURATIONS = (0, 60, 120, 240, 480, 960, 1440, 2400, 4800)
DURATION_WEIGHTS = (8, 6, 10, 14, 22, 16, 10, 9, 5)
# Three links in four have no lag; the rest wait (or overlap) by hours to two days.
LAGS = (0, -480, -240, -60, 60, 240, 480, 960)
LAG_WEIGHTS = (75, 3, 3, 3, 4, 5, 4, 3)


def project_network(
    tasks: int, seed: int, links_per_task: float = 3.0, width: int | None = None
) -> tuple[list[Task], list[Dependency]]:
    """Return ``tasks`` tasks and their links, acyclic by construction.

    Tasks come in layers of ``width`` (default: the square root of ``tasks``, so the network gets
    deeper as it grows); each task beyond the first layer has one to five distinct predecessors
    (``links_per_task`` on average) drawn from the three layers before its own.
    """
    rng = random.Random(seed)
    width = width or max(1, round(math.sqrt(tasks)))
    durations = rng.choices(DURATIONS, DURATION_WEIGHTS, k=tasks)
    items = [Task(f"T{i}", duration=d, milestone=d == 0) for i, d in enumerate(durations, start=1)]
    spread = min(2.0, links_per_task - 1)
    dependencies = []
    for successor in range(width, tasks):
        layer_start = successor - successor % width
        low = max(0, layer_start - 3 * width)
        count = min(layer_start - low, max(1, round(rng.uniform(-spread, spread) + links_per_task)))
        for predecessor in rng.sample(range(low, layer_start), count):
            dependencies.append(
                Dependency(
                    f"T{predecessor + 1}",
                    f"T{successor + 1}",
                    rng.choices(LINK_KINDS, LINK_WEIGHTS)[0],
                    rng.choices(LAGS, LAG_WEIGHTS)[0],
                )
            )
    return items, dependencies


def project_calendar(years: int = 60) -> WorkCalendar:
    """Return Mon-Fri 08:00-12:00 and 13:00-17:00 in Berlin with ten holidays a year."""
    holidays: dict[date, list[Any]] = {}
    for year in range(START.year, START.year + years):
        for month, day in ((1, 1), (5, 1), (10, 3), (12, 24), (12, 25), (12, 26), (12, 31)):
            holidays[date(year, month, day)] = []
        easter = _easter(year)
        for shift in (-2, 1, 50):  # Good Friday, Easter Monday, Whit Monday
            holidays[easter + timedelta(days=shift)] = []
    origin = datetime.combine(START, datetime.min.time(), tzinfo=ZoneInfo(ZONE))
    return WorkCalendar.standard(ZONE, exceptions=holidays, origin=origin)


def _easter(year: int) -> date:
    """Return Easter Sunday of ``year`` (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    shift = h + weekday - 7 * ((a + 11 * h + 22 * weekday) // 451) + 114
    return date(year, shift // 31, shift % 31 + 1)


def full_schedule(network: Network, calendar: WorkCalendar) -> tuple[Schedule, list[Any]]:
    """Schedule ``network`` and convert every task's four dates to datetimes."""
    result = schedule(network)
    tasks = result.tasks
    dates = [
        calendar.instants_at(tasks.array("early_start")),
        calendar.instants_at(tasks.array("early_finish"), end=True),
        calendar.instants_at(tasks.array("late_start")),
        calendar.instants_at(tasks.array("late_finish"), end=True),
    ]
    return result, dates


def networkx_graph(tasks: list[Task], dependencies: list[Dependency]) -> Any:
    """Return the network as a networkx DiGraph with durations on nodes, kind and lag on edges."""
    graph = nx.DiGraph()
    graph.add_nodes_from((task.id, {"duration": task.duration}) for task in tasks)
    graph.add_edges_from(
        (d.predecessor, d.successor, {"kind": d.type.value, "lag": d.lag}) for d in dependencies
    )
    return graph


def networkx_cpm(graph: Any) -> dict[str, tuple[int, int, int, int, int]]:
    """Return {task: (ES, EF, LS, LF, total float)} by a textbook CPM over the DiGraph."""
    order = list(nx.topological_sort(graph))
    nodes, pred, succ = graph.nodes, graph.pred, graph.succ
    early_start: dict[str, int] = {}
    early_finish: dict[str, int] = {}
    for node in order:
        duration = nodes[node]["duration"]
        start = 0
        for p, edge in pred[node].items():
            kind, lag = edge["kind"], edge["lag"]
            if kind == "FS":
                bound = early_finish[p] + lag
            elif kind == "SS":
                bound = early_start[p] + lag
            elif kind == "FF":
                bound = early_finish[p] + lag - duration
            else:
                bound = early_start[p] + lag - duration
            start = max(start, bound)
        early_start[node] = start
        early_finish[node] = start + duration
    finish = max(early_finish.values(), default=0)
    late_start: dict[str, int] = {}
    late_finish: dict[str, int] = {}
    for node in reversed(order):
        duration = nodes[node]["duration"]
        end = finish
        for s, edge in succ[node].items():
            kind, lag = edge["kind"], edge["lag"]
            if kind == "FS":
                bound = late_start[s] - lag
            elif kind == "SS":
                bound = late_start[s] - lag + duration
            elif kind == "FF":
                bound = late_finish[s] - lag
            else:
                bound = late_finish[s] - lag + duration
            end = min(end, bound)
        late_finish[node] = end
        late_start[node] = end - duration
    return {
        node: (
            early_start[node],
            early_finish[node],
            late_start[node],
            late_finish[node],
            late_start[node] - early_start[node],
        )
        for node in order
    }


def timed(run: Callable[[], object]) -> float:
    """Return the wall time of one call."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure(
    size: int, seed: int, repeat: int, reference_repeat: int, width: int | None
) -> dict[str, Any]:
    """Return the figures of one network size."""
    items, dependencies = project_network(size, seed, width=width)
    builds, schedules, fulls = [], [], []
    network: Network | None = None
    for _ in range(repeat):
        network = None
        gc.collect()
        start = time.perf_counter()
        network = Network(items, dependencies)
        builds.append(time.perf_counter() - start)
        schedules.append(timed(lambda net=network: schedule(net)))
        # A new network and a new calendar: its caches of days start empty, as in a request.
        network, calendar = Network(items, dependencies), project_calendar()
        fulls.append(timed(lambda net=network, cal=calendar: full_schedule(net, cal)))
    assert network is not None
    calendar = project_calendar()
    result, dates = full_schedule(network, calendar)

    gc.collect()
    start = time.perf_counter()
    graph = networkx_graph(items, dependencies)
    nx_build = time.perf_counter() - start
    reference = networkx_cpm(graph)
    tasks = result.tasks
    agree = all(
        reference[task_id][:4]
        == (row.early_start, row.early_finish, row.late_start, row.late_finish)
        for task_id, row in tasks.items()
    )
    references = [timed(lambda g=graph: networkx_cpm(g)) for _ in range(reference_repeat)]
    del graph, reference
    gc.collect()

    full, cpm, nx_cpm = (statistics.median(v) for v in (fulls, schedules, references))
    budget = BUDGET_S.get(size)
    figures: dict[str, Any] = {
        "bench": "cpm",
        "tasks": size,
        "links": network.graph.link_count,
        "seed": seed,
        "repeat": repeat,
        "full_s": round(full, 4),
        "schedule_s": round(cpm, 4),
        "dates_s": round(full - cpm, 4),  # the difference of the two medians
        "networkx_s": round(nx_cpm, 4),
        "ratio": round(nx_cpm / full, 1),
        "ratio_cpm": round(nx_cpm / cpm, 1),
        "build_s": round(statistics.median(builds), 4),
        "networkx_build_s": round(nx_build, 4),
        "passes": "numpy" if kahn(network.graph).waves is not None else "python",
        "finish": calendar.instant_at(result.finish, end=True).isoformat(),
        "distinct_instants": len({*dates[0], *dates[1], *dates[2], *dates[3]}),
        "agree": agree,
        "load_1min": round(os.getloadavg()[0], 2),
    }
    if budget is not None:
        figures["budget_s"] = budget
        figures["within_budget"] = full < budget and nx_cpm / full >= MIN_RATIO
    return figures


def main() -> None:
    """Parse arguments, measure each size and print one JSON line per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="comma-separated task counts (add 1000000 for the 1M budget; it takes minutes)",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reference-repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20270104)
    parser.add_argument("--width", type=int, default=None, help="tasks per layer (default √n)")
    args = parser.parse_args()
    for size in (int(text) for text in args.sizes.split(",")):
        figures = measure(size, args.seed, args.repeat, args.reference_repeat, args.width)
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
