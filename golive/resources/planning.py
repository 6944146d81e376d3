"""What resources add to the plan's schedule: start floors from deliveries and leveling."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from golive.projects.models import Project
from golive.resources.models import LevelingHold, ProcurementItem
from golive.work.planning import StartFloor, start_floor_provider

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
