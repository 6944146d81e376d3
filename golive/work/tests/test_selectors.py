"""The plan's reads: the forecast of a plan with progress."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from golive.projects.tests.factories import ProjectFactory
from golive.work.planning import plan_compute
from golive.work.selectors import plan_forecast
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
