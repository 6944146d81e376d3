"""The Gantt chart: its JSON data, drag-to-reschedule, and the chart in a real browser."""

import time
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from golive.projects.tests.factories import PASSWORD, ProjectFactory, UserFactory, team_for
from golive.work.models import Dependency, Status, WorkPackage
from golive.work.services import (
    baseline_save,
    calendar_update,
    dependency_create,
    project_calendar,
    work_package_create,
    work_package_update,
    work_reschedule,
)

DAY = 480  # working minutes in the standard 8-hour day
BERLIN = ZoneInfo("Europe/Berlin")


def monday_before(day: date, weeks: int = 1) -> date:
    return day - timedelta(days=day.weekday() + 7 * weeks)


def small_plan(project):
    """Design (spec → review) → build → go-live, with training material off the critical path."""
    pm = project.manager
    calendar_update(
        actor=pm, project=project, schedule_start=monday_before(timezone.localdate(), 1)
    )
    design = work_package_create(actor=pm, project=project, name="Design", owner=pm)
    spec = work_package_create(
        actor=pm, project=project, name="Write spec", owner=pm, parent=design.pk, duration=3 * DAY
    )
    review = work_package_create(
        actor=pm, project=project, name="Review spec", owner=pm, parent=design.pk, duration=DAY
    )
    build = work_package_create(actor=pm, project=project, name="Build", owner=pm, duration=6 * DAY)
    training = work_package_create(
        actor=pm, project=project, name="Training material", owner=pm, duration=2 * DAY
    )
    golive = work_package_create(
        actor=pm, project=project, name="Go-live", owner=pm, milestone=True
    )
    for pred, succ in [(spec, review), (review, build), (build, golive), (training, golive)]:
        dependency_create(actor=pm, project=project, predecessor=pred, successor=succ)
    return {wp.name: wp for wp in WorkPackage.objects.filter(project=project)}


def bulk_plan(project, groups: int, per_group: int) -> None:
    """Create `groups` summaries of `per_group` chained leaves fast, then schedule them once."""
    pm = project.manager
    cal = project_calendar(project=project)
    cal.schedule_start = monday_before(timezone.localdate(), 2)
    cal.save(update_fields=["schedule_start"])
    summaries = WorkPackage.objects.bulk_create(
        WorkPackage(project=project, name=f"Stream {g + 1}", owner=pm, position=g + 1)
        for g in range(groups)
    )
    leaves = WorkPackage.objects.bulk_create(
        WorkPackage(
            project=project,
            parent=summary,
            name=f"Stream {g + 1} step {k + 1}",
            owner=pm,
            position=k + 1,
            milestone=k == per_group - 1,
            duration=0 if k == per_group - 1 else DAY * (1 + (g + k) % 3),
        )
        for g, summary in enumerate(summaries)
        for k in range(per_group)
    )
    links = []
    for g in range(groups):
        chain = leaves[g * per_group : (g + 1) * per_group]
        links += [
            Dependency(project=project, predecessor=a, successor=b) for a, b in pairwise(chain)
        ]
        if g:
            links.append(
                Dependency(
                    project=project,
                    predecessor=leaves[(g - 1) * per_group],
                    successor=chain[0],
                    type="SS",
                    lag=DAY,
                )
            )
    Dependency.objects.bulk_create(links, batch_size=1000)
    work_reschedule(project=project)


def data_url(project, **params):
    url = reverse("web:plan_gantt_data", args=[project.key])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def move_url(project):
    return reverse("web:plan_gantt_move", args=[project.key])


def as_dicts(data):
    columns = [[None] * data["count"] if c is None else c for c in data["columns"]]
    return [dict(zip(data["fields"], row, strict=True)) for row in zip(*columns, strict=True)]


def link_rows(data):
    return [list(link) for link in zip(*data["links"], strict=True)]


def wall_ms(value: datetime) -> int:
    local = value.astimezone(BERLIN).replace(tzinfo=None)
    return int((local - datetime(1970, 1, 1)).total_seconds() * 1000)


