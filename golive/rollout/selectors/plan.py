"""Reads of the rollout plan and its waves, with their gates' evaluations, and the access check."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from golive.errors import NotFound
from golive.gates.models import Approval, Decision, Gate
from golive.gates.services import gate_evaluate
from golive.projects.models import Project
from golive.rollout.access import rollout_check
from golive.rollout.models import RolloutPlan, Wave


def wave_list(*, user: Any, project: Project) -> QuerySet[Wave]:
    """Return a project's waves in rollout order, with owner, gates and decisions."""
    rollout_check(user=user, project=project, action="view")
    return Wave.objects.filter(project=project).select_related(
        "project", "owner", "gate", "exit_gate", "start_decision", "exit_decision"
    )


def wave_get(*, user: Any, project: Project, slug: str) -> Wave:
    """Return the wave `slug` of `project`, or NotFound."""
    wave = wave_list(user=user, project=project).filter(slug=str(slug).strip()).first()
    if wave is None:
        raise NotFound(f"{project.key} has no wave {slug!r}.")
    return wave


def gate_summary(gate: Gate | None) -> dict[str, Any] | None:
    """Return a gate's evaluation in brief: passed, failing criteria, the latest go decision."""
    if gate is None:
        return None
    evaluation = gate_evaluate(gate=gate)
    decision = gate.latest_go_decision()
    return {
        "name": gate.name,
        "title": gate.title,
        "passed": evaluation.passed,
        "failing": [
            {"key": c.key, "label": c.label, "detail": c.detail} for c in evaluation.failing
        ],
        "criteria": len(evaluation.criteria),
        "decision": decision_summary(decision),
    }


def decision_summary(decision: Decision | None) -> dict[str, Any] | None:
    """Return a go decision's id, status, quorum and verdicts so far."""
    if decision is None:
        return None
    approvals = list(decision.approvals.select_related("approver"))
    return {
        "id": decision.pk,
        "status": decision.status,
        "opened_at": decision.opened_at,
        "closed_at": decision.closed_at,
        "quorum": decision.quorum,
        "approved": sum(1 for a in approvals if a.verdict == Approval.Verdict.APPROVE),
        "approvals": [
            {
                "approver": a.approver.username,
                "verdict": a.verdict,
                "comment": a.comment,
                "at": a.at,
            }
            for a in approvals
        ],
    }


def rollout_plan_get(*, user: Any, project: Project) -> RolloutPlan:
    """Return the project's rollout plan (unsaved, phased, until first set) with its waves.

    `plan.wave_rows` lists each wave with the summaries of its go/no-go and exit gates
    (`gate_summary`).
    """
    rollout_check(user=user, project=project, action="view")
    plan = RolloutPlan.objects.filter(project=project).first() or RolloutPlan(project=project)
    waves = list(wave_list(user=user, project=project))
    plan.wave_rows = [  # type: ignore[attr-defined]
        {"wave": w, "gate": gate_summary(w.gate), "exit_gate": gate_summary(w.exit_gate)}
        for w in waves
    ]
    return plan
