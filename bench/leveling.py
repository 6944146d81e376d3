"""Benchmark resource leveling on PSPLIB (and Patterson) instances, against a priority rule.

Run, for example::

    .venv/bin/python bench/leveling.py --folder /path/to/psplib/j30 \\
        --bounds /path/to/psplib/j30_bounds.csv --time-limit 1 --csv /tmp/j30.csv
    .venv/bin/python bench/leveling.py --product

(needs the ``test`` extra for ``psplib``). Every ``.sm`` (PSPLIB) and ``.rcp`` (Patterson) file
in ``--folder`` is solved twice: by ``level()`` under ``--time-limit`` seconds with
``--workers`` threads, and by ``priority_rule_schedule()`` (serial scheme, latest finish time),
the baseline a commercial tool gives. One period is one minute (``time_unit`` 1). Each schedule
is checked by ``check()`` below, which reads the instance itself and shares no code with the
engine: every precedence, every duration, the resource use in every period. The bounds CSV
(``instance,lower_bound,upper_bound,optimal``) gives the best-known values; the critical-path
bound is computed here.

Printed per set, for the engine and for the priority rule: the share of instances with a proven
optimum that are solved at it, the mean deviation from the best-known upper bound, the mean
deviation from the critical-path bound, mean and max seconds; and how many schedules failed the
check. ``--product`` levels a synthetic 500-task, 20-resource project (WBS, all link types with
lags, time off, started tasks) and reports the gap to the proven lower bound.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from golive.scheduling import cpm
from golive.scheduling.leveling import (
    Demand,
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

try:
    import psplib
except ImportError:  # pragma: no cover - a hint rather than a traceback
    sys.exit("bench/leveling.py needs psplib: pip install -e '.[test]'")


@dataclass(frozen=True)
class Instance:
    """One single-mode RCPSP instance, as plain lists."""

    name: str
    durations: list[int]
    successors: list[list[int]]
    demands: list[list[int]]
    capacities: list[int]


def read_instance(path: Path) -> Instance:
    """Parse a PSPLIB ``.sm`` or Patterson ``.rcp`` file."""
    kind = "patterson" if path.suffix == ".rcp" else "psplib"
    data = psplib.parse(str(path), instance_format=kind)
    modes = [activity.modes[0] for activity in data.activities]
    return Instance(
        name=path.stem,
        durations=[mode.duration for mode in modes],
        successors=[list(activity.successors) for activity in data.activities],
        demands=[list(mode.demands) for mode in modes],
        capacities=[resource.capacity for resource in data.resources],
    )


def to_network(instance: Instance) -> tuple[Network, list[Resource], list[Demand]]:
    """Return the instance as golive's leveling input (one period = one minute)."""
    tasks = [Task(id=f"a{i}", duration=d) for i, d in enumerate(instance.durations)]
    links = [
        Dependency(f"a{i}", f"a{s}") for i, succs in enumerate(instance.successors) for s in succs
    ]
    resources = [Resource(id=f"r{k}", capacity=c) for k, c in enumerate(instance.capacities)]
    demands = [
        Demand(f"a{i}", f"r{k}", units)
        for i, row in enumerate(instance.demands)
        for k, units in enumerate(row)
        if units
    ]
    return Network(tasks, links), resources, demands


def critical_path_bound(instance: Instance) -> int:
    """Return the longest path through the precedence graph (durations only)."""
    size = len(instance.durations)
    indegree = [0] * size
    for succs in instance.successors:
        for s in succs:
            indegree[s] += 1
    order = [i for i in range(size) if not indegree[i]]
    finish_floor = [0] * size
    best = 0
    for i in order:
        end = finish_floor[i] + instance.durations[i]
        best = max(best, end)
        for s in instance.successors[i]:
            finish_floor[s] = max(finish_floor[s], end)
            indegree[s] -= 1
            if not indegree[s]:
                order.append(s)
    return best


