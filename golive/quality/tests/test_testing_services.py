"""Requirements, test plans, cases, runs and manual results through their services."""

from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from golive.audit.models import AuditEvent
from golive.errors import Conflict, NotFound
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.quality.models import Requirement, TestCase, TestResult
from golive.quality.services.testing import (
    requirement_create,
    requirement_delete,
    requirement_update,
    test_case_create,
    test_case_update,
    test_plan_create,
    test_plan_update,
    test_result_record,
    test_run_create,
)
from golive.quality.tests.factories import (
    RequirementFactory,
    TestCaseFactory,
    TestPlanFactory,
    TestRunFactory,
)
from golive.work.services import work_package_create


@pytest.fixture
def qa(db):
    """A project with a team and two work packages (WBS 1 and 2)."""
    project = ProjectFactory(key="QA")
    team = team_for(project)
    for name in ("Design", "Build"):
        work_package_create(
            actor=project.manager, project=project, name=name, owner=project.manager
        )
    return project, team


def events(action):
    return list(AuditEvent.objects.filter(action=action))


@pytest.mark.django_db
class RequirementTests:
    def test_create_links_work_packages_by_wbs_or_id(self, qa):
        """A requirement traces to work packages given as WBS codes or ids; audited."""
        project, team = qa
        second = project.work_packages.get(wbs="2")
        req = requirement_create(
            actor=team["contributor"],
            project=project,
            ref="REQ-1",
            text="Invoices are posted nightly.",
            priority="must",
            work_packages=["1", second.pk],
        )
        assert sorted(req.work_packages.values_list("wbs", flat=True)) == ["1", "2"]
        (event,) = events("requirement.create")
        assert event.changes["ref"] == [None, "REQ-1"]
        assert event.changes["work_packages"] == [[], ["1", "2"]]

    def test_unknown_work_packages_are_named(self, qa):
        """Unknown work package references are all named in the error; nothing is stored."""
        project, team = qa
        with pytest.raises(ValidationError) as caught:
            requirement_create(
                actor=team["contributor"],
                project=project,
                ref="REQ-1",
                text="x",
                work_packages=["1", "9.9", 123456],
            )
        message = caught.value.message_dict["work_packages"][0]
        assert "'9.9'" in message and "123456" in message
        assert not Requirement.objects.exists()

    def test_work_package_of_another_project_is_unknown(self, qa):
        """A work package id from another project is refused like an unknown one."""
        project, team = qa
        other = ProjectFactory(key="OTHER")
        wp = work_package_create(actor=other.manager, project=other, name="X", owner=other.manager)
        with pytest.raises(ValidationError, match="no work package"):
            requirement_create(
                actor=team["contributor"], project=project, ref="R", text="x", work_packages=[wp]
            )

    def test_duplicate_ref_is_a_field_error(self, qa):
        """A second requirement with the same ref is refused on `ref`."""
        project, team = qa
        requirement_create(actor=team["contributor"], project=project, ref="REQ-1", text="a")
        with pytest.raises(ValidationError) as caught:
            requirement_create(actor=team["contributor"], project=project, ref="REQ-1", text="b")
        assert "REQ-1" in caught.value.message_dict["ref"][0]

    def test_bad_choice_and_ref_are_field_errors(self, qa):
        """An unknown priority and a ref with spaces are refused on their fields."""
        project, team = qa
        with pytest.raises(ValidationError) as caught:
            requirement_create(
                actor=team["contributor"], project=project, ref="A B", text="x", priority="asap"
            )
        assert set(caught.value.message_dict) >= {"ref", "priority"}

    def test_viewer_may_not_create_and_outsider_gets_not_found(self, qa):
        """Viewers are refused; non-members do not learn the project exists."""
        project, team = qa
        with pytest.raises(PermissionDenied):
            requirement_create(actor=team["viewer"], project=project, ref="R", text="x")
        with pytest.raises(NotFound):
            requirement_create(actor=UserFactory(), project=project, ref="R", text="x")

    def test_update_bumps_version_and_audits(self, qa):
        """An update changes fields and work packages, bumps the version and is audited."""
        project, team = qa
        req = requirement_create(
            actor=team["contributor"], project=project, ref="REQ-1", text="a", work_packages=["1"]
        )
        req = requirement_update(
            actor=team["contributor"],
            requirement=req,
            version=1,
            status="approved",
            work_packages=["2"],
        )
        assert req.version == 2 and req.status == "approved"
        assert list(req.work_packages.values_list("wbs", flat=True)) == ["2"]
        (event,) = events("requirement.update")
        assert event.changes == {
            "status": ["proposed", "approved"],
            "work_packages": [["1"], ["2"]],
        }

    def test_update_without_change_writes_nothing(self, qa):
        """Saving the same values keeps the version and writes no audit event."""
        project, team = qa
        req = requirement_create(actor=team["contributor"], project=project, ref="R", text="a")
        req = requirement_update(actor=team["contributor"], requirement=req, text="a")
        assert req.version == 1 and not events("requirement.update")

    def test_stale_update_is_a_conflict(self, qa):
        """An update made against an old version is refused with a Conflict."""
        project, team = qa
        req = requirement_create(actor=team["contributor"], project=project, ref="R", text="a")
        requirement_update(actor=team["contributor"], requirement=req, version=1, text="b")
        with pytest.raises(Conflict, match="version 1"):
            requirement_update(actor=team["contributor"], requirement=req, version=1, text="c")

    def test_rename_to_a_taken_ref_is_refused(self, qa):
        """Renaming a requirement to another one's ref is a field error."""
        project, team = qa
        requirement_create(actor=team["contributor"], project=project, ref="R1", text="a")
        second = requirement_create(actor=team["contributor"], project=project, ref="R2", text="b")
        with pytest.raises(ValidationError) as caught:
            requirement_update(actor=team["contributor"], requirement=second, ref="R1")
        assert "ref" in caught.value.message_dict

    def test_unknown_field_is_refused(self, qa):
        """Only the documented fields can be changed."""
        project, team = qa
        req = RequirementFactory(project=project)
        with pytest.raises(ValidationError) as caught:
            requirement_update(actor=team["contributor"], requirement=req, project=None)
        assert "project" in caught.value.message_dict

    def test_delete_is_for_managers_and_audited(self, qa):
        """Contributors may not delete; a manager's delete is audited."""
        project, team = qa
        req = RequirementFactory(project=project, ref="GONE")
        with pytest.raises(PermissionDenied):
            requirement_delete(actor=team["contributor"], requirement=req)
        requirement_delete(actor=project.manager, requirement=req, version=1)
        assert not Requirement.objects.filter(ref="GONE").exists()
        (event,) = events("requirement.delete")
        assert event.changes["ref"] == ["GONE", None]


