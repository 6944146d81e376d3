"""The plan's gate criteria: milestone forecast, old blockers, a saved baseline."""

import json
from datetime import date, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from golive.gates.models import Criterion
from golive.gates.registry import criterion_type_get, params_validate
from golive.gates.services import criterion_add, gate_create, gate_evaluate
from golive.projects.models import Project
from golive.projects.tests.factories import ProjectFactory, team_for
from golive.work.models import Blocker, WorkPackage
from golive.work.services import (
    baseline_save,
    blocker_raise,
    blocker_resolve,
    calendar_update,
    dependency_create,
    work_package_create,
    work_package_update,
)

DAY = 480  # working minutes in the standard 8-hour day


def build_plan(key="CRT", time_zone="Europe/Berlin"):
    """Design (2 d) → Build (3 d) → Go-live (milestone), from Monday 2027-03-01; Docs on the side.

    Go-live is reached on Friday 2027-03-05 at 17:00 in the project's time zone.
    """
    project = ProjectFactory(key=key, time_zone=time_zone)
    team = team_for(project)
    pm = project.manager
    calendar_update(actor=pm, project=project, schedule_start=date(2027, 3, 1))
    design = work_package_create(
        actor=pm, project=project, name="Design", owner=pm, duration=2 * DAY
    )
    build = work_package_create(actor=pm, project=project, name="Build", owner=pm, duration=3 * DAY)
    golive = work_package_create(
        actor=pm, project=project, name="Go-live", owner=pm, milestone=True
    )
    docs = work_package_create(actor=pm, project=project, name="Docs", owner=pm, duration=DAY)
    dependency_create(actor=pm, project=project, predecessor=design, successor=build)
    dependency_create(actor=pm, project=project, predecessor=build, successor=golive)
    dependency_create(actor=pm, project=project, predecessor=docs, successor=golive)
    wps = {wp.name: wp for wp in WorkPackage.objects.filter(project=project)}
    return project, team, wps


@pytest.fixture
def plan(db):
    return build_plan()


def evaluate(type_key, project, **params):
    """Evaluate criterion type `type_key` on `project` with params checked as a gate checks them."""
    ctype = criterion_type_get(type_key)
    assert ctype is not None
    return ctype.evaluate(
        project, ctype.params_model.model_validate(params_validate(type_key, params))
    )


def age(blocker, days=0, hours=0):
    Blocker.objects.filter(pk=blocker.pk).update(
        raised_at=timezone.now() - timedelta(days=days, hours=hours)
    )


