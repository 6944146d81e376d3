"""Rollout, gates and quality criteria: each verdict with a detail a sponsor understands."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from golive.gates.registry import criterion_type_get, params_validate
from golive.gates.services import decision_open, decision_vote
from golive.projects.tests.factories import ProjectFactory, team_for
from golive.quality.models import Defect, Severity, SignOff
from golive.rollout.models import MigrationResult, Wave
from golive.rollout.tests.factories import (
    CommunicationFactory,
    MigrationCheckFactory,
    RollbackPlanFactory,
    RunbookFactory,
    RunFactory,
)


def evaluate(project, type_key, **params):
    ctype = criterion_type_get(type_key)
    assert ctype is not None, type_key
    return ctype.evaluate(
        project, ctype.params_model.model_validate(params_validate(type_key, params))
    )


def rehearsal(runbook, *, minutes, days_ago=1, status="succeeded", number=None):
    ended = timezone.now() - timedelta(days=days_ago)
    return RunFactory(
        runbook=runbook,
        kind="rehearsal",
        status=status,
        started_at=ended - timedelta(minutes=minutes),
        planned_start=ended - timedelta(minutes=minutes),
        ended_at=ended,
        **({"number": number} if number else {}),
    )


def defect(project, *, number=1, severity=Severity.HIGH, blocks=True, status="new"):
    return Defect.objects.create(
        project=project,
        number=number,
        title="Invoices lose their tax lines",
        severity=severity,
        status=status,
        blocks_go_live=blocks,
        reporter=project.manager,
        created_at=timezone.now(),
    )


@pytest.mark.django_db
class RollbackRehearsedTests:
    def test_no_rollback_plan_fails(self):
        """Without any rollback plan the criterion fails saying so."""
        project = ProjectFactory()
        outcome = evaluate(project, "rollout.rollback_rehearsed")
        assert not outcome.passed and outcome.detail == "No rollback plan exists."

    def test_rehearsed_within_rto_passes_with_the_run_as_evidence(self):
        """A recent succeeded rehearsal within the RTO passes and links the run."""
        project = ProjectFactory(key="RB")
        plan = RollbackPlanFactory(project=project, name="db-restore", rto_minutes=60)
        run = rehearsal(plan, minutes=48)
        outcome = evaluate(project, "rollout.rollback_rehearsed")
        assert outcome.passed
        assert "rollback plan 'db-restore' rehearsed on" in outcome.detail.lower()
        assert "in 48 min (RTO 60 min)" in outcome.detail
        assert outcome.evidence[0].url == f"/p/RB/rollout/runbooks/db-restore/runs/{run.number}/"

    def test_too_slow_rehearsal_fails_with_the_reason(self):
        """A rehearsal that took longer than the RTO fails, naming both durations."""
        project = ProjectFactory()
        plan = RollbackPlanFactory(project=project, name="db-restore", rto_minutes=60)
        rehearsal(plan, minutes=75)
        outcome = evaluate(project, "rollout.rollback_rehearsed")
        assert not outcome.passed
        assert "took 75 min, over its RTO of 60 min" in outcome.detail

    def test_old_failed_and_unrehearsed_plans(self):
        """Too old, only failed, or never rehearsed: each fails with its reason."""
        project = ProjectFactory()
        old = RollbackPlanFactory(project=project, name="old-one")
        rehearsal(old, minutes=10, days_ago=45)
        failed = RollbackPlanFactory(project=project, name="failed-one")
        rehearsal(failed, minutes=10, status="failed")
        outcome = evaluate(project, "rollout.rollback_rehearsed")
        assert not outcome.passed
        assert "more than 30 days ago" in outcome.detail
        assert "'failed-one' has never been rehearsed successfully (1 rehearsal" in outcome.detail
        assert evaluate(project, "rollout.rollback_rehearsed", runbook="old-one", days=60).passed
        missing = evaluate(project, "rollout.rollback_rehearsed", runbook="nope")
        assert not missing.passed and "no rollback plan called 'nope'" in missing.detail

    def test_a_faster_recent_rehearsal_counts(self):
        """Any succeeded rehearsal in the window within the RTO is enough."""
        project = ProjectFactory()
        plan = RollbackPlanFactory(project=project, rto_minutes=60)
        rehearsal(plan, minutes=50, days_ago=3, number=1)
        rehearsal(plan, minutes=90, days_ago=1, number=2)
        assert evaluate(project, "rollout.rollback_rehearsed").passed


@pytest.mark.django_db
class RunbookRehearsedTests:
    def test_named_runbook(self):
        """The runbook needs a succeeded rehearsal within N days."""
        project = ProjectFactory()
        runbook = RunbookFactory(project=project, name="cutover")
        assert (
            "never been rehearsed"
            in evaluate(project, "rollout.runbook_rehearsed", runbook="cutover").detail
        )
        rehearsal(runbook, minutes=120, days_ago=40)
        outcome = evaluate(project, "rollout.runbook_rehearsed", runbook="cutover")
        assert not outcome.passed and "more than 30 days ago" in outcome.detail
        assert evaluate(project, "rollout.runbook_rehearsed", runbook="cutover", days=50).passed
        assert not evaluate(project, "rollout.runbook_rehearsed", runbook="other").passed
        with pytest.raises(ValidationError):
            params_validate("rollout.runbook_rehearsed", {})


@pytest.mark.django_db
class MigrationChecksPassedTests:
    def result(self, check, passed, *, hours_ago=1, summary="3 tables reconciled"):
        return MigrationResult.objects.create(
            check_obj=check,
            passed=passed,
            summary=summary,
            started_at=timezone.now() - timedelta(hours=hours_ago),
        )

    def test_none_defined_fails(self):
        """No check at all fails."""
        outcome = evaluate(ProjectFactory(), "rollout.migration_checks_passed")
        assert not outcome.passed and outcome.detail == "No migration check is defined."

    def test_latest_result_of_each_check_counts(self):
        """Every check's latest result must pass; a never-run check fails; links go to checks."""
        project = ProjectFactory(key="MIG")
        customers = MigrationCheckFactory(project=project, name="customers", check_set="crm")
        orders = MigrationCheckFactory(project=project, name="orders", check_set="erp")
        self.result(customers, False, hours_ago=3, summary="12 rows missing")
        self.result(customers, True, hours_ago=1)
        outcome = evaluate(project, "rollout.migration_checks_passed")
        assert not outcome.passed and "orders has never run" in outcome.detail
        assert outcome.evidence[0].url == "/p/MIG/rollout/migrations/orders/"
        assert evaluate(project, "rollout.migration_checks_passed", set="crm").passed
        self.result(orders, False, summary="4 rows differ")
        outcome = evaluate(project, "rollout.migration_checks_passed", set="erp")
        assert not outcome.passed and "4 rows differ" in outcome.detail
        assert not evaluate(project, "rollout.migration_checks_passed", set="none").passed

    def test_after_excludes_older_results(self):
        """With `after`, a pass from before that moment does not count."""
        project = ProjectFactory()
        check = MigrationCheckFactory(project=project, name="customers")
        self.result(check, True, hours_ago=5)
        after = (timezone.now() - timedelta(hours=2)).isoformat()
        outcome = evaluate(project, "rollout.migration_checks_passed", after=after)
        assert not outcome.passed and "before" in outcome.detail
        self.result(check, True, hours_ago=1)
        assert evaluate(project, "rollout.migration_checks_passed", after=after).passed