@pytest.mark.django_db
class TestPlanTests:
    def test_create_and_update(self, qa):
        """A plan has a member as owner; updates bump the version."""
        project, team = qa
        plan = test_plan_create(
            actor=team["contributor"],
            project=project,
            name="UAT wave 1",
            owner=team["approver"].username,
            environment="staging",
        )
        assert plan.owner == team["approver"]
        plan = test_plan_update(
            actor=team["contributor"], plan=plan, version=1, exit_criteria="No critical defects"
        )
        assert plan.version == 2
        assert events("test_plan.update")[0].changes == {
            "exit_criteria": ["", "No critical defects"]
        }

    def test_non_member_owner_is_refused(self, qa):
        """The owner must be a member of the project."""
        project, team = qa
        outsider = UserFactory()
        with pytest.raises(ValidationError) as caught:
            test_plan_create(actor=team["contributor"], project=project, name="P", owner=outsider)
        assert "not a member" in caught.value.message_dict["owner"][0]
        plan = TestPlanFactory(project=project)
        with pytest.raises(ValidationError, match="not a member"):
            test_plan_update(actor=team["contributor"], plan=plan, owner=outsider)

    def test_duplicate_name_is_a_field_error(self, qa):
        """Two plans of a project cannot share a name."""
        project, team = qa
        TestPlanFactory(project=project, name="Regression")
        with pytest.raises(ValidationError) as caught:
            test_plan_create(
                actor=team["contributor"], project=project, name="Regression", owner=project.manager
            )
        assert "name" in caught.value.message_dict


