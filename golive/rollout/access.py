"""Who may do what with the rollout plan, waves, runbooks, runs, migration checks, communications."""

from typing import Any

from golive.projects.access import require_role
from golive.projects.models import Project, Role

ROLLOUT_RULES = {
    "view": Role.VIEWER,
    "execute": Role.CONTRIBUTOR,  # act on steps of a run (start, complete, fail, skip)
    "run_check": Role.CONTRIBUTOR,  # execute a migration check
    "plan": Role.MANAGER,  # strategy, waves, runbooks and their steps, checks, communications
    "run": Role.MANAGER,  # start, pause, resume, abort a run; decide on a failed step
    "send": Role.MANAGER,  # send a communication now
    "approve_step": Role.APPROVER,  # and named on the decision point
}

ROLLOUT_ACTION_PHRASES = {
    "view": "see the rollout plan, runbooks and runs",
    "execute": "work on runbook steps",
    "run_check": "run migration checks",
    "plan": "plan the rollout, runbooks, migration checks and communications",
    "run": "start, pause, resume or abort runbook runs",
    "send": "send communications",
    "approve_step": "give a verdict on a decision point",
}


def rollout_check(*, user: Any, project: Project, action: str) -> Role:
    """Authorize an action on a project's rollout records."""
    return require_role(
        user=user,
        project=project,
        role=ROLLOUT_RULES[action],
        action=ROLLOUT_ACTION_PHRASES[action],
    )
