"""Writes on gates: configuration, evaluation, decisions, approvals and waivers."""

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from golive.accounts.models import User
from golive.audit.services import audit_record
from golive.errors import Conflict, version_check
from golive.gates.access import gate_check
from golive.gates.models import Approval, Criterion, Decision, Gate
from golive.gates.registry import criterion_type_get, params_validate
from golive.projects.access import project_role
from golive.projects.models import Membership, Phase, Project, Role
from golive.projects.services import project_phase_enter_by_decision, user_resolve

READINESS_GATE = "readiness"


@dataclass
class CriterionResult:
    """One criterion's verdict in an evaluation."""

    key: str
    label: str
    type: str
    passed: bool
    detail: str
    evidence: list[dict[str, str]] = field(default_factory=list)
    waived: bool = False
    waiver_id: int | None = None


@dataclass
class Evaluation:
    """A gate's verdict over the current evidence."""

    project: str
    gate: str
    title: str
    passed: bool
    evaluated_at: datetime
    criteria: list[CriterionResult]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["evaluated_at"] = self.evaluated_at.isoformat()
        return data

    @property
    def failing(self) -> list[CriterionResult]:
        return [c for c in self.criteria if not c.passed]


def _active_waivers(gate: Gate) -> dict[str, Decision]:
    waivers = gate.decisions.filter(
        kind=Decision.Kind.WAIVER, status=Decision.Status.APPROVED, revoked_by__isnull=True
    ).select_related("opened_by")
    return {w.criterion_key: w for w in waivers}


def gate_evaluate(*, gate: Gate) -> Evaluation:
    """Evaluate every criterion of `gate` over the evidence as it stands now.

    The caller has checked that the user may view the gate.
    """
    project = gate.project
    waivers = _active_waivers(gate)
    results = []
    for criterion in gate.criteria.all():
        ctype = criterion_type_get(criterion.type_key)
        if ctype is None:
            outcome_passed, detail, evidence = (
                False,
                f"criterion type {criterion.type_key!r} is not installed.",
                [],
            )
        else:
            outcome = ctype.evaluate(project, ctype.params_model.model_validate(criterion.params))
            outcome_passed, detail = outcome.passed, outcome.detail
            evidence = [{"label": e.label, "url": e.url} for e in outcome.evidence]
        result = CriterionResult(
            criterion.key, criterion.label, criterion.type_key, outcome_passed, detail, evidence
        )
        waiver = waivers.get(criterion.key)
        if waiver is not None and not outcome_passed:
            result.passed = True
            result.waived = True
            result.waiver_id = waiver.pk
            result.detail = (
                f"Waived by {waiver.opened_by.username} on "
                f"{waiver.opened_at:%Y-%m-%d}: {waiver.reason} (fails: {detail})"
            )
        results.append(result)
    passed = bool(results) and all(r.passed for r in results)
    return Evaluation(project.key, gate.name, gate.title, passed, timezone.now(), results)


def _approvers_resolve(project: Project, approvers: list[User | str]) -> list[User]:
    users: list[User] = []
    for value in approvers:
        user = user_resolve(value, field="approvers")
        assert user is not None
        role = project_role(user=user, project=project)
        if role is None or role < Role.APPROVER:
            raise ValidationError(
                {
                    "approvers": (
                        f"{user.username} cannot approve in {project.key}: named approvers need the "
                        "approver or manager role."
                    )
                }
            )
        if user.pk not in {u.pk for u in users}:
            users.append(user)
    return users


def _quorum_check(quorum: int, approvers: list[User]) -> None:
    if quorum < 1:
        raise ValidationError({"quorum": "The quorum is at least 1."})
    if quorum > len(approvers):
        raise ValidationError(
            {
                "quorum": (
                    f"A quorum of {quorum} needs at least {quorum} named approvers; "
                    f"{len(approvers)} named."
                )
            }
        )


def gate_create(
    *,
    actor: User,
    project: Project,
    name: str,
    title: str,
    description: str = "",
    quorum: int = 1,
    approvers: list[User | str] | None = None,
    opens_phase: str = "",
    is_system: bool = False,
) -> Gate:
    """Create a gate with its named approvers and quorum."""
    with transaction.atomic():
        gate_check(user=actor, project=project, action="configure")
        users = _approvers_resolve(project, approvers or [])
        _quorum_check(quorum, users)
        gate = Gate(
            project=project,
            name=(name or "").strip(),
            title=(title or "").strip(),
            description=description or "",
            quorum=quorum,
            opens_phase=opens_phase or "",
            is_system=is_system,
        )
        gate.full_clean()
        gate.save()
        gate.approvers.set(users)
        audit_record(
            actor=actor,
            action="gate.create",
            obj=gate,
            project=project,
            changes={
                "name": [None, gate.name],
                "title": [None, gate.title],
                "quorum": [None, quorum],
                "approvers": [None, [u.username for u in users]],
                "opens_phase": [None, gate.opens_phase],
            },
        )
    return gate


