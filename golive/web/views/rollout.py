"""The Rollout tab's overview (strategy and waves) and a wave's detail with its status moves."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect

from golive.gates.models import Decision
from golive.projects.access import project_role
from golive.projects.models import Project, Role
from golive.projects.selectors import membership_list, project_get_for_user
from golive.rollout.access import ROLLOUT_RULES
from golive.rollout.models import WaveStatus
from golive.rollout.selectors.plan import rollout_plan_get, wave_get
from golive.rollout.services.plan import (
    rollout_plan_set,
    wave_cancel,
    wave_complete,
    wave_create,
    wave_delete,
    wave_hypercare,
    wave_start,
    wave_update,
)
from golive.web.errors import submit, web_view
from golive.web.rollout_forms import PlanForm, ReasonForm, WaveForm
from golive.web.shortcuts import project_page


def rollout_permissions(*, user: Any, project: Project) -> dict[str, bool]:
    """Return, per rollout action, whether `user`'s role allows it; pages show only those."""
    role = project_role(user=user, project=project)
    return {action: role is not None and role >= need for action, need in ROLLOUT_RULES.items()}


def project_members(request, project) -> list:
    return [m.user for m in membership_list(user=request.user, project=project)]


def project_approvers(request, project) -> list:
    return [
        m.user
        for m in membership_list(user=request.user, project=project)
        if m.role >= Role.APPROVER
    ]


def rollout_page(request, project, template, context, *, status=200, section="rollout"):
    """Render a page of the Rollout tab with the rollout permissions (`rollout.plan`, …)."""
    context = {"rollout": rollout_permissions(user=request.user, project=project), **context}
    return project_page(request, project, template, context, section=section, status=status)


DECISION_BADGES = {
    Decision.Status.APPROVED: "badge-pass",
    Decision.Status.PENDING: "badge-pending",
    Decision.Status.REJECTED: "badge-fail",
}


def decision_badge(summary: dict[str, Any] | None) -> dict[str, str]:
    """Return the label and badge class of a gate summary's latest go decision."""
    decision = (summary or {}).get("decision")
    if not decision:
        return {"label": "No decision", "badge": ""}
    status = decision["status"]
    return {
        "label": Decision.Status(status).label,
        "badge": DECISION_BADGES.get(status, "badge-withdrawn"),
    }


def gate_state(gate) -> dict[str, Any]:
    """Return a gate's go/no-go state for a table cell: label, badge class, latest decision."""
    if gate is None:
        return {"label": "No gate", "badge": "", "decision": None, "approved": False}
    decision = gate.latest_go_decision()
    if decision is None:
        return {"label": "No decision", "badge": "", "decision": None, "approved": False}
    badge = DECISION_BADGES.get(decision.status, "badge-withdrawn")
    return {
        "label": decision.get_status_display(),
        "badge": badge,
        "decision": decision,
        "approved": decision.status == Decision.Status.APPROVED,
    }


@web_view
def rollout(request, key):
    """Show the strategy and the waves; POST sets the strategy (`op=plan`) or adds a wave."""
    project = project_get_for_user(user=request.user, key=key)
    plan = rollout_plan_get(user=request.user, project=project)
    members = project_members(request, project)
    plan_form = PlanForm(
        initial={
            "strategy": plan.strategy if plan else "phased",
            "notes": plan.notes if plan else "",
            "version": plan.version if plan and plan.pk else None,
        }
    )
    wave_form = WaveForm(members=members, initial={"owner": request.user.username})
    status, failed, conflict = 200, "", ""
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op == "plan":
            plan_form = PlanForm(request.POST)
            done = submit(
                plan_form,
                lambda data: rollout_plan_set(
                    actor=request.user,
                    project=project,
                    strategy=data["strategy"],
                    notes=data["notes"],
                    version=data["version"],
                ),
            )
            if done.ok:
                messages.success(request, "Rollout strategy saved.")
                return redirect("web:rollout", key=project.key)
            if done.conflict:
                conflict = done.conflict.message
                plan = rollout_plan_get(user=request.user, project=project)
                plan_form = PlanForm(
                    initial={
                        "strategy": plan.strategy,
                        "notes": plan.notes,
                        "version": plan.version,
                    }
                )
        elif op == "wave":
            wave_form = WaveForm(request.POST, members=members)

            def write(data):
                data = {k: v for k, v in data.items() if k != "version"}
                return wave_create(actor=request.user, project=project, **data)

            done = submit(wave_form, write)
            if done.ok:
                messages.success(
                    request,
                    f"Wave “{done.result.name}” added with its go/no-go gate "
                    f"{done.result.gate.name if done.result.gate else ''}.",
                )
                return redirect("web:rollout_wave", key=project.key, slug=done.result.slug)
        else:
            return HttpResponseBadRequest(f"Unknown rollout action {op!r}.")
        status, failed = (409 if done.conflict else 422), op
    rows = [
        {"wave": r["wave"], "gate": r["gate"], "decision": decision_badge(r["gate"])}
        for r in plan.wave_rows
    ]
    waves = [r["wave"] for r in rows]
    context = {
        "plan": plan,
        "rows": rows,
        "timeline": _timeline(waves),
        "plan_form": plan_form,
        "wave_form": wave_form,
        "failed": failed,
        "conflict": conflict,
    }
    return rollout_page(request, project, "web/rollout_overview.html", context, status=status)


