"""The QA dashboard's figures and the snapshot a sign-off freezes.

Every figure takes a constant number of queries: counts are aggregated in SQL, time series are
built in one pass over a single query's rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F
from django.utils import timezone

from golive.projects.models import Project
from golive.quality.access import quality_check
from golive.quality.models import (
    Defect,
    DefectStatus,
    Outcome,
    Requirement,
    RequirementStatus,
    Severity,
    TestCase,
    TestPlan,
    TestResult,
    TestRun,
    TestType,
)
from golive.quality.selectors.traceability import percent, requirement_coverage

AGE_BUCKETS = ("<1 d", "1-7 d", "7-30 d", ">30 d")
OUTCOMES = [o.value for o in Outcome]


def counts_pass_rate(counts: dict[str, int]) -> float | None:
    """Return passed / (results - skipped) in percent, or None when nothing ran."""
    total = sum(counts.get(o, 0) for o in OUTCOMES)
    return percent(counts.get(Outcome.PASSED, 0), total - counts.get(Outcome.SKIPPED, 0))


def _counts_entry(counter: Counter[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {o: counter.get(o, 0) for o in OUTCOMES}
    entry["total"] = sum(counter.values())
    entry["pass_rate"] = counts_pass_rate(entry)
    return entry


def run_counts(run_ids: Iterable[int]) -> dict[int, dict[str, Counter[str]]]:
    """Return {run id: {test type: Counter(outcome)}} in one aggregate query."""
    rows = (
        TestResult.objects.filter(run_id__in=list(run_ids))
        .values_list("run_id", "case__type", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for run_id, case_type, outcome, n in rows:
        counts[run_id][case_type][outcome] += n
    return counts


def _run_entry(run: TestRun, by_type: dict[str, Counter[str]]) -> dict[str, Any]:
    overall: Counter[str] = Counter()
    for counter in by_type.values():
        overall.update(counter)
    return {
        "id": run.pk,
        "name": run.name,
        "build": run.build,
        "environment": run.environment,
        "source": run.source,
        "started_at": run.started_at.isoformat(),
        "counts": _counts_entry(overall),
        "by_type": {t: _counts_entry(by_type[t]) for t in TestType.values if t in by_type},
    }


def _pass_rate_trend(project: Project) -> list[dict[str, Any]]:
    runs = list(TestRun.objects.filter(project=project).order_by("started_at", "id"))
    counts = run_counts([r.pk for r in runs])
    return [_run_entry(run, counts.get(run.pk, {})) for run in runs]


def pass_rate_trend(*, user: Any, project: Project) -> list[dict[str, Any]]:
    """Return every run, oldest first, with its counts and pass rate per test type."""
    quality_check(user=user, project=project, action="view")
    return _pass_rate_trend(project)


def _plan_progress(project: Project, plan: TestPlan | None = None) -> list[dict[str, Any]]:
    plans = TestPlan.objects.filter(project=project)
    if plan is not None:
        plans = plans.filter(pk=plan.pk)
    plan_list = list(plans.annotate(n_cases=Count("cases")).order_by("name", "id"))
    latest: dict[int, TestRun] = {}
    for run in TestRun.objects.filter(
        project=project, plan_id__in=[p.pk for p in plan_list]
    ).order_by("-started_at", "-id"):
        assert run.plan_id is not None
        latest.setdefault(run.plan_id, run)
    executed = dict(
        TestResult.objects.filter(
            run_id__in=[r.pk for r in latest.values()], case__plan_id__isnull=False
        )
        .filter(case__plan_id=F("run__plan_id"))
        .values_list("run_id")
        .annotate(n=Count("case_id", distinct=True))
        .order_by()
    )
    entries = []
    for p in plan_list:
        last = latest.get(p.pk)
        done = executed.get(last.pk, 0) if last else 0
        entries.append(
            {
                "plan_id": p.pk,
                "plan": p.name,
                "cases": p.n_cases,
                "executed": done,
                "percent": percent(done, p.n_cases),
                "run_id": last.pk if last else None,
                "run": last.name if last else None,
            }
        )
    return entries


def plan_progress(
    *, user: Any, project: Project, plan: TestPlan | None = None
) -> list[dict[str, Any]]:
    """Return, per test plan, the share of its cases with a result in the plan's latest run."""
    quality_check(user=user, project=project, action="view")
    return _plan_progress(project, plan)


