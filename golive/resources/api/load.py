"""API: load per resource per day and week, critical-share warnings, the resource settings."""

from datetime import date

from django.http import HttpRequest
from ninja import Field, Query, Schema

from golive.resources.api.base import RESOURCES, PackageRefOut, ResourceRefOut, project_for, router
from golive.resources.selectors import (
    ResourceLoad,
    ResourceLoadRow,
    critical_share_warnings,
    resource_load,
    resource_settings_get,
)
from golive.resources.services import resource_settings_update


class DayLoadOut(Schema):
    day: date
    capacity_hours: float = Field(description="0 on non-working days, time off, unavailability.")
    demand_hours: float = Field(description="What the scheduled assignments ask for.")
    overloaded: bool


class WeekLoadOut(Schema):
    start: date
    capacity_hours: float
    demand_hours: float
    overloaded_days: int
    percent: int | None = Field(description="Demand as a percentage of capacity.")


class ResourceLoadOut(Schema):
    resource: ResourceRefOut
    overloaded_days: int
    days: list[DayLoadOut]
    weeks: list[WeekLoadOut]


class LoadOut(Schema):
    start: date
    end: date = Field(description="The last day covered.")
    weeks: list[date] = Field(description="The first day of each week.")
    overloaded_days: int = Field(description="Overloaded resource-days in the window.")
    resources: list[ResourceLoadOut]

    @staticmethod
    def resolve_resources(obj: ResourceLoad) -> list[ResourceLoadRow]:
        return obj.rows


class LoadFilters(Schema):
    start: date | None = Field(None, description="Default: the Monday of this week.")
    weeks: int = Field(12, description="1 to 104.")


class WarningOut(Schema):
    resource: ResourceRefOut
    share_percent: int = Field(description="Their share of the critical path's work.")
    threshold_percent: int
    packages: list[PackageRefOut] = Field(description="The critical packages they work on.")


class SettingsOut(Schema):
    critical_share_percent: int = Field(
        description="Warn when one person carries more than this share of the critical path's work."
    )
    version: int


class SettingsPatchIn(Schema):
    version: int | None = None
    critical_share_percent: int = Field(description="1 to 100.")


@router.get(
    RESOURCES + "/load",
    response=LoadOut,
    summary="Each resource's capacity and demand per day, with week totals",
    description="Demand comes from the stored schedule: each assignment asks for units x "
    "capacity over its package's working time. A day is overloaded when demand exceeds "
    "capacity.",
)
def load_get(request: HttpRequest, key: str, filters: Query[LoadFilters]):
    project = project_for(request, key)
    return resource_load(user=request.user, project=project, **filters.dict())


@router.get(
    RESOURCES + "/warnings",
    response=list[WarningOut],
    summary="People carrying more than the critical-share threshold of the critical path",
)
def warnings_list(request: HttpRequest, key: str):
    return critical_share_warnings(user=request.user, project=project_for(request, key))


@router.get(RESOURCES + "/settings", response=SettingsOut, summary="Get the resource settings")
def settings_get(request: HttpRequest, key: str):
    return resource_settings_get(user=request.user, project=project_for(request, key))


@router.patch(
    RESOURCES + "/settings",
    response=SettingsOut,
    summary="Change the resource settings (managers)",
    description="Send the `version` you read; a stale one gets 409 with the current state.",
)
def settings_update(request: HttpRequest, key: str, payload: SettingsPatchIn):
    return resource_settings_update(
        actor=request.user, project=project_for(request, key), **payload.dict()
    )
