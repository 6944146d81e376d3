"""The plan API's router and what its endpoint modules share."""

from django.http import HttpRequest
from ninja import Router

from golive.projects.models import Project
from golive.projects.selectors import project_get_for_user

router = Router(tags=["plan"])

MINUTES = "Working minutes on the project calendar."
PROJECT = "/projects/{key}"


def project_for(request: HttpRequest, key: str) -> Project:
    """Return the project `key` if the caller may see it."""
    return project_get_for_user(user=request.user, key=key)