def _local_day(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    return moment.astimezone(zone).date()


def _defect_trend(project: Project, now: dt.datetime) -> list[dict[str, Any]]:
    zone = ZoneInfo(project.time_zone)
    arrived: Counter[dt.date] = Counter()
    closed: Counter[dt.date] = Counter()
    for created_at, closed_at in Defect.objects.filter(project=project).values_list(
        "created_at", "closed_at"
    ):
        arrived[_local_day(created_at, zone)] += 1
        if closed_at is not None:
            closed[_local_day(closed_at, zone)] += 1
    if not arrived:
        return []
    day = min(arrived)
    last = max([*arrived, *closed, _local_day(now, zone)])
    series = []
    total_in = total_out = 0
    while day <= last:
        total_in += arrived[day]
        total_out += closed[day]
        series.append(
            {
                "date": day.isoformat(),
                "arrived": arrived[day],
                "closed": closed[day],
                "arrived_total": total_in,
                "closed_total": total_out,
                "open": total_in - total_out,
            }
        )
        day += dt.timedelta(days=1)
    return series


def defect_trend(
    *, user: Any, project: Project, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Return defect arrival and closure per day (project time zone), with cumulative totals."""
    quality_check(user=user, project=project, action="view")
    return _defect_trend(project, now or timezone.now())


def _age_bucket(age: dt.timedelta) -> str:
    if age < dt.timedelta(days=1):
        return AGE_BUCKETS[0]
    if age < dt.timedelta(days=7):
        return AGE_BUCKETS[1]
    if age < dt.timedelta(days=30):
        return AGE_BUCKETS[2]
    return AGE_BUCKETS[3]


def _open_defects_by_age(project: Project, now: dt.datetime) -> list[dict[str, Any]]:
    table: dict[int, Counter[str]] = {int(s): Counter() for s in Severity}
    for severity, created_at in (
        Defect.objects.filter(project=project)
        .exclude(status=DefectStatus.CLOSED)
        .values_list("severity", "created_at")
    ):
        table[severity][_age_bucket(now - created_at)] += 1
    return [
        {
            "severity": Severity(value).label.lower(),
            "buckets": {b: table[value].get(b, 0) for b in AGE_BUCKETS},
            "total": sum(table[value].values()),
        }
        for value in sorted(table, reverse=True)
    ]


def open_defects_by_age(
    *, user: Any, project: Project, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Return open defects per severity (most severe first) in age buckets <1 d … >30 d."""
    quality_check(user=user, project=project, action="view")
    return _open_defects_by_age(project, now or timezone.now())


def _mean_time_to_fix(project: Project) -> float | None:
    spans = [
        (fixed_at - created_at).total_seconds()
        for created_at, fixed_at in Defect.objects.filter(
            project=project, fixed_at__isnull=False
        ).values_list("created_at", "fixed_at")
        if fixed_at is not None
    ]
    return round(sum(spans) / len(spans) / 3600, 1) if spans else None


def mean_time_to_fix(*, user: Any, project: Project) -> float | None:
    """Return the mean hours from report to fix over fixed defects, or None if none is fixed."""
    quality_check(user=user, project=project, action="view")
    return _mean_time_to_fix(project)


def quality_dashboard(
    *, user: Any, project: Project, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Return every dashboard figure in one JSON-serialisable dict."""
    quality_check(user=user, project=project, action="view")
    moment = now or timezone.now()
    return {
        "pass_rate_trend": _pass_rate_trend(project),
        "plan_progress": _plan_progress(project),
        "defect_trend": _defect_trend(project, moment),
        "open_defects_by_age": _open_defects_by_age(project, moment),
        "mean_time_to_fix_hours": _mean_time_to_fix(project),
        "coverage": requirement_coverage(project=project).as_dict(),
    }


def _snapshot_runs(
    project: Project, plan: TestPlan | None, runs: Sequence[TestRun]
) -> list[TestRun]:
    if runs:
        return sorted(runs, key=lambda r: (r.started_at, r.pk))
    latest = TestRun.objects.filter(project=project)
    if plan is not None:
        latest = latest.filter(plan=plan)
    run = latest.order_by("-started_at", "-id").first()
    return [run] if run is not None else []


def quality_snapshot(
    *, project: Project, plan: TestPlan | None = None, runs: Iterable[TestRun] = ()
) -> dict[str, Any]:
    """Return what a sign-off freezes, as JSON values.

    The runs given (else the latest run of `plan`, else of the project) with counts and pass
    rates per type, requirement coverage, the open defects, and the requirements none of whose
    cases has a result in those runs. The caller has checked access.
    """
    run_list = _snapshot_runs(project, plan, list(runs))
    counts = run_counts([r.pk for r in run_list])
    tested_cases = set(
        TestResult.objects.filter(run_id__in=[r.pk for r in run_list]).values_list(
            "case_id", flat=True
        )
    )
    links = TestCase.requirements.through.objects.filter(requirement__project=project)
    cases_by_req: dict[int, set[int]] = defaultdict(set)
    for req_id, case_id in links.values_list("requirement_id", "testcase_id"):
        cases_by_req[req_id].add(case_id)
    untested = [
        {"ref": ref, "text": text}
        for pk, ref, text in Requirement.objects.filter(project=project)
        .exclude(status=RequirementStatus.DROPPED)
        .order_by("ref", "id")
        .values_list("pk", "ref", "text")
        if not cases_by_req.get(pk, set()) & tested_cases
    ]
    open_defects = [
        {
            "ref": f"DEF-{number}",
            "title": title,
            "severity": Severity(severity).label.lower(),
            "status": status,
            "blocks_go_live": blocks,
        }
        for number, title, severity, status, blocks in Defect.objects.filter(project=project)
        .exclude(status=DefectStatus.CLOSED)
        .order_by("-severity", "number")
        .values_list("number", "title", "severity", "status", "blocks_go_live")
    ]
    return {
        "taken_at": timezone.now().isoformat(),
        "plan": {"id": plan.pk, "name": plan.name} if plan is not None else None,
        "runs": [_run_entry(run, counts.get(run.pk, {})) for run in run_list],
        "coverage": requirement_coverage(project=project).as_dict(),
        "open_defects": open_defects,
        "untested_requirements": untested,
    }


__all__ = [
    "AGE_BUCKETS",
    "counts_pass_rate",
    "defect_trend",
    "mean_time_to_fix",
    "open_defects_by_age",
    "pass_rate_trend",
    "plan_progress",
    "quality_dashboard",
    "quality_snapshot",
    "run_counts",
]
