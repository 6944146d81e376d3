"""`golive runbook run|status|step` from the command line."""

import json

import pytest

from golive.config.tests.support import run_cli
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.rollout.models import Run, RunStep
from golive.rollout.tests.factories import RunbookFactory, StepFactory


@pytest.fixture
def cli(db):
    project = ProjectFactory(key="CLR", manager=UserFactory(username="clr-manager"))
    team = team_for(project)
    runbook = RunbookFactory(project=project, name="cutover")
    freeze = StepFactory(runbook=runbook, key="freeze", duration_minutes=10)
    count = StepFactory(
        runbook=runbook, key="count", kind="check", expected_value="42", depends_on=[freeze]
    )
    go = StepFactory(runbook=runbook, key="go", kind="decision", depends_on=[count])
    go.approvers.set([team["approver"]])
    return project, team, runbook


def golive(*argv, capsys):
    return run_cli("runbook", *argv, capsys=capsys)


@pytest.mark.django_db
class RunbookRunCommandTests:
    def test_starts_a_run(self, cli, capsys):
        """`runbook run` starts a rehearsal and says so."""
        _, _, runbook = cli
        code, out, _ = golive(
            "run", "clr", "cutover", "--kind", "rehearsal", "--user", "clr-manager", capsys=capsys
        )
        assert code == 0, out
        assert "rehearsal #1 started (3 steps)" in out
        assert Run.objects.get(runbook=runbook).kind == "rehearsal"

    def test_json(self, cli, capsys):
        """--json prints the live view of the new run."""
        code, out, _ = golive(
            "run",
            "CLR",
            "cutover",
            "--kind",
            "live",
            "--user",
            "clr-manager",
            "--json",
            capsys=capsys,
        )
        assert code == 0
        data = json.loads(out)
        assert data["run"]["kind"] == "live" and len(data["steps"]) == 3

    def test_refusals_exit_2(self, cli, capsys):
        """A contributor, a missing --user or a second run are refused with exit 2."""
        code, _, err = golive(
            "run", "CLR", "cutover", "--kind", "live", "--user", "clr-contributor", capsys=capsys
        )
        assert code == 2 and "manager role" in err
        code, _, err = golive("run", "CLR", "cutover", "--kind", "live", capsys=capsys)
        assert code == 2 and "--user is required" in err
        golive("run", "CLR", "cutover", "--kind", "live", "--user", "clr-manager", capsys=capsys)
        code, _, err = golive(
            "run", "CLR", "cutover", "--kind", "live", "--user", "clr-manager", capsys=capsys
        )
        assert code == 2 and "already has a run in progress" in err
        code, _, err = golive(
            "run", "CLR", "nothing", "--kind", "live", "--user", "clr-manager", capsys=capsys
        )
        assert code == 2 and "no runbook nothing" in err


