"""API: work packages: list, create, read, change, delete."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.work.api.base import MINUTES, PROJECT, project_for, router
from golive.work.models import (
    WorkPackage,
)
from golive.work.selectors import (
    work_package_get,
    work_package_list,
)
from golive.work.services import (
    work_package_create,
    work_package_delete,
    work_package_update,
)


class WorkPackageOut(Schema):
    id: int
    wbs: str
    name: str
    description: str
    parent: int | None
    position: int
    owner: str
    contributors: list[str]
    milestone: bool
    duration: int = Field(description=MINUTES)
    optimistic: int | None = Field(description=MINUTES)
    most_likely: int | None = Field(description=MINUTES)
    pessimistic: int | None = Field(description=MINUTES)
    status: str
    percent_complete: int
    actual_start: datetime | None
    actual_finish: datetime | None
    remaining: int | None = Field(description=MINUTES)
    constraint_kind: str
    constraint_date: datetime | None
    early_start: datetime | None
    early_finish: datetime | None
    late_start: datetime | None
    late_finish: datetime | None
    total_float: int | None = Field(description=MINUTES)
    free_float: int | None = Field(description=MINUTES)
    critical: bool
    version: int

    @staticmethod
    def resolve_parent(obj: WorkPackage) -> int | None:
        return obj.parent_id

    @staticmethod
    def resolve_owner(obj: WorkPackage) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_contributors(obj: WorkPackage) -> list[str]:
        return sorted(u.username for u in obj.contributors.all())


class WorkPackageCreateIn(Schema):
    name: str
    owner: str = Field(description="Username of the accountable owner (a project member).")
    description: str = ""
    parent: int | None = None
    position: int | None = None
    contributors: list[str] = []
    milestone: bool = False
    duration: int = Field(0, ge=0, description=MINUTES)
    optimistic: int | None = Field(None, ge=0, description=MINUTES)
    most_likely: int | None = Field(
        None, ge=0, description=MINUTES + " With all three points, duration = PERT mean."
    )
    pessimistic: int | None = Field(None, ge=0, description=MINUTES)
    status: Literal["not_started", "in_progress", "done"] = "not_started"
    percent_complete: int = Field(0, ge=0, le=100)
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    remaining: int | None = Field(None, ge=0, description=MINUTES)
    constraint_kind: Literal["", "snet", "fnlt", "mso"] = ""
    constraint_date: datetime | None = None


class WorkPackagePatchIn(Schema):
    version: int
    name: str | None = None
    owner: str | None = None
    description: str | None = None
    parent: int | None = None
    position: int | None = None
    contributors: list[str] | None = None
    milestone: bool | None = None
    duration: int | None = Field(None, ge=0, description=MINUTES)
    optimistic: int | None = Field(None, ge=0, description=MINUTES)
    most_likely: int | None = Field(None, ge=0, description=MINUTES)
    pessimistic: int | None = Field(None, ge=0, description=MINUTES)
    status: Literal["not_started", "in_progress", "done"] | None = None
    percent_complete: int | None = Field(None, ge=0, le=100)
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    remaining: int | None = Field(None, ge=0, description=MINUTES)
    constraint_kind: Literal["", "snet", "fnlt", "mso"] | None = None
    constraint_date: datetime | None = None


class WorkPackageFilters(Schema):
    status: Literal["not_started", "in_progress", "done"] | None = None
    owner: str | None = Field(None, description="Username of the owner.")
    critical: bool | None = None
    q: str | None = Field(None, description="Text in the name or description, or a WBS prefix.")
    parent: int | None = Field(None, description="Only the children of this package.")
    top_level: bool = Field(False, description="Only packages without a parent.")


def _package(request: HttpRequest, key: str, package_id: int) -> WorkPackage:
    return work_package_get(
        user=request.user, project=project_for(request, key), package_id=package_id
    )


@router.get(
    PROJECT + "/work-packages",
    response=list[WorkPackageOut],
    summary="List work packages in outline order",
    description="Durations, estimates and float are " + MINUTES.lower(),
)
@paginate(PageNumberPagination)
def work_packages_list(request: HttpRequest, key: str, filters: Query[WorkPackageFilters]):
    project = project_for(request, key)
    return work_package_list(user=request.user, project=project, **filters.dict())


@router.post(
    PROJECT + "/work-packages",
    response={201: WorkPackageOut},
    summary="Add a work package and reschedule",
    description="Durations are " + MINUTES.lower() + " Refused with 422 when the owner is not a "
    "member or the plan becomes impossible.",
)
def work_packages_create(request: HttpRequest, key: str, payload: WorkPackageCreateIn):
    project = project_for(request, key)
    fields = payload.dict()
    name, owner = fields.pop("name"), fields.pop("owner")
    if fields["position"] is None:
        del fields["position"]
    wp = work_package_create(actor=request.user, project=project, name=name, owner=owner, **fields)
    return 201, work_package_get(user=request.user, project=project, package_id=wp.pk)


@router.get(PROJECT + "/work-packages/{package_id}", response=WorkPackageOut, summary="Get one")
def work_packages_get(request: HttpRequest, key: str, package_id: int):
    return _package(request, key, package_id)


@router.patch(
    PROJECT + "/work-packages/{package_id}",
    response=WorkPackageOut,
    summary="Change a work package and reschedule",
    description="Send the `version` you read; a stale one gets 409 with the current state. A "
    "change that closes a cycle or breaks a constraint gets 422 naming the packages.",
)
def work_packages_update(
    request: HttpRequest, key: str, package_id: int, payload: WorkPackagePatchIn
):
    wp = _package(request, key, package_id)
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    work_package_update(actor=request.user, package=wp, version=version, **fields)
    return _package(request, key, package_id)


@router.delete(
    PROJECT + "/work-packages/{package_id}",
    response={204: None},
    summary="Delete a work package with its sub-packages and links (managers)",
)
def work_packages_delete(
    request: HttpRequest, key: str, package_id: int, version: int | None = None
):
    work_package_delete(
        actor=request.user, package=_package(request, key, package_id), version=version
    )
    return 204, None
