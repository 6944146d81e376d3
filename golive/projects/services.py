"""Writes on projects, memberships and success criteria."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from golive.accounts.models import User
from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import version_check
from golive.projects.access import (
    membership_check,
    project_check,
    project_roles_forget,
    success_criterion_check,
)
from golive.projects.models import Membership, Phase, Project, Role, SuccessCriterion

PROJECT_FIELDS = [
    "key",
    "name",
    "description",
    "sponsor",
    "manager",
    "time_zone",
    "planned_go_live",
    "phase",
]
CRITERION_FIELDS = ["metric", "target", "unit", "direction", "due_date", "owner"]


def user_resolve(value: User | str | None, *, field: str) -> User | None:
    """Return the active user meant by a username or instance, or a field error naming it."""
    if value is None or value == "":
        return None
    if isinstance(value, User):
        return value
    user = User.objects.filter(username=value, is_active=True).first()
    if user is None:
        raise ValidationError({field: f"There is no active user called {value!r}."})
    return user


def member_resolve(project: Project, value: User | str | None, *, field: str) -> User | None:
    """Return the user meant by `value` if they are a member of `project`, else a field error."""
    user = user_resolve(value, field=field)
    if user is None:
        return None
    if not Membership.objects.filter(project=project, user=user).exists():
        raise ValidationError({field: f"{user.username} is not a member of {project.key}."})
    return user


def _membership_upsert(*, actor: Any, project: Project, user: User, role: Role) -> Membership:
    membership = Membership.objects.filter(project=project, user=user).first()
    if membership is None:
        membership = Membership(project=project, user=user, role=role)
        membership.full_clean()
        membership.save()
        audit_record(
            actor=actor,
            action="membership.add",
            obj=membership,
            project=project,
            changes={"user": [None, user.username], "role": [None, int(role)]},
        )
    elif membership.role != role:
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action="membership.change",
            obj=membership,
            project=project,
            changes={"role": [old, int(role)]},
        )
    project_roles_forget(user)
    project_roles_forget(actor)
    return membership


def project_create(
    *,
    actor: User,
    key: str,
    name: str,
    description: str = "",
    time_zone: str = "UTC",
    planned_go_live: date | None = None,
    sponsor: User | str | None = None,
    manager: User | str | None = None,
) -> Project:
    """Create a project with its creator as a manager, its readiness checklist and gates."""
    from golive.gates.services import gate_create_readiness
    from golive.readiness.services import readiness_checklist_seed
    from golive.rollout.services.golive_gate import gate_create_go_live

    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied("Sign in to create a project.")
    if settings.GOLIVE_PROJECT_CREATE_STAFF_ONLY and not actor.is_staff:
        raise PermissionDenied("Only staff may create projects on this site.")
    key = (key or "").strip().upper()
    manager_user = user_resolve(manager, field="manager") or actor
    sponsor_user = user_resolve(sponsor, field="sponsor")
    project = Project(
        key=key,
        name=(name or "").strip(),
        description=description or "",
        time_zone=time_zone or "UTC",
        planned_go_live=planned_go_live,
        manager=manager_user,
        sponsor=sponsor_user,
    )
    if key and Project.objects.filter(key=key).exists():
        raise ValidationError({"key": f"A project with key {key} already exists."})
    project.full_clean()
    try:
        with transaction.atomic():
            project.save()
            audit_record(
                actor=actor,
                action="project.create",
                obj=project,
                project=project,
                changes=audit_diff({}, audit_snapshot(project, PROJECT_FIELDS)),
            )
            _membership_upsert(actor=actor, project=project, user=actor, role=Role.MANAGER)
            _membership_upsert(actor=actor, project=project, user=manager_user, role=Role.MANAGER)
            if sponsor_user is not None and sponsor_user.pk not in {actor.pk, manager_user.pk}:
                _membership_upsert(
                    actor=actor, project=project, user=sponsor_user, role=Role.APPROVER
                )
            readiness_checklist_seed(actor=actor, project=project)
            gate_create_readiness(actor=actor, project=project)
            gate_create_go_live(actor=actor, project=project)
    except IntegrityError:
        raise ValidationError({"key": f"A project with key {key} already exists."}) from None
    return project


def project_update(
    *, actor: User, project: Project, version: int | None = None, **fields: Any
) -> Project:
    """Change a project's name, description, sponsor, manager, time zone or go-live date."""
    allowed = {"name", "description", "sponsor", "manager", "time_zone", "planned_go_live"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        project_check(user=actor, project=project, action="edit")
        version_check(project, version, what=f"Project {project.key}")
        before = audit_snapshot(project, PROJECT_FIELDS)
        if "sponsor" in fields:
            project.sponsor = member_resolve(project, fields.pop("sponsor"), field="sponsor")
        if "manager" in fields:
            new_manager = member_resolve(project, fields.pop("manager"), field="manager")
            if new_manager is None:
                raise ValidationError({"manager": "A project always has a manager."})
            project.manager = new_manager
            _membership_upsert(actor=actor, project=project, user=new_manager, role=Role.MANAGER)
        for name, value in fields.items():
            setattr(project, name, "" if value is None and name == "description" else value)
        project.full_clean()
        changes = audit_diff(before, audit_snapshot(project, PROJECT_FIELDS))
        if changes:
            project.version += 1
            project.save()
            audit_record(
                actor=actor, action="project.update", obj=project, project=project, changes=changes
            )
    return project


def project_phase_advance(
    *, actor: User, project: Project, to_phase: str, version: int | None = None
) -> Project:
    """Move a project to the next phase; a phase that a gate opens needs an approved decision."""
    from golive.gates.selectors import gate_guarding_phase
    from golive.gates.services import gate_evaluate

    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        project_check(user=actor, project=project, action="advance_phase")
        version_check(project, version, what=f"Project {project.key}")
        _phase_step_check(project, to_phase)
        gate = gate_guarding_phase(project=project, phase=to_phase)
        if gate is not None:
            decision = gate.latest_go_decision()
            if decision is None or decision.status != "approved":
                evaluation = gate_evaluate(gate=gate)
                failing = [c for c in evaluation.criteria if not c.passed]
                if failing:
                    reasons = "; ".join(f"{c.label}: {c.detail}" for c in failing)
                    message = (
                        f"{project.key} cannot move to {Phase(to_phase).label.lower()}: "
                        f"the {gate.title} gate fails. {reasons}"
                    )
                else:
                    message = (
                        f"{project.key} cannot move to {Phase(to_phase).label.lower()} "
                        f"without an approved decision on the {gate.title} gate. The gate "
                        "passes: open a decision and collect the approvals."
                    )
                raise ValidationError({"phase": message})
        _phase_set(actor=actor, project=project, to_phase=to_phase)
    return project


def _phase_step_check(project: Project, to_phase: str) -> None:
    order = Phase.order()
    if to_phase not in order:
        raise ValidationError({"phase": f"{to_phase!r} is not a phase; use one of {order}."})
    current = order.index(project.phase)
    if order.index(to_phase) != current + 1:
        raise ValidationError(
            {
                "phase": (
                    f"{project.key} is in {Phase(project.phase).label.lower()}; it can only move to the "
                    f"next phase"
                    + (
                        f" ({Phase(order[current + 1]).label.lower()})."
                        if current + 1 < len(order)
                        else ", and it is closed."
                    )
                )
            }
        )


def _phase_set(*, actor: Any, project: Project, to_phase: str) -> None:
    old = project.phase
    project.phase = to_phase
    project.version += 1
    project.save(update_fields=["phase", "version", "updated_at"])
    audit_record(
        actor=actor,
        action="project.phase",
        obj=project,
        project=project,
        changes={"phase": [old, to_phase]},
    )


def project_phase_enter_by_decision(*, actor: Any, project: Project, to_phase: str) -> bool:
    """Move `project` into `to_phase` as the effect of an approved gate decision.

    Called by the gates service inside the decision's transaction, after the quorum was reached;
    does nothing (returns False) if the project is not in the phase just before.
    """
    order = Phase.order()
    if to_phase not in order or order.index(to_phase) != order.index(project.phase) + 1:
        return False
    _phase_set(actor=actor, project=project, to_phase=to_phase)
    return True


def membership_set(
    *, actor: User, project: Project, user: User | str, role: int | str
) -> Membership:
    """Add a member or change their role."""
    try:
        role_value = Role(int(role)) if str(role).isdigit() else Role[str(role).upper()]
    except (KeyError, ValueError):
        raise ValidationError(
            {"role": f"{role!r} is not a role; use viewer, contributor, approver or manager."}
        ) from None
    with transaction.atomic():
        membership_check(user=actor, project=project, action="manage")
        member = user_resolve(user, field="user")
        if member is None:
            raise ValidationError({"user": "Name the user to add."})
        if member.pk == project.manager_id and role_value != Role.MANAGER:
            raise ValidationError(
                {
                    "role": f"{member.username} is the project's manager; name "
                    "another manager before changing their role."
                }
            )
        return _membership_upsert(actor=actor, project=project, user=member, role=role_value)


def membership_remove(*, actor: User, project: Project, user: User | str) -> None:
    """Remove a member; the project's manager and sponsor must be reassigned first."""
    with transaction.atomic():
        membership_check(user=actor, project=project, action="manage")
        member = member_resolve(project, user, field="user")
        assert member is not None
        if member.pk in {project.manager_id, project.sponsor_id}:
            raise ValidationError(
                {
                    "user": f"{member.username} is the project's "
                    f"{'manager' if member.pk == project.manager_id else 'sponsor'}; "
                    "assign someone else first."
                }
            )
        membership = Membership.objects.get(project=project, user=member)
        audit_record(
            actor=actor,
            action="membership.remove",
            obj=membership,
            project=project,
            changes={"user": [member.username, None], "role": [membership.role, None]},
        )
        membership.delete()
        project_roles_forget(member)


def _decimal(value: Any, field: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{value!r} is not a number."}) from None
    if not result.is_finite():
        raise ValidationError({field: f"{value!r} is not a finite number."})
    return result


def success_criterion_create(
    *,
    actor: User,
    project: Project,
    metric: str,
    target: Any,
    direction: str,
    owner: User | str,
    unit: str = "",
    due_date: date | None = None,
) -> SuccessCriterion:
    """Define a success criterion; its owner must be a project member."""
    with transaction.atomic():
        success_criterion_check(user=actor, project=project, action="create")
        criterion = SuccessCriterion(
            project=project,
            metric=(metric or "").strip(),
            target=_decimal(target, "target"),
            unit=(unit or "").strip(),
            direction=direction,
            due_date=due_date,
            owner=member_resolve(project, owner, field="owner"),
        )
        criterion.full_clean()
        criterion.save()
        audit_record(
            actor=actor,
            action="success_criterion.create",
            obj=criterion,
            project=project,
            changes=audit_diff({}, audit_snapshot(criterion, CRITERION_FIELDS)),
        )
    return criterion


def success_criterion_update(
    *, actor: User, criterion: SuccessCriterion, version: int | None = None, **fields: Any
) -> SuccessCriterion:
    """Change a success criterion (metric, target, unit, direction, due date, owner)."""
    unknown = set(fields) - set(CRITERION_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    with transaction.atomic():
        criterion = (
            SuccessCriterion.objects.select_for_update()
            .select_related("project")
            .get(pk=criterion.pk)
        )
        project = criterion.project
        success_criterion_check(user=actor, project=project, action="edit")
        version_check(criterion, version, what="This success criterion")
        before = audit_snapshot(criterion, CRITERION_FIELDS)
        if "owner" in fields:
            owner = member_resolve(project, fields.pop("owner"), field="owner")
            if owner is None:
                raise ValidationError({"owner": "Every success criterion has an owner."})
            criterion.owner = owner
        if "target" in fields:
            criterion.target = _decimal(fields.pop("target"), "target")
        for name, value in fields.items():
            setattr(criterion, name, value.strip() if isinstance(value, str) else value)
        criterion.full_clean()
        changes = audit_diff(before, audit_snapshot(criterion, CRITERION_FIELDS))
        if changes:
            criterion.version += 1
            criterion.save()
            audit_record(
                actor=actor,
                action="success_criterion.update",
                obj=criterion,
                project=project,
                changes=changes,
            )
    return criterion


def success_criterion_delete(
    *, actor: User, criterion: SuccessCriterion, version: int | None = None
) -> None:
    """Delete a success criterion."""
    with transaction.atomic():
        criterion = (
            SuccessCriterion.objects.select_for_update()
            .select_related("project")
            .get(pk=criterion.pk)
        )
        success_criterion_check(user=actor, project=criterion.project, action="delete")
        version_check(criterion, version, what="This success criterion")
        audit_record(
            actor=actor,
            action="success_criterion.delete",
            obj=criterion,
            project=criterion.project,
            changes=audit_diff(audit_snapshot(criterion, CRITERION_FIELDS), {}),
        )
        criterion.delete()
