"""The plan pages through Django's test client: roles, writes, refusals, htmx partials."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.web.plan_display import work_time, work_time_parse
from golive.work.models import (
    Baseline,
    Blocker,
    Checkpoint,
    CheckpointAction,
    Dependency,
    EscalationLevel,
    ProjectCalendar,
    WorkPackage,
)
from golive.work.services import (
    baseline_save,
    blocker_raise,
    blockers_escalate,
    calendar_update,
    checkpoint_record,
    dependency_create,
    work_package_create,
    work_package_update,
    work_reschedule,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


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
def plan(project):
    """Design (2 d) → Build (3 d) under a summary, and an independent Training (1 d)."""
    manager = project.manager
    phase = work_package_create(actor=manager, project=project, name="Delivery", owner=manager)
    design = work_package_create(
        actor=manager, project=project, name="Design", owner=manager, parent=phase, duration=960
    )
    build = work_package_create(
        actor=manager, project=project, name="Build", owner=manager, parent=phase, duration=1440
    )
    training = work_package_create(
        actor=manager, project=project, name="Training", owner=manager, duration=480
    )
    return {"phase": phase, "design": design, "build": build, "training": training}


def url(view: str, project, **kwargs) -> str:
    return reverse(f"web:{view}", kwargs={"key": project.key, **kwargs})


def fresh(wp: WorkPackage) -> WorkPackage:
    return WorkPackage.objects.get(pk=wp.pk)


def edit_data(wp: WorkPackage, **changes) -> dict:
    data = {
        "name": wp.name,
        "owner": wp.owner.username,
        "duration": f"{wp.duration}m",
        "optimistic": "",
        "most_likely": "",
        "pessimistic": "",
        "status": wp.status,
        "percent_complete": wp.percent_complete,
        "constraint_kind": "",
        "constraint_date": "",
        "version": wp.version,
    }
    data.update(changes)
    return data


# (url name, lowest role allowed, a role below it or None)
PLAN_PAGES = [
    ("plan", "viewer", None),
    ("plan_board", "viewer", None),
    ("plan_burndown", "viewer", None),
    ("plan_calendar", "manager", "approver"),
    ("blockers", "viewer", None),
    ("checkpoints", "viewer", None),
    ("baselines", "viewer", None),
]


@pytest.mark.django_db
class PlanPageAccessTests:
    @pytest.mark.parametrize(("name", "allowed", "below"), PLAN_PAGES)
    def test_renders_for_allowed_role(self, client, project, team, plan, name, allowed, below):
        """Each plan page renders for the lowest role allowed to open it."""
        client.force_login(team[allowed])
        response = client.get(url(name, project))
        assert response.status_code == 200
        assert b"ERP rollout" in response.content

    @pytest.mark.parametrize(("name", "allowed", "below"), [page for page in PLAN_PAGES if page[2]])
    def test_lower_role_refused(self, client, project, team, name, allowed, below):
        """A member below the page's role gets 403."""
        client.force_login(team[below])
        assert client.get(url(name, project)).status_code == 403

    @pytest.mark.parametrize(("name", "allowed", "below"), PLAN_PAGES)
    def test_not_found_for_outsider(self, client, project, outsider, name, allowed, below):
        """A non-member gets 404 on every plan page."""
        client.force_login(outsider)
        response = client.get(url(name, project))
        assert response.status_code == 404
        assert b"ERP rollout" not in response.content

    def test_sub_navigation_links_plan_pages(self, client, project, team):
        """The project bar links to Plan, Board, Blockers, Checkpoints and Baselines."""
        client.force_login(team["viewer"])
        content = client.get(url("project_dashboard", project)).content.decode()
        for name in ("plan", "plan_board", "blockers", "checkpoints", "baselines"):
            assert f'href="{url(name, project)}"' in content


