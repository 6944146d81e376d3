"""Writes on the rollout plan and its waves (each wave with its go/no-go and hypercare-exit gates)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from golive.accounts.models import User
from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import Conflict, version_check
from golive.gates.models import Decision, Gate
from golive.gates.services import criterion_add, gate_create, gate_update
from golive.projects.models import Project
from golive.projects.services import member_resolve
from golive.rollout.access import rollout_check
from golive.rollout.models import (
    CohortKind,
    RolloutPlan,
    Strategy,
    Wave,
    WaveStatus,
)

PLAN_FIELDS = ["strategy", "notes"]
WAVE_FIELDS = [
    "name",
    "slug",
    "position",
    "is_pilot",
    "cohort_kind",
    "cohort",
    "headcount",
    "contact_emails",
    "owner",
    "planned_start",
    "planned_end",
    "status",
]
WAVE_UPDATABLE = {
    "name",
    "slug",
    "planned_start",
    "planned_end",
    "cohort_kind",
    "cohort",
    "headcount",
    "contact_emails",
    "owner",
    "position",
    "is_pilot",
}
# "hypercare-" + slug must fit a gate name (49 characters).
WAVE_SLUG_MAX = 39
GATE_TITLE_MAX = 120


def _strategy_of(project: Project) -> str:
    plan = RolloutPlan.objects.filter(project=project).first()
    return plan.strategy if plan is not None else Strategy.PHASED


def _strategy_check(strategy: str, waves: list[Wave]) -> None:
    """Refuse a set of (not cancelled) waves that the strategy does not allow."""
    active = sorted(
        (w for w in waves if w.status != WaveStatus.CANCELLED),
        key=lambda w: (w.position, w.planned_start, w.pk or 0),
    )
    if strategy == Strategy.FULL and len(active) > 1:
        names = ", ".join(w.name for w in active)
        raise ValidationError(
            {
                "strategy": (
                    f"A full rollout has one wave (everyone at once); this plan would have "
                    f"{len(active)}: {names}. Choose a phased or pilot strategy, or cancel waves."
                )
            }
        )
    if strategy == Strategy.PILOT and active and not active[0].is_pilot:
        raise ValidationError(
            {
                "is_pilot": (
                    f"A pilot rollout starts with the pilot wave; the first wave, "
                    f"{active[0].name!r}, is not marked as the pilot."
                )
            }
        )
    pilots = [w for w in active if w.is_pilot]
    if len(pilots) > 1:
        raise ValidationError(
            {
                "is_pilot": (
                    "Only one wave can be the pilot; marked: "
                    + ", ".join(w.name for w in pilots)
                    + "."
                )
            }
        )


def _emails_clean(values: Iterable[str], *, field: str) -> list[str]:
    emails: list[str] = []
    for raw in values or ():
        email = (raw or "").strip()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({field: f"{email!r} is not an e-mail address."}) from None
        if email.lower() not in {e.lower() for e in emails}:
            emails.append(email)
    return emails


def _owner_resolve(project: Project, value: User | str | None) -> User:
    owner = member_resolve(project, value, field="owner")
    if owner is None:
        raise ValidationError({"owner": "Name the wave's owner (a member of the project)."})
    return owner


def _wave_locked(wave: Wave) -> Wave:
    return (
        Wave.objects.select_for_update(of=("self",))
        .select_related("project", "gate", "exit_gate")
        .get(pk=wave.pk)
    )


def _schedule_wave_communications(wave_id: int) -> None:
    from golive.rollout.tasks import schedule_wave_communications  # tasks imports services

    schedule_wave_communications(wave_id)


def rollout_plan_set(
    *, actor: User, project: Project, strategy: str, notes: str = "", version: int | None = None
) -> RolloutPlan:
    """Set the project's rollout strategy and notes (the plan is created on first write)."""
    with transaction.atomic():
        rollout_check(user=actor, project=project, action="plan")
        plan = RolloutPlan.objects.select_for_update().filter(project=project).first()
        created = plan is None
        if plan is None:
            plan = RolloutPlan(project=project)
            before: dict[str, Any] = {}
        else:
            version_check(plan, version, what=f"The rollout plan of {project.key}")
            before = audit_snapshot(plan, PLAN_FIELDS)
        if strategy not in Strategy.values:
            raise ValidationError(
                {
                    "strategy": (
                        f"{strategy!r} is not a strategy; choose one of "
                        f"{', '.join(Strategy.values)}."
                    )
                }
            )
        _strategy_check(strategy, list(Wave.objects.filter(project=project)))
        plan.strategy = strategy
        plan.notes = notes or ""
        plan.full_clean()
        changes = audit_diff(before, audit_snapshot(plan, PLAN_FIELDS))
        if created:
            plan.save()
        elif changes:
            plan.version += 1
            plan.save()
        if changes:
            audit_record(
                actor=actor,
                action="rollout_plan.create" if created else "rollout_plan.update",
                obj=plan,
                project=project,
                changes=changes,
            )
    return plan


