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
            name="go-live",
            title="Go-live",
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
        page.goto("/p/ERP/gates/go-live/")
        verdict = page.get_by_role("row").filter(has_text="QA signed off")
        expect(verdict.get_by_role("cell", name="Passed", exact=True)).to_be_visible()
        expect(verdict).to_contain_text("2 of 2 required signatures")
        screenshot("quality-gate-passed")

        page.goto("/p/ERP/quality/")
        expect(page.locator("svg.line-chart").first).to_be_visible()
        screenshot("quality-dashboard")
        page.goto("/p/ERP/quality/traceability/")
        screenshot("quality-traceability")
