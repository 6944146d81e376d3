"""Resources, skills, time off, assignments, procurement and settings through their services."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from golive.audit.models import AuditEvent
from golive.errors import Conflict, NotFound
from golive.projects.models import Membership
from golive.projects.tests.factories import ProjectFactory, UserFactory
from golive.resources.models import Assignment, ProcurementItem, Resource, ResourceSkill, Skill
from golive.resources.services import (
    assignment_create,
    assignment_delete,
    assignment_update,
    procurement_item_create,
    procurement_item_delete,
    procurement_item_update,
    resource_create,
    resource_delete,
    resource_settings_update,
    resource_update,
    skill_remove,
    skill_set,
    time_off_add,
    time_off_remove,
)
from golive.resources.tests.factories import (
    DAY,
    AssignmentFactory,
    ResourceFactory,
    package,
    staffed_plan,
)
from golive.work.models import WorkPackage
from golive.work.services import work_package_update

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def plan(db):
    return staffed_plan()


def local(dt):
    return dt.astimezone(BERLIN)


def actions(project):
    return list(AuditEvent.objects.filter(project_id=project.pk).values_list("action", flat=True))


@pytest.mark.django_db
class ResourceServiceTests:
    def test_create_update_delete_are_audited(self, plan):
        """A resource is created, changed with a version and deleted, each audited."""
        project, _, _, _ = plan
        pm = project.manager
        kit = resource_create(
            actor=pm, project=project, name=" Test rig ", kind="equipment", capacity_hours=24
        )
        assert kit.name == "Test rig" and kit.capacity_hours == Decimal("24")
        kit = resource_update(actor=pm, resource=kit, version=1, cost_rate="12.50")
        assert kit.version == 2 and kit.cost_rate == Decimal("12.50")
        with pytest.raises(Conflict):
            resource_update(actor=pm, resource=kit, version=1, name="Old copy")
        resource_delete(actor=pm, resource=kit)
        assert not Resource.objects.filter(pk=kit.pk).exists()
        done = actions(project)
        assert {"resource.create", "resource.update", "resource.delete"} <= set(done)

    def test_bad_input_is_refused_by_field(self, plan):
        """Duplicate names, non-members, users on equipment and bad numbers name the field."""
        project, team, _, _ = plan
        pm = project.manager
        with pytest.raises(ValidationError) as exc:
            resource_create(actor=pm, project=project, name="Ann")
        assert "already has a resource" in str(exc.value)
        stranger = UserFactory(username="stranger")
        with pytest.raises(ValidationError) as exc:
            resource_create(actor=pm, project=project, name="S", user=stranger)
        assert "user" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            resource_create(
                actor=pm, project=project, name="Crane", kind="equipment", user=team["viewer"]
            )
        assert "user" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            resource_create(actor=pm, project=project, name="X", capacity_hours="lots")
        assert "capacity_hours" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            resource_create(
                actor=pm,
                project=project,
                name="Y",
                available_from=date(2027, 3, 5),
                available_to=date(2027, 3, 1),
            )
        assert "Availability" in str(exc.value)

    def test_delete_and_zero_capacity_refused_while_assigned(self, plan):
        """An assigned resource cannot be deleted or lose its capacity; the packages are named."""
        project, _, _, people = plan
        with pytest.raises(ValidationError) as exc:
            resource_delete(actor=project.manager, resource=people["ann"])
        assert "1 Design" in str(exc.value) and "4 Docs" in str(exc.value)
        with pytest.raises(ValidationError) as exc:
            resource_update(actor=project.manager, resource=people["ann"], capacity_hours=0)
        assert "Ann" in str(exc.value) and "1 Design" in str(exc.value)

    def test_roles(self, plan):
        """Only managers manage resources; contributors are refused, outsiders not told."""
        project, team, _, people = plan
        for role in ("viewer", "contributor", "approver"):
            with pytest.raises(PermissionDenied):
                resource_create(actor=team[role], project=project, name=f"By {role}")
        with pytest.raises(NotFound):
            resource_update(actor=UserFactory(), resource=people["bob"], name="Robert")
        with pytest.raises(PermissionDenied):
            resource_delete(actor=team["contributor"], resource=people["bob"])

    def test_unknown_fields_refused(self, plan):
        """Fields a resource does not have are refused by name."""
        project, _, _, people = plan
        with pytest.raises(ValidationError) as exc:
            resource_update(actor=project.manager, resource=people["bob"], colour="red")
        assert "colour" in exc.value.message_dict


@pytest.mark.django_db
class SkillAndTimeOffTests:
    def test_skill_set_creates_updates_and_removes(self, plan):
        """A new skill name creates the skill; setting again changes the level; remove drops it."""
        project, _, _, people = plan
        pm = project.manager
        held = skill_set(actor=pm, resource=people["ann"], skill="SAP FI", level=3)
        assert held.level == 3 and Skill.objects.filter(project=project).count() == 1
        held = skill_set(actor=pm, resource=people["ann"], skill="sap fi", level=5)
        assert held.level == 5 and Skill.objects.filter(project=project).count() == 1
        with pytest.raises(ValidationError) as exc:
            skill_set(actor=pm, resource=people["ann"], skill="SAP FI", level=6)
        assert "level" in exc.value.message_dict
        skill_remove(actor=pm, resource=people["ann"], skill="SAP FI")
        assert not ResourceSkill.objects.filter(resource=people["ann"]).exists()
        with pytest.raises(ValidationError):
            skill_remove(actor=pm, resource=people["ann"], skill="SAP FI")
        assert {"resource_skill.set", "resource_skill.remove"} <= set(actions(project))

    def test_time_off_add_and_remove(self, plan):
        """Time off is recorded with its dates; reversed dates are refused."""
        project, team, _, people = plan
        pm = project.manager
        off = time_off_add(
            actor=pm,
            resource=people["bob"],
            start=date(2027, 3, 3),
            end=date(2027, 3, 4),
            reason="Training",
        )
        assert off.reason == "Training"
        with pytest.raises(ValidationError):
            time_off_add(
                actor=pm, resource=people["bob"], start=date(2027, 3, 4), end=date(2027, 3, 3)
            )
        with pytest.raises(PermissionDenied):
            time_off_remove(actor=team["contributor"], time_off=off)
        time_off_remove(actor=pm, time_off=off)
        assert not people["bob"].time_off.exists()
        assert {"time_off.add", "time_off.remove"} <= set(actions(project))

    def test_settings_update(self, plan):
        """The critical share is between 1 and 100 and versioned."""
        project, team, _, _ = plan
        settings = resource_settings_update(
            actor=project.manager, project=project, critical_share_percent=40
        )
        assert settings.critical_share_percent == 40 and settings.version == 2
        with pytest.raises(ValidationError):
            resource_settings_update(
                actor=project.manager, project=project, critical_share_percent=0
            )
        with pytest.raises(Conflict):
            resource_settings_update(
                actor=project.manager, project=project, critical_share_percent=30, version=1
            )
        with pytest.raises(PermissionDenied):
            resource_settings_update(
                actor=team["contributor"], project=project, critical_share_percent=30
            )


@pytest.mark.django_db
class AssignmentServiceTests:
    def test_fixed_duration_work_follows_units(self, plan):
        """At 50 % on a 3-day package the work is a day and a half; the duration stays."""
        project, team, wps, _people = plan
        kit = ResourceFactory(project=project, name="Kit", kind="equipment")
        a = assignment_create(
            actor=team["contributor"], package=wps["Build"], resource=kit, units=50
        )
        assert a.work == 3 * DAY // 2
        assert WorkPackage.objects.get(pk=wps["Build"].pk).duration == 3 * DAY
        a = assignment_update(actor=team["contributor"], assignment=a, version=1, units=25)
        assert a.work == 3 * DAY // 4 and a.version == 2
        assignment_delete(actor=team["contributor"], assignment=a)
        assert {"assignment.create", "assignment.update", "assignment.delete"} <= set(
            actions(project)
        )

    def test_effort_driven_sets_the_duration_and_reschedules(self, plan):
        """Two days of work at 50 % make a four-day package, and the successors move."""
        project, _, wps, _ = plan
        carl = ResourceFactory(project=project, name="Carl")
        assignment_create(
            actor=project.manager,
            package=wps["Build"],
            resource=carl,
            units=50,
            work=2 * DAY,
            effort_driven=True,
        )
        build = WorkPackage.objects.get(pk=wps["Build"].pk)
        assert build.duration == 4 * DAY
        bob_on_build = Assignment.objects.get(work_package=build, resource__name="Bob")
        assert bob_on_build.work == 4 * DAY  # fixed duration: its share of the new duration
        golive = WorkPackage.objects.get(pk=wps["Go-live"].pk)
        assert local(golive.early_finish).date() == date(2027, 3, 8)  # 2 + 4 working days

    def test_refusals_name_package_and_resource(self, plan):
        """Milestones, summaries, resources without capacity, departed people and missing skills
        are refused naming the package and the resource."""
        project, team, wps, people = plan
        pm = project.manager
        with pytest.raises(ValidationError) as exc:
            assignment_create(actor=pm, package=wps["Go-live"], resource=people["bob"])
        assert "3 Go-live is a milestone" in str(exc.value)
        phase = package(project, "Phase")
        package(project, "Step", parent=phase)
        with pytest.raises(ValidationError) as exc:
            assignment_create(actor=pm, package=phase, resource=people["bob"])
        assert "summary" in str(exc.value)
        idle = ResourceFactory(project=project, name="Idle", capacity_hours=0)
        with pytest.raises(ValidationError) as exc:
            assignment_create(actor=pm, package=wps["Docs"], resource=idle)
        assert "Idle has no capacity" in str(exc.value) and "4 Docs" in str(exc.value)
        gone = ResourceFactory(project=project, name="Gone", user=team["approver"])
        Membership.objects.filter(project=project, user=team["approver"]).delete()
        with pytest.raises(ValidationError) as exc:
            assignment_create(actor=pm, package=wps["Docs"], resource=gone)
        assert "Gone is not a member" in str(exc.value) and "4 Docs" in str(exc.value)
        skill_set(actor=pm, resource=people["bob"], skill="ABAP", level=2)
        with pytest.raises(ValidationError) as exc:
            assignment_create(
                actor=pm, package=wps["Docs"], resource=people["bob"], skill="ABAP", skill_level=4
            )
        assert "Bob has ABAP at level 2; 4 Docs needs level 4." in str(exc.value)
        with pytest.raises(ValidationError):
            AssignmentFactory(package=wps["Design"], resource=people["ann"])  # already assigned
        other = ProjectFactory(key="OTH")
        stranger = ResourceFactory(project=other, name="Other")
        with pytest.raises(ValidationError):
            assignment_create(actor=pm, package=wps["Docs"], resource=stranger)

    def test_roles(self, plan):
        """Contributors assign; viewers may not; outsiders are not told the project exists."""
        _project, team, wps, people = plan
        with pytest.raises(PermissionDenied):
            assignment_create(actor=team["viewer"], package=wps["Build"], resource=people["ann"])
        with pytest.raises(NotFound):
            assignment_create(actor=UserFactory(), package=wps["Build"], resource=people["ann"])
        a = assignment_create(
            actor=team["contributor"], package=wps["Build"], resource=people["ann"], units=20
        )
        with pytest.raises(PermissionDenied):
            assignment_delete(actor=team["viewer"], assignment=a)


@pytest.mark.django_db
class ProcurementServiceTests:
    def test_expected_delivery_defaults_to_order_plus_lead_time(self, plan):
        """Without an expected delivery, it is the order date plus the lead time."""
        project, team, _, _ = plan
        item = procurement_item_create(
            actor=team["contributor"],
            project=project,
            name="Servers",
            order_date=date(2027, 2, 1),
            lead_time_days=30,
        )
        assert item.expected_delivery == date(2027, 3, 3)
        item = procurement_item_update(actor=team["contributor"], item=item, lead_time_days=35)
        assert item.expected_delivery == date(2027, 3, 8)
        item = procurement_item_update(
            actor=team["contributor"], item=item, expected_delivery=date(2027, 3, 2)
        )
        assert item.expected_delivery == date(2027, 3, 2)

    def test_delivery_floor_moves_the_package_and_its_successors(self, plan):
        """Build waits for the servers; a recorded earlier delivery lets it start earlier."""
        project, team, wps, _ = plan
        item = procurement_item_create(
            actor=team["contributor"],
            project=project,
            name="Servers",
            expected_delivery=date(2027, 3, 8),
            work_packages=[wps["Build"]],
        )
        build = WorkPackage.objects.get(pk=wps["Build"].pk)
        assert local(build.early_start) == datetime(2027, 3, 8, 8, 0, tzinfo=BERLIN)
        golive = WorkPackage.objects.get(pk=wps["Go-live"].pk)
        assert local(golive.early_finish).date() == date(2027, 3, 10)
        procurement_item_update(
            actor=team["contributor"], item=item, actual_delivery=date(2027, 3, 2)
        )
        build.refresh_from_db()
        assert local(build.early_start) == datetime(2027, 3, 3, 8, 0, tzinfo=BERLIN)
        procurement_item_delete(actor=team["contributor"], item=item)
        assert not ProcurementItem.objects.filter(project=project).exists()
        assert {
            "procurement_item.create",
            "procurement_item.update",
            "procurement_item.delete",
        } <= set(actions(project))

    def test_floor_after_must_start_on_is_refused_naming_both(self, plan):
        """A delivery after a must-start-on date is refused naming the package and the item."""
        project, _, wps, _ = plan
        work_package_update(
            actor=project.manager,
            package=wps["Docs"],
            constraint_kind="mso",
            constraint_date=datetime(2027, 3, 2, 8, 0, tzinfo=BERLIN),
        )
        with pytest.raises(ValidationError) as exc:
            procurement_item_create(
                actor=project.manager,
                project=project,
                name="Licences",
                expected_delivery=date(2027, 3, 4),
                work_packages=[wps["Docs"]],
            )
        assert "4 Docs must start on 2027-03-02 08:00" in str(exc.value)
        assert "Licences" in str(exc.value)
        assert not ProcurementItem.objects.exists()

    def test_refusals_and_roles(self, plan):
        """Packages of another project, negative lead times and viewers are refused."""
        project, team, _, _ = plan
        other = ProjectFactory(key="OTH")
        theirs = package(other, "Theirs")
        with pytest.raises(ValidationError) as exc:
            procurement_item_create(
                actor=project.manager, project=project, name="X", work_packages=[theirs]
            )
        assert "work_packages" in exc.value.message_dict
        with pytest.raises(ValidationError):
            procurement_item_create(
                actor=project.manager, project=project, name="Y", lead_time_days=-3
            )
        with pytest.raises(PermissionDenied):
            procurement_item_create(actor=team["viewer"], project=project, name="Z")
        with pytest.raises(NotFound):
            procurement_item_create(actor=UserFactory(), project=project, name="Z")
