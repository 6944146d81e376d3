"""Rollout plan and waves: strategy rules, the wave's gates, and its lifecycle through decisions."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from golive.audit.models import AuditEvent
from golive.errors import Conflict, NotFound
from golive.gates.models import Gate
from golive.gates.services import decision_open, decision_vote
from golive.projects.tests.factories import ProjectFactory, team_for
from golive.rollout.models import Wave, WaveStatus
from golive.rollout.selectors.plan import rollout_plan_get, wave_get
from golive.rollout.services.plan import (
    rollout_plan_set,
    wave_cancel,
    wave_complete,
    wave_create,
    wave_delete,
    wave_hypercare,
    wave_start,
    wave_update,
)
from golive.rollout.tests.factories import CommunicationFactory


def make_wave(project, name="Pilot Berlin", **kwargs):
    start = timezone.now() + timedelta(days=3)
    kwargs.setdefault("planned_start", start)
    kwargs.setdefault("planned_end", start + timedelta(days=10))
    return wave_create(
        actor=project.manager, project=project, name=name, owner=project.manager, **kwargs
    )


def approve(project, gate):
    decision = decision_open(actor=project.manager, gate=gate)
    return decision_vote(actor=project.manager, decision=decision, approve=True)


@pytest.mark.django_db
class RolloutPlanSetTests:
    def test_plan_is_created_then_versioned(self):
        """The first write creates the plan; a stale version is refused with Conflict."""
        project = ProjectFactory()
        plan = rollout_plan_set(actor=project.manager, project=project, strategy="pilot")
        assert plan.version == 1 and plan.strategy == "pilot"
        plan = rollout_plan_set(
            actor=project.manager, project=project, strategy="phased", notes="x", version=1
        )
        assert plan.version == 2
        with pytest.raises(Conflict):
            rollout_plan_set(actor=project.manager, project=project, strategy="full", version=1)
        assert AuditEvent.objects.filter(action__startswith="rollout_plan.").count() == 2

    def test_unknown_strategy_is_refused(self):
        """A strategy outside pilot / phased / full is a field error."""
        project = ProjectFactory()
        with pytest.raises(ValidationError) as exc:
            rollout_plan_set(actor=project.manager, project=project, strategy="big-bang")
        assert "strategy" in exc.value.message_dict

    def test_full_strategy_allows_one_wave(self):
        """A full rollout has one wave: a second one is refused, and so is switching to full."""
        project = ProjectFactory()
        rollout_plan_set(actor=project.manager, project=project, strategy="full")
        make_wave(project, "Everyone")
        with pytest.raises(ValidationError, match="one wave"):
            make_wave(project, "Second")
        rollout_plan_set(actor=project.manager, project=project, strategy="phased", version=1)
        make_wave(project, "Second")
        with pytest.raises(ValidationError, match="one wave"):
            rollout_plan_set(actor=project.manager, project=project, strategy="full", version=2)

    def test_pilot_strategy_needs_the_pilot_first(self):
        """Under a pilot strategy the first wave must be the pilot."""
        project = ProjectFactory()
        rollout_plan_set(actor=project.manager, project=project, strategy="pilot")
        with pytest.raises(ValidationError, match="pilot"):
            make_wave(project, "Everyone")
        make_wave(project, "Pilot", is_pilot=True)
        wave = make_wave(project, "Everyone")
        with pytest.raises(ValidationError, match="pilot"):
            wave_update(actor=project.manager, wave=wave, position=0)

    def test_only_managers_plan(self):
        """Viewers, contributors and approvers may not plan; outsiders do not see the project."""
        project = ProjectFactory()
        team = team_for(project)
        for role in ("viewer", "contributor", "approver"):
            with pytest.raises(PermissionDenied):
                rollout_plan_set(actor=team[role], project=project, strategy="pilot")
        outsider = ProjectFactory().manager
        with pytest.raises(NotFound):
            rollout_plan_set(actor=outsider, project=project, strategy="pilot")


@pytest.mark.django_db
class WaveCreateTests:
    def test_wave_gets_its_two_gates(self):
        """The go/no-go gate carries the defect criterion, the exit gate the hypercare one."""
        project = ProjectFactory()
        wave = make_wave(project, contact_emails=["pilot@example.com", " "])
        assert wave.slug == "pilot-berlin"
        assert wave.contact_emails == ["pilot@example.com"]
        assert wave.gate.name == "wave-pilot-berlin"
        assert wave.gate.title == "Go/no-go: Pilot Berlin"
        assert [(c.type_key, c.params) for c in wave.gate.criteria.all()] == [
            ("quality.no_open_defects", {"severity": "high"})
        ]
        assert wave.exit_gate.name == "hypercare-pilot-berlin"
        assert [(c.type_key, c.params) for c in wave.exit_gate.criteria.all()] == [
            ("rollout.wave_hypercare_clean", {"wave": "pilot-berlin", "days": 7})
        ]
        assert list(wave.gate.approvers.all()) == [project.manager]
        assert AuditEvent.objects.filter(action="wave.create", object_id=str(wave.pk)).exists()

    def test_named_approvers_and_quorum(self):
        """Approvers and quorum given at creation go to both gates."""
        project = ProjectFactory()
        team = team_for(project)
        wave = make_wave(project, approvers=[project.manager, team["approver"]], quorum=2)
        assert wave.gate.quorum == 2 and wave.exit_gate.quorum == 2
        assert set(wave.exit_gate.approvers.values_list("pk", flat=True)) == {
            project.manager.pk,
            team["approver"].pk,
        }

    def test_clear_errors(self):
        """A window that ends before it starts, a non-member owner and a bad address are refused."""
        project = ProjectFactory()
        now = timezone.now()
        with pytest.raises(ValidationError, match="ends after it starts"):
            make_wave(project, planned_start=now, planned_end=now - timedelta(hours=1))
        with pytest.raises(ValidationError) as exc:
            wave_create(
                actor=project.manager,
                project=project,
                name="W",
                owner=ProjectFactory().manager,
                planned_start=now,
                planned_end=now + timedelta(days=1),
            )
        assert "owner" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            make_wave(project, contact_emails=["not an address"])
        assert "contact_emails" in exc.value.message_dict
        make_wave(project, "Same")
        with pytest.raises(ValidationError):
            make_wave(project, "Same")
        assert Wave.objects.filter(project=project).count() == 1
        assert not Gate.objects.filter(project=project, name__startswith="wave-").exclude(
            name="wave-same"
        )


@pytest.mark.django_db
class WaveLifecycleTests:
    def test_wave_starts_only_after_an_approved_decision(self):
        """No decision, then a pending one, are refused naming the gate; an approved one starts it."""
        project = ProjectFactory()
        team = team_for(project)
        wave = make_wave(project, approvers=[project.manager, team["approver"]], quorum=2)
        with pytest.raises(ValidationError, match=r"wave-pilot-berlin.*no decision"):
            wave_start(actor=project.manager, wave=wave)
        decision = decision_open(actor=project.manager, gate=wave.gate)
        decision_vote(actor=project.manager, decision=decision, approve=True)
        with pytest.raises(ValidationError, match=r"awaits approval \(1 of 2"):
            wave_start(actor=project.manager, wave=wave)
        decision_vote(actor=team["approver"], decision=decision, approve=True)
        wave = wave_start(actor=project.manager, wave=wave)
        assert wave.status == WaveStatus.IN_PROGRESS
        assert wave.start_decision_id == decision.pk and wave.started_at is not None
        with pytest.raises(Conflict):
            wave_start(actor=project.manager, wave=wave)

    def test_rejected_decision_does_not_start_the_wave(self):
        """The latest decision counts: a rejected one is named as such."""
        project = ProjectFactory()
        wave = make_wave(project)
        decision = decision_open(actor=project.manager, gate=wave.gate)
        decision_vote(actor=project.manager, decision=decision, approve=False, comment="Not yet")
        with pytest.raises(ValidationError, match="rejected"):
            wave_start(actor=project.manager, wave=wave)

    def test_hypercare_and_completion_through_the_exit_gate(self):
        """Hypercare follows the start; completion needs an approved exit decision."""
        project = ProjectFactory()
        wave = make_wave(project)
        approve(project, wave.gate)
        wave = wave_start(actor=project.manager, wave=wave)
        with pytest.raises(Conflict):
            wave_complete(actor=project.manager, wave=wave)
        wave = wave_hypercare(actor=project.manager, wave=wave)
        assert wave.status == WaveStatus.HYPERCARE and wave.hypercare_at is not None
        with pytest.raises(ValidationError, match="hypercare-pilot-berlin"):
            wave_complete(actor=project.manager, wave=wave)
        # The exit criterion wants seven days of hypercare.
        Wave.objects.filter(pk=wave.pk).update(hypercare_at=timezone.now() - timedelta(days=8))
        decision = approve(project, wave.exit_gate)
        wave = wave_complete(actor=project.manager, wave=wave)
        assert wave.status == WaveStatus.COMPLETED and wave.exit_decision_id == decision.pk
        assert wave.completed_at is not None

    def test_cancel_needs_a_reason(self):
        """A wave is cancelled with a reason; a cancelled wave cannot be changed."""
        project = ProjectFactory()
        wave = make_wave(project)
        with pytest.raises(ValidationError):
            wave_cancel(actor=project.manager, wave=wave, reason=" ")
        wave = wave_cancel(actor=project.manager, wave=wave, reason="Site closed")
        assert wave.status == WaveStatus.CANCELLED
        event = AuditEvent.objects.get(action="wave.cancelled")
        assert event.changes["reason"] == [None, "Site closed"]
        with pytest.raises(ValidationError):
            wave_update(actor=project.manager, wave=wave, name="Other")
        with pytest.raises(Conflict):
            wave_cancel(actor=project.manager, wave=wave, reason="again")

    def test_only_managers_move_waves(self):
        """An approver may approve the gate but not start the wave."""
        project = ProjectFactory()
        team = team_for(project)
        wave = make_wave(project)
        approve(project, wave.gate)
        with pytest.raises(PermissionDenied):
            wave_start(actor=team["approver"], wave=wave)
        with pytest.raises(NotFound):
            wave_start(actor=ProjectFactory().manager, wave=wave)


@pytest.mark.django_db
class WaveUpdateDeleteTests:
    def test_update_with_version_and_renamed_gates(self):
        """A rename retitles the gates; a stale version is refused; the slug stays."""
        project = ProjectFactory()
        wave = make_wave(project)
        wave = wave_update(actor=project.manager, wave=wave, version=1, name="Pilot Munich")
        assert wave.version == 2
        wave.gate.refresh_from_db()
        assert wave.gate.title == "Go/no-go: Pilot Munich"
        with pytest.raises(Conflict):
            wave_update(actor=project.manager, wave=wave, version=1, headcount=3)
        with pytest.raises(ValidationError) as exc:
            wave_update(actor=project.manager, wave=wave, slug="other")
        assert "slug" in exc.value.message_dict
        with pytest.raises(ValidationError):
            wave_update(actor=project.manager, wave=wave, status="completed")

    def test_delete_removes_the_gates(self):
        """A planned wave without decisions is deleted with its gates."""
        project = ProjectFactory()
        wave = make_wave(project)
        wave_delete(actor=project.manager, wave=wave)
        assert not Wave.objects.filter(project=project).exists()
        assert not Gate.objects.filter(project=project, name__endswith="pilot-berlin").exists()

    def test_delete_refused_after_a_decision_or_with_communications(self):
        """Decisions stay on record: such a wave is cancelled instead; messages block it too."""
        project = ProjectFactory()
        wave = make_wave(project)
        decision_open(actor=project.manager, gate=wave.gate)
        with pytest.raises(ValidationError, match="cancel the wave"):
            wave_delete(actor=project.manager, wave=wave)
        other = make_wave(project, "Wave 2")
        CommunicationFactory(project=project, wave=other, audience="wave", name="w2")
        with pytest.raises(ValidationError, match="w2"):
            wave_delete(actor=project.manager, wave=other)


@pytest.mark.django_db
class RolloutPlanGetTests:
    def test_plan_with_wave_gate_summaries(self):
        """The plan lists each wave with its gates' verdicts and latest decision."""
        project = ProjectFactory()
        team = team_for(project)
        wave = make_wave(project)
        approve(project, wave.gate)
        plan = rollout_plan_get(user=team["viewer"], project=project)
        assert plan.pk is None and plan.strategy == "phased"
        [row] = plan.wave_rows
        assert row["wave"].pk == wave.pk
        assert row["gate"]["passed"] is True
        assert row["gate"]["decision"]["status"] == "approved"
        assert row["exit_gate"]["passed"] is False
        assert row["exit_gate"]["failing"][0]["key"] == "hypercare-clean"
        assert wave_get(user=team["viewer"], project=project, slug=wave.slug).pk == wave.pk
        with pytest.raises(NotFound):
            wave_get(user=team["viewer"], project=project, slug="nope")
        with pytest.raises(NotFound):
            rollout_plan_get(user=ProjectFactory().manager, project=project)
