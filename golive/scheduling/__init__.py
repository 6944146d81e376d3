"""golive's scheduling library: calendars, critical path, forecasts. Pure Python, no Django.

Plain dataclasses in and out; the engine works in integer working minutes from the project
start, and a WorkCalendar converts those offsets to and from timezone-aware datetimes.
"""

from golive.scheduling.calendar import CalendarError, WorkCalendar, WorkingPeriod
from golive.scheduling.cpm import Schedule, TaskSchedule, schedule
from golive.scheduling.errors import ConstraintError, CycleError, NetworkError, SchedulingError
from golive.scheduling.forecast import Forecast, Percentiles, ThreePoint, forecast
from golive.scheduling.network import (
    Constraint,
    ConstraintKind,
    Dependency,
    DependencyType,
    Network,
    Task,
)

__all__ = [
    "CalendarError",
    "Constraint",
    "ConstraintError",
    "ConstraintKind",
    "CycleError",
    "Dependency",
    "DependencyType",
    "Forecast",
    "Network",
    "NetworkError",
    "Percentiles",
    "Schedule",
    "SchedulingError",
    "Task",
    "TaskSchedule",
    "ThreePoint",
    "WorkCalendar",
    "WorkingPeriod",
    "forecast",
    "schedule",
]
