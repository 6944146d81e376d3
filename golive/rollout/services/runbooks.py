"""Writes on runbooks and their steps: create, edit, delete, and import a whole step list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max

from golive.accounts.models import User
from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import version_check
from golive.projects.models import Membership, Project, Role
from golive.projects.services import member_resolve, user_resolve
from golive.resources.models import Resource, ResourceKind
from golive.rollout.access import rollout_check
from golive.rollout.models import (
    Communication,
    MigrationCheck,
    Runbook,
    RunbookKind,
    Step,
    StepKind,
    Wave,
)
from golive.scheduling import CycleError, Dependency, Network, Task
from golive.scheduling.cpm import topological_order

RUNBOOK_FIELDS = [
    "name",
    "title",
    "kind",
    "description",
    "wave",
    "rollback_plan",
    "trigger_conditions",
    "rto_minutes",
    "owner",
]
RUNBOOK_UPDATABLE = set(RUNBOOK_FIELDS)

STEP_FIELDS = [
    "key",
    "title",
    "kind",
    "instructions",
    "position",
    "owner",
    "owner_team",
    "duration_minutes",
    "offset_minutes",
    "expected_value",
    "migration_check",
    "communication",
]
STEP_UPDATABLE = set(STEP_FIELDS) | {"depends_on", "approvers"}


# --- resolving references ------------------------------------------------------------------


RowT = TypeVar("RowT", bound=models.Model)


def _wave_resolve(project: Project, value: Wave | int | str | None) -> Wave | None:
    if value is None or value == "":
        return None
    if isinstance(value, Wave):
        wave = value if value.project_id == project.pk else None
    elif isinstance(value, int):
        wave = Wave.objects.filter(project=project, pk=value).first()
    else:
        wave = Wave.objects.filter(project=project, slug=value).first()
    if wave is None:
        raise ValidationError({"wave": f"{project.key} has no wave {value}."})
    return wave


def _rollback_plan_resolve(
    project: Project, value: Runbook | int | str | None, *, runbook: Runbook | None
) -> Runbook | None:
    if value is None or value == "":
        return None
    if isinstance(value, Runbook):
        plan = value if value.project_id == project.pk else None
    elif isinstance(value, int):
        plan = Runbook.objects.filter(project=project, pk=value).first()
    else:
        plan = Runbook.objects.filter(project=project, name=value).first()
    if plan is None:
        raise ValidationError({"rollback_plan": f"{project.key} has no runbook {value}."})
    if plan.kind != RunbookKind.ROLLBACK:
        raise ValidationError(
            {
                "rollback_plan": (
                    f"{plan.name} is a {plan.get_kind_display().lower()} runbook; a rollback "
                    "plan is a runbook of kind rollback."
                )
            }
        )
    if runbook is not None and plan.pk == runbook.pk:
        raise ValidationError({"rollback_plan": "A runbook cannot be its own rollback plan."})
    return plan


def _project_row(
    model: type[RowT], project: Project, value: RowT | int | str | None, *, field: str, what: str
) -> RowT | None:
    """Return the project's `model` row given as an instance, an id or a name (None for none)."""
    if value is None or value == "":
        return None
    if isinstance(value, model):
        found = value if getattr(value, "project_id", None) == project.pk else None
    elif isinstance(value, int):
        found = model._default_manager.filter(project=project, pk=value).first()
    else:
        found = model._default_manager.filter(project=project, name=value).first()
    if found is None:
        raise ValidationError({field: f"{project.key} has no {what} {value}."})
    return found


def _team_resolve(project: Project, value: Resource | int | str | None) -> Resource | None:
    team = _project_row(Resource, project, value, field="owner_team", what="resource")
    if team is not None and team.kind != ResourceKind.TEAM:
        raise ValidationError(
            {"owner_team": f"{team.name} is a {team.get_kind_display().lower()}, not a team."}
        )
    return team


def _check_resolve(
    project: Project, value: MigrationCheck | int | str | None
) -> MigrationCheck | None:
    return _project_row(
        MigrationCheck, project, value, field="migration_check", what="migration check"
    )


def _communication_resolve(
    project: Project, value: Communication | int | str | None
) -> Communication | None:
    return _project_row(Communication, project, value, field="communication", what="communication")


