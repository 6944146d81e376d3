"""The board by status (cards move with a button) and the burn-down chart."""

import math

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from golive.projects.selectors import membership_list, project_get_for_user
from golive.web.errors import web_view
from golive.web.inplace import submit_in_place
from golive.web.plan_forms import StatusForm, status_changes
from golive.web.plan_selectors import (
    board_get,
    burndown,
    calendar_get,
    day_minutes,
    package_get,
    work_permissions,
)
from golive.web.shortcuts import is_htmx, project_page
from golive.work.models import Status
from golive.work.services import work_package_update

BOARD = "web/plan_board.html"
CHART = {"width": 760, "height": 300, "left": 56, "right": 16, "top": 16, "bottom": 40}


def _board_context(request, project, owner: str, **extra):
    board = board_get(user=request.user, project=project, owner=owner)
    columns = [
        {
            "status": value,
            "label": label,
            "cards": board["columns"][value],
            "count": board["counts"].get(value, 0),
        }
        for value, label in Status.choices
    ]
    return {
        "columns": columns,
        "statuses": Status.choices,
        "owner": owner,
        "owners": [m.user for m in membership_list(user=request.user, project=project)],
        "work": work_permissions(user=request.user, project=project),
        "per_day": day_minutes(calendar_get(user=request.user, project=project)),
        **extra,
    }


@web_view
def plan_board(request, key):
    """Show leaf packages in columns Not started / In progress / Done."""
    project = project_get_for_user(user=request.user, key=key)
    owner = request.GET.get("owner", "").strip()
    context = _board_context(request, project, owner)
    if is_htmx(request):
        return project_page(request, project, f"{BOARD}#_columns", context)
    return project_page(request, project, BOARD, context, section="board")


@web_view
@require_POST
def plan_board_move(request, key, package_id):
    """Move a card to another status; htmx gets the columns back (with any refusal on top)."""
    project = project_get_for_user(user=request.user, key=key)
    wp = package_get(user=request.user, project=project, package_id=package_id)
    form = StatusForm(request.POST)
    done, errors, status = submit_in_place(
        request,
        form,
        lambda data: work_package_update(
            actor=request.user,
            package=wp,
            version=data["version"],
            **status_changes(wp, data["status"]),
        ),
    )
    owner = request.POST.get("owner", "").strip()
    if not is_htmx(request):
        if done.ok:
            messages.success(
                request, f"{wp.wbs} “{wp.name}” is now {done.result.get_status_display().lower()}."
            )
        for message in errors:
            messages.error(request, f"{wp.wbs} {wp.name}: {message}")
        return redirect("web:plan_board", key=project.key)
    context = _board_context(
        request, project, owner, board_errors=[f"{wp.wbs} {wp.name}: {m}" for m in errors]
    )
    response = project_page(request, project, f"{BOARD}#_columns", context, status=status)
    return trigger_client_event(response, "planChanged") if done.ok else response


def _nice_step(raw: float) -> float:
    """Return a round axis step (1, 2 or 5 times a power of ten) of at least `raw`."""
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _chart(data: dict) -> dict:
    """Lay the burn-down out as SVG coordinates: polylines, axis ticks and the today marker."""
    points = data["points"]
    width, height = CHART["width"], CHART["height"]
    left, right, top, bottom = CHART["left"], CHART["right"], CHART["top"], CHART["bottom"]
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([p.planned for p in points] + [p.ideal for p in points] + [1.0])
    step = _nice_step(highest / 4)
    top_value = step * 4 if step * 4 >= highest else step * 5
    ticks = round(top_value / step)
    n = max(len(points) - 1, 1)

    def xy(i: int, value: float) -> str:
        return f"{left + plot_w * i / n:.1f},{top + plot_h * (1 - value / top_value):.1f}"

    y_ticks = [
        {"y": f"{top + plot_h * (1 - k / ticks):.1f}", "label": f"{step * k:g}"}
        for k in range(ticks + 1)
    ]
    step = max(1, len(points) // 6)
    x_ticks = [
        {"x": f"{left + plot_w * i / n:.1f}", "label": points[i].when.strftime("%Y-%m-%d")}
        for i in range(0, len(points), step)
    ]
    chart = {
        **CHART,
        "plot_right": width - right,
        "plot_bottom": height - bottom,
        "planned": " ".join(xy(i, p.planned) for i, p in enumerate(points)),
        "ideal": " ".join(xy(i, p.ideal) for i, p in enumerate(points)),
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
        "actual": None,
    }
    actual = data.get("actual")
    if actual:
        span = (data["end"] - data["start"]).total_seconds() or 1.0
        share = (actual["when"] - data["start"]).total_seconds() / span
        chart["actual"] = {
            "x": f"{left + plot_w * share:.1f}",
            "y": f"{top + plot_h * (1 - actual['days'] / top_value):.1f}",
            "days": actual["days"],
        }
    return chart


@web_view
def plan_burndown(request, key):
    """Draw remaining planned work over time against the ideal line, as inline SVG."""
    project = project_get_for_user(user=request.user, key=key)
    data = burndown(user=request.user, project=project)
    context = {"data": data, "chart": _chart(data) if data["points"] else None}
    return project_page(request, project, "web/plan_burndown.html", context, section="plan")