@pytest.mark.django_db
class RunbookStepCommandTests:
    def test_walks_a_run_to_success(self, cli, capsys):
        """start, complete with a value, approve: the run ends succeeded."""
        _, _, runbook = cli
        golive(
            "run", "CLR", "cutover", "--kind", "rehearsal", "--user", "clr-manager", capsys=capsys
        )
        for argv in (
            ("freeze", "start", "--user", "clr-contributor"),
            ("freeze", "complete", "--user", "clr-contributor", "--note", "All quiet"),
            ("count", "start", "--user", "clr-contributor"),
            ("count", "complete", "--value", "42.0", "--user", "clr-contributor"),
        ):
            code, out, err = golive("step", "CLR", "cutover", *argv, capsys=capsys)
            assert code == 0, err
        code, out, _ = golive(
            "step",
            "CLR",
            "cutover",
            "go",
            "approve",
            "--user",
            "clr-approver",
            "--json",
            capsys=capsys,
        )
        assert code == 0
        data = json.loads(out)
        assert data["step"]["status"] == "done" and data["run_status"] == "succeeded"
        assert Run.objects.get(runbook=runbook).status == "succeeded"

    def test_failed_check_is_reported_and_successor_refused(self, cli, capsys):
        """A mismatching value fails the check; the next step is refused as halted (exit 2)."""
        golive(
            "run", "CLR", "cutover", "--kind", "rehearsal", "--user", "clr-manager", capsys=capsys
        )
        golive(
            "step", "CLR", "cutover", "freeze", "start", "--user", "clr-contributor", capsys=capsys
        )
        golive(
            "step",
            "CLR",
            "cutover",
            "freeze",
            "complete",
            "--user",
            "clr-contributor",
            capsys=capsys,
        )
        golive(
            "step", "CLR", "cutover", "count", "start", "--user", "clr-contributor", capsys=capsys
        )
        code, out, _ = golive(
            "step",
            "CLR",
            "cutover",
            "count",
            "complete",
            "--value",
            "41",
            "--user",
            "clr-contributor",
            capsys=capsys,
        )
        assert code == 0 and "failed" in out and "Expected 42, got 41" in out
        code, _, err = golive(
            "step", "CLR", "cutover", "go", "reject", "--user", "clr-approver", capsys=capsys
        )
        assert code == 2 and "halted" in err

    def test_refusals(self, cli, capsys):
        """No run in progress, an unknown step, or a viewer acting: exit 2."""
        code, _, err = golive(
            "step", "CLR", "cutover", "freeze", "start", "--user", "clr-contributor", capsys=capsys
        )
        assert code == 2 and "no run in progress" in err
        golive(
            "run", "CLR", "cutover", "--kind", "rehearsal", "--user", "clr-manager", capsys=capsys
        )
        code, _, err = golive(
            "step", "CLR", "cutover", "ghost", "start", "--user", "clr-contributor", capsys=capsys
        )
        assert code == 2 and "no step ghost" in err
        code, _, err = golive(
            "step", "CLR", "cutover", "freeze", "start", "--user", "clr-viewer", capsys=capsys
        )
        assert code == 2 and "contributor role" in err
        code, _, err = golive(
            "step", "CLR", "cutover", "freeze", "skip", "--user", "clr-contributor", capsys=capsys
        )
        assert code == 2 and "why" in err
        assert RunStep.objects.get(key="freeze").status == "pending"


@pytest.mark.django_db
class RunbookStatusCommandTests:
    def test_text_and_json(self, cli, capsys):
        """status shows progress and each step; --json gives the live view; --run picks one."""
        golive(
            "run", "CLR", "cutover", "--kind", "rehearsal", "--user", "clr-manager", capsys=capsys
        )
        golive(
            "step", "CLR", "cutover", "freeze", "start", "--user", "clr-contributor", capsys=capsys
        )
        code, out, _ = golive("status", "CLR", "cutover", capsys=capsys)
        assert code == 0
        assert "rehearsal #1 running" in out and "0/3 steps finished" in out
        assert "in_progress" in out and "freeze" in out and "predicted end" in out
        code, out, _ = golive(
            "status",
            "CLR",
            "cutover",
            "--run",
            "1",
            "--json",
            "--user",
            "clr-viewer",
            capsys=capsys,
        )
        data = json.loads(out)
        assert data["status"] == "running" and data["progress"]["in_progress"] == 1
        code, _, err = golive("status", "CLR", "cutover", "--run", "9", capsys=capsys)
        assert code == 2 and "no run #9" in err

    def test_outsider_refused(self, cli, capsys):
        """A user outside the project gets exit 2 and learns nothing."""
        ProjectFactory(key="OTH")
        code, _, err = golive("status", "CLR", "cutover", "--user", "user_missing", capsys=capsys)
        assert code == 2
        outsider = ProjectFactory(key="OTX").manager
        code, _, err = golive(
            "status", "CLR", "cutover", "--user", outsider.username, capsys=capsys
        )
        assert code == 2 and "does not exist" in err
