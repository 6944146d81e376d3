"""The bridge between the plan's models and golive.scheduling (the only Django-aware part)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Field
from django.utils import timezone

from golive.projects.models import Project
from golive.scheduling.calendar import CalendarError, WorkCalendar, WorkingPeriod
from golive.scheduling.cpm import Schedule, schedule
from golive.scheduling.errors import ConstraintError, SchedulingError
from golive.scheduling.network import (
    Constraint,
    ConstraintKind,
    DependencyType,
    Network,
    Task,
)
from golive.scheduling.network import (
    Dependency as NetDependency,
)
from golive.work.models import Dependency, PlanSnapshot, ProjectCalendar, WorkPackage

SCHEDULE_FIELDS = [
    "early_start",
    "early_finish",
    "late_start",
    "late_finish",
    "total_float",
    "free_float",
    "critical",
]


def calendar_build(calendar: ProjectCalendar) -> WorkCalendar:
    """Return the library calendar for a project calendar, its origin at the schedule start."""
    zone = calendar.project.time_zone
    try:
        week = {
            int(day): [WorkingPeriod.parse(f"{start}-{end}") for start, end in periods]
            for day, periods in calendar.week.items()
        }
        stored = calendar.exceptions.all() if calendar.pk is not None else []
        exceptions = {
            exc.date: [WorkingPeriod.parse(f"{start}-{end}") for start, end in exc.periods]
            for exc in stored
        }
        origin = datetime.combine(calendar.schedule_start, time(0, 0), tzinfo=ZoneInfo(zone))
        return WorkCalendar(zone, week, exceptions, origin=origin)
    except (CalendarError, ValueError, TypeError) as exc:
        message = _calendar_message(str(exc))
        raise ValidationError({"calendar": f"The project calendar is invalid: {message}"}) from None


# The library speaks to programmers (END_OF_DAY, WorkingPeriod); the page speaks to planners.
_CALENDAR_WORDING = (
    (
        "(a period ending at midnight ends at END_OF_DAY, 24:00)",
        "(write a period that ends at midnight as ending at 24:00)",
    ),
    ("(write 24:00 as END_OF_DAY)", "(write midnight at the end of a day as 24:00)"),
    ("END_OF_DAY", "24:00"),
    ("a sequence of WorkingPeriod", "a list of working periods such as 08:00-12:00"),
    ("WorkingPeriod", "working period"),
    ("datetime.time", "time"),
    ("datetime.date", "date"),
)


def _calendar_message(message: str) -> str:
    """Return a calendar error in the planner's words, without the library's internal names."""
    for internal, plain in _CALENDAR_WORDING:
        message = message.replace(internal, plain)
    return message


@dataclass(frozen=True)
class PlanResult:
    """A computed schedule and the calendar that turns its offsets into dates."""

    schedule: Schedule
    calendar: WorkCalendar
    packages: dict[int, WorkPackage]
    # The status date the schedule held unstarted work back to (None before work begins).
    status_date: int | None = None

    def finish(self) -> datetime | None:
        if not self.packages:
            return None
        return self.calendar.instant_at(self.schedule.finish, end=True)


@dataclass(frozen=True)
class StartFloor:
    """A time a package cannot start before, and what imposes it (shown when it conflicts)."""

    start: datetime
    source: str
    key: tuple[str, int] | None = None


FloorProvider = Callable[[Project, list[int]], Mapping[int, "datetime | StartFloor"]]
_FLOOR_PROVIDERS: list[tuple[FloorProvider, str]] = []


def start_floor_provider(fn: FloorProvider, *, source: str = "") -> FloorProvider:
    """Register `fn(project, package_ids) -> {package_id: datetime or StartFloor}`.

    Every schedule of the plan then keeps each package from starting before the latest floor
    any provider gives it. `source` says what a bare datetime stands for ("a delivery").
    """
    label = source or fn.__name__.replace("_", " ")
    if all(existing is not fn for existing, _ in _FLOOR_PROVIDERS):
        _FLOOR_PROVIDERS.append((fn, label))
    return fn


def start_floors(project: Project, package_ids: list[int]) -> dict[int, list[StartFloor]]:
    """Return every registered provider's floors for the packages, per package id."""
    floors: dict[int, list[StartFloor]] = {}
    if not package_ids:
        return floors
    for provider, label in _FLOOR_PROVIDERS:
        for pk, value in provider(project, package_ids).items():
            floor = value if isinstance(value, StartFloor) else StartFloor(value, label)
            floors.setdefault(pk, []).append(floor)
    return floors


