"""Success criteria: the table with its add form, the edit page and deletion (managers)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from golive.projects import services as project_services
from golive.projects.access import success_criterion_check
from golive.projects.models import SuccessCriterion
from golive.projects.selectors import (
    membership_list,
    project_get_for_user,
    success_criterion_get,
    success_criterion_list,
)
from golive.web.errors import form_messages, submit, web_view
from golive.web.forms import SuccessCriterionForm, VersionForm
from golive.web.shortcuts import project_page


def _members(request, project):
    return [m.user for m in membership_list(user=request.user, project=project)]


def _initial(criterion: SuccessCriterion) -> dict:
    return {
        "metric": criterion.metric,
        "direction": criterion.direction,
        "target": criterion.target.normalize(),
        "unit": criterion.unit,
        "due_date": criterion.due_date,
        "owner": criterion.owner.username,
        "version": criterion.version,
    }


@web_view
def success_criteria(request, key):
    """List the success criteria; managers add new ones below the table."""
    project = project_get_for_user(user=request.user, key=key)
    if request.method == "POST":
        form = SuccessCriterionForm(request.POST, members=_members(request, project))
        done = submit(
            form,
            lambda data: project_services.success_criterion_create(
                actor=request.user,
                project=project,
                **{name: value for name, value in data.items() if name != "version"},
            ),
        )
        if done.ok:
            messages.success(request, f"Success criterion “{done.result}” added.")
            return redirect("web:success_criteria", key=project.key)
    else:
        form = SuccessCriterionForm(
            initial={"owner": request.user.username}, members=_members(request, project)
        )
    return project_page(
        request,
        project,
        "projects/successcriterion_list.html",
        {"criteria": success_criterion_list(user=request.user, project=project), "form": form},
        section="criteria",
        status=422 if form.errors else 200,
    )


@web_view
def success_criterion_edit(request, key, criterion_id):
    """Edit one success criterion; a stale form shows the current values instead."""
    project = project_get_for_user(user=request.user, key=key)
    success_criterion_check(user=request.user, project=project, action="edit")
    criterion = success_criterion_get(user=request.user, project=project, criterion_id=criterion_id)
    members = _members(request, project)
    conflict = None
    if request.method == "POST":
        form = SuccessCriterionForm(request.POST, members=members)
        done = submit(
            form,
            lambda data: project_services.success_criterion_update(
                actor=request.user, criterion=criterion, **data
            ),
        )
        if done.ok:
            messages.success(request, f"Success criterion “{done.result}” saved.")
            return redirect("web:success_criteria", key=project.key)
        if done.conflict:
            conflict = done.conflict.message
            criterion = success_criterion_get(
                user=request.user, project=project, criterion_id=criterion_id
            )
            form = SuccessCriterionForm(initial=_initial(criterion), members=members)
    else:
        form = SuccessCriterionForm(initial=_initial(criterion), members=members)
    return project_page(
        request,
        project,
        "projects/successcriterion_edit.html",
        {"criterion": criterion, "form": form, "conflict": conflict},
        section="criteria",
        status=409 if conflict else 422 if form.errors else 200,
    )


@web_view
@require_POST
def success_criterion_delete(request, key, criterion_id):
    """Delete a success criterion (managers) at the version the page showed."""
    project = project_get_for_user(user=request.user, key=key)
    criterion = success_criterion_get(user=request.user, project=project, criterion_id=criterion_id)
    form = VersionForm(request.POST)
    done = submit(
        form,
        lambda data: project_services.success_criterion_delete(
            actor=request.user, criterion=criterion, version=data["version"]
        ),
    )
    if done.ok:
        messages.success(request, f"Success criterion “{criterion}” deleted.")
    else:
        for message in form_messages(form):
            messages.error(request, message)
    return redirect("web:success_criteria", key=project.key)
