"""Reads on requirements, plans, cases, runs and results: filters, summaries, flaky cases."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from golive.errors import NotFound
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.quality.selectors.testing import (
    flaky_cases,
    latest_results,
    requirement_get,
    requirement_list,
    run_summaries,
    run_summary,
    test_case_get,
    test_case_list,
    test_case_results,
    test_cases_to_execute,
    test_plan_get,
    test_plan_list,
    test_result_get,
    test_result_list,
    test_run_get,
    test_run_list,
)
from golive.quality.tests.factories import (
    RequirementFactory,
    TestCaseFactory,
    TestPlanFactory,
    TestResultFactory,
    TestRunFactory,
)

NOW = timezone.now()


@pytest.fixture
def qa(db):
    project = ProjectFactory(key="SEL")
    return project, team_for(project)


def runs(project, count):
    """Create `count` runs an hour apart, oldest first."""
    return [
        TestRunFactory(project=project, name=f"r{i}", started_at=NOW - timedelta(hours=count - i))
        for i in range(count)
    ]


def result(run, case, outcome, **kwargs):
    return TestResultFactory(run=run, case=case, outcome=outcome, **kwargs)


@pytest.mark.django_db
class ListSelectorTests:
    def test_lists_filter_and_stay_in_their_project(self, qa):
        """Lists filter by status, type, plan and text, and never show another project's rows."""
        project, team = qa
        other = ProjectFactory(key="OTH")
        plan = TestPlanFactory(project=project, name="UAT")
        req = RequirementFactory(project=project, ref="REQ-1", status="approved")
        RequirementFactory(project=project, ref="REQ-2")
        RequirementFactory(project=other, ref="REQ-1")
        uat = TestCaseFactory(project=project, key="uat::a", type="uat", plan=plan)
        uat.requirements.add(req)
        TestCaseFactory(project=project, key="perf::b", type="performance", automated=True)
        TestCaseFactory(project=other, key="uat::c", type="uat")
        viewer = team["viewer"]
        assert [r.ref for r in requirement_list(user=viewer, project=project)] == [
            "REQ-1",
            "REQ-2",
        ]
        assert [
            r.ref for r in requirement_list(user=viewer, project=project, status="approved")
        ] == ["REQ-1"]
        assert [c.key for c in test_case_list(user=viewer, project=project, type="uat")] == [
            "uat::a"
        ]
        assert [c.key for c in test_case_list(user=viewer, project=project, plan=plan)] == [
            "uat::a"
        ]
        assert [c.key for c in test_case_list(user=viewer, project=project, requirement=req)] == [
            "uat::a"
        ]
        assert [c.key for c in test_case_list(user=viewer, project=project, automated=True)] == [
            "perf::b"
        ]
        assert [c.key for c in test_case_list(user=viewer, project=project, q="PERF")] == [
            "perf::b"
        ]
        assert [p.case_count for p in test_plan_list(user=viewer, project=project)] == [1]
        with pytest.raises(ValidationError):
            test_case_list(user=viewer, project=project, type="smoke")

    def test_gets_by_id_or_name(self, qa):
        """Gets find rows by id or by their name, ref or key; others' rows are not found."""
        project, team = qa
        viewer = team["viewer"]
        req = RequirementFactory(project=project, ref="REQ-7")
        plan = TestPlanFactory(project=project, name="Smoke")
        case = TestCaseFactory(project=project, key="k::1")
        run = TestRunFactory(project=project, name="nightly")
        res = result(run, case, "passed")
        assert requirement_get(user=viewer, project=project, ref="REQ-7") == req
        assert requirement_get(user=viewer, project=project, requirement_id=req.pk) == req
        assert test_plan_get(user=viewer, project=project, name="Smoke") == plan
        assert test_case_get(user=viewer, project=project, key="k::1") == case
        assert test_run_get(user=viewer, project=project, name="nightly") == run
        assert test_result_get(user=viewer, project=project, result_id=res.pk) == res
        other = ProjectFactory(key="OTH")
        foreign = TestCaseFactory(project=other)
        with pytest.raises(NotFound):
            test_case_get(user=viewer, project=project, case_id=foreign.pk)
        with pytest.raises(NotFound):
            test_run_get(user=viewer, project=project, name="missing")
        with pytest.raises(NotFound):
            test_result_list(user=viewer, project=project, run=TestRunFactory(project=other))

    def test_outsiders_get_not_found(self, qa):
        """A non-member cannot list anything of the project."""
        project, _team = qa
        outsider = UserFactory()
        for selector in (requirement_list, test_plan_list, test_case_list, test_run_list):
            with pytest.raises(NotFound):
                selector(user=outsider, project=project)
        with pytest.raises(NotFound):
            flaky_cases(user=outsider, project=project)

    def test_results_filter_by_outcome_and_type(self, qa):
        """A run's results filter by outcome, case type and flaky flag."""
        project, team = qa
        run = TestRunFactory(project=project)
        result(run, TestCaseFactory(project=project, key="a", type="uat"), "passed", flaky=True)
        result(run, TestCaseFactory(project=project, key="b"), "failed")
        viewer = team["viewer"]
        keys = [r.case.key for r in test_result_list(user=viewer, run=run)]
        assert keys == ["a", "b"]
        assert [r.case.key for r in test_result_list(user=viewer, run=run, outcome="failed")] == [
            "b"
        ]
        assert [r.case.key for r in test_result_list(user=viewer, run=run, type="uat")] == ["a"]
        assert [r.case.key for r in test_result_list(user=viewer, run=run, flaky=True)] == ["a"]
        with pytest.raises(ValidationError):
            test_result_list(user=viewer, run=run, outcome="meh")

    def test_list_query_count_is_flat(self, qa, django_assert_num_queries):
        """Listing cases with their requirements takes the same queries for 3 or 30 cases."""
        project, team = qa
        req = RequirementFactory(project=project)
        for i in range(30):
            TestCaseFactory(project=project, requirements=[req])
        team["viewer"]._golive_roles = {}
        test_case_list(user=team["viewer"], project=project)  # warm the role cache
        with django_assert_num_queries(2):
            cases = list(test_case_list(user=team["viewer"], project=project))
            assert all(c.requirements.all()[0] == req for c in cases)

    def test_case_results_and_cases_to_execute(self, qa):
        """A case's history is newest first; cases to execute are the manual ones without result."""
        project, team = qa
        plan = TestPlanFactory(project=project)
        done = TestCaseFactory(project=project, key="done", plan=plan)
        todo = TestCaseFactory(project=project, key="todo", plan=plan)
        TestCaseFactory(project=project, key="elsewhere")
        TestCaseFactory(project=project, key="auto", plan=plan, automated=True)
        old, new = runs(project, 2)
        new.plan = plan
        new.save()
        result(old, done, "failed", executed_at=NOW - timedelta(hours=2))
        result(new, done, "passed", executed_at=NOW)
        history = test_case_results(user=team["viewer"], project=project, case=done)
        assert [r.outcome for r in history] == ["passed", "failed"]
        to_do = test_cases_to_execute(user=team["viewer"], project=project, run=new)
        assert list(to_do) == [todo]


