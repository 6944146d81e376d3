"""Writes on sign-offs: open with named approvers and a quorum, sign, withdraw, revoke."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from golive.accounts.models import User
from golive.audit.services import audit_record
from golive.errors import Conflict
from golive.projects.access import project_role
from golive.projects.models import Project, Role
from golive.projects.services import user_resolve
from golive.quality.access import quality_check
from golive.quality.models import Signature, SignOff, SignOffStatus, TestPlan, TestRun
from golive.quality.selectors.dashboard import quality_snapshot


def _approvers_resolve(project: Project, values: Iterable[User | str]) -> list[User]:
    users: list[User] = []
    for value in values:
        user = user_resolve(value, field="approvers")
        if user is None:
            continue
        role = project_role(user=user, project=project)
        if role is None:
            raise ValidationError(
                {"approvers": f"{user.username} is not a member of {project.key}."}
            )
        if role < Role.APPROVER:
            raise ValidationError(
                {
                    "approvers": (
                        f"{user.username} cannot sign in {project.key}: named approvers need the "
                        f"approver or manager role ({user.username} is {role.label.lower()})."
                    )
                }
            )
        if user.pk not in {u.pk for u in users}:
            users.append(user)
    if not users:
        raise ValidationError({"approvers": "Name at least one approver."})
    return users


def _plan_resolve(project: Project, value: TestPlan | int | str | None) -> TestPlan | None:
    if value is None or value == "":
        return None
    plans = TestPlan.objects.filter(project=project)
    if isinstance(value, TestPlan):
        plan = plans.filter(pk=value.pk).first()
    elif isinstance(value, int):
        plan = plans.filter(pk=value).first()
    else:
        plan = plans.filter(name=value).first()
    if plan is None:
        raise ValidationError({"plan": f"{project.key} has no test plan {value}."})
    return plan


def _runs_resolve(project: Project, values: Iterable[TestRun | int | str]) -> list[TestRun]:
    values = list(values)
    ids = [v.pk if isinstance(v, TestRun) else v for v in values if not isinstance(v, str)]
    names = [v for v in values if isinstance(v, str)]
    found = list(TestRun.objects.filter(project=project, pk__in=ids)) + list(
        TestRun.objects.filter(project=project, name__in=names)
    )
    known = {r.pk for r in found} | {r.name for r in found}
    missing = [str(v) for v in ids + names if v not in known]
    if missing:
        raise ValidationError({"runs": f"{project.key} has no test run {', '.join(missing)}."})
    return sorted({r.pk: r for r in found}.values(), key=lambda r: (r.started_at, r.pk))


def signoff_open(
    *,
    actor: User,
    project: Project,
    name: str,
    approvers: Iterable[User | str],
    quorum: int = 1,
    description: str = "",
    plan: TestPlan | int | str | None = None,
    runs: Iterable[TestRun | int | str] = (),
) -> SignOff:
    """Open a sign-off for a quorum of named approvers over a frozen snapshot of the tests."""
    with transaction.atomic():
        quality_check(user=actor, project=project, action="signoff_open")
        users = _approvers_resolve(project, approvers)
        if isinstance(quorum, bool) or not isinstance(quorum, int):
            raise ValidationError({"quorum": f"{quorum!r} is not a number of signatures."})
        if not 1 <= quorum <= len(users):
            raise ValidationError(
                {
                    "quorum": (
                        f"The quorum is between 1 and the number of named approvers "
                        f"({len(users)}); {quorum} is not."
                    )
                }
            )
        plan_obj = _plan_resolve(project, plan)
        run_list = _runs_resolve(project, runs)
        signoff = SignOff(
            project=project,
            name=(name or "").strip(),
            description=description or "",
            plan=plan_obj,
            quorum=quorum,
            snapshot=quality_snapshot(project=project, plan=plan_obj, runs=run_list),
            created_by=actor,
            created_at=timezone.now(),
        )
        signoff.full_clean()
        signoff.save()
        signoff.approvers.set(users)
        signoff.runs.set(run_list)
        audit_record(
            actor=actor,
            action="signoff.open",
            obj=signoff,
            project=project,
            changes={
                "name": [None, signoff.name],
                "quorum": [None, quorum],
                "approvers": [None, [u.username for u in users]],
                "plan": [None, plan_obj.name if plan_obj else None],
                "runs": [None, [r.name for r in run_list]],
            },
        )
    return signoff


def _locked(signoff: SignOff) -> SignOff:
    return SignOff.objects.select_for_update().select_related("project").get(pk=signoff.pk)


def _active_count(signoff: SignOff) -> int:
    return signoff.signatures.filter(withdrawn_at__isnull=True).count()


def _set_status(actor: User, signoff: SignOff, status: str, **changes: Any) -> None:
    old = signoff.status
    signoff.status = status
    if status == SignOffStatus.COMPLETE:
        signoff.completed_at = timezone.now()
    elif status == SignOffStatus.OPEN:
        signoff.completed_at = None
    signoff.version += 1
    signoff.full_clean()
    signoff.save()
    audit_record(
        actor=actor,
        action=f"signoff.{status}",
        obj=signoff,
        project=signoff.project,
        changes={"status": [old, status], **changes},
    )


def signoff_sign(*, actor: User, signoff: SignOff, comment: str = "") -> SignOff:
    """Sign as one of the named approvers; the sign-off completes when the quorum signs."""
    with transaction.atomic():
        signoff = _locked(signoff)
        project = signoff.project
        quality_check(user=actor, project=project, action="sign")
        if not signoff.approvers.filter(pk=actor.pk).exists():
            raise PermissionDenied(f"You are not one of the named approvers of {signoff.name!r}.")
        if signoff.status == SignOffStatus.REVOKED:
            raise Conflict(f"{signoff.name!r} was revoked; it takes no more signatures.")
        signature = Signature(
            signoff=signoff, signer=actor, comment=comment or "", at=timezone.now()
        )
        try:
            with transaction.atomic():
                signature.save()
        except IntegrityError:
            raise Conflict(f"You have already signed {signoff.name!r}.") from None
        audit_record(
            actor=actor,
            action="signoff.sign",
            obj=signoff,
            project=project,
            changes={"signer": [None, actor.username], "comment": [None, comment or ""]},
        )
        if signoff.status == SignOffStatus.OPEN and _active_count(signoff) >= signoff.quorum:
            _set_status(actor, signoff, SignOffStatus.COMPLETE)
    return signoff


def signature_withdraw(*, actor: User, signoff: SignOff, reason: str) -> SignOff:
    """Withdraw your signature, with a reason; a complete sign-off below quorum reopens."""
    reason = (reason or "").strip()
    with transaction.atomic():
        signoff = _locked(signoff)
        project = signoff.project
        quality_check(user=actor, project=project, action="view")
        if signoff.status == SignOffStatus.REVOKED:
            raise Conflict(f"{signoff.name!r} was revoked; its signatures stay as they are.")
        signature = signoff.signatures.filter(signer=actor, withdrawn_at__isnull=True).first()
        if signature is None:
            raise ValidationError(
                {"signoff": f"You have not signed {signoff.name!r}; there is nothing to withdraw."}
            )
        if not reason:
            raise ValidationError({"reason": "Say why you withdraw your signature."})
        signature.withdrawn_at = timezone.now()
        signature.withdraw_reason = reason
        signature.save(update_fields=["withdrawn_at", "withdraw_reason"])
        audit_record(
            actor=actor,
            action="signoff.withdraw",
            obj=signoff,
            project=project,
            changes={"signer": [actor.username, None], "reason": [None, reason]},
        )
        if signoff.status == SignOffStatus.COMPLETE and _active_count(signoff) < signoff.quorum:
            _set_status(actor, signoff, SignOffStatus.OPEN)
    return signoff


def signoff_revoke(*, actor: User, signoff: SignOff, reason: str) -> SignOff:
    """Revoke a sign-off (managers, with a reason); it no longer counts for any gate."""
    reason = (reason or "").strip()
    with transaction.atomic():
        signoff = _locked(signoff)
        quality_check(user=actor, project=signoff.project, action="signoff_revoke")
        if signoff.status == SignOffStatus.REVOKED:
            raise Conflict(f"{signoff.name!r} is already revoked.")
        if not reason:
            raise ValidationError({"reason": f"Say why {signoff.name!r} is revoked."})
        signoff.revoked_by = actor
        signoff.revoked_at = timezone.now()
        signoff.revoke_reason = reason
        _set_status(actor, signoff, SignOffStatus.REVOKED, reason=[None, reason])
    return signoff
