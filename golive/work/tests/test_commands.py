"""`golive schedule`, `golive forecast` and `golive escalate` from the command line."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from golive.accounts.models import User
from golive.config.tests.support import run_cli
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.work.models import Blocker
from golive.work.services import (
    blocker_raise,
    dependency_create,
    escalation_path_set,
    work_package_create,
)
from golive.work.tests import failing_mail

DAY = 480


def run(*args):
    """Run a command as call_command does; return (exit code, stdout)."""
    out = StringIO()
    try:
        call_command(*args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def plan():
    project = ProjectFactory(key="CLI", manager=UserFactory(username="pm"))
    pm = project.manager

    def add(name, **fields):
        fields.setdefault("duration", DAY)
        return work_package_create(actor=pm, project=project, name=name, owner=pm, **fields)

    a = add("Design", duration=2 * DAY)
    b = add("Docs")
    c = add("Build", optimistic=240, most_likely=480, pessimistic=1440)
    m = add("Go-live", duration=0, milestone=True)
    for pred, succ in ((a, c), (b, c), (c, m)):
        dependency_create(actor=pm, project=project, predecessor=pred, successor=succ)
    return {"project": project, "a": a, "b": b, "c": c, "m": m}


@pytest.mark.django_db
class ScheduleCommandTests:
    def test_table_shows_dates_float_and_critical(self, plan):
        """The table lists every package with its float and marks the critical ones."""
        code, out = run("schedule", "CLI")
        assert code == 0
        lines = out.splitlines()
        assert "early start" in lines[1] and "float" in lines[1]
        design = next(line for line in lines if "1 Design" in line)
        docs = next(line for line in lines if "2 Docs" in line)
        assert design.rstrip().endswith("yes")
        assert not docs.rstrip().endswith("yes")
        assert f"{DAY:>7}" in docs
        assert "Critical path: 1 → 3" in out

    def test_json_lists_every_package(self, plan):
        """--json gives each package's dates, float and critical flag, and the critical path."""
        code, out = run("schedule", "cli", "--json")
        data = json.loads(out)
        assert code == 0
        rows = {r["name"]: r for r in data["packages"]}
        assert set(rows) == {"Design", "Docs", "Build", "Go-live"}
        assert rows["Docs"]["total_float"] == DAY and not rows["Docs"]["critical"]
        assert rows["Design"]["critical"] and rows["Design"]["total_float"] == 0
        # The library ends the path at the first critical package reaching the finish (Build),
        # not at the finish milestone behind it.
        assert data["critical_path"][:2] == [plan["a"].pk, plan["c"].pk]
        assert rows["Go-live"]["critical"]
        assert set(rows["Design"]) >= {"early_start", "early_finish", "late_start", "late_finish"}

    def test_as_outsider_is_refused(self, plan):
        """--user names whose access applies; an outsider is told the project does not exist."""
        UserFactory(username="nobody")
        with pytest.raises(CommandError, match="does not exist") as info:
            run("schedule", "CLI", "--user", "nobody")
        assert info.value.returncode == 2

    def test_unknown_project_exits_two(self, capsys):
        """An unknown project key is a usage error: exit 2 with a message."""
        code, _, err = run_cli("schedule", "NOPE", capsys=capsys)
        assert code == 2
        assert "Project NOPE does not exist" in err


@pytest.mark.django_db
class ForecastCommandTests:
    def test_json_is_reproducible_with_seed(self, plan):
        """The same seed prints the same forecast; P50 ≤ P80 ≤ P95."""
        _, first = run("forecast", "CLI", "--iterations", "200", "--seed", "3", "--json")
        _, second = run("forecast", "CLI", "--iterations", "200", "--seed", "3", "--json")
        assert first == second
        data = json.loads(first)
        assert data["iterations"] == 200
        assert data["finish"]["p50"] <= data["finish"]["p80"] <= data["finish"]["p95"]
        assert [m["name"] for m in data["milestones"]] == ["Go-live"]
        index = {c["name"]: c["index"] for c in data["criticality"]}
        assert index["Design"] == 1.0 and index["Docs"] == 0.0

    def test_table(self, plan):
        """The table shows the project finish and milestone percentiles."""
        code, out = run("forecast", "CLI", "--iterations", "100", "--seed", "1")
        assert code == 0
        assert "P80" in out and "Project finish" in out and "4 Go-live" in out

    def test_missing_or_bad_iterations_exit_two(self, plan, capsys):
        """--iterations is required and must be positive: exit 2."""
        code, _, err = run_cli("forecast", "CLI", capsys=capsys)
        assert code == 2 and "--iterations" in err
        code, _, err = run_cli("forecast", "CLI", "--iterations", "0", capsys=capsys)
        assert code == 2 and "--iterations" in err


