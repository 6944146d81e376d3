"""How the plan pages present plan data: working time as days and hours, predecessor links as
planners write them, ages, and which plan actions a user's role allows (for the templates).

Every read of the plan is in golive.work.selectors.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from golive.projects.access import project_role
from golive.projects.models import Project
from golive.scheduling.calendar import WorkCalendar
from golive.work.access import WORK_RULES
from golive.work.models import Dependency, ProjectCalendar, WorkPackage

STANDARD_DAY = 480
_DURATION_PART = re.compile(r"(-?\d+(?:[.,]\d+)?)\s*(d|h|m|min)?", re.IGNORECASE)


def work_permissions(*, user: Any, project: Project) -> dict[str, bool]:
    """Return, per plan action, whether `user` may do it; pages show only allowed actions."""
    role = project_role(user=user, project=project)
    return {action: role is not None and role >= need for action, need in WORK_RULES.items()}


# Working time as people read it -------------------------------------------------------------


def day_minutes(calendar: ProjectCalendar) -> int:
    """Return the working minutes of an average working day (480 for the standard 8 h week)."""
    total, days = 0, 0
    for periods in (calendar.week or {}).values():
        minutes = 0
        for start, end in periods:
            sh, sm = (int(x) for x in start.split(":"))
            eh, em = (int(x) for x in end.split(":"))
            minutes += (eh * 60 + em) - (sh * 60 + sm)
        if minutes > 0:
            total += minutes
            days += 1
    return round(total / days) if days else STANDARD_DAY


def work_time(minutes: int | None, per_day: int = STANDARD_DAY) -> str:
    """Return working minutes as days and hours: 480 → "1 d", 720 → "1 d 4 h", 90 → "1 h 30 min"."""
    if minutes is None:
        return "—"
    sign = "-" if minutes < 0 else ""
    minutes = abs(int(minutes))
    days, rest = divmod(minutes, per_day or STANDARD_DAY)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if mins:
        parts.append(f"{mins} min")
    return sign + (" ".join(parts) or "0 d")


def work_time_parse(text: str, per_day: int = STANDARD_DAY) -> int:
    """Return working minutes for "2d", "1d 4h", "3.5h", "90m" or a bare number of days."""
    text = (text or "").strip().lower()
    if not text:
        raise ValueError("empty")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-").strip()
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if text[position : match.start()].strip():
            raise ValueError(text)
        number = float(match.group(1).replace(",", "."))
        unit = (match.group(2) or "d").lower()
        total += number * {"d": per_day, "h": 60, "m": 1, "min": 1}[unit]
        position = match.end()
    if position == 0 or text[position:].strip():
        raise ValueError(text)
    return sign * round(total)


def link_label(link: Dependency, per_day: int) -> str:
    """Return a predecessor link as planners write it: 1.2FS, 1.3SS+2 d, 2FF-4 h."""
    lag = ""
    if link.lag:
        lag = ("+" if link.lag > 0 else "") + work_time(link.lag, per_day).replace(" ", "")
    return f"{link.predecessor.wbs}{link.type}{lag}"


# The calendar ------------------------------------------------------------------------------------


def calendar_exceptions(calendar: ProjectCalendar) -> list[Any]:
    """Return the calendar's exceptions (none on the standard calendar not stored yet)."""
    return list(calendar.exceptions.all()) if calendar.pk else []


def summary_spans(rows: list[WorkPackage], cal: WorkCalendar) -> None:
    """Give summary rows their span in working minutes (their leaves' start to finish)."""
    for wp in rows:
        if wp.is_summary and wp.early_start and wp.early_finish:
            wp.span = cal.offset_of(wp.early_finish) - cal.offset_of(wp.early_start)
        else:
            wp.span = wp.duration


def age_label(age: timedelta) -> str:
    """Return an age as "3 d 4 h", "5 h" or "12 min"."""
    minutes = int(age.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h"
    return f"{mins} min"
