"""Writes on assignments: who works on a package, at what units, for how much work.

Effort-driven assignments fix the work; the package's duration follows (the plan reschedules
through `golive.work.services.work_package_update` in the same transaction).
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import version_check
from golive.projects.models import Project
from golive.resources.access import resource_check
from golive.resources.models import Assignment, Resource, ResourceSkill, Skill
from golive.resources.planning import package_label
from golive.resources.services.resources import _clean, _level, _skill_of, _unknown
from golive.work.models import WorkPackage
from golive.work.services import work_package_update

ASSIGNMENT_FIELDS = ["units", "work", "effort_driven", "skill", "skill_level"]


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
