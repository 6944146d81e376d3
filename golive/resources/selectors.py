"""Reads on resources, each with its access check: lists, load, overloads, warnings,
candidates for an assignment, procurement alerts and leveling runs.

Load is computed from the stored schedule: each package's working minutes per day come from
the project calendar (one offset per day boundary), never from a query per day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from golive.errors import NotFound
from golive.projects.models import Membership, Project
from golive.resources.access import resource_check
from golive.resources.models import (
    Assignment,
    LevelingRun,
    ProcurementItem,
    Resource,
    ResourceSettings,
    ResourceSkill,
    Skill,
    TimeOff,
)
from golive.resources.planning import DeliveryImpact, delivery_instant, package_label
from golive.scheduling.calendar import WorkCalendar
from golive.work.models import ProjectCalendar, Status, WorkPackage
from golive.work.planning import calendar_build, plan_compute, start_floors

MAX_WEEKS = 104
EPSILON = 1e-6


# Lists and single objects -----------------------------------------------------------------------


def resource_list(
    *, user: Any, project: Project, active: bool | None = None, kind: str | None = None
) -> QuerySet[Resource]:
    """Return a project's resources by name, with their user, skills and time off."""
    resource_check(user=user, project=project, action="view")
    resources = (
        Resource.objects.filter(project=project)
        .select_related("user")
        .prefetch_related(
            Prefetch("skills", queryset=ResourceSkill.objects.select_related("skill")),
            "time_off",
        )
    )
    if active is not None:
        resources = resources.filter(active=active)
    if kind:
        resources = resources.filter(kind=kind)
    return resources.order_by("name", "id")


def resource_get(*, user: Any, project: Project, resource_id: int) -> Resource:
    """Return one resource of `project`."""
    found = resource_list(user=user, project=project).filter(pk=resource_id).first()
    if found is None:
        raise NotFound(f"{project.key} has no resource {resource_id}.")
    return found


def skill_list(*, user: Any, project: Project) -> QuerySet[Skill]:
    """Return the skills named in a project."""
    resource_check(user=user, project=project, action="view")
    return Skill.objects.filter(project=project).order_by("name", "id")


def time_off_get(*, user: Any, project: Project, time_off_id: int) -> TimeOff:
    """Return one time-off record of a resource of `project`."""
    resource_check(user=user, project=project, action="view")
    found = (
        TimeOff.objects.filter(resource__project=project, pk=time_off_id)
        .select_related("resource__project")
        .first()
    )
    if found is None:
        raise NotFound(f"{project.key} has no time off {time_off_id}.")
    return found


def assignment_list(
    *, user: Any, project: Project | None = None, package: WorkPackage | None = None
) -> QuerySet[Assignment]:
    """Return the assignments of a project, or of one work package."""
    if package is not None:
        project = package.project
    if project is None:
        raise ValueError("assignment_list needs a project or a package")
    resource_check(user=user, project=project, action="view")
    rows = Assignment.objects.filter(work_package__project=project).select_related(
        "work_package", "resource", "skill"
    )
    if package is not None:
        rows = rows.filter(work_package=package)
    return rows.order_by("work_package__position", "work_package_id", "resource__name", "id")


def assignment_get(*, user: Any, project: Project, assignment_id: int) -> Assignment:
    """Return one assignment of `project`."""
    found = assignment_list(user=user, project=project).filter(pk=assignment_id).first()
    if found is None:
        raise NotFound(f"{project.key} has no assignment {assignment_id}.")
    return found


def procurement_item_list(*, user: Any, project: Project) -> QuerySet[ProcurementItem]:
    """Return a project's procurement items by expected delivery, with their packages."""
    resource_check(user=user, project=project, action="view")
    return (
        ProcurementItem.objects.filter(project=project)
        .select_related("owner")
        .prefetch_related("work_packages")
        .order_by("expected_delivery", "id")
    )


def procurement_item_get(*, user: Any, project: Project, item_id: int) -> ProcurementItem:
    """Return one procurement item of `project`."""
    found = procurement_item_list(user=user, project=project).filter(pk=item_id).first()
    if found is None:
        raise NotFound(f"{project.key} has no procurement item {item_id}.")
    return found


def resource_settings_get(*, user: Any, project: Project) -> ResourceSettings:
    """Return the project's resource settings (the defaults until someone changes them)."""
    resource_check(user=user, project=project, action="view")
    found = ResourceSettings.objects.filter(project=project).first()
    return found or ResourceSettings(project=project)


