"""`golive level` and `golive resources load` from the command line."""

import json
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from golive.config.tests.support import run_cli
from golive.resources.models import LevelingHold, LevelingRun, LevelingStatus
from golive.resources.services import assignment_update
from golive.resources.tests.factories import DAY, staffed_plan

BERLIN = ZoneInfo("Europe/Berlin")


def run(*args):
    out = StringIO()
    try:
        call_command(*args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def plan(db):
    return staffed_plan(key="CLR")


@pytest.mark.django_db
class LevelCommandTests:
    def test_preview_table(self, plan):
        """The preview lists the moves, the finish before and after and the solver's answer."""
        code, out = run("level", "CLR", "--time-limit", "2")
        assert code == 0
        assert "4 Docs" in out and "2027-03-01 08:00" in out and "2027-03-03 08:00" in out
        assert "+16" in out  # hours
        assert "Finish: 2027-03-05 17:00 → 2027-03-05 17:00" in out
        assert (
            "on a 60-minute grid; finish proven optimal" in out
            and "Overloaded resource-days: 2 → 0" in out
        )
        assert "Preview only" in out
        assert LevelingRun.objects.get().status == LevelingStatus.PREVIEW
        assert not LevelingHold.objects.exists()

    def test_json_and_apply(self, plan):
        """--apply --json applies the run and prints its moves."""
        project, _, wps, _ = plan
        code, out = run(
            "level",
            "CLR",
            "--time-limit",
            "2",
            "--apply",
            "--json",
            "--user",
            project.manager.username,
        )
        assert code == 0
        data = json.loads(out)
        assert data["status"] == "applied" and data["optimal"] is True
        assert data["overloads_before"] == 2 and data["overloads_after"] == 0
        assert [(m["name"], m["shift"]) for m in data["moves"]] == [("Docs", 2 * DAY)]
        assert data["finish_before"] == data["finish_after"]
        hold = LevelingHold.objects.get()
        assert hold.work_package_id == wps["Docs"].pk
        assert hold.start.astimezone(BERLIN) == datetime(2027, 3, 3, 8, tzinfo=BERLIN)

    def test_exit_codes(self, plan, capsys):
        """Apply without a user, a user who may not level, unknown projects: exit 2."""
        project, team, wps, people = plan
        code, _, err = run_cli("level", "CLR", "--apply", capsys=capsys)
        assert code == 2 and "--user is required" in err
        code, _, err = run_cli(
            "level", "CLR", "--apply", "--user", team["contributor"].username, capsys=capsys
        )
        assert code == 2 and "manager role" in err
        code, _, err = run_cli("level", "NOPE", capsys=capsys)
        assert code == 2
        code, _, err = run_cli("level", "CLR", "--time-limit", "-1", capsys=capsys)
        assert code == 2
        a = people["ann"].assignments.get(work_package=wps["Docs"])
        assignment_update(actor=project.manager, assignment=a, units=200)
        code, _, err = run_cli("level", "CLR", capsys=capsys)
        assert code == 2 and "4 Docs needs 200 % of Ann" in err
        assert not LevelingRun.objects.exists()


@pytest.mark.django_db
class ResourcesLoadCommandTests:
    def test_json_figures(self, plan):
        """--json gives each resource's days and weeks with the overloaded ones."""
        code, out = run("resources", "load", "CLR", "--weeks", "2", "--json")
        assert code == 0
        data = json.loads(out)
        assert data["project"] == "CLR"
        names = [r["name"] for r in data["resources"]]
        assert names == ["Ann", "Bob"]
        ann = data["resources"][0]
        assert len(ann["weeks"]) == 2 and len(ann["days"]) == 14
        assert {"capacity_hours", "demand_hours", "overloaded_days", "start"} <= set(
            ann["weeks"][0]
        )

    def test_table_and_exit_codes(self, plan, capsys):
        """The table shows a row per resource; bad weeks or an unknown project exit 2."""
        code, out = run("resources", "load", "CLR", "--weeks", "1")
        assert code == 0 and "Ann" in out and "Bob" in out
        code, _, err = run_cli("resources", "load", "CLR", "--weeks", "0", capsys=capsys)
        assert code == 2 and "weeks" in err
        code, _, err = run_cli("resources", "load", "NOPE", capsys=capsys)
        assert code == 2
        code, _, err = run_cli("resources", capsys=capsys)
        assert code == 2