def wave_create(
    *,
    actor: User,
    project: Project,
    name: str,
    owner: User | str,
    planned_start: datetime,
    planned_end: datetime,
    slug: str = "",
    is_pilot: bool = False,
    cohort_kind: str = CohortKind.USER_GROUP,
    cohort: str = "",
    headcount: int = 0,
    contact_emails: Iterable[str] = (),
    approvers: list[User | str] | None = None,
    quorum: int = 1,
) -> Wave:
    """Create a wave with its go/no-go gate and its hypercare-exit gate."""
    with transaction.atomic():
        rollout_check(user=actor, project=project, action="plan")
        name = (name or "").strip()
        slug = (slug or "").strip() or slugify(name)[:WAVE_SLUG_MAX].strip("-")
        if len(slug) > WAVE_SLUG_MAX:
            raise ValidationError(
                {"slug": f"A wave's short name has at most {WAVE_SLUG_MAX} characters."}
            )
        last = (
            Wave.objects.filter(project=project)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        wave = Wave(
            project=project,
            name=name,
            slug=slug,
            position=(last or 0) + 1,
            is_pilot=bool(is_pilot),
            cohort_kind=cohort_kind,
            cohort=cohort or "",
            headcount=headcount,
            contact_emails=_emails_clean(contact_emails, field="contact_emails"),
            owner=_owner_resolve(project, owner),
            planned_start=planned_start,
            planned_end=planned_end,
        )
        wave.full_clean()
        _strategy_check(_strategy_of(project), [*Wave.objects.filter(project=project), wave])
        for gate_name in (f"wave-{slug}", f"hypercare-{slug}"):
            if Gate.objects.filter(project=project, name=gate_name).exists():
                raise ValidationError(
                    {"slug": f"{project.key} already has a gate called {gate_name!r}."}
                )
        gate_approvers: list[User | str] = (
            list(approvers) if approvers is not None else [project.manager]
        )
        gate = gate_create(
            actor=actor,
            project=project,
            name=f"wave-{slug}",
            title=f"Go/no-go: {name}"[:GATE_TITLE_MAX],
            description=f"Whether wave {name!r} may start.",
            quorum=quorum,
            approvers=gate_approvers,
        )
        criterion_add(
            actor=actor,
            gate=gate,
            key="no-blocking-defects",
            type_key="quality.no_open_defects",
            label="No open blocking defects",
            params={"severity": "high"},
        )
        exit_gate = gate_create(
            actor=actor,
            project=project,
            name=f"hypercare-{slug}",
            title=f"Hypercare exit: {name}"[:GATE_TITLE_MAX],
            description=f"Whether wave {name!r} may leave hypercare.",
            quorum=quorum,
            approvers=gate_approvers,
        )
        criterion_add(
            actor=actor,
            gate=exit_gate,
            key="hypercare-clean",
            type_key="rollout.wave_hypercare_clean",
            label="Hypercare clean",
            params={"wave": slug, "days": 7},
        )
        wave.gate = gate
        wave.exit_gate = exit_gate
        wave.save()
        audit_record(
            actor=actor,
            action="wave.create",
            obj=wave,
            project=project,
            changes=audit_diff({}, audit_snapshot(wave, WAVE_FIELDS)),
        )
    return wave


def wave_update(*, actor: User, wave: Wave, version: int | None = None, **fields: Any) -> Wave:
    """Change a wave's name, planned window, cohort, owner, position or pilot flag."""
    unknown = set(fields) - WAVE_UPDATABLE
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in sorted(unknown)})
    with transaction.atomic():
        wave = _wave_locked(wave)
        project = wave.project
        rollout_check(user=actor, project=project, action="plan")
        version_check(wave, version, what=f"Wave {wave.name!r}")
        if wave.status in (WaveStatus.COMPLETED, WaveStatus.CANCELLED):
            raise ValidationError(
                {"status": f"Wave {wave.name!r} is {wave.get_status_display().lower()}."}
            )
        if "slug" in fields and fields["slug"] != wave.slug and wave.gate_id is not None:
            raise ValidationError(
                {"slug": "The short name names the wave's gates and cannot change once they exist."}
            )
        before = audit_snapshot(wave, WAVE_FIELDS)
        for field_name, value in fields.items():
            if field_name == "owner":
                value = _owner_resolve(project, value)
            elif field_name == "contact_emails":
                value = _emails_clean(value, field="contact_emails")
            elif field_name in ("name", "cohort", "slug"):
                value = (value or "").strip()
            setattr(wave, field_name, value)
        wave.full_clean()
        if "position" in fields or "is_pilot" in fields:
            others = list(Wave.objects.filter(project=project).exclude(pk=wave.pk))
            _strategy_check(_strategy_of(project), [*others, wave])
        changes = audit_diff(before, audit_snapshot(wave, WAVE_FIELDS))
        if not changes:
            return wave
        wave.version += 1
        wave.save()
        if "name" in changes:
            for gate, prefix in ((wave.gate, "Go/no-go"), (wave.exit_gate, "Hypercare exit")):
                if gate is not None:
                    gate_update(actor=actor, gate=gate, title=f"{prefix}: {wave.name}"[:120])
        audit_record(actor=actor, action="wave.update", obj=wave, project=project, changes=changes)
        if "planned_start" in changes or "planned_end" in changes:
            transaction.on_commit(partial(_schedule_wave_communications, wave.pk))
    return wave


