"""The quality pages through Django's test client: roles, writes, refusals, query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.quality.models import Defect, Requirement, SignOff, TestCase, TestResult, TestRun
from golive.quality.services import testing
from golive.quality.services.defects import defect_report
from golive.quality.services.signoffs import signoff_open
from golive.quality.services.testing import requirement_create
from golive.quality.tests.factories import (
    RequirementFactory,
    TestCaseFactory,
    TestResultFactory,
    TestRunFactory,
)

JUNIT = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="checkout" tests="2">
  <testcase classname="checkout.Cart" name="test_total" time="0.2"/>
  <testcase classname="checkout.Cart" name="test_vat" time="0.1">
    <failure message="expected 19 got 16">AssertionError</failure>
  </testcase>
</testsuite>
"""


@pytest.fixture
def project(db):
    return ProjectFactory(key="ERP", name="ERP rollout")


@pytest.fixture
def team(project):
    return team_for(project)


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def world(project, team):
    """A requirement, a plan with a manual two-step case, a run with a failure, a defect, a sign-off."""
    manager = project.manager
    req = requirement_create(actor=manager, project=project, ref="REQ-1", text="Totals add up.")
    plan = testing.test_plan_create(actor=manager, project=project, name="UAT", owner=manager)
    case = testing.test_case_create(
        actor=manager,
        project=project,
        title="Order total",
        key="uat::order-total",
        plan=plan,
        requirements=[req],
        steps=[{"action": "Add two items", "expected": "Both listed"}, {"action": "Pay"}],
    )
    run = testing.test_run_create(actor=manager, project=project, name="UAT round 1", plan=plan)
    result = testing.test_result_record(
        actor=manager, run=run, case=case, outcome="failed", message="Total is off by 3"
    )
    defect = defect_report(
        actor=manager, project=project, title="Total wrong", severity="high", found_in=result
    )
    signoff = signoff_open(
        actor=manager, project=project, name="UAT sign-off", approvers=[team["approver"]]
    )
    return {
        "requirement": req,
        "plan": plan,
        "case": case,
        "run": run,
        "result": result,
        "defect": defect,
        "signoff": signoff,
    }


def url(view: str, project, **kwargs) -> str:
    return reverse(f"web:{view}", kwargs={"key": project.key, **kwargs})


def pages(world):
    """Every quality page as (url name, its keyword arguments)."""
    return [
        ("quality", {}),
        ("quality_requirements", {}),
        ("quality_plans", {}),
        ("quality_plan", {"plan_id": world["plan"].pk}),
        ("quality_case", {"case_id": world["case"].pk}),
        ("quality_runs", {}),
        ("quality_run", {"run_id": world["run"].pk}),
        ("quality_execute", {"run_id": world["run"].pk, "case_id": world["case"].pk}),
        ("quality_defects", {}),
        ("quality_defect", {"number": world["defect"].number}),
        ("quality_signoffs", {}),
        ("quality_signoff", {"signoff_id": world["signoff"].pk}),
        ("quality_traceability", {}),
        ("quality_traceability_csv", {}),
    ]


@pytest.mark.django_db
class QualityPageAccessTests:
    def test_every_page_renders_for_a_viewer(self, client, project, team, world):
        """Each quality page renders for a viewer, without any write action on it."""
        client.force_login(team["viewer"])
        for name, kwargs in pages(world):
            response = client.get(url(name, project, **kwargs))
            assert response.status_code == 200, name
            if name != "quality_traceability_csv":
                content = response.content.decode()
                assert "ERP rollout" in content, name
                assert 'name="op" value="transition"' not in content, name
                assert "Add requirement" not in content, name
                assert "Import results" not in content, name
                assert "Raise defect" not in content, name

    def test_outsider_gets_404_everywhere(self, client, project, outsider, world):
        """A non-member gets 404 on every quality page."""
        client.force_login(outsider)
        for name, kwargs in pages(world):
            response = client.get(url(name, project, **kwargs))
            assert response.status_code == 404, name
            assert b"ERP rollout" not in response.content, name

    def test_project_bar_links_quality(self, client, project, team):
        """The project navigation has a Quality tab."""
        client.force_login(team["viewer"])
        content = client.get(url("project_dashboard", project)).content.decode()
        assert f'href="{url("quality", project)}"' in content

    def test_csv_export(self, client, project, team, world):
        """The traceability CSV downloads with one line per requirement and case."""
        client.force_login(team["viewer"])
        response = client.get(url("quality_traceability_csv", project))
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        lines = response.content.decode().strip().splitlines()
        assert lines[0].startswith("requirement,")
        assert "REQ-1" in lines[1] and "uat::order-total" in lines[1] and "failed" in lines[1]


