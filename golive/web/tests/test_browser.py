"""The main journeys in a real Chromium: from a new project through readiness to execution."""

import re

import pytest
from playwright.sync_api import Page, expect

from golive.projects.tests.factories import PASSWORD, ProjectFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()


def complete_item(page: Page, item_id: str, note: str) -> None:
    """Add an evidence note, mark the item ready and approve it, each in place."""
    item = page.locator(f"#{item_id}")
    item.locator("summary", has_text="Edit evidence").click()
    item.get_by_label("Evidence note").fill(note)
    item.get_by_role("button", name="Save evidence").click()
    expect(item.locator(".evidence-note")).to_have_text(note)
    item.get_by_role("button", name="Mark ready").click()
    expect(item.get_by_text("Ready · awaiting approval")).to_be_visible()
    item.get_by_role("button", name="Approve").click()
    expect(item.get_by_text("Ready · approved")).to_be_visible()


class JourneyTests:
    def test_new_project_reaches_execution(self, page: Page, screenshot):
        """A manager creates a project, readies it in place, and a decision moves it on."""
        UserFactory(username="maria", first_name="Maria", last_name="Keller")
        sign_in(page, "maria")

        page.get_by_role("button", name="New project").click()
        page.get_by_label("Key").fill("ERP")
        page.get_by_label("Name").fill("ERP cutover")
        page.get_by_label("Time zone").select_option("Europe/Berlin")
        page.get_by_label("Planned go-live").fill("2030-03-01")
        page.get_by_role("button", name="Create project").click()
        expect(page.get_by_role("heading", name="ERP cutover")).to_be_visible()
        expect(page.locator("#readiness-gate .gate-status")).to_have_text("Fails")

        project_nav = page.get_by_role("navigation", name="Project")
        project_nav.get_by_role("link", name="Success criteria").click()
        page.get_by_label("Metric").fill("Invoice posting success rate")
        page.get_by_label("Direction").select_option("at_least")
        page.get_by_label("Target").fill("99.5")
        page.get_by_label("Unit").fill("%")
        page.get_by_role("button", name="Add success criterion").click()
        expect(
            page.get_by_role("cell", name="Invoice posting success rate", exact=True)
        ).to_be_visible()

        project_nav.get_by_role("link", name="Readiness").click()
        expect(page.locator("#progress")).to_contain_text("0 of 7 ready")
        item_ids = page.locator("article.item").evaluate_all("items => items.map(i => i.id)")
        assert len(item_ids) == 7
        for number, item_id in enumerate(item_ids, start=1):
            complete_item(page, item_id, f"Signed off in steering meeting {number}.")
            expect(page.locator("#progress")).to_contain_text(f"{number} of 7 ready")
            if number == 4:
                screenshot("checklist-half-done")

        project_nav.get_by_role("link", name="Dashboard").click()
        expect(page.locator("#readiness-gate .gate-status")).to_have_text("Passes")
        expect(page.get_by_text("All 7 items are ready (7 approved, 0 waived).")).to_be_visible()
        screenshot("dashboard-gate-passed")

        page.get_by_role("button", name="Open decision").click()
        expect(page.get_by_text("Decision opened")).to_be_visible()
        screenshot("gate-pending-decision")
        page.get_by_label("Comment").fill("Readiness evidence reviewed.")
        page.get_by_role("button", name="Approve", exact=True).click()
        expect(page.get_by_text("Your verdict is recorded.")).to_be_visible()
        expect(page.locator(".project-bar .phase")).to_have_text("Execution")

        project_nav.get_by_role("link", name="Dashboard").click()
        expect(page.locator('.stepper li[aria-current="step"]')).to_contain_text("Execution")

        project_nav.get_by_role("link", name="Decisions").click()
        row = page.get_by_role("row").filter(has_text="Go decision")
        expect(row).to_contain_text("Approved")
        expect(row).to_contain_text("1 / 1")
        row.get_by_role("link", name=re.compile(r"^#\d+$")).click()
        expect(page.get_by_role("heading", name=re.compile("Go decision"))).to_be_visible()
        expect(page.get_by_text("Readiness evidence reviewed.")).to_be_visible()
        screenshot("decision-detail")

    def test_move_to_execution_refused_before_gate_passes(self, page: Page, screenshot):
        """Moving on before the gate passes is refused with the failing criteria listed."""
        manager = UserFactory(username="sam")
        ProjectFactory(key="CRM", name="CRM rollout", manager=manager)
        sign_in(page, "sam")

        page.get_by_role("link", name="CRM rollout").click()
        page.get_by_role("button", name="Move to execution").click()
        refusal = page.locator(".alert-error")
        expect(refusal).to_contain_text("CRM cannot move to execution")
        expect(refusal).to_contain_text("Readiness checklist complete: 7 of 7 items not ready")
        expect(refusal).to_contain_text("Success criteria defined: No success criteria defined")
        expect(page.locator(".project-bar .phase")).to_have_text("Readiness")
        screenshot("move-refused")

    def test_refusal_is_shown_inside_the_item(self, page: Page, screenshot):
        """Marking an item ready without evidence shows the reason inside that item."""
        manager = UserFactory(username="kim")
        project = ProjectFactory(key="HR", name="HR suite", manager=manager)
        item = project.readiness_items.order_by("position").first()
        sign_in(page, "kim")

        page.goto(f"/p/HR/readiness/#item-{item.pk}")
        card = page.locator(f"#item-{item.pk}")
        card.get_by_role("button", name="Mark ready").click()
        expect(card.get_by_role("alert")).to_contain_text("has no evidence yet")
        expect(card.get_by_text("Open", exact=True)).to_be_visible()
        card.locator("summary", has_text="Edit evidence").click()
        card.get_by_label("Evidence link").fill("javascript:alert(1)")
        card.get_by_role("button", name="Save evidence").click()
        expect(card.get_by_role("alert")).to_contain_text("Enter a valid URL.")
        expect(card.get_by_label("Evidence link")).to_have_value("javascript:alert(1)")
        screenshot("item-refusal")
