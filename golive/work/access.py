"""Who may do what with the plan: work packages, links, baselines, checkpoints, blockers."""

from typing import Any

from golive.projects.access import require_role
from golive.projects.models import Project, Role

WORK_RULES = {
    "view": Role.VIEWER,
    "edit": Role.CONTRIBUTOR,
    "delete": Role.MANAGER,
    "baseline": Role.MANAGER,
    "calendar": Role.MANAGER,
    "checkpoint": Role.CONTRIBUTOR,
    "raise_blocker": Role.CONTRIBUTOR,
    "resolve_blocker": Role.CONTRIBUTOR,
    "escalation_path": Role.MANAGER,
}
WORK_ACTION_PHRASES = {
    "view": "see the plan",
    "edit": "change the plan",
    "delete": "delete work packages",
    "baseline": "save baselines",
    "calendar": "change the project calendar",
    "checkpoint": "record checkpoints",
    "raise_blocker": "raise blockers",
    "resolve_blocker": "resolve blockers",
    "escalation_path": "change the escalation path",
}


def work_check(*, user: Any, project: Project, action: str) -> Role:
    """Authorize an action on a project's plan."""
    return require_role(
        user=user, project=project, role=WORK_RULES[action], action=WORK_ACTION_PHRASES[action]
    )