@pytest.mark.django_db
class MilestoneForecastCriterionTests:
    def test_passes_when_p80_is_on_the_date(self, plan):
        """A milestone reached Friday 17:00 meets a Friday date; detail gives P50 and P80."""
        project, _, _ = plan
        outcome = evaluate("work.milestone_forecast", project, milestone="3", date="2027-03-05")
        assert outcome.passed
        assert outcome.detail.startswith("3 Go-live: P80 2027-03-05 is on or before 2027-03-05")
        assert "P50 2027-03-05" in outcome.detail and "1,000 runs, seed 1" in outcome.detail
        urls = [e.url for e in outcome.evidence]
        assert urls == [f"/p/{project.key}/plan/?q=3", f"/p/{project.key}/plan/gantt/"]

    def test_fails_when_p80_is_after_the_date(self, plan):
        """A date before the P80 finish fails and says by how many days."""
        project, _, _ = plan
        outcome = evaluate("work.milestone_forecast", project, milestone="3", date="2027-03-04")
        assert not outcome.passed
        assert "P80 2027-03-05 is 1 day after 2027-03-04" in outcome.detail

    def test_uncertain_estimates_spread_p50_and_p80(self, plan):
        """With a long pessimistic tail on Build the P80 is later than the P50, both named."""
        project, _, wps = plan
        work_package_update(
            actor=project.manager,
            package=wps["Build"],
            optimistic=2 * DAY,
            most_likely=3 * DAY,
            pessimistic=30 * DAY,
        )
        outcome = evaluate(
            "work.milestone_forecast", project, milestone="Go-live", date="2027-03-05", seed=7
        )
        assert not outcome.passed
        p80 = outcome.detail.split("P80 ")[1][:10]
        p50 = outcome.detail.split("P50 ")[1][:10]
        assert date.fromisoformat(p50) < date.fromisoformat(p80)
        later = evaluate("work.milestone_forecast", project, milestone="Go-live", date=p80, seed=7)
        assert later.passed

    def test_finish_is_read_in_the_projects_time_zone(self, db):
        """17:00 in Los Angeles is Saturday in UTC; the milestone still meets Friday's date."""
        project, _, _ = build_plan(key="PST", time_zone="America/Los_Angeles")
        outcome = evaluate("work.milestone_forecast", project, milestone="3", date="2027-03-05")
        assert outcome.passed, outcome.detail

    def test_milestone_by_name_ignores_case(self, plan):
        """The milestone may be named instead of numbered."""
        project, _, _ = plan
        outcome = evaluate(
            "work.milestone_forecast", project, milestone="go-live", date="2027-03-10"
        )
        assert outcome.passed

    def test_unknown_milestone_fails_naming_it(self, plan):
        """A milestone the plan does not have fails and says which."""
        project, _, _ = plan
        outcome = evaluate(
            "work.milestone_forecast", project, milestone="Pilot go-live", date="2027-03-10"
        )
        assert not outcome.passed
        assert "no milestone “Pilot go-live”" in outcome.detail

    def test_package_that_is_not_a_milestone_fails(self, plan):
        """Naming an ordinary package fails: only milestones are forecast."""
        project, _, _ = plan
        outcome = evaluate("work.milestone_forecast", project, milestone="2", date="2027-03-10")
        assert not outcome.passed
        assert outcome.detail == "2 Build is not a milestone; name a milestone package."

    def test_ambiguous_name_asks_for_the_wbs_code(self, plan):
        """Two packages with the name fail with both codes."""
        project, _, _ = plan
        work_package_create(
            actor=project.manager,
            project=project,
            name="Go-live",
            owner=project.manager,
            milestone=True,
        )
        outcome = evaluate(
            "work.milestone_forecast", project, milestone="Go-live", date="2027-03-10"
        )
        assert not outcome.passed
        assert "names 2 packages (3, 5); give the WBS code" in outcome.detail


@pytest.mark.django_db
class NoOldBlockersCriterionTests:
    def test_passes_without_blockers(self, plan):
        """No open blocker: passes, with a link to the blocker list."""
        project, _, _ = plan
        outcome = evaluate("work.no_old_blockers", project, days=3)
        assert outcome.passed and outcome.detail == "No open blockers."
        assert outcome.evidence[0].url == f"/p/{project.key}/blockers/"

    def test_young_blocker_passes(self, plan):
        """A blocker raised two days ago is within a three-day limit."""
        project, team, wps = plan
        blocker = blocker_raise(actor=team["contributor"], package=wps["Build"], reason="No env")
        age(blocker, days=2)
        outcome = evaluate("work.no_old_blockers", project, days=3)
        assert outcome.passed
        assert outcome.detail == "1 open blocker, none older than 3 days."

    def test_old_blockers_fail_with_codes_and_ages(self, plan):
        """Blockers older than the limit are listed oldest first with their package and age."""
        project, team, wps = plan
        old = blocker_raise(actor=team["contributor"], package=wps["Build"], reason="No env")
        older = blocker_raise(actor=team["contributor"], package=wps["Docs"], reason="No writer")
        young = blocker_raise(actor=team["contributor"], package=wps["Design"], reason="Review")
        age(old, days=5, hours=2)
        age(older, days=9)
        age(young, hours=20)
        outcome = evaluate("work.no_old_blockers", project, days=3)
        assert not outcome.passed
        assert outcome.detail == "2 open blockers older than 3 days: 4 (9 days), 2 (5 days)."
        urls = [e.url for e in outcome.evidence]
        base = f"/p/{project.key}/blockers/"
        assert urls == [base, f"{base}#blocker-{older.pk}", f"{base}#blocker-{old.pk}"]
        assert outcome.evidence[1].label == "4 Docs: No writer"

    def test_zero_days_counts_every_open_blocker(self, plan):
        """With N = 0 any open blocker fails, its age in hours when under a day."""
        project, team, wps = plan
        blocker = blocker_raise(actor=team["contributor"], package=wps["Build"], reason="No env")
        age(blocker, hours=3)
        outcome = evaluate("work.no_old_blockers", project, days=0)
        assert not outcome.passed
        assert outcome.detail == "1 open blocker older than 0 days: 2 (3 hours)."

    def test_resolved_blockers_do_not_count(self, plan):
        """A resolved blocker, however old, is not open."""
        project, team, wps = plan
        blocker = blocker_raise(actor=team["contributor"], package=wps["Build"], reason="No env")
        age(blocker, days=30)
        blocker.refresh_from_db()
        blocker_resolve(actor=team["contributor"], blocker=blocker, resolution="Env ready")
        assert evaluate("work.no_old_blockers", project, days=1).passed