class WorkTimeTests:
    def test_formats_days_and_hours(self):
        """Working minutes read as days and hours on an 8-hour day."""
        assert work_time(480) == "1 d"
        assert work_time(720) == "1 d 4 h"
        assert work_time(90) == "1 h 30 min"
        assert work_time(0) == "0 d"
        assert work_time(-240) == "-4 h"
        assert work_time(420, 420) == "1 d"

    def test_parses_days_and_hours(self):
        """Typed durations become working minutes; nonsense is refused."""
        assert work_time_parse("2d") == 960
        assert work_time_parse("1d 4h") == 720
        assert work_time_parse("3") == 1440
        assert work_time_parse("-4h") == -240
        assert work_time_parse("1.5d") == 720
        for bad in ("", "abc", "2x", "2d x"):
            with pytest.raises(ValueError):
                work_time_parse(bad)


@pytest.mark.django_db
class WbsTableTests:
    def test_rows_in_outline_order_with_levels(self, client, project, team, plan):
        """The table lists packages in WBS order, children indented, durations in days."""
        client.force_login(team["viewer"])
        content = client.get(url("plan", project)).content.decode()
        positions = [content.index(f'id="wp-{plan[k].pk}"') for k in ("phase", "design", "build")]
        assert positions == sorted(positions)
        assert content.index(f'id="wp-{plan["build"].pk}"') < content.index(
            f'id="wp-{plan["training"].pk}"'
        )
        assert "--indent: 1" in content
        assert "3 d" in content and "2 d" in content
        assert "Add a work package" not in content
        assert ">Edit<" not in content

    def test_filter_and_sort_answer_rows_partial(self, client, project, team, plan):
        """htmx filtering answers only the rows matching the filter."""
        client.force_login(team["viewer"])
        response = client.get(url("plan", project), {"q": "Train"}, **HTMX)
        content = response.content.decode()
        assert "<html" not in content
        assert f'id="wp-{plan["training"].pk}"' in content
        assert f'id="wp-{plan["design"].pk}"' not in content
        response = client.get(url("plan", project), {"sort": "finish", "critical": "1"}, **HTMX)
        assert f'id="wp-{plan["training"].pk}"' not in response.content.decode()

    def test_collapse_hides_children(self, client, project, team, plan):
        """A collapsed summary hides its packages."""
        client.force_login(team["viewer"])
        response = client.get(url("plan", project), {"collapsed": plan["phase"].pk}, **HTMX)
        content = response.content.decode()
        assert f'id="wp-{plan["phase"].pk}"' in content
        assert f'id="wp-{plan["design"].pk}"' not in content
        assert 'aria-label="Expand 1"' in content

    def test_pages_load_on_demand(self, client, project, team):
        """Beyond a page of rows the table ends in a load-more row fetched when revealed."""
        manager = project.manager
        WorkPackage.objects.bulk_create(
            WorkPackage(project=project, name=f"Task {i}", owner=manager, position=i, duration=60)
            for i in range(1, 131)
        )
        work_reschedule(project=project)
        client.force_login(team["viewer"])
        content = client.get(url("plan", project)).content.decode()
        assert content.count('class="wbs-row') == 100
        assert 'hx-trigger="revealed"' in content and "offset=100" in content
        more = client.get(url("plan", project), {"offset": 100}, **HTMX).content.decode()
        assert more.count('class="wbs-row') == 30
        assert "revealed" not in more

    def test_query_count_is_bounded(self, client, project, team):
        """The WBS page costs the same number of queries for 30 and 300 packages."""
        manager = project.manager

        def add(start, stop):
            WorkPackage.objects.bulk_create(
                WorkPackage(project=project, name=f"T{i}", owner=manager, position=i, duration=60)
                for i in range(start, stop)
            )
            work_reschedule(project=project)
            ids = list(WorkPackage.objects.filter(project=project).values_list("id", flat=True))
            Dependency.objects.bulk_create(
                Dependency(project=project, predecessor_id=a, successor_id=b)
                for a, b in zip(ids[start - 1 : stop - 2], ids[start : stop - 1], strict=True)
            )
            work_reschedule(project=project)

        client.force_login(team["viewer"])
        add(1, 31)
        with CaptureQueriesContext(connection) as small:
            assert client.get(url("plan", project)).status_code == 200
        add(31, 301)
        with CaptureQueriesContext(connection) as large:
            assert client.get(url("plan", project)).status_code == 200
        assert len(large) == len(small)
        assert len(large) <= 20

    def test_contributor_edits_row_in_place(self, client, project, team, plan):
        """An htmx edit saves, answers the row partial and asks the table to refresh."""
        training = plan["training"]
        client.force_login(team["contributor"])
        edit = client.get(url("plan_package", project, package_id=training.pk), {"edit": 1}, **HTMX)
        assert 'name="percent_complete"' in edit.content.decode()
        response = client.post(
            url("plan_package", project, package_id=training.pk),
            edit_data(
                training,
                name="Key-user training",
                duration="1d 4h",
                status="in_progress",
                percent_complete=40,
            ),
            **HTMX,
        )
        content = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in content and "Key-user training" in content
        assert "planChanged" in response.headers["HX-Trigger"]
        wp = fresh(training)
        assert (wp.name, wp.duration, wp.status, wp.percent_complete) == (
            "Key-user training", 720, "in_progress", 40,
        )  # fmt: skip

    def test_three_point_estimate_sets_duration(self, client, project, team, plan):
        """A three-point estimate sets the duration to its PERT mean."""
        design = plan["design"]
        client.force_login(team["contributor"])
        client.post(
            url("plan_package", project, package_id=design.pk),
            edit_data(design, duration="", optimistic="1d", most_likely="2d", pessimistic="6d"),
            **HTMX,
        )
        assert fresh(design).duration == round((480 + 4 * 960 + 2880) / 6)

    def test_bad_input_answers_422_with_messages(self, client, project, team, plan):
        """Bad input answers 422 with the edit form and the messages; nothing changes."""
        design = plan["design"]
        client.force_login(team["contributor"])
        response = client.post(
            url("plan_package", project, package_id=design.pk),
            edit_data(design, duration="soon", percent_complete=140),
            **HTMX,
        )
        content = response.content.decode()
        assert response.status_code == 422
        assert "Write working time as days and hours" in content
        assert 'class="wbs-edit"' in content
        assert fresh(design).version == design.version

    def test_constraint_needs_a_date(self, client, project, team, plan):
        """A constraint without its date is refused by the service, shown in the row."""
        design = plan["design"]
        client.force_login(team["contributor"])
        response = client.post(
            url("plan_package", project, package_id=design.pk),
            edit_data(design, constraint_kind="snet"),
            **HTMX,
        )
        assert response.status_code == 422
        assert "A constraint needs its date." in response.content.decode()

    def test_constraint_moves_the_package(self, client, project, team, plan):
        """Start-no-earlier-than a later date moves the package's start to that day."""
        training = plan["training"]
        client.force_login(team["contributor"])
        response = client.post(
            url("plan_package", project, package_id=training.pk),
            edit_data(training, constraint_kind="snet", constraint_date="2031-03-04"),
            **HTMX,
        )
        assert response.status_code == 200
        assert fresh(training).early_start.date() == date(2031, 3, 4)

    def test_stale_version_answers_409_with_current_values(self, client, project, team, plan):
        """An edit made on an outdated row answers 409 with the current values."""
        design = plan["design"]
        work_package_update(actor=project.manager, package=design, name="Design v2")
        client.force_login(team["contributor"])
        response = client.post(
            url("plan_package", project, package_id=design.pk),
            edit_data(design, name="Mine"),
            **HTMX,
        )
        content = response.content.decode()
        assert response.status_code == 409
        assert "changed by someone else" in content and 'value="Design v2"' in content
        assert fresh(design).name == "Design v2"

    def test_viewer_edit_refused(self, client, project, team, plan):
        """A viewer's edit answers 403 inside the row (htmx) or the 403 page; nothing changes."""
        design = plan["design"]
        client.force_login(team["viewer"])
        address = url("plan_package", project, package_id=design.pk)
        response = client.post(address, edit_data(design, name="X"), **HTMX)
        assert response.status_code == 403
        assert "you need the contributor role" in response.content.decode()
        assert client.post(address, edit_data(design, name="X")).status_code == 403
        assert fresh(design).name == "Design"

    def test_outsider_gets_404_on_rows(self, client, project, outsider, plan):
        """Outsiders cannot read or write rows."""
        client.force_login(outsider)
        address = url("plan_package", project, package_id=plan["design"].pk)
        assert client.get(address, **HTMX).status_code == 404
        assert client.post(address, edit_data(plan["design"]), **HTMX).status_code == 404

    def test_add_package_under_parent(self, client, project, team, plan):
        """A contributor adds a package under a summary; htmx gets a fresh form."""
        client.force_login(team["contributor"])
        response = client.post(
            url("plan", project),
            {
                "name": "Test",
                "owner": team["contributor"].username,
                "duration": "2d",
                "parent": "1",
            },
            **HTMX,
        )
        assert response.status_code == 200
        assert "planChanged" in response.headers["HX-Trigger"]
        wp = WorkPackage.objects.get(name="Test")
        assert (wp.parent_id, wp.wbs, wp.duration) == (plan["phase"].pk, "1.3", 960)

    def test_add_package_refusals(self, client, project, team, plan):
        """An unknown parent answers 422 with the message; a viewer 403; nothing is added."""
        client.force_login(team["contributor"])
        data = {"name": "Test", "owner": team["contributor"].username, "parent": "9.9"}
        response = client.post(url("plan", project), data, **HTMX)
        assert response.status_code == 422
        assert "has no work package “9.9”" in response.content.decode()
        client.force_login(team["viewer"])
        assert client.post(url("plan", project), data, **HTMX).status_code == 403
        assert client.post(url("plan", project), data).status_code == 403
        assert not WorkPackage.objects.filter(name="Test").exists()

    def test_delete_is_for_managers(self, client, project, team, plan):
        """A contributor cannot delete; a manager deletes the package and its children."""
        phase = plan["phase"]
        address = url("plan_package_delete", project, package_id=phase.pk)
        client.force_login(team["contributor"])
        response = client.post(address, {"version": phase.version}, **HTMX)
        assert response.status_code == 403
        assert WorkPackage.objects.filter(pk=phase.pk).exists()
        client.force_login(project.manager)
        response = client.post(address, {"version": phase.version}, **HTMX)
        assert response.status_code == 200
        assert list(WorkPackage.objects.values_list("name", flat=True)) == ["Training"]

    def test_delete_stale_version(self, client, project, plan):
        """Deleting an outdated copy answers 409 and keeps the package."""
        design = plan["design"]
        work_package_update(actor=project.manager, package=design, name="Design v2")
        client.force_login(project.manager)
        response = client.post(
            url("plan_package_delete", project, package_id=design.pk),
            {"version": design.version},
            **HTMX,
        )
        assert response.status_code == 409
        assert WorkPackage.objects.filter(pk=design.pk).exists()