@pytest.mark.django_db
class RunSummaryTests:
    def test_counts_and_pass_rate(self, qa):
        """Counts per outcome; the pass rate leaves skipped results out."""
        project, team = qa
        run = TestRunFactory(project=project)
        for outcome in ["passed"] * 3 + ["failed", "error", "skipped", "blocked"]:
            result(run, TestCaseFactory(project=project), outcome)
        summary = run_summary(run)
        assert (summary.total, summary.passed, summary.failed, summary.error) == (7, 3, 1, 1)
        assert (summary.skipped, summary.blocked, summary.executed) == (1, 1, 6)
        assert summary.pass_rate == 50.0
        assert summary.as_dict()["pass_rate"] == 50.0
        assert run_summary(run=run, user=team["viewer"], project=project) == summary

    def test_by_type_and_empty(self, qa):
        """A summary restricted to one type; an empty run has no pass rate."""
        project, team = qa
        run = TestRunFactory(project=project)
        result(run, TestCaseFactory(project=project, type="uat"), "passed")
        result(run, TestCaseFactory(project=project), "failed")
        assert run_summary(run, type="uat").pass_rate == 100.0
        assert run_summary(TestRunFactory(project=project)).pass_rate is None
        other = ProjectFactory(key="OTH")
        with pytest.raises(NotFound):
            run_summary(run, user=team["viewer"], project=other)

    def test_many_runs_in_one_query(self, qa, django_assert_num_queries):
        """run_summaries counts several runs, optionally per type, in one query."""
        project, _team = qa
        a, b = runs(project, 2)
        result(a, TestCaseFactory(project=project, type="uat"), "passed")
        result(a, TestCaseFactory(project=project), "failed")
        result(b, TestCaseFactory(project=project), "passed", flaky=True)
        with django_assert_num_queries(1):
            summaries = run_summaries(runs=[a, b.pk])
        assert summaries[a.pk].total == 2 and summaries[b.pk].flaky == 1
        by_type = run_summaries(runs=[a], by_type=True)
        assert by_type[(a.pk, "uat")].pass_rate == 100.0
        assert by_type[(a.pk, "functional")].pass_rate == 0.0


