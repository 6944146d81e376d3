"""The readiness checklist through its services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from golive.errors import Conflict
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.readiness.models import ItemStatus, ReadinessItem
from golive.readiness.services import (
    readiness_item_approve,
    readiness_item_attach,
    readiness_item_create,
    readiness_item_delete,
    readiness_item_set_status,
    readiness_item_update,
)


@pytest.fixture
def checklist(db):
    project = ProjectFactory(key="CHK")
    return project, team_for(project), project.readiness_items.first()


@pytest.mark.django_db
class ReadinessItemTests:
    def test_ready_needs_evidence(self, checklist):
        """An item without a note, link or file cannot be marked ready."""
        _, team, item = checklist
        with pytest.raises(ValidationError, match="no evidence yet"):
            readiness_item_set_status(actor=team["contributor"], item=item, status="ready")
        item = readiness_item_update(
            actor=team["contributor"], item=item, evidence_link="https://wiki.example.com/plan"
        )
        item = readiness_item_set_status(actor=team["contributor"], item=item, status="ready")
        assert item.status == ItemStatus.READY and not item.counts_as_ready

    def test_approval_by_approver_and_reset_on_new_evidence(self, checklist):
        """Approvers approve; changing the evidence afterwards asks for a new approval."""
        _, team, item = checklist
        item = readiness_item_update(actor=team["contributor"], item=item, evidence_note="v1")
        item = readiness_item_set_status(actor=team["contributor"], item=item, status="ready")
        with pytest.raises(PermissionDenied):
            readiness_item_approve(actor=team["contributor"], item=item)
        item = readiness_item_approve(actor=team["approver"], item=item)
        assert item.counts_as_ready and item.approved_by == team["approver"]
        item = readiness_item_update(actor=team["contributor"], item=item, evidence_note="v2")
        assert item.approved_by is None and not item.counts_as_ready

    def test_waive_needs_reason_and_approver(self, checklist):
        """Waiving is for approvers and always carries a reason."""
        _, team, item = checklist
        with pytest.raises(PermissionDenied):
            readiness_item_set_status(
                actor=team["contributor"], item=item, status="waived", reason="not needed"
            )
        with pytest.raises(ValidationError, match="why"):
            readiness_item_set_status(actor=team["approver"], item=item, status="waived")
        item = readiness_item_set_status(
            actor=team["approver"],
            item=item,
            status="waived",
            reason="Covered by the vendor's plan",
        )
        assert item.counts_as_ready

    def test_only_ready_items_are_approved(self, checklist):
        """Approving an open item is refused."""
        project, _, item = checklist
        with pytest.raises(ValidationError, match="only a ready item"):
            readiness_item_approve(actor=project.manager, item=item)

    def test_stale_version_is_refused(self, checklist):
        """Two people editing the same item: the second, stale write is refused."""
        _, team, item = checklist
        readiness_item_update(actor=team["contributor"], item=item, version=1, evidence_note="a")
        with pytest.raises(Conflict, match="version 1"):
            readiness_item_update(actor=team["approver"], item=item, version=1, evidence_note="b")
        item.refresh_from_db()
        assert item.evidence_note == "a"

    def test_viewer_cannot_edit_and_outsider_cannot_see(self, checklist):
        """Viewers read only."""
        _, team, item = checklist
        with pytest.raises(PermissionDenied):
            readiness_item_update(actor=team["viewer"], item=item, evidence_note="x")

    def test_new_item_owner_must_be_member(self, checklist):
        """Items are owned by project members."""
        project, team, _ = checklist
        UserFactory(username="vendor-bob")
        with pytest.raises(ValidationError) as exc:
            readiness_item_create(
                actor=team["contributor"], project=project, title="Licences", owner="vendor-bob"
            )
        assert "owner" in exc.value.message_dict
        item = readiness_item_create(
            actor=team["contributor"], project=project, title="Licences", owner=team["contributor"]
        )
        assert item.position == 8

    def test_only_managers_delete(self, checklist):
        """Deleting an item is a manager's call."""
        project, team, item = checklist
        with pytest.raises(PermissionDenied):
            readiness_item_delete(actor=team["approver"], item=item)
        readiness_item_delete(actor=project.manager, item=item)
        assert not ReadinessItem.objects.filter(pk=item.pk).exists()


@pytest.mark.django_db
class EvidenceFileTests:
    def test_attach_stores_file_and_replaces_earlier_one(self, checklist):
        """A new file replaces the old one on disk and clears the approval."""
        _, team, item = checklist
        item = readiness_item_attach(
            actor=team["contributor"],
            item=item,
            upload=SimpleUploadedFile("plan v1.pdf", b"%PDF-1 one"),
        )
        first = item.evidence_file.name
        assert item.evidence_file_name == "plan_v1.pdf"
        storage = item.evidence_file.storage
        item = readiness_item_attach(
            actor=team["contributor"],
            item=item,
            upload=SimpleUploadedFile("plan-v2.pdf", b"%PDF-1 two"),
        )
        assert storage.exists(item.evidence_file.name)
        assert not storage.exists(first)

    def test_oversized_and_empty_uploads_are_refused(self, checklist, settings):
        """Files above the limit, or empty, are refused and nothing is stored."""
        _, team, item = checklist
        settings.GOLIVE_MAX_UPLOAD_BYTES = 1024 * 1024
        with pytest.raises(ValidationError, match="limited to 1 MB"):
            readiness_item_attach(
                actor=team["contributor"],
                item=item,
                upload=SimpleUploadedFile("big.bin", b"x" * (1024 * 1024 + 1)),
            )
        with pytest.raises(ValidationError, match="empty"):
            readiness_item_attach(
                actor=team["contributor"], item=item, upload=SimpleUploadedFile("empty.txt", b"")
            )
        item.refresh_from_db()
        assert not item.evidence_file
        assert not (settings.MEDIA_ROOT / "readiness").exists()