@pytest.mark.django_db
class DependencyTests:
    def test_add_link_reschedules_and_shows_label(self, client, project, team, plan):
        """Adding 1.1FS+1d to Build moves it and the row lists the link as 1.1FS+1d."""
        build = plan["build"]
        client.force_login(team["contributor"])
        response = client.post(
            url("plan_dependency_add", project, package_id=build.pk),
            {"predecessor": "1.1", "type": "FS", "lag": "1d"},
            **HTMX,
        )
        content = response.content.decode()
        assert response.status_code == 200
        assert "1.1FS+1d" in content
        link = Dependency.objects.get()
        assert (link.predecessor_id, link.type, link.lag) == (plan["design"].pk, "FS", 480)
        assert fresh(build).early_start > fresh(plan["design"]).early_finish
        assert fresh(build).critical and fresh(plan["design"]).critical

    def test_cycle_refused_with_names(self, client, project, team, plan):
        """A link closing a cycle is refused naming the packages; nothing is stored."""
        dependency_create(
            actor=project.manager,
            project=project,
            predecessor=plan["design"],
            successor=plan["build"],
        )
        client.force_login(team["contributor"])
        response = client.post(
            url("plan_dependency_add", project, package_id=plan["design"].pk),
            {"predecessor": "1.2", "type": "FS", "lag": ""},
            **HTMX,
        )
        assert response.status_code == 422
        assert "Build" in response.content.decode()
        assert Dependency.objects.count() == 1

    def test_remove_link(self, client, project, team, plan):
        """A contributor removes a link; a viewer cannot."""
        link = dependency_create(
            actor=project.manager,
            project=project,
            predecessor=plan["design"],
            successor=plan["build"],
        )
        address = url("plan_dependency_delete", project, link_id=link.pk)
        client.force_login(team["viewer"])
        assert client.post(address, **HTMX).status_code == 403
        assert Dependency.objects.exists()
        client.force_login(team["contributor"])
        response = client.post(address, **HTMX)
        assert response.status_code == 200
        assert not Dependency.objects.exists()