def _approvers_resolve(project: Project, values: Iterable[User | str]) -> list[User]:
    users: dict[int, User] = {}
    for value in values:
        user = user_resolve(value, field="approvers")
        if user is not None:
            users[user.pk] = user
    if not users:
        return []
    roles = dict(
        Membership.objects.filter(project=project, user_id__in=list(users)).values_list(
            "user_id", "role"
        )
    )
    outside = [u.username for pk, u in users.items() if pk not in roles]
    if outside:
        raise ValidationError(
            {"approvers": f"{', '.join(sorted(outside))} is not a member of {project.key}."}
        )
    low = [u.username for pk, u in users.items() if roles[pk] < Role.APPROVER]
    if low:
        raise ValidationError(
            {
                "approvers": (
                    f"{', '.join(sorted(low))} does not have the approver role in {project.key}; "
                    "only approvers and managers can decide at a decision point."
                )
            }
        )
    return list(users.values())


def _int_or_none(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError({field: f"{value!r} is not a whole number of minutes."})
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: f"{value!r} is not a whole number of minutes."}) from None


# --- rules ---------------------------------------------------------------------------------


def _runbook_rules(runbook: Runbook) -> None:
    if runbook.kind == RunbookKind.ROLLBACK and runbook.rto_minutes is None:
        raise ValidationError(
            {"rto_minutes": "A rollback plan needs its recovery-time objective (RTO) in minutes."}
        )
    if runbook.pk is not None and runbook.kind != RunbookKind.ROLLBACK:
        protected = sorted(runbook.protects.values_list("name", flat=True))
        if protected:
            raise ValidationError(
                {
                    "kind": (
                        f"{runbook.name} is the rollback plan of {', '.join(protected)}; it "
                        "stays of kind rollback while they name it."
                    )
                }
            )
    if runbook.pk is not None and runbook.rollback_plan_id is None:
        triggers = sorted(
            runbook.steps.filter(kind=StepKind.ROLLBACK_TRIGGER).values_list("key", flat=True)
        )
        if triggers:
            raise ValidationError(
                {
                    "rollback_plan": (
                        f"Steps {', '.join(triggers)} are rollback triggers; they need the "
                        "runbook's rollback plan."
                    )
                }
            )


def _step_rules(
    runbook: Runbook,
    *,
    kind: str,
    expected_value: str,
    migration_check: MigrationCheck | None,
    communication: Communication | None,
    approvers: list[User],
) -> None:
    if kind not in StepKind.values:
        raise ValidationError(
            {"kind": f"{kind!r} is not a step kind; use one of {', '.join(StepKind.values)}."}
        )
    if kind == StepKind.DECISION and not approvers:
        raise ValidationError(
            {"approvers": "A decision point needs at least one approver (approver role)."}
        )
    if kind == StepKind.CHECK and not expected_value.strip() and migration_check is None:
        raise ValidationError(
            {"expected_value": "A check needs an expected value or a migration check to run."}
        )
    if kind == StepKind.COMMUNICATION and communication is None:
        raise ValidationError(
            {"communication": "A communication step needs a communication of the project."}
        )
    if kind == StepKind.ROLLBACK_TRIGGER and runbook.rollback_plan_id is None:
        raise ValidationError(
            {
                "kind": (
                    f"A rollback trigger needs the runbook's rollback plan; {runbook.name} has "
                    "none. Set its rollback plan first."
                )
            }
        )


def _cycle_check(edges: Mapping[str, Iterable[str]]) -> None:
    """Refuse a dependency graph (key -> keys it depends on) that has a cycle, naming it."""
    for key, preds in edges.items():
        if key in set(preds):
            raise ValidationError({"depends_on": f"Step {key} cannot depend on itself."})
    network = Network(
        [Task(id=key) for key in edges],
        [
            Dependency(predecessor=p, successor=key)
            for key, preds in edges.items()
            for p in set(preds)
            if p in edges
        ],
    )
    try:
        topological_order(network)
    except CycleError as exc:
        chain = " → ".join([*exc.task_ids, exc.task_ids[0]])
        raise ValidationError(
            {"depends_on": f"These dependencies form a cycle: {chain}. Remove one of them."}
        ) from None


