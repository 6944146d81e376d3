"""The resources API's router and what its endpoint modules share."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema

from golive.errors import NotFound
from golive.projects.models import Project
from golive.projects.selectors import project_get_for_user
from golive.work.models import WorkPackage

router = Router(tags=["resources"])

RESOURCES = "/projects/{key}/resources"
MINUTES = "Working minutes on the project calendar."

T = TypeVar("T")


def project_for(request: HttpRequest, key: str) -> Project:
    """Return the project `key` if the caller may see it."""
    return project_get_for_user(user=request.user, key=key)


def named_in_input(field: str, get: Callable[[], T]) -> T:
    """Return what a request field names; an id the project lacks is bad input on that field."""
    try:
        return get()
    except NotFound as exc:
        raise ValidationError({field: exc.message}) from None


def username(user: Any) -> str | None:
    """Return a user's username, or None for no user."""
    return user.username if user is not None else None


class PackageRefOut(Schema):
    id: int
    wbs: str
    name: str

    @staticmethod
    def resolve_id(obj: WorkPackage) -> int:
        return obj.pk


class ResourceRefOut(Schema):
    id: int
    name: str
    kind: str