@pytest.mark.django_db
class BoardTests:
    def test_columns_and_move(self, client, project, team, plan):
        """Leaf packages sit in status columns; moving a card changes its status."""
        design = plan["design"]
        blocker_raise(actor=project.manager, package=design, reason="Waiting for specs")
        client.force_login(team["contributor"])
        content = client.get(url("plan_board", project)).content.decode()
        assert f'id="card-{plan["phase"].pk}"' not in content
        assert "Blocked" in content
        response = client.post(
            url("plan_board_move", project, package_id=design.pk),
            {"status": "in_progress", "version": design.version},
            **HTMX,
        )
        assert response.status_code == 200
        assert 'id="board"' in response.content.decode()
        assert fresh(design).status == "in_progress"

    def test_move_back_to_not_started(self, client, project, team, plan):
        """A card moved back to Not started loses its actual start."""
        design = work_package_update(
            actor=project.manager, package=plan["design"], status="in_progress"
        )
        client.force_login(team["contributor"])
        client.post(
            url("plan_board_move", project, package_id=design.pk),
            {"status": "not_started", "version": design.version},
            **HTMX,
        )
        wp = fresh(design)
        assert (wp.status, wp.actual_start) == ("not_started", None)

    def test_viewer_and_stale_moves_refused(self, client, project, team, plan):
        """A viewer's move answers 403; a stale one 409; the status stays."""
        design = plan["design"]
        address = url("plan_board_move", project, package_id=design.pk)
        client.force_login(team["viewer"])
        assert client.post(address, {"status": "done"}, **HTMX).status_code == 403
        client.force_login(team["contributor"])
        response = client.post(address, {"status": "done", "version": 99}, **HTMX)
        assert response.status_code == 409
        assert "changed by someone else" in response.content.decode()
        assert fresh(design).status == "not_started"


