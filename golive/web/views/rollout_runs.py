"""A run of a runbook: the live view every participant watches (htmx polling), and the report.

The live page has two polled regions: the status table (read-only, swapped whenever the run
changes) and "your actions" (the forms of the steps this user can act on, swapped only when
that set of actions changes, so what someone is typing survives the other participants' work).
Each poll sends the fingerprint of what it shows; an unchanged region answers 204 (no swap).
"""

import hashlib
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect

from golive.errors import NotFound
from golive.projects.selectors import project_get_for_user
from golive.rollout.models import RunStatus, RunStepStatus, StepKind
from golive.rollout.selectors.runbooks import runbook_get
from golive.rollout.selectors.runs import run_get, run_live, run_report
from golive.rollout.services.runs import (
    run_abort,
    run_pause,
    run_resume,
    step_complete,
    step_fail,
    step_resolve,
    step_skip,
    step_start,
    step_verdict,
)
from golive.web.errors import submit, web_view
from golive.web.rollout_forms import RunControlForm, RunStepActionForm
from golive.web.shortcuts import is_htmx
from golive.web.views.rollout import project_members, rollout_page, rollout_permissions

ACTIVE = (RunStatus.RUNNING, RunStatus.PAUSED)


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def step_actions(*, user, run, row: dict, can: dict[str, bool]) -> list[str]:
    """Return the actions `user` may take on one step of the run now (the buttons to show)."""
    if run.status != RunStatus.RUNNING:
        return []
    status = row["status"]
    ready = status == RunStepStatus.IN_PROGRESS or row["can_start"]
    actions: list[str] = []
    if row["kind"] == StepKind.DECISION:
        decided = any(a.get("user_id") == user.pk for a in row["approvals"])
        if can["approve_step"] and user.pk in row["approver_ids"] and not decided and ready:
            actions += ["approve", "reject"]
        if can["run"] and ready:
            actions.append("skip")
    elif can["execute"]:
        if row["can_start"]:
            actions.append("start")
        if status == RunStepStatus.IN_PROGRESS:
            actions += ["complete", "fail"]
        if row["can_start"] or status == RunStepStatus.IN_PROGRESS:
            actions.append("skip")
    if status == RunStepStatus.FAILED and not row["resolution"] and can["run"]:
        actions.append("resolve")
    return actions


def _live_context(request, project, run, *, failed=None) -> dict[str, Any]:
    live = run_live(user=request.user, run=run)
    can = rollout_permissions(user=request.user, project=project)
    names = {m.username: m.display_name for m in project_members(request, project)}
    mine = []
    for row in live["steps"]:
        row["actions"] = step_actions(user=request.user, run=run, row=row, can=can)
        row["assignee_name"] = names.get(row["assignee"], row["assignee"] or "")
        row["owner_name"] = names.get(row["owner"], row["owner"] or "")
        row["kind_label"] = StepKind(row["kind"]).label
        row["status_label"] = RunStepStatus(row["status"]).label
        row["approver_names"] = [
            a.get("username") for a in row["approvals"] if a.get("verdict") == "approve"
        ]
        if row["actions"]:
            mine.append(row)
    run_actions = []
    if can["run"]:
        if run.status == RunStatus.RUNNING:
            run_actions = ["pause", "abort"]
        elif run.status == RunStatus.PAUSED:
            run_actions = ["resume", "abort"]
    end = live["predicted_end"]
    status_fp = _fingerprint(
        run.status, live["version"], end.replace(second=0, microsecond=0) if end else None
    )
    actions_fp = _fingerprint(
        run.status, run_actions, [(r["id"], r["version"], r["actions"]) for r in mine]
    )
    return {
        "run": run,
        "runbook": run.runbook,
        "live": live,
        "mine": mine,
        "run_actions": run_actions,
        "status_fp": status_fp,
        "actions_fp": actions_fp,
        "failed": failed or {},
        "rollback_plan": run.runbook.rollback_plan,
        "active": run.status in ACTIVE,
    }


def _step_write(request, run, data, run_step):
    action = data["action"]
    user = request.user
    if action == "start":
        return step_start(actor=user, run_step=run_step, version=data["version"])
    if action == "complete":
        return step_complete(
            actor=user,
            run_step=run_step,
            actual_value=data["actual_value"],
            note=data["note"],
            version=data["version"],
        )
    if action == "fail":
        return step_fail(
            actor=user,
            run_step=run_step,
            note=data["note"],
            actual_value=data["actual_value"],
            version=data["version"],
        )
    if action == "skip":
        return step_skip(
            actor=user, run_step=run_step, reason=data["reason"], version=data["version"]
        )
    if action in ("approve", "reject"):
        return step_verdict(
            actor=user, run_step=run_step, approve=action == "approve", comment=data["comment"]
        )
    return step_resolve(
        actor=user, run_step=run_step, resolution=data["resolution"], note=data["note"]
    )


