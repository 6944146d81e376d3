"""Writes on accounts: API tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from golive.accounts.models import ApiToken, User
from golive.audit.services import audit_record
from golive.errors import NotFound

TOKEN_PREFIX = "glv_"


def token_digest(raw: str) -> str:
    """Return the stored digest of a raw token (tokens are random, so one SHA-256 is enough)."""
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: `raw` is shown once and never stored."""

    token: ApiToken
    raw: str


def token_create(*, user: User, name: str, days: int = 90) -> IssuedToken:
    """Create an API token for `user`, valid for `days` days."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, for example 'ci' or 'laptop'."})
    max_days = settings.GOLIVE_TOKEN_MAX_DAYS
    if not 1 <= days <= max_days:
        raise ValidationError({"days": f"A token lives between 1 and {max_days} days, not {days}."})
    if not user.is_active:
        raise PermissionDenied("An inactive account cannot create tokens.")
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken(
            user=user,
            name=name,
            prefix=prefix,
            digest=token_digest(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        token.full_clean()
        token.save()
        audit_record(
            actor=user,
            action="token.create",
            obj=token,
            changes={"name": [None, name], "expires_at": [None, token.expires_at.isoformat()]},
        )
    return IssuedToken(token=token, raw=raw)


def token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s own tokens; revoking twice is harmless."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
        if token is None:
            raise NotFound(f"You have no token with id {token_id}.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(
                actor=user,
                action="token.revoke",
                obj=token,
                changes={"revoked_at": [None, token.revoked_at.isoformat()]},
            )
    return token


def token_authenticate(raw: str) -> User | None:
    """Return the active user owning a valid, unexpired, unrevoked token, else None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    # Record use at most once a minute: a busy CI token must not write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