@pytest.mark.django_db
class BlockerPageTests:
    def test_raise_and_resolve(self, client, project, team, plan):
        """A contributor raises a blocker by WBS code and resolves it with a resolution."""
        client.force_login(team["contributor"])
        response = client.post(url("blockers", project), {"package": "1.1", "reason": "No specs"})
        assert response.status_code == 302
        blocker = Blocker.objects.get()
        assert blocker.work_package_id == plan["design"].pk
        content = client.get(url("blockers", project)).content.decode()
        assert "No specs" in content and "Not escalated" in content
        response = client.post(
            url("blocker_resolve", project, blocker_id=blocker.pk),
            {"resolution": "Specs arrived"},
            **HTMX,
        )
        assert response.status_code == 200
        assert "Nothing is blocked." in response.content.decode()
        blocker.refresh_from_db()
        assert blocker.resolution == "Specs arrived" and blocker.resolved_by == team["contributor"]

    def test_bad_input_and_roles(self, client, project, team, plan):
        """An unknown package or empty reason is refused; a viewer gets 403; nothing is raised."""
        client.force_login(team["contributor"])
        response = client.post(url("blockers", project), {"package": "7", "reason": "x"})
        assert response.status_code == 422
        assert "has no work package “7”" in response.content.decode()
        response = client.post(url("blockers", project), {"package": "1.1", "reason": ""})
        assert response.status_code == 422
        assert "Say what blocks the work." in response.content.decode()
        client.force_login(team["viewer"])
        response = client.post(url("blockers", project), {"package": "1.1", "reason": "x"})
        assert response.status_code == 403
        assert not Blocker.objects.exists()

    def test_resolve_refusals(self, client, project, team, plan):
        """A resolution is required; a viewer cannot resolve; a resolved blocker answers 409."""
        blocker = blocker_raise(actor=project.manager, package=plan["design"], reason="x")
        address = url("blocker_resolve", project, blocker_id=blocker.pk)
        client.force_login(team["viewer"])
        assert client.post(address, {"resolution": "ok"}, **HTMX).status_code == 403
        client.force_login(team["contributor"])
        response = client.post(address, {"resolution": ""}, **HTMX)
        assert response.status_code == 422
        assert "Say how the blocker was resolved." in response.content.decode()
        assert client.post(address, {"resolution": "ok"}, **HTMX).status_code == 200
        assert client.post(address, {"resolution": "again"}, **HTMX).status_code == 409

    def test_escalation_path_for_managers(self, client, project, team, plan):
        """A manager sets the path; an approver is refused; a max age without owner is an error."""
        address = url("escalation_path", project)
        data = {
            "owner_0": team["contributor"].username,
            "hours_0": "24",
            "owner_1": project.manager.username,
            "hours_1": "48",
        }
        client.force_login(team["approver"])
        assert client.post(address, data).status_code == 403
        assert not EscalationLevel.objects.exists()
        client.force_login(project.manager)
        assert client.post(address, data).status_code == 302
        levels = list(
            EscalationLevel.objects.values_list("level", "owner__username", "max_age_hours")
        )
        assert levels == [(1, team["contributor"].username, 24), (2, project.manager.username, 48)]
        response = client.post(address, {"hours_0": "5"})
        assert response.status_code == 422
        assert "Choose who owns this level." in response.content.decode()
        assert EscalationLevel.objects.count() == 2

    def test_path_says_when_each_level_takes_a_blocker(self, client, project, team, plan):
        """Each level after the first takes a blocker after the previous level's age, as it does."""
        client.force_login(project.manager)
        first, second = team["contributor"], project.manager
        client.post(
            url("escalation_path", project),
            {
                "owner_0": first.username,
                "hours_0": "24",
                "owner_1": second.username,
                "hours_1": "48",
            },
        )
        content = client.get(url("blockers", project)).content.decode()
        path = content.split('<ol class="escalation-levels">')[1].split("</ol>")[0]
        assert "takes a blocker once it has been open 24 h" in path
        assert (
            f"takes a blocker once it has been at level 1 ({first.display_name}) for 24 h, "
            "and keeps it until it is resolved"
        ) in path
        assert "48 h" not in path and "older than" not in path
        blocker = blocker_raise(actor=project.manager, package=plan["design"], reason="x")
        now = blocker.raised_at + timedelta(hours=25)
        assert [b.level for b in blockers_escalate(now=now)] == [1]
        assert [b.level for b in blockers_escalate(now=now + timedelta(hours=25))] == [2]

    def test_current_owner_follows_the_level(self, client, project, team, plan):
        """An escalated blocker shows its level's owner."""
        client.force_login(project.manager)
        client.post(
            url("escalation_path", project),
            {"owner_0": team["approver"].username, "hours_0": "1"},
        )
        blocker = blocker_raise(actor=project.manager, package=plan["design"], reason="x")
        Blocker.objects.filter(pk=blocker.pk).update(level=1)
        content = client.get(url("blockers", project)).content.decode()
        assert "Level 1" in content and team["approver"].display_name in content


