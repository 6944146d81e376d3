"""API: test runs, their results, manual results, JUnit imports and flaky cases."""

import os
from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.files import File as DjangoFile
from django.http import FileResponse, HttpRequest
from ninja import Field, File, Form, Query, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from golive.errors import NotFound
from golive.projects.models import Project
from golive.quality.api.base import QUALITY, project_for, router
from golive.quality.api.cases import TypeName
from golive.quality.models import TestCase, TestResult, TestRun
from golive.quality.selectors.testing import (
    flaky_cases,
    run_summary,
    test_result_get,
    test_result_list,
    test_run_get,
    test_run_list,
)
from golive.quality.services.junit_import import junit_import
from golive.quality.services.testing import test_result_record, test_run_create

OutcomeName = Literal["passed", "failed", "error", "skipped", "blocked"]
OUTCOMES = "passed, failed, error, skipped or blocked."
XML_TYPES = ("application/xml", "text/xml", "application/junit+xml")


class TestRunOut(Schema):
    __test__ = False

    id: int
    name: str
    plan: int | None
    build: str
    environment: str
    source: str
    created_by: str
    started_at: datetime
    version: int

    @staticmethod
    def resolve_plan(obj: TestRun) -> int | None:
        return obj.plan_id

    @staticmethod
    def resolve_created_by(obj: TestRun) -> str:
        return obj.created_by.username


class RunSummaryOut(Schema):
    total: int
    passed: int
    failed: int
    error: int
    skipped: int
    blocked: int
    flaky: int = Field(description="Passed on a rerun.")
    executed: int = Field(description="All results but the skipped ones.")
    pass_rate: float | None = Field(description="passed / executed, in percent.")


class TestRunDetailOut(TestRunOut):
    summary: RunSummaryOut


class TestRunCreateIn(Schema):
    __test__ = False

    name: str
    plan: int | None = Field(None, description="Id of the test plan.")
    build: str = ""
    environment: str = ""
    started_at: datetime | None = Field(None, description="Defaults to now.")


class StepResultIO(Schema):
    outcome: OutcomeName
    note: str = ""


class TestResultOut(Schema):
    __test__ = False

    id: int
    run: int
    case: int
    case_key: str
    case_title: str
    case_type: str
    outcome: str
    flaky: bool
    duration: float | None = Field(description="Seconds.")
    message: str
    details: str
    evidence_note: str
    evidence_file: str | None
    steps: list[StepResultIO]
    executed_by: str
    executed_at: datetime

    @staticmethod
    def resolve_run(obj: TestResult) -> int:
        return obj.run_id

    @staticmethod
    def resolve_case(obj: TestResult) -> int:
        return obj.case_id

    @staticmethod
    def resolve_case_key(obj: TestResult) -> str:
        return obj.case.key

    @staticmethod
    def resolve_case_title(obj: TestResult) -> str:
        return obj.case.title

    @staticmethod
    def resolve_case_type(obj: TestResult) -> str:
        return obj.case.type

    @staticmethod
    def resolve_evidence_file(obj: TestResult) -> str | None:
        return obj.evidence_file.name or None

    @staticmethod
    def resolve_executed_by(obj: TestResult) -> str:
        return obj.executed_by.username


class TestResultIn(Schema):
    __test__ = False

    case: int | str = Field(description="The test case: its id or its key.")
    outcome: str = Field(description=OUTCOMES)
    steps: list[StepResultIO] | None = Field(
        None, description="Step by step, aligned with the case's steps."
    )
    duration: float | None = Field(None, ge=0, description="Seconds.")
    message: str = ""
    evidence_note: str = ""


class RunFilters(Schema):
    plan: int | None = Field(None, description="Only the runs of this test plan (id).")
    source: Literal["manual", "junit"] | None = None
    q: str | None = Field(None, description="Text in the name, build or environment.")


class ResultFilters(Schema):
    outcome: OutcomeName | None = None
    type: TypeName | None = Field(None, description="Only the results of cases of this type.")
    flaky: bool | None = None
    q: str | None = Field(None, description="Text in the case key or title, or the message.")


class FlakyFilters(Schema):
    window: int = Field(10, ge=1, le=1000, description="How many recent runs to look at.")


class ImportOut(Schema):
    run: str = Field(description="Name of the run the results went into.")
    run_id: int
    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int
    flaky: int = Field(description="Passed on a rerun (counted as passed too).")
    created_cases: int = Field(description="Test cases created for keys seen the first time.")
    replaced: int = Field(description="Earlier results in the run replaced by this import.")
    duplicates: int = Field(description="Cases reported more than once; the last one counts.")
    created_run: bool = Field(description="Whether the run was new.")
    files: list[str] = Field(description="The reports read, in order.")


class FlakyCaseOut(Schema):
    id: int
    key: str
    title: str
    type: str
    passed: int = Field(description="Passing results in the window.")
    failed: int = Field(description="Failed or error results in the window.")
    flagged: int = Field(description="Results reported flaky (passed on a rerun).")

    @staticmethod
    def resolve_passed(obj: TestCase) -> int:
        return obj.flaky_passed

    @staticmethod
    def resolve_failed(obj: TestCase) -> int:
        return obj.flaky_failed

    @staticmethod
    def resolve_flagged(obj: TestCase) -> int:
        return obj.flaky_flagged


def _run(request: HttpRequest, key: str, run_id: int) -> TestRun:
    return test_run_get(user=request.user, project=project_for(request, key), run_id=run_id)


