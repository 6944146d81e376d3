"""Reads on the plan, each with its access check: packages, links, baselines, checkpoints,
blockers, the computed schedule, the forecast and the burn-down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import NotSupportedError, connections
from django.db.models import BigIntegerField, Count, F, Func, Prefetch, Q, QuerySet
from django.utils import timezone

from golive.audit.models import AuditEvent
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
    PlanSnapshot,
    ProjectCalendar,
    Status,
    WorkPackage,
)
from golive.work.planning import calendar_build, network_build, plan_compute, plan_snapshot_get

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


def work_package_get_by_wbs(
    *, user: Any, project: Project, wbs: str, field_name: str
) -> WorkPackage:
    """Return the package with outline number `wbs`, or a ValidationError on `field_name`."""
    work_check(user=user, project=project, action="view")
    code = (wbs or "").strip()
    wp = WorkPackage.objects.filter(project=project, wbs=code).first() if code else None
    if wp is None:
        raise ValidationError({field_name: f"{project.key} has no work package “{code}”."})
    return wp


def work_package_movable_get(*, user: Any, project: Project, package_id: int) -> WorkPackage:
    """Return a package whose start may be set by hand: a leaf that has not started yet."""
    work_check(user=user, project=project, action="view")
    package = WorkPackage.objects.filter(project=project, pk=package_id).first()
    if package is None:
        raise NotFound(f"{project.key} has no work package {package_id}.")
    if WorkPackage.objects.filter(parent_id=package.pk).exists():
        raise ValidationError(
            f"{package.wbs} {package.name} is a summary; its dates follow its sub-packages."
        )
    if package.status != Status.NOT_STARTED:
        raise ValidationError(
            f"{package.wbs} {package.name} has started; its start is what happened."
        )
    return package


@dataclass
class Outline:
    """Every package id of a project in outline order, with parents and which are summaries."""

    order: list[int]
    parent: dict[int, int | None]
    summaries: set[int] = field(default_factory=set)

    def hidden_under(self, collapsed: set[int]) -> set[int]:
        """Return the ids below a collapsed summary."""
        hidden: set[int] = set()
        for pk in self.order:
            parent = self.parent[pk]
            if parent is not None and (parent in collapsed or parent in hidden):
                hidden.add(pk)
        return hidden


def outline_get(*, user: Any, project: Project) -> Outline:
    """Return the project's outline from one narrow query (ids and parents only)."""
    work_check(user=user, project=project, action="view")
    rows = list(
        WorkPackage.objects.filter(project=project)
        .order_by("position", "id")
        .values_list("id", "parent_id")
    )
    children: dict[int | None, list[int]] = {}
    for pk, parent in rows:
        children.setdefault(parent, []).append(pk)
    order: list[int] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        pk = stack.pop()
        order.append(pk)
        stack.extend(reversed(children.get(pk, [])))
    return Outline(
        order=order,
        parent=dict(rows),
        summaries={pk for pk in children if pk is not None},
    )


PACKAGE_SORTS = {
    "wbs": None,
    "start": "early_start",
    "finish": "early_finish",
    "float": "total_float",
}


@dataclass
class PackageFilter:
    """What the WBS table shows: filters, sort order (a PACKAGE_SORTS key) and collapsed ids."""

    status: str = ""
    owner: str = ""
    critical: bool = False
    q: str = ""
    sort: str = "wbs"
    collapsed: set[int] = field(default_factory=set)

    @property
    def active(self) -> bool:
        return bool(self.status or self.owner or self.critical or self.q)


@dataclass
class PackagePage:
    """One page of packages, with the total the filter matches."""

    rows: list[WorkPackage]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        end = self.offset + len(self.rows)
        return end if end < self.total else None