@pytest.mark.django_db
class CheckpointPageTests:
    def test_record_with_actions_and_mark_done(self, client, project, team):
        """A contributor records a checkpoint with actions; one is marked done in place."""
        client.force_login(team["contributor"])
        response = client.post(
            url("checkpoints", project),
            {
                "held_on": "2030-01-15",
                "title": "Weekly review",
                "attendees": [project.manager.username, team["contributor"].username],
                "decisions": "Go on with build.",
                "action_0": "Send specs",
                "action_0_owner": team["contributor"].username,
                "action_0_due": "2030-01-20",
            },
        )
        assert response.status_code == 302
        checkpoint = Checkpoint.objects.get()
        assert checkpoint.attendees.count() == 2
        action = CheckpointAction.objects.get()
        assert action.description == "Send specs"
        response = client.post(
            url("checkpoint_action", project, action_id=action.pk), {"done": "1"}, **HTMX
        )
        assert response.status_code == 200
        assert "Reopen" in response.content.decode()
        action.refresh_from_db()
        assert action.done_at is not None

    def test_action_without_owner_refused(self, client, project, team):
        """An action without owner is refused next to its field; nothing is recorded."""
        client.force_login(team["contributor"])
        response = client.post(
            url("checkpoints", project),
            {
                "held_on": "2030-01-15",
                "title": "Review",
                "action_0": "Do it",
                "action_0_due": "2030-01-20",
            },
        )
        assert response.status_code == 422
        assert "Every action has an owner." in response.content.decode()
        assert not Checkpoint.objects.exists()

    def test_viewer_refused(self, client, project, team):
        """A viewer can read checkpoints but neither record nor mark actions."""
        checkpoint = checkpoint_record(
            actor=project.manager,
            project=project,
            held_on=date(2030, 1, 1),
            title="Kick-off",
            actions=[{"description": "A", "owner": project.manager, "due_date": date(2030, 1, 9)}],
        )
        action = checkpoint.actions.get()
        client.force_login(team["viewer"])
        assert "Kick-off" in client.get(url("checkpoints", project)).content.decode()
        response = client.post(url("checkpoints", project), {"held_on": "2030-01-02", "title": "X"})
        assert response.status_code == 403
        address = url("checkpoint_action", project, action_id=action.pk)
        assert client.post(address, {"done": "1"}, **HTMX).status_code == 403
        action.refresh_from_db()
        assert action.done_at is None and Checkpoint.objects.count() == 1


