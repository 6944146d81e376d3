"""What every golive management command shares: who acts, and how domain errors are shown."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

from golive.accounts.models import User
from golive.errors import Conflict, NotFound


class Operator(AnonymousUser):
    """The person at the server's shell: already able to read the database, so a site admin."""

    username = "cli"
    is_active = True
    is_superuser = True
    is_staff = True
    pk = None
    id = None

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    @property
    def is_anonymous(self) -> bool:  # type: ignore[override]
        return False


def cli_actor(username: str | None) -> Any:
    """Return the user named by --user, or the shell operator when none is given."""
    if not username:
        return Operator()
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(
            f"--user {username}: there is no active user with this name.", returncode=2
        )
    return user


def cli_user(username: str | None, option: str = "--user") -> User:
    """Return the real user a write is made as (writes always name a person)."""
    if not username:
        raise CommandError(
            f"{option} is required: name the user this change is made as.", returncode=2
        )
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(
            f"{option} {username}: there is no active user with this name.", returncode=2
        )
    return user


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn domain exceptions into a one-line CommandError (exit 2 for usage-like errors)."""
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            text = "; ".join(
                " ".join(msgs) if field == "__all__" else f"{field}: {' '.join(msgs)}"
                for field, msgs in exc.message_dict.items()
            )
        else:
            text = " ".join(exc.messages)
        raise CommandError(text, returncode=2) from None
    except (NotFound, Conflict) as exc:
        raise CommandError(exc.message, returncode=2) from None
    except PermissionDenied as exc:
        raise CommandError(str(exc), returncode=2) from None
