"""Gates: evaluation, decisions with a quorum of named approvers, waivers."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from golive.errors import Conflict
from golive.gates.models import Decision
from golive.gates.registry import criterion_types, params_validate
from golive.gates.services import (
    criterion_add,
    criterion_remove,
    decision_open,
    decision_vote,
    decision_withdraw,
    gate_create,
    gate_evaluate,
    gate_update,
    waiver_create,
    waiver_revoke,
)
from golive.projects.models import Phase
from golive.projects.tests.factories import ProjectFactory, team_for
from golive.projects.tests.test_services import add_criterion, complete_checklist
from golive.readiness.services import readiness_item_set_status


@pytest.fixture
def ready_project(db):
    """A project whose readiness gate passes, with one member per role."""
    project = ProjectFactory(key="RDY")
    team = team_for(project)
    add_criterion(project)
    complete_checklist(project, project.manager)
    return project, team, project.gates.get(name="readiness")


@pytest.mark.django_db
class GateEvaluateTests:
    def test_new_project_fails_with_reasons_and_evidence(self):
        """Each failing criterion says why and links to its evidence."""
        project = ProjectFactory()
        evaluation = gate_evaluate(gate=project.gates.get(name="readiness"))
        assert not evaluation.passed
        checklist, criteria = evaluation.criteria
        assert checklist.detail.startswith("7 of 7 items not ready")
        assert len(checklist.evidence) == 7
        assert checklist.evidence[0]["url"].startswith(f"/p/{project.key}/readiness/#item-")
        assert "No success criteria defined" in criteria.detail

    def test_ready_but_unapproved_item_keeps_gate_closed(self, ready_project):
        """An item marked ready without an approver's approval does not count."""
        project, team, gate = ready_project
        item = project.readiness_items.first()
        readiness_item_set_status(actor=team["contributor"], item=item, status="open")
        item.refresh_from_db()
        readiness_item_set_status(actor=team["contributor"], item=item, status="ready")
        evaluation = gate_evaluate(gate=gate)
        assert not evaluation.passed
        assert "awaiting approval" in evaluation.criteria[0].detail

    def test_complete_project_passes(self, ready_project):
        """All items approved and a success criterion defined: the gate passes."""
        _, _, gate = ready_project
        evaluation = gate_evaluate(gate=gate)
        assert evaluation.passed
        assert all(c.passed and not c.waived for c in evaluation.criteria)

    def test_gate_without_criteria_does_not_pass(self):
        """An empty gate has nothing to pass on."""
        project = ProjectFactory()
        gate = gate_create(
            actor=project.manager,
            project=project,
            name="empty",
            title="Empty",
            approvers=[project.manager],
        )
        assert not gate_evaluate(gate=gate).passed


