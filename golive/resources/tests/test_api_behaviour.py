"""API tests: what the resources endpoints do, refuse and cost in queries."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from golive.config.tests.support import ApiClient, assert_problem, queries_for
from golive.projects.models import Membership
from golive.projects.tests.factories import ProjectFactory
from golive.resources.models import (
    Assignment,
    LevelingHold,
    LevelingRun,
    ProcurementItem,
    Resource,
    ResourceSettings,
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
from golive.work.models import WorkPackage
from golive.work.services import work_package_update

BERLIN = ZoneInfo("Europe/Berlin")
R = "/projects/RES/resources"


@pytest.fixture
def plan(db):
    return staffed_plan()


@pytest.fixture
def pm(plan):
    return ApiClient(plan[0].manager)


@pytest.fixture
def viewer(plan):
    return ApiClient(plan[1]["viewer"])


@pytest.fixture
def contributor(plan):
    return ApiClient(plan[1]["contributor"])


def _at(value):
    return datetime.fromisoformat(value).astimezone(BERLIN)


@pytest.mark.django_db
class ResourceEndpointTests:
    def test_create_and_read_a_person_for_a_member(self, plan, pm):
        """A person standing for a member comes back with capacity, cost, skills and time off."""
        response = pm.post(
            R,
            {
                "name": " Cleo ",
                "user": "res-viewer",
                "capacity_hours": "6.5",
                "cost_rate": 90,
                "available_from": "2027-03-01",
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["name"] == "Cleo" and body["user"] == "res-viewer"
        assert body["capacity_hours"] == "6.50" and body["cost_rate"] == "90.00"
        assert body["available_from"] == "2027-03-01" and body["available_to"] is None
        assert body["kind"] == "person" and body["active"] is True and body["version"] == 1
        assert body["skills"] == [] and body["time_off"] == []
        assert pm.get(f"{R}/{body['id']}").json() == body

    def test_non_member_user_is_refused(self, plan, pm):
        """A person for someone outside the project gets 422 naming them; nothing is stored."""
        outsider = ProjectFactory(key="OUT").manager
        body = assert_problem(pm.post(R, {"name": "Olga", "user": outsider.username}), 422)
        assert f"{outsider.username} is not a member of RES" in body["detail"]
        assert body["errors"][0]["field"] == "user"
        assert not Resource.objects.filter(name="Olga").exists()

    def test_equipment_cannot_stand_for_a_user(self, plan, pm):
        """Only a person resource is linked to a user."""
        body = assert_problem(
            pm.post(R, {"name": "Rig", "kind": "equipment", "user": "res-viewer"}), 422
        )
        assert "Only a person" in body["detail"]

    def test_bad_kind_and_capacity_are_refused(self, plan, pm):
        """An unknown kind and a negative capacity get 422 on their fields."""
        body = assert_problem(pm.post(R, {"name": "X", "kind": "robot"}), 422)
        assert body["errors"][0]["field"] == "kind"
        body = assert_problem(pm.post(R, {"name": "X", "capacity_hours": -1}), 422)
        assert body["errors"][0]["field"] == "capacity_hours"

    def test_list_filters_by_kind_and_activity(self, plan, pm):
        """?kind= and ?active= narrow the list, which is ordered by name."""
        project, _, _, people = plan
        ResourceFactory(project=project, name="Crane", kind="equipment")
        pm.patch(f"{R}/{people['bob'].pk}", {"version": 1, "active": False})
        names = [r["name"] for r in pm.get(R).json()["items"]]
        assert names == ["Ann", "Bob", "Crane"]
        assert [r["name"] for r in pm.get(R, {"kind": "equipment"}).json()["items"]] == ["Crane"]
        assert [r["name"] for r in pm.get(R, {"active": "true"}).json()["items"]] == [
            "Ann",
            "Crane",
        ]

    def test_availability_ending_before_it_starts_is_refused(self, plan, pm):
        """An availability window that ends before it starts gets 422; nothing changes."""
        ann = plan[3]["ann"]
        body = assert_problem(
            pm.patch(
                f"{R}/{ann.pk}",
                {"version": 1, "available_from": "2027-03-10", "available_to": "2027-03-01"},
            ),
            422,
        )
        assert "Availability must end on or after it starts" in body["detail"]
        assert Resource.objects.get(pk=ann.pk).available_from is None

    def test_patch_changes_fields_and_stale_version_is_409(self, plan, pm):
        """A change bumps the version; a second change with the old version gets 409 and state."""
        ann = plan[3]["ann"]
        body = pm.patch(f"{R}/{ann.pk}", {"version": 1, "cost_rate": 120}).json()
        assert body["cost_rate"] == "120.00" and body["version"] == 2
        problem = assert_problem(pm.patch(f"{R}/{ann.pk}", {"version": 1, "name": "Anna"}), 409)
        assert "version 1" in problem["detail"] and problem["current"]["version"] == 2
        assert Resource.objects.get(pk=ann.pk).name == "Ann"

    def test_zero_capacity_while_assigned_is_refused(self, plan, pm):
        """Ann works on Design and Docs: taking her capacity to 0 h gets 422 naming both."""
        ann = plan[3]["ann"]
        body = assert_problem(pm.patch(f"{R}/{ann.pk}", {"version": 1, "capacity_hours": 0}), 422)
        assert "Ann is assigned to" in body["detail"]
        assert "1 Design" in body["detail"] and "4 Docs" in body["detail"]
        assert Resource.objects.get(pk=ann.pk).capacity_hours == 8

    def test_delete_refused_while_assigned_and_done_when_free(self, plan, pm):
        """Deleting an assigned resource is 422; an unassigned one is gone with 204."""
        project, _, _, people = plan
        body = assert_problem(pm.delete(f"{R}/{people['bob'].pk}"), 422)
        assert "Bob is assigned to 2 Build" in body["detail"]
        idle = ResourceFactory(project=project, name="Idle")
        assert pm.delete(f"{R}/{idle.pk}?version=2").status_code == 409
        assert pm.delete(f"{R}/{idle.pk}?version=1").status_code == 204
        assert_problem(pm.get(f"{R}/{idle.pk}"), 404)

    def test_resource_of_another_project_is_not_found(self, plan, pm):
        """An id from another project is 404 in this one."""
        other = ProjectFactory(key="OTH")
        foreign = ResourceFactory(project=other, name="Far")
        body = assert_problem(pm.get(f"{R}/{foreign.pk}"), 404)
        assert "RES has no resource" in body["detail"]

    def test_skills_set_change_and_remove(self, plan, pm, viewer):
        """A new skill name adds the skill; setting it again changes the level; removal is 204."""
        ann = plan[3]["ann"]
        body = pm.post(f"{R}/{ann.pk}/skills", {"skill": "SAP FI", "level": 2}).json()
        assert body["skills"] == [{"skill": "SAP FI", "level": 2}]
        body = pm.post(f"{R}/{ann.pk}/skills", {"skill": "sap fi", "level": 5}).json()
        assert body["skills"] == [{"skill": "SAP FI", "level": 5}]
        skills = viewer.get(f"{R}/skills").json()
        assert [s["name"] for s in skills["items"]] == ["SAP FI"]
        assert pm.delete(f"{R}/{ann.pk}/skills/SAP%20FI").status_code == 204
        assert pm.get(f"{R}/{ann.pk}").json()["skills"] == []

    def test_bad_skill_level_and_missing_skill_are_refused(self, plan, pm):
        """Level 7 is 422 with the allowed range; removing a skill she lacks is 422."""
        ann = plan[3]["ann"]
        body = assert_problem(pm.post(f"{R}/{ann.pk}/skills", {"skill": "ABAP", "level": 7}), 422)
        assert "A level from 1 (basic) to 5 (expert); got 7" in body["detail"]
        body = assert_problem(pm.delete(f"{R}/{ann.pk}/skills/ABAP"), 422)
        assert "Ann has no skill ABAP" in body["detail"]

    def test_time_off_add_and_remove(self, plan, pm):
        """Time off shows on the resource and takes its capacity; removal gives it back."""
        ann = plan[3]["ann"]
        response = pm.post(
            f"{R}/{ann.pk}/time-off", {"start": "2027-03-03", "end": "2027-03-04", "reason": "Fair"}
        )
        assert response.status_code == 201
        off = response.json()
        assert (off["start"], off["end"], off["reason"]) == ("2027-03-03", "2027-03-04", "Fair")
        assert pm.get(f"{R}/{ann.pk}").json()["time_off"] == [off]
        load = pm.get(f"{R}/load", {"start": "2027-03-01", "weeks": 1}).json()
        days = next(r for r in load["resources"] if r["resource"]["name"] == "Ann")["days"]
        assert [d["capacity_hours"] for d in days[:5]] == [8, 8, 0, 0, 8]
        assert pm.delete(f"{R}/{ann.pk}/time-off/{off['id']}").status_code == 204
        assert pm.get(f"{R}/{ann.pk}").json()["time_off"] == []

    def test_time_off_ending_before_it_starts_is_refused(self, plan, pm):
        """An end before the start gets 422 saying so."""
        ann = plan[3]["ann"]
        body = assert_problem(
            pm.post(f"{R}/{ann.pk}/time-off", {"start": "2027-03-04", "end": "2027-03-03"}), 422
        )
        assert "Time off must end on or after it starts" in body["detail"]

    def test_time_off_of_another_resource_is_not_found(self, plan, pm):
        """Bob's time off cannot be removed through Ann's path."""
        project, _, _, people = plan
        off = time_off_add(actor=project.manager, resource=people["bob"], start=MONDAY, end=MONDAY)
        body = assert_problem(pm.delete(f"{R}/{people['ann'].pk}/time-off/{off.pk}"), 404)
        assert "Ann has no time off" in body["detail"]
        assert people["bob"].time_off.count() == 1

    def test_list_query_count_is_constant(self, plan, pm):
        """Listing 2 or 10 resources, with skills and time off, runs the same queries."""
        project = plan[0]
        for resource in Resource.objects.filter(project=project):
            skill_set(actor=project.manager, resource=resource, skill="ABAP", level=3)
        pm.get(f"{R}/skills")  # the token's first use is recorded once
        few = queries_for(pm, R)
        for i in range(8):
            extra = ResourceFactory(project=project, name=f"Extra {i}")
            skill_set(actor=project.manager, resource=extra, skill=f"Skill {i}", level=2)
            time_off_add(actor=project.manager, resource=extra, start=MONDAY, end=MONDAY)
        assert queries_for(pm, R) == few
        assert queries_for(pm, f"{R}/skills") == queries_for(pm, f"{R}/skills")


@pytest.mark.django_db
class AssignmentEndpointTests:
    def test_create_fixed_duration_assignment(self, plan, contributor):
        """A half-time assignment to Build (3 days) carries 1.5 days of work."""
        _, _, wps, _ = plan
        ResourceFactory(project=plan[0], name="Cleo")
        cleo = Resource.objects.get(name="Cleo")
        response = contributor.post(
            f"{R}/assignments", {"package": wps["Build"].pk, "resource": cleo.pk, "units": 50}
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["package"] == wps["Build"].pk and body["package_wbs"] == "2"
        assert body["resource_name"] == "Cleo" and body["units"] == 50
        assert body["work"] == 3 * DAY // 2 and body["effort_driven"] is False
        assert body["skill"] is None and body["version"] == 1

    def test_effort_driven_assignment_sets_the_duration(self, plan, contributor):
        """Four days of work at half time make the package last eight days."""
        project, _, wps, _ = plan
        cleo = ResourceFactory(project=project, name="Cleo")
        body = contributor.post(
            f"{R}/assignments",
            {
                "package": wps["Build"].pk,
                "resource": cleo.pk,
                "units": 50,
                "work": 4 * DAY,
                "effort_driven": True,
            },
        ).json()
        assert body["work"] == 4 * DAY and body["effort_driven"] is True
        assert WorkPackage.objects.get(pk=wps["Build"].pk).duration == 8 * DAY

    def test_unknown_package_and_resource_are_bad_input(self, plan, contributor):
        """Ids the project lacks in the body get 422 on the field, not 404."""
        _, _, wps, people = plan
        body = assert_problem(
            contributor.post(f"{R}/assignments", {"package": 99999, "resource": people["bob"].pk}),
            422,
        )
        assert body["errors"] == [{"field": "package", "message": "RES has no work package 99999."}]
        foreign = ResourceFactory(project=ProjectFactory(key="OTH"), name="Far")
        body = assert_problem(
            contributor.post(
                f"{R}/assignments", {"package": wps["Build"].pk, "resource": foreign.pk}
            ),
            422,
        )
        assert body["errors"][0]["field"] == "resource"
        assert f"RES has no resource {foreign.pk}" in body["detail"]

    def test_zero_capacity_resource_is_refused(self, plan, contributor):
        """A resource with no capacity cannot take work: 422 naming it and the package."""
        project, _, wps, _ = plan
        idle = ResourceFactory(project=project, name="Idle", capacity_hours=0)
        body = assert_problem(
            contributor.post(f"{R}/assignments", {"package": wps["Docs"].pk, "resource": idle.pk}),
            422,
        )
        assert "Idle has no capacity (0 h a day); 4 Docs needs work." in body["detail"]
        assert not Assignment.objects.filter(resource=idle).exists()

    def test_person_who_left_the_project_is_refused(self, plan, contributor):
        """A person whose user is no longer a member cannot be assigned."""
        project, team, wps, _ = plan
        gone = ResourceFactory(project=project, name="Gone", user=team["approver"])
        Membership.objects.filter(project=project, user=team["approver"]).delete()
        body = assert_problem(
            contributor.post(f"{R}/assignments", {"package": wps["Docs"].pk, "resource": gone.pk}),
            422,
        )
        assert "Gone is not a member of RES any more" in body["detail"]
        assert "4 Docs" in body["detail"]

    def test_milestone_and_missing_skill_level_are_refused(self, plan, contributor):
        """A milestone takes no work; a skill level the resource lacks is named."""
        project, _, wps, people = plan
        body = assert_problem(
            contributor.post(
                f"{R}/assignments", {"package": wps["Go-live"].pk, "resource": people["bob"].pk}
            ),
            422,
        )
        assert "3 Go-live is a milestone" in body["detail"]
        skill_set(actor=project.manager, resource=people["bob"], skill="ABAP", level=2)
        cleo = ResourceFactory(project=project, name="Cleo")
        skill_set(actor=project.manager, resource=cleo, skill="ABAP", level=2)
        body = assert_problem(
            contributor.post(
                f"{R}/assignments",
                {"package": wps["Docs"].pk, "resource": cleo.pk, "skill": "ABAP", "skill_level": 4},
            ),
            422,
        )
        assert "Cleo has ABAP at level 2; 4 Docs needs level 4." in body["detail"]

    def test_list_by_package_and_unknown_package(self, plan, viewer):
        """?package= lists that package's assignments; an unknown package is 422."""
        _, _, wps, _ = plan
        everything = viewer.get(f"{R}/assignments").json()
        assert [(a["package_name"], a["resource_name"]) for a in everything["items"]] == [
            ("Design", "Ann"),
            ("Build", "Bob"),
            ("Docs", "Ann"),
        ]
        docs = viewer.get(f"{R}/assignments", {"package": wps["Docs"].pk}).json()
        assert [a["resource_name"] for a in docs["items"]] == ["Ann"]
        body = assert_problem(viewer.get(f"{R}/assignments", {"package": 99999}), 422)
        assert body["errors"][0]["field"] == "package"

    def test_patch_and_stale_version(self, plan, contributor):
        """Units change the work; a stale version gets 409 and the assignment is unchanged."""
        _, _, wps, _ = plan
        a = Assignment.objects.get(work_package=wps["Build"])
        body = contributor.patch(f"{R}/assignments/{a.pk}", {"version": 1, "units": 50}).json()
        assert body["units"] == 50 and body["work"] == 3 * DAY // 2 and body["version"] == 2
        problem = assert_problem(
            contributor.patch(f"{R}/assignments/{a.pk}", {"version": 1, "units": 25}), 409
        )
        assert problem["current"]["units"] == 50
        body = assert_problem(
            contributor.patch(f"{R}/assignments/{a.pk}", {"version": 2, "units": 0}), 422
        )
        assert body["errors"][0]["field"] == "units"

    def test_delete(self, plan, contributor):
        """A removed assignment is gone; a stale version is 409."""
        _, _, wps, _ = plan
        a = Assignment.objects.get(work_package=wps["Build"])
        assert_problem(contributor.delete(f"{R}/assignments/{a.pk}?version=3"), 409)
        assert contributor.delete(f"{R}/assignments/{a.pk}?version=1").status_code == 204
        assert_problem(contributor.get(f"{R}/assignments/{a.pk}"), 404)

    def test_candidates_ranked_with_skill_and_level(self, plan, viewer):
        """For Docs Bob is free and Ann busy; a level filter drops Carl; unknown package is 422."""
        project, _, wps, people = plan
        pm = project.manager
        carl = ResourceFactory(project=project, name="Carl")
        for resource, level in ((people["ann"], 4), (people["bob"], 3), (carl, 1)):
            skill_set(actor=pm, resource=resource, skill="ABAP", level=level)
        found = viewer.get(
            f"{R}/candidates", {"package": wps["Docs"].pk, "skill": "abap", "level": 2}
        ).json()
        assert [(c["name"], c["level"], c["free_hours"], c["assigned"]) for c in found] == [
            ("Bob", 3, 16, False),
            ("Ann", 4, 0, True),
        ]
        assert found[0]["cost_rate"] == "0.00" and found[0]["kind"] == "person"
        everyone = viewer.get(f"{R}/candidates", {"package": wps["Docs"].pk}).json()
        assert {c["name"] for c in everyone} == {"Ann", "Bob", "Carl"}
        assert_problem(viewer.get(f"{R}/candidates", {"package": 99999}), 422)
        body = assert_problem(viewer.get(f"{R}/candidates"), 422)
        assert body["errors"][0]["field"] == "package"

    def test_list_query_count_is_constant(self, plan, pm):
        """Listing 3 or 11 assignments runs the same number of queries."""
        project = plan[0]
        pm.get(f"{R}/skills")
        few = queries_for(pm, f"{R}/assignments")
        for i in range(4):
            wp = package(project, f"Extra {i}")
            for name in ("Ann", "Bob"):
                AssignmentFactory(package=wp, resource=Resource.objects.get(name=name), units=10)
        assert queries_for(pm, f"{R}/assignments") == few


