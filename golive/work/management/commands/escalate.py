"""`golive escalate [--json]`: escalate every overdue blocker now and print what moved."""

import json
from typing import Any

from django.core.management.base import BaseCommand

from golive.cli_support import domain_errors
from golive.work.services import blockers_escalate


class Command(BaseCommand):
    help = (
        "Escalate each open blocker older than its escalation level's age to the next level and "
        "e-mail that level's owner. Workers (`golive db_worker`) do this on time in the "
        "background; this command does it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the escalations as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        with domain_errors():
            escalated = blockers_escalate()
        rows = [
            {
                "blocker": b.pk,
                "project": b.work_package.project.key,
                "work_package": f"{b.work_package.wbs} {b.work_package.name}".strip(),
                "level": b.level,
                "reason": b.reason,
            }
            for b in escalated
        ]
        if options["json"]:
            self.stdout.write(json.dumps({"escalated": rows}))
            return
        if not rows:
            self.stdout.write("No blocker is due for escalation.")
            return
        for row in rows:
            self.stdout.write(
                f"{row['project']} {row['work_package']}: escalated to level {row['level']} "
                f"({row['reason']})"
            )
        self.stdout.write(f"{len(rows)} blocker(s) escalated.")
