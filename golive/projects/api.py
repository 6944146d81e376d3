"""API: projects, members, success criteria, activity."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.audit.selectors import audit_events_for_project
from golive.projects.access import project_role
from golive.projects.models import Project, Role
from golive.projects.selectors import (
    membership_list,
    project_get_for_user,
    project_list_for_user,
    success_criterion_get,
    success_criterion_list,
)
from golive.projects.services import (
    membership_remove,
    membership_set,
    project_create,
    project_phase_advance,
    project_update,
    success_criterion_create,
    success_criterion_delete,
    success_criterion_update,
)

router = Router(tags=["projects"])


class ProjectOut(Schema):
    key: str
    name: str
    description: str
    sponsor: str | None
    manager: str
    time_zone: str
    planned_go_live: date | None
    phase: str
    version: int
    my_role: str | None
    created_at: datetime

    @staticmethod
    def resolve_sponsor(obj: Project) -> str | None:
        return obj.sponsor.username if obj.sponsor_id else None

    @staticmethod
    def resolve_manager(obj: Project) -> str:
        return obj.manager.username

    @staticmethod
    def resolve_my_role(obj: Project, context) -> str | None:
        # Lists annotate `my_role` in the same query; a single project asks the access module.
        annotated = getattr(obj, "my_role", None)
        if annotated is not None:
            role: Role | None = Role(annotated)
        else:
            role = project_role(user=context["request"].user, project=obj)
        return role.name.lower() if role else None


class ProjectCreateIn(Schema):
    key: str
    name: str
    description: str = ""
    time_zone: str = "UTC"
    planned_go_live: date | None = None
    sponsor: str | None = None
    manager: str | None = None


class ProjectUpdateIn(Schema):
    version: int
    name: str | None = None
    description: str | None = None
    time_zone: str | None = None
    planned_go_live: date | None = None
    sponsor: str | None = None
    manager: str | None = None


class PhaseIn(Schema):
    phase: str
    version: int | None = None


class MemberOut(Schema):
    username: str
    full_name: str
    role: str


class MemberIn(Schema):
    role: str


class SuccessCriterionOut(Schema):
    id: int
    metric: str
    target: Decimal
    unit: str
    direction: str
    due_date: date | None
    owner: str
    version: int

    @staticmethod
    def resolve_owner(obj) -> str:
        return obj.owner.username


class SuccessCriterionIn(Schema):
    metric: str
    target: Decimal
    unit: str = ""
    direction: str
    due_date: date | None = None
    owner: str


class SuccessCriterionPatchIn(Schema):
    version: int
    metric: str | None = None
    target: Decimal | None = None
    unit: str | None = None
    direction: str | None = None
    due_date: date | None = None
    owner: str | None = None


class EventOut(Schema):
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    object: str
    changes: dict

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor_label

    @staticmethod
    def resolve_object(obj) -> str:
        return obj.object_repr


@router.get("/projects", response=list[ProjectOut], summary="List my projects")
@paginate(PageNumberPagination)
def projects_list(request: HttpRequest):
    return project_list_for_user(user=request.user)


@router.post(
    "/projects",
    response={201: ProjectOut},
    summary="Create a project",
    description="The caller becomes a manager. The readiness checklist and the "
    "readiness gate are created with it.",
)
def projects_create(request: HttpRequest, payload: ProjectCreateIn):
    project = project_create(actor=request.user, **payload.dict())
    return 201, project


@router.get("/projects/{key}", response=ProjectOut, summary="Get a project")
def projects_get(request: HttpRequest, key: str):
    return project_get_for_user(user=request.user, key=key)


@router.patch(
    "/projects/{key}",
    response=ProjectOut,
    summary="Change a project",
    description="Send the `version` you read; a stale version is refused with 409.",
)
def projects_update(request: HttpRequest, key: str, payload: ProjectUpdateIn):
    project = project_get_for_user(user=request.user, key=key)
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    project = project_update(actor=request.user, project=project, version=version, **fields)
    return project


@router.post(
    "/projects/{key}/phase",
    response=ProjectOut,
    summary="Move to the next phase",
    description="A phase opened by a gate (execution, by the readiness gate) needs an "
    "approved decision on that gate; otherwise 422 lists the failing "
    "criteria.",
)
def projects_phase(request: HttpRequest, key: str, payload: PhaseIn):
    project = project_get_for_user(user=request.user, key=key)
    project = project_phase_advance(
        actor=request.user, project=project, to_phase=payload.phase, version=payload.version
    )
    return project


@router.get("/projects/{key}/members", response=list[MemberOut], summary="List members")
@paginate(PageNumberPagination)
def members_list(request: HttpRequest, key: str):
    project = project_get_for_user(user=request.user, key=key)
    return [
        MemberOut(
            username=m.user.username,
            full_name=m.user.get_full_name(),
            role=Role(m.role).name.lower(),
        )
        for m in membership_list(user=request.user, project=project)
    ]


@router.put(
    "/projects/{key}/members/{username}",
    response=MemberOut,
    summary="Add a member or change their role",
    description="`role` is one of viewer, contributor, approver, manager.",
)
def members_set(request: HttpRequest, key: str, username: str, payload: MemberIn):
    project = project_get_for_user(user=request.user, key=key)
    membership = membership_set(
        actor=request.user, project=project, user=username, role=payload.role
    )
    return MemberOut(
        username=membership.user.username,
        full_name=membership.user.get_full_name(),
        role=Role(membership.role).name.lower(),
    )


@router.delete(
    "/projects/{key}/members/{username}", response={204: None}, summary="Remove a member"
)
def members_remove(request: HttpRequest, key: str, username: str):
    project = project_get_for_user(user=request.user, key=key)
    membership_remove(actor=request.user, project=project, user=username)
    return 204, None


@router.get(
    "/projects/{key}/success-criteria",
    response=list[SuccessCriterionOut],
    summary="List success criteria",
)
@paginate(PageNumberPagination)
def success_criteria_list(request: HttpRequest, key: str):
    project = project_get_for_user(user=request.user, key=key)
    return success_criterion_list(user=request.user, project=project)


@router.post(
    "/projects/{key}/success-criteria",
    response={201: SuccessCriterionOut},
    summary="Define a success criterion",
    description="`direction` is at_least (higher is better) or at_most.",
)
def success_criteria_create(request: HttpRequest, key: str, payload: SuccessCriterionIn):
    project = project_get_for_user(user=request.user, key=key)
    return 201, success_criterion_create(actor=request.user, project=project, **payload.dict())


@router.get(
    "/projects/{key}/success-criteria/{criterion_id}",
    response=SuccessCriterionOut,
    summary="Get a success criterion",
)
def success_criteria_get(request: HttpRequest, key: str, criterion_id: int):
    project = project_get_for_user(user=request.user, key=key)
    return success_criterion_get(user=request.user, project=project, criterion_id=criterion_id)


@router.patch(
    "/projects/{key}/success-criteria/{criterion_id}",
    response=SuccessCriterionOut,
    summary="Change a success criterion",
)
def success_criteria_update(
    request: HttpRequest, key: str, criterion_id: int, payload: SuccessCriterionPatchIn
):
    project = project_get_for_user(user=request.user, key=key)
    criterion = success_criterion_get(user=request.user, project=project, criterion_id=criterion_id)
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    return success_criterion_update(
        actor=request.user, criterion=criterion, version=version, **fields
    )


@router.delete(
    "/projects/{key}/success-criteria/{criterion_id}",
    response={204: None},
    summary="Delete a success criterion",
)
def success_criteria_delete(request: HttpRequest, key: str, criterion_id: int):
    project = project_get_for_user(user=request.user, key=key)
    criterion = success_criterion_get(user=request.user, project=project, criterion_id=criterion_id)
    success_criterion_delete(actor=request.user, criterion=criterion)
    return 204, None


@router.get(
    "/projects/{key}/activity",
    response=list[EventOut],
    summary="The project's activity (audit events), newest first",
)
@paginate(PageNumberPagination)
def activity_list(request: HttpRequest, key: str):
    project = project_get_for_user(user=request.user, key=key)
    return audit_events_for_project(project=project)
