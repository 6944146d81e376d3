"""The resource pages through Django's test client: roles, writes, refusals, query counts."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from golive.projects.tests.factories import UserFactory
from golive.resources.models import (
    Assignment,
    LevelingHold,
    LevelingRun,
    LevelingStatus,
    ProcurementItem,
    Resource,
    ResourceSettings,
    ResourceSkill,
    TimeOff,
)
from golive.resources.services import leveling_preview, skill_set, time_off_add
from golive.resources.tests.factories import (
    DAY,
    MONDAY,
    AssignmentFactory,
    ProcurementItemFactory,
    ResourceFactory,
    package,
    staffed_plan,
)
from golive.web.views import resources_work
from golive.work.models import WorkPackage

START = MONDAY.isoformat()


@pytest.fixture
def plan(db):
    """Design → Build → Go-live and Docs → Go-live; Ann on Design and Docs (overloaded), Bob
    on Build (see staffed_plan)."""
    project, team, wps, people = staffed_plan(key="ERP")
    skill_set(actor=project.manager, resource=people["ann"], skill="SAP", level=4)
    time_off_add(
        actor=project.manager,
        resource=people["bob"],
        start=MONDAY + timedelta(days=14),
        end=MONDAY + timedelta(days=15),
        reason="Training",
    )
    item = ProcurementItemFactory(
        project=project,
        name="Servers",
        order_date=MONDAY,
        lead_time_days=3,
        work_packages=[wps["Build"]],
    )
    run = leveling_preview(actor=project.manager, project=project, time_limit=2)
    return {
        "project": project,
        "team": team,
        "wps": wps,
        "people": people,
        "item": item,
        "run": run,
    }


def url(view: str, project, **kwargs) -> str:
    return reverse(f"web:{view}", kwargs={"key": project.key, **kwargs})


def pages(plan):
    people, item = plan["people"], plan["item"]
    return [
        ("resources", {}),
        ("resource", {"resource_id": people["ann"].pk}),
        ("resources_heatmap", {}),
        ("resources_warnings", {}),
        ("resources_assignments", {}),
        ("resources_procurement", {}),
        ("resources_procurement_item", {"item_id": item.pk}),
        ("resources_leveling", {}),
    ]


def content(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
class ResourcePageAccessTests:
    def test_every_page_renders_for_a_viewer_without_write_actions(self, client, plan):
        """Each resource page renders for a viewer and offers no write."""
        project = plan["project"]
        client.force_login(plan["team"]["viewer"])
        for name, kwargs in pages(plan):
            response = client.get(url(name, project, **kwargs), {"start": START})
            assert response.status_code == 200, name
            html = content(response)
            assert project.name in html, name
            # The only form that writes is the log-out button.
            assert html.count('method="post"') == 1, name

    def test_outsider_gets_404_everywhere(self, client, plan):
        """A non-member gets 404 on every resource page and every write."""
        project = plan["project"]
        client.force_login(UserFactory(username="outsider"))
        for name, kwargs in pages(plan):
            response = client.get(url(name, project, **kwargs))
            assert response.status_code == 404, name
            assert project.name.encode() not in response.content, name
        run = plan["run"]
        response = client.post(
            url("resources_leveling_run", project, run_id=run.pk), {"op": "apply"}
        )
        assert response.status_code == 404

    def test_project_bar_links_resources(self, client, plan):
        """The project navigation has a Resources tab."""
        project = plan["project"]
        client.force_login(plan["team"]["viewer"])
        html = content(client.get(url("project_dashboard", project)))
        assert f'href="{url("resources", project)}"' in html

    def test_manager_sees_the_write_actions(self, client, plan):
        """A manager gets the add, edit, assign, record and level forms."""
        project = plan["project"]
        client.force_login(project.manager)
        assert "Add resource" in content(client.get(url("resources", project)))
        html = content(client.get(url("resource", project, resource_id=plan["people"]["ann"].pk)))
        assert "Set skill" in html and "Record time off" in html and "Delete Ann" in html
        assert "Assign a resource" in content(client.get(url("resources_assignments", project)))
        assert "Record item" in content(client.get(url("resources_procurement", project)))
        assert "Save threshold" in content(client.get(url("resources_warnings", project)))
        html = content(client.get(url("resources_leveling", project)))
        assert "Confirm: apply leveling" in html and "Discard" in html

    def test_contributor_assigns_and_procures_but_does_not_manage(self, client, plan):
        """A contributor gets the assignment and procurement forms, not resource or leveling."""
        project = plan["project"]
        client.force_login(plan["team"]["contributor"])
        assert "Add resource" not in content(client.get(url("resources", project)))
        assert "Assign a resource" in content(client.get(url("resources_assignments", project)))
        assert "Record item" in content(client.get(url("resources_procurement", project)))
        html = content(client.get(url("resources_leveling", project)))
        assert "Preview" in html and "Confirm: apply leveling" not in html


@pytest.mark.django_db
class ResourceRefusalTests:
    def test_too_low_roles_are_refused(self, client, plan):
        """Writes above the role get the 403 page and change nothing."""
        project, team, people = plan["project"], plan["team"], plan["people"]
        ann = people["ann"]
        cases = [
            (
                "viewer",
                url("resources", project),
                {"name": "Eve", "kind": "person", "capacity_hours": "8", "cost_rate": "0"},
            ),
            (
                "contributor",
                url("resources", project),
                {"name": "Eve", "kind": "person", "capacity_hours": "8", "cost_rate": "0"},
            ),
            (
                "contributor",
                url("resource", project, resource_id=ann.pk),
                {"op": "skill_set", "skill": "ABAP", "level": "3"},
            ),
            (
                "viewer",
                url("resources_assignments", project),
                {"package": plan["wps"]["Build"].pk, "resource": ann.pk, "units": "50"},
            ),
            (
                "viewer",
                url("resources_procurement", project),
                {"name": "Licences", "kind": "licence", "lead_time_days": "1"},
            ),
            ("contributor", url("resources_warnings", project), {"critical_share_percent": "30"}),
            ("contributor", url("resources_leveling", project), {"time_limit": "1"}),
            (
                "approver",
                url("resources_leveling_run", project, run_id=plan["run"].pk),
                {"op": "apply"},
            ),
        ]
        before = (
            Resource.objects.count(),
            ResourceSkill.objects.count(),
            Assignment.objects.count(),
            ProcurementItem.objects.count(),
            ResourceSettings.objects.count(),
            LevelingRun.objects.count(),
        )
        for role, target, data in cases:
            client.force_login(team[role])
            response = client.post(target, data)
            assert response.status_code == 403, (role, target)
        after = (
            Resource.objects.count(),
            ResourceSkill.objects.count(),
            Assignment.objects.count(),
            ProcurementItem.objects.count(),
            ResourceSettings.objects.count(),
            LevelingRun.objects.count(),
        )
        assert after == before
        assert LevelingRun.objects.get(pk=plan["run"].pk).status == LevelingStatus.PREVIEW

    def test_duplicate_resource_shows_the_service_message(self, client, plan):
        """A second "Ann" is refused with the model's message; nothing is added."""
        project = plan["project"]
        client.force_login(project.manager)
        response = client.post(
            url("resources", project),
            {"name": "Ann", "kind": "person", "capacity_hours": "8", "cost_rate": "0"},
        )
        assert response.status_code == 422
        assert "already has a resource with this name" in content(response)
        assert Resource.objects.filter(project=project).count() == 2

    def test_capacity_zero_while_assigned_is_refused(self, client, plan):
        """Ann cannot drop to 0 h a day while assigned: the message names her packages."""
        project, ann = plan["project"], plan["people"]["ann"]
        client.force_login(project.manager)
        response = client.post(
            url("resource", project, resource_id=ann.pk),
            {
                "op": "update",
                "name": "Ann",
                "kind": "person",
                "user": ann.user.username,
                "capacity_hours": "0",
                "cost_rate": "0",
                "active": "on",
                "version": ann.version,
            },
        )
        assert response.status_code == 422
        html = content(response)
        assert "Ann is assigned to" in html and "Design" in html
        ann.refresh_from_db()
        assert ann.capacity_hours == 8

    def test_stale_resource_edit_is_a_conflict(self, client, plan):
        """An edit read at an old version is refused and shows the current values."""
        project, bob = plan["project"], plan["people"]["bob"]
        client.force_login(project.manager)
        response = client.post(
            url("resource", project, resource_id=bob.pk),
            {
                "op": "update",
                "name": "Robert",
                "kind": "person",
                "capacity_hours": "6",
                "cost_rate": "0",
                "active": "on",
                "version": bob.version + 5,
            },
        )
        assert response.status_code == 409
        bob.refresh_from_db()
        assert bob.name == "Bob"

    def test_delete_of_an_assigned_resource_is_refused(self, client, plan):
        """Deleting Bob while he builds is refused naming the package."""
        project, bob = plan["project"], plan["people"]["bob"]
        client.force_login(project.manager)
        response = client.post(
            url("resource", project, resource_id=bob.pk), {"op": "delete", "version": bob.version}
        )
        assert response.status_code == 422
        assert "Bob is assigned to" in content(response)
        assert Resource.objects.filter(pk=bob.pk).exists()

    def test_bad_time_off_shows_the_message(self, client, plan):
        """Time off ending before it starts is refused."""
        project, ann = plan["project"], plan["people"]["ann"]
        client.force_login(project.manager)
        response = client.post(
            url("resource", project, resource_id=ann.pk),
            {"op": "time_off_add", "start": "2027-03-10", "end": "2027-03-08"},
        )
        assert response.status_code == 422
        assert "Time off must end on or after it starts." in content(response)
        assert not TimeOff.objects.filter(resource=ann).exists()

    def test_assignment_without_the_skill_is_refused(self, client, plan):
        """Bob lacks SAP: assigning him to Docs requiring SAP 3 names both."""
        project, wps, bob = plan["project"], plan["wps"], plan["people"]["bob"]
        client.force_login(plan["team"]["contributor"])
        response = client.post(
            url("resources_assignments", project),
            {
                "package": wps["Docs"].pk,
                "resource": bob.pk,
                "units": "100",
                "skill": "SAP",
                "skill_level": "3",
            },
        )
        assert response.status_code == 422
        assert "Bob does not have SAP; 4 Docs needs level 3." in content(response)
        assert not Assignment.objects.filter(resource=bob, work_package=wps["Docs"]).exists()

    def test_bad_share_and_time_limit_show_the_service_message(self, client, plan):
        """A 0 % share and a 900 s time limit are refused with the service's words."""
        project = plan["project"]
        client.force_login(project.manager)
        response = client.post(url("resources_warnings", project), {"critical_share_percent": "0"})
        assert response.status_code == 422
        assert "greater than or equal to 1" in content(response)
        assert not ResourceSettings.objects.filter(project=project).exists()
        runs = LevelingRun.objects.count()
        response = client.post(url("resources_leveling", project), {"time_limit": "900"})
        assert response.status_code == 422
        assert "Seconds from 0 to 600" in content(response)
        assert LevelingRun.objects.count() == runs

    def test_bad_procurement_dates_show_the_message(self, client, plan):
        """A delivery before the order is refused; nothing is recorded."""
        project = plan["project"]
        client.force_login(plan["team"]["contributor"])
        response = client.post(
            url("resources_procurement", project),
            {
                "name": "Licences",
                "kind": "licence",
                "order_date": "2027-03-10",
                "lead_time_days": "2",
                "actual_delivery": "2027-03-01",
            },
        )
        assert response.status_code == 422
        assert "The delivery is before the order date." in content(response)
        assert not ProcurementItem.objects.filter(name="Licences").exists()

    def test_stale_apply_is_refused(self, client, plan):
        """Applying a preview after the plan changed is a conflict; no hold is written."""
        project = plan["project"]
        ResourceFactory(project=project, name="Cleo")
        client.force_login(project.manager)
        response = client.post(
            url("resources_leveling_run", project, run_id=plan["run"].pk), {"op": "apply"}
        )
        assert response.status_code == 409
        assert "preview again" in content(response)
        assert not LevelingHold.objects.exists()