def _predecessors_resolve(runbook: Runbook, values: Iterable[Step | int | str]) -> list[Step]:
    found: dict[int, Step] = {}
    missing: list[str] = []
    for value in values:
        if isinstance(value, Step):
            step = value if value.runbook_id == runbook.pk else None
            label = value.key
        elif isinstance(value, int):
            step = Step.objects.filter(runbook=runbook, pk=value).first()
            label = str(value)
        else:
            step = Step.objects.filter(runbook=runbook, key=value).first()
            label = str(value)
        if step is None:
            missing.append(label)
        else:
            found[step.pk] = step
    if missing:
        raise ValidationError(
            {
                "depends_on": (
                    f"{runbook.name} has no step {', '.join(missing)}; a step depends only on "
                    "steps of its own runbook."
                )
            }
        )
    return list(found.values())


def _edges(runbook: Runbook) -> dict[str, list[str]]:
    edges: dict[str, list[str]] = {key: [] for key in runbook.steps.values_list("key", flat=True)}
    links = Step.depends_on.through.objects.filter(from_step__runbook=runbook).values_list(
        "from_step__key", "to_step__key"
    )
    for successor, predecessor in links:
        edges[successor].append(predecessor)
    return edges


def _step_links(step: Step) -> dict[str, Any]:
    return {
        "depends_on": sorted(step.depends_on.values_list("key", flat=True)),
        "approvers": sorted(step.approvers.values_list("username", flat=True)),
    }


# --- runbooks ------------------------------------------------------------------------------


def _runbook_locked(runbook: Runbook) -> Runbook:
    return (
        Runbook.objects.select_for_update(of=("self",)).select_related("project").get(pk=runbook.pk)
    )


def runbook_create(
    *,
    actor: User,
    project: Project,
    name: str,
    title: str,
    owner: User | str,
    kind: str = "cutover",
    description: str = "",
    wave: Wave | int | str | None = None,
    rollback_plan: Runbook | int | str | None = None,
    trigger_conditions: str = "",
    rto_minutes: int | None = None,
) -> Runbook:
    """Create a runbook (a cutover, deployment or rollback plan) owned by a project member."""
    with transaction.atomic():
        rollout_check(user=actor, project=project, action="plan")
        if kind not in RunbookKind.values:
            raise ValidationError(
                {"kind": f"{kind!r} is not a runbook kind; use {', '.join(RunbookKind.values)}."}
            )
        owner_user = member_resolve(project, owner, field="owner")
        if owner_user is None:
            raise ValidationError({"owner": "A runbook needs an owner (a project member)."})
        runbook = Runbook(
            project=project,
            name=(name or "").strip(),
            title=(title or "").strip(),
            kind=kind,
            description=description or "",
            wave=_wave_resolve(project, wave),
            rollback_plan=_rollback_plan_resolve(project, rollback_plan, runbook=None),
            trigger_conditions=trigger_conditions or "",
            rto_minutes=_int_or_none(rto_minutes, "rto_minutes"),
            owner=owner_user,
        )
        _runbook_rules(runbook)
        runbook.full_clean()
        runbook.save()
        audit_record(
            actor=actor,
            action="runbook.create",
            obj=runbook,
            project=project,
            changes=audit_diff({}, audit_snapshot(runbook, RUNBOOK_FIELDS)),
        )
    return runbook