def wave_delete(*, actor: User, wave: Wave) -> None:
    """Delete a planned wave on which nothing was decided, with its two gates."""
    with transaction.atomic():
        wave = _wave_locked(wave)
        project = wave.project
        rollout_check(user=actor, project=project, action="plan")
        if wave.status != WaveStatus.PLANNED:
            raise ValidationError(
                {
                    "status": (
                        f"Wave {wave.name!r} is {wave.get_status_display().lower()}; only a planned "
                        "wave can be deleted (cancel it instead)."
                    )
                }
            )
        gates = [g for g in (wave.gate, wave.exit_gate) if g is not None]
        if Decision.objects.filter(gate__in=gates).exists():
            raise ValidationError(
                {
                    "wave": (
                        f"Decisions were taken on wave {wave.name!r}'s gates; they stay on record, "
                        "so cancel the wave instead."
                    )
                }
            )
        names = list(wave.communications.values_list("name", flat=True))
        if names:
            raise ValidationError(
                {
                    "wave": (
                        f"Wave {wave.name!r} has communications ({', '.join(names)}); delete or "
                        "move them first."
                    )
                }
            )
        audit_record(
            actor=actor,
            action="wave.delete",
            obj=wave,
            project=project,
            changes=audit_diff(audit_snapshot(wave, WAVE_FIELDS), {}),
        )
        wave.delete()
        for gate in gates:
            audit_record(
                actor=actor,
                action="gate.delete",
                obj=gate,
                project=project,
                changes={"name": [gate.name, None]},
            )
            gate.delete()


