"""The interactive Gantt chart: a page shell, its compact JSON data, and drag-to-reschedule.

The chart draws on the client (golive/gantt.js). Dates travel as the project's wall-clock time
in milliseconds, as if that wall clock were UTC: the browser then lays days, weeks and months out
in the project's time zone whatever its own, and a dropped date means the same day on both ends.
"""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from golive.errors import Conflict
from golive.projects.models import Project, Role
from golive.projects.selectors import project_get_for_user
from golive.web.errors import error_messages, web_view
from golive.web.shortcuts import project_page
from golive.work.access import work_check
from golive.work.models import Baseline, Status, WorkPackage
from golive.work.selectors import (
    baseline_get,
    baseline_list,
    gantt_get,
    work_package_movable_get,
)
from golive.work.services import work_package_update

TEMPLATE = "web/plan_gantt.html"
EPOCH = datetime(1970, 1, 1)
_MS = timedelta(milliseconds=1)
STATUS_CODES = {Status.NOT_STARTED: 0, Status.IN_PROGRESS: 1, Status.DONE: 2}
LINK_TYPES = {"FS": 0, "SS": 1, "FF": 2, "SF": 3}
# Row layout sent to the client; gantt.js reads the rows by these positions.
ROW_FIELDS = [
    "id",
    "wbs",
    "name",
    "level",
    "parent",  # row index of the parent, -1 at the top
    "flags",  # 1 milestone, 2 summary, 4 critical
    "start",
    "finish",
    "float",  # total float in working minutes (null before the first schedule)
    "percent",
    "status",  # 0 not started, 1 in progress, 2 done
    "version",
    "bl_start",
    "bl_finish",
]
MILESTONE, SUMMARY, CRITICAL = 1, 2, 4


def _wall_ms(value: datetime | None, zone: ZoneInfo) -> int | None:
    """Return `value` as milliseconds of the project's wall clock (as if it were UTC)."""
    if value is None:
        return None
    local = value.astimezone(zone).replace(tzinfo=None)
    return (local - EPOCH) // _MS


def _baseline(request: HttpRequest, project: Project, baseline_id: str | None) -> Baseline | None:
    if not baseline_id:
        return None
    try:
        pk = int(baseline_id)
    except ValueError:
        raise Http404("No such baseline.") from None
    return baseline_get(user=request.user, project=project, baseline_id=pk)


def gantt_data(user: Any, project: Project, baseline: Baseline | None = None) -> dict[str, Any]:
    """Return the chart's rows in WBS order, column by column, its links and today.

    `columns` holds one list per name in `fields` (`count` values each), or None for a column
    without a value in any row (the baseline dates when no baseline is chosen); `links` holds
    four lists: predecessor and successor row indexes, type code and lag. Dates are as in
    `gantt_get`.
    """
    zone = ZoneInfo(project.time_zone)
    data = gantt_get(user=user, project=project, baseline=baseline)
    packages = data.packages
    children: dict[int | None, list[int]] = {}
    for i, row in enumerate(packages):
        children.setdefault(row[3], []).append(i)
    order: list[int] = []
    levels: list[int] = []
    parents: list[int] = []
    index: dict[int, int] = {}
    # Depth-first in sibling order gives the outline order 1, 1.1, 1.1.1, 1.2, 2 …
    stack = [(i, 0, -1) for i in reversed(children.get(None, []))]
    while stack:
        i, level, parent_index = stack.pop()
        pk = packages[i][0]
        here = index[pk] = len(order)
        order.append(i)
        levels.append(level)
        parents.append(parent_index)
        kids = children.get(pk)
        if kids:
            stack.extend([(kid, level + 1, here) for kid in reversed(kids)])
    ordered = [packages[i] for i in order]
    ids = [row[0] for row in ordered]
    bl_start: list[Any] | None = None
    bl_finish: list[Any] | None = None
    if data.planned:
        none = (None, None)
        planned = [data.planned.get(pk, none) for pk in ids]
        bl_start = [p[0] for p in planned]
        bl_finish = [p[1] for p in planned]
    status = STATUS_CODES
    start, finish = data.start, data.finish
    columns = [
        ids,
        [row[1] for row in ordered],
        [row[2] for row in ordered],
        levels,
        parents,
        [
            (MILESTONE if row[4] else 0)
            | (SUMMARY if row[0] in children else 0)
            | (CRITICAL if row[8] else 0)
            for row in ordered
        ],
        [start[i] for i in order],
        [finish[i] for i in order],
        [row[7] for row in ordered],
        [row[9] for row in ordered],
        [status.get(row[10], 0) for row in ordered],
        [row[11] for row in ordered],
        bl_start,
        bl_finish,
    ]
    kept = [link for link in data.links if link[0] in index and link[1] in index]
    links = [
        [index[link[0]] for link in kept],
        [index[link[1]] for link in kept],
        [LINK_TYPES.get(link[2], 0) for link in kept],
        [link[3] for link in kept],
    ]
    return {
        "fields": ROW_FIELDS,
        "count": len(ordered),
        "columns": columns,
        "links": links,
        "today": _wall_ms(timezone.now(), zone),
        "baseline": baseline.pk if baseline else None,
    }


