"""The rollout journeys in a real Chromium: a live run watched by two people, rehearsal then
live, a failed check halting its successors, and the go/no-go page reading a slow rollback."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from golive.projects.models import Role
from golive.projects.services import membership_set
from golive.projects.tests.factories import PASSWORD, ProjectFactory, UserFactory
from golive.rollout.models import Run
from golive.rollout.services.plan import wave_create
from golive.rollout.services.runbooks import runbook_create, step_create
from golive.rollout.services.runs import run_start, step_complete, step_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = "/p/ERP/rollout/runbooks/erp-cutover/runs/{n}/"


def sign_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()


@pytest.fixture
def people(db):
    manager = UserFactory(username="maria", first_name="Maria", last_name="Keller")
    project = ProjectFactory(key="ERP", name="ERP cutover", manager=manager)
    people = {"manager": manager, "project": project}
    for name, first, role in (
        ("chris", "Chris", Role.CONTRIBUTOR),
        ("ada", "Ada", Role.APPROVER),
    ):
        user = UserFactory(username=name, first_name=first, last_name="Lang")
        membership_set(actor=manager, project=project, user=user, role=role)
        people[name] = user
    return people


@pytest.fixture
def cutover(people):
    """A cutover runbook: freeze → count orders (a check: 1200) → switch, with a rollback plan."""
    manager, project = people["manager"], people["project"]
    rollback = runbook_create(
        actor=manager,
        project=project,
        name="erp-rollback",
        title="ERP rollback",
        owner=manager,
        kind="rollback",
        rto_minutes=30,
        trigger_conditions="Order counts do not reconcile.",
    )
    step_create(
        actor=manager, runbook=rollback, key="restore", title="Restore", duration_minutes=20
    )
    runbook = runbook_create(
        actor=manager,
        project=project,
        name="erp-cutover",
        title="ERP cutover",
        owner=manager,
        rollback_plan=rollback,
    )
    freeze = step_create(
        actor=manager,
        runbook=runbook,
        key="freeze",
        title="Freeze the old ERP",
        duration_minutes=15,
        offset_minutes=-30,
        owner=people["chris"],
    )
    count = step_create(
        actor=manager,
        runbook=runbook,
        key="count-orders",
        title="Count migrated orders",
        kind="check",
        expected_value="1200",
        duration_minutes=10,
        depends_on=[freeze],
        owner=people["chris"],
    )
    step_create(
        actor=manager,
        runbook=runbook,
        key="switch",
        title="Switch users to the new ERP",
        duration_minutes=20,
        depends_on=[count],
        owner=people["chris"],
    )
    return runbook


def row(page: Page, key: str):
    return page.locator(f"#run-step-{key}")


class LiveRunTests:
    def test_two_people_see_each_other_without_reloading(
        self, page: Page, browser, live_server, people, cutover, screenshot
    ):
        """The manager watches while the contributor works; each sees the other's changes."""
        run_start(actor=people["manager"], runbook=cutover, kind="rehearsal")
        other_context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        other_context.set_default_timeout(10_000)
        chris = other_context.new_page()
        try:
            sign_in(page, "maria")
            page.goto(LIVE.format(n=1))
            sign_in(chris, "chris")
            chris.goto(LIVE.format(n=1))
            expect(row(page, "freeze").locator(".step-status")).to_have_text("Waiting")

            # Maria starts typing why she might abort; polling must not wipe it.
            page.locator("#abort-run summary").click()
            page.get_by_label("Why is the run aborted?").fill("Only if the counts fail")

            chris.get_by_role("button", name="Start freeze").click()
            expect(chris.get_by_text("You started freeze.")).to_be_visible()
            # Maria's page follows within a few seconds, without a reload.
            expect(row(page, "freeze").locator(".step-status")).to_have_text(
                "In progress", timeout=6_000
            )
            expect(row(page, "freeze")).to_contain_text("Chris Lang")
            expect(page.get_by_label("Why is the run aborted?")).to_have_value(
                "Only if the counts fail"
            )
            expect(page.locator("#abort-run")).to_have_attribute("open", "")

            # And the other way round: Maria completes it, Chris sees the next step ready.
            page.get_by_role("button", name="Complete freeze").click()
            expect(page.get_by_text("freeze: done.")).to_be_visible()
            expect(row(chris, "freeze").locator(".step-status")).to_have_text("Done", timeout=6_000)
            expect(chris.get_by_role("button", name="Start count-orders")).to_be_visible(
                timeout=6_000
            )
            screenshot("rollout-live-run")
        finally:
            other_context.close()

    def test_rehearsal_then_live_through_the_ui(self, page: Page, people, cutover, screenshot):
        """A manager rehearses the runbook to the end, then starts the live run."""
        sign_in(page, "maria")
        page.goto("/p/ERP/")
        page.get_by_role("navigation", name="Project").get_by_role("link", name="Rollout").click()
        page.get_by_role("navigation", name="Rollout").get_by_role("link", name="Runbooks").click()
        expect(page.locator("#runbook-erp-cutover")).to_contain_text("Never rehearsed")
        page.get_by_role("link", name="ERP cutover", exact=True).click()
        expect(page.locator("#timeline")).to_contain_text("Critical path")
        screenshot("rollout-runbook")

        page.locator("#start-run summary").click()
        page.locator("#start-run").get_by_label("Kind").select_option("rehearsal")
        page.get_by_role("button", name="Start run").click()
        expect(page.get_by_role("heading", name=re.compile("Rehearsal #1"))).to_be_visible()
        for key in ("freeze", "count-orders", "switch"):
            page.get_by_role("button", name=f"Start {key}").click()
            if key == "count-orders":
                page.get_by_label(re.compile("Observed value")).fill("1200")
            page.get_by_role("button", name=f"Complete {key}").click()
        expect(page.locator("#run-state")).to_have_text("Succeeded")

        page.get_by_role("button", name="Report").click()
        expect(page.locator("#report-steps")).to_contain_text("Count migrated orders")
        page.get_by_role("button", name="Runbook", exact=True).click()
        page.locator("#start-run summary").click()
        page.locator("#start-run").get_by_label("Kind").select_option("live")
        page.get_by_role("button", name="Start run").click()
        expect(page.get_by_role("heading", name=re.compile("Live #2"))).to_be_visible()
        page.get_by_role("button", name="Runbook", exact=True).click()
        expect(page.locator("#run-list")).to_contain_text("Rehearsal")
        expect(page.locator("#run-list")).to_contain_text("Live")

    def test_failed_check_halts_successors_until_resolved(
        self, page: Page, people, cutover, screenshot
    ):
        """A count that does not match fails the check, halts the switch, and a manager decides."""
        run = run_start(actor=people["manager"], runbook=cutover, kind="rehearsal")
        step_start(actor=people["chris"], run_step=run.steps.get(key="freeze"))
        step_complete(actor=people["chris"], run_step=run.steps.get(key="freeze"))
        sign_in(page, "chris")
        page.goto(LIVE.format(n=1))
        page.get_by_role("button", name="Start count-orders").click()
        page.get_by_label(re.compile("Observed value")).fill("1187")
        page.get_by_role("button", name="Complete count-orders").click()
        expect(row(page, "count-orders").locator(".step-status")).to_have_text("Failed")
        expect(row(page, "switch")).to_contain_text("Halted by a failed step")
        expect(page.get_by_role("button", name="Start switch")).to_have_count(0)
        expect(page.get_by_role("button", name="Resolve count-orders")).to_have_count(0)

        sign_in(page, "maria")
        page.goto(LIVE.format(n=1))
        screenshot("rollout-halted")
        # Without a reason the decision is refused next to the field.
        page.get_by_role("button", name="Resolve count-orders").click()
        expect(page.locator("#act-count-orders .field-error")).to_be_visible()
        page.get_by_label("Decision").select_option("continue")
        page.get_by_label("Why?").fill("13 test orders were deleted on purpose")
        page.get_by_role("button", name="Resolve count-orders").click()
        expect(row(page, "switch")).not_to_contain_text("Halted")
        expect(page.get_by_role("button", name="Start switch")).to_be_visible()


