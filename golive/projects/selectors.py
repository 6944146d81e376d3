"""Reads on projects, with the access check."""

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery, Value

from golive.errors import NotFound
from golive.projects.access import membership_check, project_check, success_criterion_check
from golive.projects.models import Membership, Project, Role, SuccessCriterion


def project_list_for_user(*, user: Any) -> QuerySet[Project]:
    """Return the projects `user` may see (all of them for site admins)."""
    projects = Project.objects.select_related("manager", "sponsor")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return projects.none()
    if user.is_superuser:
        return projects.annotate(my_role=Value(int(Role.MANAGER))).order_by("key")
    my_role = Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
    return (
        projects.filter(memberships__user=user).annotate(my_role=Subquery(my_role)).order_by("key")
    )


def project_get_for_user(*, user: Any, key: str, action: str = "view") -> Project:
    """Return project `key` if `user` may perform `action` on it, else NotFound/PermissionDenied."""
    project = (
        Project.objects.select_related("manager", "sponsor").filter(key=str(key).upper()).first()
    )
    if project is None:
        raise NotFound(f"Project {key} does not exist or you are not a member of it.")
    project_check(user=user, project=project, action=action)
    return project


def membership_list(*, user: Any, project: Project) -> QuerySet[Membership]:
    """Return a project's members, highest role first."""
    membership_check(user=user, project=project, action="view")
    return Membership.objects.filter(project=project).select_related("user")


def success_criterion_list(*, user: Any, project: Project) -> QuerySet[SuccessCriterion]:
    """Return a project's success criteria."""
    success_criterion_check(user=user, project=project, action="view")
    return SuccessCriterion.objects.filter(project=project).select_related("owner")


def success_criterion_get(*, user: Any, project: Project, criterion_id: int) -> SuccessCriterion:
    """Return one success criterion of `project`."""
    criterion = success_criterion_list(user=user, project=project).filter(pk=criterion_id).first()
    if criterion is None:
        raise NotFound(f"{project.key} has no success criterion {criterion_id}.")
    return criterion
