"""`golive level PROJECT_KEY [--time-limit S] [--apply] [--json] [--user U]`: level resources."""

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from golive.cli_support import cli_actor, cli_user, domain_errors
from golive.projects.selectors import project_get_for_user
from golive.resources.models import LevelingRun
from golive.resources.services import leveling_apply, leveling_preview


def run_json(project_key: str, run: LevelingRun) -> dict[str, Any]:
    """Return a leveling run as the command prints it with --json."""
    result = run.result
    return {
        "project": project_key,
        "run": run.pk,
        "status": run.status,
        "solver_status": result.get("status"),
        "optimal": result.get("optimal"),
        "lower_bound": result.get("lower_bound"),
        "lower_bound_date": result.get("lower_bound_date"),
        "finish_before": result.get("finish_before"),
        "finish_after": result.get("finish_after"),
        "finish_shift": result.get("finish_shift"),
        "overloads_before": result.get("overloads_before"),
        "overloads_after": result.get("overloads_after"),
        "solve_seconds": result.get("solve_seconds"),
        "time_unit": result.get("time_unit"),
        "moves": result.get("moves", []),
    }


class Command(BaseCommand):
    help = (
        "Level the project's resources: propose new starts so that no resource is overloaded "
        "(print the moves, the finish before and after, whether it is optimal and the lower "
        "bound); with --apply, apply the proposal."
    )

    def add_arguments(self, parser):
        parser.add_argument("project_key")
        parser.add_argument(
            "--time-limit",
            type=float,
            default=10.0,
            help="Seconds the solver may search (default 10).",
        )
        parser.add_argument("--apply", action="store_true", help="Apply the proposal.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
        parser.add_argument(
            "--user", help="Act as this user (a project manager); required with --apply."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with domain_errors():
            if options["apply"]:
                actor = cli_user(options.get("user"))
            else:
                actor = cli_actor(options.get("user"))
            project = project_get_for_user(user=actor, key=options["project_key"])
            if options["time_limit"] < 0:
                raise CommandError("--time-limit: seconds, at least 0.", returncode=2)
            run = leveling_preview(actor=actor, project=project, time_limit=options["time_limit"])
            if options["apply"]:
                run = leveling_apply(actor=actor, run=run)
        if options["json"]:
            self.stdout.write(json.dumps(run_json(project.key, run)))
            return
        self._print(project, run)

    def _print(self, project, run: LevelingRun) -> None:
        zone = ZoneInfo(project.time_zone)
        result = run.result

        def when(value: str | None) -> str:
            if not value:
                return "-"
            return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")

        write = self.stdout.write
        write(f"{project.key} · leveling run {run.pk} · times in {project.time_zone}")
        moves = result.get("moves", [])
        if moves:
            width = min(max(12, *(len(f"{m['wbs']} {m['name']}") for m in moves)), 48)
            header = f"{'package':<{width}}  {'start before':<16}  {'start after':<16}  shift (working h)"
            write(header)
            write("-" * len(header))
            for m in moves:
                label = f"{m['wbs']} {m['name']}"
                if len(label) > width:
                    label = label[: width - 1] + "…"
                write(
                    f"{label:<{width}}  {when(m['old_start']):<16}  {when(m['new_start']):<16}  "
                    f"{round(m['shift'] / 60, 1):+g}"
                )
        else:
            write("No package moves.")
        write(f"Finish: {when(result.get('finish_before'))} → {when(result.get('finish_after'))}")
        proof = "proven optimal" if result.get("optimal") else "not proven optimal"
        write(
            f"Solver: {result.get('status')} on a {result.get('time_unit')}-minute grid; finish "
            f"{proof}; lower bound {when(result.get('lower_bound_date'))}; "
            f"{result.get('solve_seconds')} s"
        )
        write(
            f"Overloaded resource-days: {result.get('overloads_before')} → "
            f"{result.get('overloads_after')}"
        )
        if run.status == "applied":
            write(f"Applied: {len(run.holds)} package(s) now start no earlier than shown.")
        else:
            write(f"Preview only. Apply it with: golive level {project.key} --apply --user USER")
