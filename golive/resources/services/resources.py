"""Writes on resources, their skills, time off and the project's resource settings.

Also the argument checks the other service modules share (unknown fields, levels, skills).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import version_check
from golive.projects.models import Project
from golive.projects.services import member_resolve
from golive.resources.access import resource_check
from golive.resources.models import (
    Resource,
    ResourceKind,
    ResourceSettings,
    ResourceSkill,
    Skill,
    TimeOff,
)
from golive.resources.planning import package_label

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
