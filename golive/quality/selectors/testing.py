"""Reads on requirements, test plans, cases, runs and results, each with its access check."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from golive.errors import NotFound
from golive.projects.models import Project
from golive.quality.access import quality_check
from golive.quality.models import (
    Outcome,
    Requirement,
    TestCase,
    TestPlan,
    TestResult,
    TestRun,
    TestType,
)
from golive.quality.services.testing import not_a_test

FAILING = (Outcome.FAILED, Outcome.ERROR)


def _choice(value: str | None, choices: Iterable[str], field: str) -> str | None:
    if value in (None, ""):
        return None
    allowed = list(choices)
    if value not in allowed:
        raise ValidationError({field: f"{value!r} is not one of {', '.join(allowed)}."})
    return value


# --- requirements --------------------------------------------------------------------------


def requirement_list(
    *,
    user: Any,
    project: Project,
    status: str | None = None,
    priority: str | None = None,
    q: str | None = None,
) -> QuerySet[Requirement]:
    """Return the project's requirements by ref, with their work packages and test cases."""
    quality_check(user=user, project=project, action="view")
    requirements = Requirement.objects.filter(project=project).prefetch_related(
        "work_packages", Prefetch("test_cases", queryset=TestCase.objects.order_by("key"))
    )
    if status:
        requirements = requirements.filter(status=status)
    if priority:
        requirements = requirements.filter(priority=priority)
    if q:
        requirements = requirements.filter(
            Q(ref__icontains=q) | Q(text__icontains=q) | Q(source__icontains=q)
        )
    return requirements.order_by("ref", "id")


def requirement_get(
    *, user: Any, project: Project, ref: str | None = None, requirement_id: int | None = None
) -> Requirement:
    """Return one requirement of the project, found by its ref or its id."""
    requirements = requirement_list(user=user, project=project)
    if requirement_id is not None:
        requirement = requirements.filter(pk=requirement_id).first()
    else:
        requirement = requirements.filter(ref=(ref or "").strip()).first()
    if requirement is None:
        raise NotFound(f"{project.key} has no requirement {ref or requirement_id}.")
    return requirement


# --- test plans ----------------------------------------------------------------------------


@not_a_test
def test_plan_list(*, user: Any, project: Project, q: str | None = None) -> QuerySet[TestPlan]:
    """Return the project's test plans by name, with their owners and case counts."""
    quality_check(user=user, project=project, action="view")
    plans = (
        TestPlan.objects.filter(project=project)
        .select_related("owner")
        .annotate(case_count=Count("cases", distinct=True))
    )
    if q:
        plans = plans.filter(Q(name__icontains=q) | Q(scope__icontains=q))
    return plans.order_by("name", "id")


@not_a_test
def test_plan_get(
    *, user: Any, project: Project, plan_id: int | None = None, name: str | None = None
) -> TestPlan:
    """Return one test plan of the project, found by its id or its name."""
    plans = test_plan_list(user=user, project=project)
    plan = (
        plans.filter(pk=plan_id).first()
        if plan_id is not None
        else plans.filter(name=(name or "").strip()).first()
    )
    if plan is None:
        raise NotFound(f"{project.key} has no test plan {name or plan_id}.")
    return plan


# --- test cases ----------------------------------------------------------------------------


@not_a_test
def test_case_list(
    *,
    user: Any,
    project: Project,
    type: str | None = None,
    plan: TestPlan | int | None = None,
    requirement: Requirement | int | None = None,
    automated: bool | None = None,
    q: str | None = None,
) -> QuerySet[TestCase]:
    """Return the project's test cases by key, filtered, with their plan and requirements."""
    quality_check(user=user, project=project, action="view")
    cases = (
        TestCase.objects.filter(project=project)
        .select_related("plan")
        .prefetch_related(Prefetch("requirements", queryset=Requirement.objects.order_by("ref")))
    )
    if _choice(type, TestType.values, "type"):
        cases = cases.filter(type=type)
    if plan is not None:
        cases = cases.filter(plan_id=getattr(plan, "pk", plan))
    if requirement is not None:
        cases = cases.filter(requirements=getattr(requirement, "pk", requirement))
    if automated is not None:
        cases = cases.filter(automated=automated)
    if q:
        cases = cases.filter(Q(key__icontains=q) | Q(title__icontains=q))
    return cases.order_by("key", "id")


@not_a_test
def test_case_get(
    *, user: Any, project: Project, case_id: int | None = None, key: str | None = None
) -> TestCase:
    """Return one test case of the project, found by its id or its key."""
    cases = test_case_list(user=user, project=project)
    case = (
        cases.filter(pk=case_id).first()
        if case_id is not None
        else cases.filter(key=(key or "").strip()).first()
    )
    if case is None:
        raise NotFound(f"{project.key} has no test case {key or case_id}.")
    return case


