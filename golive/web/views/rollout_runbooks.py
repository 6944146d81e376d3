"""Runbooks: the list, and a runbook's detail with its step editor, timeline and runs."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect

from golive.projects.selectors import project_get_for_user
from golive.rollout.models import RunbookKind, RunKind
from golive.rollout.selectors.communications import communication_list
from golive.rollout.selectors.migrations import migration_check_list
from golive.rollout.selectors.plan import wave_list
from golive.rollout.selectors.runbooks import (
    runbook_get,
    runbook_list,
    runbook_steps,
    runbook_timeline,
    t_label,
)
from golive.rollout.services.runbooks import (
    runbook_create,
    runbook_delete,
    runbook_update,
    step_create,
    step_delete,
    step_update,
)
from golive.rollout.services.runs import run_start
from golive.web.errors import submit, web_view
from golive.web.rollout_forms import ReasonForm, RunbookForm, RunStartForm, StepForm
from golive.web.views.rollout import project_approvers, project_members, rollout_page
from golive.web.views.rollout_display import duration, project_teams


def _runbook_form(request, project, *args, runbooks, editing=False, exclude=None, **kwargs):
    return RunbookForm(
        *args,
        members=project_members(request, project),
        waves=list(wave_list(user=request.user, project=project)),
        rollback_plans=[r for r in runbooks if r.kind == RunbookKind.ROLLBACK and r.pk != exclude],
        editing=editing,
        **kwargs,
    )


def last_rehearsal(runbook):
    """Return the runbook's latest rehearsal run, or None (runs come newest first)."""
    return next((r for r in runbook.runs.all() if r.kind == RunKind.REHEARSAL), None)


@web_view
def rollout_runbooks(request, key):
    """List runbooks (cutover, rollback, deployment) with RTO and last rehearsal; POST adds one."""
    project = project_get_for_user(user=request.user, key=key)
    runbooks = list(
        runbook_list(user=request.user, project=project).prefetch_related("steps", "runs")
    )
    form = _runbook_form(
        request, project, runbooks=runbooks, initial={"owner": request.user.username}
    )
    status = 200
    if request.method == "POST":
        form = _runbook_form(request, project, request.POST, runbooks=runbooks)

        def write(data):
            data = {k: v for k, v in data.items() if k != "version"}
            return runbook_create(actor=request.user, project=project, **data)

        done = submit(form, write)
        if done.ok:
            messages.success(request, f"Runbook “{done.result.title}” created; add its steps.")
            return redirect("web:rollout_runbook", key=project.key, name=done.result.name)
        status = 422
    rows = [{"runbook": r, "last_rehearsal": last_rehearsal(r)} for r in runbooks]
    context = {"rows": rows, "form": form, "failed": status != 200}
    return rollout_page(request, project, "web/rollout_runbooks.html", context, status=status)


def _step_form(request, project, runbook, *args, exclude_key="", **kwargs):
    return StepForm(
        *args,
        members=project_members(request, project),
        approvers=project_approvers(request, project),
        teams=project_teams(request, project),
        steps=[s for s in runbook_steps(runbook) if s.key != exclude_key],
        checks=list(migration_check_list(user=request.user, project=project)),
        communications=list(communication_list(user=request.user, project=project)),
        **kwargs,
    )


def _step_fields(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "version"}


