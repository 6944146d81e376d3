"""API tests: work packages, links, calendar, baselines, checkpoints, blockers, schedule, forecast."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from golive.config.tests import support
from golive.config.tests.support import (
    ApiClient,
    Endpoint,
    assert_problem,
    matrix_cases,
    queries_for,
    run_matrix,
)
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.work.models import (
    Baseline,
    BaselineEntry,
    Blocker,
    CalendarException,
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
    checkpoint_record,
    dependency_create,
    escalation_path_set,
    work_package_create,
)

DAY = 480  # working minutes in a standard day

_plain_db_state = support.db_state


def _db_state():
    """The shared DB snapshot plus every row of the plan."""
    state = _plain_db_state()
    for model in (
        ProjectCalendar,
        CalendarException,
        WorkPackage,
        Dependency,
        Baseline,
        BaselineEntry,
        Checkpoint,
        CheckpointAction,
        EscalationLevel,
        Blocker,
    ):
        state[model.__name__] = list(model.objects.order_by("pk").values())
    state["Contributors"] = list(
        WorkPackage.contributors.through.objects.order_by("pk").values("workpackage_id", "user_id")
    )
    return state


@pytest.fixture(autouse=True)
def _plan_state(monkeypatch):
    monkeypatch.setattr(support, "db_state", _db_state)


def _package(project, name="Build", **fields):
    fields.setdefault("duration", DAY)
    return work_package_create(
        actor=project.manager, project=project, name=name, owner=project.manager, **fields
    )


def _one(project, callers):
    return {"wp": _package(project).pk}


def _two(project, callers):
    a, b = _package(project, "A"), _package(project, "B")
    return {"a": a.pk, "b": b.pk}


def _linked(project, callers):
    a, b = _package(project, "A"), _package(project, "B")
    link = dependency_create(actor=project.manager, project=project, predecessor=a, successor=b)
    return {"link": link.pk}


def _baseline(project, callers):
    _package(project)
    return {"baseline": baseline_save(actor=project.manager, project=project, name="B1").pk}


def _checkpoint(project, callers):
    cp = checkpoint_record(
        actor=project.manager,
        project=project,
        held_on=date(2026, 3, 2),
        title="Weekly",
        actions=[
            {"description": "Order servers", "owner": project.manager, "due_date": date(2026, 3, 9)}
        ],
    )
    return {"checkpoint": cp.pk, "action": cp.actions.get().pk}


def _blocker(project, callers):
    wp = _package(project)
    return {"blocker": blocker_raise(actor=project.manager, package=wp, reason="No VPN").pk}


WP = "/projects/{key}/work-packages"
ENDPOINTS = [
    Endpoint("wp-list", "GET", WP, setup=_one),
    Endpoint(
        "wp-create",
        "POST",
        WP,
        min_role="contributor",
        body={"name": "Migrate", "owner": "{user_manager}", "duration": 960},
        ok=201,
    ),
    Endpoint("wp-get", "GET", WP + "/{wp}", setup=_one),
    Endpoint(
        "wp-update",
        "PATCH",
        WP + "/{wp}",
        min_role="contributor",
        body={"version": 1, "duration": 960},
        setup=_one,
    ),
    Endpoint("wp-delete", "DELETE", WP + "/{wp}", min_role="manager", setup=_one, ok=204),
    Endpoint("deps-list", "GET", "/projects/{key}/dependencies", setup=_linked),
    Endpoint(
        "deps-create",
        "POST",
        "/projects/{key}/dependencies",
        min_role="contributor",
        body={"predecessor": "{a}", "successor": "{b}", "type": "FS", "lag": 60},
        setup=_two,
        ok=201,
    ),
    Endpoint(
        "deps-update",
        "PATCH",
        "/projects/{key}/dependencies/{link}",
        min_role="contributor",
        body={"version": 1, "lag": 120},
        setup=_linked,
    ),
    Endpoint(
        "deps-delete",
        "DELETE",
        "/projects/{key}/dependencies/{link}",
        min_role="contributor",
        setup=_linked,
        ok=204,
    ),
    Endpoint("calendar-get", "GET", "/projects/{key}/calendar", setup=_one),
    Endpoint(
        "calendar-put",
        "PUT",
        "/projects/{key}/calendar",
        min_role="manager",
        body={"version": 1, "exceptions": [{"date": "2026-12-25", "name": "Christmas"}]},
        setup=_one,
    ),
    Endpoint("baselines-list", "GET", "/projects/{key}/baselines", setup=_baseline),
    Endpoint(
        "baselines-create",
        "POST",
        "/projects/{key}/baselines",
        min_role="manager",
        body={"name": "Approved plan"},
        setup=_one,
        ok=201,
    ),
    Endpoint("baselines-get", "GET", "/projects/{key}/baselines/{baseline}", setup=_baseline),
    Endpoint(
        "baselines-compare", "GET", "/projects/{key}/baselines/{baseline}/compare", setup=_baseline
    ),
    Endpoint("checkpoints-list", "GET", "/projects/{key}/checkpoints", setup=_checkpoint),
    Endpoint(
        "checkpoints-create",
        "POST",
        "/projects/{key}/checkpoints",
        min_role="contributor",
        body={
            "held_on": "2026-03-02",
            "title": "Weekly",
            "attendees": ["{user_viewer}"],
            "decisions": "Go on.",
            "actions": [
                {"description": "Test backup", "owner": "{user_viewer}", "due_date": "2026-03-09"}
            ],
        },
        ok=201,
    ),
    Endpoint(
        "checkpoints-get", "GET", "/projects/{key}/checkpoints/{checkpoint}", setup=_checkpoint
    ),
    Endpoint(
        "actions-done",
        "POST",
        "/projects/{key}/checkpoints/{checkpoint}/actions/{action}/done",
        min_role="contributor",
        body={"done": True},
        setup=_checkpoint,
    ),
    Endpoint("blockers-list", "GET", "/projects/{key}/blockers", setup=_blocker),
    Endpoint(
        "blockers-raise",
        "POST",
        WP + "/{wp}/blockers",
        min_role="contributor",
        body={"reason": "Waiting for the firewall change."},
        setup=_one,
        ok=201,
    ),
    Endpoint(
        "blockers-resolve",
        "POST",
        "/projects/{key}/blockers/{blocker}/resolve",
        min_role="contributor",
        body={"resolution": "VPN granted."},
        setup=_blocker,
    ),
    Endpoint("escalation-get", "GET", "/projects/{key}/escalation-path"),
    Endpoint(
        "escalation-put",
        "PUT",
        "/projects/{key}/escalation-path",
        min_role="manager",
        body={"levels": [{"owner": "{user_manager}", "max_age_hours": 24}]},
    ),
    Endpoint("schedule", "GET", "/projects/{key}/schedule", setup=_linked),
    Endpoint("forecast", "GET", "/projects/{key}/forecast?iterations=50&seed=1", setup=_linked),
    Endpoint("burndown", "GET", "/projects/{key}/burndown", setup=_linked),
]


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.django_db
class PlanAccessMatrixTests:
    @pytest.mark.parametrize(("endpoint", "caller"), matrix_cases(ENDPOINTS))
    def test_caller_gets_expected_status(self, endpoint, caller):
        """Each caller gets 401/404/403 or success, and a refusal writes nothing."""
        run_matrix(endpoint, caller)


@pytest.fixture
def project():
    project = ProjectFactory(key="ERP", manager=UserFactory(username="pm"))
    return project


@pytest.fixture
def team(project):
    return team_for(project)


@pytest.fixture
def pm(project):
    return ApiClient(project.manager)


def _create(api, name, duration=DAY, **fields):
    response = api.post(
        "/projects/ERP/work-packages", {"name": name, "owner": "pm", "duration": duration, **fields}
    )
    assert response.status_code == 201, response.content
    return response.json()


def _link(api, a, b, **fields):
    return api.post(
        "/projects/ERP/dependencies", {"predecessor": a["id"], "successor": b["id"], **fields}
    )


@pytest.mark.django_db
class WorkPackageTests:
    def test_create_gives_wbs_schedule_and_version(self, project, pm):
        """A new package gets its outline number, computed dates and version 1."""
        body = _create(pm, "Design", contributors=[])
        assert body["wbs"] == "1"
        assert body["owner"] == "pm"
        assert body["early_start"] is not None and body["early_finish"] is not None
        assert body["critical"] is True
        assert body["version"] == 1

    def test_three_point_estimate_sets_pert_duration(self, project, pm):
        """With three points the duration is the PERT mean."""
        body = _create(pm, "Test", optimistic=240, most_likely=480, pessimistic=1320)
        assert body["duration"] == round((240 + 4 * 480 + 1320) / 6)

    def test_owner_must_be_member(self, project, pm):
        """An owner who is not a member is refused with 422 and nothing is stored."""
        UserFactory(username="stranger")
        response = pm.post(
            "/projects/ERP/work-packages", {"name": "X", "owner": "stranger", "duration": 60}
        )
        assert_problem(response, 422)
        assert not WorkPackage.objects.exists()

    def test_children_are_numbered_under_their_parent(self, project, pm):
        """Sub-packages are numbered 1.1, 1.2 under package 1."""
        parent = _create(pm, "Phase")
        _create(pm, "Step one", parent=parent["id"])
        child = _create(pm, "Step two", parent=parent["id"])
        assert child["wbs"] == "1.2"
        listed = pm.get("/projects/ERP/work-packages", {"parent": parent["id"]}).json()
        assert [p["wbs"] for p in listed["items"]] == ["1.1", "1.2"]

    def test_filters(self, project, pm, team):
        """Status, owner, critical and text filters narrow the list."""
        a = _create(pm, "Install database")
        b = _create(pm, "Short task", duration=60)
        pm.patch(f"/projects/ERP/work-packages/{b['id']}", {"version": 1, "owner": "erp-viewer"})
        pm.patch(f"/projects/ERP/work-packages/{a['id']}", {"version": 1, "status": "in_progress"})

        def get(**params):
            items = pm.get("/projects/ERP/work-packages", params).json()["items"]
            return [x["name"] for x in items]

        assert get(status="in_progress") == ["Install database"]
        assert get(owner="erp-viewer") == ["Short task"]
        assert get(q="databa") == ["Install database"]
        assert get(critical="false") == ["Short task"]

    def test_stale_version_gets_409(self, project, pm):
        """A patch with an outdated version is refused with the current state."""
        wp = _create(pm, "Design")
        assert (
            pm.patch(
                f"/projects/ERP/work-packages/{wp['id']}", {"version": 1, "name": "D2"}
            ).status_code
            == 200
        )
        response = pm.patch(f"/projects/ERP/work-packages/{wp['id']}", {"version": 1, "name": "D3"})
        body = assert_problem(response, 409)
        assert body["current"]["name"] == "D2"
        assert WorkPackage.objects.get().name == "D2"

    def test_delete_with_stale_version_is_refused(self, project, pm):
        """Deleting against an outdated version gets 409 and keeps the package."""
        wp = _create(pm, "Design")
        pm.patch(f"/projects/ERP/work-packages/{wp['id']}", {"version": 1, "name": "D2"})
        assert_problem(pm.delete(f"/projects/ERP/work-packages/{wp['id']}?version=1"), 409)
        assert pm.delete(f"/projects/ERP/work-packages/{wp['id']}?version=2").status_code == 204
        assert not WorkPackage.objects.exists()

    def test_unknown_package_is_404(self, project, pm):
        """A package id of another project is not found."""
        other = ProjectFactory(key="OTH", manager=project.manager)
        wp = _package(other)
        assert_problem(pm.get(f"/projects/ERP/work-packages/{wp.pk}"), 404)

    def test_list_query_count_is_constant(self, project, pm, team):
        """Listing 3 or 12 packages (with contributors) runs the same number of queries."""
        for i in range(3):
            _package(project, f"P{i}", contributors=[team["viewer"]])
        pm.get("/projects/ERP/blockers")  # the token's first use is recorded once
        few = queries_for(pm, "/projects/ERP/work-packages")
        for i in range(9):
            _package(project, f"Q{i}", contributors=[team["viewer"], team["contributor"]])
        assert queries_for(pm, "/projects/ERP/work-packages") == few


@pytest.mark.django_db
class ScheduleTests:
    def test_schedule_shows_critical_path_and_float(self, project, pm):
        """A → C is critical, the short B beside it has float; the path is A, C."""
        a = _create(pm, "A", duration=2 * DAY)
        b = _create(pm, "B", duration=DAY)
        c = _create(pm, "C", duration=DAY)
        assert _link(pm, a, c).status_code == 201
        assert _link(pm, b, c).status_code == 201
        body = pm.get("/projects/ERP/schedule").json()
        rows = {r["name"]: r for r in body["items"]}
        assert rows["A"]["critical"] and rows["C"]["critical"]
        assert not rows["B"]["critical"]
        assert rows["B"]["total_float"] == DAY
        assert rows["A"]["total_float"] == 0
        assert [p["name"] for p in body["critical_path"]] == ["A", "C"]
        assert body["finish"] == rows["C"]["early_finish"]
        assert body["count"] == 3

    def test_schedule_is_paginated(self, project, pm):
        """The schedule's packages come in pages."""
        for i in range(3):
            _package(project, f"P{i}")
        body = pm.get("/projects/ERP/schedule", {"page": 2, "page_size": 2}).json()
        assert body["count"] == 3 and len(body["items"]) == 1

    def test_cycle_is_refused_naming_the_packages(self, project, pm):
        """Closing a cycle gets 422 naming the packages, and no link is stored."""
        a, b = _create(pm, "Alpha"), _create(pm, "Beta")
        assert _link(pm, a, b).status_code == 201
        response = _link(pm, b, a)
        body = assert_problem(response, 422)
        assert "Alpha" in body["detail"] and "Beta" in body["detail"]
        assert Dependency.objects.count() == 1

    def test_link_update_changes_dates(self, project, pm):
        """A longer lag moves the successor later."""
        a, b = _create(pm, "A"), _create(pm, "B")
        link = _link(pm, a, b).json()
        before = pm.get(f"/projects/ERP/work-packages/{b['id']}").json()["early_start"]
        response = pm.patch(f"/projects/ERP/dependencies/{link['id']}", {"version": 1, "lag": DAY})
        assert response.status_code == 200, response.content
        assert response.json()["lag"] == DAY
        after = pm.get(f"/projects/ERP/work-packages/{b['id']}").json()["early_start"]
        assert after > before

    def test_link_delete_checks_version(self, project, pm):
        """Deleting a link against an outdated version gets 409 and keeps it."""
        a, b = _create(pm, "A"), _create(pm, "B")
        link = _link(pm, a, b).json()
        pm.patch(f"/projects/ERP/dependencies/{link['id']}", {"version": 1, "lag": 60})
        assert_problem(pm.delete(f"/projects/ERP/dependencies/{link['id']}?version=1"), 409)
        assert pm.delete(f"/projects/ERP/dependencies/{link['id']}?version=2").status_code == 204
        assert not Dependency.objects.exists()

    def test_calendar_put_moves_dates_and_checks_version(self, project, pm):
        """Moving the schedule start moves the plan; a stale calendar version gets 409."""
        a = _create(pm, "A")
        cal = pm.get("/projects/ERP/calendar").json()
        response = pm.put(
            "/projects/ERP/calendar", {"version": cal["version"], "schedule_start": "2027-01-04"}
        )
        assert response.status_code == 200, response.content
        assert response.json()["version"] == cal["version"] + 1
        moved = pm.get(f"/projects/ERP/work-packages/{a['id']}").json()
        assert moved["early_start"].startswith("2027-01-04")
        assert_problem(pm.put("/projects/ERP/calendar", {"version": cal["version"]}), 409)

    def test_forecast_is_reproducible_with_a_seed(self, project, pm):
        """The same seed gives the same forecast; milestones get percentiles, P50 ≤ P80 ≤ P95."""
        a = _create(pm, "A", optimistic=240, most_likely=480, pessimistic=2400)
        m = _create(pm, "Go-live", duration=0, milestone=True)
        _link(pm, a, m)
        params = {"iterations": 300, "seed": 7}
        one = pm.get("/projects/ERP/forecast", params).json()
        two = pm.get("/projects/ERP/forecast", params).json()
        assert one == two
        finish = one["finish"]
        assert finish["p50"] <= finish["p80"] <= finish["p95"]
        assert one["milestones"][0]["name"] == "Go-live"
        assert {c["name"]: c["criticality"] for c in one["criticality"]}["A"] == 1.0

    def test_forecast_rejects_bad_iterations(self, project, pm):
        """Zero iterations is a 422."""
        assert_problem(pm.get("/projects/ERP/forecast", {"iterations": 0}), 422)

    def test_burndown_counts_leaf_work(self, project, pm):
        """The planned line starts at the total work and ends at zero."""
        _create(pm, "A", duration=2 * DAY)
        body = pm.get("/projects/ERP/burndown").json()
        assert body["total"] == 2 * DAY
        assert body["points"][-1]["planned"] == 0
        assert body["points"][0]["planned"] <= 2 * DAY


