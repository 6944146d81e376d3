"""Writes on resources, skills, time off, assignments, procurement items and leveling.

Every write runs in one transaction with its audit record. Writes that change when work can
start (procurement deliveries, leveling holds, effort-driven assignments) reschedule the project
in the same transaction, so a plan the change makes impossible refuses the change.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import Conflict, version_check
from golive.projects.models import Project
from golive.projects.services import member_resolve
from golive.resources.access import resource_check
from golive.resources.models import (
    Assignment,
    LevelingHold,
    LevelingRun,
    LevelingStatus,
    ProcurementItem,
    ProcurementKind,
    Resource,
    ResourceKind,
    ResourceSettings,
    ResourceSkill,
    Skill,
    TimeOff,
)
from golive.resources.planning import (
    LEVELING,
    LevelingInput,
    leveling_input,
    package_label,
)
from golive.scheduling.errors import SchedulingError
from golive.scheduling.leveling import LevelingError, LevelingResult, level
from golive.work.models import Dependency, ProjectCalendar, WorkPackage
from golive.work.services import work_package_update, work_reschedule

RESOURCE_FIELDS = [
    "name",
    "kind",
    "user",
    "capacity_hours",
    "cost_rate",
    "available_from",
    "available_to",
    "active",
]
ASSIGNMENT_FIELDS = ["units", "work", "effort_driven", "skill", "skill_level"]
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


def _unknown(fields: Iterable[str], allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in sorted(unknown)})


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{value!r} is not a number."}) from None
    if not number.is_finite():
        raise ValidationError({field: f"{value!r} is not a number."})
    return number


def _clean(obj: Any, **kwargs: Any) -> None:
    obj.full_clean(**kwargs)


# Resources --------------------------------------------------------------------------------------


def _resource_rules(resource: Resource) -> None:
    """Keep a resource consistent: only a person is a user, and that user is a member."""
    if resource.kind not in ResourceKind.values:
        raise ValidationError(
            {"kind": f"{resource.kind!r} is not a kind; use {', '.join(ResourceKind.values)}."}
        )
    if resource.user_id is not None and resource.kind != ResourceKind.PERSON:
        raise ValidationError({"user": "Only a person resource stands for a user."})


def resource_create(
    *,
    actor: Any,
    project: Project,
    name: str,
    kind: str = "person",
    user: Any = None,
    capacity_hours: Any = 8,
    cost_rate: Any = 0,
    available_from: date | None = None,
    available_to: date | None = None,
) -> Resource:
    """Add a resource to a project (a person may stand for one of its members)."""
    with transaction.atomic():
        resource_check(user=actor, project=project, action="edit")
        resource = Resource(
            project=project,
            name=(name or "").strip(),
            kind=kind,
            user=member_resolve(project, user, field="user"),
            capacity_hours=_decimal(capacity_hours, "capacity_hours"),
            cost_rate=_decimal(cost_rate, "cost_rate"),
            available_from=available_from,
            available_to=available_to,
        )
        _resource_rules(resource)
        _clean(resource)
        resource.save()
        audit_record(
            actor=actor,
            action="resource.create",
            obj=resource,
            project=project,
            changes=audit_diff({}, audit_snapshot(resource, RESOURCE_FIELDS)),
        )
    return resource


def _assigned_to(resource: Resource) -> list[str]:
    return [
        package_label(a.work_package)
        for a in resource.assignments.select_related("work_package").order_by(
            "work_package__wbs", "id"
        )
    ]


def _listed(labels: list[str], limit: int = 5) -> str:
    shown = ", ".join(labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def resource_update(
    *, actor: Any, resource: Resource, version: int | None = None, **fields: Any
) -> Resource:
    """Change a resource; refused when it would leave assigned work without capacity."""
    _unknown(fields, RESOURCE_FIELDS)
    with transaction.atomic():
        resource = (
            Resource.objects.select_for_update().select_related("project").get(pk=resource.pk)
        )
        project = resource.project
        resource_check(user=actor, project=project, action="edit")
        version_check(resource, version, what=f"Resource {resource.name}")
        before = audit_snapshot(resource, RESOURCE_FIELDS)
        for name, value in fields.items():
            if name == "user":
                resource.user = member_resolve(project, value, field="user")
            elif name in ("capacity_hours", "cost_rate"):
                setattr(resource, name, _decimal(value, name))
            elif name == "name":
                resource.name = (value or "").strip()
            else:
                setattr(resource, name, value)
        _resource_rules(resource)
        _clean(resource)
        if resource.capacity_hours <= 0 and resource.assignments.exists():
            raise ValidationError(
                {
                    "capacity_hours": f"{resource.name} is assigned to "
                    f"{_listed(_assigned_to(resource))}; work needs capacity. Remove those "
                    "assignments first, or set when the resource is available instead."
                }
            )
        changes = audit_diff(before, audit_snapshot(resource, RESOURCE_FIELDS))
        if changes:
            resource.version += 1
            resource.save()
            audit_record(
                actor=actor,
                action="resource.update",
                obj=resource,
                project=project,
                changes=changes,
            )
    return resource


def resource_delete(*, actor: Any, resource: Resource, version: int | None = None) -> None:
    """Delete a resource that is assigned to nothing (with its skills and time off)."""
    with transaction.atomic():
        resource = (
            Resource.objects.select_for_update().select_related("project").get(pk=resource.pk)
        )
        project = resource.project
        resource_check(user=actor, project=project, action="edit")
        version_check(resource, version, what=f"Resource {resource.name}")
        assigned = _assigned_to(resource)
        if assigned:
            raise ValidationError(
                {
                    "resource": f"{resource.name} is assigned to {_listed(assigned)}; remove "
                    "those assignments first."
                }
            )
        audit_record(
            actor=actor,
            action="resource.delete",
            obj=resource,
            project=project,
            changes=audit_diff(audit_snapshot(resource, RESOURCE_FIELDS), {}),
        )
        resource.delete()


# Skills and time off ----------------------------------------------------------------------------


def _skill_of(project: Project, skill: Skill | str, *, create: bool) -> Skill | None:
    if isinstance(skill, Skill):
        if skill.project_id != project.pk:
            raise ValidationError({"skill": f"{project.key} has no skill {skill.name!r}."})
        return skill
    name = (skill or "").strip()
    if not name:
        raise ValidationError({"skill": "Name the skill."})
    found = Skill.objects.filter(project=project, name__iexact=name).first()
    if found is None and create:
        found = Skill(project=project, name=name)
        _clean(found)
        found.save()
    return found


def _level(value: Any, field: str = "level") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError({field: f"A level from 1 (basic) to 5 (expert); got {value!r}."})
    return value


def skill_set(*, actor: Any, resource: Resource, skill: Skill | str, level: int) -> ResourceSkill:
    """Give a resource a skill at a level (1-5); the skill is created when it is new."""
    with transaction.atomic():
        project = resource.project
        resource_check(user=actor, project=project, action="edit")
        level = _level(level)
        found = _skill_of(project, skill, create=True)
        assert found is not None
        held = ResourceSkill.objects.filter(resource=resource, skill=found).first()
        old = held.level if held else None
        if held is None:
            held = ResourceSkill(resource=resource, skill=found, level=level)
        held.level = level
        _clean(held)
        held.save()
        audit_record(
            actor=actor,
            action="resource_skill.set",
            obj=held,
            project=project,
            changes={"resource": [None, resource.name], found.name: [old, level]},
        )
    return held


def skill_remove(*, actor: Any, resource: Resource, skill: Skill | str) -> None:
    """Take a skill from a resource."""
    with transaction.atomic():
        project = resource.project
        resource_check(user=actor, project=project, action="edit")
        found = _skill_of(project, skill, create=False)
        held = (
            ResourceSkill.objects.filter(resource=resource, skill=found).first() if found else None
        )
        if held is None or found is None:
            raise ValidationError({"skill": f"{resource.name} has no skill {skill!s}."})
        audit_record(
            actor=actor,
            action="resource_skill.remove",
            obj=held,
            project=project,
            changes={"resource": [resource.name, None], found.name: [held.level, None]},
        )
        held.delete()


def time_off_add(
    *, actor: Any, resource: Resource, start: date, end: date, reason: str = ""
) -> TimeOff:
    """Record days a resource is away (both dates included)."""
    with transaction.atomic():
        project = resource.project
        resource_check(user=actor, project=project, action="edit")
        off = TimeOff(resource=resource, start=start, end=end, reason=(reason or "").strip())
        _clean(off)
        off.save()
        audit_record(
            actor=actor,
            action="time_off.add",
            obj=off,
            project=project,
            changes={
                "resource": [None, resource.name],
                "start": [None, start.isoformat()],
                "end": [None, end.isoformat()],
                "reason": [None, off.reason],
            },
        )
    return off


def time_off_remove(*, actor: Any, time_off: TimeOff) -> None:
    """Remove recorded time off."""
    with transaction.atomic():
        off = TimeOff.objects.select_related("resource__project").get(pk=time_off.pk)
        project = off.resource.project
        resource_check(user=actor, project=project, action="edit")
        audit_record(
            actor=actor,
            action="time_off.remove",
            obj=off,
            project=project,
            changes={
                "resource": [off.resource.name, None],
                "start": [off.start.isoformat(), None],
                "end": [off.end.isoformat(), None],
            },
        )
        off.delete()


def resource_settings_update(
    *, actor: Any, project: Project, critical_share_percent: int, version: int | None = None
) -> ResourceSettings:
    """Set when one person carries too much of the critical path (percent of its work)."""
    with transaction.atomic():
        resource_check(user=actor, project=project, action="edit")
        ResourceSettings.objects.get_or_create(project=project)
        settings = ResourceSettings.objects.select_for_update().get(project=project)
        version_check(settings, version, what="The resource settings")
        old = settings.critical_share_percent
        settings.critical_share_percent = critical_share_percent
        _clean(settings)
        if old != critical_share_percent:
            settings.version += 1
            settings.save()
            audit_record(
                actor=actor,
                action="resource_settings.update",
                obj=settings,
                project=project,
                changes={"critical_share_percent": [old, critical_share_percent]},
            )
    return settings


# Assignments ------------------------------------------------------------------------------------


def _assignment_rules(
    assignment: Assignment, wp: WorkPackage, resource: Resource, project: Project
) -> None:
    """Refuse an assignment the plan cannot use, naming the package and the resource."""
    label = package_label(wp)
    if resource.project_id != project.pk:
        raise ValidationError({"resource": f"{project.key} has no resource {resource.name}."})
    if wp.milestone:
        raise ValidationError({"package": f"{label} is a milestone; it takes no work."})
    if WorkPackage.objects.filter(parent_id=wp.pk).exists():
        raise ValidationError(
            {"package": f"{label} is a summary; assign resources to its sub-packages."}
        )
    if not resource.active:
        raise ValidationError({"resource": f"{resource.name} is not active; {label} needs work."})
    if resource.capacity_hours <= 0:
        raise ValidationError(
            {"resource": f"{resource.name} has no capacity (0 h a day); {label} needs work."}
        )
    if (
        resource.user_id is not None
        and not project.memberships.filter(user_id=resource.user_id).exists()
    ):
        raise ValidationError(
            {
                "resource": f"{resource.name} is not a member of {project.key} any more; "
                f"{label} cannot be assigned to them."
            }
        )
    if assignment.skill_id is not None:
        level = assignment.skill_level or 1
        held = ResourceSkill.objects.filter(resource=resource, skill_id=assignment.skill_id).first()
        skill = assignment.skill
        if held is None or held.level < level:
            has = f"has {skill} at level {held.level}" if held else f"does not have {skill}"
            raise ValidationError(
                {"skill_level": f"{resource.name} {has}; {label} needs level {level}."}
            )
    elif assignment.skill_level is not None:
        raise ValidationError({"skill": "Name the skill the level is for."})


def _work_of(assignment: Assignment, wp: WorkPackage, given: Any) -> None:
    """Fixed duration: work = duration x units. Effort-driven: the given work, else the same."""
    if assignment.effort_driven and given is not None:
        if isinstance(given, bool) or not isinstance(given, int) or given < 0:
            raise ValidationError({"work": f"Working minutes, a whole number ≥ 0; got {given!r}."})
        assignment.work = given
    else:
        assignment.work = round(wp.duration * assignment.units / 100)


def _effort_duration(actor: Any, wp: WorkPackage) -> None:
    """Give the package the duration its effort-driven assignments need (the longest)."""
    needed = [
        math.ceil(a.work * 100 / a.units)
        for a in Assignment.objects.filter(work_package=wp, effort_driven=True)
    ]
    if needed and max(needed) != wp.duration:
        work_package_update(actor=actor, package=wp, duration=max(needed))
        # Fixed-duration assignments keep their share of the new duration.
        wp.refresh_from_db()
        for a in Assignment.objects.filter(work_package=wp, effort_driven=False):
            work = round(wp.duration * a.units / 100)
            if a.work != work:
                a.work = work
                a.save(update_fields=["work"])


def _assignment_snapshot(a: Assignment) -> dict[str, Any]:
    return {
        "package": package_label(a.work_package),
        "resource": a.resource.name,
        **audit_snapshot(a, ASSIGNMENT_FIELDS),
    }


def assignment_create(
    *,
    actor: Any,
    package: WorkPackage,
    resource: Resource,
    units: int = 100,
    work: int | None = None,
    effort_driven: bool = False,
    skill: Skill | str | None = None,
    skill_level: int | None = None,
) -> Assignment:
    """Assign a resource to a work package at `units` percent of its capacity.

    Effort-driven: `work` (working minutes) is fixed and the package lasts as long as its
    slowest effort-driven assignment needs (work / units); the plan reschedules.
    """
    with transaction.atomic():
        wp = WorkPackage.objects.select_related("project").get(pk=package.pk)
        project = wp.project
        resource_check(user=actor, project=project, action="assign")
        found = _skill_of(project, skill, create=False) if skill else None
        if skill and found is None:
            raise ValidationError({"skill": f"{project.key} has no skill {skill!s}."})
        assignment = Assignment(
            work_package=wp,
            resource=resource,
            units=units,
            effort_driven=bool(effort_driven),
            skill=found,
            skill_level=_level(skill_level, "skill_level") if skill_level is not None else None,
        )
        _assignment_rules(assignment, wp, resource, project)
        _work_of(assignment, wp, work)
        _clean(assignment)
        assignment.save()
        audit_record(
            actor=actor,
            action="assignment.create",
            obj=assignment,
            project=project,
            changes=audit_diff({}, _assignment_snapshot(assignment)),
        )
        if assignment.effort_driven:
            _effort_duration(actor, wp)
            assignment.refresh_from_db()
    return assignment


def assignment_update(
    *, actor: Any, assignment: Assignment, version: int | None = None, **fields: Any
) -> Assignment:
    """Change an assignment's units, work, effort-driven flag or required skill."""
    _unknown(fields, ASSIGNMENT_FIELDS)
    with transaction.atomic():
        a = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("work_package__project", "resource", "skill")
            .get(pk=assignment.pk)
        )
        wp, project = a.work_package, a.work_package.project
        resource_check(user=actor, project=project, action="assign")
        version_check(a, version, what=f"The assignment of {a.resource.name} to {wp.name}")
        before = _assignment_snapshot(a)
        was_effort = a.effort_driven
        if "skill" in fields:
            value = fields["skill"]
            a.skill = _skill_of(project, value, create=False) if value else None
            if value and a.skill is None:
                raise ValidationError({"skill": f"{project.key} has no skill {value!s}."})
        if "skill_level" in fields:
            value = fields["skill_level"]
            a.skill_level = _level(value, "skill_level") if value is not None else None
        if "units" in fields:
            a.units = fields["units"]
        if "effort_driven" in fields:
            a.effort_driven = bool(fields["effort_driven"])
        _assignment_rules(a, wp, a.resource, project)
        _work_of(a, wp, fields.get("work", a.work if a.effort_driven else None))
        _clean(a)
        changes = audit_diff(before, _assignment_snapshot(a))
        if changes:
            a.version += 1
            a.save()
            audit_record(
                actor=actor, action="assignment.update", obj=a, project=project, changes=changes
            )
            if a.effort_driven or was_effort:
                _effort_duration(actor, wp)
                a.refresh_from_db()
    return a