@pytest.mark.django_db
class TestCaseTests:
    def test_key_defaults_to_a_unique_slug(self, qa):
        """Without a key, the title's slug is used, numbered when taken."""
        project, team = qa
        first = test_case_create(actor=team["contributor"], project=project, title="Log in")
        second = test_case_create(actor=team["contributor"], project=project, title="Log in")
        assert (first.key, second.key) == ("log-in", "log-in-2")

    def test_steps_plan_and_requirements(self, qa):
        """Steps are stored cleaned; requirements given by ref or id, the plan by name."""
        project, team = qa
        plan = TestPlanFactory(project=project, name="UAT")
        r1 = RequirementFactory(project=project, ref="REQ-1")
        r2 = RequirementFactory(project=project, ref="REQ-2")
        case = test_case_create(
            actor=team["contributor"],
            project=project,
            title="Post an invoice",
            type="uat",
            steps=[{"action": " Open ", "expected": "Form shown"}, {"action": "Save"}],
            plan="UAT",
            requirements=["REQ-1", r2.pk],
        )
        assert case.plan == plan and case.type == "uat"
        assert case.steps == [
            {"action": "Open", "expected": "Form shown"},
            {"action": "Save", "expected": ""},
        ]
        assert set(case.requirements.all()) == {r1, r2}
        assert events("test_case.create")[0].changes["requirements"] == [[], ["REQ-1", "REQ-2"]]

    @pytest.mark.parametrize(
        "steps",
        [
            "click",
            [{"action": "a", "result": "b"}],
            [{"expected": "b"}],
            ["step one"],
            [{"action": 3, "expected": ""}],
        ],
    )
    def test_bad_steps_are_refused(self, qa, steps):
        """Steps must be a list of {action, expected}."""
        project, team = qa
        with pytest.raises(ValidationError) as caught:
            test_case_create(actor=team["contributor"], project=project, title="T", steps=steps)
        assert "steps" in caught.value.message_dict
        assert not TestCase.objects.exists()

    def test_unknown_requirement_refs_are_named(self, qa):
        """Unknown requirement refs are named in the error."""
        project, team = qa
        RequirementFactory(project=project, ref="REQ-1")
        with pytest.raises(ValidationError) as caught:
            test_case_create(
                actor=team["contributor"],
                project=project,
                title="T",
                requirements=["REQ-1", "REQ-404"],
            )
        assert "REQ-404" in caught.value.message_dict["requirements"][0]

    def test_bad_type_and_duplicate_key(self, qa):
        """An unknown type and a taken key are field errors."""
        project, team = qa
        TestCaseFactory(project=project, key="k")
        with pytest.raises(ValidationError) as caught:
            test_case_create(actor=team["contributor"], project=project, title="T", type="smoke")
        assert "type" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            test_case_create(actor=team["contributor"], project=project, title="T", key="k")
        assert "key" in caught.value.message_dict

    def test_update_requirements_and_version(self, qa):
        """Updating links and steps bumps the version; a stale version is refused."""
        project, team = qa
        case = TestCaseFactory(project=project)
        RequirementFactory(project=project, ref="REQ-9")
        case = test_case_update(
            actor=team["contributor"],
            case=case,
            version=1,
            requirements=["REQ-9"],
            steps=[{"action": "Go", "expected": "Gone"}],
        )
        assert case.version == 2 and list(case.requirements.values_list("ref", flat=True)) == [
            "REQ-9"
        ]
        with pytest.raises(Conflict):
            test_case_update(actor=team["contributor"], case=case, version=1, title="Late")

    def test_viewer_may_not_edit(self, qa):
        """Viewers cannot create or change cases."""
        project, team = qa
        case = TestCaseFactory(project=project)
        with pytest.raises(PermissionDenied):
            test_case_create(actor=team["viewer"], project=project, title="T")
        with pytest.raises(PermissionDenied):
            test_case_update(actor=team["viewer"], case=case, title="New")