def _same_project(obj: Any, project: Project | None, what: str) -> None:
    if project is not None and obj.project_id != project.pk:
        raise NotFound(f"{project.key} has no {what} {obj.pk}.")


@not_a_test
def test_case_results(
    *, user: Any, case: TestCase, project: Project | None = None, limit: int | None = None
) -> list[TestResult]:
    """Return the case's results across runs, newest first, each with its run."""
    _same_project(case, project, "test case")
    quality_check(user=user, project=project or case.project, action="view")
    results = (
        TestResult.objects.filter(case=case)
        .select_related("run", "executed_by")
        .order_by("-executed_at", "-id")
    )
    return list(results[:limit] if limit else results)


# --- runs ----------------------------------------------------------------------------------


@not_a_test
def test_run_list(
    *,
    user: Any,
    project: Project,
    plan: TestPlan | int | None = None,
    source: str | None = None,
    q: str | None = None,
) -> QuerySet[TestRun]:
    """Return the project's runs, newest first, with their plan and creator."""
    quality_check(user=user, project=project, action="view")
    runs = TestRun.objects.filter(project=project).select_related("plan", "created_by")
    if plan is not None:
        runs = runs.filter(plan_id=getattr(plan, "pk", plan))
    if _choice(source, ["manual", "junit"], "source"):
        runs = runs.filter(source=source)
    if q:
        runs = runs.filter(
            Q(name__icontains=q) | Q(build__icontains=q) | Q(environment__icontains=q)
        )
    return runs.order_by("-started_at", "-id")


@not_a_test
def test_run_get(
    *, user: Any, project: Project, run_id: int | None = None, name: str | None = None
) -> TestRun:
    """Return one run of the project, found by its id or its name."""
    runs = test_run_list(user=user, project=project)
    run = (
        runs.filter(pk=run_id).first()
        if run_id is not None
        else runs.filter(name=(name or "").strip()).first()
    )
    if run is None:
        raise NotFound(f"{project.key} has no test run {name or run_id}.")
    return run


# --- results -------------------------------------------------------------------------------


@not_a_test
def test_cases_to_execute(*, user: Any, project: Project, run: TestRun) -> QuerySet[TestCase]:
    """Return the manual cases still without a result in `run`, by key.

    The cases of the run's plan, or every manual case of the project when the run has none.
    """
    _same_project(run, project, "test run")
    quality_check(user=user, project=project, action="view")
    cases = TestCase.objects.filter(project=project, automated=False).exclude(results__run=run)
    if run.plan_id is not None:
        cases = cases.filter(plan_id=run.plan_id)
    return cases.select_related("plan").order_by("key", "id")


@not_a_test
def test_result_list(
    *,
    user: Any,
    run: TestRun,
    project: Project | None = None,
    outcome: str | None = None,
    type: str | None = None,
    flaky: bool | None = None,
    q: str | None = None,
) -> QuerySet[TestResult]:
    """Return a run's results by case key, filtered by outcome, case type, flaky or text.

    With `project`, refuse a run of another project as not found.
    """
    _same_project(run, project, "test run")
    quality_check(user=user, project=project or run.project, action="view")
    results = TestResult.objects.filter(run=run).select_related("case", "executed_by")
    if _choice(outcome, Outcome.values, "outcome"):
        results = results.filter(outcome=outcome)
    if type:
        results = results.filter(case__type=type)
    if flaky is not None:
        results = results.filter(flaky=flaky)
    if q:
        results = results.filter(
            Q(case__key__icontains=q) | Q(case__title__icontains=q) | Q(message__icontains=q)
        )
    return results.order_by("case__key", "id")


@not_a_test
def test_result_get(*, user: Any, project: Project, result_id: int) -> TestResult:
    """Return one result of one of the project's runs, with its run and case."""
    quality_check(user=user, project=project, action="view")
    result = (
        TestResult.objects.filter(pk=result_id, run__project=project)
        .select_related("run", "case", "executed_by")
        .first()
    )
    if result is None:
        raise NotFound(f"{project.key} has no test result {result_id}.")
    return result


@dataclasses.dataclass(frozen=True)
class RunSummary:
    """A run's results counted by outcome; `pass_rate` is passed / (results - skipped) in %."""

    total: int = 0
    passed: int = 0
    failed: int = 0
    error: int = 0
    skipped: int = 0
    blocked: int = 0
    flaky: int = 0

    @property
    def executed(self) -> int:
        """Return the results that count towards the pass rate (all but the skipped ones)."""
        return self.total - self.skipped

    @property
    def pass_rate(self) -> float | None:
        """Return the percentage of executed results that passed, None when none executed."""
        return round(100 * self.passed / self.executed, 2) if self.executed else None

    def as_dict(self) -> dict[str, Any]:
        """Return the counts and the pass rate as JSON values."""
        return {
            **dataclasses.asdict(self),
            "executed": self.executed,
            "pass_rate": self.pass_rate,
        }


