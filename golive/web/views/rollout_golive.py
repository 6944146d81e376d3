"""The go/no-go page: the go-live gate as a one-minute checklist, and the decision taken on it.

The decision uses the gates app's services and forms (open, vote, withdraw) exactly as the gate
page does; waivers and the gate's configuration stay on the gate page, linked from here.
"""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect

from golive.gates.models import Decision
from golive.gates.selectors import decision_get
from golive.gates.selectors import decision_list as decisions_of
from golive.gates.services import decision_open, decision_vote, decision_withdraw
from golive.projects.selectors import project_get_for_user
from golive.rollout.selectors.golive_gate import go_live_checklist
from golive.web.errors import submit, web_view
from golive.web.forms import DecisionOpenForm, VoteForm, WithdrawForm
from golive.web.views.gates import decision_approvers, gate_ahead
from golive.web.views.rollout import rollout_page


def _ops(request, project, gate):
    user = request.user

    def decision(data):
        return decision_get(user=user, project=project, decision_id=data["decision"])

    return {
        "open": (
            DecisionOpenForm,
            lambda data: decision_open(actor=user, gate=gate, comment=data["comment"]),
            "Go/no-go decision opened; the approvers can now give their verdicts.",
        ),
        "vote": (
            VoteForm,
            lambda data: decision_vote(
                actor=user,
                decision=decision(data),
                approve=data["verdict"] == "approve",
                comment=data["comment"],
            ),
            "Your verdict is recorded.",
        ),
        "withdraw": (
            WithdrawForm,
            lambda data: decision_withdraw(
                actor=user, decision=decision(data), reason=data["reason"]
            ),
            "Decision withdrawn.",
        ),
    }


@web_view
def go_live(request, key):
    """Show the go-live checklist (each criterion, its reason, evidence); POST decides on it."""
    project = project_get_for_user(user=request.user, key=key)
    checklist = go_live_checklist(user=request.user, project=project)
    gate = checklist["gate"]
    forms = {"open": DecisionOpenForm(), "vote": VoteForm(), "withdraw": WithdrawForm()}
    failed, status = "", 200
    if request.method == "POST":
        ops = _ops(request, project, gate)
        op = request.POST.get("op", "")
        if op not in ops:
            return HttpResponseBadRequest(f"Unknown go/no-go action {op!r}.")
        form_class, write, done_message = ops[op]
        form = forms[op] = form_class(request.POST)
        done = submit(form, write)
        if done.ok:
            messages.success(request, done_message)
            return redirect("web:go_live", key=project.key)
        failed, status = op, 409 if done.conflict else 422
        checklist = go_live_checklist(user=request.user, project=project)
    pending = (
        decisions_of(user=request.user, project=project)
        .filter(gate=gate, kind=Decision.Kind.GO, status=Decision.Status.PENDING)
        .first()
    )
    named = decision_approvers(pending) if pending else []
    voted = {a.approver_id for a in pending.approvals.all()} if pending else set()
    criteria = checklist["criteria"]
    context = {
        "checklist": checklist,
        "gate": gate,
        "criteria": criteria,
        "failing": [c for c in criteria if not c["passed"] and not c["waived"]],
        "forms": forms,
        "failed": failed,
        "pending": pending,
        "latest": gate.latest_go_decision(),
        "named": named,
        "waiting": [u for u in named if u.pk not in voted],
        "can_vote": pending is not None
        and request.user.pk in pending.approver_ids
        and request.user.pk not in voted,
        "gate_ahead": gate_ahead(gate),
    }
    return rollout_page(
        request, project, "web/rollout_golive.html", context, status=status, section="golive"
    )
