"""The plan journey in a real Chromium: build a plan, link it, block and unblock, baseline it."""

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


def add_package(page: Page, name: str, duration: str, parent: str = "") -> None:
    form = page.locator("#add-package")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Duration").fill(duration)
    form.get_by_label(re.compile(r"^Parent")).fill(parent)
    form.get_by_role("button", name="Add package").click()
    expect(page.locator("#add-package .alert-success")).to_contain_text(name)
    expect(page.locator("#wbs-rows")).to_contain_text(name)


def row(page: Page, name: str):
    return page.locator("#wbs-rows tr.wbs-row").filter(has_text=name)


class PlanJourneyTests:
    def test_plan_link_block_and_baseline(self, page: Page, screenshot):
        """A manager plans packages, links them, handles a blocker and sees a baseline variance."""
        manager = UserFactory(username="maria", first_name="Maria", last_name="Keller")
        ProjectFactory(key="ERP", name="ERP cutover", manager=manager)
        sign_in(page, "maria")
        page.get_by_role("link", name="ERP cutover").click()
        page.get_by_role("navigation", name="Project").get_by_role("link", name="Plan").click()
        expect(page.get_by_role("heading", name="Plan", exact=True)).to_be_visible()

        add_package(page, "Data migration", "")
        add_package(page, "Extract legacy data", "3d", parent="1")
        add_package(page, "Load and reconcile", "2d", parent="1")
        add_package(page, "Train key users", "1d")
        expect(row(page, "Load and reconcile")).to_contain_text("1.2")
        expect(row(page, "Data migration")).to_contain_text("3 d")
        load_start = row(page, "Load and reconcile").locator("td").nth(4).inner_text()

        row(page, "Load and reconcile").get_by_role("link", name=re.compile("^Edit")).click()
        editing = page.locator("tr.editing")
        editing.get_by_label("Predecessor (WBS)").fill("1.1")
        editing.get_by_role("button", name="Add link").click()
        expect(row(page, "Load and reconcile")).to_contain_text("1.1FS")
        expect(row(page, "Load and reconcile")).to_contain_text("Critical")
        expect(row(page, "Extract legacy data")).to_contain_text("Critical")
        expect(row(page, "Data migration")).to_contain_text("5 d")
        assert row(page, "Load and reconcile").locator("td").nth(4).inner_text() != load_start
        expect(row(page, "Train key users")).not_to_contain_text("Critical")
        screenshot("plan-wbs-linked")

        row(page, "Train key users").get_by_role("link", name=re.compile("^Edit")).click()
        editing = page.locator("tr.editing")
        editing.get_by_label(re.compile(r"^Duration")).fill("soon")
        editing.get_by_role("button", name="Save").click()
        expect(page.locator("tr.editing .alert-error")).to_contain_text("Write working time")
        screenshot("plan-wbs-edit-error")
        page.locator("tr.editing").get_by_label(re.compile(r"^Duration")).fill("7d")
        page.locator("tr.editing").get_by_label("% complete").fill("20")
        page.locator("tr.editing").get_by_role("button", name="Save").click()
        expect(row(page, "Train key users")).to_contain_text("Critical")
        expect(row(page, "Extract legacy data")).not_to_contain_text("Critical")

        nav = page.get_by_role("navigation", name="Project")
        nav.get_by_role("link", name="Baselines", exact=True).click()
        page.get_by_label("Name").fill("Approved plan")
        page.get_by_role("button", name="Save baseline").click()
        expect(page.get_by_text("Baseline “Approved plan” saved.")).to_be_visible()
        expect(page.locator("#comparison")).to_contain_text("Nothing has changed")

        nav.get_by_role("link", name="Blockers", exact=True).click()
        page.get_by_label("Work package (WBS)").fill("2")
        page.get_by_label("Reason").fill("Training room not booked")
        page.get_by_role("button", name="Raise blocker").click()
        expect(page.locator("#blocker-list")).to_contain_text("Training room not booked")
        expect(page.locator("#blocker-list")).to_contain_text("Maria Keller")
        screenshot("plan-blockers")

        nav.get_by_role("link", name="Board", exact=True).click()
        card = page.locator(".board-card").filter(has_text="Train key users")
        expect(card).to_contain_text("Blocked")
        card.get_by_role("button", name=re.compile("to In progress")).click()
        expect(
            page.locator(".board-column.status-in_progress").filter(has_text="Train key users")
        ).to_be_visible()
        screenshot("plan-board")

        nav.get_by_role("link", name="Blockers", exact=True).click()
        page.locator("#blocker-list summary", has_text="Resolve").click()
        page.get_by_label("How was it resolved?").fill("Room booked for Monday")
        page.get_by_role("button", name="Resolve", exact=True).click()
        expect(page.locator("#no-blockers")).to_be_visible()

        nav.get_by_role("link", name="Plan", exact=True).click()
        row(page, "Train key users").get_by_role("link", name=re.compile("^Edit")).click()
        page.locator("tr.editing").get_by_label(re.compile(r"^Duration")).fill("9d")
        page.locator("tr.editing").get_by_role("button", name="Save").click()
        expect(row(page, "Train key users")).to_contain_text("9 d")

        nav.get_by_role("link", name="Baselines", exact=True).click()
        page.get_by_role("link", name="Compare").click()
        expect(page.locator("#finish-variance")).to_have_text(re.compile(r"^\+\d+ d"))
        expect(page.locator("#comparison")).to_contain_text("Train key users")
        screenshot("plan-baseline-variance")

        page.goto("/p/ERP/plan/burndown/")
        expect(page.locator("svg.burndown-chart")).to_be_visible()
        screenshot("plan-burndown")

        nav.get_by_role("link", name="Dashboard", exact=True).click()
        expect(page.locator("#plan-summary")).to_contain_text("Critical path")
        expect(page.locator("#plan-summary")).to_contain_text("No open blockers")
        screenshot("plan-dashboard")
