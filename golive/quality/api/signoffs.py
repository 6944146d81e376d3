"""API: sign-offs: list, open, read (signatures and frozen snapshot), sign, withdraw, revoke."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.quality.api.base import QUALITY, project_for, router, username
from golive.quality.models import Signature, SignOff
from golive.quality.selectors.signoffs import signoff_get, signoff_list
from golive.quality.services.signoffs import (
    signature_withdraw,
    signoff_open,
    signoff_revoke,
    signoff_sign,
)


class SignatureOut(Schema):
    signer: str
    comment: str
    at: datetime
    withdrawn_at: datetime | None
    withdraw_reason: str

    @staticmethod
    def resolve_signer(obj: Signature) -> str:
        return obj.signer.username


class SignOffOut(Schema):
    id: int
    name: str
    description: str
    plan: int | None
    approvers: list[str]
    quorum: int
    signed: int = Field(description="Signatures not withdrawn.")
    status: str
    created_by: str
    created_at: datetime
    completed_at: datetime | None
    revoked_by: str | None
    revoked_at: datetime | None
    revoke_reason: str
    version: int

    @staticmethod
    def resolve_plan(obj: SignOff) -> int | None:
        return obj.plan_id

    @staticmethod
    def resolve_approvers(obj: SignOff) -> list[str]:
        return sorted(u.username for u in obj.approvers.all())

    @staticmethod
    def resolve_created_by(obj: SignOff) -> str:
        return obj.created_by.username

    @staticmethod
    def resolve_revoked_by(obj: SignOff) -> str | None:
        return username(obj.revoked_by)


class SignOffDetailOut(SignOffOut):
    runs: list[int] = Field(description="Ids of the test runs signed off.")
    signatures: list[SignatureOut] = Field(description="Withdrawn ones included, marked.")
    snapshot: dict[str, Any] = Field(
        description="What was tested and what remained open when the sign-off was opened."
    )

    @staticmethod
    def resolve_runs(obj: SignOff) -> list[int]:
        return sorted(run.pk for run in obj.runs.all())


class SignOffOpenIn(Schema):
    name: str
    approvers: list[str] = Field(description="Usernames of project members with approver role.")
    quorum: int = Field(1, ge=1, description="How many of the approvers must sign.")
    description: str = ""
    plan: int | None = Field(None, description="Id of the test plan signed off.")
    runs: list[int] = Field([], description="Ids of the test runs signed off.")


class SignOffFilters(Schema):
    status: Literal["open", "complete", "revoked"] | None = None


class SignIn(Schema):
    comment: str = ""


class ReasonIn(Schema):
    reason: str


def _signoff(request: HttpRequest, key: str, signoff_id: int) -> SignOff:
    project = project_for(request, key)
    return signoff_get(user=request.user, project=project, signoff_id=signoff_id)


@router.get(
    QUALITY + "/signoffs", response=list[SignOffOut], summary="List sign-offs, newest first"
)
@paginate(PageNumberPagination)
def signoffs_list(request: HttpRequest, key: str, filters: Query[SignOffFilters]):
    project = project_for(request, key)
    return signoff_list(user=request.user, project=project, status=filters.status)


@router.post(
    QUALITY + "/signoffs",
    response={201: SignOffDetailOut},
    summary="Open a sign-off (managers)",
    description="Freezes a snapshot of the runs' pass rates, coverage and open defects; the "
    "named approvers sign that snapshot.",
)
def signoffs_open(request: HttpRequest, key: str, payload: SignOffOpenIn):
    project = project_for(request, key)
    signoff = signoff_open(actor=request.user, project=project, **payload.dict())
    return 201, signoff_get(user=request.user, project=project, signoff_id=signoff.pk)


@router.get(
    QUALITY + "/signoffs/{signoff_id}",
    response=SignOffDetailOut,
    summary="Get a sign-off with its signatures and snapshot",
)
def signoffs_get(request: HttpRequest, key: str, signoff_id: int):
    return _signoff(request, key, signoff_id)


@router.post(
    QUALITY + "/signoffs/{signoff_id}/sign",
    response=SignOffDetailOut,
    summary="Sign (named approvers)",
    description="At quorum the sign-off is complete. Signing twice gets 422.",
)
def signoffs_sign(request: HttpRequest, key: str, signoff_id: int, payload: SignIn):
    signoff = signoff_sign(
        actor=request.user, signoff=_signoff(request, key, signoff_id), comment=payload.comment
    )
    return _signoff(request, key, signoff.pk)


@router.post(
    QUALITY + "/signoffs/{signoff_id}/withdraw",
    response=SignOffDetailOut,
    summary="Withdraw your signature, with a reason",
    description="A complete sign-off that falls below its quorum is open again.",
)
def signoffs_withdraw(request: HttpRequest, key: str, signoff_id: int, payload: ReasonIn):
    signoff = signature_withdraw(
        actor=request.user, signoff=_signoff(request, key, signoff_id), reason=payload.reason
    )
    return _signoff(request, key, signoff.pk)


@router.post(
    QUALITY + "/signoffs/{signoff_id}/revoke",
    response=SignOffDetailOut,
    summary="Revoke a sign-off, with a reason (managers)",
)
def signoffs_revoke(request: HttpRequest, key: str, signoff_id: int, payload: ReasonIn):
    signoff = signoff_revoke(
        actor=request.user, signoff=_signoff(request, key, signoff_id), reason=payload.reason
    )
    return _signoff(request, key, signoff.pk)
