"""What resources add to the plan's schedule: start floors from deliveries and leveling."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

from golive.projects.models import Membership, Project
from golive.resources.models import Assignment, LevelingHold, ProcurementItem, Resource
from golive.scheduling.calendar import WorkCalendar
from golive.scheduling.cpm import schedule
from golive.scheduling.errors import SchedulingError
from golive.scheduling.leveling import Demand
from golive.scheduling.leveling import Resource as LevelResource
from golive.scheduling.network import Network
from golive.work.models import Dependency, WorkPackage
from golive.work.planning import (
    PlanResult,
    StartFloor,
    network_build,
    plan_compute,
    start_floor_provider,
    start_floors,
)

PROCUREMENT = "procurement"
LEVELING = "leveling"


def delivery_counts(item: ProcurementItem) -> date | None:
    """Return the delivery date that counts: the actual one, else the expected one."""
    return item.actual_delivery or item.expected_delivery


def delivery_instant(day: date, zone: str) -> datetime:
    """Return when a delivery on `day` lets work start: the start of that day, project time."""
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone))


def delivery_floors(project: Project, package_ids: list[int]) -> Mapping[int, StartFloor]:
    """Return, per package, the latest delivery of the procurement items it needs."""
    rows = (
        ProcurementItem.work_packages.through.objects.filter(procurementitem__project_id=project.pk)
        .values_list(
            "workpackage_id",
            "procurementitem_id",
            "procurementitem__name",
            "procurementitem__actual_delivery",
            "procurementitem__expected_delivery",
        )
        .order_by("procurementitem_id")
    )
    # The whole project's rows are read: a long id list would exceed the database's parameters.
    wanted = set(package_ids)
    floors: dict[int, StartFloor] = {}
    for package_id, item_id, name, actual, expected in rows:
        day = actual or expected
        if day is None or package_id not in wanted:
            continue
        floor = StartFloor(
            delivery_instant(day, project.time_zone),
            f"delivery of “{name}” on {day.isoformat()}",
            (PROCUREMENT, item_id),
        )
        if package_id not in floors or floor.start > floors[package_id].start:
            floors[package_id] = floor
    return floors


def leveling_floors(project: Project, package_ids: list[int]) -> Mapping[int, StartFloor]:
    """Return the start-no-earlier-than times the applied leveling holds on packages."""
    wanted = set(package_ids)
    rows = LevelingHold.objects.filter(run__project_id=project.pk).values_list(
        "work_package_id", "run_id", "start"
    )
    return {
        pk: StartFloor(start, f"resource leveling run {run_id}", (LEVELING, run_id))
        for pk, run_id, start in rows
        if pk in wanted
    }


start_floor_provider(delivery_floors, source="a procurement delivery")
start_floor_provider(leveling_floors, source="resource leveling")


class DeliveryImpact:
    """The plan with every start floor, and the plan without one procurement item's delivery.

    `without(item_id)` is the plan `plan_compute` gives with that item's floors left out, but
    it computes a plan only when leaving them out can move something. The forward pass takes
    each early start as the latest of its lower bounds (project start or status date, its own
    SNET or MSO, the start floor, its links); so when every package whose floor the item
    sets either keeps the same constraint offset or starts strictly later than that floor in
    the plan with every floor, the plan without it is the same plan. A finish-no-later-than
    package the item holds is always recomputed: without its floor the deadline is checked
    again (`network_build` keeps a floor as SNET instead of the deadline).

    A plan that is needed is the one `plan_compute` makes (`network_build`, then `schedule`),
    on the links, calendar and status date read once. Leaving floors out only lowers lower
    bounds, so it cannot make a possible plan impossible except through such a deadline; a
    plan the library refuses is asked of `plan_compute` again, for its error in the plan's
    words.
    """

    def __init__(
        self,
        project: Project,
        packages: list[WorkPackage],
        floors: Mapping[int, list[StartFloor]],
        plan: PlanResult,
    ) -> None:
        self.project = project
        self.packages = packages
        self.floors = floors
        self.plan = plan
        self._parent = {wp.pk: wp.parent_id for wp in packages}
        summaries = set(self._parent.values())
        self._leaves = [wp for wp in packages if wp.pk not in summaries]
        self._links: list[Dependency] | None = None
        started = any(wp.actual_start for wp in packages)
        self._status_date = plan.calendar.offset_of(timezone.now()) if started else None

    def without(self, item_id: int) -> PlanResult:
        """Return the plan without the delivery of procurement item `item_id`."""
        key = (PROCUREMENT, item_id)
        floors = {pk: [f for f in found if f.key != key] for pk, found in self.floors.items()}
        changed = {pk for pk, found in self.floors.items() if len(floors[pk]) != len(found)}
        if changed and not self._moves_nothing(changed, floors):
            return self._plan(floors)
        return self.plan

    def _plan(self, floors: Mapping[int, list[StartFloor]]) -> PlanResult:
        if self._links is None:
            self._links = list(Dependency.objects.filter(project=self.project).order_by("id"))
        cal = self.plan.calendar
        try:
            network = network_build(self.packages, self._links, cal, floors=floors)
            result = schedule(network, status_date=self._status_date)
        except (SchedulingError, ValidationError):
            return plan_compute(self.project, self.packages, floors=floors)
        return PlanResult(result, cal, self.plan.packages)

    def _latest(self, wp: WorkPackage, floors: Mapping[int, list[StartFloor]]) -> datetime | None:
        """Return the latest floor of a leaf (its own and its summaries'), as network_build."""
        latest: datetime | None = None
        node: int | None = wp.pk
        while node is not None:
            for floor in floors.get(node, ()):
                if latest is None or floor.start > latest:
                    latest = floor.start
            node = self._parent.get(node)
        return latest

    def _moves_nothing(self, changed: set[int], floors: Mapping[int, list[StartFloor]]) -> bool:
        """Return whether the floors without the item give every package the same schedule."""
        cal = self.plan.calendar
        tasks = self.plan.schedule.tasks
        for wp in self._leaves:
            if wp.actual_start is not None:
                continue  # a started package ignores floors
            node: int | None = wp.pk
            while node is not None and node not in changed:
                node = self._parent.get(node)
            if node is None:
                continue  # none of its floors changes
            before, after = self._latest(wp, self.floors), self._latest(wp, floors)
            if before is None:
                continue
            offset = cal.offset_of(before)
            if after is not None and cal.offset_of(after) == offset:
                continue  # the same constraint
            own = wp.constraint_date
            kind = wp.constraint_kind if own is not None else ""
            if kind == "fnlt":
                return False
            if kind == "mso":
                continue  # kept in both plans (the plan with the floor met it)
            if kind == "snet" and own is not None and cal.offset_of(own) >= offset:
                continue  # its own SNET is the constraint in both plans
            if tasks[str(wp.pk)].early_start <= offset:
                return False  # the floor may be what holds it
        return True


# The bridge to golive.scheduling.leveling -------------------------------------------------------

# A resource's capacity is 100 units (all of it); an assignment at `units` percent demands
# `units` of them. That is the same ratio as capacity_hours x 100 against units x capacity_hours,
# without fractions: leveling only compares each resource's demand with its own capacity.
FULL = 100
# Leveling runs on an hour grid when every duration, lag and start is a whole hour (plans are
# estimated in hours and days; the model is 60 times smaller than on minutes and solves much
# faster); otherwise on a quarter-hour grid, where a start may round up by at most 14 minutes.
HOUR, QUARTER = 60, 15


@dataclass(frozen=True)
class LevelingInput:
    """What the solver needs: the plan without leveling holds, resources and demands."""

    network: Network
    resources: list[LevelResource]
    demands: list[Demand]
    plan: PlanResult
    status_date: int | None
    time_unit: int
    package_labels: dict[int, str]
    resource_labels: dict[int, str]

    def name(self, message: str) -> str:
        """Replace the solver's task ids (P12) and resource ids (R3) by names."""

        def package(match: re.Match[str]) -> str:
            return self.package_labels.get(int(match.group(1)), match.group(0))

        def resource(match: re.Match[str]) -> str:
            return self.resource_labels.get(int(match.group(1)), match.group(0))

        return re.sub(r"\bR(\d+)\b", resource, re.sub(r"\bP(\d+)\b", package, message))


def package_label(wp: WorkPackage) -> str:
    return f"{wp.wbs} {wp.name}".strip()


def leveling_input(project: Project) -> LevelingInput:
    """Build the leveling problem of a project from its stored plan and resources.

    Deliveries stay start floors; the holds of an earlier leveling do not (leveling again
    starts from the plan itself). Refuse, naming the package and the resource, a demand on a
    resource without capacity, above its capacity, or of a person who left the project.
    """
    packages = list(WorkPackage.objects.filter(project=project).order_by("position", "id"))
    floors = start_floors(project, [wp.pk for wp in packages])
    unheld = {
        pk: [f for f in found if f.key is None or f.key[0] != LEVELING]
        for pk, found in floors.items()
    }
    plan = plan_compute(project, packages, floors=unheld)
    cal = plan.calendar
    started = any(wp.actual_start for wp in packages)
    status_date = cal.offset_of(timezone.now()) if started else None
    links = list(Dependency.objects.filter(project=project).order_by("id"))
    base = network_build(packages, links, cal, floors=unheld)
    network = Network(
        [
            replace(task, id=f"P{task.id}", parent=f"P{task.parent}" if task.parent else None)
            for task in base.tasks
        ],
        [
            replace(link, predecessor=f"P{link.predecessor}", successor=f"P{link.successor}")
            for link in base.dependencies
        ],
    )
    labels = {wp.pk: package_label(wp) for wp in packages}
    summaries = {wp.parent_id for wp in packages if wp.parent_id}
    members = set(Membership.objects.filter(project=project).values_list("user_id", flat=True))
    # Plain rows: 500 assignment instances with their resources cost more than the solve.
    assignments = list(
        Assignment.objects.filter(work_package__project=project)
        .order_by("id")
        .values_list("work_package_id", "resource_id", "units")
    )
    by_id = {r.pk: r for r in Resource.objects.filter(project=project).prefetch_related("time_off")}
    used = {pk: by_id[pk] for pk in dict.fromkeys(row[1] for row in assignments)}
    horizon = plan.schedule.finish + sum(wp.duration for wp in packages) + 1
    resources = [
        LevelResource(
            id=f"R{r.pk}",
            capacity=FULL if r.capacity_hours > 0 else 0,
            name=r.name,
            unavailable=_unavailable(r, cal, horizon),
        )
        for r in used.values()
    ]
    demands = []
    for package_id, resource_id, units in assignments:
        wp_label, r = labels[package_id], used[resource_id]
        if package_id in summaries:
            continue  # a summary's own assignments describe its children's work
        if not r.active:
            raise ValidationError(
                {"assignments": f"{wp_label} needs {r.name}, who is no longer active."}
            )
        if r.capacity_hours <= 0:
            raise ValidationError(
                {"assignments": f"{wp_label} needs {r.name}, who has no capacity (0 h a day)."}
            )
        if units > FULL:
            raise ValidationError(
                {
                    "assignments": f"{wp_label} needs {units} % of {r.name}, more than their "
                    f"capacity (100 %); lower the units or assign someone else as well."
                }
            )
        if r.user_id is not None and r.user_id not in members:
            raise ValidationError(
                {
                    "assignments": f"{wp_label} needs {r.name}, whose user is no longer a "
                    f"member of {project.key}."
                }
            )
        demands.append(Demand(f"P{package_id}", f"R{r.pk}", units))
    return LevelingInput(
        network=network,
        resources=resources,
        demands=demands,
        plan=plan,
        status_date=status_date,
        time_unit=_time_unit(base, plan),
        package_labels=labels,
        resource_labels={r.pk: r.name for r in used.values()},
    )


def _time_unit(network: Network, plan: PlanResult) -> int:
    """Return 60 when the plan's numbers are whole hours, else 15 (see HOUR)."""
    numbers = [t.duration for t in network.tasks] + [d.lag for d in network.dependencies]
    numbers += [int(n) for n in plan.schedule.tasks.column("early_start")]
    return HOUR if all(n % HOUR == 0 for n in numbers) else QUARTER


def _unavailable(
    resource: Resource, cal: WorkCalendar, horizon: int
) -> tuple[tuple[int, int], ...]:
    """Return the windows (working-minute offsets) a resource cannot work: time off and the
    days outside its availability window."""
    zone = ZoneInfo(cal.time_zone)

    def at(day: date) -> int:
        return cal.offset_of(datetime.combine(day, time(0, 0), tzinfo=zone))

    windows: list[tuple[int, int]] = []
    if resource.available_from is not None:
        windows.append((min(0, at(resource.available_from)) - 1, at(resource.available_from)))
    if resource.available_to is not None:
        end = at(resource.available_to + timedelta(days=1))
        windows.append((end, max(end, horizon) + 1))
    for off in resource.time_off.all():
        windows.append((at(off.start), at(off.end + timedelta(days=1))))
    return tuple(sorted((lo, hi) for lo, hi in windows if hi > lo))