STEP_DONE = {
    "start": "You started {key}.",
    "complete": "{key}: {status}.",
    "fail": "{key} marked failed; its successors wait for a decision.",
    "skip": "{key} skipped.",
    "approve": "Your approval of {key} is recorded.",
    "reject": "Your rejection of {key} is recorded.",
    "resolve": "{key}: {resolution}.",
}


@web_view
def rollout_run(request, key, name, number):
    """Show a run live; htmx polls its regions (`?region=status|actions&fp=…`); POST acts."""
    project = project_get_for_user(user=request.user, key=key)
    runbook = runbook_get(user=request.user, project=project, name=name)
    run = run_get(user=request.user, project=project, runbook_name=runbook.name, number=number)
    if request.method == "POST":
        return _run_post(request, project, runbook, run)
    context = _live_context(request, project, run)
    region = request.GET.get("region", "")
    if is_htmx(request) and region in ("status", "actions"):
        fp = context["status_fp" if region == "status" else "actions_fp"]
        if request.GET.get("fp") == fp:
            return HttpResponse(status=204)
        template = f"web/rollout_run.html#_{region}"
        return rollout_page(request, project, template, context)
    return rollout_page(request, project, "web/rollout_run.html", context)


def _run_post(request, project, runbook, run):
    op = request.POST.get("op", "")
    if op == "step":
        form = RunStepActionForm(request.POST)
        by_key = {s.key: s for s in run.steps.all()}
        run_step = by_key.get(request.POST.get("step", ""))
        if run_step is None:
            return HttpResponseBadRequest("This run has no such step.")
        done = submit(form, lambda data: _step_write(request, run, data, run_step))
        if done.ok:
            result = done.result
            messages.success(
                request,
                STEP_DONE[form.cleaned_data["action"]].format(
                    key=result.key,
                    status=result.get_status_display().lower()
                    + (f" (observed {result.actual_value})" if result.actual_value else ""),
                    resolution=result.get_resolution_display().lower(),
                ),
            )
            data = form.cleaned_data
            rolled_back = data["action"] == "resolve" and data["resolution"] == "rollback"
            return _back(request, project, runbook, run, rolled_back=rolled_back)
        failed = {"step": run_step.key, "action": request.POST.get("action", ""), "form": form}
    elif op == "run":
        form = RunControlForm(request.POST)

        def write(data):
            if data["action"] == "pause":
                return run_pause(actor=request.user, run=run, reason=data["reason"])
            if data["action"] == "resume":
                return run_resume(actor=request.user, run=run)
            return run_abort(actor=request.user, run=run, reason=data["reason"])

        done = submit(form, write)
        if done.ok:
            messages.success(request, f"Run {done.result.get_status_display().lower()}.")
            return redirect(
                "web:rollout_run", key=project.key, name=runbook.name, number=run.number
            )
        failed = {"step": "", "action": request.POST.get("action", ""), "form": form}
    else:
        return HttpResponseBadRequest(f"Unknown run action {op!r}.")
    failed["messages"] = [m for errs in form.errors.values() for m in errs]
    run = run_get(user=request.user, project=project, runbook_name=runbook.name, number=run.number)
    context = _live_context(request, project, run, failed=failed)
    return rollout_page(
        request,
        project,
        "web/rollout_run.html",
        context,
        status=409 if done.conflict else 422,
    )


def _back(request, project, runbook, run, *, rolled_back: bool):
    """Go back to the live view, or to the rollback run that a rollback decision started."""
    if rolled_back and runbook.rollback_plan_id:
        try:
            rollback = run_get(
                user=request.user,
                project=project,
                runbook_name=runbook.rollback_plan.name,
                number=None,
            )
        except NotFound:
            rollback = None
        if rollback is not None and rollback.status in ACTIVE:
            messages.info(request, f"Rollback run #{rollback.number} started.")
            return redirect(
                "web:rollout_run",
                key=project.key,
                name=runbook.rollback_plan.name,
                number=rollback.number,
            )
    return redirect("web:rollout_run", key=project.key, name=runbook.name, number=run.number)


@web_view
def rollout_run_report(request, key, name, number):
    """Show a run's report: planned vs actual per step, delays and causes, earlier rehearsals."""
    project = project_get_for_user(user=request.user, key=key)
    runbook = runbook_get(user=request.user, project=project, name=name)
    run = run_get(user=request.user, project=project, runbook_name=runbook.name, number=number)
    report = run_report(user=request.user, run=run)
    context = {
        "run": run,
        "runbook": runbook,
        "report": report,
        "comparison": report_comparison(report),
        "over_rto": round(report["achieved_minutes"] - (report["rto_minutes"] or 0), 1),
    }
    return rollout_page(request, project, "web/rollout_run_report.html", context)


def report_comparison(report: dict) -> dict:
    """Lay the earlier rehearsals' step durations side by side with this run's, per step."""
    runs = report["rehearsals"]
    rows = [
        {
            "key": s["key"],
            "planned": s["planned_duration_minutes"],
            "earlier": [r["steps"].get(s["key"]) for r in runs],
            "this": s["actual_duration_minutes"],
        }
        for s in report["steps"]
    ]
    return {"runs": runs, "rows": rows}
