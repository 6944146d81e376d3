"""Communications: the schedule (when each goes out, its status), create and edit, send, log."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect

from golive.projects.selectors import project_get_for_user
from golive.rollout.selectors.communications import (
    communication_get,
    communication_log_list,
    communication_schedule,
)
from golive.rollout.selectors.plan import wave_list
from golive.rollout.selectors.runbooks import runbook_list
from golive.rollout.services.communications import (
    communication_cancel,
    communication_create,
    communication_recipients,
    communication_send,
    communication_update,
)
from golive.web.errors import submit, web_view
from golive.web.rollout_forms import CommunicationForm, ReasonForm
from golive.web.views.rollout import rollout_page

LOG_LIMIT = 100


def _form(request, project, *args, **kwargs) -> CommunicationForm:
    return CommunicationForm(
        *args,
        waves=list(wave_list(user=request.user, project=project)),
        runbooks=list(runbook_list(user=request.user, project=project)),
        **kwargs,
    )


@web_view
def rollout_comms(request, key):
    """List communications soonest first with their scheduled time and status; POST plans one."""
    project = project_get_for_user(user=request.user, key=key)
    form = _form(request, project)
    status = 200
    if request.method == "POST":
        form = _form(request, project, request.POST)

        def write(data):
            data = {k: v for k, v in data.items() if k != "version"}
            return communication_create(actor=request.user, project=project, **data)

        done = submit(form, write)
        if done.ok:
            messages.success(request, f"Communication “{done.result.name}” planned.")
            return redirect("web:rollout_comm", key=project.key, name=done.result.name)
        status = 422
    comms = communication_schedule(user=request.user, project=project)
    context = {"comms": comms, "form": form, "failed": status != 200}
    return rollout_page(request, project, "web/rollout_comms.html", context, status=status)


@web_view
def rollout_comm(request, key, name):
    """Show a communication and its log; POST edits it, sends it now or cancels it (`op`)."""
    project = project_get_for_user(user=request.user, key=key)
    comm = communication_get(user=request.user, project=project, name=name)
    form = _form(request, project, editing=True, initial=CommunicationForm.initial_for(comm))
    reason_form = ReasonForm()
    status, failed, conflict, errors = 200, "", "", []
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op == "edit":
            form = _form(request, project, request.POST, editing=True)

            def write(data):
                data = {k: v for k, v in data.items() if not (k == "webhook_url" and not v)}
                return communication_update(actor=request.user, communication=comm, **data)

            done = submit(form, write)
            if done.ok:
                messages.success(request, "Communication saved.")
                return redirect("web:rollout_comm", key=project.key, name=comm.name)
            if done.conflict:
                conflict = done.conflict.message
                comm = communication_get(user=request.user, project=project, name=name)
                form = _form(
                    request, project, editing=True, initial=CommunicationForm.initial_for(comm)
                )
        elif op in ("send", "cancel"):
            reason_form = ReasonForm(request.POST)
            if op == "send":
                done = submit(
                    reason_form,
                    lambda data: communication_send(actor=request.user, communication=comm),
                )
            else:
                done = submit(
                    reason_form,
                    lambda data: communication_cancel(
                        actor=request.user, communication=comm, reason=data["reason"]
                    ),
                )
            if done.ok:
                if op == "send":
                    log = done.result
                    if log.ok:
                        messages.success(request, f"Sent to {len(log.recipients)} recipients.")
                    else:
                        messages.error(request, f"Sending failed: {log.error}")
                else:
                    messages.success(request, "Communication cancelled.")
                return redirect("web:rollout_comm", key=project.key, name=comm.name)
            errors = [m for errs in reason_form.errors.values() for m in errs]
        else:
            return HttpResponseBadRequest(f"Unknown communication action {op!r}.")
        status, failed = (409 if done.conflict else 422), op
    context = {
        "comm": comm,
        "recipients": communication_recipients(comm),
        "log": list(communication_log_list(user=request.user, communication=comm)[:LOG_LIMIT]),
        "form": form,
        "reason_form": reason_form,
        "failed": failed,
        "conflict": conflict,
        "errors": errors,
        "editable": comm.status in ("planned", "failed"),
    }
    return rollout_page(request, project, "web/rollout_comm.html", context, status=status)
