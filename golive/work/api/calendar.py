"""API: the project calendar."""

from datetime import date

from django.http import HttpRequest
from ninja import Field, Schema

from golive.work.api.base import PROJECT, project_for, router
from golive.work.models import (
    ProjectCalendar,
)
from golive.work.selectors import (
    calendar_get,
)
from golive.work.services import (
    calendar_update,
)


class CalendarExceptionSchema(Schema):
    date: date
    name: str = ""
    periods: list[list[str]] = Field(
        [], description='Working periods that day, e.g. [["08:00","12:00"]]; empty = holiday.'
    )


class CalendarOut(Schema):
    time_zone: str
    schedule_start: date
    week: dict[str, list[list[str]]] = Field(
        description='Working periods per weekday (0 = Monday): {"0": [["08:00","12:00"], ...]}.'
    )
    exceptions: list[CalendarExceptionSchema]
    version: int

    @staticmethod
    def build(calendar: ProjectCalendar) -> "CalendarOut":
        exceptions = list(calendar.exceptions.all()) if calendar.pk else []
        return CalendarOut(
            time_zone=calendar.project.time_zone,
            schedule_start=calendar.schedule_start,
            week=calendar.week,
            exceptions=[
                CalendarExceptionSchema(date=e.date, name=e.name, periods=e.periods)
                for e in exceptions
            ],
            version=calendar.version,
        )


class CalendarPutIn(Schema):
    version: int
    schedule_start: date | None = None
    week: dict[str, list[list[str]]] | None = None
    exceptions: list[CalendarExceptionSchema] | None = None


@router.get(PROJECT + "/calendar", response=CalendarOut, summary="Get the project calendar")
def calendar_read(request: HttpRequest, key: str):
    return CalendarOut.build(calendar_get(user=request.user, project=project_for(request, key)))


@router.put(
    PROJECT + "/calendar",
    response=CalendarOut,
    summary="Change working hours, schedule start or exception dates, and reschedule (managers)",
    description="Fields left out stay as they are; `exceptions`, when sent, replaces the list.",
)
def calendar_write(request: HttpRequest, key: str, payload: CalendarPutIn):
    project = project_for(request, key)
    fields = payload.dict(exclude_unset=True)
    calendar_update(actor=request.user, project=project, **fields)
    return CalendarOut.build(calendar_get(user=request.user, project=project))