@pytest.mark.django_db
class CommunicationsSentTests:
    def test_required_communications(self):
        """Every required, not cancelled communication must be sent; none planned fails."""
        project = ProjectFactory()
        assert not evaluate(project, "rollout.communications_sent").passed
        CommunicationFactory(project=project, name="optional", required_for_go_live=False)
        CommunicationFactory(project=project, name="dropped", status="cancelled")
        notice = CommunicationFactory(project=project, name="notice")
        outcome = evaluate(project, "rollout.communications_sent")
        assert not outcome.passed and "notice (planned)" in outcome.detail
        notice.status, notice.sent_at = "sent", timezone.now()
        notice.save()
        assert evaluate(project, "rollout.communications_sent").passed
        assert not evaluate(project, "rollout.communications_sent", name="optional").passed
        assert evaluate(project, "rollout.communications_sent", name="notice").passed
        assert not evaluate(project, "rollout.communications_sent", name="missing").passed


@pytest.mark.django_db
class WaveHypercareCleanTests:
    def test_days_in_hypercare_and_blocking_defects(self):
        """At least N days in hypercare and no open blocking defect."""
        project = ProjectFactory()
        wave = Wave.objects.create(
            project=project,
            name="Pilot",
            slug="pilot",
            owner=project.manager,
            planned_start=timezone.now() - timedelta(days=20),
            planned_end=timezone.now() - timedelta(days=1),
        )
        outcome = evaluate(project, "rollout.wave_hypercare_clean", wave="pilot")
        assert not outcome.passed and "not yet in hypercare" in outcome.detail
        wave.status, wave.hypercare_at = "hypercare", timezone.now() - timedelta(days=3)
        wave.save()
        outcome = evaluate(project, "rollout.wave_hypercare_clean", wave="pilot")
        assert not outcome.passed and "(3 of 7 days)" in outcome.detail
        wave.hypercare_at = timezone.now() - timedelta(days=8)
        wave.save()
        defect(project)
        outcome = evaluate(project, "rollout.wave_hypercare_clean", wave="pilot")
        assert not outcome.passed and "DEF-1" in outcome.detail
        Defect.objects.update(status="closed", resolution="fixed", closed_at=timezone.now())
        assert evaluate(project, "rollout.wave_hypercare_clean", wave="pilot").passed
        assert not evaluate(project, "rollout.wave_hypercare_clean", wave="other").passed


