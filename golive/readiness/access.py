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


READINESS_ACTION_PHRASES = {
    "view": "see the readiness checklist",
    "create": "add readiness items",
    "edit": "edit readiness items",
    "mark_ready": "mark readiness items ready",
    "reopen": "reopen readiness items",
    "approve": "approve readiness items",
    "waive": "waive readiness items",
    "delete": "delete readiness items",
}


def readiness_item_check(*, user: Any, project: Project, action: str) -> Role:
    """Authorize an action on a project's readiness items."""
    return require_role(
        user=user,
        project=project,
        role=READINESS_ITEM_RULES[action],
        action=READINESS_ACTION_PHRASES[action],
    )
