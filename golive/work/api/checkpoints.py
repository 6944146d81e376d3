"""API: checkpoints and their actions."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.work.api.base import PROJECT, project_for, router
from golive.work.models import (
    Checkpoint,
    CheckpointAction,
)
from golive.work.selectors import (
    checkpoint_action_get,
    checkpoint_get,
    checkpoint_list,
)
from golive.work.services import (
    checkpoint_action_done,
    checkpoint_record,
)


class ActionOut(Schema):
    id: int
    description: str
    owner: str
    due_date: date
    done_at: datetime | None

    @staticmethod
    def resolve_owner(obj: CheckpointAction) -> str:
        return obj.owner.username


class CheckpointOut(Schema):
    id: int
    held_on: date
    title: str
    attendees: list[str]
    decisions: str
    created_by: str
    actions: list[ActionOut]
    version: int

    @staticmethod
    def resolve_attendees(obj: Checkpoint) -> list[str]:
        return sorted(u.username for u in obj.attendees.all())

    @staticmethod
    def resolve_created_by(obj: Checkpoint) -> str:
        return obj.created_by.username

    @staticmethod
    def resolve_actions(obj: Checkpoint) -> list[Any]:
        return list(obj.actions.all())


class ActionIn(Schema):
    description: str
    owner: str = Field(description="Username of a project member.")
    due_date: date


class CheckpointCreateIn(Schema):
    held_on: date
    title: str
    attendees: list[str] = []
    decisions: str = ""
    actions: list[ActionIn] = []


class ActionDoneIn(Schema):
    done: bool = Field(True, description="False reopens the action.")


@router.get(PROJECT + "/checkpoints", response=list[CheckpointOut], summary="List checkpoints")
@paginate(PageNumberPagination)
def checkpoints_list(request: HttpRequest, key: str):
    return checkpoint_list(user=request.user, project=project_for(request, key))


@router.post(
    PROJECT + "/checkpoints",
    response={201: CheckpointOut},
    summary="Record a status review with attendees, decisions and actions",
)
def checkpoints_create(request: HttpRequest, key: str, payload: CheckpointCreateIn):
    project = project_for(request, key)
    data = payload.dict()
    checkpoint = checkpoint_record(actor=request.user, project=project, **data)
    return 201, checkpoint_get(user=request.user, project=project, checkpoint_id=checkpoint.pk)


@router.get(
    PROJECT + "/checkpoints/{checkpoint_id}", response=CheckpointOut, summary="Get a checkpoint"
)
def checkpoints_get(request: HttpRequest, key: str, checkpoint_id: int):
    project = project_for(request, key)
    return checkpoint_get(user=request.user, project=project, checkpoint_id=checkpoint_id)


@router.post(
    PROJECT + "/checkpoints/{checkpoint_id}/actions/{action_id}/done",
    response=ActionOut,
    summary="Mark a checkpoint action done (or reopen it)",
)
def checkpoint_actions_done(
    request: HttpRequest, key: str, checkpoint_id: int, action_id: int, payload: ActionDoneIn
):
    project = project_for(request, key)
    action = checkpoint_action_get(
        user=request.user, project=project, checkpoint_id=checkpoint_id, action_id=action_id
    )
    action = checkpoint_action_done(actor=request.user, action=action, done=payload.done)
    return action
