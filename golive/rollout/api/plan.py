"""API: the rollout plan (strategy, notes) and its waves, with their go/no-go lifecycle."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.rollout.api.base import ROLLOUT, ReasonIn, project_for, router
from golive.rollout.models import RolloutPlan, Wave
from golive.rollout.selectors.plan import gate_summary, rollout_plan_get, wave_get, wave_list
from golive.rollout.services.plan import (
    rollout_plan_set,
    wave_cancel,
    wave_complete,
    wave_create,
    wave_delete,
    wave_hypercare,
    wave_start,
    wave_update,
)

StrategyName = Literal["pilot", "phased", "full"]
CohortKindName = Literal["site", "department", "user_group", "everyone"]
WaveStatusName = Literal["planned", "in_progress", "hypercare", "completed", "cancelled"]


class RolloutPlanIn(Schema):
    strategy: StrategyName
    notes: str = ""
    version: int | None = Field(
        None, description="The version you read (leave out for the first save)."
    )


class WaveOut(Schema):
    id: int
    slug: str
    name: str
    position: int
    is_pilot: bool
    cohort_kind: CohortKindName
    cohort: str
    headcount: int
    contact_emails: list[str]
    owner: str
    planned_start: datetime
    planned_end: datetime
    status: WaveStatusName
    gate: str | None = Field(description="Name of the go/no-go gate (wave-<slug>).")
    exit_gate: str | None = Field(description="Name of the hypercare-exit gate (hypercare-<slug>).")
    start_decision: int | None = Field(description="Id of the decision that started the wave.")
    exit_decision: int | None = Field(description="Id of the decision that completed it.")
    started_at: datetime | None
    hypercare_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    version: int

    @staticmethod
    def resolve_owner(obj: Wave) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_gate(obj: Wave) -> str | None:
        return obj.gate.name if obj.gate_id else None

    @staticmethod
    def resolve_exit_gate(obj: Wave) -> str | None:
        return obj.exit_gate.name if obj.exit_gate_id else None

    @staticmethod
    def resolve_start_decision(obj: Wave) -> int | None:
        return obj.start_decision_id

    @staticmethod
    def resolve_exit_decision(obj: Wave) -> int | None:
        return obj.exit_decision_id


class VerdictOut(Schema):
    approver: str
    verdict: str
    comment: str
    at: datetime


class DecisionSummaryOut(Schema):
    id: int
    status: str = Field(description="pending, approved, rejected, withdrawn or revoked.")
    opened_at: datetime
    closed_at: datetime | None
    quorum: int
    approved: int = Field(description="Approvals so far.")
    approvals: list[VerdictOut]


class FailingCriterionOut(Schema):
    key: str
    label: str
    detail: str


class GateSummaryOut(Schema):
    name: str
    title: str
    passed: bool = Field(description="Whether the gate's criteria pass now.")
    failing: list[FailingCriterionOut]
    criteria: int = Field(description="How many criteria the gate has.")
    decision: DecisionSummaryOut | None = Field(description="The latest go decision.")


class WaveDetailOut(WaveOut):
    gate_status: GateSummaryOut | None = Field(description="The go/no-go gate evaluated now.")
    exit_gate_status: GateSummaryOut | None = Field(
        description="The hypercare-exit gate evaluated now."
    )

    @staticmethod
    def resolve_gate_status(obj: Wave) -> dict | None:
        return gate_summary(obj.gate)

    @staticmethod
    def resolve_exit_gate_status(obj: Wave) -> dict | None:
        return gate_summary(obj.exit_gate)


class PlanWaveOut(Schema):
    wave: WaveOut
    gate: GateSummaryOut | None
    exit_gate: GateSummaryOut | None


class RolloutPlanOut(Schema):
    strategy: StrategyName
    notes: str
    version: int = Field(description="0 until the plan is first saved.")
    updated_at: datetime | None
    waves: list[PlanWaveOut] = Field(description="In rollout order, with their gates evaluated.")

    @staticmethod
    def resolve_version(obj: RolloutPlan) -> int:
        return obj.version if obj.pk else 0

    @staticmethod
    def resolve_updated_at(obj: RolloutPlan) -> datetime | None:
        return obj.updated_at if obj.pk else None

    @staticmethod
    def resolve_waves(obj: RolloutPlan) -> list[dict]:
        return obj.wave_rows


class WaveCreateIn(Schema):
    name: str
    owner: str = Field(description="Username of a project member.")
    planned_start: datetime
    planned_end: datetime
    slug: str = Field("", description="Short name (default: from the name); names the gates.")
    is_pilot: bool = False
    cohort_kind: CohortKindName = "user_group"
    cohort: str = ""
    headcount: int = Field(0, ge=0)
    contact_emails: list[str] = []
    approvers: list[str] | None = Field(
        None, description="Usernames approving the go/no-go (default: the project manager)."
    )
    quorum: int = Field(1, ge=1)


class WavePatchIn(Schema):
    version: int
    name: str | None = None
    owner: str | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    position: int | None = Field(None, ge=0)
    is_pilot: bool | None = None
    cohort_kind: CohortKindName | None = None
    cohort: str | None = None
    headcount: int | None = Field(None, ge=0)
    contact_emails: list[str] | None = None


def _wave(request: HttpRequest, key: str, slug: str) -> Wave:
    return wave_get(user=request.user, project=project_for(request, key), slug=slug)


@router.get(
    ROLLOUT + "/plan",
    response=RolloutPlanOut,
    summary="Get the rollout strategy and the waves with their gates",
)
def plan_get(request: HttpRequest, key: str):
    return rollout_plan_get(user=request.user, project=project_for(request, key))


@router.put(
    ROLLOUT + "/plan",
    response=RolloutPlanOut,
    summary="Set the rollout strategy and notes (managers)",
    description="pilot (the first wave is the pilot), phased (waves) or full (one wave). Send "
    "the `version` you read; a stale one gets 409 with the current state.",
)
def plan_set(request: HttpRequest, key: str, payload: RolloutPlanIn):
    project = project_for(request, key)
    rollout_plan_set(actor=request.user, project=project, **payload.dict())
    return rollout_plan_get(user=request.user, project=project)


@router.get(ROLLOUT + "/waves", response=list[WaveOut], summary="List waves in rollout order")
@paginate(PageNumberPagination)
def waves_list(request: HttpRequest, key: str):
    return wave_list(user=request.user, project=project_for(request, key))


@router.post(
    ROLLOUT + "/waves",
    response={201: WaveDetailOut},
    summary="Plan a wave (managers)",
    description="Creates its go/no-go gate `wave-<slug>` and its hypercare-exit gate "
    "`hypercare-<slug>`; decide them with the gates API.",
)
def waves_create(request: HttpRequest, key: str, payload: WaveCreateIn):
    project = project_for(request, key)
    wave = wave_create(actor=request.user, project=project, **payload.dict())
    return 201, wave_get(user=request.user, project=project, slug=wave.slug)


@router.get(
    ROLLOUT + "/waves/{slug}",
    response=WaveDetailOut,
    summary="Get a wave with its go/no-go and hypercare-exit gates evaluated now",
)
def waves_get(request: HttpRequest, key: str, slug: str):
    return _wave(request, key, slug)


@router.patch(
    ROLLOUT + "/waves/{slug}",
    response=WaveDetailOut,
    summary="Change a wave (managers)",
    description="Send the `version` you read; a stale one gets 409 with the current state.",
)
def waves_update(request: HttpRequest, key: str, slug: str, payload: WavePatchIn):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    wave_update(actor=request.user, wave=_wave(request, key, slug), version=version, **fields)
    return _wave(request, key, slug)


@router.delete(
    ROLLOUT + "/waves/{slug}",
    response={204: None},
    summary="Delete a planned wave and its gates (managers)",
    description="A wave that started, or whose gates have decisions, gets 422.",
)
def waves_delete(request: HttpRequest, key: str, slug: str):
    wave_delete(actor=request.user, wave=_wave(request, key, slug))
    return 204, None


@router.post(
    ROLLOUT + "/waves/{slug}/start",
    response=WaveDetailOut,
    summary="Start a wave (managers)",
    description="Needs an approved go decision on the wave's gate (`POST /projects/{key}/gates/"
    "wave-<slug>/decisions`); without one the refusal names the gate and what is missing.",
)
def waves_start(request: HttpRequest, key: str, slug: str):
    wave_start(actor=request.user, wave=_wave(request, key, slug))
    return _wave(request, key, slug)


@router.post(
    ROLLOUT + "/waves/{slug}/hypercare",
    response=WaveDetailOut,
    summary="Move a wave in progress to hypercare (managers)",
)
def waves_hypercare(request: HttpRequest, key: str, slug: str):
    wave_hypercare(actor=request.user, wave=_wave(request, key, slug))
    return _wave(request, key, slug)


@router.post(
    ROLLOUT + "/waves/{slug}/complete",
    response=WaveDetailOut,
    summary="Complete a wave in hypercare (managers)",
    description="Needs an approved decision on the hypercare-exit gate `hypercare-<slug>`.",
)
def waves_complete(request: HttpRequest, key: str, slug: str):
    wave_complete(actor=request.user, wave=_wave(request, key, slug))
    return _wave(request, key, slug)


@router.post(
    ROLLOUT + "/waves/{slug}/cancel",
    response=WaveDetailOut,
    summary="Cancel a wave, with a reason (managers)",
)
def waves_cancel(request: HttpRequest, key: str, slug: str, payload: ReasonIn):
    wave_cancel(actor=request.user, wave=_wave(request, key, slug), reason=payload.reason)
    return _wave(request, key, slug)
