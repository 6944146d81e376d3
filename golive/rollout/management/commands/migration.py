"""`golive migration check NAME --project KEY [--user U] [--json]` and `golive migration list`.

`check` runs the migration check now, stores the result as evidence and exits 0 when it
passed, 1 when it failed (a runbook's check step can rely on that), 2 on a usage error.
"""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from golive.cli_support import cli_actor, domain_errors
from golive.projects.selectors import project_get_for_user
from golive.rollout.selectors.migrations import migration_check_get, migration_check_list
from golive.rollout.services.migrations import migration_check_run


class Command(BaseCommand):
    help = "Data migration checks: run one now (exit 1 when it fails), or list them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser(
            "check",
            help=(
                "Run a migration check now and store its result; print the per-table report. "
                "Exit 0 when it passed, 1 when it failed."
            ),
        )
        check.add_argument("check_name", metavar="CHECK_NAME", help="The check's name.")
        check.add_argument("--project", required=True, help="The project's key.")
        check.add_argument("--user", help="Run as this user (default: the shell operator).")
        check.add_argument("--json", action="store_true", help="Print the result as JSON.")
        listing = sub.add_parser("list", help="List the checks with their latest result.")
        listing.add_argument("--project", required=True, help="The project's key.")
        listing.add_argument("--user", help="List as this user (default: the shell operator).")
        listing.add_argument("--set", dest="check_set", help="Only the checks of this set.")
        listing.add_argument("--json", action="store_true", help="Print the list as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        with domain_errors():
            actor = cli_actor(options.get("user"))
            project = project_get_for_user(user=actor, key=options["project"])
            if options["action"] == "list":
                checks = migration_check_list(
                    user=actor, project=project, check_set=options.get("check_set")
                )
            else:
                check = migration_check_get(user=actor, project=project, name=options["check_name"])
                result = migration_check_run(actor=actor, check=check)
        if options["action"] == "list":
            self._list(project, checks, options["json"])
            return
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "project": project.key,
                        "check": check.name,
                        "result_id": result.pk,
                        "passed": result.passed,
                        "summary": result.summary,
                        "error": result.error,
                        "started_at": result.started_at.isoformat(),
                        "duration_ms": result.duration_ms,
                        **result.report,
                    }
                )
            )
        else:
            self._report(project, check, result)
        if not result.passed:
            sys.exit(1)

    def _report(self, project, check, result) -> None:
        report = result.report
        verdict = "PASSED" if result.passed else "FAILED"
        self.stdout.write(f"{project.key} · migration check {check.name} {verdict}")
        self.stdout.write(f"  source: {report.get('source')}   target: {report.get('target')}")
        for table in report.get("tables", []):
            if table.get("error"):
                self.stdout.write(f"  {table['label']}: ERROR {table['error']}")
                continue
            self.stdout.write(
                f"  {table['label']}: {table['source_rows']:,} source rows, "
                f"{table['target_rows']:,} target rows; {table['missing']:,} missing, "
                f"{table['extra']:,} extra, {table['changed']:,} changed"
            )
            for name, title in (("missing", "missing"), ("extra", "extra")):
                if table[f"{name}_sample"]:
                    keys = ", ".join(_key(k) for k in table[f"{name}_sample"])
                    self.stdout.write(f"    {title}: {keys}")
            for change in table["changed_sample"]:
                self.stdout.write(
                    f"    changed {_key(change['key'])} {change['column']}: "
                    f"{change['source']!r} → {change['target']!r}"
                )
            for side, dupes in table["duplicates"].items():
                if dupes["count"]:
                    keys = ", ".join(_key(k) for k in dupes["sample"])
                    self.stdout.write(f"    duplicate keys in {side}: {keys}")
            for agg in table["aggregates"]:
                mark = "=" if agg["match"] else "≠"
                self.stdout.write(
                    f"    {agg['function']}({agg['column']}): {agg['source']} {mark} {agg['target']}"
                )
        for reason in report.get("reasons", []):
            self.stdout.write(f"  fails: {reason}")
        self.stdout.write(f"  {result.summary}")

    def _list(self, project, checks, as_json: bool) -> None:
        rows = [
            {
                "name": c.name,
                "title": c.title,
                "check_set": c.check_set,
                "source": c.source_display,
                "target": c.target_display,
                "tables": [t.get("source") for t in c.tables],
                "latest": None
                if c.latest_result is None
                else {
                    "id": c.latest_result.pk,
                    "passed": c.latest_result.passed,
                    "summary": c.latest_result.summary,
                    "started_at": c.latest_result.started_at.isoformat(),
                },
            }
            for c in checks
        ]
        if as_json:
            self.stdout.write(json.dumps({"project": project.key, "checks": rows}))
            return
        if not rows:
            self.stdout.write(f"{project.key} has no migration checks.")
        for row in rows:
            latest = row["latest"]
            state = "never run" if latest is None else latest["summary"]
            where = f" [{row['check_set']}]" if row["check_set"] else ""
            self.stdout.write(f"{row['name']}{where}: {row['source']} → {row['target']} · {state}")


def _key(key: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in key.items()) if len(key) > 1 else str(*key.values())
