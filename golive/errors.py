"""Domain exceptions every interface maps the same way (HTML message, problem+json, CLI exit).

Services raise Django's `ValidationError` for bad input and `PermissionDenied` for a refused
action; these two complete the set.
"""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


class NotFound(Exception):
    """The object does not exist, or the caller may not know that it exists."""

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)
        self.message = message


class Conflict(Exception):
    """A stale or conflicting write: the object changed since the caller read it."""

    def __init__(self, message: str, *, current: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.current = current or {}


def current_state(obj: Any) -> dict[str, Any]:
    """Return `obj`'s stored fields as JSON values (foreign keys as ids, files as names)."""
    state: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if hasattr(value, "storage"):
            value = value.name or None
        state[field.attname] = value
    as_json: dict[str, Any] = json.loads(json.dumps(state, cls=DjangoJSONEncoder))
    return as_json


def version_check(obj: Any, expected: int | None, *, what: str) -> None:
    """Refuse a write made against an outdated copy of `obj` (optimistic locking)."""
    if expected is not None and expected != obj.version:
        raise Conflict(
            f"{what} was changed by someone else (your copy is version {expected}, the current "
            f"one is version {obj.version}). Reload and apply your change again.",
            current=current_state(obj),
        )
