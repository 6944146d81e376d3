"""How the resource pages present their data: the actions a role allows, the load histogram
as SVG bars and the heatmap's colour bands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from golive.projects.access import project_role
from golive.projects.models import Project
from golive.resources.access import RESOURCE_RULES
from golive.resources.selectors import DayLoad, ResourceLoadRow, WeekLoad
from golive.web.views.quality_display import nice_step

HISTOGRAM = {"height": 220, "left": 40, "right": 12, "top": 12, "bottom": 38}
# A day's slot: wide enough to read on a desktop page, narrow enough for a quarter to scroll.
DAY_WIDTH = (12, 32)
TARGET_WIDTH = 880


def resource_permissions(*, user: Any, project: Project) -> dict[str, bool]:
    """Return, per resource action, whether `user`'s role allows it; pages show only those."""
    role = project_role(user=user, project=project)
    return {action: role is not None and role >= need for action, need in RESOURCE_RULES.items()}


def load_band(week: WeekLoad) -> str:
    """Return the heatmap cell's css class for a week's load."""
    if week.overloaded_days:
        return "load-over"
    percent = week.percent
    if percent is None or percent == 0:
        return "load-none"
    if percent < 50:
        return "load-low"
    if percent < 85:
        return "load-mid"
    return "load-high"


def heatmap_rows(rows: Sequence[ResourceLoadRow]) -> list[dict[str, Any]]:
    """Return each resource's week cells with their band, for the heatmap table."""
    return [
        {
            "resource": row.resource,
            "overloaded_days": row.overloaded_days,
            "cells": [{"week": w, "band": load_band(w)} for w in row.weeks],
        }
        for row in rows
    ]


def histogram(days: Sequence[DayLoad]) -> dict[str, Any] | None:
    """Lay out a resource's demand per day as SVG bars against its capacity.

    Each day is a bar of the hours asked for (red where they exceed the capacity, with the
    part above the capacity drawn darker) and a tick at the capacity of that day.
    """
    if not days:
        return None
    day_w = max(DAY_WIDTH[0], min(DAY_WIDTH[1], TARGET_WIDTH // len(days)))
    left, right, top, bottom = (HISTOGRAM[k] for k in ("left", "right", "top", "bottom"))
    height = HISTOGRAM["height"]
    width = left + right + day_w * len(days)
    plot_h = height - top - bottom
    highest = max([*(d.demand_hours for d in days), *(d.capacity_hours for d in days), 1.0])
    step = nice_step(highest / 4)
    top_value = step * 4

    def y(value: float) -> float:
        return top + plot_h * (1 - min(value, top_value) / top_value)

    bars = []
    for i, d in enumerate(days):
        x = left + day_w * i
        label = d.day.strftime("%a %d %b")
        bar: dict[str, Any] = {
            "x": f"{x + 2:.1f}",
            "w": f"{day_w - 4:.1f}",
            "day": d.day,
            "title": f"{label}: {d.demand_hours:g} h of {d.capacity_hours:g} h",
            "overloaded": d.overloaded,
            "cap_x1": f"{x:.1f}",
            "cap_x2": f"{x + day_w:.1f}",
            "cap_y": f"{y(d.capacity_hours):.1f}",
            "has_capacity": d.capacity_hours > 0,
        }
        if d.demand_hours > 0:
            bar["y"] = f"{y(d.demand_hours):.1f}"
            bar["h"] = f"{y(0) - y(d.demand_hours):.1f}"
        if d.overloaded:
            bar["over_y"] = bar["y"]
            bar["over_h"] = f"{y(d.capacity_hours) - y(d.demand_hours):.1f}"
        bars.append(bar)
    mondays = [
        {"x": f"{left + day_w * i + day_w / 2:.1f}", "label": d.day.strftime("%d %b")}
        for i, d in enumerate(days)
        if d.day.weekday() == 0 or i == 0
    ]
    return {
        **HISTOGRAM,
        "day": day_w,
        "width": width,
        "plot_right": width - right,
        "plot_bottom": height - bottom,
        "bars": bars,
        "x_ticks": mondays,
        "y_ticks": [{"y": f"{y(step * k):.1f}", "label": f"{step * k:g} h"} for k in range(5)],
        "overloaded_days": sum(1 for d in days if d.overloaded),
    }


def monday_of(day: date) -> date:
    """Return the Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())
