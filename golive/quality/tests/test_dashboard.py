"""The QA dashboard's figures on known data, their query counts, and the sign-off snapshot."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from golive.errors import NotFound
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.quality.models import Defect, DefectStatus, Outcome, TestType
from golive.quality.selectors.dashboard import (
    defect_trend,
    mean_time_to_fix,
    open_defects_by_age,
    pass_rate_trend,
    plan_progress,
    quality_dashboard,
    quality_snapshot,
)
from golive.quality.services.defects import defect_report
from golive.quality.tests.factories import (
    RequirementFactory,
    TestCaseFactory,
    TestPlanFactory,
    TestResultFactory,
    TestRunFactory,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def project(db):
    return ProjectFactory(key="DSH", time_zone="UTC")


def results(run, type_, outcomes, cases=None):
    made = []
    for i, outcome in enumerate(outcomes):
        case = cases[i] if cases else TestCaseFactory(project=run.project, type=type_)
        made.append(TestResultFactory(run=run, case=case, outcome=outcome))
    return made


def defect_at(project, created, *, severity="medium", fixed=None, closed=None):
    defect = defect_report(actor=project.manager, project=project, title="D", severity=severity)
    Defect.objects.filter(pk=defect.pk).update(
        created_at=created,
        fixed_at=fixed,
        closed_at=closed,
        status=DefectStatus.CLOSED if closed else DefectStatus.NEW,
        resolution="fixed" if closed else "",
    )
    return defect


@pytest.mark.django_db
class PassRateTrendTests:
    def test_pass_rate_per_type_per_run(self, project):
        """Runs oldest first; pass rate per type is passed / (results - skipped)."""
        r1 = TestRunFactory(project=project, name="R1", started_at=NOW - dt.timedelta(days=2))
        results(r1, TestType.FUNCTIONAL, ["passed"] * 3 + ["failed"])
        results(r1, TestType.PERFORMANCE, ["passed"])
        r2 = TestRunFactory(project=project, name="R2", started_at=NOW - dt.timedelta(days=1))
        results(r2, TestType.FUNCTIONAL, ["passed"] * 4 + ["skipped"])
        results(r2, TestType.SECURITY, ["error", "blocked"])
        trend = pass_rate_trend(user=project.manager, project=project)
        assert [r["name"] for r in trend] == ["R1", "R2"]
        assert trend[0]["by_type"]["functional"]["pass_rate"] == 75.0
        assert trend[0]["by_type"]["performance"]["pass_rate"] == 100.0
        assert trend[0]["counts"]["pass_rate"] == 80.0
        assert trend[1]["by_type"]["functional"] == {
            "passed": 4,
            "failed": 0,
            "error": 0,
            "skipped": 1,
            "blocked": 0,
            "total": 5,
            "pass_rate": 100.0,
        }
        assert trend[1]["by_type"]["security"]["pass_rate"] == 0.0
        assert list(trend[1]["by_type"]) == ["functional", "security"]


@pytest.mark.django_db
class PlanProgressTests:
    def test_cases_with_a_result_in_the_latest_run(self, project):
        """Progress = cases of the plan with a result in the plan's latest run / cases in plan."""
        plan = TestPlanFactory(project=project, name="SIT")
        empty = TestPlanFactory(project=project, name="Empty")
        cases = [TestCaseFactory(project=project, plan=plan) for _ in range(4)]
        old = TestRunFactory(project=project, plan=plan, started_at=NOW - dt.timedelta(days=1))
        results(old, None, ["passed"] * 4, cases=cases)
        latest = TestRunFactory(project=project, plan=plan, name="SIT 2", started_at=NOW)
        results(latest, None, ["passed", "failed"], cases=cases[:2])
        TestResultFactory(run=latest, case=TestCaseFactory(project=project))  # not in the plan
        progress = plan_progress(user=project.manager, project=project)
        assert progress == [
            {
                "plan_id": empty.pk,
                "plan": "Empty",
                "cases": 0,
                "executed": 0,
                "percent": None,
                "run_id": None,
                "run": None,
            },
            {
                "plan_id": plan.pk,
                "plan": "SIT",
                "cases": 4,
                "executed": 2,
                "percent": 50.0,
                "run_id": latest.pk,
                "run": "SIT 2",
            },
        ]
        assert plan_progress(user=project.manager, project=project, plan=plan)[0]["percent"] == 50


