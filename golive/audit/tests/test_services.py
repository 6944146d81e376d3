"""The audit log: events are chained, and any tampering is found and named."""

from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from golive.audit.models import AuditChainHead, AuditEvent
from golive.audit.services import audit_record, audit_verify
from golive.projects.tests.factories import ProjectFactory, UserFactory


@pytest.fixture
def chain(db):
    """A project whose creation wrote a couple of dozen chained events."""
    return ProjectFactory(key="AUD")


@pytest.mark.django_db
class AuditRecordTests:
    def test_events_are_chained_in_order(self, chain):
        """Each event stores the previous event's hash and the next position."""
        events = list(AuditEvent.objects.order_by("seq"))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].prev_hash == "0" * 64
        for earlier, later in pairwise(events):
            assert later.prev_hash == earlier.hash
        head = AuditChainHead.objects.get(pk=1)
        assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)

    def test_event_records_actor_object_and_changes(self, chain):
        """The creation event names who created what, with the new values."""
        event = AuditEvent.objects.get(action="project.create")
        assert event.actor_id == chain.manager_id
        assert event.actor_label == chain.manager.username
        assert event.object_type == "projects.project"
        assert event.object_id == str(chain.pk)
        assert event.changes["key"] == [None, "AUD"]

    @pytest.mark.django_db(transaction=True)
    def test_record_outside_a_transaction_is_refused(self, chain):
        """An audit event must share the transaction of the write it records."""
        with pytest.raises(RuntimeError, match="inside the transaction"):
            audit_record(actor=chain.manager, action="x", obj=chain)

    def test_failed_write_leaves_no_event(self, chain):
        """An event written in a transaction that rolls back disappears with it."""
        before = AuditEvent.objects.count()
        with pytest.raises(ValueError), transaction.atomic():
            audit_record(actor=chain.manager, action="project.touch", obj=chain)
            raise ValueError("the write failed")
        assert AuditEvent.objects.count() == before
        assert audit_verify().ok


@pytest.mark.django_db
class AuditVerifyTests:
    def test_intact_chain_verifies(self, chain):
        """An untouched chain verifies and counts every event."""
        report = audit_verify()
        assert report.ok
        assert report.checked == AuditEvent.objects.count()

    def test_altered_event_is_named(self, chain):
        """Changing a recorded value breaks that event's own hash."""
        victim = AuditEvent.objects.get(seq=3)
        AuditEvent.objects.filter(pk=victim.pk).update(changes={"role": [None, 99]})
        report = audit_verify()
        assert not report.ok
        assert report.first_broken_seq == 3
        assert "event #3 was altered" in report.message

    def test_rehashed_forgery_is_caught_by_the_next_event(self, chain):
        """An altered event given a fresh valid hash no longer matches its successor."""
        from golive.audit.services import _event_hash, _hashed_fields

        victim = AuditEvent.objects.get(seq=2)
        victim.actor_label = "mallory"
        victim.hash = _event_hash(_hashed_fields(victim))
        AuditEvent.objects.filter(pk=victim.pk).update(actor_label="mallory", hash=victim.hash)
        report = audit_verify()
        assert not report.ok
        assert report.first_broken_seq == 3

    def test_removed_event_is_named(self, chain):
        """Deleting an event in the middle leaves a gap that names it."""
        AuditEvent.objects.filter(seq=5).delete()
        report = audit_verify()
        assert not report.ok
        assert report.first_broken_seq == 5
        assert "event #5 is missing" in report.message

    def test_events_appended_outside_golive_are_detected(self, chain):
        """A well-formed event added behind golive's back is past the chain head."""
        from golive.audit.services import _event_hash, _hashed_fields

        last = AuditEvent.objects.order_by("-seq").first()
        forged = AuditEvent(
            seq=last.seq + 1,
            at=last.at,
            actor_label="mallory",
            project_id=last.project_id,
            action="project.update",
            object_type=last.object_type,
            object_id=last.object_id,
            object_repr="forged",
            changes={},
            prev_hash=last.hash,
        )
        forged.hash = _event_hash(_hashed_fields(forged))
        forged.save()
        report = audit_verify()
        assert not report.ok
        assert f"#{forged.seq}" in report.message and "appended outside golive" in report.message

    def test_truncated_tail_is_detected(self, chain):
        """Deleting the newest events is caught by the chain head."""
        last = AuditEvent.objects.order_by("-seq").first()
        AuditEvent.objects.filter(seq=last.seq).delete()
        report = audit_verify()
        assert not report.ok
        assert "removed from its end" in report.message


@pytest.mark.django_db
class AuditVerifyCommandTests:
    def test_json_reports_head_hash_to_anchor_elsewhere(self, chain, capsys):
        """An intact chain's JSON carries the head hash, to be kept outside the database."""
        import json

        call_command("audit", "verify", "--json")
        data = json.loads(capsys.readouterr().out)
        assert data["ok"] is True
        assert data["head_hash"] == AuditChainHead.objects.get(pk=1).hash

    def test_intact_chain_exits_zero(self, chain, capsys):
        """`golive audit verify` reports the number of verified events."""
        call_command("audit", "verify")
        assert "audit chain intact" in capsys.readouterr().out

    def test_broken_chain_exits_one_naming_the_event(self, chain):
        """A tampered row makes the command fail with exit code 1 and the event number."""
        AuditEvent.objects.filter(seq=4).update(object_repr="forged")
        with pytest.raises(CommandError, match="event #4") as exc:
            call_command("audit", "verify")
        assert exc.value.returncode == 1

    def test_json_output_names_first_broken_event(self, chain, capsys):
        """`--json` prints ok, checked and the first broken event, and exits 1."""
        import json

        AuditEvent.objects.filter(seq=2).update(action="forged")
        with pytest.raises(SystemExit) as exc:
            call_command("audit", "verify", "--json")
        assert exc.value.code == 1
        data = json.loads(capsys.readouterr().out)
        assert data["ok"] is False
        assert data["first_broken_event"] == 2

    def test_new_users_do_not_touch_the_chain(self, chain):
        """Creating a user outside the services writes no event and keeps the chain valid."""
        UserFactory()
        assert audit_verify().ok
