"""The resources journey in a real Chromium: an overloaded specialist, leveled and undone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from golive.projects.models import Role
from golive.projects.services import membership_set
from golive.projects.tests.factories import PASSWORD, ProjectFactory, UserFactory
from golive.resources.tests.factories import DAY, link, package
from golive.work.services import calendar_update

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()


def subnav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Resources").get_by_role(
        "link", name=name, exact=True
    ).click()


def add_resource(
    page: Page, name: str, *, kind: str = "Person", member: str = "", hours: str = "8"
) -> None:
    page.goto("/p/ERP/resources/")
    box = page.locator("#add-resource")
    if not box.locator("details").get_attribute("open"):
        box.get_by_role("button", name="Add a resource").click()
    box.get_by_label("Name").fill(name)
    box.get_by_label("Kind").select_option(label=kind)
    if member:
        box.get_by_label("Member").select_option(label=member)
    box.get_by_label("Capacity (h/day)").fill(hours)
    box.get_by_label("Cost rate (per hour)").fill("95")
    box.get_by_role("button", name="Add resource").click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def assign(page: Page, wp: str, resource: str) -> None:
    subnav(page, "Assignments")
    form = page.locator("#add-assignment")
    form.get_by_label("Work package").select_option(label=wp)
    form.get_by_label("Resource").select_option(label=resource)
    form.get_by_label("Units (%)").fill("100")
    form.get_by_role("button", name="Assign").click()
    expect(page.get_by_text(f"{resource} assigned to")).to_be_visible()


class ResourceJourneyTests:
    def test_overloaded_specialist_leveled_applied_and_undone(self, page: Page, screenshot):
        """Sam on two parallel packages is overloaded; leveling clears it; undo brings it back."""
        manager = UserFactory(username="maria", first_name="Maria", last_name="Keller")
        sam = UserFactory(username="sam", first_name="Sam", last_name="Basis")
        project = ProjectFactory(
            key="ERP", name="ERP cutover", manager=manager, time_zone="Europe/Berlin"
        )
        membership_set(actor=manager, project=project, user=sam, role=Role.CONTRIBUTOR)
        today = timezone.localdate()
        next_monday = today + timedelta(days=7 - today.weekday())
        calendar_update(actor=manager, project=project, schedule_start=next_monday)
        design = package(project, "Interface design", duration=3 * DAY)
        migrate = package(project, "Data migration", duration=2 * DAY)
        cutover = package(project, "Cutover", duration=0, milestone=True)
        link(project, design, cutover)
        link(project, migrate, cutover)

        sign_in(page, "maria")
        page.get_by_role("link", name="ERP cutover").click()
        page.get_by_role("navigation", name="Project").get_by_role("link", name="Resources").click()
        expect(page.get_by_role("heading", name="Resources", exact=True)).to_be_visible()

        # A capacity that is not a number is refused and nothing is added.
        box = page.locator("#add-resource")
        box.get_by_role("button", name="Add a resource").click()
        box.get_by_label("Name").fill("Sam Basis")
        box.get_by_label("Capacity (h/day)").fill("-2")
        box.get_by_role("button", name="Add resource").click()
        expect(page.locator("#add-resource .field-error")).to_be_visible()
        expect(page.locator("#resource-list")).to_contain_text("No resources yet")

        add_resource(page, "Sam Basis", member="Sam Basis (sam)")
        form = page.locator("#skill-form")
        form.get_by_label("Skill").fill("SAP Basis")
        form.get_by_label("Level").select_option(label="5 (expert)")
        form.get_by_role("button", name="Set skill").click()
        expect(page.locator("#skills")).to_contain_text("SAP Basis")
        add_resource(page, "Test rig", kind="Equipment", hours="24")
        page.goto("/p/ERP/resources/")
        expect(page.locator("#resource-list")).to_contain_text("Sam Basis")
        screenshot("resources-list")

        # Who could take the interface design? Only Sam has SAP Basis.
        subnav(page, "Assignments")
        cand = page.locator("#candidates")
        cand.get_by_label("Work package").select_option(label="1 Interface design")
        cand.get_by_label("Skill").select_option(label="SAP Basis")
        cand.get_by_role("button", name="Rank").click()
        expect(page.locator("#candidate-list")).to_contain_text("Sam Basis")
        expect(page.locator("#candidate-list")).not_to_contain_text("Test rig")
        screenshot("resources-candidates")
        page.locator("#candidate-list").get_by_role("button", name="Assign Sam Basis").click()
        expect(page.get_by_text("Sam Basis assigned to Interface design")).to_be_visible()
        assign(page, "2 Data migration", "Sam Basis")
        assign(page, "2 Data migration", "Test rig")
        expect(page.locator("#assignment-list")).to_contain_text("Interface design")
        screenshot("resources-assignments")

        # Sam carries all of the critical path: above the 50 % share, a warning.
        subnav(page, "Warnings")
        expect(page.locator("#warning-list")).to_contain_text("Sam Basis")
        expect(page.locator("#warning-list")).to_contain_text("100 %")
        page.get_by_label("Critical path share (%)").fill("150")
        page.get_by_role("button", name="Save threshold").click()
        expect(page.locator("#warning-settings .field-error")).to_contain_text("100")
        screenshot("resources-warnings")

        # The heatmap shows Sam overloaded in the first week of the plan.
        subnav(page, "Heatmap")
        sam_row = page.locator("#heatmap tr", has_text="Sam Basis")
        expect(sam_row.locator("td.load-over")).to_have_count(1)
        expect(page.locator("#overload-total")).to_contain_text("2 overloaded resource-days")
        expect(
            page.locator("#heatmap tr", has_text="Test rig").locator("td.load-over")
        ).to_have_count(0)
        screenshot("resources-heatmap-overloaded")

        sam_row.locator("td.load-over a").click()
        expect(page.get_by_role("heading", name="Sam Basis", exact=True)).to_be_visible()
        expect(page.locator("#histogram .day.overloaded")).to_have_count(2)
        screenshot("resources-histogram")

        # Preview, look at the moves, apply with confirmation.
        subnav(page, "Leveling")
        page.get_by_label("Time limit (seconds)").fill("5")
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_text(re.compile(r"Preview ready: \d+ packages? move"))).to_be_visible()
        moves = page.locator("#moves")
        expect(moves).to_contain_text("Data migration")
        expect(page.locator("#preview")).to_contain_text("Optimal")
        expect(page.locator("#preview")).to_contain_text("2 → 0")
        screenshot("resources-leveling-preview")
        page.get_by_role("button", name="Apply…").click()
        screenshot("resources-leveling-confirm")
        page.get_by_role("button", name="Confirm: apply leveling").click()
        expect(page.get_by_text("Leveling applied")).to_be_visible()

        subnav(page, "Heatmap")
        expect(page.locator("#overload-total")).to_have_text("No overloads")
        expect(page.locator("#heatmap td.load-over")).to_have_count(0)
        screenshot("resources-heatmap-leveled")

        subnav(page, "Leveling")
        page.get_by_role("button", name=re.compile(r"Undo leveling \d+")).click()
        expect(page.get_by_text("Leveling undone")).to_be_visible()
        expect(page.locator("#runs")).to_contain_text("Undone")
        subnav(page, "Heatmap")
        expect(page.locator("#overload-total")).to_contain_text("2 overloaded resource-days")
        screenshot("resources-heatmap-undone")

        # Another window: four weeks from the plan's second week, swapped in place.
        window = page.get_by_role("form", name="Heatmap window")
        window.get_by_label("From").fill((next_monday + timedelta(days=7)).isoformat())
        window.get_by_label("Weeks").fill("4")
        window.get_by_role("button", name="Show").click()
        expect(page.locator("#heatmap th.week")).to_have_count(4)
        expect(page.locator("#overload-total")).to_have_text("No overloads")
        assert "weeks=4" in page.url

        # At phone width the histogram scrolls inside its card; the page itself does not.
        page.set_viewport_size({"width": 390, "height": 844})
        page.locator("#heatmap").get_by_role("link", name="Sam Basis").click()
        expect(page.locator("#histogram svg")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        screenshot("resources-detail-phone")

    def test_procurement_alert_and_warning_at_phone_width(self, page: Page, screenshot):
        """A late delivery is flagged with its impact; the pages fit a phone screen."""
        manager = UserFactory(username="maria", first_name="Maria", last_name="Keller")
        project = ProjectFactory(
            key="ERP", name="ERP cutover", manager=manager, time_zone="Europe/Berlin"
        )
        today = timezone.localdate()
        calendar_update(
            actor=manager, project=project, schedule_start=today - timedelta(days=today.weekday())
        )
        package(project, "Install servers", duration=2 * DAY)
        sign_in(page, "maria")
        page.goto("/p/ERP/resources/procurement/")
        box = page.locator("#add-item")
        box.get_by_role("button", name="Record a procurement item").click()
        box.get_by_label("Name").fill("Blade servers")
        box.get_by_label("Vendor").fill("Acme")
        box.get_by_label("Order date").fill((today - timedelta(days=20)).isoformat())
        box.get_by_label("Lead time (days)").fill("14")
        box.get_by_label("Needed by").select_option(label="1 Install servers")
        box.get_by_role("button", name="Record item").click()
        expect(page.get_by_text("Blade servers recorded.")).to_be_visible()
        alerts = page.locator("#procurement-alerts")
        expect(alerts).to_contain_text("Late")
        expect(alerts).to_contain_text("Blade servers")
        screenshot("resources-procurement")
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot("resources-procurement-phone")
        page.goto("/p/ERP/resources/heatmap/")
        screenshot("resources-heatmap-phone")