@pytest.mark.django_db
class DefectFigureTests:
    def test_arrival_and_closure_per_day_cumulative(self, project):
        """Each day from the first report to today with arrivals, closures and running totals."""
        day = dt.datetime(2026, 3, 7, 9, 0, tzinfo=UTC)
        defect_at(project, day, closed=day + dt.timedelta(days=2))
        defect_at(project, day + dt.timedelta(hours=3))
        defect_at(project, day + dt.timedelta(days=1))
        trend = defect_trend(user=project.manager, project=project, now=NOW)
        assert [(d["date"], d["arrived"], d["closed"], d["open"]) for d in trend] == [
            ("2026-03-07", 2, 0, 2),
            ("2026-03-08", 1, 0, 3),
            ("2026-03-09", 0, 1, 2),
            ("2026-03-10", 0, 0, 2),
        ]
        assert trend[-1]["arrived_total"] == 3 and trend[-1]["closed_total"] == 1

    def test_days_are_in_the_project_time_zone(self, db):
        """A defect reported at 23:30 UTC counts on the next day in Berlin."""
        berlin = ProjectFactory(key="BER", time_zone="Europe/Berlin")
        defect_at(berlin, dt.datetime(2026, 3, 9, 23, 30, tzinfo=UTC))
        trend = defect_trend(user=berlin.manager, project=berlin, now=NOW)
        assert trend[0]["date"] == "2026-03-10"

    def test_no_defects_no_series(self, project):
        """Without defects the series is empty and there is no mean time to fix."""
        assert defect_trend(user=project.manager, project=project, now=NOW) == []
        assert mean_time_to_fix(user=project.manager, project=project) is None

    def test_open_defects_by_severity_and_age(self, project):
        """Open defects fall into <1 d, 1-7 d, 7-30 d and >30 d per severity; closed are left out."""
        defect_at(project, NOW - dt.timedelta(hours=2), severity="critical")
        defect_at(project, NOW - dt.timedelta(days=1), severity="critical")
        defect_at(project, NOW - dt.timedelta(days=8), severity="high")
        defect_at(project, NOW - dt.timedelta(days=40), severity="low")
        defect_at(project, NOW - dt.timedelta(days=40), severity="low", closed=NOW)
        table = open_defects_by_age(user=project.manager, project=project, now=NOW)
        assert [(row["severity"], row["total"]) for row in table] == [
            ("critical", 2),
            ("high", 1),
            ("medium", 0),
            ("low", 1),
        ]
        assert table[0]["buckets"] == {"<1 d": 1, "1-7 d": 1, "7-30 d": 0, ">30 d": 0}
        assert table[1]["buckets"]["7-30 d"] == 1
        assert table[3]["buckets"][">30 d"] == 1

    def test_mean_time_to_fix_in_hours(self, project):
        """The mean of fixed_at - created_at over fixed defects, in hours."""
        start = NOW - dt.timedelta(days=3)
        defect_at(project, start, fixed=start + dt.timedelta(hours=2))
        defect_at(project, start, fixed=start + dt.timedelta(hours=5))
        defect_at(project, start)
        assert mean_time_to_fix(user=project.manager, project=project) == 3.5


@pytest.mark.django_db
class DashboardTests:
    def test_everything_in_constant_queries(self, project, django_assert_max_num_queries):
        """The whole dashboard costs the same number of queries with 1 or 10 times the data."""
        viewer = team_for(project, roles=("viewer",))["viewer"]

        def add_data(n):
            plan = TestPlanFactory(project=project)
            for i in range(n):
                req = RequirementFactory(project=project)
                case = TestCaseFactory(project=project, plan=plan, requirements=[req])
                run = TestRunFactory(project=project, plan=plan)
                TestResultFactory(run=run, case=case, outcome=Outcome.FAILED)
                defect_at(project, NOW - dt.timedelta(days=i), fixed=NOW)

        add_data(1)
        quality_dashboard(user=viewer, project=project, now=NOW)
        with django_assert_max_num_queries(20) as small:
            quality_dashboard(user=viewer, project=project, now=NOW)
        add_data(10)
        with django_assert_max_num_queries(len(small.captured_queries)):
            data = quality_dashboard(user=viewer, project=project, now=NOW)
        assert len(data["pass_rate_trend"]) == 11
        assert data["coverage"]["requirements"] == 11
        json.dumps(data)

    def test_outsiders_get_not_found(self, project):
        """Dashboard figures are read through the access check."""
        with pytest.raises(NotFound):
            quality_dashboard(user=UserFactory(), project=project)


@pytest.mark.django_db
class QualitySnapshotTests:
    def test_snapshot_is_json_and_complete(self, project):
        """Runs with pass rates per type, coverage, open defects and untested requirements."""
        req = RequirementFactory(project=project, ref="REQ-1")
        RequirementFactory(project=project, ref="REQ-2")
        case = TestCaseFactory(project=project, type=TestType.UAT, requirements=[req])
        run = TestRunFactory(project=project, name="UAT")
        TestResultFactory(run=run, case=case, outcome=Outcome.PASSED)
        defect_report(actor=project.manager, project=project, title="Bad", severity="critical")
        snap = quality_snapshot(project=project, runs=[run])
        json.dumps(snap)
        assert snap["runs"][0]["by_type"]["uat"]["pass_rate"] == 100.0
        assert snap["coverage"]["covered_percent"] == 50.0
        assert snap["open_defects"] == [
            {
                "ref": "DEF-1",
                "title": "Bad",
                "severity": "critical",
                "status": "new",
                "blocks_go_live": True,
            }
        ]
        assert [r["ref"] for r in snap["untested_requirements"]] == ["REQ-2"]

    def test_default_is_the_latest_run(self, project):
        """Without runs or plan the snapshot takes the project's latest run."""
        TestRunFactory(
            project=project, name="old", started_at=timezone.now() - dt.timedelta(days=1)
        )
        TestRunFactory(project=project, name="new")
        assert [r["name"] for r in quality_snapshot(project=project)["runs"]] == ["new"]
        empty = ProjectFactory(key="EMP")
        assert quality_snapshot(project=empty)["runs"] == []
