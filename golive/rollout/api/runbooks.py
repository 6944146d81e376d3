"""API: runbooks (cutover, rollback plans, deployments) and their steps, one by one or in bulk."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.errors import NotFound
from golive.rollout.api.base import ROLLOUT, project_for, router, username
from golive.rollout.models import Runbook, Step
from golive.rollout.selectors.runbooks import (
    runbook_get,
    runbook_list,
    runbook_steps,
    runbook_timeline,
)
from golive.rollout.services.runbooks import (
    runbook_create,
    runbook_delete,
    runbook_steps_replace,
    runbook_update,
    step_create,
    step_delete,
    step_update,
)

RunbookKindName = Literal["cutover", "rollback", "deployment"]
StepKindName = Literal["manual", "check", "decision", "communication", "rollback_trigger"]


class RunbookOut(Schema):
    id: int
    name: str
    title: str
    kind: RunbookKindName
    description: str
    wave: str | None = Field(description="Slug of the wave the runbook belongs to.")
    rollback_plan: str | None = Field(description="Name of the rollback plan that recovers it.")
    trigger_conditions: str
    rto_minutes: int | None = Field(description="Recovery-time objective (rollback plans).")
    owner: str
    created_at: datetime
    version: int

    @staticmethod
    def resolve_wave(obj: Runbook) -> str | None:
        return obj.wave.slug if obj.wave_id else None

    @staticmethod
    def resolve_rollback_plan(obj: Runbook) -> str | None:
        return obj.rollback_plan.name if obj.rollback_plan_id else None

    @staticmethod
    def resolve_owner(obj: Runbook) -> str:
        return obj.owner.username


class RunbookCreateIn(Schema):
    name: str = Field(description="Short name, unique in the project (e.g. erp-cutover).")
    title: str
    owner: str = Field(description="Username of a project member.")
    kind: RunbookKindName = "cutover"
    description: str = ""
    wave: str | None = Field(None, description="Slug of a wave.")
    rollback_plan: str | None = Field(None, description="Name of a runbook of kind rollback.")
    trigger_conditions: str = Field("", description="When the rollback is invoked.")
    rto_minutes: int | None = Field(None, ge=1, description="Required for rollback plans.")


class RunbookPatchIn(Schema):
    version: int
    name: str | None = None
    title: str | None = None
    owner: str | None = None
    kind: RunbookKindName | None = None
    description: str | None = None
    wave: str | None = None
    rollback_plan: str | None = None
    trigger_conditions: str | None = None
    rto_minutes: int | None = Field(None, ge=1)


class StepOut(Schema):
    id: int
    key: str
    title: str
    kind: StepKindName
    instructions: str
    position: int
    owner: str | None
    owner_team: str | None = Field(description="Name of the owning team (a resource).")
    duration_minutes: int
    offset_minutes: int | None = Field(description="Planned start relative to T0 (negative: T-).")
    expected_value: str
    migration_check: str | None = Field(description="Name of the migration check it runs.")
    communication: str | None = Field(description="Name of the communication it sends.")
    approvers: list[str]
    depends_on: list[str] = Field(description="Keys of the steps it waits for.")
    version: int

    @staticmethod
    def resolve_owner(obj: Step) -> str | None:
        return username(obj.owner)

    @staticmethod
    def resolve_owner_team(obj: Step) -> str | None:
        return obj.owner_team.name if obj.owner_team_id else None

    @staticmethod
    def resolve_migration_check(obj: Step) -> str | None:
        return obj.migration_check.name if obj.migration_check_id else None

    @staticmethod
    def resolve_communication(obj: Step) -> str | None:
        return obj.communication.name if obj.communication_id else None

    @staticmethod
    def resolve_approvers(obj: Step) -> list[str]:
        return sorted(u.username for u in obj.approvers.all())

    @staticmethod
    def resolve_depends_on(obj: Step) -> list[str]:
        return sorted(s.key for s in obj.depends_on.all())


class RunbookDetailOut(RunbookOut):
    steps: list[StepOut] = Field(description="In order.")

    @staticmethod
    def resolve_steps(obj: Runbook) -> list[Step]:
        return obj.step_list


class TimelineStepOut(Schema):
    key: str
    title: str
    kind: StepKindName
    step_id: int
    duration_minutes: int
    offset_minutes: int | None
    early_start: int = Field(description="Minutes from T0 (negative: before it).")
    early_finish: int
    late_start: int
    late_finish: int
    total_float: int = Field(description="Minutes the step can slip without delaying the end.")
    critical: bool
    planned: str = Field(description="The planned start as the cutover clock reads it: T-30, T0.")


class TimelineOut(Schema):
    steps: list[TimelineStepOut]
    start: int = Field(description="Minutes from T0 of the first start.")
    finish: int = Field(description="Minutes from T0 of the planned end.")
    duration_minutes: int
    critical_path: list[str] = Field(description="Keys of the critical steps, in order.")


class StepIn(Schema):
    key: str = Field(description="Unique in the runbook: lower-case letters, digits, dashes.")
    title: str
    kind: StepKindName = "manual"
    duration_minutes: int = Field(0, ge=0)
    offset_minutes: int | None = Field(None, description="Planned start relative to T0.")
    owner: str | None = Field(None, description="Username of a project member.")
    owner_team: int | str | None = Field(None, description="A team resource: id or name.")
    depends_on: list[str] = Field([], description="Keys of steps of the same runbook.")
    expected_value: str = Field("", description="Checks: the value that passes.")
    approvers: list[str] = Field([], description="Decision points: approvers' usernames.")
    migration_check: str | None = Field(None, description="Checks: name of a migration check.")
    communication: str | None = Field(None, description="Communication steps: its name.")
    instructions: str = ""
    position: int | None = Field(None, ge=0, description="Default: after the last step.")


class StepPatchIn(Schema):
    version: int
    key: str | None = None
    title: str | None = None
    kind: StepKindName | None = None
    duration_minutes: int | None = Field(None, ge=0)
    offset_minutes: int | None = None
    owner: str | None = None
    owner_team: int | str | None = None
    depends_on: list[str] | None = None
    expected_value: str | None = None
    approvers: list[str] | None = None
    migration_check: str | None = None
    communication: str | None = None
    instructions: str | None = None
    position: int | None = Field(None, ge=0)


class StepsReplaceIn(Schema):
    steps: list[StepIn]


def _runbook(request: HttpRequest, key: str, name: str) -> Runbook:
    return runbook_get(user=request.user, project=project_for(request, key), name=name)


def _detail(runbook: Runbook) -> Runbook:
    """Return `runbook` carrying its steps (owners, approvers, predecessors fetched)."""
    runbook.step_list = runbook_steps(runbook)
    return runbook


def _step_of(runbook: Runbook, step_key: str) -> Step:
    step = next((s for s in runbook_steps(runbook) if s.key == step_key), None)
    if step is None:
        raise NotFound(f"Runbook {runbook.name} has no step {step_key}.")
    return step


def _step(request: HttpRequest, key: str, name: str, step_key: str) -> Step:
    return _step_of(_runbook(request, key, name), step_key)


@router.get(ROLLOUT + "/runbooks", response=list[RunbookOut], summary="List runbooks by kind")
@paginate(PageNumberPagination)
def runbooks_list(request: HttpRequest, key: str):
    return runbook_list(user=request.user, project=project_for(request, key))


@router.post(
    ROLLOUT + "/runbooks",
    response={201: RunbookDetailOut},
    summary="Write a runbook (managers)",
    description="A rollback plan (kind rollback) needs `rto_minutes`.",
)
def runbooks_create(request: HttpRequest, key: str, payload: RunbookCreateIn):
    project = project_for(request, key)
    runbook = runbook_create(actor=request.user, project=project, **payload.dict())
    return 201, _detail(runbook_get(user=request.user, project=project, name=runbook.name))


@router.get(
    ROLLOUT + "/runbooks/{name}", response=RunbookDetailOut, summary="Get a runbook with its steps"
)
def runbooks_get(request: HttpRequest, key: str, name: str):
    return _detail(_runbook(request, key, name))


@router.patch(
    ROLLOUT + "/runbooks/{name}",
    response=RunbookDetailOut,
    summary="Change a runbook (managers)",
    description="Send the `version` you read; a stale one gets 409 with the current state.",
)
def runbooks_update(request: HttpRequest, key: str, name: str, payload: RunbookPatchIn):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    project = project_for(request, key)
    runbook = runbook_get(user=request.user, project=project, name=name)
    runbook = runbook_update(actor=request.user, runbook=runbook, version=version, **fields)
    return _detail(runbook_get(user=request.user, project=project, name=runbook.name))


@router.delete(
    ROLLOUT + "/runbooks/{name}",
    response={204: None},
    summary="Delete a runbook that was never run (managers)",
)
def runbooks_delete(request: HttpRequest, key: str, name: str):
    runbook_delete(actor=request.user, runbook=_runbook(request, key, name))
    return 204, None


@router.get(
    ROLLOUT + "/runbooks/{name}/steps",
    response=list[StepOut],
    summary="List a runbook's steps in order",
)
@paginate(PageNumberPagination)
def steps_list(request: HttpRequest, key: str, name: str):
    return runbook_steps(_runbook(request, key, name))


@router.post(
    ROLLOUT + "/runbooks/{name}/steps",
    response={201: StepOut},
    summary="Add a step (managers)",
    description="Dependencies stay in the runbook and acyclic; a decision point needs an "
    "approver, a check an expected value or a migration check, a communication step its "
    "communication, a rollback trigger the runbook's rollback plan.",
)
def steps_create(request: HttpRequest, key: str, name: str, payload: StepIn):
    runbook = _runbook(request, key, name)
    step = step_create(actor=request.user, runbook=runbook, **payload.dict())
    return 201, _step_of(runbook, step.key)


@router.put(
    ROLLOUT + "/runbooks/{name}/steps",
    response=list[StepOut],
    summary="Replace all of a runbook's steps (managers)",
    description="Imports a whole step list, all or nothing; `depends_on` names keys of the "
    "list. Runs keep their own copies of the steps.",
)
def steps_replace(request: HttpRequest, key: str, name: str, payload: StepsReplaceIn):
    runbook = _runbook(request, key, name)
    steps = []
    for step in payload.steps:
        fields = step.dict()
        if fields["position"] is None:  # the list's order then
            del fields["position"]
        steps.append(fields)
    runbook_steps_replace(actor=request.user, runbook=runbook, steps=steps)
    return runbook_steps(runbook)


@router.get(ROLLOUT + "/runbooks/{name}/steps/{step_key}", response=StepOut, summary="Get a step")
def steps_get(request: HttpRequest, key: str, name: str, step_key: str):
    return _step(request, key, name, step_key)


@router.patch(
    ROLLOUT + "/runbooks/{name}/steps/{step_key}",
    response=StepOut,
    summary="Change a step (managers)",
    description="Send the `version` you read; a stale one gets 409 with the current state.",
)
def steps_update(request: HttpRequest, key: str, name: str, step_key: str, payload: StepPatchIn):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    runbook = _runbook(request, key, name)
    step = step_update(
        actor=request.user, step=_step_of(runbook, step_key), version=version, **fields
    )
    return _step_of(runbook, step.key)


@router.delete(
    ROLLOUT + "/runbooks/{name}/steps/{step_key}",
    response={204: None},
    summary="Delete a step (managers)",
)
def steps_delete(request: HttpRequest, key: str, name: str, step_key: str):
    step_delete(actor=request.user, step=_step(request, key, name, step_key))
    return 204, None


@router.get(
    ROLLOUT + "/runbooks/{name}/timeline",
    response=TimelineOut,
    summary="Get a runbook's planned timeline (critical path in minutes from T0)",
    description="Per step: early and late start and finish, float, whether it is critical and "
    "its planned T± clock time; a step's offset is a start-no-earlier-than.",
)
def runbooks_timeline(request: HttpRequest, key: str, name: str):
    return runbook_timeline(_runbook(request, key, name))
