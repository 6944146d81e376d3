"""Sign-offs: named approvers and quorum, signing, withdrawal, revocation, the frozen snapshot."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from golive.audit.models import AuditEvent
from golive.errors import Conflict, NotFound
from golive.projects.access import project_roles_forget
from golive.projects.models import Role
from golive.projects.services import membership_set
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.quality.models import Outcome, SignOffStatus, TestType
from golive.quality.selectors.signoffs import signoff_get, signoff_get_by_name, signoff_list
from golive.quality.services.defects import defect_report
from golive.quality.services.signoffs import (
    signature_withdraw,
    signoff_open,
    signoff_revoke,
    signoff_sign,
)
from golive.quality.tests.factories import (
    RequirementFactory,
    TestCaseFactory,
    TestPlanFactory,
    TestResultFactory,
    TestRunFactory,
)


@pytest.fixture
def world(db):
    project = ProjectFactory(key="SGN")
    team = team_for(project)
    second = UserFactory(username="sgn-approver2")
    membership_set(actor=project.manager, project=project, user=second, role=Role.APPROVER)
    team["approver2"] = second
    return project, team


def open_uat(project, team, **kwargs):
    kwargs.setdefault("approvers", [team["approver"], team["approver2"].username])
    return signoff_open(actor=project.manager, project=project, name="UAT wave 1", **kwargs)


@pytest.mark.django_db
class SignOffOpenTests:
    def test_open_freezes_snapshot_of_runs(self, world):
        """The snapshot holds the runs' counts, coverage, open defects and untested requirements."""
        project, team = world
        req = RequirementFactory(project=project, ref="REQ-1")
        RequirementFactory(project=project, ref="REQ-2")
        case = TestCaseFactory(project=project, type=TestType.UAT, requirements=[req])
        run = TestRunFactory(project=project, name="UAT 1")
        TestResultFactory(run=run, case=case, outcome=Outcome.PASSED)
        TestResultFactory(
            run=run, case=TestCaseFactory(project=project, type=TestType.UAT), outcome="failed"
        )
        defect_report(actor=project.manager, project=project, title="Totals wrong", severity="high")
        signoff = open_uat(project, team, runs=[run], quorum=2, description="Wave 1 UAT")
        snap = signoff.snapshot
        assert [r["name"] for r in snap["runs"]] == ["UAT 1"]
        assert snap["runs"][0]["by_type"]["uat"]["passed"] == 1
        assert snap["runs"][0]["by_type"]["uat"]["pass_rate"] == 50.0
        assert snap["coverage"]["covered"] == 1
        assert snap["open_defects"][0]["ref"] == "DEF-1"
        assert [r["ref"] for r in snap["untested_requirements"]] == ["REQ-2"]
        assert list(signoff.runs.all()) == [run]
        assert signoff.status == SignOffStatus.OPEN
        # Later evidence does not change what was signed.
        TestResultFactory(run=run, case=TestCaseFactory(project=project), outcome="failed")
        signoff.refresh_from_db()
        assert signoff.snapshot == snap
        event = AuditEvent.objects.filter(action="signoff.open").get()
        assert event.changes["approvers"] == [None, ["sgn-approver", "sgn-approver2"]]

    def test_snapshot_defaults_to_the_plans_latest_run(self, world):
        """Without runs the snapshot takes the plan's latest run."""
        project, team = world
        plan = TestPlanFactory(project=project, name="UAT plan")
        TestRunFactory(project=project, plan=plan, name="old")
        latest = TestRunFactory(project=project, plan=plan, name="new")
        TestRunFactory(project=project, name="unplanned")
        signoff = open_uat(project, team, plan=plan)
        assert [r["name"] for r in signoff.snapshot["runs"]] == [latest.name]
        assert signoff.snapshot["plan"] == {"id": plan.pk, "name": "UAT plan"}

    def test_approvers_need_approver_role_and_membership(self, world):
        """Contributors and outsiders cannot be named approvers; at least one is needed."""
        project, team = world
        with pytest.raises(ValidationError, match="approver or manager role"):
            open_uat(project, team, approvers=[team["contributor"]])
        with pytest.raises(ValidationError, match="not a member"):
            open_uat(project, team, approvers=[UserFactory()])
        with pytest.raises(ValidationError, match="no active user"):
            open_uat(project, team, approvers=["ghost"])
        with pytest.raises(ValidationError, match="at least one"):
            open_uat(project, team, approvers=[])

    @pytest.mark.parametrize("quorum", [0, 3])
    def test_quorum_between_one_and_approvers(self, world, quorum):
        """The quorum is 1..number of named approvers."""
        project, team = world
        with pytest.raises(ValidationError, match="quorum"):
            open_uat(project, team, quorum=quorum)

    def test_only_managers_open(self, world):
        """Approvers may not open sign-offs; outsiders get NotFound."""
        project, team = world
        with pytest.raises(PermissionDenied):
            signoff_open(
                actor=team["approver"], project=project, name="x", approvers=[team["approver"]]
            )
        with pytest.raises(NotFound):
            signoff_open(actor=UserFactory(), project=project, name="x", approvers=[])

    def test_name_unique_while_not_revoked(self, world):
        """A second live sign-off of the same name is refused; after revocation it may reopen."""
        project, team = world
        first = open_uat(project, team)
        with pytest.raises(ValidationError, match="already has a sign-off"):
            open_uat(project, team)
        signoff_revoke(actor=project.manager, signoff=first, reason="Scope changed")
        assert open_uat(project, team).pk != first.pk

    def test_runs_and_plan_of_other_projects_refused(self, world):
        """Runs and plans are resolved within the project."""
        project, team = world
        with pytest.raises(ValidationError, match="no test run"):
            open_uat(project, team, runs=[TestRunFactory().pk])
        with pytest.raises(ValidationError, match="no test plan"):
            open_uat(project, team, plan=TestPlanFactory().pk)


