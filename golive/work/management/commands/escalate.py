"""`golive escalate [--json]`: escalate every overdue blocker now and print what moved."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from golive.cli_support import domain_errors
from golive.work.services import EscalationMailFailure, blockers_escalate


class Command(BaseCommand):
    help = (
        "Escalate each open blocker older than its escalation level's age to the next level and "
        "e-mail that level's owner. Workers (`golive db_worker`) do this on time in the "
        "background; this command does it now. An e-mail that cannot be sent does not stop the "
        "other escalations: the command names it and exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the escalations as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        failures: list[EscalationMailFailure] = []
        with domain_errors():
            escalated = blockers_escalate(on_mail_failure=failures.append)
        failed = {f.blocker.pk: f for f in failures}
        rows = [
            {
                "blocker": b.pk,
                "project": b.work_package.project.key,
                "work_package": f"{b.work_package.wbs} {b.work_package.name}".strip(),
                "level": b.level,
                "reason": b.reason,
                "mailed": b.pk not in failed,
            }
            for b in escalated
        ]
        for row in rows:
            failure = failed.get(row["blocker"])
            if failure is not None:
                row["mail_to"] = failure.owner.username
                row["mail_error"] = f"{type(failure.error).__name__}: {failure.error}"
        if options["json"]:
            self.stdout.write(json.dumps({"escalated": rows}))
        elif not rows:
            self.stdout.write("No blocker is due for escalation.")
        else:
            for row in rows:
                self.stdout.write(
                    f"{row['project']} {row['work_package']}: escalated to level {row['level']} "
                    f"({row['reason']})"
                )
            self.stdout.write(f"{len(rows)} blocker(s) escalated.")
        for row in rows:
            if not row["mailed"]:
                self.stderr.write(
                    f"{row['project']} {row['work_package']}: the e-mail to {row['mail_to']} "
                    f"could not be sent ({row['mail_error']})"
                )
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(rows)} escalation e-mail(s) could not be sent; "
                "the blockers are escalated and the failures are logged.",
                returncode=1,
            )