@pytest.mark.django_db
class GateApprovedTests:
    def test_latest_go_decision(self):
        """No decision, pending, and approved, each said as such."""
        project = ProjectFactory()
        team = team_for(project)
        gate = project.gates.get(name="readiness")
        assert (
            "not been decided" in evaluate(project, "gates.gate_approved", gate="readiness").detail
        )
        assert not evaluate(project, "gates.gate_approved", gate="nope").passed
        # A gate with a criterion that passes on a fresh project, decided by two approvers.
        from golive.gates.services import criterion_add, gate_create

        other = gate_create(
            actor=project.manager,
            project=project,
            name="extra",
            title="Extra",
            quorum=2,
            approvers=[project.manager, team["approver"]],
        )
        criterion_add(
            actor=project.manager, gate=other, key="defects", type_key="quality.no_open_defects"
        )
        decision = decision_open(actor=project.manager, gate=other)
        decision_vote(actor=project.manager, decision=decision, approve=True)
        outcome = evaluate(project, "gates.gate_approved", gate="extra")
        assert not outcome.passed and "awaits approval (1 of 2)" in outcome.detail
        decision_vote(actor=team["approver"], decision=decision, approve=True)
        outcome = evaluate(project, "gates.gate_approved", gate="extra")
        assert outcome.passed and "approved on" in outcome.detail
        assert outcome.evidence[0].url.endswith("/gates/extra/")
        assert gate.name == "readiness"


@pytest.mark.django_db
class SignoffsCompleteTests:
    def test_every_signoff_not_revoked_is_complete(self):
        """None fails; an open one fails naming it; revoked ones do not count."""
        project = ProjectFactory()
        assert not evaluate(project, "quality.signoffs_complete").passed
        now = timezone.now()
        uat = SignOff.objects.create(
            project=project, name="UAT", created_by=project.manager, created_at=now, quorum=2
        )
        SignOff.objects.create(
            project=project,
            name="Old",
            created_by=project.manager,
            created_at=now,
            status="revoked",
            revoke_reason="Redone",
        )
        outcome = evaluate(project, "quality.signoffs_complete")
        assert not outcome.passed and "UAT (0 of 2)" in outcome.detail
        uat.status, uat.completed_at = "complete", now
        uat.save()
        outcome = evaluate(project, "quality.signoffs_complete")
        assert outcome.passed and outcome.detail == "Sign-off 'UAT' is complete."
