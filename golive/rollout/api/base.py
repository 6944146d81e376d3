"""The rollout API's router and what its endpoint modules share."""

from django.http import HttpRequest
from ninja import Router, Schema

from golive.projects.models import Project
from golive.projects.selectors import project_get_for_user

router = Router(tags=["rollout"])

ROLLOUT = "/projects/{key}/rollout"


def project_for(request: HttpRequest, key: str) -> Project:
    """Return the project `key` if the caller may see it."""
    return project_get_for_user(user=request.user, key=key)


def username(user) -> str | None:
    """Return a user's username, or None for no user."""
    return user.username if user is not None else None


class ReasonIn(Schema):
    reason: str