def check(instance: Instance, starts: dict[str, int], finishes: dict[str, int] | None) -> str:
    """Return "" when the schedule is valid for ``instance``, else what is wrong."""
    size = len(instance.durations)
    start = [starts[f"a{i}"] for i in range(size)]
    for i in range(size):
        if start[i] < 0:
            return f"a{i} starts before 0"
        if finishes is not None and finishes[f"a{i}"] - start[i] != instance.durations[i]:
            return f"a{i} lasts {finishes[f'a{i}'] - start[i]}, not {instance.durations[i]}"
        for s in instance.successors[i]:
            if start[s] < start[i] + instance.durations[i]:
                return f"a{s} starts before its predecessor a{i} finishes"
    horizon = max(start[i] + instance.durations[i] for i in range(size))
    for k, capacity in enumerate(instance.capacities):
        use = [0] * (horizon + 1)
        for i in range(size):
            units = instance.demands[i][k]
            if units:
                for t in range(start[i], start[i] + instance.durations[i]):
                    use[t] += units
        for t, total in enumerate(use):
            if total > capacity:
                return f"resource r{k} uses {total} > {capacity} in period {t}"
    return ""


def natural_key(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.stem)]


def read_bounds(path: str | None) -> dict[str, tuple[int, int, bool]]:
    if not path:
        return {}
    with open(path, newline="") as handle:
        return {
            row["instance"]: (
                int(row["lower_bound"]),
                int(row["upper_bound"]),
                row["optimal"].strip().lower() == "true",
            )
            for row in csv.DictReader(handle)
        }


def percent(value: float, reference: float) -> float:
    return 100.0 * (value - reference) / reference if reference else 0.0


def run_set(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    paths = sorted([*folder.glob("*.sm"), *folder.glob("*.rcp")], key=natural_key)
    if args.only:
        wanted = {name.strip() for name in args.only.split(",") if name.strip()}
        paths = [path for path in paths if path.stem in wanted]
    if args.limit:
        paths = paths[: args.limit]
    bounds = read_bounds(args.bounds)
    rows: list[dict[str, Any]] = []
    for number, path in enumerate(paths, 1):
        instance = read_instance(path)
        network, resources, demands = to_network(instance)
        cp_bound = critical_path_bound(instance)

        began = time.perf_counter()
        rule = priority_rule_schedule(network, resources, demands)
        rule_seconds = time.perf_counter() - began
        rule_span = max(rule[f"a{i}"] + d for i, d in enumerate(instance.durations))
        rule_error = check(instance, rule, None)

        began, cpu_began = time.perf_counter(), time.process_time()
        result = level(
            network, resources, demands, time_limit=args.time_limit, workers=args.workers
        )
        seconds = time.perf_counter() - began
        cpu_seconds = time.process_time() - cpu_began
        error = check(instance, result.starts, result.finishes)
        lb, ub, optimal = bounds.get(instance.name, (cp_bound, 0, False))
        rows.append(
            {
                "instance": instance.name,
                "makespan": result.makespan,
                "status": result.status,
                "lower_bound": result.lower_bound,
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu_seconds, 3),
                "valid": not error,
                "error": error,
                "rule_makespan": rule_span,
                "rule_seconds": round(rule_seconds, 4),
                "rule_valid": not rule_error,
                "best_lower_bound": lb,
                "best_upper_bound": ub,
                "known_optimal": optimal,
                "cpm_bound": cp_bound,
            }
        )
        if args.verbose or error or rule_error:
            print(
                f"{number:4d} {instance.name}: {result.makespan} ({result.status}, "
                f"lb {result.lower_bound}) rule {rule_span} best {ub} {seconds:.2f}s "
                f"{error or rule_error}",
                flush=True,
            )
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    summarise(folder.name, rows, args)
    return 0 if all(row["valid"] and row["rule_valid"] for row in rows) else 1


