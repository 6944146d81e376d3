"""The quality criterion types: verdicts, details, evidence, parameters, and a gate using them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from golive.gates.models import Decision
from golive.gates.registry import criterion_type_get, params_validate
from golive.gates.services import (
    criterion_add,
    decision_open,
    decision_vote,
    gate_create,
    gate_evaluate,
)
from golive.projects.tests.factories import ProjectFactory, team_for
from golive.quality.criteria import quality_url
from golive.quality.models import Outcome as ResultOutcome
from golive.quality.models import RequirementStatus, TestType
from golive.quality.services.defects import defect_flag_set, defect_report, defect_transition
from golive.quality.services.signoffs import signoff_open, signoff_revoke, signoff_sign
from golive.quality.tests.factories import (
    RequirementFactory,
    TestCaseFactory,
    TestResultFactory,
    TestRunFactory,
)


def evaluate(key, project, **params):
    ctype = criterion_type_get(key)
    return ctype.evaluate(project, ctype.params_model.model_validate(params_validate(key, params)))


@pytest.fixture
def project(db):
    return ProjectFactory(key="QC")


def results(run, type_, outcomes):
    for outcome in outcomes:
        TestResultFactory(
            run=run, case=TestCaseFactory(project=run.project, type=type_), outcome=outcome
        )


@pytest.mark.django_db
class NoOpenDefectsTests:
    def test_passes_without_blocking_defects(self, project):
        """Open defects that do not block go-live, or below the severity, do not fail it."""
        defect_report(actor=project.manager, project=project, title="Typo", severity="low")
        defect_report(actor=project.manager, project=project, title="Slow", severity="high")
        outcome = evaluate("quality.no_open_defects", project, severity="high")
        assert outcome.passed
        assert outcome.detail == "No open go-live-blocking defect of severity high or above."
        assert outcome.evidence[0].label == "Defects"

    def test_fails_naming_blocking_defects(self, project):
        """A critical open defect fails; a flagged high one fails at severity high."""
        defect_report(
            actor=project.manager, project=project, title="Data loss", severity="critical"
        )
        high = defect_report(
            actor=project.manager, project=project, title="Wrong tax", severity="high"
        )
        defect_flag_set(actor=project.manager, defect=high, blocks_go_live=True, reason="Legal")
        outcome = evaluate("quality.no_open_defects", project, severity="high")
        assert not outcome.passed
        assert outcome.detail == (
            "2 open go-live-blocking defects of severity high or above: "
            "DEF-1 (critical) Data loss, DEF-2 (high) Wrong tax."
        )
        assert [e.label for e in outcome.evidence] == ["DEF-1", "DEF-2"]
        assert evaluate("quality.no_open_defects", project, severity="critical").detail.startswith(
            "1 open go-live-blocking defect of severity critical:"
        )

    def test_closed_defects_do_not_count(self, project):
        """A rejected critical defect no longer blocks."""
        defect = defect_report(
            actor=project.manager, project=project, title="X", severity="critical"
        )
        defect_transition(
            actor=project.manager, defect=defect, action="close", resolution="rejected", reason="No"
        )
        assert evaluate("quality.no_open_defects", project, severity="low").passed

    def test_params(self):
        """Severity must be one of the four names."""
        assert params_validate("quality.no_open_defects", {"severity": "medium"}) == {
            "severity": "medium"
        }
        with pytest.raises(ValidationError, match="severity"):
            params_validate("quality.no_open_defects", {"severity": "urgent"})
        with pytest.raises(ValidationError):
            params_validate("quality.no_open_defects", {"severity": "high", "extra": 1})


@pytest.mark.django_db
class PassRateTests:
    def test_latest_run_of_the_type_is_measured(self, project):
        """Only the latest run with results of the type counts; skipped results are left out."""
        old = TestRunFactory(
            project=project, name="R1", started_at=timezone.now() - dt.timedelta(days=2)
        )
        results(old, TestType.REGRESSION, ["failed", "failed"])
        new = TestRunFactory(
            project=project, name="R2", started_at=timezone.now() - dt.timedelta(days=1)
        )
        results(new, TestType.REGRESSION, ["passed"] * 9 + ["failed", "skipped"])
        newest = TestRunFactory(project=project, name="R3")
        results(newest, TestType.FUNCTIONAL, ["failed"])
        outcome = evaluate("quality.pass_rate", project, type="regression", min_percent=90)
        assert outcome.passed
        assert outcome.detail == (
            "Run 'R2': 9 of 10 regression tests passed (90 %, 1 skipped), at or above the "
            "required 90 %."
        )
        assert outcome.evidence[0].label == "Run R2"
        failing = evaluate("quality.pass_rate", project, type="regression", min_percent=95.5)
        assert not failing.passed
        assert "below the required 95.5 %" in failing.detail

    def test_no_run_or_all_skipped_fails(self, project):
        """No results of the type, or only skipped ones, fail with the reason."""
        outcome = evaluate("quality.pass_rate", project, type="security", min_percent=0)
        assert not outcome.passed
        assert outcome.detail == "No run has security test results yet."
        results(TestRunFactory(project=project, name="Sec"), TestType.SECURITY, ["skipped"])
        outcome = evaluate("quality.pass_rate", project, type="security", min_percent=0)
        assert not outcome.passed
        assert "all skipped" in outcome.detail

    def test_params(self):
        """type must be a test type and min_percent 0..100; both are required."""
        assert params_validate("quality.pass_rate", {"type": "uat", "min_percent": 95}) == {
            "type": "uat",
            "min_percent": 95.0,
        }
        for bad in (
            {"type": "smoke", "min_percent": 50},
            {"type": "uat", "min_percent": 101},
            {"type": "uat", "min_percent": -1},
            {"type": "uat", "min_percent": True},
            {"type": "uat"},
        ):
            with pytest.raises(ValidationError):
                params_validate("quality.pass_rate", bad)


@pytest.mark.django_db
class SignOffCompleteTests:
    def test_missing_open_complete_revoked(self, project):
        """No sign-off, awaiting signatures, complete, then revoked."""
        team = team_for(project, roles=("approver",))
        assert evaluate("quality.signoff_complete", project, name="UAT").detail == (
            "There is no sign-off called 'UAT'."
        )
        signoff = signoff_open(
            actor=project.manager, project=project, name="UAT", approvers=[team["approver"]]
        )
        outcome = evaluate("quality.signoff_complete", project, name="UAT")
        assert not outcome.passed
        assert outcome.detail == "Sign-off 'UAT' awaits signatures: 0 of 1 required."
        signoff_sign(actor=team["approver"], signoff=signoff)
        outcome = evaluate("quality.signoff_complete", project, name="UAT")
        assert outcome.passed
        assert outcome.detail.startswith("Sign-off 'UAT' is complete: 1 of 1 required signatures")
        signoff_revoke(actor=project.manager, signoff=signoff, reason="Wrong build tested")
        outcome = evaluate("quality.signoff_complete", project, name="UAT")
        assert not outcome.passed
        assert outcome.detail == "Sign-off 'UAT' was revoked: Wrong build tested"

    def test_params(self):
        """A name is required."""
        with pytest.raises(ValidationError):
            params_validate("quality.signoff_complete", {"name": "  "})
        with pytest.raises(ValidationError):
            params_validate("quality.signoff_complete", {})


@pytest.mark.django_db
class RequirementCoverageTests:
    def test_covered_and_verified(self, project):
        """Covered counts linked cases; verified needs every linked case's latest result passed."""
        r1 = RequirementFactory(project=project, ref="R1")
        r2 = RequirementFactory(project=project, ref="R2")
        RequirementFactory(project=project, ref="R3")
        RequirementFactory(project=project, ref="R4", status=RequirementStatus.DROPPED)
        a = TestCaseFactory(project=project, requirements=[r1])
        b = TestCaseFactory(project=project, requirements=[r2])
        c = TestCaseFactory(project=project, requirements=[r2])
        run1 = TestRunFactory(project=project)
        earlier = timezone.now() - dt.timedelta(hours=1)
        TestResultFactory(run=run1, case=a, outcome=ResultOutcome.FAILED, executed_at=earlier)
        run2 = TestRunFactory(project=project)
        TestResultFactory(run=run2, case=a, outcome=ResultOutcome.PASSED)
        TestResultFactory(run=run2, case=b, outcome=ResultOutcome.PASSED)
        TestResultFactory(run=run1, case=c, outcome=ResultOutcome.FAILED)
        covered = evaluate("quality.requirement_coverage", project, min_percent=66)
        assert covered.passed
        assert covered.detail == (
            "2 of 3 requirements are covered by a test case (66.7 %), at or above the required 66 %."
        )
        verified = evaluate(
            "quality.requirement_coverage", project, min_percent=50, measure="verified"
        )
        assert not verified.passed
        assert verified.detail == (
            "1 of 3 requirements are verified by passing tests (33.3 %), below the required 50 %."
        )
        assert verified.evidence[0].label == "Traceability"

    def test_no_requirements_fails(self, project):
        """Without live requirements there is nothing to cover."""
        RequirementFactory(project=project, status=RequirementStatus.DROPPED)
        outcome = evaluate("quality.requirement_coverage", project, min_percent=0)
        assert not outcome.passed
        assert "No requirements" in outcome.detail

    def test_params(self):
        """measure defaults to covered; min_percent 0..100."""
        assert params_validate("quality.requirement_coverage", {"min_percent": 80}) == {
            "min_percent": 80.0,
            "measure": "covered",
        }
        with pytest.raises(ValidationError):
            params_validate("quality.requirement_coverage", {"min_percent": 80, "measure": "all"})
        with pytest.raises(ValidationError):
            params_validate("quality.requirement_coverage", {"min_percent": 120})


