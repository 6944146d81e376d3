"""API: criterion types, gates, evaluations, decisions, approvals and waivers."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.accounts.models import User
from golive.errors import NotFound
from golive.gates.models import Criterion, Decision, Gate
from golive.gates.registry import criterion_types
from golive.gates.selectors import decision_get, decision_list, gate_get, gate_list
from golive.gates.services import (
    criterion_add,
    criterion_remove,
    decision_open,
    decision_vote,
    decision_withdraw,
    gate_create,
    gate_evaluate,
    gate_update,
    waiver_create,
    waiver_revoke,
)
from golive.projects.models import Membership
from golive.projects.selectors import project_get_for_user

router = Router(tags=["gates"])


class CriterionTypeOut(Schema):
    key: str
    label: str
    description: str
    params_schema: dict[str, Any]


class CriterionOut(Schema):
    key: str
    label: str
    type: str
    params: dict[str, Any]
    locked: bool


class GateOut(Schema):
    name: str
    title: str
    description: str
    opens_phase: str
    quorum: int
    approvers: list[str]
    is_system: bool
    version: int
    criteria: list[CriterionOut]

    @staticmethod
    def build(gate: Gate) -> "GateOut":
        return GateOut(
            name=gate.name,
            title=gate.title,
            description=gate.description,
            opens_phase=gate.opens_phase,
            quorum=gate.quorum,
            approvers=sorted(u.username for u in gate.approvers.all()),
            is_system=gate.is_system,
            version=gate.version,
            criteria=[_criterion_out(c) for c in gate.criteria.all()],
        )


def _criterion_out(c: Criterion) -> CriterionOut:
    return CriterionOut(key=c.key, label=c.label, type=c.type_key, params=c.params, locked=c.locked)


class GateCreateIn(Schema):
    name: str
    title: str
    description: str = ""
    quorum: int = 1
    approvers: list[str] = []


class GatePatchIn(Schema):
    version: int
    title: str | None = None
    description: str | None = None
    quorum: int | None = None
    approvers: list[str] | None = None


class CriterionIn(Schema):
    key: str
    type: str
    label: str = ""
    params: dict[str, Any] = {}


class EvidenceOut(Schema):
    label: str
    url: str


class CriterionResultOut(Schema):
    key: str
    label: str
    type: str
    passed: bool
    detail: str
    waived: bool
    evidence: list[EvidenceOut]


class EvaluationOut(Schema):
    gate: str
    title: str
    passed: bool
    evaluated_at: datetime
    criteria: list[CriterionResultOut]


class ApprovalOut(Schema):
    approver: str
    verdict: str
    comment: str
    at: datetime


class DecisionOut(Schema):
    id: int
    gate: str
    kind: str
    status: str
    criterion_key: str
    revokes: int | None
    reason: str
    quorum: int
    approvers: list[str]
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    approvals: list[ApprovalOut]
    snapshot: dict[str, Any]

    @staticmethod
    def resolve_gate(obj: Decision) -> str:
        return obj.gate.name

    @staticmethod
    def resolve_revokes(obj: Decision) -> int | None:
        return obj.revokes_id

    @staticmethod
    def resolve_opened_by(obj: Decision) -> str:
        return obj.opened_by.username

    @staticmethod
    def resolve_approvals(obj: Decision) -> list[ApprovalOut]:
        return [
            ApprovalOut(approver=a.approver.username, verdict=a.verdict, comment=a.comment, at=a.at)
            for a in obj.approvals.all()
        ]

    @staticmethod
    def resolve_approvers(obj: Decision, context) -> list[str]:
        # Named approvers are project members: one query per request names them all.
        request = context["request"]
        names: dict[int, str] = getattr(request, "_golive_usernames", None) or {}
        request._golive_usernames = names
        if any(pk not in names for pk in obj.approver_ids):
            names.update(
                Membership.objects.filter(project_id=obj.project_id).values_list(
                    "user_id", "user__username"
                )
            )
            former = [pk for pk in obj.approver_ids if pk not in names]
            if former:
                names.update(User.objects.filter(pk__in=former).values_list("pk", "username"))
        return [names.get(pk, f"#{pk}") for pk in obj.approver_ids]


class DecisionOpenIn(Schema):
    comment: str = ""


class VoteIn(Schema):
    approve: bool
    comment: str = ""


class ReasonIn(Schema):
    reason: str


def _gate(request: HttpRequest, key: str, name: str) -> Gate:
    project = project_get_for_user(user=request.user, key=key)
    return gate_get(user=request.user, project=project, name=name)


def _decision(request: HttpRequest, key: str, decision_id: int) -> Decision:
    project = project_get_for_user(user=request.user, key=key)
    return decision_get(user=request.user, project=project, decision_id=decision_id)


@router.get(
    "/criterion-types",
    response=list[CriterionTypeOut],
    summary="List the registered criterion types",
)
def types_list(request: HttpRequest):
    return [
        CriterionTypeOut(
            key=t.key, label=t.label, description=t.description, params_schema=t.params_schema()
        )
        for t in criterion_types()
    ]


@router.get("/projects/{key}/gates", response=list[GateOut], summary="List a project's gates")
@paginate(PageNumberPagination)
def gates_list(request: HttpRequest, key: str):
    project = project_get_for_user(user=request.user, key=key)
    return [GateOut.build(g) for g in gate_list(user=request.user, project=project)]


@router.post("/projects/{key}/gates", response={201: GateOut}, summary="Create a gate")
def gates_create(request: HttpRequest, key: str, payload: GateCreateIn):
    project = project_get_for_user(user=request.user, key=key)
    gate = gate_create(actor=request.user, project=project, **payload.dict())
    return 201, GateOut.build(gate)


@router.get("/projects/{key}/gates/{name}", response=GateOut, summary="Get a gate")
def gates_get(request: HttpRequest, key: str, name: str):
    return GateOut.build(_gate(request, key, name))


@router.patch(
    "/projects/{key}/gates/{name}",
    response=GateOut,
    summary="Change a gate's approvers, quorum, title or description",
)
def gates_update(request: HttpRequest, key: str, name: str, payload: GatePatchIn):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    gate = gate_update(
        actor=request.user, gate=_gate(request, key, name), version=version, **fields
    )
    return GateOut.build(gate)


@router.get(
    "/projects/{key}/gates/{name}/evaluation",
    response=EvaluationOut,
    summary="Evaluate a gate now",
    description="Per criterion: passed or not, why, and links to the evidence.",
)
def gates_evaluate(request: HttpRequest, key: str, name: str):
    return gate_evaluate(gate=_gate(request, key, name)).as_dict()


@router.post(
    "/projects/{key}/gates/{name}/criteria",
    response={201: CriterionOut},
    summary="Add a criterion of a registered type",
)
def criteria_add(request: HttpRequest, key: str, name: str, payload: CriterionIn):
    criterion = criterion_add(
        actor=request.user,
        gate=_gate(request, key, name),
        key=payload.key,
        type_key=payload.type,
        label=payload.label,
        params=payload.params,
    )
    return 201, _criterion_out(criterion)


@router.delete(
    "/projects/{key}/gates/{name}/criteria/{criterion_key}",
    response={204: None},
    summary="Remove a criterion",
)
def criteria_remove(request: HttpRequest, key: str, name: str, criterion_key: str):
    gate = _gate(request, key, name)
    criterion = gate.criteria.filter(key=criterion_key).first()
    if criterion is None:
        raise NotFound(f"The {gate.title} gate has no criterion {criterion_key!r}.")
    criterion_remove(actor=request.user, criterion=criterion)
    return 204, None


@router.post(
    "/projects/{key}/gates/{name}/criteria/{criterion_key}/waiver",
    response={201: DecisionOut},
    summary="Waive a failing criterion (managers)",
)
def criteria_waive(
    request: HttpRequest, key: str, name: str, criterion_key: str, payload: ReasonIn
):
    waiver = waiver_create(
        actor=request.user,
        gate=_gate(request, key, name),
        criterion_key=criterion_key,
        reason=payload.reason,
    )
    return 201, waiver


@router.post(
    "/projects/{key}/gates/{name}/decisions",
    response={201: DecisionOut},
    summary="Open a go decision on a passing gate (managers)",
    description="Refused with 422 and the failing criteria when the gate does not pass.",
)
def decisions_open(request: HttpRequest, key: str, name: str, payload: DecisionOpenIn):
    decision = decision_open(
        actor=request.user, gate=_gate(request, key, name), comment=payload.comment
    )
    return 201, decision


@router.get(
    "/projects/{key}/decisions",
    response=list[DecisionOut],
    summary="Decision history, newest first",
)
@paginate(PageNumberPagination)
def decisions_list(request: HttpRequest, key: str):
    project = project_get_for_user(user=request.user, key=key)
    return decision_list(user=request.user, project=project)


@router.get(
    "/projects/{key}/decisions/{decision_id}",
    response=DecisionOut,
    summary="Get a decision with its snapshot and approvals",
)
def decisions_get(request: HttpRequest, key: str, decision_id: int):
    return _decision(request, key, decision_id)


@router.post(
    "/projects/{key}/decisions/{decision_id}/votes",
    response=DecisionOut,
    summary="Approve or reject a pending decision (named approvers)",
    description="At quorum the decision is approved and takes effect (the readiness "
    "gate moves the project to execution).",
)
def decisions_vote(request: HttpRequest, key: str, decision_id: int, payload: VoteIn):
    decision = decision_vote(
        actor=request.user,
        decision=_decision(request, key, decision_id),
        approve=payload.approve,
        comment=payload.comment,
    )
    return _decision(request, key, decision.pk)


@router.post(
    "/projects/{key}/decisions/{decision_id}/withdraw",
    response=DecisionOut,
    summary="Withdraw a pending decision (managers)",
)
def decisions_withdraw(request: HttpRequest, key: str, decision_id: int, payload: ReasonIn):
    decision = decision_withdraw(
        actor=request.user, decision=_decision(request, key, decision_id), reason=payload.reason
    )
    return _decision(request, key, decision.pk)


@router.post(
    "/projects/{key}/decisions/{decision_id}/revoke",
    response={201: DecisionOut},
    summary="Revoke a waiver (managers)",
)
def decisions_revoke(request: HttpRequest, key: str, decision_id: int, payload: ReasonIn):
    revocation = waiver_revoke(
        actor=request.user, waiver=_decision(request, key, decision_id), reason=payload.reason
    )
    return 201, revocation