def gate_create_readiness(*, actor: User, project: Project) -> Gate:
    """Create the readiness gate: checklist complete and success criteria defined."""
    gate = gate_create(
        actor=actor,
        project=project,
        name=READINESS_GATE,
        title="Readiness",
        description="Core inputs are ready before implementation begins.",
        quorum=1,
        approvers=[project.manager],
        opens_phase=Phase.EXECUTION,
        is_system=True,
    )
    criterion_add(
        actor=actor,
        gate=gate,
        key="checklist",
        type_key="readiness.checklist_complete",
        label="Readiness checklist complete",
        locked=True,
    )
    criterion_add(
        actor=actor,
        gate=gate,
        key="success-criteria",
        type_key="projects.success_criteria_defined",
        label="Success criteria defined",
        params={"minimum": 1},
        locked=True,
    )
    return gate


def gate_update(*, actor: User, gate: Gate, version: int | None = None, **fields: Any) -> Gate:
    """Change a gate's title, description, named approvers or quorum."""
    unknown = set(fields) - {"title", "description", "approvers", "quorum"}
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    with transaction.atomic():
        gate = Gate.objects.select_for_update().select_related("project").get(pk=gate.pk)
        project = gate.project
        gate_check(user=actor, project=project, action="configure")
        version_check(gate, version, what=f"The {gate.title} gate")
        old_approvers = [u.username for u in gate.approvers.order_by("username")]
        changes: dict[str, list[Any]] = {}
        users = None
        if "approvers" in fields:
            users = _approvers_resolve(project, fields["approvers"] or [])
            new_names = sorted(u.username for u in users)
            if new_names != old_approvers:
                changes["approvers"] = [old_approvers, new_names]
        quorum = int(fields.get("quorum", gate.quorum))
        _quorum_check(quorum, users if users is not None else list(gate.approvers.all()))
        if quorum != gate.quorum:
            changes["quorum"] = [gate.quorum, quorum]
            gate.quorum = quorum
        for name in ("title", "description"):
            if name in fields and fields[name] != getattr(gate, name):
                changes[name] = [getattr(gate, name), fields[name]]
                setattr(gate, name, fields[name])
        gate.full_clean()
        if changes:
            gate.version += 1
            gate.save()
            if users is not None:
                gate.approvers.set(users)
            audit_record(
                actor=actor, action="gate.update", obj=gate, project=project, changes=changes
            )
    return gate


