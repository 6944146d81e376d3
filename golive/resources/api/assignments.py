"""API: assignments of resources to work packages, and candidates for a package."""

from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.resources.api.base import MINUTES, RESOURCES, named_in_input, project_for, router
from golive.resources.models import Assignment
from golive.resources.selectors import (
    Candidate,
    assignment_candidates,
    assignment_get,
    assignment_list,
    resource_get,
)
from golive.resources.services import assignment_create, assignment_delete, assignment_update
from golive.work.selectors import work_package_get

UNITS = "Percent of the resource's capacity (100 = full time)."
ONE = RESOURCES + "/assignments/{int:assignment_id}"


class AssignmentOut(Schema):
    id: int
    package: int
    package_wbs: str
    package_name: str
    resource: int
    resource_name: str
    units: int = Field(description=UNITS)
    work: int = Field(description=MINUTES + " The effort.")
    effort_driven: bool = Field(
        description="true: work is fixed and the package lasts work / units; false: the "
        "package's duration is fixed and work = duration x units."
    )
    skill: str | None = Field(description="The skill the work needs, if any.")
    skill_level: int | None
    version: int

    @staticmethod
    def resolve_package(obj: Assignment) -> int:
        return obj.work_package_id

    @staticmethod
    def resolve_package_wbs(obj: Assignment) -> str:
        return obj.work_package.wbs

    @staticmethod
    def resolve_package_name(obj: Assignment) -> str:
        return obj.work_package.name

    @staticmethod
    def resolve_resource(obj: Assignment) -> int:
        return obj.resource_id

    @staticmethod
    def resolve_resource_name(obj: Assignment) -> str:
        return obj.resource.name

    @staticmethod
    def resolve_skill(obj: Assignment) -> str | None:
        return obj.skill.name if obj.skill else None


class AssignmentCreateIn(Schema):
    package: int = Field(description="Id of a work package of the project (not a summary).")
    resource: int = Field(description="Id of a resource of the project.")
    units: int = Field(100, description=UNITS)
    work: int | None = Field(None, description=MINUTES + " Effort-driven assignments only.")
    effort_driven: bool = False
    skill: str | None = Field(None, description="A skill of the project the resource holds.")
    skill_level: int | None = Field(None, description="The level needed, 1 to 5.")


class AssignmentPatchIn(Schema):
    version: int
    units: int | None = Field(None, description=UNITS)
    work: int | None = Field(None, description=MINUTES)
    effort_driven: bool | None = None
    skill: str | None = None
    skill_level: int | None = None


class AssignmentFilters(Schema):
    package: int | None = Field(None, description="Only the assignments of this work package.")


class CandidateFilters(Schema):
    package: int = Field(description="Id of the work package to staff.")
    skill: str | None = Field(None, description="Only resources holding this skill.")
    level: int | None = Field(None, description="At this level or above (with `skill`).")


class CandidateOut(Schema):
    resource: int
    name: str
    kind: str
    level: int | None = Field(description="The resource's level in the skill asked for.")
    free_hours: float = Field(description="Capacity left over the package's days.")
    capacity_hours: float
    demand_hours: float = Field(description="Other work over the package's days.")
    cost_rate: Decimal
    assigned: bool = Field(description="Already assigned to the package.")

    @staticmethod
    def resolve_resource(obj: Candidate) -> int:
        return obj.resource.pk

    @staticmethod
    def resolve_name(obj: Candidate) -> str:
        return obj.resource.name

    @staticmethod
    def resolve_kind(obj: Candidate) -> str:
        return obj.resource.kind


def _assignment(request: HttpRequest, key: str, assignment_id: int) -> Assignment:
    return assignment_get(
        user=request.user, project=project_for(request, key), assignment_id=assignment_id
    )


@router.get(
    RESOURCES + "/assignments",
    response=list[AssignmentOut],
    summary="List assignments in outline order, of the project or of one package",
)
@paginate(PageNumberPagination)
def assignments_list(request: HttpRequest, key: str, filters: Query[AssignmentFilters]):
    project = project_for(request, key)
    package_id = filters.package
    if package_id is None:
        return assignment_list(user=request.user, project=project)
    package = named_in_input(
        "package",
        lambda: work_package_get(user=request.user, project=project, package_id=package_id),
    )
    return assignment_list(user=request.user, package=package)


@router.post(
    RESOURCES + "/assignments",
    response={201: AssignmentOut},
    summary="Assign a resource to a work package (contributors)",
    description="An effort-driven assignment sets the package's duration (work / units) and "
    "reschedules. Refused with 422 naming the package and the resource when the resource has "
    "no capacity, is inactive, stands for someone who is no longer a member, or lacks the "
    "skill level; an unknown package or resource is 422 too.",
)
def assignments_create(request: HttpRequest, key: str, payload: AssignmentCreateIn):
    project = project_for(request, key)
    fields = payload.dict()
    package_id, resource_id = fields.pop("package"), fields.pop("resource")
    package = named_in_input(
        "package",
        lambda: work_package_get(user=request.user, project=project, package_id=package_id),
    )
    resource = named_in_input(
        "resource",
        lambda: resource_get(user=request.user, project=project, resource_id=resource_id),
    )
    a = assignment_create(actor=request.user, package=package, resource=resource, **fields)
    return 201, assignment_get(user=request.user, project=project, assignment_id=a.pk)


@router.get(ONE, response=AssignmentOut, summary="Get an assignment")
def assignments_get(request: HttpRequest, key: str, assignment_id: int):
    return _assignment(request, key, assignment_id)


@router.patch(
    ONE,
    response=AssignmentOut,
    summary="Change an assignment's units, work, effort-driven flag or skill (contributors)",
    description="Send the `version` you read; a stale one gets 409 with the current state.",
)
def assignments_update(
    request: HttpRequest, key: str, assignment_id: int, payload: AssignmentPatchIn
):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    assignment_update(
        actor=request.user,
        assignment=_assignment(request, key, assignment_id),
        version=version,
        **fields,
    )
    return _assignment(request, key, assignment_id)


@router.delete(
    ONE,
    response={204: None},
    summary="Remove an assignment (contributors)",
    description="An effort-driven package keeps the duration it has.",
)
def assignments_delete(
    request: HttpRequest, key: str, assignment_id: int, version: int | None = None
):
    assignment_delete(
        actor=request.user, assignment=_assignment(request, key, assignment_id), version=version
    )
    return 204, None


@router.get(
    RESOURCES + "/candidates",
    response=list[CandidateOut],
    summary="Who could take a work package, best first",
    description="Active resources with capacity (and the skill at `level` or above, when "
    "asked), ranked by free capacity over the package's scheduled days, then skill level, then "
    "the lower cost rate.",
)
def candidates_list(request: HttpRequest, key: str, filters: Query[CandidateFilters]):
    project = project_for(request, key)
    package = named_in_input(
        "package",
        lambda: work_package_get(user=request.user, project=project, package_id=filters.package),
    )
    return assignment_candidates(
        user=request.user, package=package, skill=filters.skill, level=filters.level
    )
