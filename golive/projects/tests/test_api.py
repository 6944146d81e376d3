"""API tests: projects, phase, members, success criteria and activity."""

import pytest

from golive.audit.models import AuditEvent
from golive.config.tests.support import (
    ApiClient,
    Endpoint,
    assert_problem,
    db_state,
    gate_make_pass,
    matrix_cases,
    queries_for,
    run_matrix,
)
from golive.gates.models import Gate
from golive.projects.models import Membership, Project, Role, SuccessCriterion
from golive.projects.services import membership_set, success_criterion_create
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for


def _rollout(project, callers):
    Project.objects.filter(pk=project.pk).update(phase="rollout")
    return {}


def _newbie(project, callers):
    return {"newbie": UserFactory(username="newbie").username}


def _leaver(project, callers):
    leaver = UserFactory(username="leaver")
    membership_set(actor=project.manager, project=project, user=leaver, role="contributor")
    return {"leaver": leaver.username}


def _criterion(project, callers):
    criterion = success_criterion_create(
        actor=project.manager,
        project=project,
        metric="Defects",
        target="5",
        direction="at_most",
        owner=project.manager,
    )
    return {"sc": criterion.pk}


ENDPOINTS = [
    Endpoint("projects-list", "GET", "/projects", min_role=None),
    Endpoint(
        "projects-create",
        "POST",
        "/projects",
        min_role=None,
        body={"key": "NEW", "name": "New system"},
        ok=201,
    ),
    Endpoint("projects-get", "GET", "/projects/{key}"),
    Endpoint(
        "projects-update",
        "PATCH",
        "/projects/{key}",
        min_role="manager",
        body={"version": 1, "name": "Renamed"},
    ),
    Endpoint(
        "projects-phase",
        "POST",
        "/projects/{key}/phase",
        min_role="manager",
        body={"phase": "hypercare"},
        setup=_rollout,
    ),
    Endpoint("members-list", "GET", "/projects/{key}/members"),
    Endpoint(
        "members-set",
        "PUT",
        "/projects/{key}/members/{newbie}",
        min_role="manager",
        body={"role": "contributor"},
        setup=_newbie,
    ),
    Endpoint(
        "members-remove",
        "DELETE",
        "/projects/{key}/members/{leaver}",
        min_role="manager",
        setup=_leaver,
        ok=204,
    ),
    Endpoint("success-criteria-list", "GET", "/projects/{key}/success-criteria"),
    Endpoint(
        "success-criteria-create",
        "POST",
        "/projects/{key}/success-criteria",
        min_role="manager",
        body={
            "metric": "Adoption",
            "target": "80",
            "unit": "%",
            "direction": "at_least",
            "owner": "{user_manager}",
        },
        ok=201,
    ),
    Endpoint(
        "success-criteria-get", "GET", "/projects/{key}/success-criteria/{sc}", setup=_criterion
    ),
    Endpoint(
        "success-criteria-update",
        "PATCH",
        "/projects/{key}/success-criteria/{sc}",
        min_role="manager",
        body={"version": 1, "target": "3"},
        setup=_criterion,
    ),
    Endpoint(
        "success-criteria-delete",
        "DELETE",
        "/projects/{key}/success-criteria/{sc}",
        min_role="manager",
        setup=_criterion,
        ok=204,
    ),
    Endpoint("activity-list", "GET", "/projects/{key}/activity"),
]


@pytest.mark.django_db
class ProjectsAccessMatrixTests:
    @pytest.mark.parametrize(("endpoint", "caller"), matrix_cases(ENDPOINTS))
    def test_caller_gets_expected_status(self, endpoint, caller):
        """Each caller gets 401/404/403 or success, and a refusal writes nothing."""
        run_matrix(endpoint, caller)


@pytest.fixture
def manager():
    return UserFactory(username="pm")


@pytest.fixture
def project(manager):
    return ProjectFactory(key="ERP", name="ERP rollout", manager=manager)