def runbook_update(
    *, actor: User, runbook: Runbook, version: int | None = None, **fields: Any
) -> Runbook:
    """Edit a runbook; a rollback plan keeps its RTO, and rollback triggers keep their plan."""
    unknown = set(fields) - RUNBOOK_UPDATABLE
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    with transaction.atomic():
        runbook = _runbook_locked(runbook)
        project = runbook.project
        rollout_check(user=actor, project=project, action="plan")
        version_check(runbook, version, what=f"Runbook {runbook.name}")
        before = audit_snapshot(runbook, RUNBOOK_FIELDS)
        for text in ("name", "title"):
            if text in fields:
                setattr(runbook, text, (fields[text] or "").strip())
        for text in ("description", "trigger_conditions"):
            if text in fields:
                setattr(runbook, text, fields[text] or "")
        if "kind" in fields:
            if fields["kind"] not in RunbookKind.values:
                kinds = ", ".join(RunbookKind.values)
                raise ValidationError(
                    {"kind": f"{fields['kind']!r} is not a runbook kind; use one of {kinds}."}
                )
            runbook.kind = fields["kind"]
        if "owner" in fields:
            owner_user = member_resolve(project, fields["owner"], field="owner")
            if owner_user is None:
                raise ValidationError({"owner": "A runbook needs an owner (a project member)."})
            runbook.owner = owner_user
        if "wave" in fields:
            runbook.wave = _wave_resolve(project, fields["wave"])
        if "rollback_plan" in fields:
            runbook.rollback_plan = _rollback_plan_resolve(
                project, fields["rollback_plan"], runbook=runbook
            )
        if "rto_minutes" in fields:
            runbook.rto_minutes = _int_or_none(fields["rto_minutes"], "rto_minutes")
        _runbook_rules(runbook)
        runbook.full_clean()
        changes = audit_diff(before, audit_snapshot(runbook, RUNBOOK_FIELDS))
        if changes:
            runbook.version += 1
            runbook.save()
            audit_record(
                actor=actor, action="runbook.update", obj=runbook, project=project, changes=changes
            )
    return runbook


def runbook_delete(*, actor: User, runbook: Runbook) -> None:
    """Delete a runbook that has never been run and that nothing else refers to."""
    with transaction.atomic():
        runbook = _runbook_locked(runbook)
        project = runbook.project
        rollout_check(user=actor, project=project, action="plan")
        runs = runbook.runs.count()
        if runs:
            raise ValidationError(
                {
                    "runbook": (
                        f"{runbook.name} has {runs} run{'s' if runs != 1 else ''}; a runbook that "
                        "has been run is kept as evidence."
                    )
                }
            )
        protected = sorted(runbook.protects.values_list("name", flat=True))
        if protected:
            raise ValidationError(
                {
                    "runbook": (
                        f"{runbook.name} is the rollback plan of {', '.join(protected)}; "
                        "choose another rollback plan for them first."
                    )
                }
            )
        messages = sorted(runbook.communications.values_list("name", flat=True))
        if messages:
            raise ValidationError(
                {
                    "runbook": (
                        f"Communications {', '.join(messages)} are anchored on {runbook.name}; "
                        "change or cancel them first."
                    )
                }
            )
        before = audit_snapshot(runbook, RUNBOOK_FIELDS)
        before["steps"] = list(runbook.steps.values_list("key", flat=True))
        audit_record(
            actor=actor,
            action="runbook.delete",
            obj=runbook,
            project=project,
            changes=audit_diff(before, {}),
        )
        runbook.delete()


# --- steps ---------------------------------------------------------------------------------


def _step_apply(
    step: Step, runbook: Runbook, fields: Mapping[str, Any]
) -> tuple[list[User] | None, list[Step] | None]:
    """Set `fields` on `step` (unsaved links returned: approvers, predecessors)."""
    project = runbook.project
    for text in ("key", "title"):
        if text in fields:
            setattr(step, text, (fields[text] or "").strip())
    if "instructions" in fields:
        step.instructions = fields["instructions"] or ""
    if "expected_value" in fields:
        step.expected_value = (fields["expected_value"] or "").strip()
    if "kind" in fields:
        step.kind = fields["kind"] or StepKind.MANUAL
    if "position" in fields and fields["position"] is not None:
        step.position = _int_or_none(fields["position"], "position") or 0
    if "duration_minutes" in fields:
        step.duration_minutes = _int_or_none(fields["duration_minutes"], "duration_minutes") or 0
    if "offset_minutes" in fields:
        step.offset_minutes = _int_or_none(fields["offset_minutes"], "offset_minutes")
    if "owner" in fields:
        step.owner = member_resolve(project, fields["owner"], field="owner")
    if "owner_team" in fields:
        step.owner_team = _team_resolve(project, fields["owner_team"])
    if "migration_check" in fields:
        step.migration_check = _check_resolve(project, fields["migration_check"])
    if "communication" in fields:
        step.communication = _communication_resolve(project, fields["communication"])
    approvers = (
        _approvers_resolve(project, list(fields["approvers"] or ()))
        if "approvers" in fields
        else None
    )
    predecessors = (
        _predecessors_resolve(runbook, list(fields["depends_on"] or ()))
        if "depends_on" in fields
        else None
    )
    return approvers, predecessors


