"""Blockers: the open list with age, level and current owner; raise, resolve, escalation path."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from golive.projects.selectors import membership_list, project_get_for_user
from golive.web.errors import web_view
from golive.web.inplace import submit_in_place
from golive.web.plan_display import work_permissions
from golive.web.plan_forms import (
    EXTRA_LEVELS,
    BlockerRaiseForm,
    BlockerResolveForm,
    EscalationPathForm,
)
from golive.web.shortcuts import is_htmx, project_page
from golive.work.access import work_check
from golive.work.selectors import (
    blocker_get,
    blocker_overview,
    escalation_path,
    work_package_get_by_wbs,
)
from golive.work.services import blocker_raise, blocker_resolve, escalation_path_set

TEMPLATE = "web/plan_blockers.html"


def _escalation_form(members, levels, data=None):
    initial = {}
    for i, level in enumerate(levels):
        initial[f"owner_{i}"] = level.owner.username
        initial[f"hours_{i}"] = level.max_age_hours
    return EscalationPathForm(
        data, initial=initial, members=members, rows=len(levels) + EXTRA_LEVELS
    )


def _page(request, project, *, status=200, raise_form=None, esc_form=None, **extra):
    members = [m.user for m in membership_list(user=request.user, project=project)]
    levels = escalation_path(user=request.user, project=project)
    context = {
        "blockers": blocker_overview(user=request.user, project=project),
        "resolved": blocker_overview(user=request.user, project=project, resolved=True),
        "levels": levels,
        # Each level takes a blocker after the previous level's age (level 1 after its own).
        "path": list(zip(levels, [None, *levels], strict=False)),
        "raise_form": raise_form
        or BlockerRaiseForm(initial={"package": request.GET.get("wbs", "")}),
        "esc_form": esc_form or _escalation_form(members, levels),
        "work": work_permissions(user=request.user, project=project),
        **extra,
    }
    if is_htmx(request):
        return project_page(request, project, f"{TEMPLATE}#_list", context, status=status)
    return project_page(request, project, TEMPLATE, context, section="blockers", status=status)


@web_view
def blockers(request, key):
    """List open blockers; POST raises one on a package (by WBS code) with the reason."""
    project = project_get_for_user(user=request.user, key=key)
    if request.method != "POST":
        return _page(request, project)
    form = BlockerRaiseForm(request.POST)

    def write(data):
        work_check(user=request.user, project=project, action="raise_blocker")
        package = work_package_get_by_wbs(
            user=request.user, project=project, wbs=data["package"], field_name="package"
        )
        return blocker_raise(actor=request.user, package=package, reason=data["reason"])

    done, errors, status = submit_in_place(request, form, write)
    if done.ok and not is_htmx(request):
        wp = done.result.work_package
        messages.success(request, f"Blocker raised on {wp.wbs} “{wp.name}”.")
        return redirect("web:blockers", key=project.key)
    if status == 403:
        form.add_error(None, errors)
    return _page(request, project, status=status, raise_form=None if done.ok else form)


@web_view
@require_POST
def blocker_resolve_view(request, key, blocker_id):
    """Resolve a blocker with what resolved it."""
    project = project_get_for_user(user=request.user, key=key)
    blocker = blocker_get(user=request.user, project=project, blocker_id=blocker_id)
    form = BlockerResolveForm(request.POST)
    done, errors, status = submit_in_place(
        request,
        form,
        lambda data: blocker_resolve(
            actor=request.user, blocker=blocker, resolution=data["resolution"]
        ),
    )
    if not is_htmx(request):
        if done.ok:
            messages.success(request, "Blocker resolved.")
        for message in errors:
            messages.error(request, message)
        return redirect("web:blockers", key=project.key)
    return _page(
        request,
        project,
        status=status,
        failed_errors=errors,
        failed_id=blocker.pk if errors else None,
    )


@web_view
@require_POST
def escalation_path_edit(request, key):
    """Replace the escalation path (managers): levels in order, each owner and max age."""
    project = project_get_for_user(user=request.user, key=key)
    members = [m.user for m in membership_list(user=request.user, project=project)]
    levels = escalation_path(user=request.user, project=project)
    form = _escalation_form(members, levels, request.POST)

    def write(_data):
        rows = form.levels()
        if form.errors:
            raise ValidationError("Choose an owner for every level with a max age.")
        return escalation_path_set(actor=request.user, project=project, levels=rows)

    done, errors, status = submit_in_place(request, form, write)
    if done.ok:
        messages.success(request, f"Escalation path saved ({len(done.result)} levels).")
        return redirect("web:blockers", key=project.key)
    if status == 403:
        form.add_error(None, errors)
    return _page(request, project, status=status, esc_form=form, esc_open=True)