@pytest.mark.django_db
class DecisionTests:
    def test_failing_gate_cannot_be_decided(self):
        """Opening a decision on a failing gate is refused with the failing criteria."""
        project = ProjectFactory()
        with pytest.raises(ValidationError) as exc:
            decision_open(actor=project.manager, gate=project.gates.get(name="readiness"))
        assert "does not pass" in str(exc.value)
        assert not Decision.objects.exists()

    def test_quorum_of_two_named_approvers(self, ready_project):
        """With quorum 2 the first approval keeps it pending; the second approves and moves."""
        project, team, gate = ready_project
        gate_update(
            actor=project.manager,
            gate=gate,
            approvers=[team["approver"], project.manager],
            quorum=2,
        )
        decision = decision_open(actor=project.manager, gate=gate, comment="Ready to start")
        assert decision.snapshot["passed"] is True
        decision = decision_vote(actor=team["approver"], decision=decision, approve=True)
        assert decision.status == Decision.Status.PENDING
        project.refresh_from_db()
        assert project.phase == Phase.READINESS
        decision = decision_vote(actor=project.manager, decision=decision, approve=True)
        assert decision.status == Decision.Status.APPROVED
        project.refresh_from_db()
        assert project.phase == Phase.EXECUTION

    def test_rejection_closes_decision_when_quorum_unreachable(self, ready_project):
        """One rejection out of two named approvers with quorum 2 rejects the decision."""
        project, team, gate = ready_project
        gate_update(
            actor=project.manager,
            gate=gate,
            approvers=[team["approver"], project.manager],
            quorum=2,
        )
        decision = decision_open(actor=project.manager, gate=gate)
        with pytest.raises(ValidationError, match="why"):
            decision_vote(actor=team["approver"], decision=decision, approve=False)
        decision = decision_vote(
            actor=team["approver"],
            decision=decision,
            approve=False,
            comment="Vendor contract unsigned",
        )
        assert decision.status == Decision.Status.REJECTED
        with pytest.raises(Conflict):
            decision_vote(actor=project.manager, decision=decision, approve=True)

    def test_only_named_approvers_vote_once(self, ready_project):
        """An approver who is not named is refused; nobody votes twice."""
        project, team, gate = ready_project
        gate_update(
            actor=project.manager,
            gate=gate,
            approvers=[team["approver"], project.manager],
            quorum=2,
        )
        decision = decision_open(actor=project.manager, gate=gate)
        with pytest.raises(PermissionDenied):
            decision_vote(actor=team["contributor"], decision=decision, approve=True)
        decision_vote(actor=team["approver"], decision=decision, approve=True)
        with pytest.raises(Conflict):
            decision_vote(actor=team["approver"], decision=decision, approve=True)

    def test_one_pending_decision_per_gate(self, ready_project):
        """A second decision waits until the first is withdrawn."""
        project, _, gate = ready_project
        decision = decision_open(actor=project.manager, gate=gate)
        with pytest.raises(Conflict):
            decision_open(actor=project.manager, gate=gate)
        with pytest.raises(ValidationError):
            decision_withdraw(actor=project.manager, decision=decision, reason="")
        decision_withdraw(actor=project.manager, decision=decision, reason="Re-plan")
        assert decision_open(actor=project.manager, gate=gate).status == "pending"

    def test_changed_evidence_blocks_final_approval(self, ready_project):
        """If the gate stopped passing since opening, the approval reaching quorum is refused."""
        project, team, gate = ready_project
        decision = decision_open(actor=project.manager, gate=gate)
        readiness_item_set_status(
            actor=team["contributor"], item=project.readiness_items.first(), status="open"
        )
        with pytest.raises(ValidationError, match="evidence changed"):
            decision_vote(actor=project.manager, decision=decision, approve=True)
        decision.refresh_from_db()
        assert decision.status == Decision.Status.PENDING
        assert not decision.approvals.exists()

    def test_snapshot_is_frozen(self, ready_project):
        """The decision keeps the evaluation as it stood, whatever happens later."""
        project, team, gate = ready_project
        decision = decision_vote(
            actor=project.manager,
            decision=decision_open(actor=project.manager, gate=gate),
            approve=True,
        )
        readiness_item_set_status(
            actor=team["contributor"], item=project.readiness_items.first(), status="open"
        )
        decision.refresh_from_db()
        assert decision.snapshot["passed"] is True

    def test_demoted_named_approver_blocks_opening(self, ready_project):
        """A named approver who lost the approver role is named, and nothing is opened."""
        from golive.projects.services import membership_set

        project, team, gate = ready_project
        gate_update(actor=project.manager, gate=gate, approvers=[team["approver"]], quorum=1)
        membership_set(actor=project.manager, project=project, user=team["approver"], role="viewer")
        with pytest.raises(ValidationError, match=f"{team['approver'].username} can no longer"):
            decision_open(actor=project.manager, gate=gate)
        assert not Decision.objects.exists()

    def test_viewer_cannot_open_and_contributor_cannot_vote(self, ready_project):
        """Opening needs a manager, voting an approver."""
        project, team, gate = ready_project
        with pytest.raises(PermissionDenied):
            decision_open(actor=team["approver"], gate=gate)
        decision = decision_open(actor=project.manager, gate=gate)
        with pytest.raises(PermissionDenied):
            decision_vote(actor=team["viewer"], decision=decision, approve=True)