def leveling_run_list(*, user: Any, project: Project) -> QuerySet[LevelingRun]:
    """Return a project's leveling runs, newest first."""
    resource_check(user=user, project=project, action="view")
    return (
        LevelingRun.objects.filter(project=project)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def leveling_run_get(*, user: Any, project: Project, run_id: int) -> LevelingRun:
    """Return one leveling run of `project`."""
    found = leveling_run_list(user=user, project=project).filter(pk=run_id).first()
    if found is None:
        raise NotFound(f"{project.key} has no leveling run {run_id}.")
    return found


# The load engine --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayLoad:
    """One resource on one day: hours it can give, hours its assignments ask for."""

    day: date
    capacity_hours: float
    demand_hours: float
    overloaded: bool


@dataclass(frozen=True)
class WeekLoad:
    """One resource over one week (seven days from `start`)."""

    start: date
    capacity_hours: float
    demand_hours: float
    overloaded_days: int

    @property
    def percent(self) -> int | None:
        """Return demand as a percentage of capacity (None without capacity)."""
        if self.capacity_hours <= 0:
            return None if self.demand_hours <= 0 else 999
        return round(100 * self.demand_hours / self.capacity_hours)


@dataclass(frozen=True)
class ResourceLoadRow:
    """A resource's load per day and per week."""

    resource: Resource
    days: list[DayLoad]
    weeks: list[WeekLoad]

    @property
    def overloaded_days(self) -> int:
        return sum(1 for d in self.days if d.overloaded)


@dataclass(frozen=True)
class ResourceLoad:
    """Every resource's load from `start` for a number of weeks (histogram and heatmap)."""

    start: date
    end: date
    days: list[date]
    weeks: list[date]
    rows: list[ResourceLoadRow]

    @property
    def overloaded_days(self) -> int:
        return sum(row.overloaded_days for row in self.rows)


@dataclass(frozen=True)
class Overload:
    """A resource asked for more than it can give on a day, and the packages asking."""

    resource: Resource
    day: date
    capacity_hours: float
    demand_hours: float
    packages: list[str] = field(default_factory=list)


@dataclass
class _Loads:
    """Per resource (by id): capacity and demand hours per day index, and who asks."""

    resources: list[Resource]
    days: list[date]
    capacity: dict[int, list[float]]
    demand: dict[int, list[float]]
    askers: dict[tuple[int, int], list[int]]
    labels: dict[int, str]


def _calendar(project: Project) -> WorkCalendar:
    calendar = ProjectCalendar.objects.select_related("project").filter(project=project).first()
    if calendar is None:
        calendar = ProjectCalendar(project=project, schedule_start=project.created_at.date())
    return calendar_build(calendar)


def _day_bounds(cal: WorkCalendar, days: list[date]) -> list[int]:
    """Return the working-minute offset of each day's midnight, and of the day after the last."""
    zone = ZoneInfo(cal.time_zone)
    edges = [*days, days[-1] + timedelta(days=1)] if days else []
    return [cal.offset_of(datetime.combine(d, time(0, 0), tzinfo=zone)) for d in edges]


def _stored_spans(
    project: Project, cal: WorkCalendar
) -> tuple[dict[int, tuple[int, int]], dict[int, str]]:
    """Return each leaf package's scheduled (start, finish) offsets and its label."""
    rows = list(
        WorkPackage.objects.filter(project=project).values_list(
            "id", "parent_id", "wbs", "name", "milestone", "early_start", "early_finish"
        )
    )
    parents = {row[1] for row in rows if row[1]}
    spans: dict[int, tuple[int, int]] = {}
    labels: dict[int, str] = {}
    offsets: dict[datetime, int] = {}

    def offset(instant: datetime) -> int:
        found = offsets.get(instant)
        if found is None:
            found = offsets[instant] = cal.offset_of(instant)
        return found

    for pk, _parent, wbs, name, milestone, start, finish in rows:
        labels[pk] = f"{wbs} {name}".strip()
        if pk in parents or milestone or start is None or finish is None:
            continue
        spans[pk] = (offset(start), offset(finish))
    return spans, labels


def _loads(
    project: Project,
    cal: WorkCalendar,
    days: list[date],
    *,
    spans: Mapping[int, tuple[int, int]] | None = None,
    resources: Iterable[Resource] | None = None,
    exclude_package: int | None = None,
    with_askers: bool = False,
) -> _Loads:
    """Compute capacity and demand hours per resource and day over `days` (consecutive)."""
    if resources is None:
        resources = Resource.objects.filter(project=project).prefetch_related("time_off")
    resources = list(resources)
    stored, labels = _stored_spans(project, cal)
    if spans is None:
        spans = stored
    bounds = _day_bounds(cal, days)
    n = len(days)
    minutes = [bounds[i + 1] - bounds[i] for i in range(n)]
    capacity: dict[int, list[float]] = {}
    for r in resources:
        hours = float(r.capacity_hours) if r.active else 0.0
        row = [hours if minutes[i] > 0 else 0.0 for i in range(n)]
        away: list[tuple[date, date]] = [(off.start, off.end) for off in r.time_off.all()]
        if r.available_from:
            away.append((date.min, r.available_from - timedelta(days=1)))
        if r.available_to:
            away.append((r.available_to + timedelta(days=1), date.max))
        for lo, hi in away:
            if not days or hi < days[0] or lo > days[-1]:
                continue
            first = max(0, (lo - days[0]).days) if lo > date.min else 0
            last = min(n - 1, (hi - days[0]).days) if hi < date.max else n - 1
            for i in range(first, last + 1):
                row[i] = 0.0
        capacity[r.pk] = row
    demand = {r.pk: [0.0] * n for r in resources}
    hours_of = {r.pk: float(r.capacity_hours) for r in resources}
    askers: dict[tuple[int, int], list[int]] = {}
    if n:
        assignments = Assignment.objects.filter(
            work_package__project=project, resource_id__in=list(demand)
        ).values_list("resource_id", "work_package_id", "units")
        window_lo, window_hi = bounds[0], bounds[-1]
        for resource_id, package_id, units in assignments:
            span = spans.get(package_id)
            if span is None or package_id == exclude_package:
                continue
            start, finish = span
            if finish <= start or finish <= window_lo or start >= window_hi:
                continue
            rate = hours_of[resource_id] * units / 100
            row = demand[resource_id]
            i = max(0, bisect_right(bounds, start) - 1)
            while i < n and bounds[i] < finish:
                if minutes[i] > 0:
                    inside = min(finish, bounds[i + 1]) - max(start, bounds[i])
                    if inside > 0:
                        row[i] += rate * inside / minutes[i]
                        if with_askers:
                            askers.setdefault((resource_id, i), []).append(package_id)
                i += 1
    return _Loads(resources, days, capacity, demand, askers, labels)


def _overloaded(capacity: float, demand: float) -> bool:
    return demand > capacity + EPSILON


def _days_from(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


def _today(project: Project) -> date:
    return timezone.localdate(timezone.now(), ZoneInfo(project.time_zone))


def resource_load(
    *, user: Any, project: Project, start: date | None = None, weeks: int = 12
) -> ResourceLoad:
    """Return each resource's capacity and demand hours per day, with week totals.

    Without `start`, the load runs from the Monday of the current week (project time).
    """
    from django.core.exceptions import ValidationError

    resource_check(user=user, project=project, action="view")
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise ValidationError({"weeks": f"From 1 to {MAX_WEEKS} weeks; got {weeks!r}."})
    if start is None:
        today = _today(project)
        start = today - timedelta(days=today.weekday())
    days = _days_from(start, weeks * 7)
    cal = _calendar(project)
    resources = resource_list(user=user, project=project)
    loads = _loads(project, cal, days, resources=resources)
    rows = []
    for r in loads.resources:
        cap, dem = loads.capacity[r.pk], loads.demand[r.pk]
        day_rows = [
            DayLoad(d, round(cap[i], 2), round(dem[i], 2), _overloaded(cap[i], dem[i]))
            for i, d in enumerate(days)
        ]
        week_rows = [
            WeekLoad(
                start=days[w * 7],
                capacity_hours=round(sum(cap[w * 7 : w * 7 + 7]), 2),
                demand_hours=round(sum(dem[w * 7 : w * 7 + 7]), 2),
                overloaded_days=sum(1 for d in day_rows[w * 7 : w * 7 + 7] if d.overloaded),
            )
            for w in range(weeks)
        ]
        rows.append(ResourceLoadRow(r, day_rows, week_rows))
    return ResourceLoad(
        start=start,
        end=days[-1],
        days=days,
        weeks=[days[w * 7] for w in range(weeks)],
        rows=rows,
    )


def overloads(*, project: Project, start: date, end: date) -> list[Overload]:
    """Return every resource-day from `start` to `end` (inclusive) asking more than capacity.

    No access check: for gate criteria, whose caller has checked access.
    """
    if end < start:
        return []
    days = _days_from(start, (end - start).days + 1)
    cal = _calendar(project)
    loads = _loads(project, cal, days, with_askers=True)
    found = []
    for r in loads.resources:
        cap, dem = loads.capacity[r.pk], loads.demand[r.pk]
        for i, d in enumerate(days):
            if _overloaded(cap[i], dem[i]):
                asking = loads.askers.get((r.pk, i), [])
                found.append(
                    Overload(
                        r,
                        d,
                        round(cap[i], 2),
                        round(dem[i], 2),
                        [loads.labels[pk] for pk in asking],
                    )
                )
    return found


def overload_count(
    project: Project, spans: Mapping[int, tuple[int, int]], cal: WorkCalendar
) -> int:
    """Return how many resource-days are overloaded when packages run at `spans` (offsets)."""
    if not spans:
        return 0
    zone = ZoneInfo(cal.time_zone)
    first = min(s for s, _ in spans.values())
    last = max(f for _, f in spans.values())
    lo = timezone.localtime(cal.instant_at(first), zone).date()
    hi = timezone.localtime(cal.instant_at(last, end=True), zone).date()
    loads = _loads(project, cal, _days_from(lo, (hi - lo).days + 1), spans=spans)
    return sum(
        1
        for r in loads.resources
        for c, d in zip(loads.capacity[r.pk], loads.demand[r.pk], strict=True)
        if _overloaded(c, d)
    )


# Warnings and candidates ------------------------------------------------------------------------


@dataclass(frozen=True)
class CriticalShareWarning:
    """A person carrying more than the project's share of the critical path's work."""

    resource: Resource
    share_percent: int
    threshold_percent: int
    packages: list[WorkPackage]


def critical_share_warnings(*, user: Any, project: Project) -> list[CriticalShareWarning]:
    """Return the people carrying more than `critical_share_percent` of the critical path.

    The critical path's work is the working minutes of its unfinished leaf packages; a person
    carries each package's minutes times their units (at most 100 %).
    """
    resource_check(user=user, project=project, action="view")
    threshold = resource_settings_get(user=user, project=project).critical_share_percent
    packages = list(
        WorkPackage.objects.filter(project=project, critical=True, milestone=False).exclude(
            status=Status.DONE
        )
    )
    parents = set(
        WorkPackage.objects.filter(project=project, parent__isnull=False).values_list(
            "parent_id", flat=True
        )
    )
    critical = {wp.pk: wp for wp in packages if wp.pk not in parents and wp.duration > 0}
    total = sum(wp.duration for wp in critical.values())
    if not total:
        return []
    carried: dict[int, float] = {}
    on: dict[int, list[WorkPackage]] = {}
    people: dict[int, Resource] = {}
    for a in Assignment.objects.filter(
        work_package_id__in=list(critical), resource__kind="person"
    ).select_related("resource"):
        wp = critical[a.work_package_id]
        carried[a.resource_id] = carried.get(a.resource_id, 0) + wp.duration * min(a.units, 100)
        on.setdefault(a.resource_id, []).append(wp)
        people[a.resource_id] = a.resource
    warnings = []
    for pk, amount in carried.items():
        share = amount / total  # percent, since units are percent
        if share > threshold:
            warnings.append(
                CriticalShareWarning(
                    people[pk],
                    round(share),
                    threshold,
                    sorted(on[pk], key=lambda wp: (wp.position, wp.pk)),
                )
            )
    warnings.sort(key=lambda w: (-w.share_percent, w.resource.name))
    return warnings


@dataclass(frozen=True)
class Candidate:
    """A resource that could take a package: its level, free hours in the span, cost."""

    resource: Resource
    level: int | None
    free_hours: float
    capacity_hours: float
    demand_hours: float
    cost_rate: Decimal
    assigned: bool


def assignment_candidates(
    *, user: Any, package: WorkPackage, skill: Skill | str | None = None, level: int | None = None
) -> list[Candidate]:
    """Return who could take a package, best first.

    With a skill, only resources holding it at `level` or above qualify. Ranked by free
    capacity over the package's scheduled days (other work counted), then skill level, then
    the lower cost rate, then name.
    """
    project = package.project
    resource_check(user=user, project=project, action="view")
    members = set(Membership.objects.filter(project=project).values_list("user_id", flat=True))
    resources = [
        r
        for r in resource_list(user=user, project=project, active=True)
        if r.capacity_hours > 0 and (r.user_id is None or r.user_id in members)
    ]
    levels: dict[int, int | None] = {r.pk: None for r in resources}
    if skill:
        name = skill.name if isinstance(skill, Skill) else str(skill).strip()
        held = {
            r.pk: next((s.level for s in r.skills.all() if s.skill.name.lower() == name.lower()), 0)
            for r in resources
        }
        resources = [r for r in resources if held[r.pk] >= (level or 1)]
        levels = {r.pk: held[r.pk] for r in resources}
    if not resources:
        return []
    cal = _calendar(project)
    zone = ZoneInfo(project.time_zone)
    if package.early_start and package.early_finish:
        lo = timezone.localtime(package.early_start, zone).date()
        hi = timezone.localtime(package.early_finish, zone).date()
    else:
        lo = hi = _today(project)
    days = _days_from(lo, max(1, (hi - lo).days + 1))
    loads = _loads(project, cal, days, resources=resources, exclude_package=package.pk)
    assigned = set(
        Assignment.objects.filter(work_package=package).values_list("resource_id", flat=True)
    )
    found = []
    for r in resources:
        cap, dem = loads.capacity[r.pk], loads.demand[r.pk]
        free = sum(max(0.0, c - d) for c, d in zip(cap, dem, strict=True))
        found.append(
            Candidate(
                resource=r,
                level=levels[r.pk],
                free_hours=round(free, 2),
                capacity_hours=round(sum(cap), 2),
                demand_hours=round(sum(dem), 2),
                cost_rate=r.cost_rate,
                assigned=r.pk in assigned,
            )
        )
    found.sort(key=lambda c: (-c.free_hours, -(c.level or 0), c.cost_rate, c.resource.name))
    return found


# Procurement alerts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcurementAlert:
    """A delivery that is late or holds up work, and what it does to the finish.

    `state` is "late" (expected date passed, nothing delivered) or "at_risk" (the delivery
    comes after the packages could otherwise start). `delay` is the project finish with the
    delivery's floor minus without it, in working minutes.
    """

    item: ProcurementItem
    state: str
    delivery: date
    needed_by: datetime | None
    packages: list[WorkPackage]
    finish_with: datetime | None
    finish_without: datetime | None
    delay: int

    @property
    def delay_days(self) -> float:
        return round(self.delay / 480, 1)


def procurement_alerts(*, user: Any, project: Project) -> list[ProcurementAlert]:
    """Return the deliveries that are late or at risk, with their schedule impact."""
    resource_check(user=user, project=project, action="view")
    items = [
        item
        for item in procurement_item_list(user=user, project=project)
        if item.actual_delivery is None and item.expected_delivery is not None
    ]
    if not items or not ProjectCalendar.objects.filter(project=project).exists():
        return []
    today = _today(project)
    packages = list(WorkPackage.objects.filter(project=project).order_by("position", "id"))
    floors = start_floors(project, [wp.pk for wp in packages])
    with_all = plan_compute(project, packages, floors=floors)
    cal = with_all.calendar
    # The plan without an item is computed only when its delivery can move something.
    impact = DeliveryImpact(project, packages, floors, with_all)
    alerts = []
    for item in items:
        expected = item.expected_delivery
        assert expected is not None
        needing = list(item.work_packages.all())
        if not needing:
            if expected < today:
                alerts.append(ProcurementAlert(item, "late", expected, None, [], None, None, 0))
            continue
        without = impact.without(item.pk)
        first = min(without.schedule.tasks[str(wp.pk)].early_start for wp in needing)
        needed_by = cal.instant_at(first)
        delivered = delivery_instant(expected, project.time_zone)
        late = expected < today
        holds_up = delivered > needed_by
        if not (late or holds_up):
            continue
        alerts.append(
            ProcurementAlert(
                item=item,
                state="late" if late else "at_risk",
                delivery=expected,
                needed_by=needed_by,
                packages=sorted(needing, key=lambda wp: (wp.position, wp.pk)),
                finish_with=with_all.finish(),
                finish_without=without.finish(),
                delay=with_all.schedule.finish - without.schedule.finish,
            )
        )
    alerts.sort(key=lambda a: (-a.delay, a.delivery, a.item.pk))
    return alerts


__all__ = [
    "Candidate",
    "CriticalShareWarning",
    "DayLoad",
    "Overload",
    "ProcurementAlert",
    "ResourceLoad",
    "ResourceLoadRow",
    "WeekLoad",
    "assignment_candidates",
    "assignment_get",
    "assignment_list",
    "critical_share_warnings",
    "leveling_run_get",
    "leveling_run_list",
    "overload_count",
    "overloads",
    "package_label",
    "procurement_alerts",
    "procurement_item_get",
    "procurement_item_list",
    "resource_get",
    "resource_list",
    "resource_load",
    "resource_settings_get",
    "skill_list",
    "time_off_get",
]
