"""Reads on the plan, each with its access check: packages, links, baselines, checkpoints,
blockers, the computed schedule, the forecast and the burn-down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from golive.errors import NotFound
from golive.projects.models import Project
from golive.scheduling.calendar import WorkCalendar
from golive.scheduling.errors import SchedulingError
from golive.scheduling.forecast import Percentiles, ThreePoint, forecast
from golive.work.access import work_check
from golive.work.models import (
    Baseline,
    BaselineEntry,
    Blocker,
    Checkpoint,
    CheckpointAction,
    Dependency,
    EscalationLevel,
    ProjectCalendar,
    WorkPackage,
)
from golive.work.planning import calendar_build, network_build, plan_compute

FORECAST_MAX_ITERATIONS = 100_000


def work_package_list(
    *,
    user: Any,
    project: Project,
    status: str | None = None,
    owner: str | None = None,
    critical: bool | None = None,
    q: str | None = None,
    parent: int | None = None,
    top_level: bool = False,
) -> QuerySet[WorkPackage]:
    """Return a project's packages in outline order, filtered; `q` searches name, WBS, text."""
    work_check(user=user, project=project, action="view")
    packages = (
        WorkPackage.objects.filter(project=project)
        .select_related("owner", "parent")
        .prefetch_related("contributors")
    )
    if status:
        packages = packages.filter(status=status)
    if owner:
        packages = packages.filter(owner__username=owner)
    if critical is not None:
        packages = packages.filter(critical=critical)
    if q:
        packages = packages.filter(
            Q(name__icontains=q) | Q(wbs__startswith=q) | Q(description__icontains=q)
        )
    if parent is not None:
        packages = packages.filter(parent_id=parent)
    if top_level:
        packages = packages.filter(parent__isnull=True)
    return packages.order_by("position", "id")


def work_package_get(*, user: Any, project: Project, package_id: int) -> WorkPackage:
    """Return one work package of `project`."""
    wp = work_package_list(user=user, project=project).filter(pk=package_id).first()
    if wp is None:
        raise NotFound(f"{project.key} has no work package {package_id}.")
    return wp


def dependency_list(*, user: Any, project: Project) -> QuerySet[Dependency]:
    """Return a project's links with both packages."""
    work_check(user=user, project=project, action="view")
    return (
        Dependency.objects.filter(project=project)
        .select_related("predecessor", "successor")
        .order_by("id")
    )


def dependency_get(*, user: Any, project: Project, dependency_id: int) -> Dependency:
    """Return one link of `project`."""
    link = (
        dependency_list(user=user, project=project)
        .select_related("project")
        .filter(pk=dependency_id)
        .first()
    )
    if link is None:
        raise NotFound(f"{project.key} has no dependency {dependency_id}.")
    return link


def calendar_get(*, user: Any, project: Project) -> ProjectCalendar:
    """Return the project calendar with its exceptions (the standard one until it is changed)."""
    work_check(user=user, project=project, action="view")
    calendar = (
        ProjectCalendar.objects.filter(project=project)
        .select_related("project")
        .prefetch_related("exceptions")
        .first()
    )
    if calendar is None:
        # Not stored yet: show what the first write will create, without writing on a read.
        calendar = ProjectCalendar(
            project=project, schedule_start=timezone.localdate(project.created_at, timezone=None)
        )
    return calendar


def baseline_list(*, user: Any, project: Project) -> QuerySet[Baseline]:
    """Return a project's baselines, newest first."""
    work_check(user=user, project=project, action="view")
    return Baseline.objects.filter(project=project).select_related("created_by")


def baseline_get(*, user: Any, project: Project, baseline_id: int) -> Baseline:
    """Return one baseline with its entries."""
    baseline = (
        baseline_list(user=user, project=project)
        .prefetch_related(Prefetch("entries", queryset=BaselineEntry.objects.order_by("id")))
        .filter(pk=baseline_id)
        .first()
    )
    if baseline is None:
        raise NotFound(f"{project.key} has no baseline {baseline_id}.")
    return baseline


@dataclass(frozen=True)
class Variance:
    """How far a current date or duration is from the baseline: working minutes and days."""

    minutes: int | None
    days: int | None