@pytest.mark.django_db
class LatestResultsTests:
    def test_latest_by_execution_time(self, qa):
        """Each case's latest result by executed_at, whatever the run order."""
        project, _team = qa
        one, two = TestCaseFactory(project=project), TestCaseFactory(project=project)
        never = TestCaseFactory(project=project)
        early, late = runs(project, 2)
        result(late, one, "failed", executed_at=NOW - timedelta(hours=5))
        newest = result(early, one, "passed", executed_at=NOW)
        only = result(late, two, "error", executed_at=NOW)
        latest = latest_results(project=project)
        assert latest == {one.pk: newest, two.pk: only}
        assert never.pk not in latest
        assert latest_results(project=project, case_ids=[two.pk]) == {two.pk: only}

    def test_other_projects_are_ignored(self, qa):
        """Cases of other projects are not returned even when their ids are asked for."""
        project, _team = qa
        foreign = TestResultFactory()
        assert latest_results(project=project, case_ids=[foreign.case_id]) == {}

    def test_one_query(self, qa, django_assert_num_queries):
        """The latest results of many cases come in one query."""
        project, _team = qa
        (run,) = runs(project, 1)
        for _ in range(20):
            result(run, TestCaseFactory(project=project), "passed")
        with django_assert_num_queries(1):
            assert len(latest_results(project=project)) == 20


@pytest.mark.django_db
class FlakyCaseTests:
    def test_pass_and_fail_in_the_window_is_flaky(self, qa):
        """A case that passed and failed within the window is flaky; a steady one is not."""
        project, team = qa
        flip = TestCaseFactory(project=project, key="flip")
        steady = TestCaseFactory(project=project, key="steady")
        broken = TestCaseFactory(project=project, key="broken")
        for i, run in enumerate(runs(project, 4)):
            result(run, flip, "passed" if i % 2 else "error")
            result(run, steady, "passed")
            result(run, broken, "failed")
        (case,) = flaky_cases(user=team["viewer"], project=project)
        assert case == flip
        assert (case.flaky_passed, case.flaky_failed, case.flaky_flagged) == (2, 2, 0)

    def test_flagged_result_is_flaky(self, qa):
        """A pass on rerun (flagged flaky) makes the case flaky on its own."""
        project, team = qa
        case = TestCaseFactory(project=project)
        (run,) = runs(project, 1)
        result(run, case, "passed", flaky=True)
        assert list(flaky_cases(user=team["viewer"], project=project)) == [case]

    def test_only_the_last_runs_count(self, qa):
        """Results older than the last `window` runs are not considered."""
        project, team = qa
        case = TestCaseFactory(project=project)
        history = runs(project, 5)
        result(history[0], case, "failed")
        for run in history[1:]:
            result(run, case, "passed")
        assert list(flaky_cases(user=team["viewer"], project=project, window=4)) == []
        assert list(flaky_cases(user=team["viewer"], project=project, window=5)) == [case]

    def test_window_must_be_positive(self, qa):
        """A window below 1 is refused."""
        project, team = qa
        with pytest.raises(ValidationError):
            flaky_cases(user=team["viewer"], project=project, window=0)
