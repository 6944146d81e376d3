"""Who may do what with gates and decisions."""

from typing import Any

from golive.projects.access import require_role
from golive.projects.models import Project, Role

GATE_RULES = {
    "view": Role.VIEWER,
    "configure": Role.MANAGER,
    "open_decision": Role.MANAGER,
    "withdraw_decision": Role.MANAGER,
    "vote": Role.APPROVER,
    "waive": Role.MANAGER,
}


GATE_ACTION_PHRASES = {
    "view": "see gates and decisions",
    "configure": "configure gates",
    "open_decision": "open a decision",
    "withdraw_decision": "withdraw a decision",
    "vote": "approve or reject a decision",
    "waive": "waive or reinstate a criterion",
}


def gate_check(*, user: Any, project: Project, action: str) -> Role:
    """Authorize an action on a project's gates and decisions."""
    return require_role(
        user=user,
        project=project,
        role=GATE_RULES[action],
        action=GATE_ACTION_PHRASES[action],
    )
