"""`golive schedule PROJECT_KEY [--json] [--user U]`: every package's early/late dates and float."""

import json
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand

from golive.cli_support import cli_actor, domain_errors
from golive.projects.selectors import project_get_for_user
from golive.work.selectors import plan_schedule


class Command(BaseCommand):
    help = (
        "Print the project's computed schedule: each work package's early and late start and "
        "finish, total and free float (working minutes) and whether it is critical."
    )

    def add_arguments(self, parser):
        parser.add_argument("project_key")
        parser.add_argument("--json", action="store_true", help="Print the schedule as JSON.")
        parser.add_argument("--user", help="Read as this user (their access applies).")

    def handle(self, *args: Any, **options: Any) -> None:
        with domain_errors():
            actor = cli_actor(options.get("user"))
            project = project_get_for_user(user=actor, key=options["project_key"])
            plan = plan_schedule(user=actor, project=project)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "project": project.key,
                        "start": plan.start.isoformat() if plan.start else None,
                        "finish": plan.finish.isoformat() if plan.finish else None,
                        "critical_path": [wp.pk for wp in plan.critical_path],
                        "packages": [
                            {
                                "id": row.package.pk,
                                "wbs": row.package.wbs,
                                "name": row.package.name,
                                "milestone": row.package.milestone,
                                "early_start": row.early_start.isoformat(),
                                "early_finish": row.early_finish.isoformat(),
                                "late_start": row.late_start.isoformat(),
                                "late_finish": row.late_finish.isoformat(),
                                "total_float": row.total_float,
                                "free_float": row.free_float,
                                "critical": row.critical,
                            }
                            for row in plan.packages
                        ],
                    }
                )
            )
            return
        zone = ZoneInfo(project.time_zone)

        def when(value) -> str:
            return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

        if not plan.packages:
            self.stdout.write(f"{project.key} has no work packages yet.")
            return
        width = max(len(f"{r.package.wbs} {r.package.name}") for r in plan.packages)
        width = min(max(width, 12), 48)
        header = (
            f"{'package':<{width}}  {'early start':<16}  {'early finish':<16}  "
            f"{'late start':<16}  {'late finish':<16}  {'float':>7}  {'free':>7}  crit"
        )
        self.stdout.write(f"{project.key} · times in {project.time_zone}, float in working minutes")
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for row in plan.packages:
            label = f"{row.package.wbs} {row.package.name}"
            if len(label) > width:
                label = label[: width - 1] + "…"
            self.stdout.write(
                f"{label:<{width}}  {when(row.early_start):<16}  {when(row.early_finish):<16}  "
                f"{when(row.late_start):<16}  {when(row.late_finish):<16}  "
                f"{row.total_float:>7}  {row.free_float:>7}  {'yes' if row.critical else ''}"
            )
        self.stdout.write(f"Finish: {when(plan.finish)}" if plan.finish else "Finish: -")
        path = " → ".join(wp.wbs for wp in plan.critical_path)
        self.stdout.write(f"Critical path: {path or '-'}")
