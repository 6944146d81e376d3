"""`golive forecast PROJECT_KEY --iterations N [--seed S] [--json]`: Monte Carlo finish dates."""

import json
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from golive.cli_support import cli_actor, domain_errors
from golive.projects.selectors import project_get_for_user
from golive.work.selectors import FORECAST_MAX_ITERATIONS, plan_forecast


class Command(BaseCommand):
    help = (
        "Forecast the project's finish and milestones (P50/P80/P95) by Monte Carlo simulation "
        "over the packages' three-point estimates, with each package's criticality index."
    )

    def add_arguments(self, parser):
        parser.add_argument("project_key")
        parser.add_argument(
            "--iterations",
            type=int,
            required=True,
            help=f"Simulated runs (1 to {FORECAST_MAX_ITERATIONS:,}).",
        )
        parser.add_argument("--seed", type=int, help="The same seed gives the same forecast.")
        parser.add_argument("--json", action="store_true", help="Print the forecast as JSON.")
        parser.add_argument("--user", help="Read as this user (their access applies).")

    def handle(self, *args: Any, **options: Any) -> None:
        iterations = options["iterations"]
        if not 1 <= iterations <= FORECAST_MAX_ITERATIONS:
            raise CommandError(
                f"--iterations must be between 1 and {FORECAST_MAX_ITERATIONS:,}; got {iterations}.",
                returncode=2,
            )
        with domain_errors():
            actor = cli_actor(options.get("user"))
            project = project_get_for_user(user=actor, key=options["project_key"])
            result = plan_forecast(
                user=actor, project=project, iterations=iterations, seed=options["seed"]
            )

        def pct(p) -> dict[str, str]:
            return {"p50": p.p50.isoformat(), "p80": p.p80.isoformat(), "p95": p.p95.isoformat()}

        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "project": project.key,
                        "iterations": result.iterations,
                        "seed": result.seed,
                        "finish": pct(result.finish) if result.finish else None,
                        "milestones": [
                            {"id": wp.pk, "wbs": wp.wbs, "name": wp.name, "finish": pct(p)}
                            for wp, p in result.milestones
                        ],
                        "criticality": [
                            {"id": wp.pk, "wbs": wp.wbs, "name": wp.name, "index": round(v, 4)}
                            for wp, v in result.criticality
                        ],
                    }
                )
            )
            return
        if result.finish is None:
            self.stdout.write(f"{project.key} has no work packages to forecast.")
            return
        zone = ZoneInfo(project.time_zone)

        def when(value) -> str:
            return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

        seed = f", seed {result.seed}" if result.seed is not None else ""
        self.stdout.write(
            f"{project.key} · {result.iterations:,} runs{seed} · times in {project.time_zone}"
        )
        self.stdout.write(f"{'':<32}  {'P50':<16}  {'P80':<16}  {'P95':<16}")
        rows = [("Project finish", result.finish)] + [
            (f"{wp.wbs} {wp.name}"[:32], p) for wp, p in result.milestones
        ]
        for label, p in rows:
            self.stdout.write(
                f"{label:<32}  {when(p.p50):<16}  {when(p.p80):<16}  {when(p.p95):<16}"
            )
        self.stdout.write("Criticality index (share of runs on the critical path):")
        for wp, value in result.criticality:
            self.stdout.write(f"  {value:>6.1%}  {wp.wbs} {wp.name}")
