"""API: the go-live checklist — the go-live gate's criteria as they stand, and its decisions."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Schema

from golive.rollout.api.base import ROLLOUT, project_for, router
from golive.rollout.api.plan import DecisionSummaryOut
from golive.rollout.selectors.golive_gate import go_live_checklist


class EvidenceOut(Schema):
    label: str
    url: str


class ChecklistItemOut(Schema):
    key: str
    label: str
    type: str = Field(description="The criterion type, e.g. rollout.rollback_rehearsed.")
    passed: bool
    detail: str = Field(description="Why it passes or fails.")
    evidence: list[EvidenceOut]
    waived: bool
    waiver_id: int | None


class GoLiveOut(Schema):
    gate: str = Field(description="Name of the go-live gate (go-live).")
    title: str
    approvers: list[str]
    quorum: int
    passed: bool = Field(description="Whether every criterion passes (or is waived) now.")
    evaluated_at: datetime
    criteria: list[ChecklistItemOut]
    pending: DecisionSummaryOut | None = Field(description="The go decision awaiting approval.")
    latest: DecisionSummaryOut | None = Field(description="The latest go decision.")


@router.get(
    ROLLOUT + "/go-live",
    response=GoLiveOut,
    summary="Get the go-live checklist",
    description="The go-live gate evaluated now: readiness decided, rollback rehearsed within "
    "its RTO, migration checks passed, no blocking defects, sign-offs complete, communications "
    "sent; each with why and its evidence. Deciding is done with the gates API: open the "
    "decision with `POST /projects/{key}/gates/go-live/decisions` and vote with `POST "
    "/projects/{key}/decisions/{decision_id}/votes`; waive a criterion with `POST "
    "/projects/{key}/gates/go-live/criteria/{criterion_key}/waiver`.",
)
def go_live_get(request: HttpRequest, key: str):
    checklist = go_live_checklist(user=request.user, project=project_for(request, key))
    gate = checklist["gate"]
    return {**checklist, "gate": gate.name, "title": gate.title}
