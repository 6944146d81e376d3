"""Reads of sign-offs and their signatures, with the access check."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet

from golive.errors import NotFound
from golive.projects.models import Project
from golive.quality.access import quality_check
from golive.quality.models import Signature, SignOff, SignOffStatus


def signoff_list(*, user: Any, project: Project, status: str | None = None) -> QuerySet[SignOff]:
    """Return a project's sign-offs, newest first, with their count of current signatures."""
    quality_check(user=user, project=project, action="view")
    signoffs = (
        SignOff.objects.filter(project=project)
        .select_related("project", "plan", "created_by", "revoked_by")
        .prefetch_related("approvers")
        .annotate(signed=Count("signatures", filter=Q(signatures__withdrawn_at__isnull=True)))
    )
    if status:
        if status not in SignOffStatus.values:
            raise ValidationError(
                {
                    "status": (
                        f"{status!r} is not a sign-off status; use one of "
                        f"{', '.join(SignOffStatus.values)}."
                    )
                }
            )
        signoffs = signoffs.filter(status=status)
    return signoffs.order_by("-created_at", "-id")


def signoff_get(*, user: Any, project: Project, signoff_id: int) -> SignOff:
    """Return one sign-off with its runs, approvers and signatures (withdrawn ones included)."""
    signoff = (
        signoff_list(user=user, project=project)
        .prefetch_related(
            "runs",
            Prefetch("signatures", queryset=Signature.objects.select_related("signer")),
        )
        .filter(pk=signoff_id)
        .first()
    )
    if signoff is None:
        raise NotFound(f"{project.key} has no sign-off {signoff_id}.")
    return signoff


def signoff_get_by_name(*, user: Any, project: Project, name: str) -> SignOff:
    """Return the sign-off called `name` that is not revoked, else the latest revoked one."""
    signoff = (
        signoff_list(user=user, project=project)
        .filter(name=(name or "").strip())
        .exclude(status=SignOffStatus.REVOKED)
        .first()
    ) or signoff_list(user=user, project=project).filter(name=(name or "").strip()).first()
    if signoff is None:
        raise NotFound(f"{project.key} has no sign-off called {name!r}.")
    return signoff
