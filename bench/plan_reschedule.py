"""Benchmark: how long a write to a large plan takes to reschedule the whole project.

Usage: python bench/plan_reschedule.py [--packages 5000] [--repeat 5]

Builds a project of N packages (in phases of 50, each a chain with cross links, ~1.5 links
per package) on a fresh SQLite database in a temporary GOLIVE_HOME, then measures:
- the floor: loading the packages and links from the database (what any reschedule must read);
- work_reschedule(): load + CPM + store the changed dates, after a change that moves half the plan;
- a no-change reschedule (nothing to store).
Prints medians and the ratio to the floor.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="golive-bench-")
    os.environ["GOLIVE_HOME"] = home
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "golive.config.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from golive.accounts.models import User
    from golive.projects.services import project_create
    from golive.work.models import Dependency, WorkPackage
    from golive.work.services import project_calendar, work_reschedule

    rng = random.Random(20261125)
    user = User.objects.create_user("bench", password="bench-Password-1")
    project = project_create(actor=user, key="BENCH", name="Benchmark")
    project_calendar(project=project)
    n = args.packages
    packages = WorkPackage.objects.bulk_create(
        [
            WorkPackage(
                project=project,
                name=f"Package {i}",
                owner=user,
                position=i,
                duration=rng.randint(1, 10) * 240,
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    links = []
    for i in range(1, n):
        if i % 50:
            links.append((packages[i - 1], packages[i]))
        if i > 60 and rng.random() < 0.5:
            links.append((packages[rng.randrange(i - 60, i - 1)], packages[i]))
    Dependency.objects.bulk_create(
        [Dependency(project=project, predecessor=a, successor=b) for a, b in links],
        batch_size=2000,
        ignore_conflicts=True,
    )
    with transaction.atomic():
        work_reschedule(project=project)

    def floor() -> None:
        list(WorkPackage.objects.filter(project=project))
        list(Dependency.objects.filter(project=project))

    def moved() -> None:
        first = packages[0]
        WorkPackage.objects.filter(pk=first.pk).update(duration=rng.randint(1, 40) * 240)
        with transaction.atomic():
            work_reschedule(project=project)

    def unchanged() -> None:
        with transaction.atomic():
            work_reschedule(project=project)

    def median(fn) -> float:
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    base = median(floor)
    change = median(moved)
    same = median(unchanged)
    print(f"plan: {n:,} packages, {len(links):,} links, SQLite, median of {args.repeat}")
    print(f"{'load packages + links (floor)':<44} {base:8.3f} s")
    print(
        f"{'reschedule after a change (load+CPM+store)':<44} {change:8.3f} s  {change / base:5.1f} x"
    )
    print(f"{'reschedule with nothing to store':<44} {same:8.3f} s  {same / base:5.1f} x")


if __name__ == "__main__":
    main()
