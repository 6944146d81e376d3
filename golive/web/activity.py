"""Audit events as people read them: user ids as usernames, times in the project's time zone."""

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.utils.dateformat import format as date_format

from golive.accounts.models import User
from golive.audit.models import AuditEvent
from golive.projects.models import Role

MISSING = "—"
# Audited fields that hold a user's id.
USER_FIELDS = {"owner", "approved_by", "manager", "sponsor", "opened_by", "user"}


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    changes: list[Change]


def _user_ids(events: list[AuditEvent]) -> set[int]:
    ids = set()
    for event in events:
        for field, pair in (event.changes or {}).items():
            if field in USER_FIELDS and isinstance(pair, list):
                ids.update(v for v in pair if isinstance(v, int))
    return ids


def _show(field: str, value: Any, usernames: dict[int, str], tz: tzinfo) -> str:
    if value is None or value == "" or value == []:
        return MISSING
    if field in USER_FIELDS and isinstance(value, int):
        return usernames.get(value, f"user #{value}")
    if field == "role" and isinstance(value, int) and value in Role.values:
        return Role(value).label
    if isinstance(value, list):
        return ", ".join(_show(field, v, usernames, tz) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, str) and "T" in value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return date_format(moment.astimezone(tz), "Y-m-d H:i T")
    return str(value)


def event_rows(events, *, tz: tzinfo) -> list[EventRow]:
    """Return `events` with their changes as readable (field, before, after) rows."""
    events = list(events)
    ids = _user_ids(events)
    usernames = dict(User.objects.filter(pk__in=ids).values_list("pk", "username")) if ids else {}
    rows = []
    for event in events:
        changes = []
        for field, pair in sorted((event.changes or {}).items()):
            before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            shown = _show(field, before, usernames, tz), _show(field, after, usernames, tz)
            if shown[0] != shown[1]:  # e.g. None → "" on creation: nothing a reader would see
                changes.append(Change(field.replace("_", " "), *shown))
        rows.append(EventRow(event, changes))
    return rows