@dataclass(frozen=True)
class PackageVariance:
    """One package compared with its baseline entry (None where either side has no value)."""

    work_package_id: int | None
    wbs: str
    name: str
    status: str  # "changed", "added" (not in the baseline), "removed" (deleted since)
    baseline_start: datetime | None
    baseline_finish: datetime | None
    baseline_duration: int | None
    start: datetime | None
    finish: datetime | None
    duration: int | None
    start_variance: Variance
    finish_variance: Variance
    duration_variance: int | None


@dataclass(frozen=True)
class BaselineComparison:
    """The current plan against a baseline: per package and for the project finish."""

    baseline: Baseline
    baseline_finish: datetime | None
    finish: datetime | None
    finish_variance: Variance
    packages: list[PackageVariance]


def _variance(cal: WorkCalendar, zone: ZoneInfo, old: datetime | None, new: datetime | None):
    if old is None or new is None:
        return Variance(None, None)
    days = (new.astimezone(zone).date() - old.astimezone(zone).date()).days
    return Variance(cal.working_minutes_between(old, new), days)


def baseline_compare(*, user: Any, project: Project, baseline: Baseline) -> BaselineComparison:
    """Compare the current plan with `baseline`.

    Positive variances mean later (or longer) than planned. Date variances are given in working
    minutes on the project calendar and in calendar days (in the project's time zone); duration
    variances in working minutes. Packages added since the baseline and entries whose package was
    deleted are listed with their side only.
    """
    work_check(user=user, project=project, action="view")
    # Saving a baseline reschedules, which creates the calendar: it exists here.
    cal = calendar_build(ProjectCalendar.objects.select_related("project").get(project=project))
    zone = ZoneInfo(project.time_zone)
    current = {wp.pk: wp for wp in WorkPackage.objects.filter(project=project)}
    entries = list(baseline.entries.order_by("id"))
    rows: list[PackageVariance] = []
    seen: set[int] = set()
    for entry in entries:
        wp = current.get(entry.work_package_id) if entry.work_package_id else None
        if wp is not None:
            seen.add(wp.pk)
        rows.append(
            PackageVariance(
                work_package_id=wp.pk if wp else None,
                wbs=wp.wbs if wp else "",
                name=wp.name if wp else entry.name,
                status="changed" if wp else "removed",
                baseline_start=entry.start,
                baseline_finish=entry.finish,
                baseline_duration=entry.duration,
                start=wp.early_start if wp else None,
                finish=wp.early_finish if wp else None,
                duration=wp.duration if wp else None,
                start_variance=_variance(cal, zone, entry.start, wp.early_start if wp else None),
                finish_variance=_variance(cal, zone, entry.finish, wp.early_finish if wp else None),
                duration_variance=wp.duration - entry.duration if wp else None,
            )
        )
    for wp in sorted(current.values(), key=lambda p: (p.position, p.pk)):
        if wp.pk in seen:
            continue
        rows.append(
            PackageVariance(
                work_package_id=wp.pk,
                wbs=wp.wbs,
                name=wp.name,
                status="added",
                baseline_start=None,
                baseline_finish=None,
                baseline_duration=None,
                start=wp.early_start,
                finish=wp.early_finish,
                duration=wp.duration,
                start_variance=Variance(None, None),
                finish_variance=Variance(None, None),
                duration_variance=None,
            )
        )
    finishes = [wp.early_finish for wp in current.values() if wp.early_finish]
    finish = max(finishes) if finishes else None
    return BaselineComparison(
        baseline=baseline,
        baseline_finish=baseline.finish,
        finish=finish,
        finish_variance=_variance(cal, zone, baseline.finish, finish),
        packages=rows,
    )


def checkpoint_list(*, user: Any, project: Project) -> QuerySet[Checkpoint]:
    """Return a project's checkpoints, newest first, with attendees and actions."""
    work_check(user=user, project=project, action="view")
    return (
        Checkpoint.objects.filter(project=project)
        .select_related("created_by")
        .prefetch_related(
            "attendees",
            Prefetch("actions", queryset=CheckpointAction.objects.select_related("owner")),
        )
    )