def _step_validate(step: Step, runbook: Runbook, approvers: list[User]) -> None:
    _step_rules(
        runbook,
        kind=step.kind,
        expected_value=step.expected_value,
        migration_check=step.migration_check,
        communication=step.communication,
        approvers=approvers,
    )
    step.full_clean()


def _position_next(runbook: Runbook) -> int:
    highest = runbook.steps.aggregate(n=Max("position"))["n"]
    return 0 if highest is None else int(highest) + 1


def step_create(
    *,
    actor: User,
    runbook: Runbook,
    key: str,
    title: str,
    kind: str = "manual",
    duration_minutes: int = 0,
    offset_minutes: int | None = None,
    owner: User | str | None = None,
    owner_team: Resource | int | str | None = None,
    depends_on: Iterable[Step | int | str] = (),
    expected_value: str = "",
    approvers: Iterable[User | str] = (),
    migration_check: MigrationCheck | int | str | None = None,
    communication: Communication | int | str | None = None,
    instructions: str = "",
    position: int | None = None,
) -> Step:
    """Add a step to a runbook (at the end unless a position is given)."""
    with transaction.atomic():
        runbook = _runbook_locked(runbook)
        project = runbook.project
        rollout_check(user=actor, project=project, action="plan")
        step = Step(runbook=runbook)
        approver_list, predecessors = _step_apply(
            step,
            runbook,
            {
                "key": key,
                "title": title,
                "kind": kind,
                "duration_minutes": duration_minutes,
                "offset_minutes": offset_minutes,
                "owner": owner,
                "owner_team": owner_team,
                "expected_value": expected_value,
                "migration_check": migration_check,
                "communication": communication,
                "instructions": instructions,
                "approvers": approvers,
                "depends_on": depends_on,
            },
        )
        step.position = (
            _int_or_none(position, "position") or 0
            if position is not None
            else _position_next(runbook)
        )
        _step_validate(step, runbook, approver_list or [])
        step.save()
        step.approvers.set(approver_list or [])
        step.depends_on.set(predecessors or [])
        changes = audit_diff({}, audit_snapshot(step, STEP_FIELDS))
        changes.update(audit_diff({}, _step_links(step)))
        changes["runbook"] = [None, runbook.name]
        audit_record(actor=actor, action="step.create", obj=step, project=project, changes=changes)
    return step


def step_update(*, actor: User, step: Step, version: int | None = None, **fields: Any) -> Step:
    """Edit a step; new dependencies stay within the runbook and form no cycle."""
    unknown = set(fields) - STEP_UPDATABLE
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    with transaction.atomic():
        step = Step.objects.select_for_update().get(pk=step.pk)
        runbook = _runbook_locked(step.runbook)
        step.runbook = runbook
        project = runbook.project
        rollout_check(user=actor, project=project, action="plan")
        version_check(step, version, what=f"Step {step.key} of {runbook.name}")
        before = audit_snapshot(step, STEP_FIELDS)
        links_before = _step_links(step)
        approver_list, predecessors = _step_apply(step, runbook, fields)
        if approver_list is None:
            approver_list = list(step.approvers.all())
        _step_validate(step, runbook, approver_list)
        if predecessors is not None:
            edges = _edges(runbook)
            edges.pop(before["key"], None)
            if step.key != before["key"]:  # a renamed step keeps its successors
                edges = {
                    k: [step.key if p == before["key"] else p for p in preds]
                    for k, preds in edges.items()
                }
            edges[step.key] = [p.key for p in predecessors]
            _cycle_check(edges)
        changes = audit_diff(before, audit_snapshot(step, STEP_FIELDS))
        if "approvers" in fields:
            step.approvers.set(approver_list)
        if predecessors is not None:
            step.depends_on.set(predecessors)
        changes.update(audit_diff(links_before, _step_links(step)))
        if changes:
            step.version += 1
            step.save()
            audit_record(
                actor=actor, action="step.update", obj=step, project=project, changes=changes
            )
    return step


