"""`golive resources load PROJECT_KEY [--weeks N] [--json] [--user U]`: resource load."""

import json
from typing import Any

from django.core.management.base import BaseCommand

from golive.cli_support import cli_actor, domain_errors
from golive.projects.selectors import project_get_for_user
from golive.resources.selectors import resource_load


def _number(value: float) -> str:
    return f"{value:g}"


class Command(BaseCommand):
    help = "Show the project's resources: `load` prints each resource's hours per week."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        load = sub.add_parser(
            "load",
            help="Capacity and demand hours per resource and week; overloaded weeks marked.",
        )
        load.add_argument("project_key")
        load.add_argument("--weeks", type=int, default=12, help="How many weeks (default 12).")
        load.add_argument("--json", action="store_true", help="Print every day as JSON.")
        load.add_argument("--user", help="Read as this user (their access applies).")

    def handle(self, *args: Any, **options: Any) -> None:
        with domain_errors():
            actor = cli_actor(options.get("user"))
            project = project_get_for_user(user=actor, key=options["project_key"])
            load = resource_load(user=actor, project=project, weeks=options["weeks"])
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "project": project.key,
                        "start": load.start.isoformat(),
                        "end": load.end.isoformat(),
                        "overloaded_days": load.overloaded_days,
                        "resources": [
                            {
                                "id": row.resource.pk,
                                "name": row.resource.name,
                                "kind": row.resource.kind,
                                "overloaded_days": row.overloaded_days,
                                "weeks": [
                                    {
                                        "start": w.start.isoformat(),
                                        "capacity_hours": w.capacity_hours,
                                        "demand_hours": w.demand_hours,
                                        "overloaded_days": w.overloaded_days,
                                    }
                                    for w in row.weeks
                                ],
                                "days": [
                                    {
                                        "day": d.day.isoformat(),
                                        "capacity_hours": d.capacity_hours,
                                        "demand_hours": d.demand_hours,
                                        "overloaded": d.overloaded,
                                    }
                                    for d in row.days
                                ],
                            }
                            for row in load.rows
                        ],
                    }
                )
            )
            return
        write = self.stdout.write
        if not load.rows:
            write(f"{project.key} has no resources yet.")
            return
        width = min(max(12, *(len(r.resource.name) for r in load.rows)), 32)
        write(
            f"{project.key} · hours asked / available per week from {load.start.isoformat()}; "
            "! marks a week with an overloaded day"
        )
        header = f"{'resource':<{width}}  " + "  ".join(f"{w:%m-%d}".center(11) for w in load.weeks)
        write(header)
        write("-" * len(header))
        for row in load.rows:
            name = row.resource.name
            if len(name) > width:
                name = name[: width - 1] + "…"
            cells = []
            for w in row.weeks:
                cell = f"{_number(w.demand_hours)}/{_number(w.capacity_hours)}"
                cells.append((cell + ("!" if w.overloaded_days else "")).center(11))
            write(f"{name:<{width}}  " + "  ".join(cells))
        write(f"Overloaded resource-days: {load.overloaded_days}")