def criterion_add(
    *,
    actor: User,
    gate: Gate,
    key: str,
    type_key: str,
    label: str = "",
    params: dict[str, Any] | None = None,
    locked: bool = False,
) -> Criterion:
    """Add a criterion of a registered type to a gate."""
    with transaction.atomic():
        gate_check(user=actor, project=gate.project, action="configure")
        if gate.criteria.filter(key=(key or "").strip()).exists():
            raise ValidationError(
                {"key": f"The {gate.title} gate already has a criterion {key!r}."}
            )
        clean_params = params_validate(type_key, params)
        ctype = criterion_type_get(type_key)
        assert ctype is not None
        position = (
            gate.criteria.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
        criterion = Criterion(
            gate=gate,
            key=(key or "").strip(),
            type_key=type_key,
            label=(label or "").strip() or ctype.label,
            params=clean_params,
            position=position,
            locked=locked,
        )
        criterion.full_clean()
        criterion.save()
        audit_record(
            actor=actor,
            action="criterion.add",
            obj=criterion,
            project=gate.project,
            changes={
                "gate": [None, gate.name],
                "key": [None, criterion.key],
                "type": [None, type_key],
                "params": [None, clean_params],
            },
        )
    return criterion


def criterion_remove(*, actor: User, criterion: Criterion) -> None:
    """Remove a criterion a manager added; a gate's own criteria stay."""
    with transaction.atomic():
        gate = criterion.gate
        gate_check(user=actor, project=gate.project, action="configure")
        if criterion.locked:
            raise ValidationError(
                {
                    "key": (
                        f"{criterion.label!r} is part of the {gate.title} gate's definition and cannot be "
                        "removed; waive it with a reason instead."
                    )
                }
            )
        audit_record(
            actor=actor,
            action="criterion.remove",
            obj=criterion,
            project=gate.project,
            changes={
                "gate": [gate.name, None],
                "key": [criterion.key, None],
                "type": [criterion.type_key, None],
            },
        )
        criterion.delete()


def decision_open(*, actor: User, gate: Gate, comment: str = "") -> Decision:
    """Open a go decision on a passing gate; its named approvers then give their verdicts."""
    with transaction.atomic():
        gate = Gate.objects.select_for_update().select_related("project").get(pk=gate.pk)
        project = gate.project
        gate_check(user=actor, project=project, action="open_decision")
        evaluation = gate_evaluate(gate=gate)
        if not evaluation.passed:
            raise ValidationError({"gate": _failing_message(gate, evaluation)})
        if gate.decisions.filter(kind=Decision.Kind.GO, status=Decision.Status.PENDING).exists():
            raise Conflict(
                f"A decision on the {gate.title} gate is already awaiting approval; "
                "withdraw it before opening another."
            )
        if gate.opens_phase and Phase.order().index(project.phase) >= Phase.order().index(
            gate.opens_phase
        ):
            raise ValidationError(
                {
                    "gate": (
                        f"{project.key} is already in {Phase(project.phase).label.lower()}; the "
                        f"{gate.title} gate has been passed."
                    )
                }
            )
        approvers = list(gate.approvers.all())
        # Named approvers may have been demoted or removed since the gate was configured.
        unable = [
            u.username
            for u in approvers
            if (project_role(user=u, project=project) or 0) < Role.APPROVER or not u.is_active
        ]
        if unable:
            raise ValidationError(
                {
                    "approvers": (
                        f"{', '.join(unable)} can no longer approve in {project.key}; update the "
                        f"{gate.title} gate's named approvers first."
                    )
                }
            )
        approver_ids = sorted(u.pk for u in approvers)
        if len(approver_ids) < gate.quorum:
            raise ValidationError(
                {
                    "approvers": (
                        f"The {gate.title} gate needs {gate.quorum} named approvers and has "
                        f"{len(approver_ids)}; name them in the gate's settings."
                    )
                }
            )
        decision = Decision(
            project=project,
            gate=gate,
            kind=Decision.Kind.GO,
            status=Decision.Status.PENDING,
            reason=comment or "",
            snapshot=evaluation.as_dict(),
            quorum=gate.quorum,
            approver_ids=approver_ids,
            opened_by=actor,
            opened_at=timezone.now(),
        )
        decision.full_clean()
        decision.save()
        audit_record(
            actor=actor,
            action="decision.open",
            obj=decision,
            project=project,
            changes={
                "gate": [None, gate.name],
                "status": [None, decision.status],
                "quorum": [None, decision.quorum],
            },
        )
    return decision


def _failing_message(gate: Gate, evaluation: Evaluation) -> str:
    reasons = "; ".join(f"{c.label}: {c.detail}" for c in evaluation.failing)
    return f"The {gate.title} gate does not pass. {reasons}"


def decision_vote(*, actor: User, decision: Decision, approve: bool, comment: str = "") -> Decision:
    """Record a named approver's verdict; at quorum the decision is approved and takes effect.

    When the final approval would approve a gate that no longer passes (the evidence changed
    since the decision opened), the approval is refused and nothing is recorded.
    """
    with transaction.atomic():
        decision = (
            Decision.objects.select_for_update()
            .select_related("gate", "project")
            .get(pk=decision.pk)
        )
        project = decision.project
        gate_check(user=actor, project=project, action="vote")
        if decision.kind != Decision.Kind.GO or decision.status != Decision.Status.PENDING:
            raise Conflict(
                f"This decision is {decision.get_status_display().lower()}; "
                "it takes no more verdicts."
            )
        if actor.pk not in decision.approver_ids:
            raise PermissionDenied(
                f"You are not one of the named approvers of this {decision.gate.title} decision."
            )
        if not approve and not (comment or "").strip():
            raise ValidationError({"comment": "Say why you reject the decision."})
        if decision.approvals.filter(approver=actor).exists():
            raise Conflict("You have already given your verdict on this decision.")
        verdict = Approval.Verdict.APPROVE if approve else Approval.Verdict.REJECT
        approval = Approval(
            decision=decision,
            approver=actor,
            verdict=verdict,
            comment=comment or "",
            at=timezone.now(),
        )
        try:
            with transaction.atomic():
                approval.save()
        except IntegrityError:
            raise Conflict("You have already given your verdict on this decision.") from None
        audit_record(
            actor=actor,
            action=f"decision.{verdict}",
            obj=decision,
            project=project,
            changes={"approver": [None, actor.username], "comment": [None, comment]},
        )
        approvals = decision.approvals.filter(verdict=Approval.Verdict.APPROVE).count()
        rejections = decision.approvals.filter(verdict=Approval.Verdict.REJECT).count()
        if approvals >= decision.quorum:
            evaluation = gate_evaluate(gate=decision.gate)
            if not evaluation.passed:
                raise ValidationError(
                    {
                        "gate": (
                            _failing_message(decision.gate, evaluation)
                            + " The evidence changed since the decision was opened: a manager should "
                            "withdraw it and open a new one."
                        )
                    }
                )
            _decision_close(actor, decision, Decision.Status.APPROVED)
            if decision.gate.opens_phase:
                project_phase_enter_by_decision(
                    actor=actor, project=project, to_phase=decision.gate.opens_phase
                )
        elif len(decision.approver_ids) - rejections < decision.quorum:
            _decision_close(actor, decision, Decision.Status.REJECTED)
    return decision


def _decision_close(actor: Any, decision: Decision, status: str) -> None:
    old = decision.status
    decision.status = status
    decision.closed_at = timezone.now()
    decision.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action=f"decision.{status}",
        obj=decision,
        project=decision.project,
        changes={"status": [old, status]},
    )