@web_view
def rollout_runbook(request, key, name):
    """Show a runbook: steps and editor, planned timeline with critical path, runs; POST acts."""
    project = project_get_for_user(user=request.user, key=key)
    runbook = runbook_get(user=request.user, project=project, name=name)
    runbooks = list(runbook_list(user=request.user, project=project))
    steps = runbook_steps(runbook)
    editing = next((s for s in steps if s.key == request.GET.get("edit", "")), None)
    forms = {
        "runbook": _runbook_form(
            request,
            project,
            runbooks=runbooks,
            editing=True,
            exclude=runbook.pk,
            initial=RunbookForm.initial_for(runbook),
        ),
        "step": _step_form(
            request,
            project,
            runbook,
            exclude_key=editing.key if editing else "",
            initial=StepForm.initial_for(editing) if editing else {"duration_minutes": 15},
        ),
        "run": RunStartForm(),
        "delete": ReasonForm(),
    }
    status, failed, conflict, errors = 200, "", "", []
    if request.method == "POST":
        op = request.POST.get("op", "")
        target = next((s for s in steps if s.key == request.POST.get("step_key", "")), None)
        if op == "runbook":
            form = forms["runbook"] = _runbook_form(
                request, project, request.POST, runbooks=runbooks, editing=True, exclude=runbook.pk
            )
            done = submit(
                form, lambda data: runbook_update(actor=request.user, runbook=runbook, **data)
            )
            message = "Runbook saved."
        elif op == "step":
            if request.POST.get("step_key") and target is None:
                return HttpResponseBadRequest("That step no longer exists.")
            editing = target
            form = forms["step"] = _step_form(
                request, project, runbook, request.POST, exclude_key=target.key if target else ""
            )
            if target is None:
                done = submit(
                    form,
                    lambda data: step_create(
                        actor=request.user, runbook=runbook, **_step_fields(data)
                    ),
                )
                message = "Step added."
            else:
                done = submit(
                    form,
                    lambda data: step_update(
                        actor=request.user,
                        step=target,
                        version=data["version"],
                        **_step_fields(data),
                    ),
                )
                message = "Step saved."
        elif op == "step_delete" and target is not None:
            form = ReasonForm(request.POST)
            done = submit(form, lambda data: step_delete(actor=request.user, step=target))
            message = f"Step {target.key} deleted."
        elif op == "run":
            form = forms["run"] = RunStartForm(request.POST)
            done = submit(
                form,
                lambda data: run_start(
                    actor=request.user,
                    runbook=runbook,
                    kind=data["kind"],
                    planned_start=data["planned_start"],
                    notes=data["notes"],
                ),
            )
            if done.ok:
                run = done.result
                messages.success(request, f"{run.get_kind_display()} #{run.number} started.")
                return redirect(
                    "web:rollout_run", key=project.key, name=runbook.name, number=run.number
                )
        elif op == "delete":
            form = forms["delete"] = ReasonForm(request.POST)
            done = submit(form, lambda data: runbook_delete(actor=request.user, runbook=runbook))
            if done.ok:
                messages.success(request, f"Runbook “{runbook.title}” deleted.")
                return redirect("web:rollout_runbooks", key=project.key)
        else:
            return HttpResponseBadRequest(f"Unknown runbook action {op!r}.")
        if done.ok:
            messages.success(request, message)
            return redirect("web:rollout_runbook", key=project.key, name=runbook.name)
        status, failed = (409 if done.conflict else 422), op
        if op in ("step_delete", "delete"):
            errors = [m for errs in form.errors.values() for m in errs]
        if done.conflict:
            conflict = done.conflict.message
            runbook = runbook_get(user=request.user, project=project, name=name)
            steps = runbook_steps(runbook)
            if op == "runbook":
                forms["runbook"] = _runbook_form(
                    request,
                    project,
                    runbooks=runbooks,
                    editing=True,
                    exclude=runbook.pk,
                    initial=RunbookForm.initial_for(runbook),
                )
            elif op == "step" and target is not None:
                editing = next((s for s in steps if s.key == target.key), None)
                if editing is not None:
                    forms["step"] = _step_form(
                        request,
                        project,
                        runbook,
                        exclude_key=editing.key,
                        initial=StepForm.initial_for(editing),
                    )
    timeline = runbook_timeline(runbook)
    context = {
        "runbook": runbook,
        **timeline_context(steps, timeline),
        "runs": list(runbook.runs.all()),
        "forms": forms,
        "editing": editing,
        "failed": failed,
        "conflict": conflict,
        "errors": errors,
        "active_run": next(
            (r for r in runbook.runs.all() if r.status in ("running", "paused")), None
        ),
    }
    return rollout_page(request, project, "web/rollout_runbook.html", context, status=status)


def timeline_context(steps, timeline) -> dict:
    """Return the step table's rows and the timeline's rows (bars on a 0-100 % axis)."""
    by_key = {t["key"]: t for t in timeline["steps"]}
    start, finish = timeline["start"], timeline["finish"]
    span = max(finish - start, 1)
    step_rows = [
        {
            "step": s,
            "critical": by_key.get(s.key, {}).get("critical", False),
            "duration": duration(s.duration_minutes),
            "offset": by_key[s.key]["planned"] if s.key in by_key else "—",
            "fixed": s.offset_minutes is not None,
        }
        for s in steps
    ]
    timeline_rows = [
        {
            "key": t["key"],
            "title": t["title"],
            "critical": t["critical"],
            "planned": t["planned"],
            "early": f"{t_label(t['early_start'])} to {t_label(t['early_finish'])}",
            "late": f"{t_label(t['late_start'])} to {t_label(t['late_finish'])}",
            "float": duration(t["total_float"]),
            "left": round((t["early_start"] - start) / span * 100, 2),
            "width": max(round(t["duration_minutes"] / span * 100, 2), 0.8),
        }
        for t in sorted(timeline["steps"], key=lambda t: (t["early_start"], t["key"]))
    ]
    return {
        "step_rows": step_rows,
        "timeline_rows": timeline_rows,
        "critical_path": timeline["critical_path"],
        "timeline_total": duration(timeline.get("duration_minutes", finish - start)),
        "steps": steps,
    }
