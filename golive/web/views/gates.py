"""Gates and decisions: a gate's evaluation and configuration, decisions and their history."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect

from golive.accounts.models import User
from golive.errors import NotFound
from golive.gates.models import Decision, Gate
from golive.gates.registry import criterion_types
from golive.gates.selectors import decision_get, gate_get
from golive.gates.selectors import decision_list as decisions_of
from golive.gates.services import (
    approvers_eligible,
    criterion_add,
    criterion_remove,
    decision_open,
    decision_vote,
    decision_withdraw,
    gate_evaluate,
    gate_update,
    waiver_create,
    waiver_revoke,
)
from golive.projects.models import Phase
from golive.projects.selectors import project_get_for_user
from golive.web.errors import submit, web_view
from golive.web.forms import (
    CriterionAddForm,
    CriterionRemoveForm,
    DecisionOpenForm,
    GateApproversForm,
    VoteForm,
    WaiverForm,
    WaiverRevokeForm,
    WithdrawForm,
)
from golive.web.shortcuts import project_page

# Actions taken from a row of the criteria table; their refusals are shown above the table.
TABLE_OPS = {"waive", "revoke", "criterion_remove"}


def decision_approvers(decision: Decision) -> list[User]:
    """Return the named approvers fixed when `decision` opened."""
    return list(User.objects.filter(pk__in=decision.approver_ids).order_by("username"))


def gate_ahead(gate: Gate) -> bool:
    """Return whether the phase `gate` opens is still ahead of its project (a decision can open)."""
    order = Phase.order()
    return bool(gate.opens_phase) and order.index(gate.project.phase) < order.index(
        gate.opens_phase
    )


def _criterion(gate: Gate, key: str):
    criterion = next((c for c in gate.criteria.all() if c.key == key), None)
    if criterion is None:
        raise NotFound(f"The {gate.title} gate has no criterion {key!r}.")
    return criterion


def _ops(request, project, gate):
    """Return op → (form class, write) for the gate page's forms."""
    user = request.user

    def decision(data):
        return decision_get(user=user, project=project, decision_id=data["decision"])

    return {
        "approvers": (
            GateApproversForm,
            lambda data: gate_update(
                actor=user,
                gate=gate,
                version=data["version"],
                approvers=data["approvers"],
                quorum=data["quorum"],
            ),
            "Approvers and quorum saved.",
        ),
        "criterion_add": (
            CriterionAddForm,
            lambda data: criterion_add(
                actor=user,
                gate=gate,
                key=data["key"],
                type_key=data["type"],
                label=data["label"],
                params=data["params"],
            ),
            "Criterion added.",
        ),
        "criterion_remove": (
            CriterionRemoveForm,
            lambda data: criterion_remove(
                actor=user, criterion=_criterion(gate, data["criterion"])
            ),
            "Criterion removed.",
        ),
        "waive": (
            WaiverForm,
            lambda data: waiver_create(
                actor=user, gate=gate, criterion_key=data["criterion"], reason=data["reason"]
            ),
            "Criterion waived; the waiver is recorded as a decision.",
        ),
        "revoke": (
            WaiverRevokeForm,
            lambda data: waiver_revoke(
                actor=user,
                waiver=decision_get(user=user, project=project, decision_id=data["waiver"]),
                reason=data["reason"],
            ),
            "Waiver revoked.",
        ),
        "open": (
            DecisionOpenForm,
            lambda data: decision_open(actor=user, gate=gate, comment=data["comment"]),
            "Decision opened; the named approvers can now give their verdicts.",
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


def _approvers_form(gate: Gate, eligible) -> GateApproversForm:
    return GateApproversForm(
        initial={
            "approvers": [u.username for u in gate.approvers.all()],
            "quorum": gate.quorum,
            "version": gate.version,
        },
        eligible=eligible,
    )


@web_view
def gate_detail(request, key, name):
    """Show a gate's evaluation, approvers and pending decision; POST runs one action (`op`)."""
    project = project_get_for_user(user=request.user, key=key)
    gate = gate_get(user=request.user, project=project, name=name)
    eligible = approvers_eligible(project=project)
    forms = {
        "approvers": _approvers_form(gate, eligible),
        "criterion_add": CriterionAddForm(),
        "open": DecisionOpenForm(),
        "vote": VoteForm(),
        "withdraw": WithdrawForm(),
    }
    failed, conflict, status = None, None, 200
    if request.method == "POST":
        ops = _ops(request, project, gate)
        op = request.POST.get("op", "")
        if op not in ops:
            return HttpResponseBadRequest(f"Unknown gate action {op!r}.")
        form_class, write, done_message = ops[op]
        form = (
            form_class(request.POST, eligible=eligible)
            if form_class is GateApproversForm
            else form_class(request.POST)
        )
        done = submit(form, write)
        if done.ok:
            messages.success(request, done_message)
            return redirect("web:gate_detail", key=project.key, name=gate.name)
        status = 409 if done.conflict else 422
        if op == "approvers" and done.conflict:
            conflict = done.conflict.message
            gate = gate_get(user=request.user, project=project, name=name)
            forms["approvers"] = _approvers_form(gate, eligible)
        else:
            forms[op] = form
            failed = {
                "op": op,
                "form": form,
                "key": request.POST.get("criterion", ""),
                "in_table": op in TABLE_OPS,
            }
    evaluation = gate_evaluate(gate=gate)
    locked = {c.key: c.locked for c in gate.criteria.all()}
    pending = (
        decisions_of(user=request.user, project=project)
        .filter(gate=gate, kind=Decision.Kind.GO, status=Decision.Status.PENDING)
        .first()
    )
    named = decision_approvers(pending) if pending else []
    voted = {a.approver_id for a in pending.approvals.all()} if pending else set()
    return project_page(
        request,
        project,
        "gates/gate_detail.html",
        {
            "gate": gate,
            "evaluation": evaluation,
            "rows": [(result, locked.get(result.key, True)) for result in evaluation.criteria],
            "criterion_types": criterion_types(),
            "forms": forms,
            "failed": failed,
            "conflict": conflict,
            "pending": pending,
            "gate_ahead": gate_ahead(gate),
            "named": named,
            "waiting": [u for u in named if u.pk not in voted],
            "can_vote": pending is not None
            and request.user.pk in pending.approver_ids
            and request.user.pk not in voted,
        },
        section="gates",
        status=status,
    )


@web_view
def decision_list(request, key):
    """List every decision on the project's gates, newest first."""
    project = project_get_for_user(user=request.user, key=key)
    return project_page(
        request,
        project,
        "gates/decision_list.html",
        {"decisions": decisions_of(user=request.user, project=project)},
        section="decisions",
    )


@web_view
def decision_detail(request, key, decision_id):
    """Show a decision as recorded: its frozen evaluation, approvals, reason and revocations."""
    project = project_get_for_user(user=request.user, key=key)
    decision = decision_get(user=request.user, project=project, decision_id=decision_id)
    return project_page(
        request,
        project,
        "gates/decision_detail.html",
        {"decision": decision, "named": decision_approvers(decision)},
        section="decisions",
    )