@pytest.mark.django_db
class BaselinePageTests:
    def test_save_and_compare(self, client, project, team, plan):
        """A manager saves a baseline; after a change the comparison shows the variance."""
        client.force_login(project.manager)
        response = client.post(url("baselines", project), {"name": "Approved"})
        assert response.status_code == 302
        baseline = Baseline.objects.get()
        work_package_update(actor=project.manager, package=plan["build"], duration=2400)
        content = client.get(url("baselines", project), {"compare": baseline.pk}).content.decode()
        assert "+2 d" in content
        assert 'id="finish-variance"' in content

    def test_roles_and_bad_input(self, client, project, team, plan):
        """An approver cannot save; an empty or duplicate name is refused."""
        client.force_login(team["approver"])
        assert client.post(url("baselines", project), {"name": "B"}).status_code == 403
        client.force_login(project.manager)
        assert client.post(url("baselines", project), {"name": ""}).status_code == 422
        baseline_save(actor=project.manager, project=project, name="B")
        response = client.post(url("baselines", project), {"name": "B"})
        assert response.status_code == 422
        assert "already has a baseline with this name" in response.content.decode()
        assert Baseline.objects.count() == 1

    def test_unknown_baseline_is_404(self, client, project, team):
        client.force_login(team["viewer"])
        assert client.get(url("baselines", project), {"compare": 999}).status_code == 404


@pytest.mark.django_db
class BurndownTests:
    def test_chart_drawn_as_svg(self, client, project, team, plan):
        """The burn-down is an inline SVG with the planned and ideal lines."""
        client.force_login(team["viewer"])
        content = client.get(url("plan_burndown", project)).content.decode()
        assert "<svg" in content and 'class="planned"' in content and 'class="ideal"' in content

    def test_empty_plan(self, client, project, team):
        client.force_login(team["viewer"])
        content = client.get(url("plan_burndown", project)).content.decode()
        assert "No scheduled work yet" in content