@pytest.mark.django_db
class BaselineTests:
    def test_compare_shows_variance_after_a_change(self, project, pm):
        """Lengthening a package after the baseline shows finish and duration variance."""
        a = _create(pm, "A")
        created = pm.post("/projects/ERP/baselines", {"name": "Approved"})
        assert created.status_code == 201
        baseline = created.json()
        assert (
            pm.patch(
                f"/projects/ERP/work-packages/{a['id']}", {"version": 1, "duration": 2 * DAY}
            ).status_code
            == 200
        )
        body = pm.get(f"/projects/ERP/baselines/{baseline['id']}/compare").json()
        row = body["packages"][0]
        assert row["status"] == "changed"
        assert row["duration_variance"] == DAY
        assert row["finish_variance"]["minutes"] == DAY
        assert row["start_variance"]["minutes"] == 0
        assert row["finish_variance"]["days"] >= 1
        assert body["finish_variance"]["minutes"] == DAY

    def test_baseline_get_lists_entries_and_names_are_unique(self, project, pm):
        """A baseline lists one entry per package; a second one with the same name is 422."""
        _create(pm, "A")
        baseline = pm.post("/projects/ERP/baselines", {"name": "B1"}).json()
        body = pm.get(f"/projects/ERP/baselines/{baseline['id']}").json()
        assert [e["name"] for e in body["entries"]] == ["A"]
        assert_problem(pm.post("/projects/ERP/baselines", {"name": "B1"}), 422)


