"""The plan's reads: the forecast of a plan with progress, the Gantt chart's dates."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from golive.projects.tests.factories import ProjectFactory
from golive.work.models import WorkPackage
from golive.work.planning import plan_compute
from golive.work.selectors import gantt_get, plan_forecast, wall_clock_ms
from golive.work.services import calendar_update, dependency_create, work_package_create

DAY = 480
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 4, 7, 10, 0, tzinfo=BERLIN)  # a Wednesday, five weeks into the plan


@pytest.mark.django_db
class PlanForecastTests:
    def test_unstarted_work_is_not_forecast_in_the_past(self, monkeypatch):
        """Once work has begun, the forecast holds what is left back to now, as the schedule does."""
        monkeypatch.setattr(timezone, "now", lambda: NOW)
        project = ProjectFactory(key="FST", time_zone="Europe/Berlin")
        pm = project.manager
        calendar_update(actor=pm, project=project, schedule_start=date(2027, 3, 1))

        def add(name, **fields):
            return work_package_create(actor=pm, project=project, name=name, owner=pm, **fields)

        design = add(
            "Design",
            duration=2 * DAY,
            actual_start=datetime(2027, 3, 1, 10, 0, tzinfo=BERLIN),
            remaining=DAY,
        )
        docs = add("Docs", duration=DAY)
        golive = add("Go-live", milestone=True)
        for pred in (design, docs):
            dependency_create(actor=pm, project=project, predecessor=pred, successor=golive)

        result = plan_forecast(user=pm, project=project, iterations=20, seed=1)

        # Both packages have a day of work left from Wednesday 10:00: Thursday 10:00.
        expected = datetime(2027, 4, 8, 10, 0, tzinfo=BERLIN)
        assert result.finish is not None
        assert result.finish.p50 == result.finish.p95 == expected
        assert result.finish.p80 == plan_compute(project).finish()
        [(milestone, dates)] = result.milestones
        assert milestone.pk == golive.pk and dates.p80 >= NOW


def _wall_ms(value: datetime | None, zone: ZoneInfo) -> int | None:
    """The reference conversion, one value at a time."""
    if value is None:
        return None
    local = value.astimezone(zone).replace(tzinfo=UTC)
    return (local - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


class WallClockTests:
    @pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Santiago", "Australia/Lord_Howe"])
    def test_matches_converting_each_value_across_clock_changes(self, zone):
        """Every instant, on clock-change days too, gets the zone's wall clock in milliseconds."""
        tz = ZoneInfo(zone)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        values = [start + timedelta(minutes=37 * k, milliseconds=k % 1000) for k in range(30_000)]
        values[5] = None
        expected = [_wall_ms(v, tz) for v in values]
        utc = [None if v is None else _wall_ms(v, ZoneInfo("UTC")) for v in values]
        assert wall_clock_ms(utc, tz) == expected


@pytest.mark.django_db
class GanttGetTests:
    def test_dates_are_the_wall_clock_of_the_stored_instants(self):
        """Stored dates, sub-second ones and NULLs included, come as wall-clock milliseconds."""
        project = ProjectFactory(key="GWC", time_zone="America/New_York")
        pm = project.manager
        first = work_package_create(actor=pm, project=project, name="A", owner=pm, duration=DAY)
        second = work_package_create(actor=pm, project=project, name="B", owner=pm, duration=DAY)
        odd = datetime(2026, 3, 8, 6, 59, 59, 987654, tzinfo=UTC)  # just before the clock change
        WorkPackage.objects.filter(pk=first.pk).update(early_start=odd, early_finish=None)
        data = gantt_get(user=pm, project=project)
        rows = {row[0]: i for i, row in enumerate(data.packages)}
        dates = {pk: (data.start[i], data.finish[i]) for pk, i in rows.items()}
        tz = ZoneInfo("America/New_York")
        assert dates[first.pk] == (_wall_ms(odd, tz), None)
        stored = WorkPackage.objects.get(pk=second.pk)
        assert dates[second.pk] == (
            _wall_ms(stored.early_start, tz),
            _wall_ms(stored.early_finish, tz),
        )
