"""The Resources tab: the resource list, a resource's page (skills, time off, assignments, its
load histogram), the heatmap of resources by weeks and the critical-path warnings."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse

from golive.errors import Conflict
from golive.projects.selectors import membership_list, project_get_for_user
from golive.resources.selectors import (
    assignment_list,
    critical_share_warnings,
    resource_get,
    resource_list,
    resource_load,
    resource_settings_get,
    skill_list,
    time_off_get,
)
from golive.resources.services import (
    resource_create,
    resource_delete,
    resource_settings_update,
    resource_update,
    skill_remove,
    skill_set,
    time_off_add,
    time_off_remove,
)
from golive.web.errors import error_messages, submit, web_view
from golive.web.resources_forms import (
    LoadWindowForm,
    ResourceForm,
    ResourceSettingsForm,
    SkillForm,
    TimeOffForm,
)
from golive.web.shortcuts import is_htmx, project_page
from golive.web.views.resources_display import (
    heatmap_rows,
    histogram,
    monday_of,
    resource_permissions,
)

HEATMAP_WEEKS = 12
HISTOGRAM_WEEKS = 4


def _members(request, project):
    return [m.user for m in membership_list(user=request.user, project=project)]


def _window(request, project, weeks):
    """Return (form, start, weeks) of the load window asked for; bad values fall back."""
    data = None
    if request.GET:
        data = request.GET.copy()
        data.setdefault("weeks", str(weeks))
    form = LoadWindowForm(data, initial={"weeks": weeks})
    start = None
    if form.is_bound and form.is_valid():
        start = form.cleaned_data.get("start")
        weeks = form.cleaned_data.get("weeks") or weeks
    return form, (monday_of(start) if start else None), weeks


def _resource_fields(data) -> dict:
    fields = {name: data[name] for name in ResourceForm.base_fields if name != "version"}
    fields["user"] = fields["user"] or None
    return fields


@web_view
def resources(request, key):
    """List the project's resources; POST adds one (managers)."""
    project = project_get_for_user(user=request.user, key=key)
    members = _members(request, project)
    status = 200
    if request.method == "POST":
        form = ResourceForm(request.POST, members=members)

        def write(data):
            fields = _resource_fields(data)
            fields.pop("active")
            return resource_create(actor=request.user, project=project, **fields)

        done = submit(form, write)
        if done.ok:
            messages.success(request, f"{done.result.name} added.")
            return redirect("web:resource", key=project.key, resource_id=done.result.pk)
        status = 422
    else:
        form = ResourceForm(members=members)
    context = {
        "resources": resource_list(user=request.user, project=project),
        "form": form,
        "form_open": status != 200,
        "perm": resource_permissions(user=request.user, project=project),
    }
    return project_page(
        request, project, "web/resources_list.html", context, section="resources", status=status
    )


def _detail(request, project, resource, *, status=200, errors=(), **forms):
    window, start, weeks = _window(request, project, HISTOGRAM_WEEKS)
    load = resource_load(user=request.user, project=project, start=start, weeks=weeks)
    row = next((r for r in load.rows if r.resource.pk == resource.pk), None)
    members = _members(request, project)
    context = {
        "resource": resource,
        "assignments": assignment_list(user=request.user, project=project).filter(
            resource=resource
        ),
        "skills": skill_list(user=request.user, project=project),
        "load": load,
        "chart": histogram(row.days if row else []),
        "window": window,
        "previous_start": load.start - timedelta(weeks=weeks),
        "next_start": load.start + timedelta(weeks=weeks),
        "weeks": weeks,
        "perm": resource_permissions(user=request.user, project=project),
        "errors": list(errors),
        "edit_form": forms.get("edit_form")
        or ResourceForm(initial=ResourceForm.initial_for(resource), members=members),
        "skill_form": forms.get("skill_form") or SkillForm(),
        "off_form": forms.get("off_form") or TimeOffForm(),
        "edit_open": "edit_form" in forms,
    }
    return project_page(
        request, project, "web/resources_detail.html", context, section="resources", status=status
    )


