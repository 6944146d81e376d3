"""API: defects: list, report, read, change, move through the workflow, flag for go-live."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.quality.api.base import QUALITY, project_for, router, username
from golive.quality.models import Defect, Severity
from golive.quality.selectors.defects import defect_get, defect_list
from golive.quality.services.defects import (
    allowed_actions,
    defect_flag_set,
    defect_report,
    defect_transition,
    defect_update,
)

SeverityName = Literal["low", "medium", "high", "critical"]
SEVERITY_NAMES = {s.value: s.name.lower() for s in Severity}


class DefectOut(Schema):
    id: int
    number: int
    ref: str = Field(description="DEF-<number>.")
    title: str
    description: str
    severity: SeverityName
    priority: int = Field(description="1 = highest.")
    status: str
    resolution: str
    found_in: int | None = Field(description="Id of the result the defect was found in.")
    reporter: str
    assignee: str | None
    blocks_go_live: bool
    block_reason: str
    fixed_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    actions: list[str] = Field(description="The workflow actions open to it now.")

    @staticmethod
    def resolve_ref(obj: Defect) -> str:
        return obj.ref

    @staticmethod
    def resolve_severity(obj: Defect) -> str:
        return SEVERITY_NAMES[obj.severity]

    @staticmethod
    def resolve_found_in(obj: Defect) -> int | None:
        return obj.found_in_id

    @staticmethod
    def resolve_reporter(obj: Defect) -> str:
        return obj.reporter.username

    @staticmethod
    def resolve_assignee(obj: Defect) -> str | None:
        return username(obj.assignee)

    @staticmethod
    def resolve_actions(obj: Defect) -> list[str]:
        return allowed_actions(obj.status)


class DefectDetailOut(DefectOut):
    cases: list[str] = Field(description="Keys of the linked test cases.")
    requirements: list[str] = Field(description="Identifiers of the linked requirements.")
    work_packages: list[str] = Field(description="WBS codes of the linked work packages.")
    retest_result: int | None = Field(description="Id of the passing retest that closed it.")

    @staticmethod
    def resolve_cases(obj: Defect) -> list[str]:
        return [c.key for c in obj.cases.all()]

    @staticmethod
    def resolve_requirements(obj: Defect) -> list[str]:
        return [r.ref for r in obj.requirements.all()]

    @staticmethod
    def resolve_work_packages(obj: Defect) -> list[str]:
        return [wp.wbs for wp in obj.work_packages.all()]

    @staticmethod
    def resolve_retest_result(obj: Defect) -> int | None:
        return obj.retest_result_id


class DefectReportIn(Schema):
    title: str
    description: str = ""
    severity: SeverityName = "medium"
    priority: int = Field(3, ge=1, le=5, description="1 = highest.")
    found_in: int | None = Field(None, description="Id of the result the defect was found in.")
    cases: list[int | str] = Field([], description="Test cases by id or key.")
    requirements: list[str] = Field([], description="Requirement identifiers.")
    work_packages: list[int | str] = Field([], description="Work packages by id or WBS code.")
    assignee: str | None = Field(None, description="Username of a project member.")


class DefectPatchIn(Schema):
    version: int
    title: str | None = None
    description: str | None = None
    severity: SeverityName | None = None
    priority: int | None = Field(None, ge=1, le=5)
    assignee: str | None = None
    cases: list[int | str] | None = None
    requirements: list[str] | None = None
    work_packages: list[int | str] | None = None


class TransitionIn(Schema):
    action: str = Field(description="triage, start, fix, retest, close or reopen.")
    version: int | None = None
    reason: str = Field("", description="Needed to reopen, and to close as rejected/duplicate.")
    resolution: str = Field("", description="Closing new or triaged: rejected or duplicate.")
    assignee: str | None = Field(None, description="Username; assigns the defect on the way.")


class FlagIn(Schema):
    blocks_go_live: bool
    reason: str
    version: int | None = None


class DefectFilters(Schema):
    status: str | None = Field(None, description="One status, or several separated by commas.")
    severity: SeverityName | None = Field(None, description="At or above this severity.")
    open: bool | None = Field(None, description="true: not closed; false: closed.")
    blocking: bool | None = Field(None, description="true: open and blocking go-live.")


def _defect(request: HttpRequest, key: str, number: str) -> Defect:
    return defect_get(user=request.user, project=project_for(request, key), number=number)


@router.get(QUALITY + "/defects", response=list[DefectOut], summary="List defects, newest first")
@paginate(PageNumberPagination)
def defects_list(request: HttpRequest, key: str, filters: Query[DefectFilters]):
    project = project_for(request, key)
    return defect_list(user=request.user, project=project, **filters.dict())


@router.post(
    QUALITY + "/defects",
    response={201: DefectDetailOut},
    summary="Report a defect",
    description="A critical defect blocks go-live by default.",
)
def defects_report(request: HttpRequest, key: str, payload: DefectReportIn):
    project = project_for(request, key)
    defect = defect_report(actor=request.user, project=project, **payload.dict())
    return 201, defect_get(user=request.user, project=project, number=defect.number)


@router.get(
    QUALITY + "/defects/{number}", response=DefectDetailOut, summary="Get a defect by number"
)
def defects_get(request: HttpRequest, key: str, number: str):
    return _defect(request, key, number)


@router.patch(
    QUALITY + "/defects/{number}",
    response=DefectDetailOut,
    summary="Change a defect's description, severity, priority, assignee or links",
    description="Send the `version` you read; a stale one gets 409 with the current state.",
)
def defects_update(request: HttpRequest, key: str, number: str, payload: DefectPatchIn):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    defect_update(
        actor=request.user, defect=_defect(request, key, number), version=version, **fields
    )
    return _defect(request, key, number)


@router.post(
    QUALITY + "/defects/{number}/transitions",
    response=DefectDetailOut,
    summary="Move a defect through its workflow",
    description="new →triage→ triaged →start→ in_progress →fix→ fixed →retest→ retest →close→ "
    "closed; reopen (with a reason) from retest or closed; close new or triaged ones as "
    "rejected or duplicate (with a reason). Closing from retest needs a passing result of one "
    "of the defect's cases executed after the fix. Any other action gets 422 naming the "
    "current status and the allowed actions.",
)
def defects_transition(request: HttpRequest, key: str, number: str, payload: TransitionIn):
    defect_transition(actor=request.user, defect=_defect(request, key, number), **payload.dict())
    return _defect(request, key, number)


@router.post(
    QUALITY + "/defects/{number}/flag",
    response=DefectDetailOut,
    summary="Set whether a defect blocks go-live (managers)",
    description="Needs a reason.",
)
def defects_flag(request: HttpRequest, key: str, number: str, payload: FlagIn):
    defect_flag_set(actor=request.user, defect=_defect(request, key, number), **payload.dict())
    return _defect(request, key, number)