@pytest.mark.django_db
class CheckpointTests:
    def test_record_and_mark_action_done(self, project, pm, team):
        """A checkpoint stores attendees and actions; an action can be marked done and reopened."""
        response = pm.post(
            "/projects/ERP/checkpoints",
            {
                "held_on": "2026-03-02",
                "title": "Weekly",
                "attendees": ["erp-viewer"],
                "actions": [
                    {"description": "Order", "owner": "erp-contributor", "due_date": "2026-03-09"}
                ],
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["attendees"] == ["erp-viewer"]
        action = body["actions"][0]
        path = f"/projects/ERP/checkpoints/{body['id']}/actions/{action['id']}/done"
        assert pm.post(path, {"done": True}).json()["done_at"] is not None
        assert pm.post(path, {"done": False}).json()["done_at"] is None

    def test_action_owner_must_be_member(self, project, pm):
        """An action owned by a non-member is refused and nothing is stored."""
        UserFactory(username="stranger")
        response = pm.post(
            "/projects/ERP/checkpoints",
            {
                "held_on": "2026-03-02",
                "title": "Weekly",
                "actions": [{"description": "X", "owner": "stranger", "due_date": "2026-03-09"}],
            },
        )
        assert_problem(response, 422)
        assert not Checkpoint.objects.exists()


@pytest.mark.django_db
class BlockerTests:
    def test_raise_list_and_resolve(self, project, pm):
        """A raised blocker is listed open; resolved, it leaves the open list; twice is 409."""
        wp = _create(pm, "A")
        raised = pm.post(f"/projects/ERP/work-packages/{wp['id']}/blockers", {"reason": "No VPN"})
        assert raised.status_code == 201, raised.content
        blocker = raised.json()
        assert blocker["level"] == 0 and blocker["work_package_wbs"] == "1"
        assert pm.get("/projects/ERP/blockers").json()["count"] == 1
        path = f"/projects/ERP/blockers/{blocker['id']}/resolve"
        resolved = pm.post(path, {"resolution": "Granted"}).json()
        assert resolved["resolved_by"] == "pm"
        assert pm.get("/projects/ERP/blockers").json()["count"] == 0
        assert pm.get("/projects/ERP/blockers", {"state": "all"}).json()["count"] == 1
        assert_problem(pm.post(path, {"resolution": "Again"}), 409)

    def test_blank_reason_is_refused(self, project, pm):
        """A blocker needs a reason."""
        wp = _create(pm, "A")
        assert_problem(
            pm.post(f"/projects/ERP/work-packages/{wp['id']}/blockers", {"reason": " "}), 422
        )

    def test_blocker_age_is_reported(self, project, pm):
        """The list shows how many hours a blocker has been open."""
        wp = _package(project)
        blocker = blocker_raise(actor=project.manager, package=wp, reason="Vendor")
        Blocker.objects.filter(pk=blocker.pk).update(raised_at=timezone.now() - timedelta(hours=30))
        item = pm.get("/projects/ERP/blockers").json()["items"][0]
        assert 29.9 < item["age_hours"] < 30.5

    def test_blocker_list_query_count_is_constant(self, project, pm):
        """Listing 2 or 8 blockers runs the same number of queries."""
        wp = _package(project)
        for i in range(2):
            blocker_raise(actor=project.manager, package=wp, reason=f"R{i}")
        pm.get("/projects/ERP/blockers")  # the token's first use is recorded once
        few = queries_for(pm, "/projects/ERP/blockers")
        for i in range(6):
            blocker_raise(actor=project.manager, package=wp, reason=f"S{i}")
        assert queries_for(pm, "/projects/ERP/blockers") == few

    def test_escalation_path_put_and_bad_owner(self, project, pm, team):
        """The path is replaced in order; an owner who is not a member gets 422, nothing changes."""
        body = pm.put(
            "/projects/ERP/escalation-path",
            {
                "levels": [
                    {"owner": "erp-contributor", "max_age_hours": 24},
                    {"owner": "pm", "max_age_hours": 48},
                ]
            },
        ).json()
        assert [(lvl["level"], lvl["owner"]) for lvl in body["levels"]] == [
            (1, "erp-contributor"),
            (2, "pm"),
        ]
        UserFactory(username="stranger")
        response = pm.put(
            "/projects/ERP/escalation-path",
            {"levels": [{"owner": "stranger", "max_age_hours": 24}]},
        )
        body = assert_problem(response, 422)
        assert "levels.0.owner" in body["detail"]
        assert EscalationLevel.objects.filter(project=project).count() == 2


@pytest.mark.django_db
class ListQueryCountTests:
    @pytest.mark.parametrize(
        ("path", "grow"),
        [
            ("/projects/ERP/dependencies", "links"),
            ("/projects/ERP/checkpoints", "checkpoints"),
            ("/projects/ERP/baselines", "baselines"),
        ],
    )
    def test_list_query_count_is_constant(self, project, pm, team, path, grow):
        """A longer list costs no more queries."""

        def add(n, offset):
            for i in range(n):
                if grow == "links":
                    a = _package(project, f"A{offset + i}")
                    b = _package(project, f"B{offset + i}")
                    dependency_create(
                        actor=project.manager, project=project, predecessor=a, successor=b
                    )
                elif grow == "checkpoints":
                    checkpoint_record(
                        actor=project.manager,
                        project=project,
                        held_on=date(2026, 3, 2),
                        title=f"C{offset + i}",
                        attendees=[team["viewer"]],
                        actions=[
                            {
                                "description": "Do",
                                "owner": team["contributor"],
                                "due_date": date(2026, 3, 9),
                            }
                        ],
                    )
                else:
                    _package(project, f"W{offset + i}")
                    baseline_save(actor=project.manager, project=project, name=f"B{offset + i}")

        add(2, 0)
        pm.get("/projects/ERP/blockers")  # the token's first use is recorded once
        few = queries_for(pm, path)
        add(4, 10)
        assert queries_for(pm, path) == few


@pytest.mark.django_db
class EscalationPathTests:
    def test_get_lists_levels(self, project, pm, team):
        """The path lists its levels with owners and ages."""
        escalation_path_set(
            actor=project.manager,
            project=project,
            levels=[{"owner": team["approver"], "max_age_hours": 8}],
        )
        body = pm.get("/projects/ERP/escalation-path").json()
        assert body == {"levels": [{"level": 1, "owner": "erp-approver", "max_age_hours": 8}]}
