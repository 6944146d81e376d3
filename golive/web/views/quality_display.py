"""How the quality pages present their data: the actions a role allows and the SVG charts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from golive.projects.access import project_role
from golive.projects.models import Project
from golive.quality.access import QUALITY_RULES
from golive.quality.models import TestType
from golive.quality.services.defects import allowed_actions

CHART = {"width": 520, "height": 230, "left": 44, "right": 36, "top": 14, "bottom": 34}

ACTION_LABELS = {
    "triage": "Triage",
    "start": "Start work",
    "fix": "Mark fixed",
    "retest": "Ready for retest",
    "close": "Close",
    "reopen": "Reopen",
}


def quality_permissions(*, user: Any, project: Project) -> dict[str, bool]:
    """Return, per quality action, whether `user`'s role allows it; pages show only those."""
    role = project_role(user=user, project=project)
    return {action: role is not None and role >= need for action, need in QUALITY_RULES.items()}


def defect_actions(status: str) -> list[dict[str, str]]:
    """Return the workflow buttons of a defect in `status`, with their labels."""
    return [{"action": a, "label": ACTION_LABELS.get(a, a)} for a in allowed_actions(status)]


def nice_step(raw: float) -> float:
    """Return a round axis step (1, 2 or 5 times a power of ten) at least `raw`."""
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return float(factor * power)
    return float(10 * power)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    top_value: float | None = None,
    unit: str = "",
) -> dict[str, Any] | None:
    """Lay out lines over shared x labels as SVG coordinates.

    `series` holds (name, css class, values); a None value leaves a gap. `top_value` fixes the
    y axis (100 for percentages); otherwise it is rounded up from the data.
    """
    if not labels or not series:
        return None
    width, height = CHART["width"], CHART["height"]
    left, right, top, bottom = CHART["left"], CHART["right"], CHART["top"], CHART["bottom"]
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, _, vs in series for v in vs if v is not None]
    if top_value is None:
        step = nice_step(max([*values, 1.0]) / 4)
        top_value = step * 4
    else:
        step = top_value / 4
    n = len(labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h * (1 - min(value, top_value) / top_value)

    lines = []
    for name, css, vs in series:
        points = [(x(i), y(v)) for i, v in enumerate(vs) if v is not None]
        lines.append(
            {
                "name": name,
                "css": css,
                "points": " ".join(f"{px:.1f},{py:.1f}" for px, py in points),
                "dots": [
                    {"x": f"{x(i):.1f}", "y": f"{y(v):.1f}", "label": labels[i], "value": v}
                    for i, v in enumerate(vs)
                    if v is not None
                ],
            }
        )
    every = max(1, math.ceil(n / 8))
    return {
        **CHART,
        "plot_right": width - right,
        "plot_bottom": height - bottom,
        "unit": unit,
        "lines": lines,
        "y_ticks": [{"y": f"{y(step * k):.1f}", "label": f"{step * k:g}{unit}"} for k in range(5)],
        "x_ticks": [{"x": f"{x(i):.1f}", "label": labels[i]} for i in range(0, n, every)],
    }


def bar_chart(
    labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float]]]
) -> dict[str, Any] | None:
    """Lay out grouped bars (one group per label, one bar per series) as SVG rectangles."""
    if not labels or not series:
        return None
    width, height = CHART["width"], CHART["height"]
    left, right, top, bottom = CHART["left"], CHART["right"], CHART["top"], CHART["bottom"]
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([*(v for _, _, vs in series for v in vs), 1.0])
    step = nice_step(highest / 4)
    top_value = step * 4
    n, k = len(labels), len(series)
    group = plot_w / n
    bar = max(1.0, min(18.0, group * 0.8 / k))
    bars = []
    for j, (name, css, vs) in enumerate(series):
        for i, value in enumerate(vs):
            h = plot_h * value / top_value
            bars.append(
                {
                    "x": f"{left + group * i + (group - bar * k) / 2 + bar * j:.1f}",
                    "y": f"{top + plot_h - h:.1f}",
                    "w": f"{bar:.1f}",
                    "h": f"{h:.1f}",
                    "css": css,
                    "title": f"{labels[i]}: {value:g} {name.lower()}",
                }
            )
    every = max(1, math.ceil(n / 8))
    return {
        **CHART,
        "plot_right": width - right,
        "plot_bottom": height - bottom,
        "bars": bars,
        "legend": [{"name": name, "css": css} for name, css, _ in series],
        "y_ticks": [
            {"y": f"{top + plot_h * (1 - i / 4):.1f}", "label": f"{step * i:g}"} for i in range(5)
        ],
        "x_ticks": [
            {"x": f"{left + group * i + group / 2:.1f}", "label": labels[i]}
            for i in range(0, n, every)
        ],
    }


TYPE_CLASSES = {
    "functional": "s1",
    "performance": "s2",
    "regression": "s3",
    "uat": "s4",
    "security": "s5",
}


def dashboard_charts(data: dict[str, Any]) -> dict[str, Any]:
    """Lay out the dashboard's two charts: pass rate per type per run, defects in and out."""
    runs = data.get("pass_rate_trend") or []
    types = [t for t in TestType.values if any(t in run["by_type"] for run in runs)]
    pass_rate = line_chart(
        [run["name"] for run in runs],
        [
            (
                TestType(t).label,
                TYPE_CLASSES[t],
                [run["by_type"].get(t, {}).get("pass_rate") for run in runs],
            )
            for t in types
        ],
        top_value=100.0,
        unit="%",
    )
    days = data.get("defect_trend") or []
    defects = line_chart(
        [day["date"][5:] for day in days],
        [
            ("Reported (total)", "arrived", [day["arrived_total"] for day in days]),
            ("Closed (total)", "closed", [day["closed_total"] for day in days]),
        ],
    )
    return {"pass_rate": pass_rate, "defects": defects}
