"""API: baselines: save, list, read, compare with the current plan."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.work.api.base import MINUTES, PROJECT, project_for, router
from golive.work.models import (
    Baseline,
)
from golive.work.selectors import (
    Variance,
    baseline_compare,
    baseline_get,
    baseline_list,
)
from golive.work.services import (
    baseline_save,
)


class BaselineOut(Schema):
    id: int
    name: str
    finish: datetime | None
    created_by: str
    created_at: datetime

    @staticmethod
    def resolve_created_by(obj: Baseline) -> str:
        return obj.created_by.username


class BaselineEntryOut(Schema):
    work_package: int | None
    name: str
    start: datetime | None
    finish: datetime | None
    duration: int = Field(description=MINUTES)

    @staticmethod
    def resolve_work_package(obj) -> int | None:
        return obj.work_package_id


class BaselineDetailOut(BaselineOut):
    entries: list[BaselineEntryOut]

    @staticmethod
    def resolve_entries(obj: Baseline) -> list[Any]:
        return list(obj.entries.all())


class BaselineCreateIn(Schema):
    name: str


class VarianceOut(Schema):
    minutes: int | None = Field(description=MINUTES + " Positive = later than the baseline.")
    days: int | None = Field(description="Calendar days in the project's time zone.")


class PackageVarianceOut(Schema):
    work_package: int | None
    wbs: str
    name: str
    status: str = Field(description="changed (in both), added (new since), removed (deleted).")
    baseline_start: datetime | None
    baseline_finish: datetime | None
    baseline_duration: int | None
    start: datetime | None
    finish: datetime | None
    duration: int | None
    start_variance: VarianceOut
    finish_variance: VarianceOut
    duration_variance: int | None = Field(description=MINUTES)


class BaselineRefOut(Schema):
    id: int
    name: str


class ComparisonOut(Schema):
    baseline: BaselineRefOut
    baseline_finish: datetime | None
    finish: datetime | None
    finish_variance: VarianceOut
    packages: list[PackageVarianceOut]


def _variance_out(v: Variance) -> VarianceOut:
    return VarianceOut(minutes=v.minutes, days=v.days)


def _baseline(request: HttpRequest, key: str, baseline_id: int) -> Baseline:
    project = project_for(request, key)
    return baseline_get(
        user=request.user, project=project, baseline_id=baseline_id, with_entries=True
    )


@router.get(PROJECT + "/baselines", response=list[BaselineOut], summary="List baselines")
@paginate(PageNumberPagination)
def baselines_list(request: HttpRequest, key: str):
    return baseline_list(user=request.user, project=project_for(request, key))


@router.post(
    PROJECT + "/baselines",
    response={201: BaselineOut},
    summary="Save the current schedule as a named baseline (managers)",
)
def baselines_create(request: HttpRequest, key: str, payload: BaselineCreateIn):
    project = project_for(request, key)
    baseline = baseline_save(actor=request.user, project=project, name=payload.name)
    return 201, baseline


@router.get(
    PROJECT + "/baselines/{baseline_id}",
    response=BaselineDetailOut,
    summary="Get a baseline with its entries",
)
def baselines_get(request: HttpRequest, key: str, baseline_id: int):
    return _baseline(request, key, baseline_id)


@router.get(
    PROJECT + "/baselines/{baseline_id}/compare",
    response=ComparisonOut,
    summary="Compare the current plan with a baseline",
    description="Start, finish and duration variance per package and the project finish "
    "variance, in working minutes and in calendar days. Positive = later or longer.",
)
def baselines_compare(request: HttpRequest, key: str, baseline_id: int):
    project = project_for(request, key)
    baseline = baseline_get(user=request.user, project=project, baseline_id=baseline_id)
    result = baseline_compare(user=request.user, project=project, baseline=baseline)
    return ComparisonOut(
        baseline=BaselineRefOut(id=baseline.pk, name=baseline.name),
        baseline_finish=result.baseline_finish,
        finish=result.finish,
        finish_variance=_variance_out(result.finish_variance),
        packages=[
            PackageVarianceOut(
                work_package=row.work_package_id,
                wbs=row.wbs,
                name=row.name,
                status=row.status,
                baseline_start=row.baseline_start,
                baseline_finish=row.baseline_finish,
                baseline_duration=row.baseline_duration,
                start=row.start,
                finish=row.finish,
                duration=row.duration,
                start_variance=_variance_out(row.start_variance),
                finish_variance=_variance_out(row.finish_variance),
                duration_variance=row.duration_variance,
            )
            for row in result.packages
        ],
    )
