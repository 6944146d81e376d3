"""Leveling: preview what the solver would move, apply it, undo the latest applied run."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from golive.errors import Conflict
from golive.projects.selectors import project_get_for_user
from golive.resources.models import LevelingStatus
from golive.resources.selectors import leveling_run_get, leveling_run_list
from golive.resources.services import (
    leveling_apply,
    leveling_discard,
    leveling_preview,
    leveling_undo,
)
from golive.web.errors import error_messages, submit, web_view
from golive.web.resources_forms import LevelingPreviewForm
from golive.web.shortcuts import project_page
from golive.web.views.resources_display import resource_permissions

HISTORY = 10
RUN_ACTIONS = {"apply": leveling_apply, "undo": leveling_undo, "discard": leveling_discard}
DONE_TEXT = {
    "apply": "Leveling applied: the plan now holds the moved packages back.",
    "undo": "Leveling undone: the plan is back to how it was before it.",
    "discard": "Preview discarded.",
}


def _page(request, project, *, form=None, status=200, errors=()):
    runs = list(leveling_run_list(user=request.user, project=project)[:HISTORY])
    preview = next((r for r in runs if r.status == LevelingStatus.PREVIEW), None)
    applied = [r for r in runs if r.status == LevelingStatus.APPLIED]
    latest_applied = max(applied, key=lambda r: (r.applied_at, r.pk), default=None)
    context = {
        "form": form or LevelingPreviewForm(),
        "preview": preview,
        "latest_applied": latest_applied,
        "runs": runs,
        "perm": resource_permissions(user=request.user, project=project),
        "errors": list(errors),
    }
    return project_page(
        request, project, "web/resources_leveling.html", context, section="resources", status=status
    )


@web_view
def resources_leveling(request, key):
    """Show the latest preview and the runs; POST previews a leveling (managers)."""
    project = project_get_for_user(user=request.user, key=key)
    if request.method != "POST":
        return _page(request, project)
    form = LevelingPreviewForm(request.POST)
    done = submit(
        form,
        lambda data: leveling_preview(
            actor=request.user, project=project, time_limit=data["time_limit"]
        ),
    )
    if done.ok:
        moves = len(done.result.result.get("moves", []))
        messages.success(request, f"Preview ready: {moves} package{'s' * (moves != 1)} move.")
        return redirect("web:resources_leveling", key=project.key)
    return _page(request, project, form=form, status=422)


@web_view
@require_POST
def resources_leveling_run(request, key, run_id):
    """Apply, undo or discard a leveling run (`op`)."""
    project = project_get_for_user(user=request.user, key=key)
    run = leveling_run_get(user=request.user, project=project, run_id=run_id)
    op = request.POST.get("op", "")
    action = RUN_ACTIONS.get(op)
    if action is None:
        return HttpResponseBadRequest(f"Unknown leveling action {op!r}.")
    try:
        action(actor=request.user, run=run)
    except (ValidationError, Conflict) as exc:
        return _page(
            request,
            project,
            status=409 if isinstance(exc, Conflict) else 422,
            errors=error_messages(exc),
        )
    messages.success(request, DONE_TEXT[op])
    return redirect("web:resources_leveling", key=project.key)
