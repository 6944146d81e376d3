"""Sign-offs: open one with approvers and quorum, sign its frozen snapshot, withdraw, revoke."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect

from golive.gates.services import approvers_eligible
from golive.projects.selectors import project_get_for_user
from golive.quality.selectors.signoffs import signoff_get, signoff_list
from golive.quality.selectors.testing import test_plan_list, test_run_list
from golive.quality.services.signoffs import (
    signature_withdraw,
    signoff_open,
    signoff_revoke,
    signoff_sign,
)
from golive.web.errors import submit, web_view
from golive.web.quality_forms import SignForm, SignOffOpenForm, SignOffReasonForm
from golive.web.shortcuts import project_page
from golive.web.views.quality_display import quality_permissions

RUN_CHOICES = 50


def _open_form(request, project, data=None) -> SignOffOpenForm:
    return SignOffOpenForm(
        data,
        eligible=approvers_eligible(project=project),
        plans=test_plan_list(user=request.user, project=project),
        runs=test_run_list(user=request.user, project=project)[:RUN_CHOICES],
    )


@web_view
def quality_signoffs(request, key):
    """List sign-offs; POST opens one (managers), freezing what was tested."""
    project = project_get_for_user(user=request.user, key=key)
    quality = quality_permissions(user=request.user, project=project)
    status = 200
    form = None
    if request.method == "POST":
        form = _open_form(request, project, request.POST)
        done = submit(form, lambda data: signoff_open(actor=request.user, project=project, **data))
        if done.ok:
            messages.success(request, f"Sign-off “{done.result.name}” opened.")
            return redirect("web:quality_signoff", key=project.key, signoff_id=done.result.pk)
        status = 422
    elif quality["signoff_open"]:
        form = _open_form(request, project)
    context = {
        "signoffs": signoff_list(user=request.user, project=project),
        "form": form,
        "quality": quality,
    }
    return project_page(
        request, project, "web/quality_signoffs.html", context, section="quality", status=status
    )


OPS = {
    "sign": (
        SignForm,
        lambda actor, signoff, data: signoff_sign(
            actor=actor, signoff=signoff, comment=data["comment"]
        ),
        "You signed “{name}”.",
    ),
    "withdraw": (
        SignOffReasonForm,
        lambda actor, signoff, data: signature_withdraw(
            actor=actor, signoff=signoff, reason=data["reason"]
        ),
        "Your signature on “{name}” is withdrawn.",
    ),
    "revoke": (
        SignOffReasonForm,
        lambda actor, signoff, data: signoff_revoke(
            actor=actor, signoff=signoff, reason=data["reason"]
        ),
        "“{name}” is revoked.",
    ),
}


@web_view
def quality_signoff(request, key, signoff_id):
    """Show a sign-off with its snapshot and signatures; POST signs, withdraws or revokes."""
    project = project_get_for_user(user=request.user, key=key)
    signoff = signoff_get(user=request.user, project=project, signoff_id=signoff_id)
    status = 200
    errors: list[str] = []
    failed = ""
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op not in OPS:
            return HttpResponseBadRequest(f"Unknown sign-off action {op!r}.")
        form_class, write, text = OPS[op]
        form = form_class(request.POST)
        done = submit(form, lambda data: write(request.user, signoff, data))
        if done.ok:
            messages.success(request, text.format(name=signoff.name))
            return redirect("web:quality_signoff", key=project.key, signoff_id=signoff.pk)
        errors = [m for errs in form.errors.values() for m in errs]
        failed = op
        status = 422
        signoff = signoff_get(user=request.user, project=project, signoff_id=signoff_id)
    signatures = list(signoff.signatures.all())
    active = [s for s in signatures if s.withdrawn_at is None]
    me = request.user.pk
    context = {
        "signoff": signoff,
        "signatures": signatures,
        "signed_count": len(active),
        "approvers": [
            (a, any(s.signer_id == a.pk for s in active)) for a in signoff.approvers.all()
        ],
        "i_am_approver": any(a.pk == me for a in signoff.approvers.all()),
        "i_signed": any(s.signer_id == me for s in active),
        "snapshot": signoff.snapshot or {},
        "errors": errors,
        "failed": failed,
        "draft": request.POST if errors else {},
        "quality": quality_permissions(user=request.user, project=project),
    }
    return project_page(
        request, project, "web/quality_signoff.html", context, section="quality", status=status
    )
