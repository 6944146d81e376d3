"""The go-live checklist: the go-live gate's criteria as they stand, and its decisions."""

from __future__ import annotations

from typing import Any

from golive.errors import NotFound
from golive.gates.models import Decision, Gate
from golive.gates.services import gate_evaluate
from golive.projects.models import Project
from golive.rollout.access import rollout_check
from golive.rollout.selectors.plan import decision_summary
from golive.rollout.services.golive_gate import GO_LIVE_GATE


def go_live_checklist(*, user: Any, project: Project) -> dict[str, Any]:
    """Return the go-live gate, each criterion's verdict with evidence, and its decisions.

    `pending` is the go decision awaiting approval (with its verdicts so far), `latest` the most
    recent go decision whatever its status.
    """
    rollout_check(user=user, project=project, action="view")
    gate = (
        Gate.objects.filter(project=project, name=GO_LIVE_GATE)
        .select_related("project")
        .prefetch_related("approvers")
        .first()
    )
    if gate is None:
        raise NotFound(
            f"{project.key} has no go-live gate; it is created with the project (or by the "
            "rollout data migration)."
        )
    evaluation = gate_evaluate(gate=gate)
    pending = gate.decisions.filter(kind=Decision.Kind.GO, status=Decision.Status.PENDING).first()
    return {
        "gate": gate,
        "approvers": [u.username for u in gate.approvers.all()],
        "quorum": gate.quorum,
        "passed": evaluation.passed,
        "evaluated_at": evaluation.evaluated_at,
        "criteria": [
            {
                "key": c.key,
                "label": c.label,
                "type": c.type,
                "passed": c.passed,
                "detail": c.detail,
                "evidence": c.evidence,
                "waived": c.waived,
                "waiver_id": c.waiver_id,
            }
            for c in evaluation.criteria
        ],
        "evaluation": evaluation,
        "pending": decision_summary(pending),
        "latest": decision_summary(gate.latest_go_decision()),
    }
