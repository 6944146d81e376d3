"""The board by status (cards move with a button) and the burn-down chart."""

import math
from datetime import date

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from golive.projects.selectors import membership_list, project_get_for_user
from golive.web.errors import web_view
from golive.web.inplace import submit_in_place
from golive.web.plan_display import day_minutes, work_permissions
from golive.web.plan_forms import StatusForm, status_changes
from golive.web.shortcuts import is_htmx, project_page
from golive.work.models import Status
from golive.work.selectors import Burndown, board_get, burndown, calendar_get, work_package_row_get
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
    wp = work_package_row_get(user=request.user, project=project, package_id=package_id)
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


def _ideal(points, total: float, end: date) -> list[float]:
    """Return the ideal line: all the work on the first day, none on `end` (calendar days)."""
    first = points[0].day
    span = max((end - first).days, 1)
    return [max(0.0, total * (1 - (p.day - first).days / span)) for p in points]


def _chart(data: Burndown, *, per_day: int, go_live: date | None) -> dict:
    """Lay the burn-down out as SVG coordinates: polylines in working days, ticks, today."""
    points = data.points
    planned = [p.planned / per_day for p in points]
    actual = [(i, p.actual / per_day) for i, p in enumerate(points) if p.actual is not None]
    total = data.total / per_day
    finish = next((p.day for p in points if p.planned == 0), points[-1].day)
    ideal = _ideal(points, total, go_live or finish)
    width, height = CHART["width"], CHART["height"]
    left, right, top, bottom = CHART["left"], CHART["right"], CHART["top"], CHART["bottom"]
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max(planned + ideal + [a for _, a in actual] + [1.0])
    step = _nice_step(highest / 4)
    top_value = step * 4 if step * 4 >= highest else step * 5
    ticks = round(top_value / step)
    n = max(len(points) - 1, 1)

    def x(i: int) -> str:
        return f"{left + plot_w * i / n:.1f}"

    def y(value: float) -> str:
        return f"{top + plot_h * (1 - value / top_value):.1f}"

    y_ticks = [
        {"y": f"{top + plot_h * (1 - k / ticks):.1f}", "label": f"{step * k:g}"}
        for k in range(ticks + 1)
    ]
    every = max(1, len(points) // 6)
    x_ticks = [
        {"x": x(i), "label": points[i].day.strftime("%Y-%m-%d")}
        for i in range(0, len(points), every)
    ]
    chart = {
        **CHART,
        "plot_right": width - right,
        "plot_bottom": height - bottom,
        "planned": " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(planned)),
        "ideal": " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(ideal)),
        "actual_line": " ".join(f"{x(i)},{y(v)}" for i, v in actual),
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
        "total_days": total,
        "start": points[0].day,
        "finish": finish,
        "actual": None,
    }
    if actual:
        i, days = actual[-1]
        chart["actual"] = {"x": x(i), "y": y(days), "days": days}
    return chart


@web_view
def plan_burndown(request, key):
    """Draw remaining planned work over time against the ideal line, as inline SVG."""
    project = project_get_for_user(user=request.user, key=key)
    data = burndown(user=request.user, project=project)
    per_day = day_minutes(calendar_get(user=request.user, project=project))
    chart = None
    if data.points and data.total:
        chart = _chart(data, per_day=per_day, go_live=project.planned_go_live)
    context = {"data": data, "chart": chart}
    return project_page(request, project, "web/plan_burndown.html", context, section="plan")
