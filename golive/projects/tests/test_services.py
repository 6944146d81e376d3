"""Projects, members, success criteria and phase moves, through the services."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from golive.audit.models import AuditEvent
from golive.errors import Conflict, NotFound
from golive.gates.services import decision_open, decision_vote
from golive.projects.models import Membership, Phase, Project, Role, SuccessCriterion
from golive.projects.services import (
    membership_remove,
    membership_set,
    project_create,
    project_phase_advance,
    project_update,
    success_criterion_create,
    success_criterion_delete,
    success_criterion_update,
)
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.readiness.services import (
    readiness_item_approve,
    readiness_item_set_status,
    readiness_item_update,
)


def complete_checklist(project, actor):
    """Give every item evidence, mark it ready and approve it."""
    for item in project.readiness_items.all():
        item = readiness_item_update(actor=actor, item=item, evidence_note="signed off")
        item = readiness_item_set_status(actor=actor, item=item, status="ready")
        readiness_item_approve(actor=actor, item=item)


def add_criterion(project, actor=None, metric="Availability"):
    return success_criterion_create(
        actor=actor or project.manager,
        project=project,
        metric=metric,
        target="99.9",
        unit="%",
        direction="at_least",
        owner=project.manager.username,
    )


@pytest.mark.django_db
class ProjectCreateTests:
    def test_creator_becomes_manager_with_checklist_and_gate(self):
        """A new project has its creator as manager, the seven core inputs and the gate."""
        user = UserFactory()
        project = project_create(
            actor=user,
            key="erp",
            name="ERP",
            time_zone="Europe/Berlin",
            planned_go_live=date(2027, 3, 1),
        )
        assert project.key == "ERP"
        assert project.phase == Phase.READINESS
        assert Membership.objects.get(project=project, user=user).role == Role.MANAGER
        assert project.readiness_items.count() == 7
        gate = project.gates.get(name="readiness")
        assert gate.opens_phase == Phase.EXECUTION
        assert sorted(gate.criteria.values_list("key", flat=True)) == [
            "checklist",
            "success-criteria",
        ]

    def test_sponsor_joins_as_approver(self):
        """Naming a sponsor makes them an approver of the project."""
        sponsor = UserFactory(username="cfo")
        project = project_create(actor=UserFactory(), key="FIN", name="Finance", sponsor="cfo")
        assert Membership.objects.get(project=project, user=sponsor).role == Role.APPROVER

    def test_duplicate_key_is_refused_and_nothing_written(self):
        """A second project with the same key fails on the key and writes nothing."""
        ProjectFactory(key="DUP")
        projects, events = Project.objects.count(), AuditEvent.objects.count()
        with pytest.raises(ValidationError) as exc:
            project_create(actor=UserFactory(), key="DUP", name="Again")
        assert "DUP already exists" in str(exc.value.message_dict["key"])
        assert (Project.objects.count(), AuditEvent.objects.count()) == (projects, events)

    @pytest.mark.parametrize(
        "field,kwargs",
        [
            ("key", {"key": "1X"}),
            ("key", {"key": "TOOLONGKEY1"}),
            ("time_zone", {"time_zone": "Mars/Olympus"}),
            ("name", {"name": ""}),
            ("sponsor", {"sponsor": "nobody"}),
        ],
    )
    def test_bad_input_names_the_field(self, field, kwargs):
        """Invalid keys, time zones, names and unknown users are refused per field."""
        values = {"key": "OK", "name": "Fine", **kwargs}
        with pytest.raises(ValidationError) as exc:
            project_create(actor=UserFactory(), **values)
        assert field in exc.value.message_dict
        assert not Project.objects.exists()


@pytest.mark.django_db
class ProjectUpdateTests:
    def test_manager_updates_and_version_increments(self):
        """A manager's change is saved, audited and bumps the version."""
        project = ProjectFactory()
        updated = project_update(
            actor=project.manager,
            project=project,
            version=1,
            name="Renamed",
            planned_go_live=date(2027, 1, 31),
        )
        assert (updated.name, updated.version) == ("Renamed", 2)
        event = AuditEvent.objects.filter(action="project.update").get()
        assert event.changes["name"][1] == "Renamed"

    def test_stale_version_is_refused_with_current_state(self):
        """Saving against an outdated version raises Conflict carrying the current version."""
        project = ProjectFactory()
        project_update(actor=project.manager, project=project, version=1, name="First")
        with pytest.raises(Conflict) as exc:
            project_update(actor=project.manager, project=project, version=1, name="Second")
        assert exc.value.current["version"] == 2
        assert exc.value.current["name"] == "First"
        project.refresh_from_db()
        assert project.name == "First"

    def test_roles_below_manager_cannot_edit(self):
        """An approver is refused; an outsider does not even learn the project exists."""
        project = ProjectFactory()
        team = team_for(project)
        with pytest.raises(PermissionDenied, match="manager role"):
            project_update(actor=team["approver"], project=project, name="X")
        with pytest.raises(NotFound):
            project_update(actor=UserFactory(), project=project, name="X")

    def test_manager_must_be_a_member(self):
        """Handing the project to a non-member is refused on the manager field."""
        project = ProjectFactory()
        UserFactory(username="stranger")
        with pytest.raises(ValidationError) as exc:
            project_update(actor=project.manager, project=project, manager="stranger")
        assert "not a member" in str(exc.value.message_dict["manager"])