def checkpoint_get(*, user: Any, project: Project, checkpoint_id: int) -> Checkpoint:
    """Return one checkpoint of `project`."""
    checkpoint = checkpoint_list(user=user, project=project).filter(pk=checkpoint_id).first()
    if checkpoint is None:
        raise NotFound(f"{project.key} has no checkpoint {checkpoint_id}.")
    return checkpoint


def checkpoint_action_get(
    *, user: Any, project: Project, checkpoint_id: int, action_id: int
) -> CheckpointAction:
    """Return one action of a checkpoint of `project`."""
    work_check(user=user, project=project, action="view")
    action = (
        CheckpointAction.objects.filter(
            pk=action_id, checkpoint_id=checkpoint_id, checkpoint__project=project
        )
        .select_related("owner", "checkpoint")
        .first()
    )
    if action is None:
        raise NotFound(f"{project.key} has no action {action_id} at checkpoint {checkpoint_id}.")
    return action


def blocker_list(*, user: Any, project: Project, open_only: bool = True) -> QuerySet[Blocker]:
    """Return a project's blockers (open ones only by default), newest first.

    Each has its `level` (0 = not escalated yet); its age is `blocker_age(blocker)`.
    """
    work_check(user=user, project=project, action="view")
    blockers = Blocker.objects.filter(work_package__project=project).select_related(
        "work_package", "raised_by", "resolved_by"
    )
    if open_only:
        blockers = blockers.filter(resolved_at__isnull=True)
    return blockers


def blocker_get(*, user: Any, project: Project, blocker_id: int) -> Blocker:
    """Return one blocker of `project`."""
    blocker = blocker_list(user=user, project=project, open_only=False).filter(pk=blocker_id)
    found = blocker.select_related("work_package__project").first()
    if found is None:
        raise NotFound(f"{project.key} has no blocker {blocker_id}.")
    return found


def blocker_age(blocker: Blocker, *, now: datetime | None = None) -> timedelta:
    """Return how long a blocker has been (or was) open."""
    end = blocker.resolved_at or now or timezone.now()
    return end - blocker.raised_at


def escalation_path(*, user: Any, project: Project) -> list[EscalationLevel]:
    """Return a project's escalation levels in order, with their owners."""
    work_check(user=user, project=project, action="view")
    return list(EscalationLevel.objects.filter(project=project).select_related("owner"))


@dataclass(frozen=True)
class ScheduledPackage:
    """One package's computed dates (float in working minutes)."""

    package: WorkPackage
    early_start: datetime
    early_finish: datetime
    late_start: datetime
    late_finish: datetime
    total_float: int
    free_float: int
    critical: bool


@dataclass(frozen=True)
class PlanSchedule:
    """The computed schedule of a project: its packages, finish and critical path."""

    start: datetime | None
    finish: datetime | None
    packages: list[ScheduledPackage]
    critical_path: list[WorkPackage]


def plan_schedule(*, user: Any, project: Project) -> PlanSchedule:
    """Compute the project's schedule now (CPM over the stored plan) and return it in dates."""
    work_check(user=user, project=project, action="view")
    if not ProjectCalendar.objects.filter(project=project).exists():
        return PlanSchedule(None, None, [], [])
    result = plan_compute(project)
    cal = result.calendar
    owners = {
        wp.pk: wp
        for wp in WorkPackage.objects.filter(project=project).select_related("owner", "parent")
    }
    rows = []
    for task_id, row in result.schedule.tasks.items():
        wp = owners[int(task_id)]
        rows.append(
            ScheduledPackage(
                package=wp,
                early_start=cal.instant_at(row.early_start),
                early_finish=cal.instant_at(
                    row.early_finish, end=row.early_finish > row.early_start
                ),
                late_start=cal.instant_at(row.late_start),
                late_finish=cal.instant_at(row.late_finish, end=row.late_finish > row.late_start),
                total_float=row.total_float,
                free_float=row.free_float,
                critical=row.critical,
            )
        )
    rows.sort(key=lambda r: (_wbs_key(r.package.wbs), r.package.pk))
    return PlanSchedule(
        start=cal.instant_at(0) if rows else None,
        finish=result.finish(),
        packages=rows,
        critical_path=[owners[int(pk)] for pk in result.schedule.critical_path],
    )