def assignment_delete(*, actor: Any, assignment: Assignment, version: int | None = None) -> None:
    """Remove an assignment (an effort-driven package keeps its current duration)."""
    with transaction.atomic():
        a = (
            Assignment.objects.select_for_update()
            .select_related("work_package__project", "resource")
            .get(pk=assignment.pk)
        )
        wp, project = a.work_package, a.work_package.project
        resource_check(user=actor, project=project, action="assign")
        version_check(a, version, what=f"The assignment of {a.resource.name} to {wp.name}")
        audit_record(
            actor=actor,
            action="assignment.delete",
            obj=a,
            project=project,
            changes=audit_diff(_assignment_snapshot(a), {}),
        )
        effort = a.effort_driven
        a.delete()
        if effort:
            _effort_duration(actor, wp)


# Procurement ------------------------------------------------------------------------------------


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


# Leveling ---------------------------------------------------------------------------------------


def plan_fingerprint(project: Project) -> str:
    """Return a hash of everything leveling reads: packages, links, calendar, resources,
    assignments, time off, procurement and the holds in force. Any edit changes it."""
    parts: list[Any] = [
        list(
            WorkPackage.objects.filter(project=project).order_by("id").values_list("id", "version")
        ),
        list(
            Dependency.objects.filter(project=project).order_by("id").values_list("id", "version")
        ),
        list(ProjectCalendar.objects.filter(project=project).values_list("id", "version")),
        list(Resource.objects.filter(project=project).order_by("id").values_list("id", "version")),
        list(
            Assignment.objects.filter(work_package__project=project)
            .order_by("id")
            .values_list("id", "version")
        ),
        list(
            TimeOff.objects.filter(resource__project=project)
            .order_by("id")
            .values_list("id", "resource_id", "start", "end")
        ),
        list(
            ProcurementItem.objects.filter(project=project)
            .order_by("id")
            .values_list("id", "version")
        ),
        list(
            LevelingHold.objects.filter(run__project=project)
            .order_by("work_package_id")
            .values_list("work_package_id", "run_id", "start")
        ),
    ]
    payload = json.dumps(parts, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _solve(problem: LevelingInput, time_limit: float) -> LevelingResult:
    """Run the solver; a plan it cannot level is refused saying why, in the plan's names."""
    try:
        return level(
            problem.network,
            problem.resources,
            problem.demands,
            time_limit=time_limit,
            workers=2,
            time_unit=problem.time_unit,
            seed=0,
            status_date=problem.status_date,
        )
    except LevelingError as exc:
        raise ValidationError({"leveling": problem.name(str(exc))}) from None
    except SchedulingError as exc:
        raise ValidationError({"schedule": problem.name(str(exc))}) from None


def leveling_preview(*, actor: Any, project: Project, time_limit: float = 10.0) -> LevelingRun:
    """Level the project's resources and store the proposal (nothing in the plan changes).

    The run's result lists each package that moves (old and new start and finish, the shift in
    working minutes), the finish before and after, overloaded resource-days before and after,
    whether the solver proved the finish optimal, its lower bound and status.
    """
    from golive.resources.selectors import overload_count

    if not isinstance(time_limit, int | float) or not 0 <= time_limit <= 600:
        raise ValidationError({"time_limit": f"Seconds from 0 to 600; got {time_limit!r}."})
    with transaction.atomic():
        resource_check(user=actor, project=project, action="level")
        fingerprint = plan_fingerprint(project)
        problem = leveling_input(project)
        result = _solve(problem, float(time_limit))
        cal = problem.plan.calendar
        packages = problem.plan.packages
        summaries = {wp.parent_id for wp in packages.values() if wp.parent_id}
        # The plan as it stands (with the holds in force) is what the moves are measured from.
        current = {
            wp.pk: (
                cal.offset_of(wp.early_start) if wp.early_start else 0,
                cal.offset_of(wp.early_finish) if wp.early_finish else 0,
            )
            for wp in packages.values()
        }
        base = problem.plan.schedule.tasks
        moves: list[dict[str, Any]] = []
        holds: dict[str, str] = {}
        for pk, wp in packages.items():
            start, finish = result.starts[f"P{pk}"], result.finishes[f"P{pk}"]
            if pk not in summaries and not wp.actual_start and start > base[str(pk)].early_start:
                holds[str(pk)] = cal.instant_at(start).isoformat()
            old_start, old_finish = current[pk]
            if pk in summaries or (start, finish) == (old_start, old_finish):
                continue
            moves.append(
                {
                    "package": pk,
                    "wbs": wp.wbs,
                    "name": wp.name,
                    "old_start": _iso(cal.instant_at(old_start)),
                    "old_finish": _iso(cal.instant_at(old_finish, end=old_finish > old_start)),
                    "new_start": _iso(cal.instant_at(start)),
                    "new_finish": _iso(cal.instant_at(finish, end=finish > start)),
                    "shift": start - old_start,
                }
            )
        moves.sort(key=lambda m: (-abs(m["shift"]), m["wbs"]))
        spans = {pk: current[pk] for pk in packages if pk not in summaries}
        leveled = {
            pk: (result.starts[f"P{pk}"], result.finishes[f"P{pk}"])
            for pk in packages
            if pk not in summaries
        }
        before_finish = max((f for _, f in spans.values()), default=0)
        run = LevelingRun(
            project=project,
            status=LevelingStatus.PREVIEW,
            time_limit=float(time_limit),
            created_by=actor if getattr(actor, "pk", None) else _system_user(project),
            created_at=timezone.now(),
            holds=holds,
            result={
                "fingerprint": fingerprint,
                "status": result.status,
                "optimal": result.optimal,
                "lower_bound": result.lower_bound,
                "lower_bound_date": _iso(cal.instant_at(result.lower_bound, end=True)),
                "makespan": result.makespan,
                "priority_rule_makespan": result.priority_rule_makespan,
                "solve_seconds": round(result.solve_seconds, 3),
                "time_unit": problem.time_unit,
                "finish_before": _iso(cal.instant_at(before_finish, end=True))
                if packages
                else None,
                "finish_after": _iso(cal.instant_at(result.makespan, end=True))
                if packages
                else None,
                "finish_shift": result.makespan - before_finish,
                "overloads_before": overload_count(project, spans, cal),
                "overloads_after": overload_count(project, leveled, cal),
                "moves": moves,
            },
        )
        run.full_clean()
        run.save()
        audit_record(
            actor=actor,
            action="leveling.preview",
            obj=run,
            project=project,
            changes={
                "moves": [None, len(moves)],
                "finish": [run.result["finish_before"], run.result["finish_after"]],
                "status": [None, result.status],
            },
        )
    return run


def _system_user(project: Project) -> Any:
    """Return who a leveling run by the shell operator is recorded as: the project's manager."""
    from golive.projects.models import Membership, Role

    membership = (
        Membership.objects.filter(project=project, role=Role.MANAGER)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if membership is None:
        raise ValidationError({"user": "Name the user this leveling is made as (--user)."})
    return membership.user


def _run_locked(run: LevelingRun) -> LevelingRun:
    return LevelingRun.objects.select_for_update().select_related("project").get(pk=run.pk)


def _holds_now(project: Project) -> dict[str, list[Any]]:
    return {
        str(pk): [run_id, start.isoformat()]
        for pk, run_id, start in LevelingHold.objects.filter(run__project=project)
        .order_by("work_package_id")
        .values_list("work_package_id", "run_id", "start")
    }


def _holds_write(project: Project, holds: dict[str, list[Any]]) -> None:
    """Replace the project's holds by `holds` ({package id: [run id, start]})."""
    LevelingHold.objects.filter(run__project=project).delete()
    existing = set(
        WorkPackage.objects.filter(project=project, pk__in=[int(pk) for pk in holds]).values_list(
            "pk", flat=True
        )
    )
    LevelingHold.objects.bulk_create(
        [
            LevelingHold(
                run_id=run_id, work_package_id=int(pk), start=datetime.fromisoformat(start)
            )
            for pk, (run_id, start) in holds.items()
            if int(pk) in existing
        ]
    )


def leveling_apply(*, actor: Any, run: LevelingRun) -> LevelingRun:
    """Apply a preview: its holds replace the earlier ones and the plan reschedules.

    Refused when the plan changed since the preview (the proposal no longer fits it).
    """
    with transaction.atomic():
        run = _run_locked(run)
        project = run.project
        resource_check(user=actor, project=project, action="level")
        if run.status != LevelingStatus.PREVIEW:
            raise Conflict(f"Leveling run {run.pk} is {run.get_status_display().lower()}.")
        if plan_fingerprint(project) != run.result.get("fingerprint"):
            raise Conflict(
                f"The plan changed since leveling run {run.pk} was previewed; preview again."
            )
        previous = _holds_now(project)
        new = {pk: [run.pk, start] for pk, start in run.holds.items()}
        _holds_write(project, new)
        run.status = LevelingStatus.APPLIED
        run.applied_at = timezone.now()
        run.result = {**run.result, "previous_holds": previous}
        run.save(update_fields=["status", "applied_at", "result"])
        plan = work_reschedule(project=project)
        audit_record(
            actor=actor,
            action="leveling.apply",
            obj=run,
            project=project,
            changes={
                "holds": [previous, new],
                "finish": [run.result.get("finish_before"), _iso(plan.finish())],
            },
        )
    return run


def leveling_undo(*, actor: Any, run: LevelingRun) -> LevelingRun:
    """Undo the latest applied leveling: the holds before it come back and the plan
    reschedules."""
    with transaction.atomic():
        run = _run_locked(run)
        project = run.project
        resource_check(user=actor, project=project, action="level")
        if run.status != LevelingStatus.APPLIED:
            raise Conflict(f"Leveling run {run.pk} is not applied; only an applied run is undone.")
        latest = (
            LevelingRun.objects.filter(project=project, status=LevelingStatus.APPLIED)
            .order_by("-applied_at", "-id")
            .first()
        )
        if latest is not None and latest.pk != run.pk:
            raise Conflict(
                f"Leveling run {latest.pk} was applied after run {run.pk}; undo it first."
            )
        current = _holds_now(project)
        previous = run.result.get("previous_holds", {})
        _holds_write(project, previous)
        run.status = LevelingStatus.UNDONE
        run.undone_at = timezone.now()
        run.save(update_fields=["status", "undone_at"])
        plan = work_reschedule(project=project)
        audit_record(
            actor=actor,
            action="leveling.undo",
            obj=run,
            project=project,
            changes={"holds": [current, previous], "finish": [None, _iso(plan.finish())]},
        )
    return run


def leveling_discard(*, actor: Any, run: LevelingRun) -> LevelingRun:
    """Throw a preview away."""
    with transaction.atomic():
        run = _run_locked(run)
        project = run.project
        resource_check(user=actor, project=project, action="level")
        if run.status != LevelingStatus.PREVIEW:
            raise Conflict(
                f"Leveling run {run.pk} is {run.get_status_display().lower()}; only a preview "
                "is discarded."
            )
        run.status = LevelingStatus.DISCARDED
        run.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="leveling.discard",
            obj=run,
            project=project,
            changes={"status": [LevelingStatus.PREVIEW, LevelingStatus.DISCARDED]},
        )
    return run


__all__ = [
    "LEVELING",
    "assignment_create",
    "assignment_delete",
    "assignment_update",
    "leveling_apply",
    "leveling_discard",
    "leveling_preview",
    "leveling_undo",
    "plan_fingerprint",
    "procurement_item_create",
    "procurement_item_delete",
    "procurement_item_update",
    "resource_create",
    "resource_delete",
    "resource_settings_update",
    "resource_update",
    "skill_remove",
    "skill_set",
    "time_off_add",
    "time_off_remove",
]
