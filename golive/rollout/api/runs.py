"""API: runs of a runbook (rehearsals and live), the live view, the report, and step actions."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.errors import NotFound
from golive.rollout.api.base import ROLLOUT, project_for, router, username
from golive.rollout.models import Run, RunStep
from golive.rollout.selectors.runbooks import runbook_get
from golive.rollout.selectors.runs import run_get, run_list, run_live, run_report
from golive.rollout.services.runs import (
    run_abort,
    run_pause,
    run_resume,
    run_start,
    step_complete,
    step_fail,
    step_resolve,
    step_skip,
    step_start,
    step_verdict,
)

RunKindName = Literal["rehearsal", "live"]
RunStatusName = Literal["running", "paused", "succeeded", "failed", "aborted"]
RunStepStatusName = Literal["pending", "in_progress", "done", "failed", "skipped"]
ResolutionName = Literal["retry", "continue", "abort", "rollback"]

RUN = ROLLOUT + "/runbooks/{name}/runs/{number}"
RUN_STEP = RUN + "/steps/{step_key}"


class RunOut(Schema):
    id: int
    runbook: str = Field(description="Name of the runbook.")
    number: int = Field(description="1, 2, … per runbook.")
    kind: RunKindName
    status: RunStatusName
    planned_start: datetime = Field(description="T0: the steps' offsets count from it.")
    started_at: datetime
    ended_at: datetime | None
    paused_at: datetime | None
    paused_seconds: int
    duration_seconds: int | None = Field(description="Wall-clock time from start to end.")
    started_by: str
    notes: str
    version: int

    @staticmethod
    def resolve_runbook(obj: Run) -> str:
        return obj.runbook.name

    @staticmethod
    def resolve_started_by(obj: Run) -> str:
        return obj.started_by.username


class ApprovalOut(Schema):
    username: str
    verdict: str
    at: datetime | None = None
    comment: str = ""


class RunStepOut(Schema):
    id: int
    key: str
    title: str
    kind: str
    position: int
    owner: str | None
    owner_team: str = Field(description="Name of the owning team, when one owns it.")
    duration_minutes: int
    offset_minutes: int | None
    expected_value: str
    depends_on: list[str] = Field(description="Keys of the steps it waits for.")
    approver_ids: list[int] = Field(description="Decision points: ids of the named approvers.")
    status: RunStepStatusName
    assignee: str | None
    started_at: datetime | None
    finished_at: datetime | None
    actual_value: str
    passed: bool | None
    note: str
    approvals: list[ApprovalOut]
    resolution: str = Field(description="After a failure: retry, continue or abort.")
    resolved_by: str | None
    resolution_note: str
    attempts: int
    version: int

    @staticmethod
    def resolve_owner(obj: RunStep) -> str | None:
        return username(obj.owner)

    @staticmethod
    def resolve_owner_team(obj: RunStep) -> str:
        return obj.owner_team_name

    @staticmethod
    def resolve_assignee(obj: RunStep) -> str | None:
        return username(obj.assignee)

    @staticmethod
    def resolve_resolved_by(obj: RunStep) -> str | None:
        return username(obj.resolved_by)


class RunDetailOut(RunOut):
    steps: list[RunStepOut] = Field(description="In order.")

    @staticmethod
    def resolve_steps(obj: Run) -> list[RunStep]:
        return list(obj.steps.select_related("owner", "assignee", "resolved_by"))


class RunSummaryOut(Schema):
    id: int
    runbook: str
    runbook_title: str
    number: int
    kind: RunKindName
    status: RunStatusName
    planned_start: datetime
    started_at: datetime
    ended_at: datetime | None
    paused_at: datetime | None
    paused_seconds: int
    started_by: str | None
    notes: str


class LiveStepOut(Schema):
    id: int
    key: str
    title: str
    kind: str
    status: RunStepStatusName
    position: int
    assignee: str | None
    owner: str | None
    owner_team: str
    duration_minutes: int
    offset_minutes: int | None
    planned: str = Field(description="The planned start as the cutover clock reads it: T-30.")
    planned_start: datetime
    planned_finish: datetime
    actual_start: datetime | None
    actual_finish: datetime | None
    predicted_start: datetime | None
    predicted_finish: datetime | None
    critical: bool = Field(description="On the critical path of what remains.")
    depends_on: list[str]
    waiting_for: list[str] = Field(description="Predecessors not finished yet.")
    halted: bool = Field(description="Behind a failed step that is not resolved.")
    can_start: bool
    expected_value: str
    actual_value: str
    passed: bool | None
    note: str
    approver_ids: list[int]
    approvals: list[ApprovalOut]
    resolution: str
    resolved_by: str | None
    resolution_note: str
    attempts: int
    version: int


class ProgressOut(Schema):
    total: int
    pending: int
    in_progress: int
    done: int
    failed: int
    skipped: int
    finished: int = Field(description="Done, skipped, or failed and continued.")
    halted: int
    percent: int


class LiveOut(Schema):
    run: RunSummaryOut
    status: RunStatusName
    steps: list[LiveStepOut]
    critical_path: list[str] = Field(description="Keys of the critical steps still to finish.")
    planned_end: datetime
    predicted_end: datetime | None = Field(description="The end once the run is over.")
    progress: ProgressOut
    updated_at: datetime
    version: int = Field(description="Changes with every write to the run or its steps.")


class ReportStepOut(Schema):
    key: str
    title: str
    kind: str
    status: RunStepStatusName
    assignee: str | None
    planned_duration_minutes: int
    actual_duration_minutes: float | None
    overrun_minutes: float | None
    planned_start: datetime
    actual_start: datetime | None
    start_delay_minutes: float | None
    actual_finish: datetime | None
    expected_value: str
    actual_value: str
    passed: bool | None
    note: str = Field(description="What happened: the cause of a delay or failure.")
    approvals: list[ApprovalOut]
    resolution: str
    resolution_note: str
    attempts: int


class RehearsalOut(Schema):
    number: int
    kind: RunKindName
    status: RunStatusName
    started_at: datetime
    ended_at: datetime | None
    duration_minutes: float | None
    steps: dict[str, float | None] = Field(description="Minutes each step took, by key.")


class ReportOut(Schema):
    run: RunSummaryOut
    steps: list[ReportStepOut]
    planned_minutes: int
    planned_end: datetime
    achieved_minutes: float = Field(description="Wall-clock minutes from start to end (or now).")
    paused_minutes: float
    active_minutes: float = Field(description="Achieved minutes less the paused time.")
    finished: bool
    rto_minutes: int | None
    within_rto: bool | None = Field(description="Rollback plans: ended within the RTO.")
    rehearsals: list[RehearsalOut] = Field(description="Earlier rehearsals of the runbook.")


class RunStartIn(Schema):
    kind: RunKindName
    planned_start: datetime | None = Field(None, description="T0 (default: now).")
    notes: str = ""


class PauseIn(Schema):
    reason: str = ""


class AbortIn(Schema):
    reason: str


class VersionIn(Schema):
    version: int | None = Field(None, description="The step's version you read.")


class StepCompleteIn(Schema):
    actual_value: str = Field("", description="Checks: the value found.")
    note: str = ""
    version: int | None = None


class StepFailIn(Schema):
    note: str = Field(description="What went wrong.")
    actual_value: str = ""
    version: int | None = None


class StepSkipIn(Schema):
    reason: str
    version: int | None = None


class VerdictIn(Schema):
    approve: bool
    comment: str = ""


class ResolveIn(Schema):
    resolution: ResolutionName
    note: str


def _run(request: HttpRequest, key: str, name: str, number: int) -> Run:
    project = project_for(request, key)
    return run_get(user=request.user, project=project, runbook_name=name, number=number)


def _run_step(request: HttpRequest, key: str, name: str, number: int, step_key: str) -> RunStep:
    run = _run(request, key, name, number)
    found = (
        run.steps.select_related("owner", "assignee", "resolved_by").filter(key=step_key).first()
    )
    if found is None:
        raise NotFound(f"Run #{run.number} of {run.runbook.name} has no step {step_key}.")
    return found


@router.get(
    ROLLOUT + "/runbooks/{name}/runs",
    response=list[RunOut],
    summary="List a runbook's runs, newest first",
)
@paginate(PageNumberPagination)
def runs_list(request: HttpRequest, key: str, name: str):
    runbook = runbook_get(user=request.user, project=project_for(request, key), name=name)
    return run_list(user=request.user, runbook=runbook)


@router.post(
    ROLLOUT + "/runbooks/{name}/runs",
    response={201: RunDetailOut},
    summary="Start a rehearsal or the live run (managers)",
    description="Copies the runbook's steps into the run; a runbook has at most one run in "
    "progress (another start gets 422 naming it).",
)
def runs_start(request: HttpRequest, key: str, name: str, payload: RunStartIn):
    runbook = runbook_get(user=request.user, project=project_for(request, key), name=name)
    run = run_start(actor=request.user, runbook=runbook, **payload.dict())
    return 201, _run(request, key, name, run.number)


@router.get(RUN, response=RunDetailOut, summary="Get a run with its steps")
def runs_get(request: HttpRequest, key: str, name: str, number: int):
    return _run(request, key, name, number)


@router.get(
    RUN + "/live",
    response=LiveOut,
    summary="Follow a run: where each step stands and the predicted end",
    description="Per step: status, assignee, planned and actual start and finish; the halted "
    "steps; the critical path of what remains and the predicted end.",
)
def runs_live(request: HttpRequest, key: str, name: str, number: int):
    return run_live(user=request.user, run=_run(request, key, name, number))


@router.get(
    RUN + "/report",
    response=ReportOut,
    summary="Report on a run: planned against actual, delays and their causes",
    description="Compares the run with earlier rehearsals of the runbook.",
)
def runs_report(request: HttpRequest, key: str, name: str, number: int):
    return run_report(user=request.user, run=_run(request, key, name, number))


@router.post(RUN + "/pause", response=RunDetailOut, summary="Pause a running run (managers)")
def runs_pause(request: HttpRequest, key: str, name: str, number: int, payload: PauseIn):
    run_pause(actor=request.user, run=_run(request, key, name, number), reason=payload.reason)
    return _run(request, key, name, number)


@router.post(RUN + "/resume", response=RunDetailOut, summary="Resume a paused run (managers)")
def runs_resume(request: HttpRequest, key: str, name: str, number: int):
    run_resume(actor=request.user, run=_run(request, key, name, number))
    return _run(request, key, name, number)


@router.post(RUN + "/abort", response=RunDetailOut, summary="Abort a run, with a reason (managers)")
def runs_abort(request: HttpRequest, key: str, name: str, number: int, payload: AbortIn):
    run_abort(actor=request.user, run=_run(request, key, name, number), reason=payload.reason)
    return _run(request, key, name, number)


@router.post(
    RUN_STEP + "/start",
    response=RunStepOut,
    summary="Start a step (contributors)",
    description="The run is running and every predecessor is done, skipped or failed and "
    "continued; you become the assignee.",
)
def run_steps_start(
    request: HttpRequest, key: str, name: str, number: int, step_key: str, payload: VersionIn
):
    run_step = _run_step(request, key, name, number, step_key)
    step_start(actor=request.user, run_step=run_step, version=payload.version)
    return _run_step(request, key, name, number, step_key)


@router.post(
    RUN_STEP + "/complete",
    response=RunStepOut,
    summary="Complete a step (contributors)",
    description="A check compares `actual_value` with the expected value (or runs its "
    "migration check); a mismatch fails the step. A communication step sends its "
    "communication. Decision points are completed by verdicts.",
)
def run_steps_complete(
    request: HttpRequest,
    key: str,
    name: str,
    number: int,
    step_key: str,
    payload: StepCompleteIn,
):
    run_step = _run_step(request, key, name, number, step_key)
    step_complete(actor=request.user, run_step=run_step, **payload.dict())
    return _run_step(request, key, name, number, step_key)


@router.post(
    RUN_STEP + "/fail",
    response=RunStepOut,
    summary="Mark a step failed, saying what went wrong (contributors)",
    description="Its successors wait until a manager resolves the failure.",
)
def run_steps_fail(
    request: HttpRequest, key: str, name: str, number: int, step_key: str, payload: StepFailIn
):
    run_step = _run_step(request, key, name, number, step_key)
    step_fail(actor=request.user, run_step=run_step, **payload.dict())
    return _run_step(request, key, name, number, step_key)


@router.post(
    RUN_STEP + "/skip",
    response=RunStepOut,
    summary="Skip a step, with a reason (contributors)",
)
def run_steps_skip(
    request: HttpRequest, key: str, name: str, number: int, step_key: str, payload: StepSkipIn
):
    run_step = _run_step(request, key, name, number, step_key)
    step_skip(actor=request.user, run_step=run_step, **payload.dict())
    return _run_step(request, key, name, number, step_key)


@router.post(
    RUN_STEP + "/verdict",
    response=RunStepOut,
    summary="Approve or reject a decision point (its named approvers)",
    description="When every named approver approved, the step is done; one rejection fails it.",
)
def run_steps_verdict(
    request: HttpRequest, key: str, name: str, number: int, step_key: str, payload: VerdictIn
):
    run_step = _run_step(request, key, name, number, step_key)
    step_verdict(actor=request.user, run_step=run_step, **payload.dict())
    return _run_step(request, key, name, number, step_key)


@router.post(
    RUN_STEP + "/resolve",
    response=RunStepOut,
    summary="Decide on a failed step (managers)",
    description="retry (back to waiting, one more attempt), continue (its successors may "
    "start), abort (the run ends failed) or rollback (the run ends failed and a run of the "
    "runbook's rollback plan of the same kind starts).",
)
def run_steps_resolve(
    request: HttpRequest, key: str, name: str, number: int, step_key: str, payload: ResolveIn
):
    run_step = _run_step(request, key, name, number, step_key)
    step_resolve(actor=request.user, run_step=run_step, **payload.dict())
    return _run_step(request, key, name, number, step_key)
