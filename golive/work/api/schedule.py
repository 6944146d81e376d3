"""API: the computed schedule, the forecast and the burn-down."""

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Query, Schema

from golive.work.api.base import MINUTES, PROJECT, project_for, router
from golive.work.models import (
    WorkPackage,
)
from golive.work.selectors import (
    FORECAST_MAX_ITERATIONS,
    baseline_get,
    burndown,
    plan_forecast,
    plan_schedule,
)


class ScheduledPackageOut(Schema):
    id: int
    wbs: str
    name: str
    milestone: bool
    early_start: datetime
    early_finish: datetime
    late_start: datetime
    late_finish: datetime
    total_float: int = Field(description=MINUTES)
    free_float: int = Field(description=MINUTES)
    critical: bool


class PackageRefOut(Schema):
    id: int
    wbs: str
    name: str


class ScheduleOut(Schema):
    start: datetime | None
    finish: datetime | None = Field(description="The project finish (latest early finish).")
    critical_path: list[PackageRefOut] = Field(description="From the first package to the finish.")
    count: int
    page: int
    page_size: int
    items: list[ScheduledPackageOut]


class PageIn(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(100, ge=1, le=1000)


def _ref(wp: WorkPackage) -> PackageRefOut:
    return PackageRefOut(id=wp.pk, wbs=wp.wbs, name=wp.name)


@router.get(
    PROJECT + "/schedule",
    response=ScheduleOut,
    summary="The computed schedule: early/late dates, float and critical flag per package",
    description="Computed now from the stored plan. Float is in " + MINUTES.lower() + " The "
    "packages are paginated in outline order (`page`, `page_size` up to 1,000).",
)
def schedule_get(request: HttpRequest, key: str, paging: Query[PageIn]):
    plan = plan_schedule(user=request.user, project=project_for(request, key))
    first = (paging.page - 1) * paging.page_size
    rows = plan.packages[first : first + paging.page_size]
    return ScheduleOut(
        start=plan.start,
        finish=plan.finish,
        critical_path=[_ref(wp) for wp in plan.critical_path],
        count=len(plan.packages),
        page=paging.page,
        page_size=paging.page_size,
        items=[
            ScheduledPackageOut(
                id=row.package.pk,
                wbs=row.package.wbs,
                name=row.package.name,
                milestone=row.package.milestone,
                early_start=row.early_start,
                early_finish=row.early_finish,
                late_start=row.late_start,
                late_finish=row.late_finish,
                total_float=row.total_float,
                free_float=row.free_float,
                critical=row.critical,
            )
            for row in rows
        ],
    )


class PercentilesOut(Schema):
    p50: datetime
    p80: datetime
    p95: datetime


class MilestoneForecastOut(PackageRefOut):
    finish: PercentilesOut


class CriticalityOut(PackageRefOut):
    criticality: float = Field(description="Share of the runs in which the package was critical.")


class ForecastOut(Schema):
    iterations: int
    seed: int | None
    finish: PercentilesOut | None = Field(description="The project finish: P50/P80/P95.")
    milestones: list[MilestoneForecastOut]
    criticality: list[CriticalityOut] = Field(description="Most critical first.")


class ForecastIn(Schema):
    iterations: int = Field(1000, ge=1, le=FORECAST_MAX_ITERATIONS)
    seed: int | None = Field(None, ge=0, description="The same seed gives the same forecast.")


@router.get(
    PROJECT + "/forecast",
    response=ForecastOut,
    summary="Monte Carlo forecast: P50/P80/P95 finish of the project and its milestones",
    description="Packages with optimistic, most likely and pessimistic estimates ("
    + MINUTES
    + ") draw their duration from a PERT distribution; the others keep their duration. Also "
    "gives each package's criticality index.",
)
def forecast_get(request: HttpRequest, key: str, params: Query[ForecastIn]):
    result = plan_forecast(
        user=request.user,
        project=project_for(request, key),
        iterations=params.iterations,
        seed=params.seed,
    )

    def pct(p) -> PercentilesOut:
        return PercentilesOut(p50=p.p50, p80=p.p80, p95=p.p95)

    return ForecastOut(
        iterations=result.iterations,
        seed=result.seed,
        finish=pct(result.finish) if result.finish else None,
        milestones=[
            MilestoneForecastOut(id=wp.pk, wbs=wp.wbs, name=wp.name, finish=pct(p))
            for wp, p in result.milestones
        ],
        criticality=[
            CriticalityOut(id=wp.pk, wbs=wp.wbs, name=wp.name, criticality=round(value, 4))
            for wp, value in result.criticality
        ],
    )


class BurndownPointOut(Schema):
    day: date
    planned: int = Field(description="Planned remaining work at the day's end, " + MINUTES)
    actual: int | None = Field(description="Remaining work at the day's end; none after today.")


class BurndownOut(Schema):
    source: str
    total: int = Field(description=MINUTES)
    points: list[BurndownPointOut]


class BurndownIn(Schema):
    baseline: int | None = Field(None, description="Plan line from this baseline's dates.")


@router.get(
    PROJECT + "/burndown",
    response=BurndownOut,
    summary="Remaining work per working day, planned against actual",
    description="Leaf packages' estimated work burns evenly over their planned (baseline or "
    "current) dates; the actual line uses actual starts, finishes and remaining work.",
)
def burndown_get(request: HttpRequest, key: str, params: Query[BurndownIn]):
    project = project_for(request, key)
    baseline = (
        baseline_get(user=request.user, project=project, baseline_id=params.baseline)
        if params.baseline is not None
        else None
    )
    result = burndown(user=request.user, project=project, baseline=baseline)
    return BurndownOut(
        source=result.source,
        total=result.total,
        points=[
            BurndownPointOut(day=p.day, planned=p.planned, actual=p.actual) for p in result.points
        ],
    )
