"""API: blockers and the escalation path."""

from datetime import datetime, timedelta
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.work.api.base import PROJECT, project_for, router
from golive.work.models import (
    Blocker,
    EscalationLevel,
)
from golive.work.selectors import (
    blocker_age,
    blocker_get,
    blocker_list,
    escalation_path,
    work_package_get,
)
from golive.work.services import (
    blocker_raise,
    blocker_resolve,
    escalation_path_set,
)


class BlockerOut(Schema):
    id: int
    work_package: int
    work_package_wbs: str
    work_package_name: str
    reason: str
    raised_by: str
    raised_at: datetime
    age_hours: float = Field(description="How long it has been (or was) open.")
    level: int = Field(description="Escalation level; 0 = not escalated yet.")
    escalated_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str

    @staticmethod
    def resolve_work_package(obj: Blocker) -> int:
        return obj.work_package_id

    @staticmethod
    def resolve_work_package_wbs(obj: Blocker) -> str:
        return obj.work_package.wbs

    @staticmethod
    def resolve_work_package_name(obj: Blocker) -> str:
        return obj.work_package.name

    @staticmethod
    def resolve_raised_by(obj: Blocker) -> str:
        return obj.raised_by.username

    @staticmethod
    def resolve_resolved_by(obj: Blocker) -> str | None:
        return obj.resolved_by.username if obj.resolved_by else None

    @staticmethod
    def resolve_age_hours(obj: Blocker) -> float:
        return round(blocker_age(obj) / timedelta(hours=1), 2)


class BlockerFilters(Schema):
    state: Literal["open", "all"] = "open"


class BlockerRaiseIn(Schema):
    reason: str


class BlockerResolveIn(Schema):
    resolution: str


class LevelOut(Schema):
    level: int
    owner: str
    max_age_hours: int = Field(description="Escalate to the next level after this many hours.")

    @staticmethod
    def resolve_owner(obj: EscalationLevel) -> str:
        return obj.owner.username


class EscalationPathOut(Schema):
    levels: list[LevelOut]


class LevelIn(Schema):
    owner: str = Field(description="Username of a project member.")
    max_age_hours: int = Field(ge=1)


class EscalationPathIn(Schema):
    levels: list[LevelIn] = Field(description="Level 1 first.")


@router.get(
    PROJECT + "/blockers",
    response=list[BlockerOut],
    summary="List blockers (open ones by default), newest first",
)
@paginate(PageNumberPagination)
def blockers_list(request: HttpRequest, key: str, filters: Query[BlockerFilters]):
    project = project_for(request, key)
    return blocker_list(user=request.user, project=project, open_only=filters.state == "open")


@router.post(
    PROJECT + "/work-packages/{package_id}/blockers",
    response={201: BlockerOut},
    summary="Flag a work package as blocked",
    description="The blocker escalates along the project's escalation path while it stays open.",
)
def blockers_raise(request: HttpRequest, key: str, package_id: int, payload: BlockerRaiseIn):
    project = project_for(request, key)
    wp = work_package_get(user=request.user, project=project, package_id=package_id)
    blocker = blocker_raise(actor=request.user, package=wp, reason=payload.reason)
    return 201, blocker_get(user=request.user, project=project, blocker_id=blocker.pk)


@router.post(
    PROJECT + "/blockers/{blocker_id}/resolve",
    response=BlockerOut,
    summary="Resolve a blocker",
    description="A blocker already resolved gets 409.",
)
def blockers_resolve(request: HttpRequest, key: str, blocker_id: int, payload: BlockerResolveIn):
    project = project_for(request, key)
    blocker = blocker_get(user=request.user, project=project, blocker_id=blocker_id)
    blocker_resolve(actor=request.user, blocker=blocker, resolution=payload.resolution)
    return blocker_get(user=request.user, project=project, blocker_id=blocker_id)


@router.get(
    PROJECT + "/escalation-path", response=EscalationPathOut, summary="Get the escalation path"
)
def escalation_path_get(request: HttpRequest, key: str):
    return EscalationPathOut(
        levels=escalation_path(user=request.user, project=project_for(request, key))
    )


@router.put(
    PROJECT + "/escalation-path",
    response=EscalationPathOut,
    summary="Replace the escalation path (managers)",
    description="Each level has an owner (a project member; anyone else gets 422) and a "
    "maximum age in hours.",
)
def escalation_path_put(request: HttpRequest, key: str, payload: EscalationPathIn):
    project = project_for(request, key)
    escalation_path_set(
        actor=request.user, project=project, levels=[lvl.dict() for lvl in payload.levels]
    )
    return EscalationPathOut(levels=escalation_path(user=request.user, project=project))