@web_view
def resource(request, key, resource_id):
    """Show a resource; POST (by `op`) edits or deletes it, sets skills, records time off."""
    project = project_get_for_user(user=request.user, key=key)
    found = resource_get(user=request.user, project=project, resource_id=resource_id)
    if request.method != "POST":
        return _detail(request, project, found)
    op = request.POST.get("op", "")
    back = redirect("web:resource", key=project.key, resource_id=found.pk)
    if op in ("skill_remove", "time_off_remove", "delete"):
        try:
            if op == "skill_remove":
                skill_remove(actor=request.user, resource=found, skill=request.POST.get("skill"))
                messages.success(request, "Skill removed.")
            elif op == "time_off_remove":
                off_id = request.POST.get("time_off", "")
                off = time_off_get(
                    user=request.user,
                    project=project,
                    time_off_id=int(off_id) if off_id.isdigit() else 0,
                )
                if off.resource_id != found.pk:
                    raise ValidationError(f"{found.name} has no such time off.")
                time_off_remove(actor=request.user, time_off=off)
                messages.success(request, "Time off removed.")
            else:
                version = request.POST.get("version", "")
                resource_delete(
                    actor=request.user,
                    resource=found,
                    version=int(version) if version.isdigit() else None,
                )
                messages.success(request, f"{found.name} deleted.")
                return redirect("web:resources", key=project.key)
        except (ValidationError, Conflict) as exc:
            fresh = resource_get(user=request.user, project=project, resource_id=found.pk)
            return _detail(request, project, fresh, status=422, errors=error_messages(exc))
        return back
    if op == "update":
        form = ResourceForm(request.POST, members=_members(request, project))

        def write(data):
            return resource_update(
                actor=request.user,
                resource=found,
                version=data["version"],
                **_resource_fields(data),
            )

        key_name, done_text = "edit_form", "Resource saved."
    elif op == "skill_set":
        form = SkillForm(request.POST)

        def write(data):
            return skill_set(
                actor=request.user, resource=found, skill=data["skill"], level=data["level"]
            )

        key_name, done_text = "skill_form", "Skill set."
    elif op == "time_off_add":
        form = TimeOffForm(request.POST)

        def write(data):
            return time_off_add(actor=request.user, resource=found, **data)

        key_name, done_text = "off_form", "Time off recorded."
    else:
        return HttpResponseBadRequest(f"Unknown resource action {op!r}.")
    done = submit(form, write)
    if done.ok:
        messages.success(request, done_text)
        return back
    fresh = resource_get(user=request.user, project=project, resource_id=found.pk)
    if done.conflict:
        form = ResourceForm(
            initial=ResourceForm.initial_for(fresh), members=_members(request, project)
        )
        return _detail(
            request, project, fresh, status=409, errors=[done.conflict.message], edit_form=form
        )
    return _detail(request, project, fresh, status=422, **{key_name: form})


@web_view
def resources_heatmap(request, key):
    """Show every resource's load per week (colour by load %, overloads marked)."""
    project = project_get_for_user(user=request.user, key=key)
    window, start, weeks = _window(request, project, HEATMAP_WEEKS)
    load = resource_load(user=request.user, project=project, start=start, weeks=weeks)
    context = {
        "load": load,
        "rows": heatmap_rows(load.rows),
        "window": window,
        "weeks": weeks,
        "previous_start": load.start - timedelta(weeks=weeks),
        "next_start": load.start + timedelta(weeks=weeks),
        "resource_url": reverse("web:resources", args=[project.key]),
    }
    template = "web/resources_heatmap.html"
    if is_htmx(request):
        template += "#_grid"
    return project_page(request, project, template, context, section="resources")


@web_view
def resources_warnings(request, key):
    """Show the people carrying too much of the critical path; POST sets the share (managers)."""
    project = project_get_for_user(user=request.user, key=key)
    settings = resource_settings_get(user=request.user, project=project)
    initial = {
        "critical_share_percent": settings.critical_share_percent,
        "version": settings.version,
    }
    status = 200
    if request.method == "POST":
        form = ResourceSettingsForm(request.POST, initial=initial)
        done = submit(
            form,
            lambda data: resource_settings_update(
                actor=request.user,
                project=project,
                critical_share_percent=data["critical_share_percent"],
                version=data["version"],
            ),
        )
        if done.ok:
            messages.success(
                request, f"Warning above {done.result.critical_share_percent} % of the path."
            )
            return redirect("web:resources_warnings", key=project.key)
        status = 409 if done.conflict else 422
    else:
        form = ResourceSettingsForm(initial=initial)
    context = {
        "warnings": critical_share_warnings(user=request.user, project=project),
        "settings": settings,
        "form": form,
        "perm": resource_permissions(user=request.user, project=project),
    }
    return project_page(
        request, project, "web/resources_warnings.html", context, section="resources", status=status
    )
