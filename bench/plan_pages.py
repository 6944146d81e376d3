"""Benchmark the server time of the Gantt and WBS pages of a large plan.

Run: ``.venv/bin/python bench/plan_pages.py [--packages 10000] [--requests 20]``.

Builds a project of N work packages (phases of 100: one summary and 99 packages chained with cross
links to the phase before, about 1.5 links per package) on a fresh SQLite database in a temporary
GOLIVE_HOME, schedules it once, signs a project manager in with Django's test Client
(force_login) and times ``--requests`` GETs of each page after two warm-up requests:

- ``gantt_data``: the Gantt chart's JSON (``plan_gantt_data``, every row and link);
- ``gantt``: the Gantt page shell (``plan_gantt``);
- ``wbs``: the WBS table page (``plan``, its first page of rows);
- ``wbs_rows``: the next page of WBS rows as htmx asks for it (``plan?offset=…``);
- ``dashboard``: the project dashboard, which summarises the plan and shows its forecast;
- the references, measured in the same run: ``health`` (``/api/v1/health``, one SELECT 1) and
  ``members`` (the project's members page: the same page frame, sessions and access checks, with
  almost nothing in it).

Server time is the whole request inside the test Client: middleware, view, queries, rendering.
Prints one JSON line per page with p50/p95 in milliseconds, the response size, and p50 as a
multiple of the members page's p50. The budget (300 ms) applies to p95 of the plan pages.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

BUDGET_MS = 300.0
BUDGETED = ("gantt_data", "gantt", "wbs", "wbs_rows")


def main() -> None:
    """Build the plan, time the pages and print one JSON line per page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--home",
        help="GOLIVE_HOME to build the plan in and keep; a home that has it already is reused",
    )
    parser.add_argument("--pages", help="comma-separated pages to time (default: all)")
    parser.add_argument(
        "--profile", metavar="PAGE", help="also print a cProfile of one request to PAGE to stderr"
    )
    args = parser.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="golive-bench-")
    Path(home).mkdir(parents=True, exist_ok=True)
    os.environ["GOLIVE_HOME"] = home
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("GOLIVE_DEBUG", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "golive.config.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from golive.accounts.models import User
    from golive.work.models import Dependency, WorkPackage

    if not User.objects.filter(username="bench").exists():
        build(args.packages)
    user = User.objects.get(username="bench")
    project = user.memberships.get().project
    packages = WorkPackage.objects.filter(project=project).count()
    stored_links = Dependency.objects.filter(project=project).count()

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    base = f"/p/{project.key}"
    pages = [
        ("health", "/api/v1/health", {}),
        ("members", f"{base}/members/", {}),
        ("dashboard", f"{base}/", {}),
        ("gantt_data", f"{base}/plan/gantt/data/", {}),
        ("gantt", f"{base}/plan/gantt/", {}),
        ("wbs", f"{base}/plan/", {}),
        ("wbs_rows", f"{base}/plan/?offset=200", {"HTTP_HX_REQUEST": "true"}),
    ]
    if args.pages:
        wanted = set(args.pages.split(",")) | {"members"}
        pages = [page for page in pages if page[0] in wanted]
    figures = []
    for name, url, headers in pages:
        for _ in range(2):
            client.get(url, **headers)
        times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(url, **headers)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        figures.append(
            {
                "bench": "plan_pages",
                "page": name,
                "url": url,
                "packages": packages,
                "links": stored_links,
                "requests": args.requests,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 1),
                "bytes": len(response.content),
            }
        )
    if args.profile:
        url, headers = next((u, h) for n, u, h in pages if n == args.profile)
        profiler = cProfile.Profile()
        profiler.runcall(client.get, url, **headers)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    reference = next(f["p50_ms"] for f in figures if f["page"] == "members")
    load = round(os.getloadavg()[0], 2)
    for row in figures:
        row["x_members"] = round(row["p50_ms"] / reference, 1)
        if row["page"] in BUDGETED:
            row["budget_ms"] = BUDGET_MS
            row["within_budget"] = row["p95_ms"] < BUDGET_MS
        row["load_1min"] = load
        print(json.dumps(row), flush=True)


def build(count: int) -> None:
    """Create the bench user and a project of `count` packages, scheduled once."""
    from django.db import transaction

    from golive.accounts.models import User
    from golive.projects.services import project_create
    from golive.work.models import Dependency, WorkPackage
    from golive.work.services import project_calendar, work_reschedule

    rng = random.Random(20261125)
    user = User.objects.create_user("bench", password="bench-Password-1")
    project = project_create(actor=user, key="BENCH", name="Benchmark")
    project_calendar(project=project)
    phases = max(1, count // 100)
    summaries = WorkPackage.objects.bulk_create(
        [
            WorkPackage(project=project, name=f"Phase {p + 1}", owner=user, position=p)
            for p in range(phases)
        ]
    )
    leaves = WorkPackage.objects.bulk_create(
        [
            WorkPackage(
                project=project,
                parent=summaries[p],
                name=f"Package {p + 1}.{i + 1}",
                owner=user,
                position=i,
                duration=rng.randint(1, 10) * 240,
            )
            for p in range(phases)
            for i in range(99)
        ],
        batch_size=2000,
    )
    links = []
    for i in range(1, len(leaves)):
        if i % 99:
            links.append((leaves[i - 1], leaves[i]))
        if i > 120 and rng.random() < 0.5:
            links.append((leaves[rng.randrange(i - 120, i - 99)], leaves[i]))
    Dependency.objects.bulk_create(
        [Dependency(project=project, predecessor=a, successor=b) for a, b in links],
        batch_size=2000,
        ignore_conflicts=True,
    )
    with transaction.atomic():
        work_reschedule(project=project)


if __name__ == "__main__":
    main()
