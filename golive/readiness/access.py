"""Who may do what with readiness items."""

from typing import Any

from golive.projects.access import require_role
from golive.projects.models import Project, Role

READINESS_ITEM_RULES = {
    "view": Role.VIEWER,
    "create": Role.CONTRIBUTOR,
    "edit": Role.CONTRIBUTOR,
    "mark_ready": Role.CONTRIBUTOR,
    "reopen": Role.CONTRIBUTOR,
    "approve": Role.APPROVER,
    "waive": Role.APPROVER,
    "delete": Role.MANAGER,
}


def readiness_item_check(*, user: Any, project: Project, action: str) -> Role:
    """Authorize an action on a project's readiness items."""
    return require_role(
        user=user,
        project=project,
        role=READINESS_ITEM_RULES[action],
        action=f"{action.replace('_', ' ')} readiness items",
    )