def work_package_page(
    *, user: Any, project: Project, flt: PackageFilter, offset: int = 0, limit: int = 100
) -> PackagePage:
    """Return one page of packages in outline (or `flt.sort`) order, with row annotations.

    In outline order the packages under a collapsed summary are left out. Each row gets what
    `work_package_rows_annotate` gives it.
    """
    outline = outline_get(user=user, project=project)
    packages = WorkPackage.objects.filter(project=project)
    if flt.status:
        packages = packages.filter(status=flt.status)
    if flt.owner:
        packages = packages.filter(owner__username=flt.owner)
    if flt.critical:
        packages = packages.filter(critical=True)
    if flt.q:
        packages = packages.filter(Q(name__icontains=flt.q) | Q(wbs__startswith=flt.q))
    column = PACKAGE_SORTS.get(flt.sort)
    if column is None:
        hidden = outline.hidden_under(flt.collapsed)
        order = [pk for pk in outline.order if pk not in hidden]
        if flt.active:
            wanted = set(packages.values_list("id", flat=True))
            order = [pk for pk in order if pk in wanted]
        ids = order[offset : offset + limit]
        by_id = {wp.pk: wp for wp in packages.filter(pk__in=ids).select_related("owner")}
        rows = [by_id[pk] for pk in ids if pk in by_id]
        total = len(order)
    else:
        rows = list(
            packages.select_related("owner").order_by(
                F(column).asc(nulls_last=True), "position", "id"
            )[offset : offset + limit]
        )
        total = packages.count()
    work_package_rows_annotate(rows, outline=outline)
    return PackagePage(rows=rows, total=total, offset=offset, limit=limit)


def work_package_rows_annotate(rows: list[WorkPackage], *, outline: Outline | None = None) -> None:
    """Give each row its level, summary flag, predecessor links and open blocker count.

    The caller has checked access to the rows' project.
    """
    ids = [wp.pk for wp in rows]
    links: dict[int, list[Dependency]] = {}
    for link in (
        Dependency.objects.filter(successor_id__in=ids)
        .select_related("predecessor")
        .order_by("predecessor__position", "id")
    ):
        links.setdefault(link.successor_id, []).append(link)
    blocked = dict(
        Blocker.objects.filter(work_package_id__in=ids, resolved_at__isnull=True)
        .values("work_package_id")
        .annotate(n=Count("id"))
        .values_list("work_package_id", "n")
    )
    if outline is None:
        summaries = set(
            WorkPackage.objects.filter(parent_id__in=ids).values_list("parent_id", flat=True)
        )
    else:
        summaries = outline.summaries
    for wp in rows:
        wp.level = wp.wbs.count(".") + 1 if wp.wbs else 1
        wp.indent = wp.level - 1
        wp.is_summary = wp.pk in summaries
        wp.predecessors = links.get(wp.pk, [])
        wp.open_blockers = blocked.get(wp.pk, 0)


def work_package_row_get(*, user: Any, project: Project, package_id: int) -> WorkPackage:
    """Return one work package of `project` with its row annotations."""
    wp = work_package_get(user=user, project=project, package_id=package_id)
    work_package_rows_annotate([wp])
    return wp


def board_get(
    *, user: Any, project: Project, owner: str = "", per_column: int = 100
) -> dict[str, Any]:
    """Return the leaf packages by status (at most `per_column` each, by finish) and counts.

    Each card has `is_blocked` (an open blocker on it).
    """
    work_check(user=user, project=project, action="view")
    leaves = WorkPackage.objects.filter(project=project, children__isnull=True)
    if owner:
        leaves = leaves.filter(owner__username=owner)
    counts = dict(leaves.values("status").annotate(n=Count("id")).values_list("status", "n"))
    columns = {}
    cards: list[WorkPackage] = []
    for status in (Status.NOT_STARTED, Status.IN_PROGRESS, Status.DONE):
        column = list(
            leaves.filter(status=status)
            .select_related("owner")
            .order_by(F("early_finish").asc(nulls_last=True), "id")[:per_column]
        )
        columns[str(status)] = column
        cards.extend(column)
    blocked = set(
        Blocker.objects.filter(
            work_package_id__in=[c.pk for c in cards], resolved_at__isnull=True
        ).values_list("work_package_id", flat=True)
    )
    for card in cards:
        card.is_blocked = card.pk in blocked
    return {"columns": columns, "counts": counts}


@dataclass(frozen=True)
class GanttData:
    """What the Gantt chart draws: package rows in position order, links, baseline dates.

    `start`, `finish` (one per package row) and the baseline dates are milliseconds of the
    project's wall clock, as if that wall clock were UTC (see golive/web/views/gantt.py), or
    None. In the package rows themselves the two dates are milliseconds since the epoch, UTC.
    """

    packages: list[tuple[Any, ...]]  # GANTT_FIELDS, as the database driver gives them
    start: list[int | None]
    finish: list[int | None]
    links: list[tuple[int, int, str, int]]  # predecessor id, successor id, type, lag
    planned: dict[int, tuple[int | None, int | None]]  # baseline start, finish


