"""Who may do what with resources, assignments, procurement items and leveling."""

from typing import Any

from golive.projects.access import require_role
from golive.projects.models import Project, Role

RESOURCE_RULES = {
    "view": Role.VIEWER,
    "assign": Role.CONTRIBUTOR,  # assignments on work packages
    "procure": Role.CONTRIBUTOR,  # procurement items and their deliveries
    "edit": Role.MANAGER,  # resources, skills, time off, settings
    "level": Role.MANAGER,  # preview, apply and undo leveling
}

RESOURCE_ACTION_PHRASES = {
    "view": "see resources and their load",
    "assign": "assign resources to work packages",
    "procure": "manage procurement items",
    "edit": "manage resources and skills",
    "level": "level the project's resources",
}


def resource_check(*, user: Any, project: Project, action: str) -> Role:
    """Authorize an action on a project's resources."""
    return require_role(
        user=user,
        project=project,
        role=RESOURCE_RULES[action],
        action=RESOURCE_ACTION_PHRASES[action],
    )