@pytest.mark.django_db
class CalendarPageTests:
    def test_manager_changes_hours_and_holidays(self, client, project, plan):
        """Seven-hour days and a holiday are saved; durations then read on a 7 h day."""
        calendar = ProjectCalendar.objects.get(project=project)
        client.force_login(project.manager)
        data = {f"day_{d}": "08:00-12:00, 13:00-16:00" for d in range(5)}
        data.update(
            schedule_start="2030-01-07", holidays="2030-01-08 Staff day", version=calendar.version
        )
        response = client.post(url("plan_calendar", project), data)
        assert response.status_code == 302
        calendar.refresh_from_db()
        assert calendar.week["0"] == [["08:00", "12:00"], ["13:00", "16:00"]]
        assert calendar.exceptions.get().name == "Staff day"
        content = client.get(url("plan", project)).content.decode()
        assert "1 d 1 h" in content  # Design: 960 working minutes on a 420-minute day

    def test_changed_hours_survive_a_round_trip(self, client, project, plan):
        """A date with changed hours shows its hours, keeps them on save and can be edited."""
        manager = project.manager
        calendar_update(
            actor=manager,
            project=project,
            exceptions=[
                {"date": date(2030, 1, 1), "name": "New Year", "periods": []},
                {"date": date(2030, 1, 2), "name": "Short day", "periods": [["08:00", "12:00"]]},
            ],
        )
        client.force_login(manager)
        response = client.get(url("plan_calendar", project))
        assert "2030-01-02 08:00-12:00 Short day" in response.content.decode()
        form = response.context["form"]
        data = {name: form[name].value() for name in form.fields}
        data["schedule_start"] = data["schedule_start"].isoformat()
        assert client.post(url("plan_calendar", project), data).status_code == 302
        calendar = ProjectCalendar.objects.get(project=project)
        assert [(e.date, e.name, e.periods) for e in calendar.exceptions.all()] == [
            (date(2030, 1, 1), "New Year", []),
            (date(2030, 1, 2), "Short day", [["08:00", "12:00"]]),
        ]
        data.update(
            holidays="2030-01-02 9:00-11:00, 13:00-15:00 Short day", version=calendar.version
        )
        assert client.post(url("plan_calendar", project), data).status_code == 302
        assert [e.periods for e in calendar.exceptions.all()] == [
            [["09:00", "11:00"], ["13:00", "15:00"]]
        ]
        data.update(holidays="2030-01-02 08:00-12:00, Short day", version=calendar.version + 1)
        response = client.post(url("plan_calendar", project), data)
        assert response.status_code == 422
        assert "Line 1: write the hours worked as 08:00-12:00" in response.content.decode()

    def test_bad_hours_and_stale_version(self, client, project, plan):
        """Unreadable hours answer 422; a stale form answers 409 with the current values."""
        calendar = ProjectCalendar.objects.get(project=project)
        client.force_login(project.manager)
        data = {"day_0": "morning", "schedule_start": "2030-01-07", "version": calendar.version}
        response = client.post(url("plan_calendar", project), data)
        assert response.status_code == 422
        assert "Write Monday&#x27;s hours as 08:00-12:00" in response.content.decode()
        data = {"day_0": "09:00-17:00", "schedule_start": "2030-01-07", "version": 99}
        response = client.post(url("plan_calendar", project), data)
        assert response.status_code == 409
        calendar.refresh_from_db()
        assert calendar.week["0"] != [["09:00", "17:00"]]


@pytest.mark.django_db
class DashboardPlanTests:
    def test_dashboard_shows_finish_critical_path_and_blockers(self, client, project, team, plan):
        """The dashboard shows the planned finish vs go-live, the critical path and blockers."""
        blocker_raise(actor=project.manager, package=plan["design"], reason="x")
        client.force_login(team["viewer"])
        content = client.get(url("project_dashboard", project)).content.decode()
        assert 'id="planned-finish"' in content
        assert "Critical path" in content and "Build" in content
        assert "1 open blocker" in content