def _floors_by_package(
    packages: list[WorkPackage], floors: Mapping[int, Iterable[StartFloor]]
) -> dict[int, StartFloor]:
    """Return the latest floor of each leaf package; a summary's floors hold for its leaves."""
    parent = {wp.pk: wp.parent_id for wp in packages}
    summaries = set(parent.values())
    latest: dict[int, StartFloor] = {}
    for wp in packages:
        if wp.pk in summaries:
            continue
        node: int | None = wp.pk
        while node is not None:
            for floor in floors.get(node, ()):
                if wp.pk not in latest or floor.start > latest[wp.pk].start:
                    latest[wp.pk] = floor
            node = parent.get(node)
    return latest


def _with_floor(
    wp: WorkPackage, constraint: Constraint | None, floor: StartFloor, cal: WorkCalendar
) -> Constraint | None:
    """Combine a package's own constraint with a start floor (the later start wins)."""
    offset = cal.offset_of(floor.start)
    if constraint is None or constraint.kind is ConstraintKind.SNET:
        if constraint is not None and constraint.offset >= offset:
            return constraint
        return Constraint(ConstraintKind.SNET, offset)
    if constraint.kind is ConstraintKind.MSO:
        if constraint.offset >= offset:
            return constraint
        raise ValidationError(
            {
                "schedule": f"{wp.wbs} {wp.name} must start on {_when(cal, constraint.offset)} "
                f"but cannot start before {_when(cal, offset)} ({floor.source})."
            }
        )
    # A task carries one constraint: the floor is kept and the deadline is checked directly.
    duration = 0 if wp.milestone else wp.duration
    if offset + duration > constraint.offset:
        raise ValidationError(
            {
                "schedule": f"{wp.wbs} {wp.name} must finish by "
                f"{_when(cal, constraint.offset, end=True)} but cannot start before "
                f"{_when(cal, offset)} ({floor.source})."
            }
        )
    return Constraint(ConstraintKind.SNET, offset)


def _when(cal: WorkCalendar, offset: int, *, end: bool = False) -> str:
    return cal.instant_at(offset, end=end).strftime("%Y-%m-%d %H:%M")


def network_build(
    packages: list[WorkPackage],
    dependencies: list[Dependency],
    cal: WorkCalendar,
    *,
    floors: Mapping[int, Iterable[StartFloor]] | None = None,
) -> Network:
    """Return the network of a project's packages (ids are the packages' primary keys).

    The start floors (by default those of the registered providers) become start-no-earlier-than
    constraints of the packages that have not started; a must-start-on before a floor, or a
    finish-no-later-than the floor makes impossible, is refused naming the package and the floor.
    """
    if floors is None:
        floors = start_floors(packages[0].project, [wp.pk for wp in packages]) if packages else {}
    latest = _floors_by_package(packages, floors) if floors else {}
    tasks = []
    for wp in packages:
        constraint = None
        if wp.constraint_kind and wp.constraint_date:
            constraint = Constraint(
                ConstraintKind[wp.constraint_kind.upper()], cal.offset_of(wp.constraint_date)
            )
        floor = latest.get(wp.pk)
        if floor is not None and wp.actual_start is None:
            constraint = _with_floor(wp, constraint, floor, cal)
        actual_start = cal.offset_of(wp.actual_start) if wp.actual_start else None
        actual_finish = cal.offset_of(wp.actual_finish) if wp.actual_finish else None
        if actual_start is not None and actual_finish is not None:
            actual_finish = max(actual_finish, actual_start)
        tasks.append(
            Task(
                id=str(wp.pk),
                duration=0 if wp.milestone else wp.duration,
                milestone=wp.milestone,
                parent=str(wp.parent_id) if wp.parent_id else None,
                constraint=constraint,
                actual_start=actual_start,
                actual_finish=actual_finish,
                remaining=wp.remaining if actual_finish is None else None,
                name=wp.name,
            )
        )
    links = [
        NetDependency(str(d.predecessor_id), str(d.successor_id), DependencyType[d.type], d.lag)
        for d in dependencies
    ]
    return Network(tasks, links)


