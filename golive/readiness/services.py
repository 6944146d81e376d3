"""Writes on the readiness checklist."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from golive.accounts.models import User
from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import version_check
from golive.projects.models import Project
from golive.projects.services import member_resolve
from golive.readiness.access import readiness_item_check
from golive.readiness.checklist import TEMPLATE
from golive.readiness.models import Category, ItemStatus, ReadinessItem

ITEM_FIELDS = [
    "category",
    "title",
    "description",
    "owner",
    "status",
    "evidence_note",
    "evidence_link",
    "evidence_file",
    "waive_reason",
    "approved_by",
    "approved_at",
]
EVIDENCE_FIELDS = {"evidence_note", "evidence_link", "evidence_file"}


def readiness_checklist_seed(*, actor: User, project: Project) -> list[ReadinessItem]:
    """Create the template checklist for a new project, owned by its manager."""
    items = []
    with transaction.atomic():
        for position, (category, title, description) in enumerate(TEMPLATE, start=1):
            item = ReadinessItem(
                project=project,
                category=category,
                title=title,
                description=description,
                owner=project.manager,
                position=position,
            )
            item.full_clean()
            item.save()
            audit_record(
                actor=actor,
                action="readiness_item.create",
                obj=item,
                project=project,
                changes=audit_diff({}, audit_snapshot(item, ["title", "owner", "status"])),
            )
            items.append(item)
    return items


def readiness_item_create(
    *,
    actor: User,
    project: Project,
    title: str,
    owner: User | str,
    description: str = "",
    category: str = Category.OTHER,
) -> ReadinessItem:
    """Add an item to the checklist; its owner must be a project member."""
    with transaction.atomic():
        readiness_item_check(user=actor, project=project, action="create")
        position = (
            project.readiness_items.order_by("-position").values_list("position", flat=True).first()
            or 0
        ) + 1
        item = ReadinessItem(
            project=project,
            title=(title or "").strip(),
            description=description or "",
            category=category or Category.OTHER,
            owner=member_resolve(project, owner, field="owner"),
            position=position,
        )
        item.full_clean()
        item.save()
        audit_record(
            actor=actor,
            action="readiness_item.create",
            obj=item,
            project=project,
            changes=audit_diff({}, audit_snapshot(item, ITEM_FIELDS)),
        )
    return item


def _locked(item: ReadinessItem) -> ReadinessItem:
    return ReadinessItem.objects.select_for_update().select_related("project").get(pk=item.pk)


def _save(actor: User, item: ReadinessItem, before: dict[str, Any], action: str) -> None:
    item.full_clean()
    changes = audit_diff(before, audit_snapshot(item, ITEM_FIELDS))
    if changes:
        item.version += 1
        item.save()
        audit_record(actor=actor, action=action, obj=item, project=item.project, changes=changes)


def _clear_approval(item: ReadinessItem) -> None:
    item.approved_by = None
    item.approved_at = None


def readiness_item_update(
    *, actor: User, item: ReadinessItem, version: int | None = None, **fields: Any
) -> ReadinessItem:
    """Edit an item's text, owner or evidence; changed evidence needs a new approval."""
    allowed = {"title", "description", "category", "owner", "evidence_note", "evidence_link"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    with transaction.atomic():
        item = _locked(item)
        readiness_item_check(user=actor, project=item.project, action="edit")
        version_check(item, version, what=f"Readiness item {item.title!r}")
        before = audit_snapshot(item, ITEM_FIELDS)
        if "owner" in fields:
            owner = member_resolve(item.project, fields.pop("owner"), field="owner")
            if owner is None:
                raise ValidationError({"owner": "Every readiness item has an owner."})
            item.owner = owner
        for name, value in fields.items():
            setattr(item, name, (value or "").strip() if name != "description" else value or "")
        if EVIDENCE_FIELDS & set(audit_diff(before, audit_snapshot(item, ITEM_FIELDS))):
            _clear_approval(item)
            if item.status == ItemStatus.READY and not item.has_evidence:
                raise ValidationError(
                    {
                        "evidence_note": (
                            "A ready item keeps at least one piece of evidence; reopen it first."
                        )
                    }
                )
        _save(actor, item, before, "readiness_item.update")
    return item


def _size(num_bytes: int) -> str:
    if num_bytes >= 1_048_576:
        return f"{num_bytes / 1_048_576:.3g} MB"
    return f"{num_bytes / 1024:.3g} KB"


def readiness_item_attach(
    *, actor: User, item: ReadinessItem, upload: UploadedFile[bytes], version: int | None = None
) -> ReadinessItem:
    """Attach a file as evidence, replacing any earlier file; needs a new approval."""
    limit = settings.GOLIVE_MAX_UPLOAD_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationError({"file": "The uploaded file is empty."})
    if upload.size > limit:
        raise ValidationError(
            {
                "file": (
                    f"{upload.name} is {_size(upload.size)}; evidence files are limited to "
                    f"{_size(limit)} (GOLIVE_MAX_UPLOAD_MB)."
                )
            }
        )
    name = get_valid_filename(os.path.basename(upload.name or "evidence"))[:200] or "evidence"
    old_file = None
    with transaction.atomic():
        item = _locked(item)
        readiness_item_check(user=actor, project=item.project, action="edit")
        version_check(item, version, what=f"Readiness item {item.title!r}")
        before = audit_snapshot(item, ITEM_FIELDS)
        old_file = item.evidence_file.name or None
        item.evidence_file.save(name, upload, save=False)
        item.evidence_file_name = name
        _clear_approval(item)
        stored = item.evidence_file.name
        try:
            _save(actor, item, before, "readiness_item.attach")
        except Exception:
            if stored:
                item.evidence_file.storage.delete(stored)
            raise
    if old_file and old_file != item.evidence_file.name:
        item.evidence_file.storage.delete(old_file)
    return item


def readiness_item_set_status(
    *, actor: User, item: ReadinessItem, status: str, version: int | None = None, reason: str = ""
) -> ReadinessItem:
    """Mark an item ready (needs evidence), waived (approvers, with a reason) or open again."""
    if status not in ItemStatus.values:
        raise ValidationError({"status": f"{status!r} is not a status; use open, ready or waived."})
    with transaction.atomic():
        item = _locked(item)
        action = {"ready": "mark_ready", "waived": "waive", "open": "reopen"}[status]
        readiness_item_check(user=actor, project=item.project, action=action)
        version_check(item, version, what=f"Readiness item {item.title!r}")
        before = audit_snapshot(item, ITEM_FIELDS)
        if status == ItemStatus.READY and not item.has_evidence:
            raise ValidationError(
                {
                    "status": (
                        f"{item.title!r} has no evidence yet: add a note, a link or a file before marking "
                        "it ready."
                    )
                }
            )
        if status == ItemStatus.WAIVED:
            if not (reason or "").strip():
                raise ValidationError({"reason": "Say why this item is waived."})
            item.waive_reason = reason.strip()
        else:
            item.waive_reason = ""
        item.status = status
        _clear_approval(item)
        _save(actor, item, before, f"readiness_item.{status}")
    return item


def readiness_item_approve(
    *, actor: User, item: ReadinessItem, version: int | None = None
) -> ReadinessItem:
    """Approve a ready item's evidence."""
    with transaction.atomic():
        item = _locked(item)
        readiness_item_check(user=actor, project=item.project, action="approve")
        version_check(item, version, what=f"Readiness item {item.title!r}")
        if item.status != ItemStatus.READY:
            raise ValidationError(
                {
                    "status": (
                        f"{item.title!r} is {item.get_status_display().lower()}; only a ready item can be "
                        "approved."
                    )
                }
            )
        if item.approved_by_id is not None:
            return item
        before = audit_snapshot(item, ITEM_FIELDS)
        item.approved_by = actor
        item.approved_at = timezone.now()
        _save(actor, item, before, "readiness_item.approve")
    return item


def readiness_item_delete(*, actor: User, item: ReadinessItem, version: int | None = None) -> None:
    """Remove an item from the checklist (managers)."""
    with transaction.atomic():
        item = _locked(item)
        readiness_item_check(user=actor, project=item.project, action="delete")
        version_check(item, version, what=f"Readiness item {item.title!r}")
        stored = item.evidence_file.name
        audit_record(
            actor=actor,
            action="readiness_item.delete",
            obj=item,
            project=item.project,
            changes=audit_diff(audit_snapshot(item, ITEM_FIELDS), {}),
        )
        item.delete()
        if stored:
            storage = item.evidence_file.storage
            transaction.on_commit(lambda: storage.delete(stored))