@pytest.mark.django_db
class ResourceWriteTests:
    def test_manager_adds_and_edits_a_resource(self, client, plan):
        """Add a team, give it a skill and time off, then edit its capacity."""
        project = plan["project"]
        client.force_login(project.manager)
        response = client.post(
            url("resources", project),
            {"name": "Basis team", "kind": "team", "capacity_hours": "16", "cost_rate": "90"},
        )
        team = Resource.objects.get(project=project, name="Basis team")
        assert response.status_code == 302
        assert response["Location"] == url("resource", project, resource_id=team.pk)
        detail = url("resource", project, resource_id=team.pk)
        assert (
            client.post(detail, {"op": "skill_set", "skill": "SAP", "level": "5"}).status_code
            == 302
        )
        assert (
            client.post(
                detail, {"op": "time_off_add", "start": "2027-03-08", "end": "2027-03-09"}
            ).status_code
            == 302
        )
        response = client.post(
            detail,
            {
                "op": "update",
                "name": "Basis team",
                "kind": "team",
                "capacity_hours": "12",
                "cost_rate": "90",
                "active": "on",
                "version": team.version,
            },
        )
        assert response.status_code == 302
        team.refresh_from_db()
        assert team.capacity_hours == 12
        assert team.skills.get().level == 5
        html = content(client.get(detail))
        assert "SAP" in html and "2027-03-08" in html
        off = team.time_off.get()
        assert client.post(detail, {"op": "time_off_remove", "time_off": off.pk}).status_code == 302
        assert client.post(detail, {"op": "skill_remove", "skill": "SAP"}).status_code == 302
        assert not team.time_off.exists() and not team.skills.exists()

    def test_heatmap_and_histogram_show_the_overload(self, client, plan):
        """Ann's first week is red on the heatmap; her histogram marks two overloaded days."""
        project, ann = plan["project"], plan["people"]["ann"]
        client.force_login(plan["team"]["viewer"])
        html = content(client.get(url("resources_heatmap", project), {"start": START}))
        assert "2 overloaded resource-days" in html
        row = html.split(f'id="heat-{ann.pk}"')[1].split("</tr>")[0]
        assert 'class="load-over"' in row
        html = content(client.get(url("resource", project, resource_id=ann.pk), {"start": START}))
        assert html.count('class="day overloaded"') == 2
        assert "2 overloaded days" in html

    def test_candidates_rank_free_people_first(self, client, plan):
        """For Build, Ann (free after Design) ranks; with SAP 4 only Ann qualifies."""
        project, wps = plan["project"], plan["wps"]
        client.force_login(plan["team"]["contributor"])
        page = client.get(url("resources_assignments", project), {"package": wps["Build"].pk})
        html = content(page)
        assert "Who could take this?" in html
        table = html.split('id="candidate-list"')[1].split("</table>")[0]
        assert "Ann" in table and "Bob" in table and "Assigned" in table
        html = content(
            client.get(
                url("resources_assignments", project),
                {"package": wps["Build"].pk, "skill": "SAP", "level": "4"},
            )
        )
        table = html.split('id="candidate-list"')[1].split("</table>")[0]
        assert "Ann" in table and "Bob" not in table
        response = client.post(
            url("resources_assignments", project),
            {
                "package": wps["Build"].pk,
                "resource": plan["people"]["ann"].pk,
                "units": "100",
                "skill": "SAP",
                "skill_level": "4",
            },
        )
        assert response.status_code == 302
        assert Assignment.objects.filter(
            work_package=wps["Build"], resource=plan["people"]["ann"], skill__name="SAP"
        ).exists()

    def test_assignment_edit_and_remove(self, client, plan):
        """Units change through the row's form; remove takes the assignment away."""
        project = plan["project"]
        a = Assignment.objects.get(resource=plan["people"]["bob"])
        client.force_login(plan["team"]["contributor"])
        target = url("resources_assignment", project, assignment_id=a.pk)
        response = client.post(target, {"op": "update", "units": "50", "version": a.version})
        assert response.status_code == 302
        a.refresh_from_db()
        assert a.units == 50
        response = client.post(target, {"op": "update", "units": "50", "version": 1})
        assert response.status_code == 422
        assert "changed" in content(response)
        response = client.post(target, {"op": "delete", "version": a.version})
        assert response.status_code == 302
        assert not Assignment.objects.filter(pk=a.pk).exists()

    def test_procurement_item_record_edit_and_late_alert(self, client, plan):
        """A delivery after Build could start is at risk and says how far the finish moves."""
        project, wps = plan["project"], plan["wps"]
        client.force_login(plan["team"]["contributor"])
        response = client.post(
            url("resources_procurement", project),
            {
                "name": "Licences",
                "kind": "licence",
                "order_date": "2027-03-01",
                "lead_time_days": "10",
                "work_packages": [wps["Docs"].pk],
            },
        )
        assert response.status_code == 302
        item = ProcurementItem.objects.get(name="Licences")
        assert item.expected_delivery == date(2027, 3, 11)
        html = content(client.get(url("resources_procurement", project)))
        alerts = html.split('id="procurement-alerts"')[1].split("</article>")[0]
        assert "Licences" in alerts and "At risk" in alerts and "Moves the finish" in alerts
        response = client.post(
            url("resources_procurement_item", project, item_id=item.pk),
            {
                "op": "update",
                "name": "Licences",
                "kind": "licence",
                "order_date": "2027-03-01",
                "lead_time_days": "10",
                "actual_delivery": "2027-03-02",
                "work_packages": [wps["Docs"].pk],
                "version": item.version,
            },
        )
        assert response.status_code == 302
        item.refresh_from_db()
        assert item.actual_delivery == date(2027, 3, 2)
        response = client.post(
            url("resources_procurement_item", project, item_id=item.pk),
            {"op": "delete", "version": item.version},
        )
        assert response.status_code == 302
        assert not ProcurementItem.objects.filter(pk=item.pk).exists()

    def test_warning_for_a_person_on_most_of_the_critical_path(self, client, plan):
        """Bob carries all of the critical Build: over a 40 % share he is warned about."""
        project = plan["project"]
        client.force_login(project.manager)
        response = client.post(url("resources_warnings", project), {"critical_share_percent": "40"})
        assert response.status_code == 302
        html = content(client.get(url("resources_warnings", project)))
        table = html.split('id="warning-list"')[1].split("</table>")[0]
        assert "Bob" in table

    def test_preview_apply_undo_discard(self, client, plan):
        """Preview lists Docs moving; apply holds it; undo removes the hold; discard a preview."""
        project = plan["project"]
        client.force_login(project.manager)
        LevelingRun.objects.filter(pk=plan["run"].pk).update(status=LevelingStatus.DISCARDED)
        response = client.post(url("resources_leveling", project), {"time_limit": "2"})
        assert response.status_code == 302
        html = content(client.get(url("resources_leveling", project)))
        moves = html.split('id="moves"')[1].split("</table>")[0]
        assert "Docs" in moves and "+2 d" in moves
        run = LevelingRun.objects.filter(status=LevelingStatus.PREVIEW).get()
        run_url = url("resources_leveling_run", project, run_id=run.pk)
        assert client.post(run_url, {"op": "apply"}).status_code == 302
        assert LevelingHold.objects.filter(work_package=plan["wps"]["Docs"]).exists()
        html = content(client.get(url("resources_leveling", project)))
        assert f"Undo leveling {run.pk}" in html
        assert client.post(run_url, {"op": "undo"}).status_code == 302
        assert not LevelingHold.objects.exists()
        response = client.post(run_url, {"op": "undo"})
        assert response.status_code == 409
        assert "not applied" in content(response)
        client.post(url("resources_leveling", project), {"time_limit": "1"})
        fresh = LevelingRun.objects.filter(status=LevelingStatus.PREVIEW).get()
        response = client.post(
            url("resources_leveling_run", project, run_id=fresh.pk), {"op": "discard"}
        )
        assert response.status_code == 302
        fresh.refresh_from_db()
        assert fresh.status == LevelingStatus.DISCARDED