def _summary(counts: dict[str, int], flaky: int) -> RunSummary:
    return RunSummary(
        total=sum(counts.values()),
        passed=counts.get("passed", 0),
        failed=counts.get("failed", 0),
        error=counts.get("error", 0),
        skipped=counts.get("skipped", 0),
        blocked=counts.get("blocked", 0),
        flaky=flaky,
    )


def run_summaries(*, runs: Iterable[TestRun | int], by_type: bool = False) -> dict[Any, RunSummary]:
    """Count the results of several runs in one query (the caller has checked access).

    Return ``{run_id: RunSummary}``, or with `by_type` ``{(run_id, case type): RunSummary}``;
    runs without results are left out.
    """
    ids = [getattr(run, "pk", run) for run in runs]
    group = ["run_id", "case__type"] if by_type else ["run_id"]
    rows = (
        TestResult.objects.filter(run_id__in=ids)
        .values(*group, "outcome")
        .annotate(count=Count("id"), flagged=Count("id", filter=Q(flaky=True)))
        .order_by()
    )
    counts: dict[Any, dict[str, int]] = {}
    flaky: dict[Any, int] = {}
    for row in rows:
        key = (row["run_id"], row["case__type"]) if by_type else row["run_id"]
        counts.setdefault(key, {})[row["outcome"]] = row["count"]
        flaky[key] = flaky.get(key, 0) + row["flagged"]
    return {key: _summary(value, flaky[key]) for key, value in counts.items()}


def run_summary(
    run: TestRun, *, type: str | None = None, user: Any = None, project: Project | None = None
) -> RunSummary:
    """Count a run's results per outcome, of the cases of `type` if given; give the pass rate.

    With `user`, check that they may view the run's project (and that the run belongs to
    `project`, if given); without, the caller has checked access.
    """
    _same_project(run, project, "test run")
    if user is not None:
        quality_check(user=user, project=project or run.project, action="view")
    results = TestResult.objects.filter(run=run)
    if type:
        results = results.filter(case__type=type)
    rows = results.values("outcome").annotate(count=Count("id")).order_by()
    counts = {row["outcome"]: row["count"] for row in rows}
    return _summary(counts, results.filter(flaky=True).count())


def latest_results(
    *, project: Project, case_ids: Iterable[int] | None = None
) -> dict[int, TestResult]:
    """Return each case's latest result by execution time, as ``{case_id: result}``.

    Cases of `project` only (all of them, or those in `case_ids`); cases never executed are
    left out; of results executed at the same moment the later-stored one counts. The caller
    has checked access to the project.
    """
    newest = (
        TestResult.objects.filter(case_id=OuterRef("pk"))
        .order_by("-executed_at", "-id")
        .values("id")[:1]
    )
    cases = TestCase.objects.filter(project=project)
    if case_ids is not None:
        cases = cases.filter(pk__in=list(case_ids))
    latest = cases.annotate(latest=Subquery(newest)).filter(latest__isnull=False)
    results = TestResult.objects.filter(pk__in=latest.values("latest")).select_related(
        "run", "case"
    )
    return {result.case_id: result for result in results}


def flaky_cases(*, user: Any, project: Project, window: int = 10) -> QuerySet[TestCase]:
    """Return the cases that look flaky in the project's last `window` runs.

    A case is flaky when its results in those runs include both a pass and a failure or
    error, or when any of them was reported flaky (passed on a rerun). Each case carries
    ``flaky_passed``, ``flaky_failed`` and ``flaky_flagged`` counts over the window; the cases
    that fail most come first.
    """
    quality_check(user=user, project=project, action="view")
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValidationError({"window": "Give the number of recent runs to look at, 1 or more."})
    run_ids = list(
        TestRun.objects.filter(project=project)
        .order_by("-started_at", "-id")
        .values_list("id", flat=True)[:window]
    )
    return (
        TestCase.objects.filter(project=project, results__run_id__in=run_ids)
        .annotate(
            flaky_passed=Count("results", filter=Q(results__outcome=Outcome.PASSED)),
            flaky_failed=Count("results", filter=Q(results__outcome__in=FAILING)),
            flaky_flagged=Count("results", filter=Q(results__flaky=True)),
        )
        .filter(Q(flaky_passed__gt=0, flaky_failed__gt=0) | Q(flaky_flagged__gt=0))
        .select_related("plan")
        .order_by("-flaky_failed", "-flaky_flagged", "key", "id")
    )