@pytest.mark.django_db
class BaselineSavedCriterionTests:
    def test_fails_without_baseline(self, plan):
        """No baseline: fails and links to the baselines page."""
        project, _, _ = plan
        outcome = evaluate("work.baseline_saved", project)
        assert not outcome.passed and outcome.detail == "No baseline saved yet."
        assert outcome.evidence[0].url == f"/p/{project.key}/baselines/"

    def test_passes_naming_the_newest_with_its_date(self, plan):
        """Any baseline passes; the detail names the newest and when it was saved."""
        project, _, _ = plan
        baseline_save(actor=project.manager, project=project, name="Draft")
        newest = baseline_save(actor=project.manager, project=project, name="Approved plan")
        outcome = evaluate("work.baseline_saved", project)
        today = timezone.localdate(timezone=ZoneInfo(project.time_zone))
        assert outcome.passed
        assert outcome.detail == f"2 baselines; the newest is “Approved plan”, saved {today}."
        assert outcome.evidence[0].url == f"/p/{project.key}/baselines/?compare={newest.pk}"

    def test_named_baseline(self, plan):
        """With a name, only that baseline counts; a missing one lists those saved."""
        project, _, _ = plan
        baseline_save(actor=project.manager, project=project, name="Draft")
        missing = evaluate("work.baseline_saved", project, name="Approved plan")
        assert not missing.passed
        assert missing.detail == "No baseline named “Approved plan”; saved: “Draft”."
        baseline_save(actor=project.manager, project=project, name="Approved plan")
        found = evaluate("work.baseline_saved", project, name="approved plan")
        assert found.passed and found.detail.startswith("Baseline “Approved plan” saved ")


@pytest.mark.django_db
class CriterionParamsTests:
    @pytest.mark.parametrize(
        ("type_key", "params", "field"),
        [
            ("work.milestone_forecast", {"date": "2027-03-05"}, "milestone"),
            ("work.milestone_forecast", {"milestone": " ", "date": "2027-03-05"}, "milestone"),
            ("work.milestone_forecast", {"milestone": "3"}, "date"),
            ("work.milestone_forecast", {"milestone": "3", "date": "05/03/2027"}, "date"),
            ("work.milestone_forecast", {"milestone": "3", "date": "2027-02-30"}, "date"),
            ("work.milestone_forecast", {"milestone": "3", "date": 1803859200}, "date"),
            (
                "work.milestone_forecast",
                {"milestone": "3", "date": "2027-03-05", "iterations": 0},
                "iterations",
            ),
            (
                "work.milestone_forecast",
                {"milestone": "3", "date": "2027-03-05", "iterations": 100_001},
                "iterations",
            ),
            (
                "work.milestone_forecast",
                {"milestone": "3", "date": "2027-03-05", "seed": -1},
                "seed",
            ),
            ("work.no_old_blockers", {}, "days"),
            ("work.no_old_blockers", {"days": -1}, "days"),
            ("work.no_old_blockers", {"days": "3"}, "days"),
            ("work.no_old_blockers", {"days": 3, "weeks": 1}, "weeks"),
            ("work.baseline_saved", {"name": ""}, "name"),
        ],
    )
    def test_bad_params_are_refused_when_configuring(self, plan, type_key, params, field):
        """Adding a criterion with wrong params is refused, naming the parameter; nothing saved."""
        project, _, _ = plan
        gate = gate_create(
            actor=project.manager,
            project=project,
            name="launch",
            title="Launch",
            approvers=[project.manager],
        )
        with pytest.raises(ValidationError) as exc:
            criterion_add(
                actor=project.manager, gate=gate, key="c", type_key=type_key, params=params
            )
        assert any(m.startswith(f"{field}:") for m in exc.value.message_dict["params"])
        assert not Criterion.objects.filter(gate=gate).exists()

    def test_defaults_are_filled_in(self):
        """Iterations default to 1,000 and the seed to 1; the baseline name is optional."""
        assert params_validate(
            "work.milestone_forecast", {"milestone": " 3 ", "date": "2027-03-05"}
        ) == {"milestone": "3", "date": "2027-03-05", "iterations": 1000, "seed": 1}
        assert params_validate("work.baseline_saved", {}) == {"name": None}