def summarise(name: str, rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    known = [row for row in rows if row["known_optimal"]]
    with_ub = [row for row in rows if row["best_upper_bound"]]
    print(
        f"set {name}: {len(rows)} instances, time limit {args.time_limit} s, "
        f"{args.workers} workers, load {os.getloadavg()[0]:.2f}"
    )
    for label, span, seconds, valid in (
        ("engine", "makespan", "seconds", "valid"),
        ("priority rule (serial SGS, LFT)", "rule_makespan", "rule_seconds", "rule_valid"),
    ):
        at_opt = sum(row[span] == row["best_upper_bound"] for row in known)
        at_best = sum(row[span] <= row["best_upper_bound"] for row in with_ub)
        dev_ub = [percent(row[span], row["best_upper_bound"]) for row in with_ub]
        dev_cp = [percent(row[span], row["cpm_bound"]) for row in rows]
        times = [row[seconds] for row in rows]
        print(
            f"  {label}: at known optimum {at_opt}/{len(known)} "
            f"({100.0 * at_opt / max(1, len(known)):.1f} %), at or below best known "
            f"{at_best}/{len(with_ub)}; deviation from best-known UB mean "
            f"{statistics.fmean(dev_ub) if dev_ub else 0.0:.2f} %; from critical-path LB mean "
            f"{statistics.fmean(dev_cp):.2f} %; time mean {statistics.fmean(times):.3f} s, "
            f"max {max(times):.3f} s; invalid schedules "
            f"{sum(not row[valid] for row in rows)}"
        )
    if rows:
        proven = sum(row["status"] == "optimal" for row in rows)
        wall = sum(row["seconds"] for row in rows)
        cpu = sum(row["cpu_seconds"] for row in rows)
        print(
            f"  engine proved optimality on {proven}/{len(rows)}; it got {cpu:.1f} CPU s in "
            f"{wall:.1f} s ({cpu / max(wall, 1e-9):.2f} of the {args.workers} threads it may use)"
        )


def product_case(seed: int = 7) -> tuple[Network, list[Resource], list[Demand]]:
    """Return a synthetic 500-task, 20-resource project on a working-minute axis.

    25 work streams of 20 tasks (summaries over them); most links run finish-to-start inside a
    stream, some cross streams, all four kinds with lags (some negative); durations from one
    hour to ten 8-hour days; each task needs one or two of 20 resources (teams of one to three
    people, 100 units each) at 50 or 100 units; some resources have a week of time off; a few
    tasks of the first streams have started or finished, and some carry SNET constraints.
    """
    rng = random.Random(seed)
    day = 480
    tasks: list[Task] = []
    links: list[Dependency] = []
    demands: list[Demand] = []
    resources = []
    for k in range(20):
        capacity = 100 * rng.choice((1, 1, 2, 2, 3))
        off = day * rng.randrange(5, 60)
        # Every fourth resource takes a week off.
        unavailable = ((off, off + 5 * day),) if k % 4 == 0 else ()
        resources.append(Resource(id=f"R{k}", capacity=capacity, unavailable=unavailable))
    kinds = (DependencyType.FS, DependencyType.SS, DependencyType.FF, DependencyType.SF)
    ids: list[str] = []
    for stream in range(25):
        summary = f"S{stream}"
        tasks.append(Task(id=summary, name=f"stream {stream}"))
        home = [f"R{(stream + j) % 20}" for j in range(3)]
        for k in range(20):
            task_id = f"T{stream}_{k}"
            duration = rng.choice((60, 120, 240, 480, 960, 1440, 2400, 4800))
            constraint = None
            if rng.random() < 0.03:
                constraint = Constraint(ConstraintKind.SNET, day * rng.randrange(1, 40))
            actual_start = actual_finish = None
            if stream < 2 and k < 3:
                actual_start = 0 if k == 0 else None
                actual_finish = duration if k == 0 else None
            tasks.append(
                Task(
                    id=task_id,
                    duration=duration,
                    parent=summary,
                    constraint=constraint,
                    actual_start=actual_start,
                    actual_finish=actual_finish,
                )
            )
            chosen = rng.sample(home, rng.choice((1, 1, 2)))
            if rng.random() < 0.2:
                chosen = [f"R{rng.randrange(20)}"]
            for resource_id in chosen:
                demands.append(Demand(task_id, resource_id, rng.choice((50, 100, 100))))
            if k:
                for back in {rng.randrange(max(0, k - 3), k) for _ in range(rng.choice((1, 2)))}:
                    kind = rng.choices(kinds, weights=(70, 12, 12, 6))[0]
                    lag = rng.choice((0, 0, 0, 60, 240, -60))
                    links.append(Dependency(f"T{stream}_{back}", task_id, kind, lag))
            ids.append(task_id)
        if stream and rng.random() < 0.7:
            links.append(Dependency(f"S{rng.randrange(stream)}", summary))
    return Network(tasks, links), resources, demands


def run_product(args: argparse.Namespace) -> int:
    network, resources, demands = product_case()
    plain = cpm.schedule(network)
    began, cpu_began = time.perf_counter(), time.process_time()
    result = level(
        network,
        resources,
        demands,
        time_limit=args.time_limit,
        workers=args.workers,
        time_unit=args.time_unit,
    )
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - cpu_began
    leaves = [t for t in network.tasks if not any(o.parent == t.id for o in network.tasks)]
    error = check_product(network, resources, demands, result.starts, result.finishes)
    gap = percent(result.makespan, result.lower_bound)
    print(
        f"product: {len(leaves)} tasks, {len(resources)} resources, time limit "
        f"{args.time_limit} s, time_unit {args.time_unit}, {args.workers} workers, load "
        f"{os.getloadavg()[0]:.2f}"
    )
    print(
        f"  unleveled finish {plain.finish}; priority rule {result.priority_rule_makespan}; "
        f"engine {result.makespan} ({result.status}); lower bound {result.lower_bound}; "
        f"gap {gap:.2f} % (budget 2 %); {seconds:.2f} s (budget 5 s, {cpu_seconds:.1f} CPU s); "
        f"valid {not error} {error}"
    )
    return 0 if not error else 1


def check_product(
    network: Network,
    resources: list[Resource],
    demands: list[Demand],
    starts: dict[str, int],
    finishes: dict[str, int],
) -> str:
    """Return "" when a leveled product schedule keeps every link, duration and capacity."""
    parents = {t.parent for t in network.tasks if t.parent}
    tasks = {t.id: t for t in network.tasks}
    for task in network.tasks:
        if task.id in parents or task.has_progress:
            continue
        if finishes[task.id] - starts[task.id] != task.duration:
            return f"{task.id} has the wrong duration"
        if task.constraint is not None and starts[task.id] < task.constraint.offset:
            return f"{task.id} starts before its SNET"

    def leaves(task_id: str) -> list[str]:
        if task_id not in parents:
            return [task_id]
        return [x for t in network.tasks if t.parent == task_id for x in leaves(t.id)]

    for link in network.dependencies:
        for p in leaves(link.predecessor):
            for s in leaves(link.successor):
                if tasks[s].has_progress:
                    continue
                source = finishes[p] if link.type.from_finish else starts[p]
                target = finishes[s] if link.type.to_finish else starts[s]
                if target < source + link.lag:
                    return f"link {p} -> {s} ({link.type.value}) broken"
    by_resource = {r.id: r for r in resources}
    events: dict[str, list[tuple[int, int]]] = {r.id: [] for r in resources}
    for demand in demands:
        s, f = starts[demand.task_id], finishes[demand.task_id]
        if f > s:
            events[demand.resource_id] += [(s, demand.units), (f, -demand.units)]
    for resource_id, items in events.items():
        resource = by_resource[resource_id]
        for a, b in resource.unavailable:
            items += [(a, resource.capacity), (b, -resource.capacity)]
        level_now = 0
        for moment, change in sorted(items, key=lambda e: (e[0], e[1])):
            level_now += change
            if level_now > resource.capacity:
                return f"resource {resource_id} over capacity at {moment}"
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", help="folder with .sm / .rcp instance files")
    parser.add_argument("--bounds", help="CSV: instance,lower_bound,upper_bound,optimal")
    parser.add_argument("--time-limit", type=float, default=1.0, help="seconds per instance")
    parser.add_argument("--limit", type=int, default=0, help="only the first N instances")
    parser.add_argument("--only", default="", help="comma-separated instance names to run")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT threads")
    parser.add_argument("--csv", help="write per-instance results here")
    parser.add_argument("--product", action="store_true", help="the 500-task synthetic case")
    parser.add_argument("--time-unit", type=int, default=1, help="grid of the product case")
    parser.add_argument("--verbose", action="store_true", help="print every instance")
    args = parser.parse_args()
    if args.product:
        return run_product(args)
    if not args.folder:
        parser.error("--folder or --product is required")
    return run_set(args)


if __name__ == "__main__":
    sys.exit(main())