@pytest.mark.django_db
class RequirementPageTests:
    def test_contributor_adds_and_edits_in_place(self, client, project, team, world):
        """A contributor adds a requirement, then edits it through the htmx row form."""
        client.force_login(team["contributor"])
        response = client.post(
            url("quality_requirements", project),
            {"ref": "REQ-2", "text": "Invoices print.", "priority": "must", "status": "proposed"},
        )
        assert response.status_code == 302
        req = Requirement.objects.get(project=project, ref="REQ-2")
        edit = client.get(
            url("quality_requirement", project, requirement_id=req.pk),
            {"edit": 1},
            HTTP_HX_REQUEST="true",
        )
        assert 'name="text"' in edit.content.decode()
        response = client.post(
            url("quality_requirement", project, requirement_id=req.pk),
            {
                "ref": "REQ-2",
                "text": "Invoices print on A4.",
                "priority": "must",
                "status": "approved",
                "version": req.version,
            },
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        assert "<html" not in response.content.decode()
        req.refresh_from_db()
        assert req.text == "Invoices print on A4." and req.status == "approved"

    def test_viewer_cannot_add(self, client, project, team):
        """A viewer's POST is refused and stores nothing."""
        client.force_login(team["viewer"])
        response = client.post(
            url("quality_requirements", project),
            {"ref": "REQ-9", "text": "x", "priority": "must", "status": "proposed"},
        )
        assert response.status_code == 403
        assert not Requirement.objects.filter(ref="REQ-9").exists()

    def test_duplicate_ref_shows_error_and_stores_nothing(self, client, project, team, world):
        """A requirement whose identifier exists is refused with the message on the form."""
        client.force_login(team["contributor"])
        response = client.post(
            url("quality_requirements", project),
            {"ref": "REQ-1", "text": "Again", "priority": "must", "status": "proposed"},
        )
        assert response.status_code == 422
        assert "already has a requirement" in response.content.decode()
        assert Requirement.objects.filter(project=project).count() == 1

    def test_stale_edit_is_refused(self, client, project, team, world):
        """An edit made on an old version is refused with the conflict message."""
        req = world["requirement"]
        client.force_login(team["contributor"])
        response = client.post(
            url("quality_requirement", project, requirement_id=req.pk),
            {
                "ref": "REQ-1",
                "text": "Changed",
                "priority": "must",
                "status": "proposed",
                "version": req.version + 5,
            },
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 409
        req.refresh_from_db()
        assert req.text == "Totals add up."

    def test_list_queries_do_not_grow(self, client, project, team):
        """The register takes the same number of queries for 3 or 30 requirements."""
        client.force_login(team["viewer"])
        for _ in range(3):
            RequirementFactory(project=project)
        with CaptureQueriesContext(connection) as small:
            assert client.get(url("quality_requirements", project)).status_code == 200
        for _ in range(27):
            req = RequirementFactory(project=project)
            TestCaseFactory(project=project, requirements=[req])
        with CaptureQueriesContext(connection) as large:
            assert client.get(url("quality_requirements", project)).status_code == 200
        assert len(large) == len(small)


@pytest.mark.django_db
class PlanAndCasePageTests:
    def test_add_case_with_steps(self, client, project, team, world):
        """A contributor adds a case with its steps to a plan; empty step rows are dropped."""
        client.force_login(team["contributor"])
        response = client.post(
            url("quality_plan", project, plan_id=world["plan"].pk),
            {
                "title": "Refund",
                "type": "uat",
                "action_0": "Open the order",
                "expected_0": "Order shown",
                "action_1": "",
                "expected_1": "",
                "action_2": "Refund it",
                "expected_2": "",
            },
        )
        assert response.status_code == 302
        case = TestCase.objects.get(project=project, title="Refund")
        assert case.plan_id == world["plan"].pk
        assert [s["action"] for s in case.steps] == ["Open the order", "Refund it"]

    def test_plan_list_and_plan_queries_do_not_grow(self, client, project, team, world):
        """Plans and a plan's cases take the same number of queries for few or many rows."""
        manager = project.manager
        plan = world["plan"]
        client.force_login(team["viewer"])
        with CaptureQueriesContext(connection) as small_list:
            client.get(url("quality_plans", project))
        with CaptureQueriesContext(connection) as small_plan:
            client.get(url("quality_plan", project, plan_id=plan.pk))
        for i in range(10):
            testing.test_plan_create(actor=manager, project=project, name=f"P{i}", owner=manager)
            req = RequirementFactory(project=project)
            TestCaseFactory(project=project, plan=plan, requirements=[req])
        with CaptureQueriesContext(connection) as large_list:
            client.get(url("quality_plans", project))
        with CaptureQueriesContext(connection) as large_plan:
            client.get(url("quality_plan", project, plan_id=plan.pk))
        assert len(large_list) == len(small_list)
        assert len(large_plan) == len(small_plan)

    def test_unknown_requirement_shows_error(self, client, project, team, world):
        """A case naming a requirement that does not exist is refused, nothing stored."""
        client.force_login(team["contributor"])
        response = client.post(
            url("quality_plan", project, plan_id=world["plan"].pk),
            {"title": "Bad", "type": "uat", "requirements": "REQ-404"},
        )
        assert response.status_code == 422
        assert "REQ-404" in response.content.decode()
        assert not TestCase.objects.filter(title="Bad").exists()


@pytest.mark.django_db
class RunPageTests:
    def test_junit_upload_creates_run_with_results(self, client, project, team):
        """Uploading a JUnit file creates the run and shows its failure."""
        client.force_login(team["contributor"])
        upload = SimpleUploadedFile("report.xml", JUNIT, content_type="text/xml")
        response = client.post(
            url("quality_runs", project),
            {"op": "junit", "run_name": "CI 42", "files": [upload], "test_type": "functional"},
        )
        assert response.status_code == 302
        run = TestRun.objects.get(project=project, name="CI 42")
        page = client.get(url("quality_run", project, run_id=run.pk), {"outcome": "failed"})
        content = page.content.decode()
        assert "test_vat" in content and "test_total" not in content
        assert "Raise defect" in content

    def test_broken_junit_names_file_and_line_and_stores_nothing(self, client, project, team):
        """A malformed report is refused naming the file and line; no run or result is kept."""
        client.force_login(team["contributor"])
        good = SimpleUploadedFile("good.xml", JUNIT, content_type="text/xml")
        bad = SimpleUploadedFile(
            "broken.xml", b"<testsuite>\n<testcase name='a'>\n</testsuite>", content_type="text/xml"
        )
        response = client.post(
            url("quality_runs", project),
            {"op": "junit", "run_name": "CI 43", "files": [good, bad], "test_type": "functional"},
        )
        assert response.status_code == 422
        content = response.content.decode()
        assert "broken.xml" in content and "line" in content
        assert not TestRun.objects.filter(name="CI 43").exists()
        assert not TestResult.objects.filter(run__project=project).exists()

    def test_viewer_cannot_create_run(self, client, project, team):
        """A viewer may not create a run."""
        client.force_login(team["viewer"])
        response = client.post(url("quality_runs", project), {"op": "create", "name": "R"})
        assert response.status_code == 403
        assert not TestRun.objects.filter(project=project).exists()

    def test_manual_execution_step_by_step(self, client, project, team, world):
        """A contributor records each step and the overall outcome; the result replaces the old."""
        client.force_login(team["contributor"])
        response = client.post(
            url("quality_execute", project, run_id=world["run"].pk, case_id=world["case"].pk),
            {
                "step_0": "passed",
                "note_0": "both there",
                "step_1": "passed",
                "note_1": "",
                "outcome": "passed",
                "evidence_note": "Screenshot in ticket",
            },
        )
        assert response.status_code == 302
        result = TestResult.objects.get(run=world["run"], case=world["case"])
        assert result.outcome == "passed"
        assert result.steps[0] == {"outcome": "passed", "note": "both there"}
        assert result.evidence_note == "Screenshot in ticket"

    def test_evidence_file_downloads_for_members_only(self, client, project, team, world, outsider):
        """An evidence file attached during execution downloads for a viewer, 404 for others."""
        client.force_login(team["contributor"])
        client.post(
            url("quality_execute", project, run_id=world["run"].pk, case_id=world["case"].pk),
            {
                "outcome": "passed",
                "evidence_file": SimpleUploadedFile("ledger.csv", b"a,b\n1,2\n"),
            },
        )
        result = TestResult.objects.get(run=world["run"], case=world["case"])
        target = url("quality_evidence", project, result_id=result.pk)
        client.force_login(team["viewer"])
        assert (
            b"Evidence file"
            in client.get(url("quality_run", project, run_id=world["run"].pk)).content
        )
        response = client.get(target)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"a,b\n1,2\n"
        client.force_login(outsider)
        assert client.get(target).status_code == 404

    def test_raise_defect_prefills_from_result(self, client, project, team, world):
        """The raise-defect link opens the report form filled from the failed result."""
        client.force_login(team["contributor"])
        response = client.get(url("quality_defects", project), {"result": world["result"].pk})
        content = response.content.decode()
        assert "Order total: Total is off by 3" in content
        assert f'value="{world["result"].pk}"' in content

    def test_runs_list_queries_do_not_grow(self, client, project, team):
        """The runs list and a run's results take the same queries for few or many rows."""
        client.force_login(team["viewer"])
        run = TestRunFactory(project=project)
        for _ in range(2):
            TestResultFactory(run=run, case=TestCaseFactory(project=project), outcome="failed")
        TestRunFactory(project=project)
        with CaptureQueriesContext(connection) as small_list:
            client.get(url("quality_runs", project))
        with CaptureQueriesContext(connection) as small_run:
            client.get(url("quality_run", project, run_id=run.pk))
        for _ in range(20):
            TestResultFactory(run=run, case=TestCaseFactory(project=project), outcome="failed")
            TestRunFactory(project=project)
        with CaptureQueriesContext(connection) as large_list:
            client.get(url("quality_runs", project))
        with CaptureQueriesContext(connection) as large_run:
            client.get(url("quality_run", project, run_id=run.pk))
        assert len(large_list) == len(small_list)
        assert len(large_run) == len(small_run)


@pytest.mark.django_db
class DefectPageTests:
    def test_report_from_result(self, client, project, team, world):
        """Reporting links the result and its case."""
        client.force_login(team["contributor"])
        response = client.post(
            url("quality_defects", project),
            {
                "title": "VAT wrong",
                "severity": "40",
                "priority": "1",
                "found_in": world["result"].pk,
                "cases": world["case"].key,
            },
        )
        assert response.status_code == 302
        defect = Defect.objects.get(project=project, title="VAT wrong")
        assert defect.found_in_id == world["result"].pk
        assert defect.blocks_go_live

    def test_workflow_buttons_follow_status_and_role(self, client, project, team, world):
        """A new defect offers triage and close to contributors, nothing to viewers."""
        number = world["defect"].number
        client.force_login(team["contributor"])
        content = client.get(url("quality_defect", project, number=number)).content.decode()
        assert 'name="action" value="triage"' in content
        assert 'name="action" value="fix"' not in content
        assert "Go-live flag" not in content
        client.force_login(team["manager"])
        content = client.get(url("quality_defect", project, number=number)).content.decode()
        assert "Go-live flag" in content

    def test_transition_and_refusal(self, client, project, team, world):
        """Triage works; closing without a retest is refused with the service's message."""
        defect = world["defect"]
        client.force_login(team["contributor"])
        target = url("quality_defect", project, number=defect.number)
        response = client.post(
            target, {"op": "transition", "action": "triage", "version": defect.version}
        )
        assert response.status_code == 302
        defect.refresh_from_db()
        assert defect.status == "triaged"
        response = client.post(
            target, {"op": "transition", "action": "fix", "version": defect.version}
        )
        assert response.status_code == 422
        assert "not possible from there" in response.content.decode()
        defect.refresh_from_db()
        assert defect.status == "triaged"

    def test_triage_assigns_and_stale_version_is_refused(self, client, project, team, world):
        """Triage can assign the defect; a button pressed on an old copy changes nothing."""
        defect = world["defect"]
        target = url("quality_defect", project, number=defect.number)
        client.force_login(team["contributor"])
        response = client.post(
            target,
            {
                "op": "transition",
                "action": "triage",
                "assignee": team["contributor"].username,
                "version": defect.version,
            },
        )
        assert response.status_code == 302
        defect.refresh_from_db()
        assert defect.assignee_id == team["contributor"].pk
        response = client.post(
            target, {"op": "transition", "action": "start", "version": defect.version - 1}
        )
        assert response.status_code == 409
        assert "changed by someone else" in response.content.decode()
        defect.refresh_from_db()
        assert defect.status == "triaged"

    def test_viewer_cannot_transition(self, client, project, team, world):
        """A viewer's workflow POST is refused."""
        defect = world["defect"]
        client.force_login(team["viewer"])
        response = client.post(
            url("quality_defect", project, number=defect.number),
            {"op": "transition", "action": "triage"},
        )
        assert response.status_code == 403
        defect.refresh_from_db()
        assert defect.status == "new"

    def test_flag_needs_manager_and_reason(self, client, project, team, world):
        """Contributors may not change the go-live flag; a manager must give a reason."""
        defect = world["defect"]
        target = url("quality_defect", project, number=defect.number)
        client.force_login(team["contributor"])
        response = client.post(target, {"op": "flag", "blocks_go_live": "on", "reason": "x"})
        assert response.status_code == 403
        client.force_login(team["manager"])
        response = client.post(target, {"op": "flag", "blocks_go_live": "on", "reason": ""})
        assert response.status_code == 422
        defect.refresh_from_db()
        assert not defect.blocks_go_live
        response = client.post(
            target, {"op": "flag", "blocks_go_live": "on", "reason": "Blocks invoicing"}
        )
        assert response.status_code == 302
        defect.refresh_from_db()
        assert defect.blocks_go_live

    def test_filters(self, client, project, team, world):
        """Filtering by status and blocking narrows the list."""
        client.force_login(team["viewer"])
        content = client.get(url("quality_defects", project), {"status": "closed"}).content
        assert b"Total wrong" not in content
        content = client.get(url("quality_defects", project), {"open": "on"}).content
        assert b"Total wrong" in content
        content = client.get(url("quality_defects", project), {"blocking": "on"}).content
        assert b"Total wrong" not in content

    def test_list_queries_do_not_grow(self, client, project, team):
        """The defect list takes the same number of queries for 2 or 20 defects."""
        manager = project.manager
        client.force_login(team["viewer"])
        for i in range(2):
            defect_report(actor=manager, project=project, title=f"D{i}", assignee=manager)
        with CaptureQueriesContext(connection) as small:
            client.get(url("quality_defects", project))
        for i in range(18):
            defect_report(actor=manager, project=project, title=f"E{i}", assignee=manager)
        with CaptureQueriesContext(connection) as large:
            client.get(url("quality_defects", project))
        assert len(large) == len(small)


@pytest.mark.django_db
class SignOffPageTests:
    def test_manager_opens_approver_signs(self, client, project, team, world):
        """A manager opens a sign-off; the named approver signs it complete."""
        client.force_login(team["manager"])
        response = client.post(
            url("quality_signoffs", project),
            {"name": "Go-live QA", "approvers": [team["approver"].username], "quorum": 1},
        )
        assert response.status_code == 302
        signoff = SignOff.objects.get(project=project, name="Go-live QA")
        client.force_login(team["approver"])
        target = url("quality_signoff", project, signoff_id=signoff.pk)
        assert b"Sign</button>" in client.get(target).content
        response = client.post(target, {"op": "sign", "comment": "Looks good"})
        assert response.status_code == 302
        signoff.refresh_from_db()
        assert signoff.status == "complete"

    def test_contributor_cannot_open(self, client, project, team):
        """Opening a sign-off is for managers."""
        client.force_login(team["contributor"])
        assert b"Open a sign-off" not in client.get(url("quality_signoffs", project)).content
        response = client.post(
            url("quality_signoffs", project),
            {"name": "X", "approvers": [team["approver"].username], "quorum": 1},
        )
        assert response.status_code == 403
        assert not SignOff.objects.filter(name="X").exists()

    def test_list_queries_do_not_grow(self, client, project, team):
        """The sign-off list takes the same number of queries for 1 or 10 sign-offs."""
        manager = project.manager
        client.force_login(team["viewer"])
        signoff_open(actor=manager, project=project, name="S0", approvers=[team["approver"]])
        with CaptureQueriesContext(connection) as small:
            client.get(url("quality_signoffs", project))
        for i in range(1, 10):
            signoff_open(
                actor=manager, project=project, name=f"S{i}", approvers=[team["approver"], manager]
            )
        with CaptureQueriesContext(connection) as large:
            client.get(url("quality_signoffs", project))
        assert len(large) == len(small)

    def test_quorum_above_approvers_is_refused(self, client, project, team):
        """A quorum larger than the approvers named is refused on the form."""
        client.force_login(team["manager"])
        response = client.post(
            url("quality_signoffs", project),
            {"name": "Too many", "approvers": [team["approver"].username], "quorum": 2},
        )
        assert response.status_code == 422
        assert not SignOff.objects.filter(name="Too many").exists()

    def test_revoke_needs_reason(self, client, project, team, world):
        """Revoking without a reason shows the service's message and changes nothing."""
        signoff = world["signoff"]
        client.force_login(team["manager"])
        target = url("quality_signoff", project, signoff_id=signoff.pk)
        response = client.post(target, {"op": "revoke", "reason": ""})
        assert response.status_code == 422
        assert 'id="signoff-errors"' in response.content.decode()
        signoff.refresh_from_db()
        assert signoff.status == "open"

    def test_snapshot_shown(self, client, project, team, world):
        """The frozen snapshot lists the run and the open defect."""
        client.force_login(team["viewer"])
        content = client.get(
            url("quality_signoff", project, signoff_id=world["signoff"].pk)
        ).content.decode()
        assert "UAT round 1" in content
        assert "Total wrong" in content