@pytest.mark.django_db
class GanttDataTests:
    def test_rows_come_in_wbs_order_with_schedule_and_links(self, client):
        """The data lists packages in outline order with flags, dates, float and links."""
        project = ProjectFactory(key="GNT")
        plan = small_plan(project)
        client.force_login(project.manager)
        data = client.get(data_url(project)).json()
        rows = as_dicts(data)
        assert [r["wbs"] for r in rows] == ["1", "1.1", "1.2", "2", "3", "4"]
        by_name = {r["name"]: r for r in rows}
        design, spec, build = by_name["Design"], by_name["Write spec"], by_name["Build"]
        assert design["flags"] & 2 and design["level"] == 0 and design["parent"] == -1
        assert spec["level"] == 1 and spec["parent"] == 0 and not spec["flags"] & 2
        assert by_name["Go-live"]["flags"] & 1
        assert build["flags"] & 4 and not by_name["Training material"]["flags"] & 4
        assert by_name["Training material"]["float"] > 0
        stored = WorkPackage.objects.get(pk=plan["Build"].pk)
        assert build["start"] == wall_ms(stored.early_start)
        assert build["finish"] == wall_ms(stored.early_finish)
        assert build["version"] == stored.version and build["status"] == 0
        assert build["bl_start"] is None
        index = {r["name"]: i for i, r in enumerate(rows)}
        assert [index["Review spec"], index["Build"], 0, 0] in link_rows(data)
        assert len(link_rows(data)) == 4
        assert isinstance(data["today"], int) and data["baseline"] is None

    def test_baseline_dates_come_with_the_rows(self, client):
        """With ?baseline=<id> each row carries the baseline's start and finish."""
        project = ProjectFactory(key="GNB")
        plan = small_plan(project)
        baseline = baseline_save(actor=project.manager, project=project, name="Approved")
        work_package_update(
            actor=project.manager, package=plan["Build"], duration=8 * DAY, version=None
        )
        client.force_login(project.manager)
        data = client.get(data_url(project, baseline=baseline.pk)).json()
        build = next(r for r in as_dicts(data) if r["name"] == "Build")
        assert data["baseline"] == baseline.pk
        assert build["bl_start"] == build["start"]
        assert build["finish"] > build["bl_finish"]
        assert client.get(data_url(project, baseline=999999)).status_code == 404

    def test_viewer_sees_outsider_gets_404_anonymous_signs_in(self, client):
        """Viewers get the data; non-members get a 404; anonymous callers are sent to sign in."""
        project = ProjectFactory(key="GNA")
        team = team_for(project, roles=("viewer",))
        client.force_login(team["viewer"])
        assert client.get(data_url(project)).status_code == 200
        page = client.get(reverse("web:plan_gantt", args=[project.key]))
        assert page.status_code == 200 and b'data-can-drag="false"' in page.content
        client.force_login(UserFactory(username="outsider"))
        assert client.get(data_url(project)).status_code == 404
        assert client.get(reverse("web:plan_gantt", args=[project.key])).status_code == 404
        client.logout()
        response = client.get(data_url(project))
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_query_count_does_not_grow_with_the_plan(self, client):
        """The data endpoint runs the same number of queries for 10 and 300 packages."""
        counts = []
        for key, groups in (("GQS", 2), ("GQL", 60)):
            project = ProjectFactory(key=key)
            bulk_plan(project, groups=groups, per_group=4)
            baseline = baseline_save(actor=project.manager, project=project, name="B")
            client.force_login(project.manager)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(data_url(project, baseline=baseline.pk))
            assert len(as_dicts(response.json())) == groups * 5
            counts.append(len(queries))
        assert counts[0] == counts[1]
        assert counts[1] <= 8