def _timeline(waves) -> list[dict[str, Any]]:
    """Place each wave's planned window on a 0-100 % axis from the first start to the last end."""
    if not waves:
        return []
    start = min(w.planned_start for w in waves)
    end = max(w.planned_end for w in waves)
    span = max((end - start).total_seconds(), 1)
    return [
        {
            "wave": w,
            "left": round((w.planned_start - start).total_seconds() / span * 100, 2),
            "width": max(
                round((w.planned_end - w.planned_start).total_seconds() / span * 100, 2), 1
            ),
        }
        for w in waves
    ]


def start_blocker(wave, state) -> str:
    """Return why a planned wave cannot start yet (empty when its gate decision is approved)."""
    if wave.status != WaveStatus.PLANNED:
        return ""
    if wave.gate is None:
        return "This wave has no go/no-go gate."
    decision = state["decision"]
    if decision is None:
        return (
            f"Its go/no-go gate “{wave.gate.title}” has no decision yet: open one on the gate "
            "page and have its approvers approve it."
        )
    if decision.status == Decision.Status.PENDING:
        return f"The decision on “{wave.gate.title}” is waiting for its approvers."
    if decision.status != Decision.Status.APPROVED:
        return (
            f"The latest decision on “{wave.gate.title}” was {decision.get_status_display().lower()};"
            " open a new one."
        )
    return ""


WAVE_MOVES = {
    "start": (wave_start, "Wave “{name}” started."),
    "hypercare": (wave_hypercare, "Wave “{name}” is in hypercare."),
    "complete": (wave_complete, "Wave “{name}” completed."),
}


@web_view
def rollout_wave(request, key, slug):
    """Show a wave; POST edits it, moves it (start, hypercare, complete, cancel) or deletes it."""
    project = project_get_for_user(user=request.user, key=key)
    wave = wave_get(user=request.user, project=project, slug=slug)
    members = project_members(request, project)
    form = WaveForm(members=members, editing=True, initial=WaveForm.initial_for(wave))
    reason_form = ReasonForm()
    status, failed, conflict, errors = 200, "", "", []
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op == "edit":
            form = WaveForm(request.POST, members=members, editing=True)

            def write(data):
                return wave_update(actor=request.user, wave=wave, **data)

            done = submit(form, write)
            if done.ok:
                messages.success(request, "Wave saved.")
                return redirect("web:rollout_wave", key=project.key, slug=wave.slug)
            if done.conflict:
                conflict = done.conflict.message
                wave = wave_get(user=request.user, project=project, slug=slug)
                form = WaveForm(members=members, editing=True, initial=WaveForm.initial_for(wave))
        elif op in WAVE_MOVES or op in ("cancel", "delete"):
            reason_form = ReasonForm(request.POST)
            if op == "cancel":

                def write(data):
                    return wave_cancel(actor=request.user, wave=wave, reason=data["reason"])

                done_message = f"Wave “{wave.name}” cancelled."
            elif op == "delete":

                def write(data):
                    return wave_delete(actor=request.user, wave=wave)

                done_message = f"Wave “{wave.name}” deleted with its gates."
            else:
                service, template = WAVE_MOVES[op]

                def write(data):
                    return service(actor=request.user, wave=wave)

                done_message = template.format(name=wave.name)
            done = submit(reason_form, write)
            if done.ok:
                messages.success(request, done_message)
                if op == "delete":
                    return redirect("web:rollout", key=project.key)
                return redirect("web:rollout_wave", key=project.key, slug=wave.slug)
            errors = [m for errs in reason_form.errors.values() for m in errs]
            wave = wave_get(user=request.user, project=project, slug=slug)
        else:
            return HttpResponseBadRequest(f"Unknown wave action {op!r}.")
        status, failed = (409 if done.conflict else 422), op
    state = gate_state(wave.gate)
    context = {
        "wave": wave,
        "gate": state,
        "exit_gate": gate_state(wave.exit_gate),
        "start_blocker": start_blocker(wave, state),
        "form": form,
        "reason_form": reason_form,
        "failed": failed,
        "conflict": conflict,
        "errors": errors,
    }
    return rollout_page(request, project, "web/rollout_wave.html", context, status=status)
