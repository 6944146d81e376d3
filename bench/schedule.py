"""Benchmark the CPM and the Monte Carlo forecast on seeded, layered random networks.

Run: ``GOLIVE_HOME=/tmp/b .venv/bin/python bench/schedule.py [--tasks 100000] [--repeat 5]``.

The reference is a plain Kahn topological sort over the same integer adjacency, measured in the
same process: no scheduler can beat it, so ``schedule() / floor`` says how much the passes cost
on top of merely ordering the graph on this machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from golive.scheduling.cpm import schedule
from golive.scheduling.forecast import ThreePoint, forecast
from golive.scheduling.network import Dependency, DependencyType, Network, Task

# Most real links are finish-to-start; the rest exercise the other three kinds.
LINK_MIX = [DependencyType.FS] * 7 + [DependencyType.SS, DependencyType.FF, DependencyType.SF]


def layered_network(
    tasks: int, seed: int, links_per_task: float = 1.5
) -> tuple[list[Task], list[Dependency]]:
    """Return ``tasks`` tasks in layers of 100 and their links, each from the 1-3 layers before."""
    rng = random.Random(seed)
    width = 100
    items = [Task(f"T{i}", duration=rng.choice((0, 60, 120, 240, 480, 960))) for i in range(tasks)]
    dependencies = []
    for _ in range(int(tasks * links_per_task)):
        successor = rng.randrange(width, tasks) if tasks > width else rng.randrange(1, tasks)
        layer_start = successor - successor % width
        # Predecessors come from the one to three layers before the successor's own layer.
        low = max(0, layer_start - width * rng.randint(1, 3))
        predecessor = rng.randrange(low, max(low + 1, layer_start))
        lag = rng.choice((0, 0, 0, 30, 120, -30))
        dependencies.append(
            Dependency(f"T{predecessor}", f"T{successor}", rng.choice(LINK_MIX), lag)
        )
    return items, dependencies


def kahn_floor(network: Network) -> Callable[[], list[int]]:
    """Return a plain Kahn topological sort over the network's leaf adjacency."""
    succs = network.graph.succs
    counts = [0] * len(succs)
    for targets in succs:
        for target in targets:
            counts[target] += 1

    def run() -> list[int]:
        indegree = counts.copy()
        order = [node for node, count in enumerate(indegree) if not count]
        for node in order:
            for target in succs[node]:
                indegree[target] -= 1
                if not indegree[target]:
                    order.append(target)
        return order

    return run


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Parse arguments, run the measurements and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--forecast-tasks", type=int, default=5_000)
    parser.add_argument("--iterations", type=int, default=1_000)
    args = parser.parse_args()

    items, dependencies = layered_network(args.tasks, args.seed)
    start = time.perf_counter()
    network = Network(items, dependencies)
    build = time.perf_counter() - start
    links = network.graph.link_count
    floor = median_seconds(kahn_floor(network), args.repeat)
    cpm = median_seconds(lambda: schedule(network), args.repeat)

    small = Network(*layered_network(args.forecast_tasks, args.seed))
    estimates = {
        task.id: ThreePoint(task.duration * 4 // 5, task.duration, task.duration * 8 // 5)
        for task in small.tasks
    }
    monte_carlo = median_seconds(
        lambda: forecast(small, estimates, iterations=args.iterations, seed=args.seed),
        max(1, min(args.repeat, 3)),
    )

    big = f"{args.tasks:,} tasks / {links:,} links"
    rows = [
        ("Network() validation + compile (once)", big, f"{build:.3f} s"),
        ("Kahn topological sort (floor)", big, f"{floor:.3f} s"),
        ("schedule() forward + backward", big, f"{cpm:.3f} s"),
        ("ratio schedule() / floor", "", f"{cpm / floor:.1f} x"),
        (
            f"forecast() {args.iterations:,} iterations",
            f"{args.forecast_tasks:,} tasks / {small.graph.link_count:,} links",
            f"{monte_carlo:.3f} s",
        ),
    ]
    print(f"median of {args.repeat} runs, seed {args.seed}")
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}")


if __name__ == "__main__":
    main()
