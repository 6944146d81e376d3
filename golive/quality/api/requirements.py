"""API: the requirements register: list, create, read, change, delete."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.quality.api.base import QUALITY, project_for, router
from golive.quality.models import Requirement
from golive.quality.selectors.testing import requirement_get, requirement_list
from golive.quality.services.testing import (
    requirement_create,
    requirement_delete,
    requirement_update,
)

PriorityName = Literal["must", "should", "could"]
StatusName = Literal["proposed", "approved", "implemented", "verified", "dropped"]
WORK_PACKAGES = "Work packages by id or WBS code (e.g. 1.2)."


class RequirementOut(Schema):
    id: int
    ref: str
    text: str
    source: str
    priority: str
    status: str
    work_packages: list[str] = Field(description="WBS codes of the linked work packages.")
    test_cases: list[str] = Field(description="Keys of the test cases covering it.")
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_work_packages(obj: Requirement) -> list[str]:
        return [wp.wbs for wp in obj.work_packages.all()]

    @staticmethod
    def resolve_test_cases(obj: Requirement) -> list[str]:
        return [case.key for case in obj.test_cases.all()]


class RequirementCreateIn(Schema):
    ref: str = Field(description="Identifier unique in the project, e.g. REQ-12.")
    text: str
    source: str = ""
    priority: PriorityName = "should"
    status: StatusName = "proposed"
    work_packages: list[int | str] = Field([], description=WORK_PACKAGES)


class RequirementPatchIn(Schema):
    version: int
    ref: str | None = None
    text: str | None = None
    source: str | None = None
    priority: PriorityName | None = None
    status: StatusName | None = None
    work_packages: list[int | str] | None = Field(None, description=WORK_PACKAGES)


class RequirementFilters(Schema):
    status: StatusName | None = None
    priority: PriorityName | None = None
    q: str | None = Field(None, description="Text in the identifier, text or source.")


def _requirement(request: HttpRequest, key: str, ref: str) -> Requirement:
    return requirement_get(user=request.user, project=project_for(request, key), ref=ref)


@router.get(
    QUALITY + "/requirements",
    response=list[RequirementOut],
    summary="List requirements by identifier",
)
@paginate(PageNumberPagination)
def requirements_list(request: HttpRequest, key: str, filters: Query[RequirementFilters]):
    project = project_for(request, key)
    return requirement_list(user=request.user, project=project, **filters.dict())


@router.post(
    QUALITY + "/requirements",
    response={201: RequirementOut},
    summary="Add a requirement",
    description="A duplicate identifier or an unknown work package gets 422.",
)
def requirements_create(request: HttpRequest, key: str, payload: RequirementCreateIn):
    project = project_for(request, key)
    requirement = requirement_create(actor=request.user, project=project, **payload.dict())
    return 201, requirement_get(user=request.user, project=project, ref=requirement.ref)


@router.get(QUALITY + "/requirements/{ref}", response=RequirementOut, summary="Get a requirement")
def requirements_get(request: HttpRequest, key: str, ref: str):
    return _requirement(request, key, ref)


@router.patch(
    QUALITY + "/requirements/{ref}",
    response=RequirementOut,
    summary="Change a requirement",
    description="Send the `version` you read; a stale one gets 409 with the current state.",
)
def requirements_update(request: HttpRequest, key: str, ref: str, payload: RequirementPatchIn):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    requirement = requirement_update(
        actor=request.user, requirement=_requirement(request, key, ref), version=version, **fields
    )
    return _requirement(request, key, requirement.ref)


@router.delete(
    QUALITY + "/requirements/{ref}",
    response={204: None},
    summary="Delete a requirement (managers)",
)
def requirements_delete(request: HttpRequest, key: str, ref: str, version: int | None = None):
    requirement_delete(
        actor=request.user, requirement=_requirement(request, key, ref), version=version
    )
    return 204, None