def _approved_decision(gate: Gate | None, *, wave: Wave, what: str) -> Decision:
    """Return the gate's approved latest go decision, or refuse saying what is missing."""
    if gate is None:
        raise ValidationError({"gate": f"Wave {wave.name!r} has no {what} gate."})
    decision = gate.latest_go_decision()
    if decision is None:
        raise ValidationError(
            {
                "gate": (
                    f"The {gate.title!r} gate ({gate.name}) has no decision yet: open a go "
                    "decision on it and have its approvers approve it."
                )
            }
        )
    if decision.status != Decision.Status.APPROVED:
        approved = decision.approvals.filter(verdict="approve").count()
        if decision.status == Decision.Status.PENDING:
            missing = f"awaits approval ({approved} of {decision.quorum} approvals)"
        else:
            missing = f"was {decision.get_status_display().lower()}; open a new one"
        raise ValidationError(
            {"gate": f"The latest decision on the {gate.title!r} gate ({gate.name}) {missing}."}
        )
    return decision


def _status_change(
    actor: User,
    wave: Wave,
    status: str,
    *,
    extra: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    old = wave.status
    wave.status = status
    for key, value in (extra or {}).items():
        setattr(wave, key, value)
    wave.version += 1
    wave.save()
    changes: dict[str, Any] = {"status": [old, status]}
    for key, value in (extra or {}).items():
        changes[key] = [None, value.pk if hasattr(value, "pk") else value]
    if reason:
        changes["reason"] = [None, reason]
    audit_record(
        actor=actor, action=f"wave.{status}", obj=wave, project=wave.project, changes=changes
    )


def _status_require(wave: Wave, allowed: tuple[str, ...], verb: str) -> None:
    if wave.status not in allowed:
        labels = " or ".join(WaveStatus(s).label.lower() for s in allowed)
        raise Conflict(
            f"Wave {wave.name!r} is {wave.get_status_display().lower()}; only a {labels} wave "
            f"can be {verb}."
        )


def wave_start(*, actor: User, wave: Wave) -> Wave:
    """Start a planned wave; its go/no-go gate's latest go decision must be approved."""
    with transaction.atomic():
        wave = _wave_locked(wave)
        rollout_check(user=actor, project=wave.project, action="plan")
        _status_require(wave, (WaveStatus.PLANNED,), "started")
        decision = _approved_decision(wave.gate, wave=wave, what="go/no-go")
        _status_change(
            actor,
            wave,
            WaveStatus.IN_PROGRESS,
            extra={"start_decision": decision, "started_at": timezone.now()},
        )
    return wave


def wave_hypercare(*, actor: User, wave: Wave) -> Wave:
    """Move a wave in progress into hypercare."""
    with transaction.atomic():
        wave = _wave_locked(wave)
        rollout_check(user=actor, project=wave.project, action="plan")
        _status_require(wave, (WaveStatus.IN_PROGRESS,), "moved into hypercare")
        _status_change(actor, wave, WaveStatus.HYPERCARE, extra={"hypercare_at": timezone.now()})
    return wave


def wave_complete(*, actor: User, wave: Wave) -> Wave:
    """Complete a wave in hypercare; its exit gate's latest go decision must be approved."""
    with transaction.atomic():
        wave = _wave_locked(wave)
        rollout_check(user=actor, project=wave.project, action="plan")
        _status_require(wave, (WaveStatus.HYPERCARE,), "completed")
        decision = _approved_decision(wave.exit_gate, wave=wave, what="hypercare-exit")
        _status_change(
            actor,
            wave,
            WaveStatus.COMPLETED,
            extra={"exit_decision": decision, "completed_at": timezone.now()},
        )
    return wave


def wave_cancel(*, actor: User, wave: Wave, reason: str) -> Wave:
    """Cancel a wave that is not completed, saying why."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the wave is cancelled."})
    with transaction.atomic():
        wave = _wave_locked(wave)
        rollout_check(user=actor, project=wave.project, action="plan")
        _status_require(
            wave,
            (WaveStatus.PLANNED, WaveStatus.IN_PROGRESS, WaveStatus.HYPERCARE),
            "cancelled",
        )
        _status_change(actor, wave, WaveStatus.CANCELLED, reason=reason.strip())
    return wave