@pytest.mark.django_db
class MembershipTests:
    def test_add_change_and_remove_member(self):
        """Managers add members, change their role and remove them."""
        project = ProjectFactory()
        user = UserFactory(username="dev")
        membership_set(actor=project.manager, project=project, user="dev", role="contributor")
        membership_set(actor=project.manager, project=project, user="dev", role="approver")
        assert Membership.objects.get(project=project, user=user).role == Role.APPROVER
        membership_remove(actor=project.manager, project=project, user="dev")
        assert not Membership.objects.filter(project=project, user=user).exists()

    def test_unknown_role_and_user_are_refused(self):
        """A role name that does not exist or an unknown user is a field error."""
        project = ProjectFactory()
        with pytest.raises(ValidationError) as exc:
            membership_set(actor=project.manager, project=project, user="x", role="boss")
        assert "role" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            membership_set(actor=project.manager, project=project, user="ghost", role="viewer")
        assert "ghost" in str(exc.value.message_dict["user"])

    def test_manager_cannot_be_removed_or_demoted(self):
        """The project's manager stays until another manager is named."""
        project = ProjectFactory()
        with pytest.raises(ValidationError):
            membership_remove(actor=project.manager, project=project, user=project.manager)
        with pytest.raises(ValidationError):
            membership_set(
                actor=project.manager, project=project, user=project.manager, role="viewer"
            )

    def test_only_managers_manage_members(self):
        """An approver cannot add members."""
        project = ProjectFactory()
        team = team_for(project)
        with pytest.raises(PermissionDenied):
            membership_set(
                actor=team["approver"], project=project, user=UserFactory(), role="viewer"
            )


@pytest.mark.django_db
class SuccessCriterionTests:
    def test_create_update_delete(self):
        """A success criterion is defined, changed with its version, and deleted."""
        project = ProjectFactory()
        criterion = add_criterion(project)
        assert str(criterion) == "Availability ≥ 99.9 %"
        criterion = success_criterion_update(
            actor=project.manager, criterion=criterion, version=1, target="99.95"
        )
        assert criterion.version == 2
        success_criterion_delete(actor=project.manager, criterion=criterion, version=2)
        assert not SuccessCriterion.objects.exists()

    def test_owner_must_be_member_and_target_a_number(self):
        """A non-member owner or a non-numeric target is refused per field."""
        project = ProjectFactory()
        UserFactory(username="outsider")
        with pytest.raises(ValidationError) as exc:
            success_criterion_create(
                actor=project.manager,
                project=project,
                metric="M",
                target="1",
                direction="at_least",
                owner="outsider",
            )
        assert "owner" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            success_criterion_create(
                actor=project.manager,
                project=project,
                metric="M",
                target="lots",
                direction="at_least",
                owner=project.manager,
            )
        assert "target" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            success_criterion_create(
                actor=project.manager,
                project=project,
                metric="M",
                target="1",
                direction="sideways",
                owner=project.manager,
            )
        assert "direction" in exc.value.message_dict
        assert not SuccessCriterion.objects.exists()

    def test_contributors_cannot_define_criteria(self):
        """Success criteria are set by managers."""
        project = ProjectFactory()
        team = team_for(project)
        with pytest.raises(PermissionDenied):
            add_criterion(project, actor=team["contributor"])


@pytest.mark.django_db
class PhaseAdvanceTests:
    def test_move_without_passing_gate_lists_failing_criteria(self):
        """Moving to execution while the gate fails names each failing criterion."""
        project = ProjectFactory()
        with pytest.raises(ValidationError) as exc:
            project_phase_advance(actor=project.manager, project=project, to_phase="execution")
        message = " ".join(exc.value.message_dict["phase"])
        assert "Readiness checklist complete" in message
        assert "No success criteria defined" in message
        project.refresh_from_db()
        assert project.phase == Phase.READINESS

    def test_move_with_passing_gate_still_needs_a_decision(self):
        """A passing gate is not enough: the move goes through a decision."""
        project = ProjectFactory()
        add_criterion(project)
        complete_checklist(project, project.manager)
        with pytest.raises(ValidationError, match="without an approved decision"):
            project_phase_advance(actor=project.manager, project=project, to_phase="execution")

    def test_approved_decision_moves_project_to_execution(self):
        """The decision reaching its quorum moves the project into execution."""
        project = ProjectFactory()
        add_criterion(project)
        complete_checklist(project, project.manager)
        gate = project.gates.get(name="readiness")
        decision = decision_vote(
            actor=project.manager,
            decision=decision_open(actor=project.manager, gate=gate),
            approve=True,
        )
        project.refresh_from_db()
        assert decision.status == "approved"
        assert project.phase == Phase.EXECUTION
        assert AuditEvent.objects.filter(
            action="project.phase", changes__phase=["readiness", "execution"]
        ).exists()

    def test_phases_cannot_be_skipped(self):
        """Only the next phase can be entered."""
        project = ProjectFactory()
        with pytest.raises(ValidationError, match="next phase"):
            project_phase_advance(actor=project.manager, project=project, to_phase="rollout")
        with pytest.raises(ValidationError, match="not a phase"):
            project_phase_advance(actor=project.manager, project=project, to_phase="done")
