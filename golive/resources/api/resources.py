"""API: resources with their skills and time off, and the project's skills."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.errors import NotFound
from golive.resources.api.base import RESOURCES, project_for, router, username
from golive.resources.models import Resource, ResourceSkill, TimeOff
from golive.resources.selectors import resource_get, resource_list, skill_list, time_off_get
from golive.resources.services import (
    resource_create,
    resource_delete,
    resource_update,
    skill_remove,
    skill_set,
    time_off_add,
    time_off_remove,
)

KindName = Literal["person", "team", "equipment", "vendor"]
HOURS = "Hours per working day of the project calendar."
ONE = RESOURCES + "/{int:resource_id}"


class SkillLevelOut(Schema):
    skill: str
    level: int = Field(description="1 (basic) to 5 (expert).")

    @staticmethod
    def resolve_skill(obj: ResourceSkill) -> str:
        return obj.skill.name


class TimeOffOut(Schema):
    id: int
    start: date
    end: date = Field(description="Included.")
    reason: str


class ResourceOut(Schema):
    id: int
    name: str
    kind: KindName
    user: str | None = Field(description="Username of the member a person stands for.")
    capacity_hours: Decimal = Field(description=HOURS)
    cost_rate: Decimal = Field(description="Cost per hour.")
    available_from: date | None
    available_to: date | None
    active: bool
    skills: list[SkillLevelOut]
    time_off: list[TimeOffOut]
    created_at: datetime
    version: int

    @staticmethod
    def resolve_user(obj: Resource) -> str | None:
        return username(obj.user)

    @staticmethod
    def resolve_skills(obj: Resource) -> list[ResourceSkill]:
        return list(obj.skills.all())

    @staticmethod
    def resolve_time_off(obj: Resource) -> list[TimeOff]:
        return list(obj.time_off.all())


class ResourceCreateIn(Schema):
    name: str
    kind: KindName = "person"
    user: str | None = Field(None, description="Username of a project member (persons only).")
    capacity_hours: Decimal = Field(Decimal("8"), description=HOURS)
    cost_rate: Decimal = Field(Decimal("0"), description="Cost per hour.")
    available_from: date | None = None
    available_to: date | None = None


class ResourcePatchIn(Schema):
    version: int
    name: str | None = None
    kind: KindName | None = None
    user: str | None = Field(None, description="Username of a project member; null unlinks.")
    capacity_hours: Decimal | None = Field(None, description=HOURS)
    cost_rate: Decimal | None = None
    available_from: date | None = None
    available_to: date | None = None
    active: bool | None = None


class ResourceFilters(Schema):
    active: bool | None = None
    kind: KindName | None = None


class SkillSetIn(Schema):
    skill: str = Field(description="The skill's name; a new name adds the skill to the project.")
    level: int = Field(description="1 (basic) to 5 (expert).")


class TimeOffIn(Schema):
    start: date
    end: date = Field(description="Included.")
    reason: str = ""


class SkillOut(Schema):
    id: int
    name: str


def _resource(request: HttpRequest, key: str, resource_id: int) -> Resource:
    return resource_get(
        user=request.user, project=project_for(request, key), resource_id=resource_id
    )


@router.get(RESOURCES, response=list[ResourceOut], summary="List resources by name")
@paginate(PageNumberPagination)
def resources_list(request: HttpRequest, key: str, filters: Query[ResourceFilters]):
    project = project_for(request, key)
    return resource_list(user=request.user, project=project, **filters.dict())


@router.post(
    RESOURCES,
    response={201: ResourceOut},
    summary="Add a resource (managers)",
    description="A person may stand for a project member (`user`); other kinds may not. "
    "Capacity is in hours per working day.",
)
def resources_create(request: HttpRequest, key: str, payload: ResourceCreateIn):
    project = project_for(request, key)
    resource = resource_create(actor=request.user, project=project, **payload.dict())
    return 201, resource_get(user=request.user, project=project, resource_id=resource.pk)


@router.get(
    RESOURCES + "/skills",
    response=list[SkillOut],
    summary="List the skills named in the project",
)
@paginate(PageNumberPagination)
def skills_list(request: HttpRequest, key: str):
    return skill_list(user=request.user, project=project_for(request, key))


@router.get(ONE, response=ResourceOut, summary="Get a resource with its skills and time off")
def resources_get(request: HttpRequest, key: str, resource_id: int):
    return _resource(request, key, resource_id)


@router.patch(
    ONE,
    response=ResourceOut,
    summary="Change a resource (managers)",
    description="Send the `version` you read; a stale one gets 409 with the current state. "
    "Zero capacity is refused (422) while the resource is assigned to work.",
)
def resources_update(request: HttpRequest, key: str, resource_id: int, payload: ResourcePatchIn):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    resource_update(
        actor=request.user,
        resource=_resource(request, key, resource_id),
        version=version,
        **fields,
    )
    return _resource(request, key, resource_id)


@router.delete(
    ONE,
    response={204: None},
    summary="Delete a resource with its skills and time off (managers)",
    description="Refused (422) while it is assigned to a work package.",
)
def resources_delete(request: HttpRequest, key: str, resource_id: int, version: int | None = None):
    resource_delete(
        actor=request.user, resource=_resource(request, key, resource_id), version=version
    )
    return 204, None


@router.post(
    ONE + "/skills",
    response=ResourceOut,
    summary="Give a resource a skill at a level, or change its level (managers)",
)
def resources_skill_set(request: HttpRequest, key: str, resource_id: int, payload: SkillSetIn):
    skill_set(actor=request.user, resource=_resource(request, key, resource_id), **payload.dict())
    return _resource(request, key, resource_id)


@router.delete(
    ONE + "/skills/{skill}",
    response={204: None},
    summary="Take a skill from a resource (managers)",
)
def resources_skill_remove(request: HttpRequest, key: str, resource_id: int, skill: str):
    skill_remove(actor=request.user, resource=_resource(request, key, resource_id), skill=skill)
    return 204, None


@router.post(
    ONE + "/time-off",
    response={201: TimeOffOut},
    summary="Record days a resource is away (managers)",
    description="Both dates are included; the resource has no capacity on those days.",
)
def resources_time_off_add(request: HttpRequest, key: str, resource_id: int, payload: TimeOffIn):
    off = time_off_add(
        actor=request.user, resource=_resource(request, key, resource_id), **payload.dict()
    )
    return 201, off


@router.delete(
    ONE + "/time-off/{int:time_off_id}",
    response={204: None},
    summary="Remove recorded time off (managers)",
)
def resources_time_off_remove(request: HttpRequest, key: str, resource_id: int, time_off_id: int):
    project = project_for(request, key)
    resource = resource_get(user=request.user, project=project, resource_id=resource_id)
    off = time_off_get(user=request.user, project=project, time_off_id=time_off_id)
    if off.resource_id != resource.pk:
        raise NotFound(f"{resource.name} has no time off {time_off_id}.")
    time_off_remove(actor=request.user, time_off=off)
    return 204, None