@pytest.mark.django_db
class ProjectCreateTests:
    def test_creator_becomes_manager_with_gate_and_checklist(self):
        """Creating a project answers 201, makes the creator manager, seeds gate and checklist."""
        creator = UserFactory(username="creator")
        response = ApiClient(creator).post(
            "/projects",
            {"key": "crm", "name": "CRM", "planned_go_live": "2031-03-01", "time_zone": "UTC"},
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["key"] == "CRM"
        assert body["manager"] == "creator"
        assert body["my_role"] == "manager"
        assert body["phase"] == "readiness"
        assert body["planned_go_live"] == "2031-03-01"
        project = Project.objects.get(key="CRM")
        assert Membership.objects.get(project=project, user=creator).role == Role.MANAGER
        gate = Gate.objects.get(project=project, name="readiness")
        assert gate.opens_phase == "execution"
        assert project.readiness_items.count() == 7

    def test_named_manager_and_sponsor_become_members(self):
        """A named manager becomes a manager and a sponsor an approver of the new project."""
        UserFactory(username="lead")
        UserFactory(username="sponsor")
        response = ApiClient(UserFactory()).post(
            "/projects", {"key": "HR", "name": "HR", "manager": "lead", "sponsor": "sponsor"}
        )
        assert response.status_code == 201, response.content
        assert response.json()["manager"] == "lead"
        assert response.json()["sponsor"] == "sponsor"
        roles = dict(
            Membership.objects.filter(project__key="HR").values_list("user__username", "role")
        )
        assert roles["lead"] == Role.MANAGER
        assert roles["sponsor"] == Role.APPROVER

    def test_duplicate_key_is_refused_naming_the_key(self, project):
        """A second project with the same key is refused with 422 naming the key."""
        before = Project.objects.count()
        response = ApiClient(UserFactory()).post("/projects", {"key": "erp", "name": "Again"})
        body = assert_problem(response, 422)
        assert "ERP" in body["detail"]
        assert {e["field"] for e in body["errors"]} == {"key"}
        assert Project.objects.count() == before

    def test_bad_date_is_refused_naming_the_field(self):
        """An impossible go-live date is refused with 422 naming planned_go_live."""
        response = ApiClient(UserFactory()).post(
            "/projects", {"key": "CRM", "name": "CRM", "planned_go_live": "2031-02-30"}
        )
        body = assert_problem(response, 422)
        assert [e["field"] for e in body["errors"]] == ["planned_go_live"]
        assert "planned_go_live" in body["detail"]
        assert not Project.objects.filter(key="CRM").exists()

    @pytest.mark.parametrize("field", ["sponsor", "manager"])
    def test_unknown_user_is_refused_naming_the_field(self, field):
        """An unknown sponsor or manager username is refused with 422 naming the field."""
        response = ApiClient(UserFactory()).post(
            "/projects", {"key": "CRM", "name": "CRM", field: "nobody"}
        )
        body = assert_problem(response, 422)
        assert [e["field"] for e in body["errors"]] == [field]
        assert "nobody" in body["detail"]
        assert not Project.objects.filter(key="CRM").exists()

    def test_invalid_key_and_time_zone_are_refused(self):
        """A malformed key and an unknown time zone are both reported as field errors."""
        response = ApiClient(UserFactory()).post(
            "/projects", {"key": "1-bad", "name": "Bad", "time_zone": "Mars/Base"}
        )
        body = assert_problem(response, 422)
        assert {e["field"] for e in body["errors"]} == {"key", "time_zone"}
        assert Project.objects.count() == 0

    def test_missing_name_is_refused(self):
        """A body without the required name is refused with 422 naming it."""
        body = assert_problem(ApiClient(UserFactory()).post("/projects", {"key": "CRM"}), 422)
        assert [e["field"] for e in body["errors"]] == ["name"]

    def test_staff_only_setting_refuses_other_users(self, settings):
        """With GOLIVE_PROJECT_CREATE_STAFF_ONLY a non-staff user gets 403 and nothing is made."""
        settings.GOLIVE_PROJECT_CREATE_STAFF_ONLY = True
        response = ApiClient(UserFactory()).post("/projects", {"key": "CRM", "name": "CRM"})
        assert_problem(response, 403)
        assert Project.objects.count() == 0


@pytest.mark.django_db
class ProjectReadTests:
    def test_list_shows_only_my_projects(self, project):
        """The list holds the caller's projects with their role, not other projects."""
        ProjectFactory(key="OTHER")
        team = team_for(project)
        body = ApiClient(team["viewer"]).get("/projects").json()
        assert body["count"] == 1
        assert [(p["key"], p["my_role"]) for p in body["items"]] == [("ERP", "viewer")]

    def test_site_admin_sees_every_project(self, project):
        """A site admin lists every project, as a manager."""
        ProjectFactory(key="OTHER")
        admin = UserFactory(is_superuser=True)
        body = ApiClient(admin).get("/projects").json()
        assert [(p["key"], p["my_role"]) for p in body["items"]] == [
            ("ERP", "manager"),
            ("OTHER", "manager"),
        ]

    def test_get_is_case_insensitive_on_key(self, project, manager):
        """GET /projects/erp finds project ERP."""
        response = ApiClient(manager).get("/projects/erp")
        assert response.status_code == 200
        assert response.json()["key"] == "ERP"

    def test_unknown_and_foreign_projects_look_the_same(self, project):
        """An outsider gets the same 404 for an existing project as for a missing one."""
        outsider = UserFactory()
        api = ApiClient(outsider)
        existing = assert_problem(api.get("/projects/ERP"), 404)
        missing = assert_problem(api.get("/projects/NOPE"), 404)
        assert existing["detail"].replace("ERP", "X") == missing["detail"].replace("NOPE", "X")

    def test_pagination_honours_page_and_page_size(self, manager):
        """The list answers {items, count} and honours page and page_size."""
        for n in range(5):
            ProjectFactory(key=f"PG{n}", manager=manager)
        api = ApiClient(manager)
        body = api.get("/projects", {"page": 2, "page_size": 2}).json()
        assert body["count"] == 5
        assert [p["key"] for p in body["items"]] == ["PG2", "PG3"]
        last = api.get("/projects", {"page": 3, "page_size": 2}).json()
        assert [p["key"] for p in last["items"]] == ["PG4"]

    def test_list_queries_do_not_grow_with_projects(self, manager, django_assert_max_num_queries):
        """Listing 20 projects runs no more queries than listing 2."""
        for n in range(2):
            ProjectFactory(key=f"Q{n}", manager=manager)
        api = ApiClient(manager)
        api.get("/projects")  # records the token's use, which later requests skip
        baseline = queries_for(api, "/projects")
        for n in range(2, 20):
            ProjectFactory(key=f"Q{n}", manager=manager)
        with django_assert_max_num_queries(baseline):
            assert api.get("/projects").json()["count"] == 20


@pytest.mark.django_db
class ProjectUpdateTests:
    def test_manager_changes_fields_and_version_increments(self, project, manager):
        """A PATCH with the current version changes the project and bumps its version."""
        response = ApiClient(manager).patch(
            "/projects/ERP",
            {"version": 1, "name": "ERP go-live", "planned_go_live": "2031-06-30"},
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["name"], body["planned_go_live"], body["version"]) == (
            "ERP go-live",
            "2031-06-30",
            2,
        )
        assert AuditEvent.objects.filter(action="project.update", project_id=project.pk).exists()

    def test_stale_version_is_a_conflict_with_the_current_version(self, project, manager):
        """A PATCH against an old version answers 409 with the current version, changing nothing."""
        api = ApiClient(manager)
        assert api.patch("/projects/ERP", {"version": 1, "name": "First"}).status_code == 200
        before = db_state()
        body = assert_problem(api.patch("/projects/ERP", {"version": 1, "name": "Second"}), 409)
        assert body["current"]["version"] == 2
        assert "name" in body["current"]
        assert db_state() == before
        assert Project.objects.get(key="ERP").name == "First"

    def test_sponsor_must_be_a_member(self, project, manager):
        """Naming a non-member as sponsor is refused with 422 on sponsor."""
        UserFactory(username="stranger")
        body = assert_problem(
            ApiClient(manager).patch("/projects/ERP", {"version": 1, "sponsor": "stranger"}), 422
        )
        assert [e["field"] for e in body["errors"]] == ["sponsor"]

    def test_missing_version_is_refused(self, project, manager):
        """A PATCH without version is refused with 422 naming it."""
        body = assert_problem(ApiClient(manager).patch("/projects/ERP", {"name": "X"}), 422)
        assert [e["field"] for e in body["errors"]] == ["version"]

    def test_phase_cannot_be_patched(self, project, manager):
        """Phase is not a PATCH field: sending it changes nothing."""
        response = ApiClient(manager).patch("/projects/ERP", {"version": 1, "phase": "closed"})
        assert response.status_code == 200
        assert Project.objects.get(key="ERP").phase == "readiness"


@pytest.mark.django_db
class ProjectPhaseTests:
    def test_execution_without_decision_lists_failing_criteria(self, project, manager):
        """Moving to execution with a failing gate answers 422 listing the failing criteria."""
        api = ApiClient(manager)
        before = db_state()
        body = assert_problem(api.post("/projects/ERP/phase", {"phase": "execution"}), 422)
        assert [e["field"] for e in body["errors"]] == ["phase"]
        assert "Readiness checklist complete" in body["detail"]
        assert "Success criteria defined" in body["detail"]
        assert db_state() == before

    def test_passing_gate_still_needs_an_approved_decision(self, project, manager):
        """A passing gate without an approved decision still refuses the move, saying so."""
        gate_make_pass(project)
        body = assert_problem(
            ApiClient(manager).post("/projects/ERP/phase", {"phase": "execution"}), 422
        )
        assert "approved decision" in body["detail"]
        assert Project.objects.get(key="ERP").phase == "readiness"

    def test_phases_cannot_be_skipped(self, project, manager):
        """Jumping from readiness to rollout is refused naming the next phase."""
        body = assert_problem(
            ApiClient(manager).post("/projects/ERP/phase", {"phase": "rollout"}), 422
        )
        assert "execution" in body["detail"]

    def test_unknown_phase_is_refused(self, project, manager):
        """A phase that does not exist is refused with 422."""
        assert_problem(ApiClient(manager).post("/projects/ERP/phase", {"phase": "party"}), 422)

    def test_ungated_phase_moves_and_stale_version_conflicts(self, project, manager):
        """From rollout the project moves to hypercare; a stale version answers 409."""
        Project.objects.filter(pk=project.pk).update(phase="rollout")
        api = ApiClient(manager)
        body = assert_problem(
            api.post("/projects/ERP/phase", {"phase": "hypercare", "version": 9}), 409
        )
        assert body["current"]["version"] == 1
        response = api.post("/projects/ERP/phase", {"phase": "hypercare", "version": 1})
        assert response.status_code == 200
        assert (response.json()["phase"], response.json()["version"]) == ("hypercare", 2)


@pytest.mark.django_db
class MembersTests:
    def test_list_shows_roles_highest_first(self, project):
        """Members are listed with their role names, highest role first."""
        team_for(project)
        body = ApiClient(project.manager).get("/projects/ERP/members").json()
        assert body["count"] == 4
        assert [m["role"] for m in body["items"]] == [
            "manager",
            "approver",
            "contributor",
            "viewer",
        ]

    def test_put_adds_then_changes_role(self, project, manager):
        """PUT adds a member, and a second PUT changes their role."""
        UserFactory(username="dev")
        api = ApiClient(manager)
        assert api.put("/projects/ERP/members/dev", {"role": "viewer"}).json()["role"] == "viewer"
        response = api.put("/projects/ERP/members/dev", {"role": "approver"})
        assert response.status_code == 200
        assert Membership.objects.get(project=project, user__username="dev").role == Role.APPROVER

    def test_unknown_role_and_user_are_refused(self, project, manager):
        """An unknown role or username is refused with 422 naming the field."""
        UserFactory(username="dev")
        api = ApiClient(manager)
        body = assert_problem(api.put("/projects/ERP/members/dev", {"role": "king"}), 422)
        assert [e["field"] for e in body["errors"]] == ["role"]
        body = assert_problem(api.put("/projects/ERP/members/ghost", {"role": "viewer"}), 422)
        assert [e["field"] for e in body["errors"]] == ["user"]

    def test_project_manager_cannot_be_demoted_or_removed(self, project, manager):
        """The project's manager keeps the manager role and membership until replaced."""
        api = ApiClient(manager)
        assert_problem(api.put("/projects/ERP/members/pm", {"role": "viewer"}), 422)
        assert_problem(api.delete("/projects/ERP/members/pm"), 422)
        assert Membership.objects.get(project=project, user=manager).role == Role.MANAGER

    def test_remove_deletes_membership(self, project, manager):
        """DELETE removes the member, who then gets 404 for the project."""
        team = team_for(project)
        assert ApiClient(manager).delete("/projects/ERP/members/erp-viewer").status_code == 204
        assert not Membership.objects.filter(project=project, user=team["viewer"]).exists()
        assert_problem(ApiClient(team["viewer"]).get("/projects/ERP"), 404)

    def test_remove_non_member_is_refused(self, project, manager):
        """Removing someone who is not a member is refused with 422."""
        UserFactory(username="stranger")
        assert_problem(ApiClient(manager).delete("/projects/ERP/members/stranger"), 422)

    def test_list_queries_do_not_grow_with_members(self, project, django_assert_max_num_queries):
        """Listing 30 members runs no more queries than listing 2."""
        api = ApiClient(project.manager)
        UserFactory(username="m0")
        membership_set(actor=project.manager, project=project, user="m0", role="viewer")
        api.get("/projects/ERP/members")
        baseline = queries_for(api, "/projects/ERP/members")
        for n in range(1, 29):
            UserFactory(username=f"m{n}")
            membership_set(actor=project.manager, project=project, user=f"m{n}", role="viewer")
        with django_assert_max_num_queries(baseline):
            assert api.get("/projects/ERP/members").json()["count"] == 30


@pytest.mark.django_db
class SuccessCriteriaTests:
    def test_create_get_update_delete(self, project, manager):
        """A manager creates, reads, changes and deletes a success criterion."""
        api = ApiClient(manager)
        response = api.post(
            "/projects/ERP/success-criteria",
            {
                "metric": "Availability",
                "target": "99.9",
                "unit": "%",
                "direction": "at_least",
                "owner": "pm",
                "due_date": "2031-01-31",
            },
        )
        assert response.status_code == 201, response.content
        created = response.json()
        assert (created["owner"], created["version"], created["due_date"]) == (
            "pm",
            1,
            "2031-01-31",
        )
        url = f"/projects/ERP/success-criteria/{created['id']}"
        assert api.get(url).json()["metric"] == "Availability"
        patched = api.patch(url, {"version": 1, "target": "99.5"}).json()
        assert (float(patched["target"]), patched["version"]) == (99.5, 2)
        assert api.delete(url).status_code == 204
        assert not SuccessCriterion.objects.filter(pk=created["id"]).exists()
        assert_problem(api.get(url), 404)

    def test_owner_must_be_a_member(self, project, manager):
        """An unknown or non-member owner is refused with 422 naming owner."""
        UserFactory(username="stranger")
        api = ApiClient(manager)
        for owner in ("stranger", "ghost"):
            body = assert_problem(
                api.post(
                    "/projects/ERP/success-criteria",
                    {"metric": "M", "target": "1", "direction": "at_least", "owner": owner},
                ),
                422,
            )
            assert [e["field"] for e in body["errors"]] == ["owner"]
        assert SuccessCriterion.objects.count() == 0

    def test_bad_direction_and_duplicate_metric_are_refused(self, project, manager):
        """An unknown direction and a duplicate metric are refused with 422."""
        api = ApiClient(manager)
        body = {"metric": "M", "target": "1", "direction": "sideways", "owner": "pm"}
        problem = assert_problem(api.post("/projects/ERP/success-criteria", body), 422)
        assert [e["field"] for e in problem["errors"]] == ["direction"]
        body["direction"] = "at_most"
        assert api.post("/projects/ERP/success-criteria", body).status_code == 201
        assert_problem(api.post("/projects/ERP/success-criteria", body), 422)
        assert SuccessCriterion.objects.count() == 1

    def test_stale_version_is_a_conflict(self, project, manager):
        """Changing a criterion from an old version answers 409 with the current version."""
        criterion = _criterion(project, None)["sc"]
        api = ApiClient(manager)
        url = f"/projects/ERP/success-criteria/{criterion}"
        assert api.patch(url, {"version": 1, "target": "4"}).status_code == 200
        body = assert_problem(api.patch(url, {"version": 1, "target": "2"}), 409)
        assert body["current"]["version"] == 2

    def test_criterion_of_another_project_is_not_found(self, project, manager):
        """A criterion id of another project is 404 under this project."""
        other = ProjectFactory(key="OTHER", manager=manager)
        criterion = _criterion(other, None)["sc"]
        assert_problem(ApiClient(manager).get(f"/projects/ERP/success-criteria/{criterion}"), 404)

    def test_list_queries_do_not_grow(self, project, manager, django_assert_max_num_queries):
        """Listing 30 success criteria runs no more queries than listing 1."""
        api = ApiClient(manager)
        _criterion(project, None)
        api.get("/projects/ERP/success-criteria")
        baseline = queries_for(api, "/projects/ERP/success-criteria")
        for n in range(29):
            success_criterion_create(
                actor=manager,
                project=project,
                metric=f"M{n}",
                target=n,
                direction="at_least",
                owner=manager,
            )
        with django_assert_max_num_queries(baseline):
            body = api.get("/projects/ERP/success-criteria").json()
        assert body["count"] == 30


@pytest.mark.django_db
class ActivityTests:
    def test_activity_is_newest_first_and_paginated(self, project, manager):
        """The activity lists the project's audit events newest first, paginated."""
        api = ApiClient(manager)
        api.patch("/projects/ERP", {"version": 1, "name": "Renamed"})
        body = api.get("/projects/ERP/activity", {"page_size": 3}).json()
        total = AuditEvent.objects.filter(project_id=project.pk).count()
        assert body["count"] == total
        assert len(body["items"]) == 3
        first = body["items"][0]
        assert (first["action"], first["actor"]) == ("project.update", "pm")
        assert first["changes"]["name"] == ["ERP rollout", "Renamed"]
        seqs = [e["seq"] for e in body["items"]]
        assert seqs == sorted(seqs, reverse=True)

    def test_activity_shows_only_this_project(self, project, manager):
        """Events of another project do not appear."""
        other = ProjectFactory(key="OTHER", manager=manager)
        body = ApiClient(manager).get("/projects/ERP/activity", {"page_size": 500}).json()
        assert body["count"] == AuditEvent.objects.filter(project_id=project.pk).count()
        assert all(e["object"] != str(other) for e in body["items"])

    def test_list_queries_do_not_grow(self, project, manager, django_assert_max_num_queries):
        """Listing many events runs no more queries than listing a few."""
        api = ApiClient(manager)
        api.get("/projects/ERP/activity")
        baseline = queries_for(api, "/projects/ERP/activity")
        for n in range(30):
            api.patch("/projects/ERP", {"version": n + 1, "description": f"take {n}"})
        with django_assert_max_num_queries(baseline):
            api.get("/projects/ERP/activity")