def decision_withdraw(*, actor: User, decision: Decision, reason: str) -> Decision:
    """Withdraw a pending go decision (for example after the evidence changed)."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the decision is withdrawn."})
    with transaction.atomic():
        decision = (
            Decision.objects.select_for_update().select_related("project").get(pk=decision.pk)
        )
        gate_check(user=actor, project=decision.project, action="withdraw_decision")
        if decision.status != Decision.Status.PENDING:
            raise Conflict(
                f"This decision is {decision.get_status_display().lower()}; only a "
                "pending decision can be withdrawn."
            )
        audit_record(
            actor=actor,
            action="decision.withdraw_reason",
            obj=decision,
            project=decision.project,
            changes={"reason": [None, reason]},
        )
        _decision_close(actor, decision, Decision.Status.WITHDRAWN)
    return decision


def waiver_create(*, actor: User, gate: Gate, criterion_key: str, reason: str) -> Decision:
    """Waive a failing criterion of a gate, recording who waived it and why."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "A waiver needs a reason."})
    with transaction.atomic():
        gate = Gate.objects.select_for_update().select_related("project").get(pk=gate.pk)
        gate_check(user=actor, project=gate.project, action="waive")
        if not gate.criteria.filter(key=criterion_key).exists():
            raise ValidationError(
                {"criterion": (f"The {gate.title} gate has no criterion {criterion_key!r}.")}
            )
        if criterion_key in _active_waivers(gate):
            raise Conflict(f"Criterion {criterion_key!r} is already waived.")
        evaluation = gate_evaluate(gate=gate)
        result = next(c for c in evaluation.criteria if c.key == criterion_key)
        if result.passed:
            raise ValidationError(
                {"criterion": (f"{result.label!r} passes; only a failing criterion can be waived.")}
            )
        decision = Decision(
            project=gate.project,
            gate=gate,
            kind=Decision.Kind.WAIVER,
            status=Decision.Status.APPROVED,
            criterion_key=criterion_key,
            reason=reason.strip(),
            snapshot=evaluation.as_dict(),
            quorum=1,
            approver_ids=[actor.pk],
            opened_by=actor,
            opened_at=timezone.now(),
            closed_at=timezone.now(),
        )
        decision.full_clean()
        decision.save()
        audit_record(
            actor=actor,
            action="waiver.create",
            obj=decision,
            project=gate.project,
            changes={"criterion": [None, criterion_key], "reason": [None, reason]},
        )
    return decision


def waiver_revoke(*, actor: User, waiver: Decision, reason: str) -> Decision:
    """Revoke a waiver; the criterion counts as failing again while it fails."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the waiver is revoked."})
    with transaction.atomic():
        waiver = (
            Decision.objects.select_for_update().select_related("gate", "project").get(pk=waiver.pk)
        )
        gate_check(user=actor, project=waiver.project, action="waive")
        if waiver.kind != Decision.Kind.WAIVER:
            raise ValidationError({"waiver": "Only a waiver can be revoked."})
        if Decision.objects.filter(revokes=waiver).exists():
            raise Conflict("This waiver has already been revoked.")
        revocation = Decision(
            project=waiver.project,
            gate=waiver.gate,
            kind=Decision.Kind.WAIVER_REVOCATION,
            status=Decision.Status.APPROVED,
            criterion_key=waiver.criterion_key,
            revokes=waiver,
            reason=reason.strip(),
            snapshot=gate_evaluate(gate=waiver.gate).as_dict(),
            quorum=1,
            approver_ids=[actor.pk],
            opened_by=actor,
            opened_at=timezone.now(),
            closed_at=timezone.now(),
        )
        revocation.full_clean()
        revocation.save()
        audit_record(
            actor=actor,
            action="waiver.revoke",
            obj=revocation,
            project=waiver.project,
            changes={"criterion": [waiver.criterion_key, None], "reason": [None, reason]},
        )
    return revocation


def approvers_eligible(*, project: Project) -> list[User]:
    """Return the members who may be named approvers (approver or manager role)."""
    ids = Membership.objects.filter(project=project, role__gte=Role.APPROVER).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("username"))