@pytest.mark.django_db
class EscalateCommandTests:
    def test_escalates_overdue_blocker_once(self, plan, settings):
        """An overdue blocker escalates to level 1, its owner is mailed; a second run does nothing."""
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        project = plan["project"]
        team = team_for(project)
        escalation_path_set(
            actor=project.manager,
            project=project,
            levels=[
                {"owner": team["approver"], "max_age_hours": 4},
                {"owner": project.manager, "max_age_hours": 24},
            ],
        )
        blocker = blocker_raise(actor=project.manager, package=plan["a"], reason="No VPN")
        Blocker.objects.filter(pk=blocker.pk).update(raised_at=timezone.now() - timedelta(hours=5))
        mail.outbox.clear()
        code, out = run("escalate", "--json")
        assert code == 0
        rows = json.loads(out)["escalated"]
        assert [(r["blocker"], r["level"]) for r in rows] == [(blocker.pk, 1)]
        assert Blocker.objects.get(pk=blocker.pk).level == 1
        code, out = run("escalate")
        assert code == 0 and "No blocker is due" in out
        assert Blocker.objects.get(pk=blocker.pk).level == 1

    @pytest.mark.django_db(transaction=True)
    def test_failed_mail_is_reported_and_the_rest_still_run(self, plan, settings, capsys):
        """A refused e-mail is named and exits 1; the later blocker still escalates and is mailed."""
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        settings.EMAIL_BACKEND = failing_mail.PATH
        project = plan["project"]
        approver = team_for(project)["approver"]
        User.objects.filter(pk=approver.pk).update(email=f"approver{failing_mail.BROKEN}")
        other = ProjectFactory(key="TWO")
        other_wp = work_package_create(
            actor=other.manager, project=other, name="Train", owner=other.manager, duration=DAY
        )
        for proj, owner in ((project, approver), (other, other.manager)):
            escalation_path_set(
                actor=proj.manager,
                project=proj,
                levels=[{"owner": owner.username, "max_age_hours": 4}],
            )
        first = blocker_raise(actor=project.manager, package=plan["a"], reason="No VPN")
        second = blocker_raise(actor=other.manager, package=other_wp, reason="No room")
        Blocker.objects.update(raised_at=timezone.now() - timedelta(hours=5))
        mail.outbox.clear()
        code, out, err = run_cli("escalate", capsys=capsys)
        assert code == 1
        assert "CLI 1 Design: escalated to level 1" in out and "TWO 1 Train" in out
        assert f"CLI 1 Design: the e-mail to {approver.username} could not be sent" in err
        assert "1 of 2 escalation e-mail(s) could not be sent" in err
        assert set(Blocker.objects.values_list("pk", "level")) == {(first.pk, 1), (second.pk, 1)}
        assert [m.to for m in mail.outbox] == [[other.manager.email]]

    @pytest.mark.django_db(transaction=True)
    def test_failed_mail_in_json(self, plan, settings, capsys):
        """With --json every escalation says whether its e-mail went out, and the exit is 1."""
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        settings.EMAIL_BACKEND = failing_mail.PATH
        project = plan["project"]
        approver = team_for(project)["approver"]
        User.objects.filter(pk=approver.pk).update(email=f"approver{failing_mail.BROKEN}")
        escalation_path_set(
            actor=project.manager,
            project=project,
            levels=[{"owner": approver.username, "max_age_hours": 4}],
        )
        blocker = blocker_raise(actor=project.manager, package=plan["a"], reason="No VPN")
        Blocker.objects.update(raised_at=timezone.now() - timedelta(hours=5))
        code, out, _ = run_cli("escalate", "--json", capsys=capsys)
        assert code == 1
        [row] = json.loads(out)["escalated"]
        assert row["blocker"] == blocker.pk and row["mailed"] is False
        assert row["mail_to"] == approver.username
        assert row["mail_error"].startswith("SMTPRecipientsRefused")

    def test_nothing_due(self, plan):
        """With no open blocker the command says so and exits 0."""
        code, out = run("escalate")
        assert code == 0 and "No blocker is due" in out
