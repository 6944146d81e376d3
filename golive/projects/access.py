"""Who may do what in a project: the one place every interface asks.

Non-members get NotFound (a project's existence is not revealed to outsiders); members whose
role is too low get PermissionDenied naming the role they need. Site admins act as managers.
"""

from typing import Any

from django.core.exceptions import PermissionDenied

from golive.errors import NotFound
from golive.projects.models import Membership, Project, Role


def project_role(*, user: Any, project: Project) -> Role | None:
    """Return `user`'s role in `project` (managers for site admins), or None."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Role.MANAGER
    cache: dict[int, Role | None] | None = getattr(user, "_golive_roles", None)
    if cache is None:
        cache = {}
        user._golive_roles = cache
    if project.pk not in cache:
        value = (
            Membership.objects.filter(project_id=project.pk, user_id=user.pk)
            .values_list("role", flat=True)
            .first()
        )
        cache[project.pk] = Role(value) if value is not None else None
    return cache[project.pk]


def project_roles_forget(user: Any) -> None:
    """Drop the per-request role cache after a membership change."""
    if user is not None and hasattr(user, "_golive_roles"):
        del user._golive_roles


def require_role(*, user: Any, project: Project, role: Role, action: str) -> Role:
    """Return the caller's role, or refuse: NotFound for outsiders, PermissionDenied if too low."""
    have = project_role(user=user, project=project)
    if have is None:
        raise NotFound(f"Project {project.key} does not exist or you are not a member of it.")
    if have < role:
        raise PermissionDenied(
            f"To {action} you need the {role.label.lower()} role in {project.key}; "
            f"you are {have.label.lower()}."
        )
    return have


# One table per object type: the minimum role for each action.
PROJECT_RULES = {"view": Role.VIEWER, "edit": Role.MANAGER, "advance_phase": Role.MANAGER}
MEMBERSHIP_RULES = {"view": Role.VIEWER, "manage": Role.MANAGER}
SUCCESS_CRITERION_RULES = {
    "view": Role.VIEWER,
    "create": Role.MANAGER,
    "edit": Role.MANAGER,
    "delete": Role.MANAGER,
}


def project_check(*, user: Any, project: Project, action: str) -> Role:
    """Authorize an action on the project itself (view, edit, advance_phase)."""
    return require_role(
        user=user,
        project=project,
        role=PROJECT_RULES[action],
        action={
            "view": "see the project",
            "edit": "edit the project",
            "advance_phase": "move the project to another phase",
        }[action],
    )


def membership_check(*, user: Any, project: Project, action: str) -> Role:
    """Authorize reading or changing the member list."""
    return require_role(
        user=user, project=project, role=MEMBERSHIP_RULES[action], action=f"{action} members"
    )


def success_criterion_check(*, user: Any, project: Project, action: str) -> Role:
    """Authorize an action on success criteria."""
    return require_role(
        user=user,
        project=project,
        role=SUCCESS_CRITERION_RULES[action],
        action=f"{action} success criteria",
    )
