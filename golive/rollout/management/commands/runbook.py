"""`golive runbook run|status|step …`: start a run, follow it, and act on its steps."""

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from golive.cli_support import cli_actor, cli_user, domain_errors
from golive.errors import NotFound
from golive.projects.selectors import project_get_for_user
from golive.rollout.models import RunKind, RunStep
from golive.rollout.selectors.runbooks import runbook_get
from golive.rollout.selectors.runs import run_active, run_get, run_live
from golive.rollout.services.runs import (
    run_start,
    step_complete,
    step_fail,
    step_skip,
    step_start,
    step_verdict,
)

STEP_ACTIONS = ("start", "complete", "fail", "skip", "approve", "reject")


def _clock(moment: datetime | None, zone: str) -> str:
    """Return `moment` in the project's time zone, as the web pages show it."""
    if moment is None:
        return "—"
    return timezone.localtime(moment, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


class Command(BaseCommand):
    help = "Runbooks: start a rehearsal or live run, show a run's live state, act on a step."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Start a run of a runbook (copies its steps).")
        run.add_argument("project", help="The project's key.")
        run.add_argument("runbook", help="The runbook's name.")
        run.add_argument("--kind", required=True, choices=RunKind.values)
        run.add_argument("--notes", default="", help="Notes on the run.")
        run.add_argument("--user", help="The user who starts the run (a manager; required).")
        run.add_argument("--json", action="store_true", help="Print the run as JSON.")

        status = sub.add_parser("status", help="Show a run's live state.")
        status.add_argument("project", help="The project's key.")
        status.add_argument("runbook", help="The runbook's name.")
        status.add_argument(
            "--run", type=int, help="The run's number (default: the one in progress, or latest)."
        )
        status.add_argument("--user", help="Read as this user (default: the shell operator).")
        status.add_argument("--json", action="store_true", help="Print the live view as JSON.")

        step = sub.add_parser("step", help="Act on a step of a run.")
        step.add_argument("project", help="The project's key.")
        step.add_argument("runbook", help="The runbook's name.")
        step.add_argument("step_key", metavar="STEP_KEY", help="The step's key.")
        step.add_argument("step_action", metavar="ACTION", choices=STEP_ACTIONS)
        step.add_argument(
            "--run", type=int, help="The run's number (default: the one in progress)."
        )
        step.add_argument("--value", default="", help="The value observed (checks).")
        step.add_argument("--note", default="", help="What happened; a cause or a reason.")
        step.add_argument("--user", help="The user acting (required).")
        step.add_argument("--json", action="store_true", help="Print the step as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        with domain_errors():
            if options["action"] == "run":
                self._run(options)
            elif options["action"] == "status":
                self._status(options)
            else:
                self._step(options)

    def _json(self, data: Any) -> None:
        self.stdout.write(json.dumps(data, cls=DjangoJSONEncoder))

    def _run(self, options: dict[str, Any]) -> None:
        actor = cli_user(options.get("user"))
        project = project_get_for_user(user=actor, key=options["project"])
        runbook = runbook_get(user=actor, project=project, name=options["runbook"])
        run = run_start(actor=actor, runbook=runbook, kind=options["kind"], notes=options["notes"])
        if options["json"]:
            self._json(run_live(user=actor, run=run))
            return
        steps = run.steps.count()
        self.stdout.write(
            f"{project.key} · {runbook.name}: {run.get_kind_display().lower()} #{run.number} "
            f"started ({steps} step{'s' if steps != 1 else ''}), T0 {_clock(run.planned_start, project.time_zone)}"
        )

    def _status(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options.get("user"))
        project = project_get_for_user(user=actor, key=options["project"])
        run = run_get(
            user=actor, project=project, runbook_name=options["runbook"], number=options["run"]
        )
        live = run_live(user=actor, run=run)
        if options["json"]:
            self._json(live)
            return
        progress = live["progress"]
        self.stdout.write(
            f"{project.key} · {run.runbook.name}: {run.get_kind_display().lower()} #{run.number} "
            f"{run.status} · {progress['finished']}/{progress['total']} steps finished "
            f"({progress['percent']}%)"
        )
        end = live["predicted_end"]
        self.stdout.write(
            f"  T0 {_clock(run.planned_start, project.time_zone)} · planned end {_clock(live['planned_end'], project.time_zone)} · "
            f"{'predicted' if run.ended_at is None else 'actual'} end {_clock(end, project.time_zone)}"
        )
        if live["critical_path"]:
            self.stdout.write(f"  critical path: {' → '.join(live['critical_path'])}")
        for row in live["steps"]:
            flags = []
            if row["halted"]:
                flags.append("HALTED")
            if row["can_start"]:
                flags.append("ready")
            if row["critical"]:
                flags.append("critical")
            who = row["assignee"] or row["owner"] or row["owner_team"] or ""
            note = f" — {row['note']}" if row["note"] else ""
            self.stdout.write(
                f"  {row['status']:<11} {row['key']:<24} {row['planned']:<8} "
                f"{who:<12} {' '.join(flags)}{note}".rstrip()
            )

    def _step(self, options: dict[str, Any]) -> None:
        actor = cli_user(options.get("user"))
        project = project_get_for_user(user=actor, key=options["project"])
        if options["run"] is None:
            run = run_active(user=actor, project=project, runbook_name=options["runbook"])
        else:
            run = run_get(
                user=actor, project=project, runbook_name=options["runbook"], number=options["run"]
            )
        run_step = RunStep.objects.filter(run=run, key=options["step_key"]).first()
        if run_step is None:
            raise NotFound(
                f"Run #{run.number} of {run.runbook.name} has no step {options['step_key']}."
            )
        action, value, note = options["step_action"], options["value"], options["note"]
        if action == "start":
            run_step = step_start(actor=actor, run_step=run_step)
        elif action == "complete":
            run_step = step_complete(actor=actor, run_step=run_step, actual_value=value, note=note)
        elif action == "fail":
            run_step = step_fail(actor=actor, run_step=run_step, note=note, actual_value=value)
        elif action == "skip":
            run_step = step_skip(actor=actor, run_step=run_step, reason=note)
        else:
            run_step = step_verdict(
                actor=actor, run_step=run_step, approve=action == "approve", comment=note
            )
        run.refresh_from_db()
        if options["json"]:
            row = next(r for r in run_live(user=actor, run=run)["steps"] if r["id"] == run_step.pk)
            self._json({"run": run.number, "run_status": run.status, "step": row})
            return
        note_text = f" — {run_step.note}" if run_step.note else ""
        self.stdout.write(
            f"{project.key} · {run.runbook.name} #{run.number}: step {run_step.key} "
            f"{run_step.status}{note_text} (run {run.status})"
        )