def plan_compute(
    project: Project,
    packages: list[WorkPackage] | None = None,
    *,
    floors: Mapping[int, Iterable[StartFloor]] | None = None,
) -> PlanResult:
    """Schedule a project's plan as it is stored; refuse cycles and impossible constraints.

    `floors` replaces the registered providers' start floors (to see the plan without one).
    """
    # A project whose plan was never changed has no stored calendar yet: use the standard one.
    calendar = ProjectCalendar.objects.select_related("project").filter(project=project).first()
    if calendar is None:
        calendar = ProjectCalendar(project=project, schedule_start=project.created_at.date())
    cal = calendar_build(calendar)
    if packages is None:
        packages = list(WorkPackage.objects.filter(project=project).order_by("position", "id"))
    dependencies = list(Dependency.objects.filter(project=project).order_by("id"))
    by_id = {wp.pk: wp for wp in packages}
    # Once work has begun, nothing still to do can be planned in the past.
    started = any(wp.actual_start for wp in packages)
    status_date = cal.offset_of(timezone.now()) if started else None
    if floors is None:
        floors = start_floors(project, list(by_id))
    try:
        network = network_build(packages, dependencies, cal, floors=floors)
        result = schedule(network, status_date=status_date)
    except SchedulingError as exc:
        raise ValidationError({"schedule": _named(exc, by_id, cal, project.time_zone)}) from None
    return PlanResult(result, cal, by_id, status_date)


# The offsets in a ConstraintError's detail, after the phrase saying whether each is a start.
_OFFSET_AFTER = re.compile(
    r"\b(?P<phrase>must start on|cannot start before|must finish no later than|"
    r"cannot finish before|must finish by|must finish on)\s+(?P<offset>-?\d+)\b"
)


def _named(
    exc: SchedulingError, by_id: dict[int, WorkPackage], cal: WorkCalendar, zone: str
) -> str:
    """Return a library error for people: packages by WBS code and name, offsets as dates.

    A ConstraintError names its package and gives working-minute offsets in its detail: each
    becomes the date and time it stands for in the project's time zone. Other errors name their
    packages by id; only those ids (every number when the error lists none) are replaced.
    """

    def package(task_id: str) -> str:
        wp = by_id.get(int(task_id)) if task_id.isdigit() else None
        return f"{wp.wbs} {wp.name}".strip() if wp else task_id

    if isinstance(exc, ConstraintError):
        return f"{package(exc.task_id)} {_dated(exc.detail, cal, zone)}"
    ids = {str(task_id) for task_id in getattr(exc, "task_ids", ())}

    def name(match: re.Match[str]) -> str:
        text = match.group(0)
        return package(text) if not ids or text in ids else text

    return re.sub(r"\b\d+\b", name, str(exc))


def _dated(detail: str, cal: WorkCalendar, zone: str) -> str:
    """Replace the offsets in a constraint error's detail by dates ("Fri 2026-12-04 17:00")."""
    tz = ZoneInfo(zone)

    def date_of(match: re.Match[str]) -> str:
        phrase = match.group("phrase")
        try:
            # A finish at a period boundary is the close of the day before (Friday 17:00).
            when = cal.instant_at(int(match.group("offset")), end="finish" in phrase)
        except CalendarError:
            return match.group(0)
        return f"{phrase} {when.astimezone(tz):%a %Y-%m-%d %H:%M}"

    return _OFFSET_AFTER.sub(date_of, detail)