GANTT_FIELDS = (
    "id",
    "wbs",
    "name",
    "parent_id",
    "milestone",
    "early_start",
    "early_finish",
    "total_float",
    "critical",
    "percent_complete",
    "status",
    "version",
)
_DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class EpochMilliseconds(Func):
    """A datetime column as whole milliseconds since 1970-01-01 UTC (NULL stays NULL).

    Computed by the database, so reading thousands of dates builds no datetime objects.
    """

    output_field = BigIntegerField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        raise NotSupportedError(f"EpochMilliseconds is not written for {connection.vendor}")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC; the milliseconds are truncated.
        template = (
            "(CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER) * 1000"
            " + CAST(substr(%(expressions)s || '.000', 21, 3) AS INTEGER))"
        )
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s) * 1000)::bigint"
        return super().as_sql(compiler, connection, template=template, **extra)


def wall_clock_ms(values: list[int | None], zone: ZoneInfo) -> list[int | None]:
    """Turn milliseconds since the epoch (UTC) into milliseconds of `zone`'s wall clock.

    The result reads as if that wall clock were UTC. The zone's offset is looked up at the start
    of each distinct day and of the day after; a value on a day whose offset changes by its end
    (a clock change) is converted by itself.
    """
    if not values:
        return []
    missing = [v is None for v in values]
    utc = np.array([0 if v is None else v for v in values], dtype=np.int64)
    days, inverse = np.unique(utc // _DAY_MS, return_inverse=True)
    at = _day_offsets(zone, np.union1d(days, days + 1).tolist())
    first = np.array([at[d] for d in days.tolist()], dtype=np.int64)
    after = np.array([at[d + 1] for d in days.tolist()], dtype=np.int64)
    offset = first[inverse]
    for day in np.flatnonzero(first != after):
        for i in np.flatnonzero(inverse == day):
            offset[i] = _offset_ms(zone, int(utc[i]))
    wall = (utc + offset).tolist()
    if any(missing):
        return [None if gone else value for value, gone in zip(wall, missing, strict=True)]
    return wall


# Offsets at the start of each UTC day, per zone. They follow from the time zone rules alone,
# never from stored data, so keeping them for the process's life serves nothing stale.
_DAY_OFFSETS: dict[str, dict[int, int]] = {}
_DAY_OFFSETS_LIMIT = 1_000_000


def _day_offsets(zone: ZoneInfo, days: list[int]) -> dict[int, int]:
    """Return `zone`'s UTC offset (milliseconds) at the start of each of the UTC days."""
    known = _DAY_OFFSETS.setdefault(zone.key, {})
    for day in days:
        if day not in known:
            known[day] = _offset_ms(zone, day * _DAY_MS)
    if len(known) > _DAY_OFFSETS_LIMIT:
        _DAY_OFFSETS[zone.key] = {}
    return known


def _offset_ms(zone: ZoneInfo, utc_ms: int) -> int:
    """Return `zone`'s UTC offset at an instant, in milliseconds."""
    offset = (_EPOCH + timedelta(milliseconds=utc_ms)).astimezone(zone).utcoffset()
    return offset // timedelta(milliseconds=1) if offset is not None else 0


def _raw_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """Return a values_list queryset's rows as the database driver gives them.

    Skips Django's per-row converters (booleans come as 0 and 1 on SQLite), which cost more
    than the query itself on a plan of thousands of packages.
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def gantt_get(*, user: Any, project: Project, baseline: Baseline | None = None) -> GanttData:
    """Return the chart's packages (narrow rows), links and baseline dates in two or three queries."""
    work_check(user=user, project=project, action="view")
    zone = ZoneInfo(project.time_zone)
    rows = _raw_rows(
        WorkPackage.objects.filter(project=project)
        .order_by("position", "id")
        .values_list(
            *(
                EpochMilliseconds(name) if name in ("early_start", "early_finish") else name
                for name in GANTT_FIELDS
            )
        )
    )
    count = len(rows)
    dates = wall_clock_ms([r[5] for r in rows] + [r[6] for r in rows], zone)
    planned: dict[int, tuple[int | None, int | None]] = {}
    if baseline is not None:
        entries = _raw_rows(
            BaselineEntry.objects.filter(baseline=baseline, work_package__isnull=False).values_list(
                "work_package_id", EpochMilliseconds("start"), EpochMilliseconds("finish")
            )
        )
        size = len(entries)
        kept = wall_clock_ms([e[1] for e in entries] + [e[2] for e in entries], zone)
        planned = {e[0]: (kept[i], kept[size + i]) for i, e in enumerate(entries)}
    links = _raw_rows(
        Dependency.objects.filter(project=project)
        .order_by("id")
        .values_list("predecessor_id", "successor_id", "type", "lag")
    )
    return GanttData(
        packages=rows, start=dates[:count], finish=dates[count:], links=links, planned=planned
    )


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
    """Return a project's baselines, newest first, each with its `entry_count`."""
    work_check(user=user, project=project, action="view")
    return (
        Baseline.objects.filter(project=project)
        .select_related("created_by")
        .annotate(entry_count=Count("entries"))
    )


def baseline_get(
    *, user: Any, project: Project, baseline_id: int, with_entries: bool = False
) -> Baseline:
    """Return one baseline of `project` (with its entries prefetched when `with_entries`)."""
    baselines = baseline_list(user=user, project=project)
    if with_entries:
        baselines = baselines.prefetch_related(
            Prefetch("entries", queryset=BaselineEntry.objects.order_by("id"))
        )
    baseline = baselines.filter(pk=baseline_id).first()
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

    @property
    def differs(self) -> bool:
        """Whether the package was added, removed, or moved or changed length."""
        return self.status != "changed" or bool(
            self.start_variance.minutes or self.finish_variance.minutes or self.duration_variance
        )


@dataclass(frozen=True)
class BaselineComparison:
    """The current plan against a baseline: per package and for the project finish."""

    baseline: Baseline
    baseline_finish: datetime | None
    finish: datetime | None
    finish_variance: Variance
    packages: list[PackageVariance]

    @property
    def changed(self) -> int:
        """Return how many packages differ from the baseline."""
        return sum(1 for row in self.packages if row.differs)


def _variance(cal: WorkCalendar, zone: ZoneInfo, old: datetime | None, new: datetime | None):
    if old is None or new is None:
        return Variance(None, None)
    days = (new.astimezone(zone).date() - old.astimezone(zone).date()).days
    return Variance(cal.working_minutes_between(old, new), days)


def _span(cal: WorkCalendar, wp: WorkPackage) -> int:
    """Return a package's scheduled working minutes, measured as a baseline measures them."""
    if wp.early_start is None or wp.early_finish is None:
        return wp.duration
    return cal.working_minutes_between(wp.early_start, wp.early_finish)


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
        span = _span(cal, wp) if wp else None
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
                duration=span,
                start_variance=_variance(cal, zone, entry.start, wp.early_start if wp else None),
                finish_variance=_variance(cal, zone, entry.finish, wp.early_finish if wp else None),
                duration_variance=span - entry.duration if span is not None else None,
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
                duration=_span(cal, wp),
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
    *, user: Any, project: Project, action_id: int, checkpoint_id: int | None = None
) -> CheckpointAction:
    """Return one action of a checkpoint of `project` (of checkpoint `checkpoint_id` if given)."""
    work_check(user=user, project=project, action="view")
    actions = CheckpointAction.objects.filter(pk=action_id, checkpoint__project=project)
    if checkpoint_id is not None:
        actions = actions.filter(checkpoint_id=checkpoint_id)
    action = actions.select_related("owner", "checkpoint").first()
    if action is None:
        where = f" at checkpoint {checkpoint_id}" if checkpoint_id is not None else ""
        raise NotFound(f"{project.key} has no action {action_id}{where}.")
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