@pytest.mark.django_db
class WaiverTests:
    def test_waiver_makes_failing_criterion_pass_and_revocation_undoes_it(self):
        """A waived criterion passes with the waiver's reason; revoking it fails it again."""
        project = ProjectFactory()
        add_criterion(project)
        gate = project.gates.get(name="readiness")
        waiver = waiver_create(
            actor=project.manager,
            gate=gate,
            criterion_key="checklist",
            reason="Board accepted the open items",
        )
        evaluation = gate_evaluate(gate=gate)
        assert evaluation.passed
        assert evaluation.criteria[0].waived
        assert "Board accepted the open items" in evaluation.criteria[0].detail
        waiver_revoke(actor=project.manager, waiver=waiver, reason="Items must be done")
        assert not gate_evaluate(gate=gate).passed
        with pytest.raises(Conflict):
            waiver_revoke(actor=project.manager, waiver=waiver, reason="again")

    def test_waiver_needs_reason_failing_criterion_and_manager(self, ready_project):
        """Waivers need a reason, a failing criterion and the manager role."""
        project, team, gate = ready_project
        with pytest.raises(ValidationError, match="reason"):
            waiver_create(actor=project.manager, gate=gate, criterion_key="checklist", reason=" ")
        with pytest.raises(ValidationError, match="passes"):
            waiver_create(
                actor=project.manager, gate=gate, criterion_key="checklist", reason="no need"
            )
        with pytest.raises(ValidationError, match="no criterion"):
            waiver_create(actor=project.manager, gate=gate, criterion_key="nope", reason="x")
        with pytest.raises(PermissionDenied):
            waiver_create(actor=team["approver"], gate=gate, criterion_key="checklist", reason="x")


@pytest.mark.django_db
class GateConfigurationTests:
    def test_quorum_above_named_approvers_is_refused(self):
        """A quorum larger than the list of named approvers cannot be met."""
        project = ProjectFactory()
        gate = project.gates.get(name="readiness")
        with pytest.raises(ValidationError) as exc:
            gate_update(actor=project.manager, gate=gate, quorum=3)
        assert "quorum" in exc.value.message_dict

    def test_named_approvers_need_the_approver_role(self):
        """A contributor cannot be named an approver."""
        project = ProjectFactory()
        team = team_for(project)
        with pytest.raises(ValidationError, match="approver or manager role"):
            gate_update(
                actor=project.manager,
                gate=project.gates.get(name="readiness"),
                approvers=[team["contributor"]],
            )

    def test_add_and_remove_criterion_but_not_locked_ones(self):
        """Managers add registered criteria with valid params; the gate's own stay."""
        project = ProjectFactory()
        gate = project.gates.get(name="readiness")
        criterion = criterion_add(
            actor=project.manager,
            gate=gate,
            key="three-criteria",
            type_key="projects.success_criteria_defined",
            params={"minimum": 3},
        )
        assert criterion.label == "Success criteria defined"
        criterion_remove(actor=project.manager, criterion=criterion)
        with pytest.raises(ValidationError, match="cannot be removed"):
            criterion_remove(actor=project.manager, criterion=gate.criteria.get(key="checklist"))

    def test_unknown_type_and_bad_params_are_refused(self):
        """Criterion types must be registered and their params valid."""
        project = ProjectFactory()
        gate = project.gates.get(name="readiness")
        with pytest.raises(ValidationError, match="not a criterion type"):
            criterion_add(actor=project.manager, gate=gate, key="x", type_key="magic.always")
        with pytest.raises(ValidationError) as exc:
            criterion_add(
                actor=project.manager,
                gate=gate,
                key="x",
                type_key="projects.success_criteria_defined",
                params={"minimum": 0},
            )
        assert "minimum" in str(exc.value)


class RegistryTests:
    def test_apps_register_their_criterion_types(self):
        """The projects and readiness apps each register a type with a params schema."""
        keys = {t.key for t in criterion_types()}
        assert {"projects.success_criteria_defined", "readiness.checklist_complete"} <= keys

    def test_params_are_completed_with_defaults(self):
        """Missing params take the type's defaults; unknown ones are refused."""
        assert params_validate("projects.success_criteria_defined", {}) == {"minimum": 1}
        with pytest.raises(ValidationError):
            params_validate("projects.success_criteria_defined", {"max": 2})
