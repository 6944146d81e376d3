"""The bridge to the scheduling library: its errors in the planner's words."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from golive.projects.tests.factories import ProjectFactory
from golive.scheduling.calendar import WorkCalendar, WorkingPeriod
from golive.scheduling.errors import ConstraintError, NetworkError
from golive.work.models import WorkPackage
from golive.work.planning import _named
from golive.work.services import (
    calendar_update,
    dependency_create,
    work_package_create,
    work_package_update,
)

DAY = 480
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def plan(db):
    """Design (2 d) then Build (3 d), from Monday 2027-03-01 on the standard calendar."""
    project = ProjectFactory(key="BRG", time_zone="Europe/Berlin")
    pm = project.manager
    calendar_update(actor=pm, project=project, schedule_start=date(2027, 3, 1))
    design = work_package_create(
        actor=pm, project=project, name="Design", owner=pm, duration=2 * DAY
    )
    build = work_package_create(
        actor=pm, project=project, name="Load data", owner=pm, duration=3 * DAY
    )
    dependency_create(actor=pm, project=project, predecessor=design, successor=build)
    return project, design, build


def _calendar() -> WorkCalendar:
    day = [WorkingPeriod.parse("08:00-12:00"), WorkingPeriod.parse("13:00-17:00")]
    week = {i: day for i in range(5)}
    return WorkCalendar("Europe/Berlin", week, {}, origin=datetime(2027, 3, 1, tzinfo=BERLIN))


class ScheduleMessageTests:
    def test_constraint_error_names_the_package_and_gives_dates(self, plan):
        """A deadline the links cannot meet is refused with the package and two local dates."""
        project, _, build = plan
        with pytest.raises(ValidationError) as exc:
            work_package_update(
                actor=project.manager,
                package=build,
                constraint_kind="fnlt",
                constraint_date=datetime(2027, 3, 3, 12, 0, tzinfo=BERLIN),
            )
        assert exc.value.message_dict["schedule"] == [
            "2 Load data must finish no later than Wed 2027-03-03 12:00 "
            "but cannot finish before Fri 2027-03-05 17:00"
        ]

    def test_must_start_on_gives_start_dates(self, plan):
        """A must-start-on before the predecessor finishes gives both starts as dates."""
        project, _, build = plan
        with pytest.raises(ValidationError) as exc:
            work_package_update(
                actor=project.manager,
                package=build,
                constraint_kind="mso",
                constraint_date=datetime(2027, 3, 2, 8, 0, tzinfo=BERLIN),
            )
        assert exc.value.message_dict["schedule"] == [
            "2 Load data must start on Tue 2027-03-02 08:00 but cannot start before Wed 2027-03-03 08:00"
        ]

    def test_offsets_are_not_taken_for_package_ids(self):
        """A number in the detail that happens to be a package id stays a date, not a name."""
        wp = WorkPackage(pk=960, wbs="3", name="Cut-over")
        other = WorkPackage(pk=7, wbs="1.2", name="Design")
        error = ConstraintError("7", "must finish no later than 480 but cannot finish before 960")
        assert _named(error, {960: wp, 7: other}, _calendar(), "Europe/Berlin") == (
            "1.2 Design must finish no later than Mon 2027-03-01 17:00 "
            "but cannot finish before Tue 2027-03-02 17:00"
        )

    def test_unknown_detail_is_kept(self):
        """A detail in another wording keeps its text; only the error's own ids become names."""
        other = WorkPackage(pk=7, wbs="1.2", name="Design")
        error = ConstraintError("7", "is late by 30 minutes")
        assert _named(error, {7: other}, _calendar(), "Europe/Berlin") == (
            "1.2 Design is late by 30 minutes"
        )
        network = NetworkError("task 7 has a negative duration (-30)", ["7"])
        assert _named(network, {7: other, 30: other}, _calendar(), "Europe/Berlin") == (
            "task 1.2 Design has a negative duration (-30)"
        )


class CalendarMessageTests:
    def test_midnight_error_does_not_name_internal_constants(self, plan):
        """A period ending at 00:00 is refused in plain words: write 24:00, no END_OF_DAY."""
        project, _, _ = plan
        with pytest.raises(ValidationError) as exc:
            calendar_update(
                actor=project.manager, project=project, week={"0": [["22:00", "00:00"]]}
            )
        [message] = exc.value.message_dict["calendar"]
        assert "END_OF_DAY" not in message
        assert message == (
            "The project calendar is invalid: Working period 22:00-00:00: start must be before "
            "end (write a period that ends at midnight as ending at 24:00)."
        )
