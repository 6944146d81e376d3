"""Checkpoints: recorded status reviews with attendees, decisions and actions."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from golive.projects.selectors import membership_list, project_get_for_user
from golive.web.errors import Submission, web_view
from golive.web.inplace import submit_in_place
from golive.web.plan_display import work_permissions
from golive.web.plan_forms import CheckpointForm
from golive.web.shortcuts import is_htmx, project_page
from golive.work.selectors import checkpoint_action_get, checkpoint_list
from golive.work.services import checkpoint_action_done, checkpoint_record

TEMPLATE = "web/plan_checkpoints.html"
CHECKPOINTS_SHOWN = 50


def _members(request, project):
    return [m.user for m in membership_list(user=request.user, project=project)]


@web_view
def checkpoints(request, key):
    """List checkpoints; POST records one with up to three actions."""
    project = project_get_for_user(user=request.user, key=key)
    members = _members(request, project)
    status = 200
    if request.method == "POST":
        form = CheckpointForm(request.POST, members=members)
        done, status = _record(request, project, form)
        if done.ok:
            messages.success(request, f"Checkpoint “{done.result.title}” recorded.")
            return redirect("web:checkpoints", key=project.key)
    else:
        form = CheckpointForm(initial={"held_on": timezone.localdate()}, members=members)
    return project_page(
        request,
        project,
        TEMPLATE,
        {
            "checkpoints": checkpoint_list(user=request.user, project=project)[:CHECKPOINTS_SHOWN],
            "form": form,
            "work": work_permissions(user=request.user, project=project),
        },
        section="checkpoints",
        status=status,
    )


def _record(request, project, form) -> tuple[Submission, int]:
    if not form.is_valid():
        return Submission(ok=False), 422
    data = form.cleaned_data
    try:
        checkpoint = checkpoint_record(
            actor=request.user,
            project=project,
            held_on=data["held_on"],
            title=data["title"],
            attendees=data["attendees"],
            decisions=data["decisions"],
            actions=form.actions(),
        )
    except ValidationError as exc:
        form.errors_from_service(exc)
        return Submission(ok=False), 422
    return Submission(ok=True, result=checkpoint), 200


@web_view
@require_POST
def checkpoint_action(request, key, action_id):
    """Mark an action done (`done=1`) or open again (`done=0`); htmx gets the action back."""
    project = project_get_for_user(user=request.user, key=key)
    action = checkpoint_action_get(user=request.user, project=project, action_id=action_id)
    done_flag = request.POST.get("done", "1") == "1"
    done, errors, status = submit_in_place(
        request,
        forms.Form(request.POST),
        lambda _data: checkpoint_action_done(actor=request.user, action=action, done=done_flag),
    )
    if not is_htmx(request):
        if done.ok:
            messages.success(
                request, f"“{action.description}” marked {'done' if done_flag else 'open'}."
            )
        for message in errors:
            messages.error(request, message)
        return redirect("web:checkpoints", key=project.key)
    fresh = checkpoint_action_get(user=request.user, project=project, action_id=action.pk)
    return project_page(
        request,
        project,
        f"{TEMPLATE}#_action",
        {
            "action": fresh,
            "action_errors": errors,
            "work": work_permissions(user=request.user, project=project),
        },
        status=status,
    )