@pytest.mark.django_db
class EvidenceUrlTests:
    def test_falls_back_to_project_dashboard(self, project):
        """A page that does not exist (yet) links to the project dashboard instead."""
        assert quality_url("web:quality_no_such_page", project.key) == f"/p/{project.key}/"


@pytest.mark.django_db
class QualityGateTests:
    def test_go_live_gate_end_to_end(self, project):
        """A gate of the four quality criteria fails, then passes once the evidence is in, and
        its decision is approved by the named approver."""
        team = team_for(project, roles=("approver",))
        gate = gate_create(
            actor=project.manager,
            project=project,
            name="quality-exit",
            title="Quality exit",
            approvers=[team["approver"]],
        )
        for key, type_key, params in [
            ("defects", "quality.no_open_defects", {"severity": "high"}),
            ("uat", "quality.pass_rate", {"type": "uat", "min_percent": 95}),
            ("uat-signoff", "quality.signoff_complete", {"name": "UAT"}),
            (
                "coverage",
                "quality.requirement_coverage",
                {"min_percent": 100, "measure": "verified"},
            ),
        ]:
            criterion_add(
                actor=project.manager, gate=gate, key=key, type_key=type_key, params=params
            )

        req = RequirementFactory(project=project, ref="REQ-1", status="approved")
        case = TestCaseFactory(project=project, type=TestType.UAT, requirements=[req])
        run = TestRunFactory(project=project, name="UAT 1")
        failed = TestResultFactory(run=run, case=case, outcome=ResultOutcome.FAILED)
        defect = defect_report(
            actor=project.manager,
            project=project,
            title="Crash",
            severity="critical",
            found_in=failed,
        )
        evaluation = gate_evaluate(gate=gate)
        assert not evaluation.passed
        assert [c.passed for c in evaluation.criteria] == [False, False, False, False]

        for action in ("triage", "start", "fix", "retest"):
            defect = defect_transition(actor=project.manager, defect=defect, action=action)
        rerun = TestRunFactory(project=project, name="UAT 2")
        TestResultFactory(
            run=rerun,
            case=case,
            outcome=ResultOutcome.PASSED,
            executed_at=defect.fixed_at + dt.timedelta(minutes=1),
        )
        defect_transition(actor=project.manager, defect=defect, action="close")
        signoff = signoff_open(
            actor=project.manager,
            project=project,
            name="UAT",
            approvers=[team["approver"]],
            runs=[rerun],
        )
        signoff_sign(actor=team["approver"], signoff=signoff)

        evaluation = gate_evaluate(gate=gate)
        assert evaluation.passed, [c.detail for c in evaluation.criteria]
        decision = decision_open(actor=project.manager, gate=gate)
        assert decision.snapshot["passed"] is True
        decision = decision_vote(actor=team["approver"], decision=decision, approve=True)
        assert decision.status == Decision.Status.APPROVED