class GoLiveTests:
    def test_go_no_go_shows_slow_rollback_rehearsal(self, page: Page, people, cutover, screenshot):
        """The checklist says the rollback rehearsal took longer than its RTO, with the run linked."""
        rollback = cutover.rollback_plan
        run = run_start(actor=people["manager"], runbook=rollback, kind="rehearsal")
        step_start(actor=people["chris"], run_step=run.steps.get(key="restore"))
        step_complete(actor=people["chris"], run_step=run.steps.get(key="restore"))
        run.refresh_from_db()
        assert run.status == "succeeded"
        Run.objects.filter(pk=run.pk).update(started_at=run.ended_at - timedelta(minutes=95))

        sign_in(page, "maria")
        page.goto("/p/ERP/")
        page.get_by_role("navigation", name="Project").get_by_role("link", name="Go/no-go").click()
        expect(page.locator("#go-verdict")).to_contain_text("No go")
        rollback_row = page.locator("#go-checklist > li", has_text="Rollback")
        expect(rollback_row).to_contain_text("over its RTO of 30 min")
        expect(rollback_row).to_contain_text("95")
        expect(rollback_row.locator(".badge-fail")).to_be_visible()
        link = rollback_row.locator(".evidence-links a").first
        expect(link).to_have_attribute(
            "href", re.compile(r"/rollout/runbooks/erp-rollback/runs/1/")
        )
        screenshot("rollout-go-no-go")
        link.click()
        expect(page.get_by_role("heading", name=re.compile("Rehearsal #1"))).to_be_visible()

    def test_wave_waits_for_its_gate(self, page: Page, people, screenshot):
        """A wave's start button stays disabled, saying why, until its gate decision is approved."""
        now = timezone.now()
        for name, days, pilot in (("Pilot Hamburg", 3, True), ("Wave 2: Sales", 14, False)):
            wave_create(
                actor=people["manager"],
                project=people["project"],
                name=name,
                owner=people["manager"],
                planned_start=now + timedelta(days=days),
                planned_end=now + timedelta(days=days + 7),
                is_pilot=pilot,
                cohort_kind="site",
                cohort="Hamburg office" if pilot else "Sales department",
                headcount=40 if pilot else 220,
            )
        sign_in(page, "maria")
        page.goto("/p/ERP/rollout/")
        expect(page.locator("#wave-table")).to_contain_text("Pilot Hamburg")
        expect(page.locator("#wave-table")).to_contain_text("No decision")
        screenshot("rollout-overview")
        page.get_by_role("link", name="Pilot Hamburg").click()
        expect(page.get_by_role("button", name="Start wave")).to_be_disabled()
        expect(page.locator("#start-why")).to_contain_text("has no decision yet")
        page.locator("#start-why").get_by_role("link", name="Go to the gate").click()
        expect(page.get_by_role("heading", name=re.compile("Pilot Hamburg gate"))).to_be_visible()
