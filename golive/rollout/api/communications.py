"""API: communications to the users and stakeholders: plan, change, send now, cancel, the log."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.rollout.api.base import ROLLOUT, ReasonIn, project_for, router, username
from golive.rollout.models import Communication, CommunicationLog
from golive.rollout.selectors.communications import (
    communication_get,
    communication_list,
    communication_log_list,
)
from golive.rollout.services.communications import (
    communication_cancel,
    communication_create,
    communication_recipients,
    communication_send,
    communication_update,
)

AudienceName = Literal["wave", "stakeholders", "members", "support", "custom"]
ChannelName = Literal["email", "webhook"]
AnchorName = Literal["absolute", "wave_start", "wave_end", "cutover"]
CommunicationStatusName = Literal["planned", "sent", "failed", "cancelled"]


class CommunicationOut(Schema):
    id: int
    name: str
    audience: AudienceName
    wave: str | None = Field(description="Slug of the wave (wave audience or wave anchors).")
    recipients: list[str] = Field(description="Named addresses (support and custom audiences).")
    channel: ChannelName
    webhook: str = Field(description="The webhook URL, masked (webhook channel).")
    subject: str
    body: str
    anchor: AnchorName
    runbook: str | None = Field(description="Name of the runbook (cutover anchor).")
    at: datetime | None = Field(description="The fixed time (absolute anchor).")
    offset_minutes: int = Field(description="Minutes from the anchor (negative: before it).")
    required_for_go_live: bool
    status: CommunicationStatusName
    sent_at: datetime | None
    created_at: datetime
    version: int

    @staticmethod
    def resolve_wave(obj: Communication) -> str | None:
        return obj.wave.slug if obj.wave_id else None

    @staticmethod
    def resolve_webhook(obj: Communication) -> str:
        return obj.webhook_display

    @staticmethod
    def resolve_runbook(obj: Communication) -> str | None:
        return obj.runbook.name if obj.runbook_id else None


class CommunicationDetailOut(CommunicationOut):
    scheduled_at: datetime | None = Field(
        description="When it goes out: `at`, or the anchor plus the offset (null while the "
        "anchor has no time yet)."
    )
    resolved_recipients: list[str] = Field(description="The addresses it goes to now (e-mail).")

    @staticmethod
    def resolve_resolved_recipients(obj: Communication) -> list[str]:
        return communication_recipients(obj)


class CommunicationCreateIn(Schema):
    name: str = Field(description="Short name, unique in the project (e.g. cutover-notice).")
    audience: AudienceName
    subject: str = Field(description="A Django template (project, wave, runbook, communication).")
    body: str = Field(description="A Django template, like the subject.")
    channel: ChannelName = "email"
    wave: str | None = Field(None, description="Slug of a wave.")
    recipients: list[str] = Field([], description="E-mail addresses.")
    webhook_url: str = Field("", description="Webhook channel: the URL (stored encrypted).")
    anchor: AnchorName = "absolute"
    at: datetime | None = Field(None, description="Absolute anchor: when.")
    runbook: str | None = Field(None, description="Cutover anchor: the runbook's name.")
    offset_minutes: int = 0
    required_for_go_live: bool = True


class CommunicationPatchIn(Schema):
    version: int
    name: str | None = None
    audience: AudienceName | None = None
    subject: str | None = None
    body: str | None = None
    channel: ChannelName | None = None
    wave: str | None = None
    recipients: list[str] | None = None
    webhook_url: str | None = None
    anchor: AnchorName | None = None
    at: datetime | None = None
    runbook: str | None = None
    offset_minutes: int | None = None
    required_for_go_live: bool | None = None


class CommunicationLogOut(Schema):
    id: int
    channel: ChannelName
    recipients: list[str]
    subject: str
    body: str
    ok: bool
    error: str
    sent_at: datetime
    sent_by: str | None = Field(description="Null when the scheduler sent it.")

    @staticmethod
    def resolve_sent_by(obj: CommunicationLog) -> str | None:
        return username(obj.sent_by)


def _communication(request: HttpRequest, key: str, name: str) -> Communication:
    return communication_get(user=request.user, project=project_for(request, key), name=name)


@router.get(
    ROLLOUT + "/communications",
    response=list[CommunicationOut],
    summary="List communications by name",
)
@paginate(PageNumberPagination)
def communications_list(request: HttpRequest, key: str):
    return communication_list(user=request.user, project=project_for(request, key))


@router.post(
    ROLLOUT + "/communications",
    response={201: CommunicationDetailOut},
    summary="Plan a communication (managers)",
    description="Sent when due by the scheduler (`golive communications send-due`), or now "
    "with `POST …/send`. The webhook URL is stored encrypted and only shown masked.",
)
def communications_create(request: HttpRequest, key: str, payload: CommunicationCreateIn):
    project = project_for(request, key)
    communication = communication_create(actor=request.user, project=project, **payload.dict())
    return 201, communication_get(user=request.user, project=project, name=communication.name)


@router.get(
    ROLLOUT + "/communications/{name}",
    response=CommunicationDetailOut,
    summary="Get a communication with when and to whom it goes",
)
def communications_get(request: HttpRequest, key: str, name: str):
    return _communication(request, key, name)


@router.patch(
    ROLLOUT + "/communications/{name}",
    response=CommunicationDetailOut,
    summary="Change a planned or failed communication (managers)",
    description="Send the `version` you read; a stale one gets 409 with the current state. A "
    "sent or cancelled communication gets 409.",
)
def communications_update(request: HttpRequest, key: str, name: str, payload: CommunicationPatchIn):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    project = project_for(request, key)
    communication = communication_get(user=request.user, project=project, name=name)
    communication = communication_update(
        actor=request.user, communication=communication, version=version, **fields
    )
    return communication_get(user=request.user, project=project, name=communication.name)


@router.post(
    ROLLOUT + "/communications/{name}/send",
    response={201: CommunicationLogOut},
    summary="Send a communication now (managers)",
    description="Answers the log entry; a failure to deliver is logged (`ok` false, the "
    "`error`) and leaves the communication failed, to fix and send again.",
)
def communications_send(request: HttpRequest, key: str, name: str):
    log = communication_send(actor=request.user, communication=_communication(request, key, name))
    return 201, log


@router.post(
    ROLLOUT + "/communications/{name}/cancel",
    response=CommunicationDetailOut,
    summary="Cancel a communication that was not sent, with a reason (managers)",
    description="It no longer counts for go-live.",
)
def communications_cancel(request: HttpRequest, key: str, name: str, payload: ReasonIn):
    communication = _communication(request, key, name)
    communication_cancel(actor=request.user, communication=communication, reason=payload.reason)
    return _communication(request, key, name)


@router.get(
    ROLLOUT + "/communications/{name}/log",
    response=list[CommunicationLogOut],
    summary="List what was sent, to whom and when, newest first",
)
@paginate(PageNumberPagination)
def communications_log(request: HttpRequest, key: str, name: str):
    communication = _communication(request, key, name)
    return communication_log_list(user=request.user, communication=communication)
