"""`golive communications send-due [--json]` and `golive communications send NAME --project KEY --user U`."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from golive.cli_support import cli_user, domain_errors
from golive.projects.selectors import project_get_for_user
from golive.rollout.models import CommunicationLog
from golive.rollout.selectors.communications import communication_get
from golive.rollout.services.communications import communication_send, communications_send_due


def _row(log: CommunicationLog) -> dict[str, Any]:
    communication = log.communication
    return {
        "project": communication.project.key,
        "communication": communication.name,
        "channel": log.channel,
        "recipients": len(log.recipients),
        "ok": log.ok,
        "error": log.error,
        "sent_at": log.sent_at.isoformat(),
    }


class Command(BaseCommand):
    help = (
        "Communication commands: send every planned communication that is due (workers running "
        "`golive db_worker` do this on time in the background), or send one now. A message that "
        "cannot be delivered is logged, left failed, and makes the command exit with status 1."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        due = sub.add_parser("send-due", help="Send every planned communication that is due.")
        due.add_argument("--json", action="store_true", help="Print what was sent as JSON.")
        send = sub.add_parser("send", help="Send one communication now (managers).")
        send.add_argument("name")
        send.add_argument("--project", required=True, help="The project's key.")
        send.add_argument("--user", help="The manager sending it.")
        send.add_argument("--json", action="store_true", help="Print the log entry as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        with domain_errors():
            if options["action"] == "send-due":
                logs = communications_send_due()
            else:
                actor = cli_user(options.get("user"))
                project = project_get_for_user(user=actor, key=options["project"])
                communication = communication_get(user=actor, project=project, name=options["name"])
                logs = [communication_send(actor=actor, communication=communication)]
        rows = [_row(log) for log in logs]
        if options["json"]:
            self.stdout.write(json.dumps({"sent": rows}))
        elif not rows:
            self.stdout.write("No communication is due.")
        else:
            for row in rows:
                if row["ok"]:
                    self.stdout.write(
                        f"{row['project']} {row['communication']}: sent by {row['channel']} "
                        f"to {row['recipients']} recipient(s)"
                    )
            self.stdout.write(f"{sum(1 for r in rows if r['ok'])} communication(s) sent.")
        failed = [row for row in rows if not row["ok"]]
        for row in failed:
            self.stderr.write(
                f"{row['project']} {row['communication']}: could not be sent ({row['error']})"
            )
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(rows)} communication(s) could not be sent; the failures "
                "are logged.",
                returncode=1,
            )