def _wbs_key(wbs: str) -> tuple[int, ...]:
    return tuple(int(part) for part in wbs.split(".") if part.isdigit())


def critical_path(*, user: Any, project: Project) -> list[WorkPackage]:
    """Return the packages on the critical path, from the first to the project finish."""
    return plan_schedule(user=user, project=project).critical_path


@dataclass(frozen=True)
class DatePercentiles:
    """P50/P80/P95 finish dates."""

    p50: datetime
    p80: datetime
    p95: datetime


@dataclass(frozen=True)
class PlanForecast:
    """A Monte Carlo forecast in dates: project and milestone finishes, criticality indices."""

    iterations: int
    seed: int | None
    finish: DatePercentiles | None
    milestones: list[tuple[WorkPackage, DatePercentiles]]
    criticality: list[tuple[WorkPackage, float]]


def plan_forecast(
    *, user: Any, project: Project, iterations: int, seed: int | None = None
) -> PlanForecast:
    """Simulate the plan `iterations` times and return finish percentiles as dates.

    Packages with a three-point estimate draw their duration from it (PERT-beta); the others keep
    their fixed duration. Progress is ignored: the forecast treats the network as a plan. The same
    seed gives the same forecast for the same plan.
    """
    work_check(user=user, project=project, action="view")
    if not 1 <= iterations <= FORECAST_MAX_ITERATIONS:
        raise ValidationError(
            {"iterations": f"Between 1 and {FORECAST_MAX_ITERATIONS:,}; got {iterations}."}
        )
    calendar = ProjectCalendar.objects.filter(project=project).select_related("project").first()
    packages = list(
        WorkPackage.objects.filter(project=project).select_related("owner").order_by("position")
    )
    if calendar is None or not packages:
        return PlanForecast(iterations, seed, None, [], [])
    cal = calendar_build(calendar)
    by_id = {wp.pk: wp for wp in packages}
    parents = {wp.parent_id for wp in packages if wp.parent_id}
    links = list(Dependency.objects.filter(project=project).order_by("id"))
    estimates = {
        str(wp.pk): ThreePoint(wp.optimistic, wp.most_likely, wp.pessimistic)
        for wp in packages
        if wp.pk not in parents
        and not wp.milestone
        and wp.optimistic is not None
        and wp.most_likely is not None
        and wp.pessimistic is not None
    }
    try:
        network = network_build(packages, links, cal)
        result = forecast(network, estimates, iterations=iterations, seed=seed)
    except (SchedulingError, ValueError) as exc:
        raise ValidationError({"forecast": str(exc)}) from None

    def dates(p: Percentiles, *, end: bool) -> DatePercentiles:
        return DatePercentiles(
            cal.instant_at(p.p50, end=end and p.p50 > 0),
            cal.instant_at(p.p80, end=end and p.p80 > 0),
            cal.instant_at(p.p95, end=end and p.p95 > 0),
        )

    order = {wp.pk: i for i, wp in enumerate(sorted(packages, key=lambda w: _wbs_key(w.wbs)))}
    milestones = sorted(
        ((by_id[int(k)], dates(p, end=False)) for k, p in result.milestones.items()),
        key=lambda item: order[item[0].pk],
    )
    criticality = sorted(
        ((by_id[int(k)], value) for k, value in result.criticality.items()),
        key=lambda item: (-item[1], order[item[0].pk]),
    )
    return PlanForecast(
        iterations=result.iterations,
        seed=seed,
        finish=dates(result.project, end=True),
        milestones=milestones,
        criticality=criticality,
    )


@dataclass(frozen=True)
class BurndownPoint:
    """Remaining work at the end of one working day (working minutes)."""

    day: date
    planned: int
    actual: int | None


@dataclass(frozen=True)
class Burndown:
    """The burn-down series of a project and what the planned line was taken from."""

    source: str  # "baseline <name>" or "current plan"
    total: int
    points: list[BurndownPoint]


