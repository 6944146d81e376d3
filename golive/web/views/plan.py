"""The WBS table: filter, sort, collapse, edit rows in place, add and delete packages, links.

Rows come a page at a time (htmx loads the next page when the last row scrolls into view), so a
project with thousands of packages renders as fast as one with a hundred.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from golive.projects.selectors import membership_list, project_get_for_user
from golive.web.errors import web_view
from golive.web.forms import VersionForm
from golive.web.inplace import submit_in_place
from golive.web.plan_display import day_minutes, summary_spans, work_permissions
from golive.web.plan_forms import DependencyAddForm, PackageAddForm, PackageEditForm
from golive.web.shortcuts import is_htmx, project_page
from golive.work.access import work_check
from golive.work.models import Status
from golive.work.planning import calendar_build
from golive.work.selectors import (
    PACKAGE_SORTS,
    PackageFilter,
    calendar_get,
    dependency_get,
    work_package_get_by_wbs,
    work_package_page,
    work_package_row_get,
)
from golive.work.services import (
    dependency_create,
    dependency_delete,
    work_package_create,
    work_package_delete,
    work_package_update,
)

TEMPLATE = "web/plan_wbs.html"
PAGE_SIZE = 100
PLAN_CHANGED = "planChanged"


def _members(request, project):
    return [m.user for m in membership_list(user=request.user, project=project)]


def _filter_from(params) -> PackageFilter:
    collapsed = {int(x) for x in params.get("collapsed", "").split(",") if x.strip().isdigit()}
    sort = params.get("sort", "wbs")
    status = params.get("status", "")
    return PackageFilter(
        status=status if status in Status.values else "",
        owner=params.get("owner", "").strip(),
        critical=params.get("critical") in ("1", "on", "true"),
        q=params.get("q", "").strip()[:100],
        sort=sort if sort in PACKAGE_SORTS else "wbs",
        collapsed=collapsed,
    )


def _query(flt: PackageFilter, **extra) -> str:
    params = {
        "status": flt.status,
        "owner": flt.owner,
        "critical": "1" if flt.critical else "",
        "q": flt.q,
        "sort": "" if flt.sort == "wbs" else flt.sort,
        "collapsed": ",".join(str(pk) for pk in sorted(flt.collapsed)),
        **extra,
    }
    return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def _plan_context(request, project, **extra):
    calendar = calendar_get(user=request.user, project=project)
    return {
        "work": work_permissions(user=request.user, project=project),
        "per_day": day_minutes(calendar),
        "calendar": calendar,
        **extra,
    }


def _rows_context(request, project, flt: PackageFilter, offset: int, edit: int | None = None):
    context = _plan_context(request, project)
    page = work_package_page(
        user=request.user, project=project, flt=flt, offset=offset, limit=PAGE_SIZE
    )
    calendar = context["calendar"]
    if any(wp.is_summary for wp in page.rows):
        cal = calendar_build(calendar) if calendar.pk else None
        if cal is not None:
            summary_spans(page.rows, cal)
    for wp in page.rows:
        wp.span = getattr(wp, "span", wp.duration)
        wp.toggle_query = _query(flt, **{"collapsed": _toggled(flt.collapsed, wp.pk)})
        wp.is_collapsed = wp.pk in flt.collapsed
    plan_url = reverse("web:plan", args=[project.key])
    editing = None
    if edit is not None and context["work"]["edit"]:
        editing = next((wp for wp in page.rows if wp.pk == edit), None)
    context.update(
        page=page,
        flt=flt,
        state_url=f"{plan_url}?{_query(flt)}",
        more_url=f"{plan_url}?{_query(flt, offset=page.next_offset)}" if page.next_offset else "",
        editing_id=editing.pk if editing else None,
    )
    if editing:
        members = _members(request, project)
        context.update(
            edit_form=_edit_form(editing, project, context["per_day"], editing_members=members),
            dep_form=DependencyAddForm(per_day=context["per_day"], auto_id=f"dep{editing.pk}_%s"),
        )
    return context


def _toggled(collapsed: set[int], pk: int) -> str:
    return ",".join(str(x) for x in sorted(collapsed ^ {pk}))


def _edit_form(wp, project, per_day, *, editing_members, data=None):
    return PackageEditForm(
        data,
        initial=PackageEditForm.initial_for(wp, project.time_zone),
        members=editing_members or [],
        per_day=per_day,
        zone=project.time_zone,
        auto_id=f"wp{wp.pk}_%s",
    )


def _add_form(request, project, per_day, data=None):
    return PackageAddForm(
        data,
        initial={"owner": request.user.username},
        members=_members(request, project),
        per_day=per_day,
    )


@web_view
def plan(request, key):
    """Show the WBS table; htmx gets just the rows (a filtered list or the next page)."""
    project = project_get_for_user(user=request.user, key=key)
    if request.method == "POST":
        return _package_add(request, project)
    flt = _filter_from(request.GET)
    offset = request.GET.get("offset", "")
    offset = int(offset) if offset.isdigit() else 0
    edit = request.GET.get("edit", "")
    context = _rows_context(request, project, flt, offset, int(edit) if edit.isdigit() else None)
    if is_htmx(request):
        return project_page(request, project, f"{TEMPLATE}#_rows", context)
    context.update(
        add_form=_add_form(request, project, context["per_day"]),
        owners=_members(request, project),
        statuses=Status.choices,
        sorts=[("wbs", "WBS"), ("start", "Start"), ("finish", "Finish"), ("float", "Total float")],
    )
    return project_page(request, project, TEMPLATE, context, section="plan")


def _package_add(request, project):
    """Add a package; htmx gets a fresh form and the table reloads itself."""
    context = _plan_context(request, project)
    form = _add_form(request, project, context["per_day"], request.POST)

    def write(data):
        work_check(user=request.user, project=project, action="edit")
        parent = None
        if data["parent"]:
            parent = work_package_get_by_wbs(
                user=request.user, project=project, wbs=data["parent"], field_name="parent"
            )
        fields = {"milestone": data["milestone"], "parent": parent}
        if not data["milestone"]:
            fields["duration"] = data["duration"] or 0
        return work_package_create(
            actor=request.user, project=project, name=data["name"], owner=data["owner"], **fields
        )

    done, errors, status = submit_in_place(request, form, write)
    if not is_htmx(request):
        if done.ok:
            messages.success(request, f"{done.result.wbs} “{done.result.name}” added.")
            return redirect(f"{reverse('web:plan', args=[project.key])}#wp-{done.result.pk}")
        for message in errors:
            messages.error(request, message)
        return redirect("web:plan", key=project.key)
    if status == 403:
        form.add_error(None, errors)
    if done.ok:
        context.update(
            add_form=_add_form(request, project, context["per_day"]),
            added=done.result,
        )
        response = project_page(request, project, f"{TEMPLATE}#_add_form", context)
        return trigger_client_event(response, PLAN_CHANGED)
    context["add_form"] = form
    response = project_page(request, project, f"{TEMPLATE}#_add_form", context, status=status)
    return reswap(retarget(response, "#add-package"), "outerHTML")


def _row_response(request, project, wp, *, edit=False, form=None, errors=(), status=200):
    context = _plan_context(request, project, wp=wp, row_errors=list(errors))
    wp.span = wp.duration
    if wp.is_summary:
        calendar = context["calendar"]
        if calendar.pk:
            summary_spans([wp], calendar_build(calendar))
    if edit:
        members = _members(request, project)
        context.update(
            edit_form=form or _edit_form(wp, project, context["per_day"], editing_members=members),
            dep_form=DependencyAddForm(per_day=context["per_day"], auto_id=f"dep{wp.pk}_%s"),
        )
        return project_page(request, project, f"{TEMPLATE}#_row_edit", context, status=status)
    return project_page(request, project, f"{TEMPLATE}#_row", context, status=status)


@web_view
def plan_package(request, key, package_id):
    """GET a row (`?edit=1` for its edit form); POST saves the edit and answers the row."""
    project = project_get_for_user(user=request.user, key=key)
    wp = work_package_row_get(user=request.user, project=project, package_id=package_id)
    if request.method != "POST":
        if not is_htmx(request):
            query = "edit=" + str(wp.pk) if request.GET.get("edit") else ""
            return HttpResponseRedirect(
                f"{reverse('web:plan', args=[project.key])}?{query}#wp-{wp.pk}"
            )
        return _row_response(request, project, wp, edit=bool(request.GET.get("edit")))
    per_day = _plan_context(request, project)["per_day"]
    form = _edit_form(
        wp, project, per_day, editing_members=_members(request, project), data=request.POST
    )
    done, errors, status = submit_in_place(
        request,
        form,
        lambda data: work_package_update(
            actor=request.user, package=wp, version=data["version"], **form.changes(wp)
        ),
    )
    if not is_htmx(request):
        if done.ok:
            messages.success(request, f"{wp.wbs} “{wp.name}” saved.")
        for message in errors:
            messages.error(request, f"{wp.wbs} {wp.name}: {message}")
        return redirect(f"{reverse('web:plan', args=[project.key])}#wp-{wp.pk}")
    if done.ok:
        fresh = work_package_row_get(user=request.user, project=project, package_id=wp.pk)
        return trigger_client_event(_row_response(request, project, fresh), PLAN_CHANGED)
    if status == 403:
        return _row_response(request, project, wp, errors=errors, status=403)
    if status == 409:
        # Show the current values: the edit is redone on top of what someone else saved.
        fresh = work_package_row_get(user=request.user, project=project, package_id=wp.pk)
        return _row_response(request, project, fresh, edit=True, errors=errors, status=409)
    return _row_response(request, project, wp, edit=True, form=form, errors=errors, status=422)


@web_view
@require_POST
def plan_package_delete(request, key, package_id):
    """Delete a package with its sub-packages (managers); the table reloads."""
    project = project_get_for_user(user=request.user, key=key)
    wp = work_package_row_get(user=request.user, project=project, package_id=package_id)
    done, errors, status = submit_in_place(
        request,
        VersionForm(request.POST),
        lambda data: work_package_delete(actor=request.user, package=wp, version=data["version"]),
    )
    if not is_htmx(request):
        if done.ok:
            messages.success(request, f"{wp.wbs} “{wp.name}” deleted.")
        for message in errors:
            messages.error(request, f"{wp.wbs} {wp.name}: {message}")
        return redirect("web:plan", key=project.key)
    if done.ok:
        response = project_page(request, project, f"{TEMPLATE}#_deleted", {"wp": wp})
        return trigger_client_event(response, PLAN_CHANGED)
    fresh = work_package_row_get(user=request.user, project=project, package_id=wp.pk)
    return _row_response(request, project, fresh, errors=errors, status=status)


@web_view
@require_POST
def plan_dependency_add(request, key, package_id):
    """Add a predecessor to a package; the row stays open for more links."""
    project = project_get_for_user(user=request.user, key=key)
    wp = work_package_row_get(user=request.user, project=project, package_id=package_id)
    per_day = _plan_context(request, project)["per_day"]
    form = DependencyAddForm(request.POST, per_day=per_day, auto_id=f"dep{wp.pk}_%s")

    def write(data):
        work_check(user=request.user, project=project, action="edit")
        predecessor = work_package_get_by_wbs(
            user=request.user, project=project, wbs=data["predecessor"], field_name="predecessor"
        )
        return dependency_create(
            actor=request.user,
            project=project,
            predecessor=predecessor,
            successor=wp,
            type=data["type"],
            lag=data["lag"] or 0,
        )

    done, errors, status = submit_in_place(request, form, write)
    if not is_htmx(request):
        if done.ok:
            messages.success(
                request, f"{wp.wbs} now depends on {form.cleaned_data['predecessor']}."
            )
        for message in errors:
            messages.error(request, f"{wp.wbs} {wp.name}: {message}")
        return redirect(f"{reverse('web:plan', args=[project.key])}?edit={wp.pk}#wp-{wp.pk}")
    fresh = work_package_row_get(user=request.user, project=project, package_id=wp.pk)
    response = _row_response(request, project, fresh, edit=True, errors=errors, status=status)
    if done.ok:
        return trigger_client_event(response, PLAN_CHANGED)
    return response


@web_view
@require_POST
def plan_dependency_delete(request, key, link_id):
    """Remove a link; htmx gets the successor's row back (open for editing)."""
    project = project_get_for_user(user=request.user, key=key)
    link = dependency_get(user=request.user, project=project, dependency_id=link_id)
    successor_id = link.successor_id
    _done, errors, status = submit_in_place(
        request,
        VersionForm(request.POST),
        lambda _data: dependency_delete(actor=request.user, link=link),
    )
    if not is_htmx(request):
        for message in errors:
            messages.error(request, message)
        if not errors:
            messages.success(request, "Dependency removed.")
        return redirect(
            f"{reverse('web:plan', args=[project.key])}?edit={successor_id}#wp-{successor_id}"
        )
    fresh = work_package_row_get(user=request.user, project=project, package_id=successor_id)
    response = _row_response(request, project, fresh, edit=True, errors=errors, status=status)
    if status == 200:
        return trigger_client_event(response, PLAN_CHANGED)
    return response