def step_delete(*, actor: User, step: Step) -> None:
    """Remove a step; steps that waited for it no longer do, and runs keep their copies."""
    with transaction.atomic():
        step = Step.objects.select_for_update().get(pk=step.pk)
        runbook = _runbook_locked(step.runbook)
        project = runbook.project
        rollout_check(user=actor, project=project, action="plan")
        before = audit_snapshot(step, STEP_FIELDS)
        before.update(_step_links(step))
        before["successors"] = sorted(step.successors.values_list("key", flat=True))
        audit_record(
            actor=actor,
            action="step.delete",
            obj=step,
            project=project,
            changes=audit_diff(before, {}),
        )
        step.delete()


def runbook_steps_replace(
    *, actor: User, runbook: Runbook, steps: list[dict[str, Any]]
) -> list[Step]:
    """Make `steps` the runbook's whole step list (by key: update, add, remove), all or nothing.

    Each dict takes the arguments of `step_create`; `depends_on` names keys of the list. Every
    error is reported, each naming its step; nothing is saved when there is one.
    """
    with transaction.atomic():
        runbook = _runbook_locked(runbook)
        project = runbook.project
        rollout_check(user=actor, project=project, action="plan")
        allowed = STEP_UPDATABLE
        errors: list[str] = []
        keys: list[str] = []
        for index, data in enumerate(steps):
            key = str((data or {}).get("key") or "").strip()
            label = f"Step {index + 1}" + (f" ({key})" if key else "")
            if not key:
                errors.append(f"{label}: key: Every step needs a key.")
            elif key in keys:
                errors.append(f"{label}: key: The key {key} appears more than once.")
            unknown = sorted(set(data or {}) - allowed)
            if unknown:
                errors.append(f"{label}: {', '.join(unknown)}: Not a step field.")
            keys.append(key)
        if errors:
            raise ValidationError({"steps": errors})
        key_set = set(keys)
        edges: dict[str, list[str]] = {}
        for index, data in enumerate(steps):
            preds = [str(getattr(p, "key", p)).strip() for p in data.get("depends_on") or ()]
            unknown_preds = [p for p in preds if p not in key_set]
            if unknown_preds:
                errors.append(
                    f"Step {index + 1} ({keys[index]}): depends_on: the list has no step "
                    f"{', '.join(unknown_preds)}; a step depends only on steps of its own runbook."
                )
            edges[keys[index]] = preds
        if errors:
            raise ValidationError({"steps": errors})
        try:
            _cycle_check(edges)
        except ValidationError as exc:
            raise ValidationError({"steps": exc.message_dict["depends_on"]}) from None

        existing = {s.key: s for s in runbook.steps.select_for_update()}
        before = {"steps": sorted(existing)}
        saved: list[tuple[Step, dict[str, Any], list[User]]] = []
        for index, data in enumerate(steps):
            label = f"Step {index + 1} ({keys[index]})"
            step = existing.get(keys[index]) or Step(runbook=runbook)
            fields = {k: v for k, v in data.items() if k != "depends_on"}
            fields.setdefault("position", index)
            try:
                approvers, _ = _step_apply(step, runbook, fields)
                if approvers is None:
                    approvers = list(step.approvers.all()) if step.pk else []
                _step_validate(step, runbook, approvers)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    where = "" if field == "__all__" else f"{field}: "
                    errors.append(f"{label}: {where}{' '.join(messages)}")
                continue
            saved.append((step, data, approvers))
        if errors:
            raise ValidationError({"steps": errors})

        removed = [s for key, s in existing.items() if key not in key_set]
        for step in removed:
            step.delete()
        by_key: dict[str, Step] = {}
        for step, _data, approvers in saved:
            if step.pk is not None:
                step.version += 1
            step.save()
            step.approvers.set(approvers)
            by_key[step.key] = step
        for step, _data, _approvers in saved:
            step.depends_on.set([by_key[p] for p in edges[step.key]])
        result = [step for step, _data, _approvers in saved]
        audit_record(
            actor=actor,
            action="runbook.steps_replace",
            obj=runbook,
            project=project,
            changes={
                "steps": [before["steps"], keys],
                "removed": [None, sorted(s.key for s in removed)] if removed else [None, []],
                "added": [None, sorted(k for k in keys if k not in existing)],
            },
        )
    return result