def burndown(*, user: Any, project: Project, baseline: Baseline | None = None) -> Burndown:
    """Return remaining work per working day, planned against actual.

    Work is counted on leaf packages only (summaries roll up their children), in working minutes
    of estimated duration. Planned: each package burns its duration evenly over its planned
    working time, taken from `baseline`'s entries when given, else from the current early dates;
    the planned remaining at the end of a day is the total minus what the plan has burnt by then.
    Actual (days up to today only): a package not started has all of its work remaining; a
    finished one has none from its actual finish on; a started one burns evenly from its actual
    start to today, down to its recorded remaining work (`remaining`, or the duration less its
    percent complete). The days run from the plan's first start to the later of its finish and
    today, working days of the project calendar only.
    """
    work_check(user=user, project=project, action="view")
    calendar = ProjectCalendar.objects.filter(project=project).select_related("project").first()
    packages = list(WorkPackage.objects.filter(project=project))
    parents = {wp.parent_id for wp in packages if wp.parent_id}
    leaves = [wp for wp in packages if wp.pk not in parents and not wp.milestone]
    if calendar is None or not leaves:
        return Burndown("current plan", 0, [])
    cal = calendar_build(calendar)
    zone = ZoneInfo(project.time_zone)
    if baseline is not None:
        entries = {e.work_package_id: e for e in baseline.entries.all() if e.work_package_id}
        planned_rows = [
            (e.duration, e.start, e.finish)
            for e in entries.values()
            if e.work_package_id not in parents
        ]
        source = f"baseline {baseline.name}"
    else:
        planned_rows = [(wp.duration, wp.early_start, wp.early_finish) for wp in leaves]
        source = "current plan"
    planned_rows = [(d, s, f) for d, s, f in planned_rows if s is not None and f is not None]
    if not planned_rows:
        return Burndown(source, 0, [])
    p_dur = np.array([d for d, _, _ in planned_rows], dtype=np.float64)
    p_start = np.array([cal.offset_of(s) for _, s, _ in planned_rows], dtype=np.float64)
    p_finish = np.array([cal.offset_of(f) for _, _, f in planned_rows], dtype=np.float64)

    now = timezone.now()
    now_offset = cal.offset_of(now)
    a_dur = np.array([wp.duration for wp in leaves], dtype=np.float64)
    a_left = np.array([_remaining_now(wp) for wp in leaves], dtype=np.float64)
    a_start = np.array(
        [cal.offset_of(wp.actual_start) if wp.actual_start else np.inf for wp in leaves]
    )
    a_end = np.array(
        [
            cal.offset_of(wp.actual_finish)
            if wp.actual_finish
            else (now_offset if wp.actual_start else np.inf)
            for wp in leaves
        ]
    )

    first = min(s for _, s, _ in planned_rows).astimezone(zone).date()
    last = max(
        max(f for _, _, f in planned_rows).astimezone(zone).date(), now.astimezone(zone).date()
    )
    today = now.astimezone(zone).date()
    points = []
    day = first
    while day <= last:
        if cal.working_minutes_on(day) > 0:
            end = cal.offset_of(datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone))
            points.append(
                BurndownPoint(
                    day=day,
                    planned=round(_burn(p_dur, p_dur * 0, p_start, p_finish, end)),
                    actual=round(_burn(a_dur, a_left, a_start, a_end, min(end, now_offset)))
                    if day <= today
                    else None,
                )
            )
        day += timedelta(days=1)
    return Burndown(source, int(p_dur.sum()), points)


def _remaining_now(wp: WorkPackage) -> int:
    if wp.actual_finish:
        return 0
    if wp.remaining is not None:
        return min(wp.remaining, wp.duration) if wp.actual_start else wp.duration
    if not wp.actual_start:
        return wp.duration
    return round(wp.duration * (100 - wp.percent_complete) / 100)


def _burn(
    total: np.ndarray, left: np.ndarray, start: np.ndarray, finish: np.ndarray, at: float
) -> float:
    """Return the work remaining at offset `at` when each item burns linearly to `left`."""
    # An item that has not started (start = inf) keeps all its work.
    started = np.isfinite(start)
    safe_start = np.where(started, start, 0.0)
    span = np.maximum(np.where(started, finish, 0.0) - safe_start, 1.0)
    share = np.where(started, np.clip((at - safe_start) / span, 0.0, 1.0), 0.0)
    return float((total - (total - left) * share).sum())
