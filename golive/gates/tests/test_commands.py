"""`golive gate evaluate|list` from the command line."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from golive.projects.tests.factories import ProjectFactory, UserFactory
from golive.projects.tests.test_services import add_criterion, complete_checklist


def run(*args):
    """Run the gate command; return (exit code, stdout)."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("gate", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
class GateEvaluateCommandTests:
    def test_failing_gate_prints_json_and_exits_one(self):
        """A failing gate prints gate, passed and per-criterion key/passed/detail; exit 1."""
        project = ProjectFactory(key="CLI")
        code, out = run("evaluate", "CLI", "readiness", "--json")
        data = json.loads(out)
        assert code == 1
        assert data["gate"] == "readiness" and data["passed"] is False
        assert [c["key"] for c in data["criteria"]] == ["checklist", "success-criteria"]
        assert all(set(c) >= {"key", "passed", "detail"} for c in data["criteria"])
        assert project.key == data["project"]

    def test_passing_gate_exits_zero(self):
        """A passing gate exits 0 and says so in plain text."""
        project = ProjectFactory(key="OKAY")
        add_criterion(project)
        complete_checklist(project, project.manager)
        code, out = run("evaluate", "okay", "readiness")
        assert code == 0
        assert "Readiness gate PASSES" in out

    def test_unknown_project_or_gate_is_a_clear_error(self):
        """Unknown keys and gate names fail with a message naming them."""
        ProjectFactory(key="REAL")
        with pytest.raises(CommandError, match="Project NOPE does not exist"):
            call_command("gate", "evaluate", "NOPE", "readiness")
        with pytest.raises(CommandError, match="no gate called 'launch'"):
            call_command("gate", "evaluate", "REAL", "launch")

    def test_user_option_applies_their_access(self):
        """--user evaluates as that person: an outsider is told the project is not theirs."""
        ProjectFactory(key="PRIV")
        UserFactory(username="outsider")
        with pytest.raises(CommandError, match="not a member"):
            call_command("gate", "evaluate", "PRIV", "readiness", "--user", "outsider")

    def test_list_gates(self):
        """`golive gate list` shows the project's gates."""
        ProjectFactory(key="LST")
        code, out = run("list", "LST", "--json")
        assert code == 0
        assert json.loads(out)[0]["name"] == "readiness"