@pytest.mark.django_db
class SignOffSignTests:
    def test_completes_at_quorum(self, world):
        """With quorum 2 the first signature leaves it open; the second completes it."""
        project, team = world
        signoff = open_uat(project, team, quorum=2)
        signoff = signoff_sign(actor=team["approver"], signoff=signoff, comment="Looks good")
        assert signoff.status == SignOffStatus.OPEN and signoff.completed_at is None
        signoff = signoff_sign(actor=team["approver2"], signoff=signoff)
        assert signoff.status == SignOffStatus.COMPLETE
        assert signoff.completed_at is not None
        actions = list(
            AuditEvent.objects.filter(object_type="quality.signoff")
            .order_by("seq")
            .values_list("action", flat=True)
        )
        assert actions == ["signoff.open", "signoff.sign", "signoff.sign", "signoff.complete"]

    def test_only_named_approvers_sign_once(self, world):
        """A manager not named may not sign; contributors lack the role; nobody signs twice."""
        project, team = world
        signoff = open_uat(project, team)
        with pytest.raises(PermissionDenied, match="not one of the named approvers"):
            signoff_sign(actor=project.manager, signoff=signoff)
        with pytest.raises(PermissionDenied):
            signoff_sign(actor=team["contributor"], signoff=signoff)
        signoff_sign(actor=team["approver"], signoff=signoff)
        with pytest.raises(Conflict, match="already signed"):
            signoff_sign(actor=team["approver"], signoff=signoff)

    def test_demoted_approver_cannot_sign(self, world):
        """A named approver demoted to contributor is refused."""
        project, team = world
        signoff = open_uat(project, team)
        membership_set(
            actor=project.manager, project=project, user=team["approver"], role=Role.CONTRIBUTOR
        )
        project_roles_forget(team["approver"])
        with pytest.raises(PermissionDenied):
            signoff_sign(actor=team["approver"], signoff=signoff)


