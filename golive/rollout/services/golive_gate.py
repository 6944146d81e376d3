"""The go-live gate every project gets: the rollout evidence combined into one go/no-go."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from golive.accounts.models import User
from golive.gates.models import Gate
from golive.gates.services import READINESS_GATE, criterion_add, gate_create
from golive.projects.models import Phase, Project

GO_LIVE_GATE = "go-live"

# (key, type, label, params): the gate's locked definition, also used by the data migration.
GO_LIVE_CRITERIA: list[tuple[str, str, str, dict[str, Any]]] = [
    ("readiness-decided", "gates.gate_approved", "Readiness decided", {"gate": READINESS_GATE}),
    ("rollback-rehearsed", "rollout.rollback_rehearsed", "Rollback rehearsed within RTO", {}),
    ("migration-checks", "rollout.migration_checks_passed", "Migration checks passed", {}),
    (
        "no-blocking-defects",
        "quality.no_open_defects",
        "No blocking defects",
        {"severity": "high"},
    ),
    ("signoffs", "quality.signoffs_complete", "Required sign-offs complete", {}),
    ("communications", "rollout.communications_sent", "Communications sent", {}),
]


def gate_create_go_live(*, actor: User, project: Project) -> Gate:
    """Create the go-live gate with its locked criteria; it opens the rollout phase.

    The manager and the sponsor are its named approvers (quorum 1). The gate opens the rollout
    phase unless another gate of the project already does.
    """
    with transaction.atomic():
        opens_phase = (
            ""
            if Gate.objects.filter(project=project, opens_phase=Phase.ROLLOUT).exists()
            else Phase.ROLLOUT
        )
        approvers: list[User | str] = [project.manager]
        if project.sponsor is not None and project.sponsor_id != project.manager_id:
            approvers.append(project.sponsor)
        gate = gate_create(
            actor=actor,
            project=project,
            name=GO_LIVE_GATE,
            title="Go-live",
            description=(
                "The solution may go live: readiness decided, rollback rehearsed, data migration "
                "verified, no blocking defects, sign-offs complete, users informed."
            ),
            quorum=1,
            approvers=approvers,
            opens_phase=opens_phase,
            is_system=True,
        )
        for key, type_key, label, params in GO_LIVE_CRITERIA:
            criterion_add(
                actor=actor,
                gate=gate,
                key=key,
                type_key=type_key,
                label=label,
                params=params,
                locked=True,
            )
    return gate
