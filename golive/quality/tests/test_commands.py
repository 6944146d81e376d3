"""`golive junit push` from the command line."""

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from golive.projects.tests.factories import ProjectFactory, team_for
from golive.quality.models import TestCase, TestResult, TestRun
from golive.quality.tests import test_junit as reader_tests

REPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="api">
<testcase classname="api.Orders" name="create" time="0.2"/>
<testcase classname="api.Orders" name="cancel"><failure message="409">conflict</failure></testcase>
<testcase classname="api.Orders" name="refund"><error message="boom"/></testcase>
<testcase classname="api.Orders" name="export"><skipped/></testcase>
</testsuite></testsuites>
"""


def push(*args):
    """Run `junit push`; return stdout."""
    out = StringIO()
    call_command("junit", "push", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def cli(db, tmp_path):
    project = ProjectFactory(key="CLI")
    team = team_for(project)
    path = tmp_path / "report.xml"
    path.write_bytes(REPORT)
    return project, team, path


@pytest.mark.django_db
class JUnitPushCommandTests:
    def test_json_output(self, cli):
        """--json prints the counts, the run and the new cases."""
        _project, team, path = cli
        out = push(
            str(path),
            "--project",
            "cli",
            "--run",
            "ci-1",
            "--user",
            team["contributor"].username,
            "--json",
            "--build",
            "b7",
            "--type",
            "regression",
        )
        data = json.loads(out)
        assert {k: data[k] for k in ("tests", "passed", "failed", "errors", "skipped")} == {
            "tests": 4,
            "passed": 1,
            "failed": 1,
            "errors": 1,
            "skipped": 1,
        }
        assert data["run"] == "ci-1" and data["created_cases"] == 4 and data["flaky"] == 0
        run = TestRun.objects.get(name="ci-1")
        assert run.build == "b7" and run.created_by == team["contributor"]
        assert set(TestCase.objects.values_list("type", flat=True)) == {"regression"}

    def test_plain_output_and_reimport(self, cli):
        """The text summary says what was stored; a second push replaces the results."""
        _project, team, path = cli
        user = team["contributor"].username
        first = push(str(path), "--project", "CLI", "--run", "ci", "--user", user)
        assert "run 'ci' created: 4 tests, 1 passed, 1 failed, 1 errors, 1 skipped" in first
        second = push(str(path), "--project", "CLI", "--run", "ci", "--user", user)
        assert "updated" in second and "4 earlier results replaced" in second
        assert TestResult.objects.count() == 4

    def test_several_files_with_fixtures(self, cli):
        """Several files go into one run."""
        _project, team, path = cli
        flaky = reader_tests.fixture("surefire__mikepenz_flaky-surefire-report.xml")
        data = json.loads(
            push(
                str(path),
                str(flaky),
                "--project",
                "CLI",
                "--run",
                "r",
                "--user",
                team["contributor"].username,
                "--json",
            )
        )
        assert data["tests"] == 5 and data["flaky"] == 1 and len(data["files"]) == 2

    def test_bad_file_exits_two_and_stores_nothing(self, cli, tmp_path):
        """A malformed file is named with its line on stderr, exit 2, nothing stored."""
        _project, team, path = cli
        bad = tmp_path / "broken.xml"
        bad.write_bytes(b'<?xml version="1.0"?>\n<testsuite>\n<testcase name="x">')
        with pytest.raises(CommandError) as caught:
            push(
                str(path),
                str(bad),
                "--project",
                "CLI",
                "--run",
                "r",
                "--user",
                team["contributor"].username,
            )
        assert caught.value.returncode == 2
        assert f"{bad}, line 3:" in str(caught.value)
        assert not TestRun.objects.exists() and not TestCase.objects.exists()

    def test_user_is_required_and_access_applies(self, cli):
        """Without --user the push is refused; a viewer is refused; both exit 2."""
        _project, team, path = cli
        with pytest.raises(CommandError, match="--user is required") as caught:
            push(str(path), "--project", "CLI", "--run", "r")
        assert caught.value.returncode == 2
        with pytest.raises(CommandError, match="contributor role") as caught:
            push(str(path), "--project", "CLI", "--run", "r", "--user", team["viewer"].username)
        assert caught.value.returncode == 2
        with pytest.raises(CommandError, match="does not exist") as caught:
            push(str(path), "--project", "NOPE", "--run", "r", "--user", team["viewer"].username)
        assert not TestRun.objects.exists()

    def test_missing_option_exits_two_from_the_shell(self, cli):
        """Through the `golive` entry point, a push without --run is a usage error (exit 2)."""
        _project, _team, path = cli
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "from golive.cli import main; main()",
                "junit",
                "push",
                str(path),
                "--project",
                "CLI",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2 and "--run" in result.stderr
