"""What every project page needs: the htmx check and the project's context (role, permissions)."""

from typing import Any

from django.http import HttpRequest
from django.template.response import TemplateResponse

from golive.gates.access import GATE_RULES
from golive.projects.access import (
    MEMBERSHIP_RULES,
    PROJECT_RULES,
    SUCCESS_CRITERION_RULES,
    project_role,
)
from golive.projects.models import Project, Role
from golive.readiness.access import READINESS_ITEM_RULES

# The access tables, by the name templates use: `{% if can.readiness.approve %}`.
RULES = {
    "project": PROJECT_RULES,
    "members": MEMBERSHIP_RULES,
    "criteria": SUCCESS_CRITERION_RULES,
    "readiness": READINESS_ITEM_RULES,
    "gates": GATE_RULES,
}


def is_htmx(request: HttpRequest) -> bool:
    """Return whether htmx sent the request and wants a partial (boosted requests want pages)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def permissions(role: Role | None) -> dict[str, dict[str, bool]]:
    """Return, per area and action, whether `role` may act; pages show only allowed actions."""
    return {
        area: {action: role is not None and role >= need for action, need in rules.items()}
        for area, rules in RULES.items()
    }


def project_context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    """Return the context every project page and partial renders with."""
    role = project_role(user=request.user, project=project)
    return {"project": project, "role": role, "can": permissions(role), **extra}


def project_page(
    request: HttpRequest,
    project: Project,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    section: str = "",
    status: int = 200,
) -> TemplateResponse:
    """Render a project page (or one of its partials) with the project's navigation context."""
    return TemplateResponse(
        request,
        template,
        project_context(request, project, section=section, **(context or {})),
        status=status,
    )
