"""`golive audit verify`: check the audit chain; exit 1 naming the first broken event."""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from golive.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit log commands. `golive audit verify` checks the hash chain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Verify the hash chain of the audit log.")
        verify.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        show_progress = not options["json"] and sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if show_progress and total:
                width = 30
                filled = width * done // total
                sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
                if done == total:
                    sys.stderr.write("\n")

        report = audit_verify(progress=progress)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": report.ok,
                        "checked": report.checked,
                        "first_broken_event": report.first_broken_seq,
                        "head_hash": report.head_hash,
                        "message": report.message,
                    }
                )
            )
        elif report.ok:
            self.stdout.write(self.style.SUCCESS(report.message))
        if not report.ok:
            if options["json"]:
                sys.exit(1)
            raise CommandError(f"audit chain broken: {report.message}", returncode=1)