def go_live_gate(project):
    """A launch gate on `project` with the three plan criteria."""
    pm = project.manager
    gate = gate_create(actor=pm, project=project, name="launch", title="Launch", approvers=[pm])
    criterion_add(
        actor=pm,
        gate=gate,
        key="on-time",
        type_key="work.milestone_forecast",
        params={"milestone": "Go-live", "date": "2027-03-05"},
    )
    criterion_add(
        actor=pm, gate=gate, key="blockers", type_key="work.no_old_blockers", params={"days": 2}
    )
    criterion_add(actor=pm, gate=gate, key="baseline", type_key="work.baseline_saved")
    return gate


@pytest.mark.django_db
class PlanGateTests:
    def test_gate_with_plan_criteria_evaluates(self, plan):
        """A launch gate passes on an on-time, baselined, unblocked plan; an old blocker fails it."""
        project, team, wps = plan
        gate = go_live_gate(project)
        baseline_save(actor=project.manager, project=project, name="Approved plan")
        evaluation = gate_evaluate(gate=gate)
        assert evaluation.passed, [c.detail for c in evaluation.failing]
        assert [c.label for c in evaluation.criteria] == [
            "Milestone forecast on time",
            "No old blockers",
            "Baseline saved",
        ]
        blocker = blocker_raise(actor=team["contributor"], package=wps["Build"], reason="No env")
        age(blocker, days=4)
        work_package_update(actor=project.manager, package=wps["Design"], duration=3 * DAY)
        evaluation = gate_evaluate(gate=gate)
        assert not evaluation.passed
        assert [c.key for c in evaluation.failing] == ["on-time", "blockers"]
        assert "P80 2027-03-08 is 3 days after 2027-03-05" in evaluation.criteria[0].detail
        assert "2 (4 days)" in evaluation.criteria[1].detail

    def test_cli_evaluate_shows_plan_criteria(self, plan):
        """`golive gate evaluate KEY launch --json` lists the plan criteria; failing exits 1."""
        project, _, _ = plan
        go_live_gate(project)
        out = StringIO()
        with pytest.raises(SystemExit) as exc:
            call_command("gate", "evaluate", project.key, "launch", "--json", stdout=out)
        assert exc.value.code == 1
        data = json.loads(out.getvalue())
        rows = {c["key"]: c for c in data["criteria"]}
        assert {k: (c["type"], c["passed"]) for k, c in rows.items()} == {
            "on-time": ("work.milestone_forecast", True),
            "blockers": ("work.no_old_blockers", True),
            "baseline": ("work.baseline_saved", False),
        }
        assert rows["baseline"]["detail"] == "No baseline saved yet."
        assert rows["on-time"]["evidence"][1]["url"].endswith(f"/p/{project.key}/plan/gantt/")


@pytest.mark.django_db
class DemoGateTests:
    def test_demo_has_an_execution_review_over_the_plan(self):
        """`golive demo` gives ERP an execution review gate with the three plan criteria."""
        call_command("demo", "--no-serve", stdout=StringIO())
        call_command("demo", "--no-serve", stdout=StringIO())
        gate = Project.objects.get(key="ERP").gates.get(name="execution-review")
        evaluation = gate_evaluate(gate=gate)
        assert [c.type for c in evaluation.criteria] == [
            "work.milestone_forecast",
            "work.no_old_blockers",
            "work.baseline_saved",
        ]
        forecast, blockers, baseline = evaluation.criteria
        assert forecast.detail.startswith("6.2 Go-live: Hamburg pilot: P80 ")
        assert blockers.passed and baseline.passed
