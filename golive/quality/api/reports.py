"""API: the traceability matrix (JSON or CSV) and the QA dashboard's figures."""

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Schema

from golive.quality.api.base import QUALITY, project_for, router
from golive.quality.selectors.dashboard import quality_dashboard
from golive.quality.selectors.traceability import traceability_csv, traceability_matrix


class CoverageOut(Schema):
    requirements: int = Field(description="Requirements not dropped.")
    covered: int = Field(description="With at least one linked test case.")
    verified: int = Field(description="Every linked case's latest result passed.")
    covered_percent: float | None
    verified_percent: float | None


class ResultTraceOut(Schema):
    id: int
    outcome: str
    run_id: int
    run_name: str
    executed_at: datetime


class CaseTraceOut(Schema):
    id: int
    key: str
    title: str
    type: str
    latest: ResultTraceOut | None = Field(description="The case's latest result, if any.")


class DefectTraceOut(Schema):
    number: int
    ref: str
    title: str
    severity: str
    status: str
    blocks_go_live: bool


class SignOffTraceOut(Schema):
    id: int
    name: str
    status: str


class TraceRowOut(Schema):
    requirement_id: int
    ref: str
    text: str
    priority: str
    status: str
    cases: list[CaseTraceOut]
    defects: list[DefectTraceOut] = Field(description="Open defects on the requirement or cases.")
    signoffs: list[SignOffTraceOut] = Field(description="Sign-offs covering the latest results.")
    covered: bool
    verified: bool


class TraceabilityOut(Schema):
    coverage: CoverageOut
    count: int
    page: int
    page_size: int
    items: list[TraceRowOut]


class TraceabilityIn(Schema):
    format: Literal["json", "csv"] = Field("json", description="csv: the whole matrix as a file.")
    page: int = Field(1, ge=1)
    page_size: int = Field(100, ge=1, le=1000)


@router.get(
    QUALITY + "/traceability",
    response={200: TraceabilityOut},
    summary="Traceability: each requirement's cases, latest results, open defects, sign-offs",
    description="Requirements in identifier order, paginated (`page`, `page_size` up to "
    "1,000), with the coverage of the whole register. `?format=csv` answers the whole matrix "
    "as `text/csv`, one line per requirement and test case.",
    openapi_extra={
        "responses": {
            200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        }
    },
)
def traceability_get(request: HttpRequest, key: str, params: Query[TraceabilityIn]):
    project = project_for(request, key)
    if params.format == "csv":
        response = HttpResponse(
            traceability_csv(user=request.user, project=project),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{project.key.lower()}-traceability.csv"'
        )
        return response
    matrix = traceability_matrix(user=request.user, project=project).as_dict()
    first = (params.page - 1) * params.page_size
    return TraceabilityOut(
        coverage=matrix["coverage"],
        count=len(matrix["rows"]),
        page=params.page,
        page_size=params.page_size,
        items=matrix["rows"][first : first + params.page_size],
    )


class CountsOut(Schema):
    passed: int
    failed: int
    error: int
    skipped: int
    blocked: int
    total: int
    pass_rate: float | None = Field(description="passed / (total - skipped), in percent.")


class RunFiguresOut(Schema):
    id: int
    name: str
    build: str
    environment: str
    source: str
    started_at: datetime
    counts: CountsOut
    by_type: dict[str, CountsOut] = Field(description="Per test type with results in the run.")


class PlanProgressOut(Schema):
    plan_id: int
    plan: str
    cases: int
    executed: int = Field(description="Cases of the plan with a result in its latest run.")
    percent: float | None
    run_id: int | None
    run: str | None


class DefectDayOut(Schema):
    date: date
    arrived: int
    closed: int
    arrived_total: int
    closed_total: int
    open: int


class DefectAgeOut(Schema):
    severity: str
    buckets: dict[str, int] = Field(description="Open defects per age bucket.")
    total: int


class DashboardOut(Schema):
    pass_rate_trend: list[RunFiguresOut] = Field(description="Every run, oldest first.")
    plan_progress: list[PlanProgressOut]
    defect_trend: list[DefectDayOut] = Field(description="Per day in the project's time zone.")
    open_defects_by_age: list[DefectAgeOut] = Field(description="Most severe first.")
    mean_time_to_fix_hours: float | None
    coverage: CoverageOut


@router.get(
    QUALITY + "/dashboard",
    response=DashboardOut,
    summary="QA dashboard figures",
    description="Pass rate per test type per run over time, execution progress of the "
    "current plan, defect arrival and closure per day, open defects by severity and age, "
    "mean time to fix.",
)
def dashboard_get(request: HttpRequest, key: str):
    return quality_dashboard(user=request.user, project=project_for(request, key))