@pytest.mark.django_db
class ProcurementEndpointTests:
    def test_create_holds_the_package_until_delivery(self, plan, contributor):
        """Servers ordered on 1 Feb with 35 days lead time hold Build until Monday 8 March."""
        _, _, wps, _ = plan
        response = contributor.post(
            f"{R}/procurement-items",
            {
                "name": "Servers",
                "vendor": "Acme",
                "order_date": "2027-02-01",
                "lead_time_days": 35,
                "work_packages": [wps["Build"].pk],
                "owner": "res-contributor",
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["expected_delivery"] == "2027-03-08" and body["delivery"] == "2027-03-08"
        assert body["work_packages"] == [{"id": wps["Build"].pk, "wbs": "2", "name": "Build"}]
        assert body["owner"] == "res-contributor" and body["kind"] == "hardware"
        build = WorkPackage.objects.get(pk=wps["Build"].pk)
        assert build.early_start.astimezone(BERLIN) == datetime(2027, 3, 8, 8, tzinfo=BERLIN)

    def test_bad_packages_owner_and_dates_are_refused(self, plan, contributor):
        """Unknown packages, a non-member owner, a delivery before the order: 422 each."""
        body = assert_problem(
            contributor.post(f"{R}/procurement-items", {"name": "X", "work_packages": [99999]}),
            422,
        )
        assert "RES has no work package 99999" in body["detail"]
        outsider = ProjectFactory(key="OUT").manager
        body = assert_problem(
            contributor.post(f"{R}/procurement-items", {"name": "X", "owner": outsider.username}),
            422,
        )
        assert "is not a member of RES" in body["detail"]
        body = assert_problem(
            contributor.post(
                f"{R}/procurement-items",
                {"name": "X", "order_date": "2027-03-10", "actual_delivery": "2027-03-01"},
            ),
            422,
        )
        assert "The delivery is before the order date" in body["detail"]
        assert not ProcurementItem.objects.exists()

    def test_patch_delivery_and_stale_version(self, plan, contributor):
        """Recording the actual delivery releases the package; a stale version is 409."""
        project, _, wps, _ = plan
        item = ProcurementItemFactory(
            project=project,
            name="Servers",
            expected_delivery=date(2027, 3, 8),
            work_packages=[wps["Build"]],
        )
        body = contributor.patch(
            f"{R}/procurement-items/{item.pk}", {"version": 1, "actual_delivery": "2027-03-02"}
        ).json()
        assert body["delivery"] == "2027-03-02" and body["version"] == 2
        build = WorkPackage.objects.get(pk=wps["Build"].pk)
        assert build.early_start.astimezone(BERLIN) == datetime(2027, 3, 3, 8, tzinfo=BERLIN)
        problem = assert_problem(
            contributor.patch(f"{R}/procurement-items/{item.pk}", {"version": 1, "vendor": "B"}),
            409,
        )
        assert problem["current"]["version"] == 2
        assert contributor.delete(f"{R}/procurement-items/{item.pk}?version=2").status_code == 204
        assert not ProcurementItem.objects.exists()

    def test_alerts_show_the_delay(self, plan, viewer):
        """Servers due 8 March hold Build (needed on the 3rd): at risk, the finish moves 3 days."""
        project, _, wps, _ = plan
        ProcurementItemFactory(
            project=project,
            name="Servers",
            expected_delivery=date(2027, 3, 8),
            work_packages=[wps["Build"]],
        )
        alerts = viewer.get(f"{R}/procurement-alerts").json()
        assert len(alerts) == 1
        alert = alerts[0]
        assert (alert["name"], alert["state"], alert["delay"]) == ("Servers", "at_risk", 3 * DAY)
        assert alert["delay_days"] == 3 and alert["delivery"] == "2027-03-08"
        assert _at(alert["needed_by"]) == datetime(2027, 3, 3, 8, tzinfo=BERLIN)
        assert _at(alert["finish_with"]) == datetime(2027, 3, 10, 17, tzinfo=BERLIN)
        assert [p["name"] for p in alert["packages"]] == ["Build"]

    def test_list_query_count_is_constant(self, plan, pm):
        """Listing 2 or 8 items, with their packages and owners, runs the same queries."""
        project, _, wps, _ = plan
        for i in range(2):
            ProcurementItemFactory(
                project=project, name=f"A{i}", work_packages=[wps["Build"]], owner=project.manager
            )
        pm.get(f"{R}/skills")
        few = queries_for(pm, f"{R}/procurement-items")
        for i in range(6):
            ProcurementItemFactory(
                project=project,
                name=f"B{i}",
                work_packages=[wps["Build"], wps["Docs"]],
                owner="res-viewer",
            )
        assert queries_for(pm, f"{R}/procurement-items") == few


@pytest.mark.django_db
class LoadAndWarningEndpointTests:
    def test_load_per_day_and_week(self, plan, viewer):
        """Ann is asked 16 h on Monday and Tuesday (overloaded); the week shows 32 of 40 h."""
        body = viewer.get(f"{R}/load", {"start": "2027-03-01", "weeks": 2}).json()
        assert (body["start"], body["end"]) == ("2027-03-01", "2027-03-14")
        assert body["weeks"] == ["2027-03-01", "2027-03-08"]
        assert body["overloaded_days"] == 2
        ann = next(r for r in body["resources"] if r["resource"]["name"] == "Ann")
        assert ann["resource"]["kind"] == "person" and ann["overloaded_days"] == 2
        assert ann["days"][0] == {
            "day": "2027-03-01",
            "capacity_hours": 8,
            "demand_hours": 16,
            "overloaded": True,
        }
        assert len(ann["days"]) == 14
        assert ann["weeks"][0] == {
            "start": "2027-03-01",
            "capacity_hours": 40,
            "demand_hours": 32,
            "overloaded_days": 2,
            "percent": 80,
        }

    def test_bad_weeks_and_start_are_refused(self, plan, viewer):
        """weeks=0 gets the selector's range; a start that is no date is 422 on the field."""
        body = assert_problem(viewer.get(f"{R}/load", {"weeks": 0}), 422)
        assert "From 1 to 104 weeks; got 0" in body["detail"]
        body = assert_problem(viewer.get(f"{R}/load", {"start": "soon"}), 422)
        assert body["errors"][0]["field"] == "start"

    def test_load_defaults_to_twelve_weeks(self, plan, viewer):
        """Without parameters the load covers twelve weeks from this week's Monday."""
        body = viewer.get(f"{R}/load").json()
        assert len(body["weeks"]) == 12
        assert date.fromisoformat(body["start"]).weekday() == 0

    def test_load_query_count_does_not_grow_with_resources(self, plan, pm):
        """The load of 2 or 10 resources, with time off and assignments, runs the same queries."""
        project, _, wps, _ = plan
        pm.get(f"{R}/skills")
        few = queries_for(pm, f"{R}/load", {"start": "2027-03-01", "weeks": 2})
        for i in range(8):
            extra = ResourceFactory(project=project, name=f"Extra {i}")
            time_off_add(actor=project.manager, resource=extra, start=MONDAY, end=MONDAY)
            AssignmentFactory(package=wps["Build"], resource=extra, units=10)
        assert queries_for(pm, f"{R}/load", {"start": "2027-03-01", "weeks": 2}) == few

    def test_warnings_follow_the_threshold(self, plan, pm, viewer):
        """Bob builds 60 % of the critical path: warned at 50 %; at 30 % Ann (40 %) is too."""
        _, _, wps, _ = plan
        warnings = viewer.get(f"{R}/warnings").json()
        assert warnings == [
            {
                "resource": {"id": plan[3]["bob"].pk, "name": "Bob", "kind": "person"},
                "share_percent": 60,
                "threshold_percent": 50,
                "packages": [{"id": wps["Build"].pk, "wbs": "2", "name": "Build"}],
            }
        ]
        assert pm.patch(f"{R}/settings", {"version": 1, "critical_share_percent": 30}).json() == {
            "critical_share_percent": 30,
            "version": 2,
        }
        assert [
            (w["resource"]["name"], w["share_percent"]) for w in viewer.get(f"{R}/warnings").json()
        ] == [("Bob", 60), ("Ann", 40)]

    def test_settings_defaults_stale_version_and_range(self, plan, pm, viewer):
        """Defaults until changed; a stale version is 409; 0 % is 422."""
        assert viewer.get(f"{R}/settings").json() == {"critical_share_percent": 50, "version": 1}
        assert not ResourceSettings.objects.exists()
        pm.patch(f"{R}/settings", {"version": 1, "critical_share_percent": 60})
        problem = assert_problem(
            pm.patch(f"{R}/settings", {"version": 1, "critical_share_percent": 70}), 409
        )
        assert problem["current"]["critical_share_percent"] == 60
        body = assert_problem(pm.patch(f"{R}/settings", {"critical_share_percent": 0}), 422)
        assert body["errors"][0]["field"] == "critical_share_percent"


@pytest.mark.django_db
class LevelingEndpointTests:
    def _preview(self, pm):
        response = pm.post(f"{R}/leveling-runs", {"time_limit": 2})
        assert response.status_code == 201, response.content
        return response.json()

    def test_preview_lists_the_moves_and_changes_nothing(self, plan, pm, viewer):
        """Docs moves two days after Design; the plan keeps its dates until applied."""
        project, _, wps, _ = plan
        before = WorkPackage.objects.get(pk=wps["Docs"].pk).early_start
        run = self._preview(pm)
        assert run["status"] == "preview" and run["created_by"] == project.manager.username
        assert run["optimal"] is True and run["time_limit"] == 2
        assert run["overloads_before"] == 2 and run["overloads_after"] == 0
        assert run["finish_before"] == run["finish_after"] and run["finish_shift"] == 0
        assert run["moves_count"] == 1
        (move,) = run["moves"]
        assert (move["package"], move["wbs"], move["shift"]) == (wps["Docs"].pk, "4", 2 * DAY)
        assert _at(move["new_start"]) == datetime(2027, 3, 3, 8, tzinfo=BERLIN)
        assert WorkPackage.objects.get(pk=wps["Docs"].pk).early_start == before
        assert viewer.get(f"{R}/leveling-runs/{run['id']}").json() == run
        listed = viewer.get(f"{R}/leveling-runs").json()
        assert [r["id"] for r in listed["items"]] == [run["id"]]
        assert "moves" not in listed["items"][0]

    def test_apply_then_undo(self, plan, pm):
        """Applying moves Docs to Wednesday; undoing brings it back to Monday."""
        _, _, wps, _ = plan
        run = self._preview(pm)
        applied = pm.post(f"{R}/leveling-runs/{run['id']}/apply").json()
        assert applied["status"] == "applied" and applied["applied_at"]
        docs = WorkPackage.objects.get(pk=wps["Docs"].pk)
        assert docs.early_start.astimezone(BERLIN) == datetime(2027, 3, 3, 8, tzinfo=BERLIN)
        assert LevelingHold.objects.filter(work_package=docs).exists()
        undone = pm.post(f"{R}/leveling-runs/{run['id']}/undo").json()
        assert undone["status"] == "undone" and undone["undone_at"]
        docs.refresh_from_db()
        assert docs.early_start.astimezone(BERLIN) == datetime(2027, 3, 1, 8, tzinfo=BERLIN)
        assert not LevelingHold.objects.exists()

    def test_stale_preview_is_409(self, plan, pm):
        """A plan changed after the preview cannot take it: 409, preview again."""
        project, _, wps, _ = plan
        run = self._preview(pm)
        work_package_update(actor=project.manager, package=wps["Build"], duration=4 * DAY)
        body = assert_problem(pm.post(f"{R}/leveling-runs/{run['id']}/apply"), 409)
        assert "The plan changed since leveling run" in body["detail"]
        assert "preview again" in body["detail"]
        assert LevelingRun.objects.get(pk=run["id"]).status == "preview"
        assert not LevelingHold.objects.exists()

    def test_workflow_refusals_are_409(self, plan, pm):
        """An applied run is not applied or discarded again; a preview is not undone."""
        first = self._preview(pm)
        assert_problem(pm.post(f"{R}/leveling-runs/{first['id']}/undo"), 409)
        pm.post(f"{R}/leveling-runs/{first['id']}/apply")
        body = assert_problem(pm.post(f"{R}/leveling-runs/{first['id']}/apply"), 409)
        assert "is applied" in body["detail"]
        assert_problem(pm.post(f"{R}/leveling-runs/{first['id']}/discard"), 409)

    def test_only_the_latest_applied_run_is_undone(self, plan, pm):
        """With a second run applied on top, undoing the first gets 409 naming the second."""
        project, _, wps, _ = plan
        first = self._preview(pm)
        pm.post(f"{R}/leveling-runs/{first['id']}/apply")
        work_package_update(actor=project.manager, package=wps["Build"], duration=4 * DAY)
        second = self._preview(pm)
        assert pm.post(f"{R}/leveling-runs/{second['id']}/apply").status_code == 200
        body = assert_problem(pm.post(f"{R}/leveling-runs/{first['id']}/undo"), 409)
        assert f"Leveling run {second['id']} was applied after run {first['id']}" in body["detail"]
        assert pm.post(f"{R}/leveling-runs/{second['id']}/undo").json()["status"] == "undone"

    def test_discard(self, plan, pm):
        """A discarded preview cannot be applied any more."""
        run = self._preview(pm)
        assert pm.post(f"{R}/leveling-runs/{run['id']}/discard").json()["status"] == "discarded"
        body = assert_problem(pm.post(f"{R}/leveling-runs/{run['id']}/apply"), 409)
        assert "discarded" in body["detail"]

    def test_impossible_demand_is_422_naming_package_and_resource(self, plan, pm):
        """A task needing more than a resource can give is refused; no run is stored."""
        _, _, wps, _ = plan
        a = Assignment.objects.get(work_package=wps["Docs"])
        pm.patch(f"{R}/assignments/{a.pk}", {"version": 1, "units": 150})
        body = assert_problem(pm.post(f"{R}/leveling-runs", {"time_limit": 1}), 422)
        assert "4 Docs needs 150 % of Ann" in body["detail"]
        assert not LevelingRun.objects.exists()

    def test_bad_time_limit_is_422(self, plan, pm):
        """A time limit above ten minutes gets the service's range."""
        body = assert_problem(pm.post(f"{R}/leveling-runs", {"time_limit": 700}), 422)
        assert "Seconds from 0 to 600; got 700" in body["detail"]

    def test_unknown_run_is_404(self, plan, pm):
        """A run id the project lacks is 404."""
        body = assert_problem(pm.post(f"{R}/leveling-runs/99999/apply"), 404)
        assert "RES has no leveling run 99999" in body["detail"]

    def test_list_query_count_is_constant(self, plan, pm):
        """Listing 1 or 4 runs runs the same number of queries."""
        project = plan[0]
        leveling_preview(actor=project.manager, project=project, time_limit=1)
        pm.get(f"{R}/skills")
        few = queries_for(pm, f"{R}/leveling-runs")
        for _ in range(3):
            leveling_preview(actor=project.manager, project=project, time_limit=1)
        assert queries_for(pm, f"{R}/leveling-runs") == few