@pytest.mark.django_db
class TestRunTests:
    def test_create(self, qa):
        """A manual run is created by the actor, now, and audited."""
        project, team = qa
        plan = TestPlanFactory(project=project)
        run = test_run_create(
            actor=team["contributor"], project=project, name="Sprint 5", plan=plan.pk, build="5.0"
        )
        assert run.source == "manual" and run.created_by == team["contributor"]
        assert run.plan == plan and run.started_at is not None
        assert events("test_run.create")

    def test_duplicate_name_and_naive_time(self, qa):
        """Run names are unique per project; a start time needs its zone."""
        project, team = qa
        TestRunFactory(project=project, name="R1")
        with pytest.raises(ValidationError) as caught:
            test_run_create(actor=team["contributor"], project=project, name="R1")
        assert "name" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            test_run_create(
                actor=team["contributor"],
                project=project,
                name="R2",
                started_at=datetime(2027, 1, 1, 9),
            )
        assert "started_at" in caught.value.message_dict

    def test_unknown_plan_is_named(self, qa):
        """A plan that is not the project's is refused on `plan`."""
        project, team = qa
        with pytest.raises(ValidationError) as caught:
            test_run_create(actor=team["contributor"], project=project, name="R", plan="Nope")
        assert "Nope" in caught.value.message_dict["plan"][0]


@pytest.mark.django_db
class TestResultRecordTests:
    def test_record_and_replace(self, qa):
        """Recording twice for a case replaces the result in place; both are audited."""
        project, team = qa
        case = TestCaseFactory(
            project=project,
            steps=[{"action": "a", "expected": "b"}, {"action": "c", "expected": ""}],
        )
        run = TestRunFactory(project=project)
        first = test_result_record(
            actor=team["contributor"],
            run=run,
            case=case.key,
            outcome="failed",
            steps=[{"outcome": "passed", "note": ""}, {"outcome": "failed", "note": "crash"}],
            message="crashed at step 2",
        )
        second = test_result_record(
            actor=team["approver"], run=run, case=case, outcome="passed", duration=12
        )
        assert first.pk == second.pk and TestResult.objects.count() == 1
        second.refresh_from_db()
        assert second.outcome == "passed" and second.executed_by == team["approver"]
        assert second.steps == [] and second.duration == 12.0
        assert [
            e.action
            for e in AuditEvent.objects.filter(action__startswith="test_result").order_by("seq")
        ] == [
            "test_result.record",
            "test_result.replace",
        ]

    def test_bad_outcome_is_refused(self, qa):
        """An outcome outside passed/failed/error/skipped/blocked is a field error."""
        project, team = qa
        run = TestRunFactory(project=project)
        case = TestCaseFactory(project=project)
        with pytest.raises(ValidationError) as caught:
            test_result_record(actor=team["contributor"], run=run, case=case, outcome="ok")
        assert "'ok'" in caught.value.message_dict["outcome"][0]

    def test_bad_steps_and_too_many_steps(self, qa):
        """Step results must name a valid outcome and not outnumber the case's steps."""
        project, team = qa
        run = TestRunFactory(project=project)
        case = TestCaseFactory(project=project, steps=[{"action": "a", "expected": ""}])
        for steps in ([{"outcome": "meh"}], [{"outcome": "passed"}, {"outcome": "passed"}]):
            with pytest.raises(ValidationError) as caught:
                test_result_record(
                    actor=team["contributor"], run=run, case=case, outcome="passed", steps=steps
                )
            assert "steps" in caught.value.message_dict
        assert not TestResult.objects.exists()

    def test_case_of_another_project_is_refused(self, qa):
        """A case from another project is not found in this run's project."""
        project, team = qa
        run = TestRunFactory(project=project)
        foreign = TestCaseFactory()
        with pytest.raises(ValidationError, match="no test case"):
            test_result_record(actor=team["contributor"], run=run, case=foreign, outcome="passed")

    def test_evidence_file_is_stored(self, qa):
        """An evidence file is saved with the result."""
        project, team = qa
        run = TestRunFactory(project=project)
        case = TestCaseFactory(project=project)
        result = test_result_record(
            actor=team["contributor"],
            run=run,
            case=case,
            outcome="passed",
            evidence_note="screenshot attached",
            evidence_file=SimpleUploadedFile("shot.png", b"\x89PNG..."),
        )
        assert result.evidence_file.name.endswith("shot.png")
        assert result.evidence_file.read() == b"\x89PNG..."

    def test_roles(self, qa):
        """Viewers may not record results; outsiders get NotFound."""
        project, team = qa
        run = TestRunFactory(project=project)
        case = TestCaseFactory(project=project)
        with pytest.raises(PermissionDenied):
            test_result_record(actor=team["viewer"], run=run, case=case, outcome="passed")
        with pytest.raises(NotFound):
            test_result_record(actor=UserFactory(), run=run, case=case, outcome="passed")