@pytest.mark.django_db
class GanttMoveTests:
    def test_contributor_moves_a_package(self, client):
        """A drop stores a start-no-earlier-than constraint and answers the rescheduled plan."""
        project = ProjectFactory(key="GMV")
        team = team_for(project, roles=("contributor",))
        plan = small_plan(project)
        build = plan["Build"]
        target = build.early_start.astimezone(BERLIN).date() + timedelta(days=14)
        client.force_login(team["contributor"])
        response = client.post(
            move_url(project), {"id": build.pk, "version": build.version, "start": target}
        )
        assert response.status_code == 200
        build.refresh_from_db()
        assert build.constraint_kind == "snet"
        assert build.constraint_date == datetime.combine(target, datetime.min.time(), BERLIN)
        assert build.early_start.astimezone(BERLIN).date() >= target
        golive = WorkPackage.objects.get(pk=plan["Go-live"].pk)
        assert golive.early_start >= build.early_finish
        data = response.json()
        row = next(r for r in as_dicts(data) if r["id"] == build.pk)
        assert data["moved"] == build.pk
        assert row["start"] == wall_ms(build.early_start) and row["version"] == build.version

    def test_viewer_may_not_move(self, client):
        """A viewer's drop is refused with 403 and changes nothing."""
        project = ProjectFactory(key="GMW")
        team = team_for(project, roles=("viewer",))
        build = small_plan(project)["Build"]
        client.force_login(team["viewer"])
        response = client.post(
            move_url(project), {"id": build.pk, "version": build.version, "start": "2031-01-06"}
        )
        assert response.status_code == 403
        assert "contributor" in response.json()["messages"][0]
        after = WorkPackage.objects.get(pk=build.pk)
        assert (after.constraint_kind, after.version, after.early_start) == (
            "",
            build.version,
            build.early_start,
        )

    def test_stale_version_is_refused(self, client):
        """A drop made on an outdated copy answers 409 and leaves the package alone."""
        project = ProjectFactory(key="GMS")
        build = small_plan(project)["Build"]
        client.force_login(project.manager)
        response = client.post(
            move_url(project), {"id": build.pk, "version": build.version - 1, "start": "2031-01-06"}
        )
        assert response.status_code == 409
        assert "changed by someone else" in response.json()["messages"][0]
        assert WorkPackage.objects.get(pk=build.pk).constraint_kind == ""

    def test_summaries_and_started_packages_do_not_move(self, client):
        """Summaries follow their children and started packages keep their start: 422."""
        project = ProjectFactory(key="GMR")
        plan = small_plan(project)
        pm = project.manager
        started = work_package_update(
            actor=pm, package=plan["Training material"], status=Status.IN_PROGRESS
        )
        client.force_login(pm)
        for wp in (plan["Design"], started):
            response = client.post(
                move_url(project), {"id": wp.pk, "version": wp.version, "start": "2031-01-06"}
            )
            assert response.status_code == 422, wp.name
        response = client.post(move_url(project), {"id": plan["Build"].pk, "start": "tomorrow"})
        assert response.status_code == 422


# Browser journeys -------------------------------------------------------------------------------


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def open_gantt(page, project) -> list[str]:
    """Open the chart and return the list the page's console messages and errors land in."""
    noise: list[str] = []
    page.on("console", lambda message: noise.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: noise.append(f"error: {error}"))
    page.goto(reverse("web:plan_gantt", args=[project.key]))
    page.wait_for_selector("#gantt[data-render-ms]")
    return noise


def pixel(page, x: float, y: float) -> list[int]:
    """Return the RGBA of the timeline canvas at page coordinates (x, y)."""
    return page.evaluate(
        """([x, y]) => {
            const canvas = document.querySelector('[data-canvas]');
            const rect = canvas.getBoundingClientRect();
            const ratio = canvas.width / rect.width;
            const ctx = canvas.getContext('2d');
            return Array.from(ctx.getImageData(
                Math.round((x - rect.left) * ratio), Math.round((y - rect.top) * ratio), 1, 1
            ).data);
        }""",
        [x, y],
    )


def bar_box(page, package_id: int) -> dict:
    return page.evaluate("id => document.getElementById('gantt').gantt.barBox(id)", package_id)