def _wbs_url(project: Project) -> str | None:
    """Return the WBS table's address (the chart's text alternative) once that page exists."""
    try:
        return reverse("web:plan", args=[project.key])
    except NoReverseMatch:
        return None


@web_view
@require_GET
def plan_gantt(request: HttpRequest, key: str):
    """Show the Gantt chart's shell; gantt.js loads the rows from `plan_gantt_data`."""
    project = project_get_for_user(user=request.user, key=key)
    role = work_check(user=request.user, project=project, action="view")
    baselines = [(b.pk, b.name) for b in baseline_list(user=request.user, project=project)]
    return project_page(
        request,
        project,
        TEMPLATE,
        {
            "baselines": baselines,
            "baseline_id": request.GET.get("baseline", ""),
            "can_drag": role >= Role.CONTRIBUTOR,
            "wbs_url": _wbs_url(project),
        },
        section="gantt",
    )


@web_view
@require_GET
def plan_gantt_data(request: HttpRequest, key: str) -> JsonResponse:
    """Return the chart's data as compact JSON (rows of ROW_FIELDS, links as index pairs)."""
    project = project_get_for_user(user=request.user, key=key)
    work_check(user=request.user, project=project, action="view")
    baseline = _baseline(request, project, request.GET.get("baseline"))
    return _json(gantt_data(request.user, project, baseline))


def _json(data: dict[str, Any]) -> JsonResponse:
    # Plain lists of numbers and strings: no cycles to look for, nothing for DjangoJSONEncoder.
    return JsonResponse(data, json_dumps_params={"separators": (",", ":"), "check_circular": False})


def _refusal(status: int, exc: Exception) -> JsonResponse:
    return JsonResponse({"messages": error_messages(exc)}, status=status)


@web_view
@require_POST
def plan_gantt_move(request: HttpRequest, key: str) -> JsonResponse:
    """Set a start-no-earlier-than constraint on a dragged package; answer the new chart data.

    POST fields: `id`, `version`, `start` (YYYY-MM-DD, midnight in the project's time zone) and
    optionally `baseline`. Refusals answer {"messages": [...]} with 403, 409 or 422.
    """
    project = project_get_for_user(user=request.user, key=key)
    try:
        work_check(user=request.user, project=project, action="edit")
        package = _movable(request, project, request.POST.get("id", ""))
        version = int(request.POST.get("version", ""))
        day = date.fromisoformat(request.POST.get("start", ""))
    except PermissionDenied as exc:
        return _refusal(403, exc)
    except ValidationError as exc:
        return _refusal(422, exc)
    except ValueError:
        return _refusal(422, ValidationError("Send the package's version and a start date."))
    start = datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(project.time_zone))
    try:
        package = work_package_update(
            actor=request.user,
            package=package,
            version=version,
            constraint_kind="snet",
            constraint_date=start,
        )
    except PermissionDenied as exc:
        return _refusal(403, exc)
    except Conflict as exc:
        return _refusal(409, exc)
    except ValidationError as exc:
        return _refusal(422, exc)
    baseline = _baseline(request, project, request.POST.get("baseline"))
    data = gantt_data(request.user, project, baseline)
    data["moved"] = package.pk
    return _json(data)


def _movable(request: HttpRequest, project: Project, package_id: str) -> WorkPackage:
    """Return the package a drag may reschedule (see `work_package_movable_get`)."""
    try:
        pk = int(package_id)
    except ValueError:
        raise Http404("No such work package.") from None
    return work_package_movable_get(user=request.user, project=project, package_id=pk)
