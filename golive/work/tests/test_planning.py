"""The bridge to the scheduling library: its errors in the planner's words, the plan snapshot."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from golive.projects.tests.factories import ProjectFactory
from golive.scheduling.calendar import WorkCalendar, WorkingPeriod
from golive.scheduling.errors import ConstraintError, NetworkError
from golive.work import planning, selectors
from golive.work.models import PlanSnapshot, WorkPackage
from golive.work.planning import _named, plan_compute, plan_snapshot_get
from golive.work.selectors import plan_forecast, plan_forecast_finish, plan_summary
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


def _fresh_summary(project):
    """The dashboard's figures computed from scratch."""
    result = plan_compute(project)
    return result.finish(), [int(pk) for pk in result.schedule.critical_path]


class PlanSnapshotTests:
    def test_every_change_stores_the_new_finish_and_path(self, plan):
        """A reschedule stores finish and critical path; the next change replaces them."""
        project, design, _build = plan
        first = PlanSnapshot.objects.get(project=project)
        assert (first.finish, first.critical_path) == _fresh_summary(project)
        work_package_update(actor=project.manager, package=design, duration=5 * DAY, version=None)
        second = PlanSnapshot.objects.get(project=project)
        assert second.version == first.version + 1
        assert second.finish > first.finish
        assert (second.finish, second.critical_path) == _fresh_summary(project)

    def test_summary_reads_the_snapshot_without_scheduling(self, plan, monkeypatch):
        """The dashboard summary gives the stored figures and does not compute the plan."""
        project, _design, _build = plan
        finish, path = _fresh_summary(project)

        def refuse(*args, **kwargs):
            raise AssertionError("the plan was computed again")

        monkeypatch.setattr(planning, "plan_compute", refuse)
        summary = plan_summary(user=project.manager, project=project)
        assert summary.finish == finish
        assert [wp.pk for wp in summary.critical_path] == path
        assert summary.path_length == len(path) == 2

    def test_started_work_is_recomputed_once_the_clock_moves(self, plan, monkeypatch):
        """With work begun, the status date moves with the clock: a later view recomputes."""
        project, design, _build = plan
        monkeypatch.setattr(timezone, "now", lambda: datetime(2027, 3, 1, 9, 0, tzinfo=BERLIN))
        work_package_update(
            actor=project.manager,
            package=design,
            actual_start=datetime(2027, 3, 1, 8, 0, tzinfo=BERLIN),
            version=None,
        )
        stored = PlanSnapshot.objects.get(project=project)
        assert stored.status_date is not None
        # A week later nothing was recorded: the remaining work now runs from then.
        monkeypatch.setattr(timezone, "now", lambda: datetime(2027, 3, 8, 9, 0, tzinfo=BERLIN))
        summary = plan_summary(user=project.manager, project=project)
        assert summary.finish == _fresh_summary(project)[0] > stored.finish
        refreshed = PlanSnapshot.objects.get(project=project)
        assert refreshed.finish == summary.finish and refreshed.version == stored.version

    def test_a_time_zone_change_is_recomputed(self, plan):
        """A snapshot computed in another time zone is not served."""
        project, _design, _build = plan
        project.time_zone = "America/New_York"
        project.save(update_fields=["time_zone"])
        summary = plan_summary(user=project.manager, project=project)
        assert summary.finish == _fresh_summary(project)[0]

    def test_a_late_reader_never_overwrites_a_newer_change(self, plan, monkeypatch):
        """A reader recomputing while a change stores a snapshot leaves the change's one."""
        project, design, _build = plan
        snapshot = PlanSnapshot.objects.get(project=project)
        PlanSnapshot.objects.filter(pk=snapshot.pk).update(time_zone="UTC")  # forces a recompute
        real = planning.plan_compute

        def compute_then_change(*args, **kwargs):
            result = real(*args, **kwargs)
            work_package_update(
                actor=project.manager, package=design, duration=9 * DAY, version=None
            )
            return result

        monkeypatch.setattr(planning, "plan_compute", compute_then_change)
        plan_snapshot_get(project)
        monkeypatch.setattr(planning, "plan_compute", real)
        stored = PlanSnapshot.objects.get(project=project)
        assert stored.version == snapshot.version + 1
        assert (stored.finish, stored.critical_path) == _fresh_summary(project)

    def test_a_project_without_a_snapshot_gets_one_on_first_read(self, plan):
        """Plans scheduled before snapshots existed are computed once, then read."""
        project, _design, _build = plan
        PlanSnapshot.objects.filter(project=project).delete()
        summary = plan_summary(user=project.manager, project=project)
        assert summary.finish == _fresh_summary(project)[0]
        assert PlanSnapshot.objects.get(project=project).finish == summary.finish

    def test_forecast_finish_is_simulated_once_per_plan_version(self, plan, monkeypatch):
        """The dashboard's forecast is stored; a change makes the next view simulate again."""
        project, design, build = plan
        work_package_update(
            actor=project.manager,
            package=build,
            optimistic=2 * DAY,
            most_likely=3 * DAY,
            pessimistic=8 * DAY,
            version=None,
        )
        first = plan_forecast_finish(user=project.manager, project=project)
        expected = plan_forecast(user=project.manager, project=project, iterations=500, seed=1)
        assert first is not None and first.finish == expected.finish
        calls = []
        real = selectors.plan_forecast
        monkeypatch.setattr(selectors, "plan_forecast", lambda **kw: calls.append(kw) or real(**kw))
        assert plan_forecast_finish(user=project.manager, project=project) == first
        assert calls == []
        work_package_update(actor=project.manager, package=design, duration=6 * DAY, version=None)
        later = plan_forecast_finish(user=project.manager, project=project)
        assert len(calls) == 1 and later is not None and later.finish.p50 > first.finish.p50