def blocker_overview(
    *, user: Any, project: Project, resolved: bool = False, resolved_limit: int = 20
) -> list[Blocker]:
    """Return the open blockers, oldest first (or the latest resolved ones, newest first).

    Each has its `current_owner` (the owner of its escalation level, the package owner before
    the first escalation) and its `age` (see `blocker_age`).
    """
    blockers = blocker_list(user=user, project=project, open_only=not resolved)
    blockers = blockers.select_related("work_package__owner")
    if resolved:
        rows = list(
            blockers.filter(resolved_at__isnull=False).order_by("-resolved_at")[:resolved_limit]
        )
    else:
        rows = list(blockers.order_by("raised_at", "id"))
    levels = {level.level: level for level in escalation_path(user=user, project=project)}
    now = timezone.now()
    for blocker in rows:
        level = levels.get(blocker.level)
        blocker.current_owner = level.owner if level else blocker.work_package.owner
        blocker.age = blocker_age(blocker, now=now)
    return rows


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


@dataclass
class PlanSummary:
    """The dashboard's view of the plan: finish against the planned go-live, critical path."""

    packages: int
    finish: datetime | None = None
    go_live_variance_days: int | None = None
    critical_path: list[WorkPackage] = field(default_factory=list)
    path_length: int = 0
    open_blockers: int = 0
    error: str = ""


