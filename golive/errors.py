"""Domain exceptions every interface maps the same way (HTML message, problem+json, CLI exit).

Services raise Django's `ValidationError` for bad input and `PermissionDenied` for a refused
action; these two complete the set.
"""

from typing import Any


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


def version_check(obj: Any, expected: int | None, *, what: str) -> None:
    """Refuse a write made against an outdated copy of `obj` (optimistic locking)."""
    if expected is not None and expected != obj.version:
        raise Conflict(
            f"{what} was changed by someone else (your copy is version {expected}, the current "
            f"one is version {obj.version}). Reload and apply your change again.",
            current={"version": obj.version},
        )
