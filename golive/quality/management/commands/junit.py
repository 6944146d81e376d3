"""`golive junit push FILE... --project KEY --run NAME --user USERNAME [--json]`."""

import json
from typing import Any

from django.core.management.base import BaseCommand

from golive.cli_support import cli_user, domain_errors
from golive.projects.selectors import project_get_for_user
from golive.quality.models import TestType
from golive.quality.services.junit_import import junit_import


class Command(BaseCommand):
    help = "JUnit XML reports: push them into a test run (all files or none)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        push = sub.add_parser(
            "push",
            help=(
                "Import JUnit XML reports into a test run, creating the run and any new test "
                "cases; a result already in the run is replaced. One bad file imports nothing."
            ),
        )
        push.add_argument("files", nargs="+", metavar="FILE", help="JUnit XML report files.")
        push.add_argument("--project", required=True, help="The project's key.")
        push.add_argument("--run", required=True, help="The test run's name (created if new).")
        push.add_argument(
            "--type",
            default=TestType.FUNCTIONAL,
            choices=TestType.values,
            help="The type of test cases created by this import (functional).",
        )
        push.add_argument("--build", default="", help="The build tested (a new run only).")
        push.add_argument(
            "--environment", default="", help="The environment tested on (a new run only)."
        )
        push.add_argument("--user", help="The user the results are recorded as (required).")
        push.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        with domain_errors():
            actor = cli_user(options.get("user"))
            project = project_get_for_user(user=actor, key=options["project"])
            summary = junit_import(
                actor=actor,
                project=project,
                run_name=options["run"],
                sources=options["files"],
                test_type=options["type"],
                build=options["build"],
                environment=options["environment"],
            )
        if options["json"]:
            self.stdout.write(json.dumps({"project": project.key, **summary.as_dict()}))
            return
        verb = "created" if summary.created_run else "updated"
        flaky = f" ({summary.flaky} flaky)" if summary.flaky else ""
        self.stdout.write(
            f"{project.key} · run {summary.run.name!r} {verb}: {summary.tests} tests, "
            f"{summary.passed} passed{flaky}, {summary.failed} failed, {summary.errors} errors, "
            f"{summary.skipped} skipped"
        )
        details = [f"{summary.created_cases} new test cases"]
        if summary.replaced:
            details.append(f"{summary.replaced} earlier results replaced")
        if summary.duplicates:
            details.append(f"{summary.duplicates} reported again (the last result kept)")
        files = len(summary.files)
        details.append(f"from {files} file{'s' if files != 1 else ''}")
        self.stdout.write("  " + ", ".join(details))