@pytest.mark.django_db
class SignOffWithdrawRevokeTests:
    def test_withdraw_reopens_below_quorum(self, world):
        """Withdrawing from a complete sign-off reopens it; the signature stays, marked."""
        project, team = world
        signoff = open_uat(project, team)
        signoff = signoff_sign(actor=team["approver"], signoff=signoff)
        assert signoff.status == SignOffStatus.COMPLETE
        with pytest.raises(ValidationError, match="Say why"):
            signature_withdraw(actor=team["approver"], signoff=signoff, reason="")
        signoff = signature_withdraw(
            actor=team["approver"], signoff=signoff, reason="Found a defect"
        )
        assert signoff.status == SignOffStatus.OPEN and signoff.completed_at is None
        signature = signoff.signatures.get()
        assert signature.withdrawn_at is not None
        assert signature.withdraw_reason == "Found a defect"
        # Signing again after withdrawing is allowed.
        signoff = signoff_sign(actor=team["approver"], signoff=signoff)
        assert signoff.status == SignOffStatus.COMPLETE
        assert signoff.signatures.count() == 2
        assert AuditEvent.objects.filter(action="signoff.withdraw").count() == 1

    def test_withdraw_without_signature_refused(self, world):
        """Only the signer withdraws their own signature."""
        project, team = world
        signoff = open_uat(project, team)
        signoff_sign(actor=team["approver"], signoff=signoff)
        with pytest.raises(ValidationError, match="nothing to withdraw"):
            signature_withdraw(actor=team["approver2"], signoff=signoff, reason="x")

    def test_revoke_by_manager_with_reason(self, world):
        """Managers revoke with a reason; revoked sign-offs take no signatures."""
        project, team = world
        signoff = open_uat(project, team)
        signoff = signoff_sign(actor=team["approver"], signoff=signoff)
        with pytest.raises(PermissionDenied):
            signoff_revoke(actor=team["approver"], signoff=signoff, reason="x")
        with pytest.raises(ValidationError, match="Say why"):
            signoff_revoke(actor=project.manager, signoff=signoff, reason=" ")
        signoff = signoff_revoke(actor=project.manager, signoff=signoff, reason="Wrong build")
        assert signoff.status == SignOffStatus.REVOKED
        assert (signoff.revoked_by, signoff.revoke_reason) == (project.manager, "Wrong build")
        assert signoff.completed_at is not None  # when it had completed stays on record
        with pytest.raises(Conflict, match="revoked"):
            signoff_sign(actor=team["approver2"], signoff=signoff)
        with pytest.raises(Conflict, match="already revoked"):
            signoff_revoke(actor=project.manager, signoff=signoff, reason="again")
        with pytest.raises(Conflict):
            signature_withdraw(actor=team["approver"], signoff=signoff, reason="x")
        event = AuditEvent.objects.filter(action="signoff.revoked").get()
        assert event.changes["reason"] == [None, "Wrong build"]


@pytest.mark.django_db
class SignOffSelectorTests:
    def test_list_get_and_counts(self, world, django_assert_max_num_queries):
        """The list counts current signatures in constant queries; get returns signatures."""
        project, team = world
        for i in range(5):
            signoff = signoff_open(
                actor=project.manager,
                project=project,
                name=f"S{i}",
                approvers=[team["approver"], team["approver2"]],
                quorum=2,
            )
            signoff_sign(actor=team["approver"], signoff=signoff)
        viewer = team["viewer"]
        signoff_list(user=viewer, project=project).count()
        with django_assert_max_num_queries(2):
            rows = [
                (s.name, s.signed, [a.username for a in s.approvers.all()])
                for s in signoff_list(user=viewer, project=project)
            ]
        assert len(rows) == 5 and all(r[1] == 1 for r in rows)
        got = signoff_get(user=viewer, project=project, signoff_id=signoff.pk)
        assert [s.signer.username for s in got.signatures.all()] == ["sgn-approver"]
        assert signoff_get_by_name(user=viewer, project=project, name="S0").name == "S0"
        assert [s.name for s in signoff_list(user=viewer, project=project, status="open")] == [
            "S4",
            "S3",
            "S2",
            "S1",
            "S0",
        ]
        with pytest.raises(ValidationError):
            signoff_list(user=viewer, project=project, status="done")
        with pytest.raises(NotFound):
            signoff_get(user=viewer, project=project, signoff_id=9999)
        with pytest.raises(NotFound):
            signoff_list(user=UserFactory(), project=project)