@pytest.mark.django_db
class ResourcePartialTests:
    def test_heatmap_window_answers_the_grid_for_htmx(self, client, plan):
        """An htmx request for another window gets the grid only."""
        project = plan["project"]
        client.force_login(plan["team"]["viewer"])
        response = client.get(
            url("resources_heatmap", project),
            {"start": START, "weeks": "4"},
            HTTP_HX_REQUEST="true",
        )
        html = content(response)
        assert response.status_code == 200
        assert html.lstrip().startswith('<div id="heatmap-grid">')
        assert "<nav" not in html and html.count('class="week"') == 4

    def test_candidate_ranking_answers_the_card_for_htmx(self, client, plan):
        """An htmx ranking request gets the candidates card only."""
        project, wps = plan["project"], plan["wps"]
        client.force_login(plan["team"]["contributor"])
        response = client.get(
            url("resources_assignments", project),
            {"package": wps["Build"].pk},
            HTTP_HX_REQUEST="true",
        )
        html = content(response)
        assert html.lstrip().startswith('<article class="card" id="candidates"')
        assert "candidate-list" in html and "Assign a resource" not in html


def _grow(plan, n: int) -> None:
    """Add `n` resources with a skill and time off, each on a new package, and `n` items."""
    project = plan["project"]
    for i in range(n):
        r = ResourceFactory(project=project, name=f"Extra {len(Resource.objects.all())}")
        skill_set(actor=project.manager, resource=r, skill="SAP", level=2)
        time_off_add(actor=project.manager, resource=r, start=MONDAY, end=MONDAY)
        wp = package(project, f"Extra work {WorkPackage.objects.count()}", duration=DAY)
        AssignmentFactory(package=wp, resource=r)
        ProcurementItemFactory(
            project=project,
            name=f"Part {ProcurementItem.objects.count()}",
            order_date=MONDAY,
            lead_time_days=i,
            work_packages=[wp],
        )


@pytest.mark.django_db
class ResourceQueryCountTests:
    @pytest.mark.parametrize(
        "name", ["resources", "resources_heatmap", "resources_assignments", "resources_procurement"]
    )
    def test_lists_do_not_grow_with_rows(self, client, plan, name, monkeypatch):
        """The lists and the heatmap take as many queries with 3 more rows as with 1."""
        project = plan["project"]
        # procurement_alerts plans once without each item's delivery (its own cost, a few
        # queries per item); the page around it must not add any per row.
        monkeypatch.setattr(resources_work, "procurement_alerts", lambda **kwargs: [])
        client.force_login(plan["team"]["viewer"])
        target = url(name, project)

        def count() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(target, {"start": START}).status_code == 200
            return len(ctx.captured_queries)

        _grow(plan, 1)
        small = count()
        _grow(plan, 3)
        assert count() == small