def plan_summary(*, user: Any, project: Project, path_limit: int = 8) -> PlanSummary:
    """Return the schedule's finish against the planned go-live, the critical path, blockers.

    `critical_path` holds the first `path_limit` packages of the path, `path_length` all of them;
    `error` says why a plan that cannot be scheduled has no finish.
    """
    work_check(user=user, project=project, action="view")
    count = WorkPackage.objects.filter(project=project).count()
    summary = PlanSummary(
        packages=count,
        open_blockers=Blocker.objects.filter(
            work_package__project=project, resolved_at__isnull=True
        ).count(),
    )
    if not count or not ProjectCalendar.objects.filter(project=project).exists():
        return summary
    # What the last change computed (recomputed only when the status date has moved on).
    snapshot = plan_snapshot_get(project)
    if snapshot.error:
        summary.error = snapshot.error
        return summary
    summary.finish = snapshot.finish
    path = [int(pk) for pk in snapshot.critical_path]
    shown = WorkPackage.objects.in_bulk(path[:path_limit])
    summary.critical_path = [shown[pk] for pk in path[:path_limit] if pk in shown]
    summary.path_length = len(path)
    if summary.finish and project.planned_go_live:
        finish_day = timezone.localtime(summary.finish, ZoneInfo(project.time_zone)).date()
        summary.go_live_variance_days = (finish_day - project.planned_go_live).days
    return summary


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
    their fixed duration. Recorded progress is kept and, once work has begun, nothing still to do
    starts before now (the status date), as in the schedule. The same seed gives the same forecast
    for the same plan at the same moment.
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
    # The status date as in plan_compute: once work has begun, nothing left starts in the past.
    started = any(wp.actual_start for wp in packages)
    status_date = cal.offset_of(timezone.now()) if started else None
    try:
        network = network_build(packages, links, cal)
        result = forecast(
            network, estimates, iterations=iterations, seed=seed, status_date=status_date
        )
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


DASHBOARD_FORECAST_ITERATIONS = 500
DASHBOARD_FORECAST_SEED = 1


