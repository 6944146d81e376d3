"""Benchmark: procurement alerts on a large plan, against one plan per procurement item.

Usage: python bench/procurement_alerts.py [--packages 500] [--items 30] [--repeat 5] [--seed 4]

Builds a project with `procurement_plan` (golive.resources.tests.factories: phases of 10
packages under summaries, chained, with FS/SS/FF cross links, a few MSO/SNET/FNLT constraints)
starting 30 days ago, with N procurement items due from 10 days before the start to 4 months
after it, on a fresh SQLite database in a temporary GOLIVE_HOME (needs the ``test`` extra for
factory_boy). Then measures, in the same process:
- the reference: the straightforward computation, one plan without each item that is needed
  by a package (golive.resources.tests.alerts_reference);
- `procurement_alerts`, which plans without an item only when its delivery can move something.
Checks that both give the same alerts and prints medians, the ratio and the plans computed.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=500)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="golive-bench-")
    os.environ["GOLIVE_HOME"] = home
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "golive.config.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from golive.projects.tests.factories import ProjectFactory
    from golive.resources import planning
    from golive.resources.models import ProcurementItem
    from golive.resources.selectors import procurement_alerts
    from golive.resources.tests.alerts_reference import procurement_alerts_per_item
    from golive.resources.tests.factories import procurement_plan
    from golive.work.models import Dependency

    project = ProjectFactory(key="BENCH", time_zone="Europe/Berlin")
    user = project.manager
    procurement_plan(
        project,
        packages=args.packages,
        items=args.items,
        seed=args.seed,
        start=date.today() - timedelta(days=30),
    )

    def rows(alerts):
        return [
            (a.item.pk, a.state, a.needed_by, a.finish_with, a.finish_without, a.delay)
            for a in alerts
        ]

    # Count the plans DeliveryImpact schedules without one item (the reference's are one per
    # item needed by a package).
    plans = []
    originals = {name: getattr(planning, name) for name in ("schedule", "plan_compute")}
    for name, compute in originals.items():

        def counting(*a, _compute=compute, **kw):
            plans.append(_compute.__name__)
            return _compute(*a, **kw)

        setattr(planning, name, counting)
    new = procurement_alerts(user=user, project=project)
    computed = len(plans)
    for name, compute in originals.items():
        setattr(planning, name, compute)
    reference = procurement_alerts_per_item(user=user, project=project)
    if rows(reference) != rows(new):
        sys.exit("procurement_alerts differs from the per-item reference")

    def median(fn) -> float:
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            fn(user=user, project=project)
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    before = median(procurement_alerts_per_item)
    after = median(procurement_alerts)
    items = ProcurementItem.objects.filter(project=project)
    needed = items.filter(work_packages__isnull=False).distinct().count()
    links = Dependency.objects.filter(project=project).count()
    print(
        f"plan: {args.packages:,} packages (+{max(1, args.packages // 10)} summaries), "
        f"{links:,} links, {items.count()} procurement items ({needed} needed by packages), "
        f"{len(new)} alerts ({sum(a.state == 'late' for a in new)} late), SQLite, "
        f"median of {args.repeat}"
    )
    print(f"{'one plan per item (reference)':<40} {before:8.3f} s  {1 + needed:3d} plans")
    print(f"{'procurement_alerts':<40} {after:8.3f} s  {1 + computed:3d} plans")
    print(f"{'ratio (reference / procurement_alerts)':<40} {before / after:8.1f} x")


if __name__ == "__main__":
    main()
