"""Append audit events and verify the chain."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from golive.audit.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_value(value: Any) -> Any:
    """Return `value` as it is recorded in an audit event (ids for objects, ISO for dates)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or None
    return _jsonable(value)


def audit_snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """Return the audited values of `fields` on `obj`, for a later `audit_diff`."""
    snapshot = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        snapshot[name] = audit_value(getattr(obj, attname))
    return snapshot


def audit_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for the fields whose value changed."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _event_hash(fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(payload.encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "project_id": event.project_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "prev_hash": event.prev_hash,
    }


def _chain_head_locked() -> AuditChainHead:
    """Return the chain head, locked; create it only for a log that is still empty."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        if AuditEvent.objects.exists():
            raise RuntimeError(
                "the audit chain head is missing although events exist; nothing more is written "
                "until it is restored (run `golive audit verify`)."
            )
        # ON CONFLICT DO NOTHING: two first writers cannot both create it.
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    project: Any = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event for a write to `obj`; call inside the write's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the write it records")
    head = _chain_head_locked()
    actor_id = getattr(actor, "pk", None)
    event = AuditEvent(
        seq=head.seq + 1,
        at=timezone.now(),
        actor_id=actor_id,
        actor_label=getattr(actor, "username", None) or "system",
        project_id=getattr(project, "pk", project),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        changes=_jsonable(changes or {}),
        prev_hash=head.hash,
    )
    event.hash = _event_hash(_hashed_fields(event))
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a chain verification."""

    ok: bool
    checked: int
    message: str
    first_broken_seq: int | None = None
    head_hash: str | None = None


def audit_verify(
    *, batch_size: int = 2000, progress: Callable[[int, int], None] | None = None
) -> ChainReport:
    """Walk the whole chain and report the first event that was altered, inserted or removed."""
    total = AuditEvent.objects.count() if progress else 0
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    events = AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size)
    for event in events:
        if event.seq != expected_seq:
            return ChainReport(
                False,
                checked,
                f"event #{expected_seq} is missing (the chain jumps to #{event.seq}).",
                expected_seq,
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                f"event #{event.seq} does not follow event #{event.seq - 1}: its previous-hash "
                "does not match (an earlier event was altered or replaced).",
                event.seq,
            )
        if _event_hash(_hashed_fields(event)) != event.hash:
            return ChainReport(
                False,
                checked,
                f"event #{event.seq} was altered after it was written "
                f"({event.action} on {event.object_type} {event.object_id}).",
                event.seq,
            )
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
        if progress and (checked % batch_size == 0 or checked == total):
            progress(checked, total)
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if checked == 0:
            return ChainReport(True, 0, "audit chain intact: no events yet.", head_hash=GENESIS)
        return ChainReport(
            False, checked, "the chain head is missing: it was removed from the database.", 1
        )
    if checked > head.seq:
        return ChainReport(
            False,
            checked,
            f"events #{head.seq + 1} to #{checked} were appended outside golive: the chain was "
            f"last written at event #{head.seq}.",
            head.seq + 1,
        )
    if head.seq != checked or head.hash != expected_prev:
        return ChainReport(
            False,
            checked,
            f"the chain ends at event #{checked} but was last written at event #{head.seq}: "
            "events were removed from its end.",
            checked + 1,
        )
    return ChainReport(
        True, checked, f"audit chain intact: {checked} events verified.", head_hash=head.hash
    )