def plan_forecast_cached(
    *,
    user: Any,
    project: Project,
    iterations: int = DASHBOARD_FORECAST_ITERATIONS,
    seed: int = DASHBOARD_FORECAST_SEED,
) -> PlanForecast | None:
    """Return `plan_forecast` for the plan as it is now, simulating only after it changed.

    Every plan change writes an audit event, so the project's latest audit sequence number
    identifies the plan's state: the result is cached under it for the current day (the fixed seed
    gives the same draws; the status date, which holds back unstarted work, moves on each day). A
    plan that cannot be simulated gives None.
    """
    work_check(user=user, project=project, action="view")
    seq = (
        AuditEvent.objects.filter(project=project)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    day = timezone.now().date().isoformat()
    key = (
        f"work:forecast:{project.pk}:{project.created_at.timestamp()}:{seq}:{day}:"
        f"{iterations}:{seed}"
    )
    cached = cache.get(key)
    if cached is not None:
        return cached[0]
    try:
        result: PlanForecast | None = plan_forecast(
            user=user, project=project, iterations=iterations, seed=seed
        )
    except ValidationError:
        result = None
    cache.set(key, (result,), timeout=24 * 3600)
    return result


@dataclass(frozen=True)
class ForecastFinish:
    """The dashboard's forecast: the project finish percentiles of a seeded simulation."""

    iterations: int
    seed: int
    finish: DatePercentiles | None


def plan_forecast_finish(
    *,
    user: Any,
    project: Project,
    iterations: int = DASHBOARD_FORECAST_ITERATIONS,
    seed: int = DASHBOARD_FORECAST_SEED,
) -> ForecastFinish | None:
    """Return the project finish of `plan_forecast` for the plan as it is now.

    The simulation runs once per plan version and day: its result is kept on the plan snapshot,
    whose version every reschedule bumps (and which drops the forecast then), for the current
    day (the fixed seed gives the same draws; the status date, which holds back unstarted work,
    moves on each day). A plan that cannot be simulated gives None.
    """
    work_check(user=user, project=project, action="view")
    if not ProjectCalendar.objects.filter(project=project).exists():
        return None
    snapshot = plan_snapshot_get(project)
    key = {
        "version": snapshot.version,
        "day": timezone.now().date().isoformat(),
        "iterations": iterations,
        "seed": seed,
    }
    stored = snapshot.forecast or {}
    if {name: stored.get(name) for name in key} != key:
        try:
            result = plan_forecast(user=user, project=project, iterations=iterations, seed=seed)
        except ValidationError:
            result = None
        finish = result.finish if result is not None else None
        stored = {
            **key,
            "failed": result is None,
            "finish": [d.isoformat() for d in (finish.p50, finish.p80, finish.p95)]
            if finish
            else None,
        }
        if snapshot.pk is not None:
            # Only onto the version simulated: a change stored meanwhile keeps its own.
            PlanSnapshot.objects.filter(pk=snapshot.pk, version=snapshot.version).update(
                forecast=stored
            )
    if stored["failed"]:
        return None
    dates = stored["finish"]
    return ForecastFinish(
        iterations=iterations,
        seed=seed,
        finish=DatePercentiles(*(datetime.fromisoformat(d) for d in dates)) if dates else None,
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


# Reads for gate criteria. A criterion is evaluated for a project, not for a person: whoever asks
# for the evaluation has been authorized to see the gate (gate_evaluate's contract), so these
# read without an access check of their own.


class _CriterionReader(AnonymousUser):
    """The gate evaluation reading the plan: it sees what a project manager sees."""

    username = "gate-evaluation"
    is_active = True
    is_superuser = True

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True


def milestone_candidates(*, project: Project, text: str) -> list[WorkPackage]:
    """Return the packages `text` names: the one with that WBS code, else those with that name.

    No access check: for gate criteria, whose caller has checked access.
    """
    code = (text or "").strip()
    if not code:
        return []
    packages = WorkPackage.objects.filter(project=project).order_by("position", "id")
    by_wbs = list(packages.filter(wbs=code)[:1])
    return by_wbs or list(packages.filter(name__iexact=code))


def milestone_forecast(
    *, project: Project, milestone: WorkPackage, iterations: int, seed: int | None
) -> DatePercentiles | None:
    """Return the forecast finish percentiles of `milestone`, or None when it is not forecast.

    The forecast is `plan_forecast` (cached per plan state when seeded, as the dashboard's is).
    A milestone is dated where its predecessors finish (Friday 17:00, not Monday 08:00), as the
    schedule dates it. A plan that cannot be simulated raises the forecast's ValidationError.
    No access check: for gate criteria, whose caller has checked access.
    """
    reader = _CriterionReader()
    result = None
    if seed is not None:
        result = plan_forecast_cached(
            user=reader, project=project, iterations=iterations, seed=seed
        )
    if result is None:  # not seeded, or the plan cannot be simulated: let it say why
        result = plan_forecast(user=reader, project=project, iterations=iterations, seed=seed)
    found = next((p for wp, p in result.milestones if wp.pk == milestone.pk), None)
    if found is None:
        return None
    cal = calendar_build(ProjectCalendar.objects.select_related("project").get(project=project))

    def at_end(instant: datetime) -> datetime:
        offset = cal.offset_of(instant)
        return cal.instant_at(offset, end=True) if offset > 0 else instant

    return DatePercentiles(at_end(found.p50), at_end(found.p80), at_end(found.p95))


def open_blockers_oldest_first(*, project: Project, now: datetime | None = None) -> list[Blocker]:
    """Return a project's open blockers, oldest first, each with its package and `age`.

    No access check: for gate criteria, whose caller has checked access.
    """
    now = now or timezone.now()
    blockers = list(
        Blocker.objects.filter(work_package__project=project, resolved_at__isnull=True)
        .select_related("work_package")
        .order_by("raised_at", "id")
    )
    for blocker in blockers:
        blocker.age = blocker_age(blocker, now=now)
    return blockers


def baselines_newest_first(*, project: Project) -> list[Baseline]:
    """Return a project's baselines, newest first (without their entries).

    No access check: for gate criteria, whose caller has checked access.
    """
    return list(Baseline.objects.filter(project=project).order_by("-created_at", "-id"))