def reddish(rgba: list[int]) -> bool:
    r, g, b, _ = rgba
    return r > 150 and g < 100 and b < 100


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
class GanttBrowserTests:
    def test_small_plan_draws_and_drags(self, page, screenshot):
        """Bars are drawn, critical ones in red; dragging a bar reschedules it for good."""
        project = ProjectFactory(key="GBS")
        plan = small_plan(project)
        sign_in(page, project.manager.username)
        noise = open_gantt(page, project)
        assert page.locator(".gantt-row").count() == 6
        assert "6 work packages" in page.locator("[data-status]").inner_text()
        build = bar_box(page, plan["Build"].pk)
        training = bar_box(page, plan["Training material"].pk)
        assert build["width"] > 20
        assert reddish(pixel(page, build["x"] + 4, build["y"] + 4))
        blue = pixel(page, training["x"] + 4, training["y"] + 4)
        assert not reddish(blue) and blue[2] > 150
        screenshot("gantt-small")

        before = WorkPackage.objects.get(pk=plan["Training material"].pk)
        page.get_by_role("button", name="Day", exact=True).click()
        box = bar_box(page, before.pk)
        start_x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(start_x, y)
        page.mouse.down()
        day_px = 24
        for step in range(1, 11):
            page.mouse.move(start_x + step * day_px, y)
        screenshot("gantt-small-dragging")
        page.mouse.up()
        status = page.locator("[data-status]")
        page.wait_for_function(
            "() => document.querySelector('[data-status]').classList.contains('is-done')"
        )
        assert "starts no earlier than" in status.inner_text()
        after = WorkPackage.objects.get(pk=before.pk)
        wanted = before.early_start.astimezone(BERLIN).date() + timedelta(days=10)
        assert after.constraint_kind == "snet"
        assert after.constraint_date.astimezone(BERLIN).date() == wanted
        assert after.early_start.astimezone(BERLIN).date() >= wanted

        page.reload()
        page.wait_for_selector("#gantt[data-render-ms]")
        row = page.locator(f'.gantt-row[data-id="{after.pk}"] .c-date').first
        assert row.inner_text() == after.early_start.astimezone(BERLIN).strftime("%-d %b %y")
        # The test's own pixel reads (getImageData) make Chromium suggest willReadFrequently.
        assert [m for m in noise if "willReadFrequently" not in m] == []

    def test_viewer_cannot_drag(self, page):
        """For a viewer a drag does nothing and nothing is sent."""
        project = ProjectFactory(key="GBV")
        team = team_for(project, roles=("viewer",))
        plan = small_plan(project)
        sign_in(page, team["viewer"].username)
        open_gantt(page, project)
        box = bar_box(page, plan["Build"].pk)
        page.mouse.move(box["x"] + 5, box["y"] + 5)
        page.mouse.down()
        page.mouse.move(box["x"] + 200, box["y"] + 5)
        page.mouse.up()
        assert WorkPackage.objects.get(pk=plan["Build"].pk).constraint_kind == ""
        assert "drag" not in page.locator("[data-status]").inner_text()

    def test_refused_move_shows_the_reason_and_snaps_back(self, page):
        """A stale copy is refused with the service's message and the bar stays where it was."""
        project = ProjectFactory(key="GBR")
        plan = small_plan(project)
        sign_in(page, project.manager.username)
        open_gantt(page, project)
        build = plan["Build"]
        work_package_update(actor=project.manager, package=build, description="Changed meanwhile")
        box = bar_box(page, build.pk)
        page.mouse.move(box["x"] + 5, box["y"] + 5)
        page.mouse.down()
        page.mouse.move(box["x"] + 60, box["y"] + 5)
        page.mouse.move(box["x"] + 120, box["y"] + 5)
        page.mouse.up()
        page.wait_for_function(
            "() => document.querySelector('[data-status]').classList.contains('is-error')"
        )
        assert "changed by someone else" in page.locator("[data-status]").inner_text()
        assert bar_box(page, build.pk)["x"] == box["x"]
        assert WorkPackage.objects.get(pk=build.pk).constraint_kind == ""

    def test_five_thousand_packages_stay_light(self, page, screenshot):
        """5,000 packages load, the DOM keeps few rows, and the last one scrolls into view."""
        project = ProjectFactory(key="GBL")
        started = time.perf_counter()
        bulk_plan(project, groups=100, per_group=49)
        baseline_save(actor=project.manager, project=project, name="Plan of record")
        first_step = WorkPackage.objects.get(project=project, name="Stream 1 step 1")
        slipped = datetime.combine(
            first_step.early_start.astimezone(BERLIN).date() + timedelta(days=14),
            datetime.min.time(),
            BERLIN,
        )
        work_package_update(
            actor=project.manager,
            package=first_step,
            constraint_kind="snet",
            constraint_date=slipped,
        )
        print(f"\n5,000-package plan built in {time.perf_counter() - started:.1f} s")
        sign_in(page, project.manager.username)
        noise = open_gantt(page, project)
        render_ms = page.get_attribute("#gantt", "data-render-ms")
        timing = page.evaluate(
            """() => {
                const entry = performance.getEntriesByType('resource')
                    .find(e => e.name.includes('/plan/gantt/data/'));
                return entry ? Math.round(entry.duration) : null;
            }"""
        )
        print(f"first render of 5,000 packages: {render_ms} ms after navigation (data {timing} ms)")
        frame_ms = page.evaluate(
            """() => {
                const chart = document.getElementById('gantt').gantt;
                const s = chart.scroller, started = performance.now();
                for (let k = 0; k < 50; k++) { s.scrollTop = k * 2800; chart.draw(); }
                s.scrollTop = 0;
                chart.draw();
                return (performance.now() - started) / 50;
            }"""
        )
        print(f"one redraw while scrolling: {frame_ms:.1f} ms")
        assert page.locator(".gantt-row").count() < 200
        assert "5,000 work packages" in page.locator("[data-status]").inner_text()

        page.evaluate(
            "() => { const s = document.querySelector('[data-scroller]');"
            " s.scrollTop = s.scrollHeight / 2; }"
        )
        page.wait_for_timeout(100)
        assert page.locator(".gantt-row").count() < 200
        assert page.locator(".gantt-row", has_text="Stream 51").count() > 0
        screenshot("gantt-5000-middle")
        page.get_by_role("button", name="Month").click()
        assert page.get_by_role("button", name="Month").get_attribute("aria-pressed") == "true"
        screenshot("gantt-5000-month")
        page.get_by_role("button", name="Week").click()

        page.get_by_label("Baseline").select_option(label="Plan of record")
        page.wait_for_url("**baseline=*")
        page.wait_for_function("() => document.getElementById('gantt').gantt.rows[0][12] !== null")
        page.wait_for_timeout(100)
        screenshot("gantt-5000-baseline")

        page.evaluate(
            "() => { const s = document.querySelector('[data-scroller]');"
            " s.scrollTop = s.scrollHeight; }"
        )
        page.wait_for_timeout(100)
        last_row = page.locator(".gantt-row", has_text="Stream 100 step 49")
        assert last_row.is_visible()
        grid = page.locator("[data-grid]").bounding_box()
        row_box = last_row.bounding_box()
        assert row_box["y"] + row_box["height"] <= grid["y"] + grid["height"] + 1
        assert page.locator(".gantt-row").count() < 200

        package = WorkPackage.objects.get(project=project, name="Stream 100 step 20")
        box = bar_box(page, package.pk)
        page.mouse.move(box["x"] + 2, box["y"] + 7)
        page.mouse.down()
        page.mouse.move(box["x"] + 40, box["y"] + 7)
        page.mouse.move(box["x"] + 80, box["y"] + 7)
        started = time.perf_counter()
        page.mouse.up()
        page.wait_for_function(
            "() => document.querySelector('[data-status]').classList.contains('is-done')"
        )
        print(
            f"drag of one bar among 5,000 saved and redrawn in {time.perf_counter() - started:.2f} s"
        )
        assert WorkPackage.objects.get(pk=package.pk).constraint_kind == "snet"
        assert noise == []
