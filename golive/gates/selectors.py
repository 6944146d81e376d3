"""Reads on gates and decisions, with the access check."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from golive.errors import NotFound
from golive.gates.access import gate_check
from golive.gates.models import Approval, Decision, Gate
from golive.projects.models import Project


def gate_list(*, user: Any, project: Project) -> QuerySet[Gate]:
    """Return a project's gates with their criteria and approvers."""
    gate_check(user=user, project=project, action="view")
    return (
        Gate.objects.filter(project=project)
        .select_related("project")
        .prefetch_related("criteria", "approvers")
    )


def gate_get(*, user: Any, project: Project, name: str) -> Gate:
    """Return gate `name` of `project`."""
    gate = gate_list(user=user, project=project).filter(name=name).first()
    if gate is None:
        raise NotFound(f"{project.key} has no gate called {name!r}.")
    return gate


def gate_guarding_phase(*, project: Project, phase: str) -> Gate | None:
    """Return the gate whose approved decision moves `project` into `phase`, if any."""
    return Gate.objects.filter(project=project, opens_phase=phase).select_related("project").first()


def decision_list(*, user: Any, project: Project) -> QuerySet[Decision]:
    """Return a project's decisions, newest first, with their approvals."""
    gate_check(user=user, project=project, action="view")
    return (
        Decision.objects.filter(project=project)
        .select_related("gate", "opened_by", "revokes")
        .prefetch_related(
            Prefetch("approvals", queryset=Approval.objects.select_related("approver"))
        )
        .order_by("-opened_at", "-id")
    )


def decision_get(*, user: Any, project: Project, decision_id: int) -> Decision:
    """Return one decision of `project`."""
    decision = decision_list(user=user, project=project).filter(pk=decision_id).first()
    if decision is None:
        raise NotFound(f"{project.key} has no decision {decision_id}.")
    return decision
