"""Writes on procurement items: what is ordered from outside and which packages wait for it.

Every write reschedules the project in its transaction (a delivery is a start floor).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import version_check
from golive.projects.models import Project
from golive.projects.services import member_resolve
from golive.resources.access import resource_check
from golive.resources.models import ProcurementItem, ProcurementKind
from golive.resources.planning import package_label
from golive.resources.services.resources import _clean, _unknown
from golive.work.models import WorkPackage
from golive.work.services import work_reschedule

PROCUREMENT_FIELDS = [
    "name",
    "kind",
    "vendor",
    "order_date",
    "lead_time_days",
    "expected_delivery",
    "actual_delivery",
    "owner",
]


def _packages_of(project: Project, values: Iterable[WorkPackage | int]) -> list[WorkPackage]:
    ids = [v.pk if isinstance(v, WorkPackage) else v for v in values]
    found = {wp.pk: wp for wp in WorkPackage.objects.filter(project=project, pk__in=ids)}
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise ValidationError(
            {"work_packages": f"{project.key} has no work package {', '.join(missing)}."}
        )
    return [found[pk] for pk in dict.fromkeys(ids)]


def _procurement_rules(item: ProcurementItem, expected_given: bool) -> None:
    if item.kind not in ProcurementKind.values:
        raise ValidationError(
            {"kind": f"{item.kind!r} is not a kind; use {', '.join(ProcurementKind.values)}."}
        )
    if isinstance(item.lead_time_days, bool) or not isinstance(item.lead_time_days, int):
        raise ValidationError({"lead_time_days": "A whole number of calendar days."})
    if item.lead_time_days < 0:
        raise ValidationError({"lead_time_days": "The lead time cannot be negative."})
    if not expected_given and item.order_date is not None:
        item.expected_delivery = item.order_date + timedelta(days=item.lead_time_days)
    if item.order_date and item.actual_delivery and item.actual_delivery < item.order_date:
        raise ValidationError({"actual_delivery": "The delivery is before the order date."})


def _procurement_snapshot(item: ProcurementItem, packages: list[WorkPackage]) -> dict[str, Any]:
    return {
        **audit_snapshot(item, PROCUREMENT_FIELDS),
        "work_packages": sorted(package_label(wp) for wp in packages),
    }


def procurement_item_create(
    *,
    actor: Any,
    project: Project,
    name: str,
    kind: str = "hardware",
    vendor: str = "",
    order_date: date | None = None,
    lead_time_days: int = 0,
    expected_delivery: date | None = None,
    actual_delivery: date | None = None,
    work_packages: Iterable[WorkPackage | int] = (),
    owner: Any = None,
) -> ProcurementItem:
    """Record something ordered from outside; the packages that need it wait for delivery."""
    with transaction.atomic():
        resource_check(user=actor, project=project, action="procure")
        item = ProcurementItem(
            project=project,
            name=(name or "").strip(),
            kind=kind,
            vendor=(vendor or "").strip(),
            order_date=order_date,
            lead_time_days=lead_time_days,
            expected_delivery=expected_delivery,
            actual_delivery=actual_delivery,
            owner=member_resolve(project, owner, field="owner"),
        )
        _procurement_rules(item, expected_delivery is not None)
        _clean(item)
        packages = _packages_of(project, work_packages)
        item.save()
        item.work_packages.set(packages)
        audit_record(
            actor=actor,
            action="procurement_item.create",
            obj=item,
            project=project,
            changes=audit_diff({}, _procurement_snapshot(item, packages)),
        )
        work_reschedule(project=project)
    return item


def procurement_item_update(
    *, actor: Any, item: ProcurementItem, version: int | None = None, **fields: Any
) -> ProcurementItem:
    """Change a procurement item (a new order date or lead time moves the expected delivery,
    unless an expected delivery is given); the plan reschedules."""
    _unknown(fields, [*PROCUREMENT_FIELDS, "work_packages"])
    with transaction.atomic():
        item = ProcurementItem.objects.select_for_update().select_related("project").get(pk=item.pk)
        project = item.project
        resource_check(user=actor, project=project, action="procure")
        version_check(item, version, what=f"Procurement item {item.name}")
        old_packages = list(item.work_packages.all())
        before = _procurement_snapshot(item, old_packages)
        packages = old_packages
        if "work_packages" in fields:
            packages = _packages_of(project, fields.pop("work_packages") or [])
        for name, value in fields.items():
            if name == "owner":
                item.owner = member_resolve(project, value, field="owner")
            elif name in ("name", "vendor"):
                setattr(item, name, (value or "").strip())
            else:
                setattr(item, name, value)
        moves_expected = {"order_date", "lead_time_days"} & set(fields)
        _procurement_rules(item, "expected_delivery" in fields or not moves_expected)
        _clean(item)
        changes = audit_diff(before, _procurement_snapshot(item, packages))
        if changes:
            item.version += 1
            item.save()
            item.work_packages.set(packages)
            audit_record(
                actor=actor,
                action="procurement_item.update",
                obj=item,
                project=project,
                changes=changes,
            )
            work_reschedule(project=project)
    return item


def procurement_item_delete(
    *, actor: Any, item: ProcurementItem, version: int | None = None
) -> None:
    """Delete a procurement item; the packages it held no longer wait for it."""
    with transaction.atomic():
        item = ProcurementItem.objects.select_for_update().select_related("project").get(pk=item.pk)
        project = item.project
        resource_check(user=actor, project=project, action="procure")
        version_check(item, version, what=f"Procurement item {item.name}")
        audit_record(
            actor=actor,
            action="procurement_item.delete",
            obj=item,
            project=project,
            changes=audit_diff(_procurement_snapshot(item, list(item.work_packages.all())), {}),
        )
        item.delete()
        work_reschedule(project=project)
