"""Secrets kept by the rollout app: database and webhook URLs, encrypted at rest, masked on display.

The key is derived from `GOLIVE_SECRETS_KEY` when it is set, else from `SECRET_KEY`
(HKDF-SHA256, so the stored tokens are not the signing key). Rotating the key makes stored
URLs unreadable: they are then reported as such and must be entered again.
"""

import base64
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the current key."""


def _fernet() -> Fernet:
    material = getattr(settings, "GOLIVE_SECRETS_KEY", "") or settings.SECRET_KEY
    if not material:
        raise ImproperlyConfigured("SECRET_KEY (or GOLIVE_SECRETS_KEY) is needed to store secrets.")
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"golive-rollout", info=b"stored-urls"
    ).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def secret_encrypt(text: str) -> str:
    """Return `text` encrypted (a Fernet token, ASCII)."""
    return _fernet().encrypt(text.encode()).decode("ascii")


def secret_decrypt(token: str) -> str:
    """Return the text of a token from `secret_encrypt`, or raise SecretUnreadable."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable(
            "The stored URL cannot be decrypted (the secret key changed); enter it again."
        ) from None


def url_mask(url: str) -> str:
    """Return `url` with its password (and any query string) replaced by `***`.

    `postgresql://app:s3cret@db:5432/erp?sslmode=require` → `postgresql://app:***@db:5432/erp?***`
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    netloc = parts.netloc
    if "@" not in netloc and not parts.query:
        return url
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    query = "***" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def env_reference_parse(value: str, *, field: str) -> str | None:
    """Return NAME for `env:NAME`, None for anything else; refuse a malformed reference."""
    if not value.startswith("env:"):
        return None
    name = value[4:].strip()
    if not name or not name.replace("_", "").isalnum() or name[0].isdigit():
        raise ValidationError(
            {field: f"{value!r}: write env:NAME with the environment variable's name."}
        )
    return name


def webhook_mask(url: str) -> str:
    """Return a webhook URL as scheme and host only: chat webhooks carry their token in the path.

    `https://hooks.slack.com/services/T0/B0/XXXX` → `https://hooks.slack.com/***`
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}/***"
