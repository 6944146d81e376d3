"""API: dependencies between work packages."""

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.work.api.base import MINUTES, PROJECT, project_for, router
from golive.work.models import (
    Dependency,
)
from golive.work.selectors import (
    dependency_get,
    dependency_list,
)
from golive.work.services import (
    dependency_create,
    dependency_delete,
    dependency_update,
)


class DependencyOut(Schema):
    id: int
    predecessor: int
    predecessor_wbs: str
    successor: int
    successor_wbs: str
    type: str
    lag: int = Field(description=MINUTES + " Negative is a lead.")
    version: int

    @staticmethod
    def resolve_predecessor(obj: Dependency) -> int:
        return obj.predecessor_id

    @staticmethod
    def resolve_successor(obj: Dependency) -> int:
        return obj.successor_id

    @staticmethod
    def resolve_predecessor_wbs(obj: Dependency) -> str:
        return obj.predecessor.wbs

    @staticmethod
    def resolve_successor_wbs(obj: Dependency) -> str:
        return obj.successor.wbs


class DependencyCreateIn(Schema):
    predecessor: int = Field(description="Work package id.")
    successor: int = Field(description="Work package id.")
    type: Literal["FS", "SS", "FF", "SF"] = "FS"
    lag: int = Field(0, description=MINUTES + " Negative is a lead.")


class DependencyPatchIn(Schema):
    version: int
    type: Literal["FS", "SS", "FF", "SF"] | None = None
    lag: int | None = Field(None, description=MINUTES)


def _link(request: HttpRequest, key: str, dependency_id: int) -> Dependency:
    project = project_for(request, key)
    return dependency_get(user=request.user, project=project, dependency_id=dependency_id)


@router.get(PROJECT + "/dependencies", response=list[DependencyOut], summary="List links")
@paginate(PageNumberPagination)
def dependencies_list(request: HttpRequest, key: str):
    return dependency_list(user=request.user, project=project_for(request, key))


@router.post(
    PROJECT + "/dependencies",
    response={201: DependencyOut},
    summary="Link two packages and reschedule",
    description="A link that closes a cycle is refused with 422 naming the packages in it.",
)
def dependencies_create(request: HttpRequest, key: str, payload: DependencyCreateIn):
    project = project_for(request, key)
    link = dependency_create(actor=request.user, project=project, **payload.dict())
    return 201, dependency_get(user=request.user, project=project, dependency_id=link.pk)


@router.patch(
    PROJECT + "/dependencies/{dependency_id}",
    response=DependencyOut,
    summary="Change a link's type or lag and reschedule",
)
def dependencies_update(
    request: HttpRequest, key: str, dependency_id: int, payload: DependencyPatchIn
):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    link = _link(request, key, dependency_id)
    dependency_update(actor=request.user, link=link, version=version, **fields)
    return _link(request, key, dependency_id)


@router.delete(
    PROJECT + "/dependencies/{dependency_id}",
    response={204: None},
    summary="Remove a link and reschedule",
    description="Pass `?version=` to refuse the delete (409) when the link changed meanwhile.",
)
def dependencies_delete(
    request: HttpRequest, key: str, dependency_id: int, version: int | None = None
):
    link = _link(request, key, dependency_id)
    dependency_delete(actor=request.user, link=link, version=version)
    return 204, None