def plan_apply(result: PlanResult) -> int:
    """Store the computed dates on the packages whose schedule changed; return how many."""
    instants: dict[tuple[int, bool], datetime] = {}

    def instant(offset: int, end: bool) -> datetime:
        # Many packages share dates; each distinct instant is computed once.
        key = (offset, end)
        found = instants.get(key)
        if found is None:
            found = instants[key] = result.calendar.instant_at(offset, end=end)
        return found

    planned: dict[int, dict[str, Any]] = {}
    for task_id, row in result.schedule.tasks.items():
        wp = result.packages[int(task_id)]
        # A milestone happens when its predecessors finish (Friday 17:00, not Monday 08:00);
        # only a milestone at the very start sits at the first working instant.
        at_end = wp.milestone
        values = {
            "early_start": instant(row.early_start, at_end and row.early_start > 0),
            "early_finish": instant(row.early_finish, row.early_finish > 0),
            "late_start": instant(row.late_start, at_end and row.late_start > 0),
            "late_finish": instant(row.late_finish, row.late_finish > 0),
            "total_float": row.total_float,
            "free_float": row.free_float,
            "critical": row.critical,
        }
        # What already happened is shown as it happened, not snapped to working time.
        if wp.actual_start:
            values["early_start"] = values["late_start"] = wp.actual_start
        if wp.actual_finish:
            values["early_finish"] = values["late_finish"] = wp.actual_finish
        planned[wp.pk] = values
    _roll_up(result.packages, planned)
    changed = []
    for pk, values in planned.items():
        wp = result.packages[pk]
        if any(getattr(wp, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(wp, key, value)
            changed.append(wp)
    if changed:
        packages_store(changed, SCHEDULE_FIELDS)
    return len(changed)


def _roll_up(packages: dict[int, WorkPackage], planned: dict[int, dict[str, Any]]) -> None:
    """Make each summary span its children's dates as stored (actuals included)."""
    children: dict[int, list[int]] = {}
    for wp in packages.values():
        if wp.parent_id is not None:
            children.setdefault(wp.parent_id, []).append(wp.pk)

    def depth(pk: int) -> int:
        return packages[pk].wbs.count(".")

    for pk in sorted(children, key=depth, reverse=True):
        kids = [planned[c] for c in children[pk]]
        for key, pick in (
            ("early_start", min),
            ("late_start", min),
            ("early_finish", max),
            ("late_finish", max),
        ):
            planned[pk][key] = pick(k[key] for k in kids)


def packages_store(packages: list[WorkPackage], names: list[str]) -> None:
    """Write the schedule fields of many packages with one prepared UPDATE.

    bulk_update builds one CASE expression per field over every row, which grows quadratically;
    a prepared statement executed per row is linear and runs in milliseconds for thousands.
    """
    meta = WorkPackage._meta
    fields: list[Field[Any, Any]] = []
    for name in names:
        field = meta.get_field(name)
        assert isinstance(field, Field)
        fields.append(field)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
    # Only quoted model column names are interpolated; every value is a bound parameter.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(str(meta.pk.column))} = %s"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(wp, f.attname), connection) for f in fields] + [wp.pk]
        for wp in packages
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _snapshot_values(project: Project, result: PlanResult) -> dict[str, Any]:
    return {
        "computed_at": timezone.now(),
        "time_zone": project.time_zone,
        "status_date": result.status_date,
        "finish": result.finish(),
        "critical_path": [int(pk) for pk in result.schedule.critical_path],
        "error": "",
    }


def plan_snapshot_store(project: Project, result: PlanResult) -> None:
    """Record a reschedule's finish and critical path (call inside the write that rescheduled).

    The stored forecast is dropped: it was drawn for the plan before this change.
    """
    values = {**_snapshot_values(project, result), "forecast": None}
    snapshots = PlanSnapshot.objects.filter(project=project)
    if snapshots.update(version=F("version") + 1, **values):
        return
    try:
        with transaction.atomic():
            PlanSnapshot.objects.create(project=project, **values)
    except IntegrityError:
        # A reader created it meanwhile from what it saw before this write: replace that.
        snapshots.update(version=F("version") + 1, **values)


def plan_snapshot_get(project: Project) -> PlanSnapshot:
    """Return the finish and critical path of the plan as stored now, without rescheduling.

    The snapshot the last reschedule stored is returned as it is while it still holds: the
    project's time zone is the one it was computed in and, once work has begun, the status date
    ("now" in working minutes) has not moved on. Otherwise the plan is computed again and the
    result stored for the next reader, unless a change stored a newer snapshot in between. A
    plan that cannot be scheduled gives a snapshot with the reason in `error`.
    """
    snapshot = PlanSnapshot.objects.filter(project=project).first()
    if (
        snapshot is not None
        and snapshot.time_zone == project.time_zone
        and (snapshot.status_date is None or snapshot.status_date == _status_now(project))
    ):
        return snapshot
    try:
        values = _snapshot_values(project, plan_compute(project))
    except ValidationError as exc:
        started = WorkPackage.objects.filter(project=project, actual_start__isnull=False).exists()
        values = {
            "computed_at": timezone.now(),
            "time_zone": project.time_zone,
            # Before work begins a refusal holds until the plan changes; after, until the clock
            # moves on.
            "status_date": _status_now(project) if started else None,
            "finish": None,
            "critical_path": [],
            "error": " ".join(exc.messages),
        }
    if snapshot is None:
        fresh = PlanSnapshot(project=project, version=0, **values)
        try:
            with transaction.atomic():
                fresh.save()
        except IntegrityError:
            pass  # a change stored one meanwhile; this reader's result is only shown
        return fresh
    PlanSnapshot.objects.filter(pk=snapshot.pk, version=snapshot.version).update(**values)
    for name, value in values.items():
        setattr(snapshot, name, value)
    return snapshot


def _status_now(project: Project) -> int | None:
    """Return "now" as the working-minute offset `plan_compute` would use as the status date."""
    calendar = ProjectCalendar.objects.select_related("project").filter(project=project).first()
    if calendar is None:
        return None
    try:
        return calendar_build(calendar).offset_of(timezone.now())
    except ValidationError:
        return None