def _detail(request: HttpRequest, project: Project, run: TestRun) -> TestRun:
    """Return `run` carrying its summary for `TestRunDetailOut`."""
    run.summary = run_summary(run, user=request.user, project=project).as_dict()
    return run


@router.get(QUALITY + "/runs", response=list[TestRunOut], summary="List test runs, newest first")
@paginate(PageNumberPagination)
def runs_list(request: HttpRequest, key: str, filters: Query[RunFilters]):
    project = project_for(request, key)
    return test_run_list(user=request.user, project=project, **filters.dict())


@router.post(
    QUALITY + "/runs",
    response={201: TestRunDetailOut},
    summary="Start a manual test run",
    description="A duplicate name gets 422.",
)
def runs_create(request: HttpRequest, key: str, payload: TestRunCreateIn):
    project = project_for(request, key)
    run = test_run_create(actor=request.user, project=project, **payload.dict())
    return 201, _detail(request, project, run)


@router.post(
    QUALITY + "/runs/junit",
    response={201: ImportOut},
    summary="Import JUnit XML reports into a run",
    description="Either a multipart form with one or more `files` and the `run` name "
    "(optionally `type`, `build`, `environment`), or the XML itself as the request body "
    "(`Content-Type: application/xml`) with `?run=NAME` (and optionally `type`, `build`, "
    "`environment` in the query). The run is created when new. A malformed or unsafe report "
    "gets 422 naming the file and line, and nothing is stored.",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["files", "run"],
                        "properties": {
                            "files": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                            "run": {"type": "string"},
                            "type": {"type": "string", "default": "functional"},
                            "build": {"type": "string"},
                            "environment": {"type": "string"},
                        },
                    }
                },
                "application/xml": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
def runs_junit(
    request: HttpRequest,
    key: str,
    files: File[list[UploadedFile]] = None,
    run: Form[str | None] = None,
    type: Form[TypeName | None] = None,
    build: Form[str | None] = None,
    environment: Form[str | None] = None,
):
    project = project_for(request, key)
    sources: list[Any] = list(files or [])
    if not sources and request.content_type in XML_TYPES:
        sources = [DjangoFile(request, name="request body")]
    if not sources:
        raise ValidationError(
            {
                "files": "Send one or more JUnit XML files as `files` in a multipart form, or the "
                "XML as the request body with Content-Type application/xml and ?run=NAME."
            }
        )
    # The form's values win; a raw body (or a form without them) takes them from the query.
    query = request.GET
    try:
        summary = junit_import(
            actor=request.user,
            project=project,
            run_name=run if run is not None else query.get("run", ""),
            sources=sources,
            test_type=type or query.get("type", "functional"),
            build=build if build is not None else query.get("build", ""),
            environment=environment if environment is not None else query.get("environment", ""),
        )
    except ValidationError as exc:
        raise _as_api_fields(exc) from None
    return 201, ImportOut(run_id=summary.run.pk, **summary.as_dict())


def _as_api_fields(exc: ValidationError) -> ValidationError:
    """Name the errors of the import after this endpoint's fields (run, type, files)."""
    if not hasattr(exc, "error_dict"):
        return exc
    names = {"run_name": "run", "test_type": "type", "file": "files", "sources": "files"}
    return ValidationError({names.get(f, f): errors for f, errors in exc.error_dict.items()})


@router.get(
    QUALITY + "/runs/{run_id}", response=TestRunDetailOut, summary="Get a run with its summary"
)
def runs_get(request: HttpRequest, key: str, run_id: int):
    project = project_for(request, key)
    run = test_run_get(user=request.user, project=project, run_id=run_id)
    return _detail(request, project, run)


@router.get(
    QUALITY + "/runs/{run_id}/results",
    response=list[TestResultOut],
    summary="List a run's results by case key",
)
@paginate(PageNumberPagination)
def results_list(request: HttpRequest, key: str, run_id: int, filters: Query[ResultFilters]):
    project = project_for(request, key)
    run = test_run_get(user=request.user, project=project, run_id=run_id)
    return test_result_list(user=request.user, run=run, project=project, **filters.dict())


@router.post(
    QUALITY + "/runs/{run_id}/results",
    response={201: TestResultOut},
    summary="Record a manual result for a test case",
    description="Replaces an earlier result of the case in this run. An unknown case or "
    "outcome gets 422.",
)
def results_record(request: HttpRequest, key: str, run_id: int, payload: TestResultIn):
    run = _run(request, key, run_id)
    return 201, test_result_record(actor=request.user, run=run, **payload.dict())


@router.get(
    QUALITY + "/results/{result_id}/evidence",
    response={200: None},
    summary="Download a result's evidence file",
    description="A result without a file gets 404.",
)
def results_evidence(request: HttpRequest, key: str, result_id: int):
    project = project_for(request, key)
    result = test_result_get(user=request.user, project=project, result_id=result_id)
    if not result.evidence_file:
        raise NotFound(f"Test result {result_id} has no evidence file.")
    return FileResponse(
        result.evidence_file.open("rb"),
        as_attachment=True,
        filename=os.path.basename(result.evidence_file.name),
    )


@router.get(
    QUALITY + "/flaky-cases",
    response=list[FlakyCaseOut],
    summary="List flaky test cases",
    description="Cases whose results in the last `window` runs include both a pass and a "
    "failure or error, or any result flagged flaky.",
)
@paginate(PageNumberPagination)
def flaky_list(request: HttpRequest, key: str, filters: Query[FlakyFilters]):
    project = project_for(request, key)
    return flaky_cases(user=request.user, project=project, window=filters.window)
