"""The quality journey in a real Chromium: JUnit import → defect → retest → sign-off → gate."""

import re

import pytest
from playwright.sync_api import Page, expect

from golive.gates.services import criterion_add, gate_create
from golive.projects.models import Role
from golive.projects.services import membership_set
from golive.projects.tests.factories import PASSWORD, ProjectFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="billing" tests="3">
    <testcase classname="billing.Invoice" name="test_total" time="0.12"/>
    <testcase classname="billing.Invoice" name="test_vat_rounding" time="0.31">
      <failure message="expected 19.00 got 18.99" type="AssertionError">Traceback: rounding</failure>
    </testcase>
    <testcase classname="billing.Invoice" name="test_currency" time="0.05"/>
  </testsuite>
</testsuites>
"""

RETEST = REPORT.replace(
    """<failure message="expected 19.00 got 18.99" type="AssertionError">Traceback: rounding</failure>""",
    "",
)


def sign_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()


def upload(page: Page, run: str, path) -> None:
    page.goto("/p/ERP/quality/runs/")
    form = page.locator("#upload-junit")
    form.get_by_label("Run", exact=True).fill(run)
    form.get_by_label("JUnit XML files").set_input_files(str(path))
    form.get_by_role("button", name="Import results").click()


def workflow(page: Page, label: str) -> None:
    page.locator("#workflow").get_by_role("button", name=label, exact=True).click()


class QualityJourneyTests:
    def test_junit_defect_retest_signoff_gate(self, page: Page, screenshot, tmp_path):
        """A failure imported from CI becomes a defect, is fixed, retested, closed, signed off."""
        manager = UserFactory(username="maria", first_name="Maria", last_name="Keller")
        project = ProjectFactory(key="ERP", name="ERP cutover", manager=manager)
        for name, first in (("ada", "Ada"), ("bo", "Bo")):
            user = UserFactory(username=name, first_name=first, last_name="Approver")
            membership_set(actor=manager, project=project, user=user, role=Role.APPROVER)
        gate = gate_create(
            actor=manager,
            project=project,
            name="qa-exit",
            title="QA exit",
            quorum=1,
            approvers=[manager],
        )
        criterion_add(
            actor=manager,
            gate=gate,
            key="qa-signoff",
            type_key="quality.signoff_complete",
            label="QA signed off",
            params={"name": "Billing QA"},
        )

        sign_in(page, "maria")
        page.get_by_role("link", name="ERP cutover").click()
        page.get_by_role("navigation", name="Project").get_by_role("link", name="Quality").click()
        expect(page.get_by_role("heading", name="Quality", exact=True)).to_be_visible()

        # A broken report is refused with its file and line; nothing is stored.
        broken = tmp_path / "broken.xml"
        broken.write_text("<testsuite>\n  <testcase name='x'>\n</testsuite>\n")
        upload(page, "CI build 41", broken)
        expect(page.locator("#upload-junit .alert-error")).to_contain_text("broken.xml")
        expect(page.locator("#upload-junit .alert-error")).to_contain_text("line")
        screenshot("quality-junit-error")
        expect(page.locator("#run-list")).to_contain_text("No test runs yet")

        report = tmp_path / "billing.xml"
        report.write_text(REPORT)
        upload(page, "CI build 42", report)
        expect(
            page.get_by_text(re.compile(r"Imported 3 results into “CI build 42”"))
        ).to_be_visible()
        expect(page.locator(".stat-failed .big-number")).to_have_text("1")
        page.get_by_role("navigation", name="Filter results by outcome").get_by_role(
            "link", name="Failed"
        ).click()
        results = page.locator("#results")
        expect(results).to_contain_text("test_vat_rounding")
        expect(results).not_to_contain_text("test_currency")
        screenshot("quality-run-failures")

        results.get_by_role("button", name="Raise defect").click()
        form = page.locator("#report-defect")
        expect(form.get_by_label("Title")).to_have_value(re.compile("expected 19.00 got 18.99"))
        form.get_by_label("Severity").select_option(label="High")
        screenshot("quality-defect-prefilled")
        form.get_by_role("button", name="Report defect").click()
        expect(page.get_by_text("DEF-1 reported.")).to_be_visible()
        screenshot("quality-defect-new")

        workflow(page, "Triage")
        expect(page.get_by_text("DEF-1 is now triaged.")).to_be_visible()
        # Closing before the fix without a reason is refused with the service's message.
        page.locator("#workflow summary", has_text="Close").click()
        page.locator("#workflow").get_by_role("button", name="Close", exact=True).click()
        expect(page.locator("#defect-errors")).to_contain_text("Say why DEF-1")
        screenshot("quality-defect-refused")
        workflow(page, "Start work")
        workflow(page, "Mark fixed")
        workflow(page, "Ready for retest")
        expect(page.get_by_text("DEF-1 is now ready for retest.")).to_be_visible()

        retest = tmp_path / "billing-retest.xml"
        retest.write_text(RETEST)
        upload(page, "CI build 43", retest)
        expect(page.locator(".stat-passed .big-number")).to_have_text("3")

        page.goto("/p/ERP/quality/defects/1/")
        page.locator("#workflow summary", has_text="Close").click()
        page.locator("#workflow").get_by_role("button", name="Close", exact=True).click()
        expect(page.get_by_text("DEF-1 is now closed.")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Resolution: Fixed")
        expect(page.locator("main")).to_contain_text("CI build 43")
        screenshot("quality-defect-closed")

        page.goto("/p/ERP/quality/signoffs/")
        form = page.locator("#open-signoff")
        form.get_by_label("Name").fill("Billing QA")
        form.get_by_label("Ada Approver (ada)").check()
        form.get_by_label("Bo Approver (bo)").check()
        form.get_by_label("Quorum").fill("2")
        form.get_by_role("button", name="Open sign-off").click()
        expect(page.get_by_text("Sign-off “Billing QA” opened.")).to_be_visible()
        expect(page.locator("#snapshot")).to_contain_text("CI build 43")
        screenshot("quality-signoff-open")
        signoff_url = page.url

        for username in ("ada", "bo"):
            sign_in(page, username)
            page.goto(signoff_url)
            page.get_by_label("Comment").fill(f"Billing checked by {username}")
            page.get_by_role("button", name="Sign", exact=True).click()
            expect(page.get_by_text("You signed “Billing QA”.")).to_be_visible()
        expect(page.locator(".page-head .badge")).to_have_text("Complete")
        screenshot("quality-signoff-complete")

        sign_in(page, "maria")
        page.goto("/p/ERP/gates/qa-exit/")
        verdict = page.get_by_role("row").filter(has_text="QA signed off")
        expect(verdict.get_by_role("cell", name="Passed", exact=True)).to_be_visible()
        expect(verdict).to_contain_text("2 of 2 required signatures")
        screenshot("quality-gate-passed")

        page.goto("/p/ERP/quality/")
        expect(page.locator("svg.line-chart").first).to_be_visible()
        screenshot("quality-dashboard")
        page.goto("/p/ERP/quality/traceability/")
        screenshot("quality-traceability")

    def test_requirements_plan_manual_execution_traceability(self, page: Page, screenshot):
        """A tester registers a requirement, writes a case with steps, executes it step by step."""
        manager = UserFactory(username="maria", first_name="Maria", last_name="Keller")
        project = ProjectFactory(key="ERP", name="ERP cutover", manager=manager)
        _history(project, manager)

        sign_in(page, "maria")
        page.goto("/p/ERP/quality/requirements/")
        form = page.locator("#add-requirement")
        form.get_by_label("Identifier").fill("REQ-7")
        form.get_by_label("Requirement").fill("Refunds post to the ledger the same day.")
        form.get_by_label("Priority").select_option("must")
        form.get_by_role("button", name="Add requirement").click()
        expect(page.get_by_text("REQ-7 added to the register.")).to_be_visible()
        page.get_by_role("link", name="Edit REQ-7").click()
        editing = page.locator("tr.editing")
        editing.get_by_label("Status").select_option("approved")
        screenshot("quality-requirement-edit")
        editing.get_by_role("button", name="Save").click()
        expect(page.locator("#requirement-rows")).to_contain_text("Approved")
        expect(page.locator("tr.editing")).to_have_count(0)

        page.goto("/p/ERP/quality/plans/")
        form = page.locator("#add-plan")
        form.get_by_label("Name").fill("UAT wave 1")
        form.get_by_label("Environment").fill("Staging")
        form.get_by_role("button", name="Create plan").click()
        form = page.locator("#add-case")
        form.get_by_label("Title").fill("Refund an order")
        form.get_by_label("Type").select_option("uat")
        form.get_by_label("Requirements").fill("REQ-7")
        form.get_by_label("Step 1: action").fill("Open a paid order")
        form.get_by_label("Step 1: expected result").fill("Order shows as paid")
        form.get_by_label("Step 2: action").fill("Refund it in full")
        form.get_by_label("Step 2: expected result").fill("Ledger shows the refund")
        form.get_by_role("button", name="Add case").click()
        expect(page.locator("#plan-cases")).to_contain_text("Refund an order")
        screenshot("quality-plan")

        page.goto("/p/ERP/quality/runs/")
        form = page.locator("#new-run")
        form.get_by_label("Name").fill("UAT day 1")
        form.get_by_label("Plan").select_option(label="UAT wave 1")
        form.get_by_role("button", name="Create run").click()
        page.locator("#execute").get_by_role("link", name="Refund an order").click()
        steps = page.locator(".execute-step")
        steps.nth(0).get_by_label("Passed").check()
        steps.nth(1).get_by_label("Failed").check()
        steps.nth(1).get_by_label("Step 2 note").fill("Ledger entry missing")
        page.get_by_label("Overall outcome").select_option("failed")
        page.get_by_role("textbox", name=re.compile(r"^Evidence")).fill(
            "Ledger export attached to the ticket"
        )
        screenshot("quality-execute")
        page.get_by_role("button", name="Record result").click()
        expect(page.get_by_text("“Refund an order” recorded as failed.")).to_be_visible()
        expect(page.locator("#results")).to_contain_text("Refund an order")
        screenshot("quality-run-manual")

        page.goto("/p/ERP/quality/traceability/")
        row = page.get_by_role("row").filter(has_text="REQ-7")
        expect(row).to_contain_text("Refund an order")
        expect(row).to_contain_text("Failed")
        screenshot("quality-traceability-rows")
        row.get_by_role("link", name="Refund an order").click()
        expect(page.locator("main")).to_contain_text("Ledger entry missing")
        screenshot("quality-case")
        page.goto("/p/ERP/quality/")
        expect(page.locator("svg.line-chart")).to_have_count(2)
        screenshot("quality-dashboard-history")
        page.set_viewport_size({"width": 420, "height": 900})
        page.goto("/p/ERP/quality/runs/")
        screenshot("quality-runs-narrow")


def _history(project, manager) -> None:
    """Three weeks of imported runs of two types and defects reported and closed over them."""
    from datetime import timedelta

    from django.utils import timezone

    from golive.quality.models import Defect, TestCase, TestResult, TestRun

    now = timezone.now()
    cases = [
        TestCase.objects.create(
            project=project, key=f"{kind}::t{i}", title=f"{kind} {i}", type=kind
        )
        for kind in ("functional", "regression")
        for i in range(10)
    ]
    for week, passing in enumerate((6, 8, 10)):
        run = TestRun.objects.create(
            project=project,
            name=f"Nightly {week + 1}",
            source="junit",
            created_by=manager,
            started_at=now - timedelta(days=14 - 7 * week),
        )
        TestResult.objects.bulk_create(
            TestResult(
                run=run,
                case=case,
                outcome="passed" if i % 10 < passing - (case.type == "regression") else "failed",
                executed_by=manager,
                executed_at=run.started_at,
            )
            for i, case in enumerate(cases)
        )
    for n in range(1, 6):
        created = now - timedelta(days=15 - 3 * n)
        closed = created + timedelta(days=2) if n < 4 else None
        Defect.objects.create(
            project=project,
            number=n,
            title=f"Defect {n}",
            severity=10 * (1 + n % 4),
            status="closed" if closed else "triaged",
            resolution="fixed" if closed else "",
            reporter=manager,
            created_at=created,
            fixed_at=closed,
            closed_at=closed,
        )
