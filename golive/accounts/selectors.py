"""Reads on accounts."""

from django.db.models import QuerySet

from golive.accounts.models import ApiToken, User
from golive.errors import NotFound


def token_list(*, user: User) -> QuerySet[ApiToken]:
    """Return the caller's own tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def user_get_by_username(*, username: str) -> User:
    """Return the active user called `username`, or raise NotFound naming it."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f"There is no active user called {username!r}.")
    return user
