"""API tests: runbooks and their steps (one by one and in bulk), and the planned timeline."""

import pytest

from golive.config.tests.support import (
    ApiClient,
    Endpoint,
    assert_problem,
    db_state,
    matrix_cases,
    queries_for,
    run_matrix,
)
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.rollout.models import Step
from golive.rollout.services.runbooks import runbook_create, step_create
from golive.rollout.services.runs import run_start
from golive.rollout.tests.test_api_plan import _rollout_state  # noqa: F401  (autouse fixture)


def make_runbook(project, name="erp-cutover", **fields):
    """Write a runbook owned by the manager."""
    fields.setdefault("title", name.replace("-", " ").title())
    return runbook_create(
        actor=project.manager, project=project, name=name, owner=project.manager, **fields
    )


def make_steps(runbook, *specs):
    """Add steps given as (key, duration, [predecessor keys]) in order."""
    return [
        step_create(
            actor=runbook.project.manager,
            runbook=runbook,
            key=key,
            title=key.replace("-", " ").capitalize(),
            duration_minutes=duration,
            depends_on=preds,
        )
        for key, duration, preds in specs
    ]


def _runbook(project, callers):
    runbook = make_runbook(project)
    make_steps(runbook, ("freeze", 30, []), ("export", 60, ["freeze"]))
    return {"name": runbook.name}


R = "/projects/{key}/rollout/runbooks"
ENDPOINTS = [
    Endpoint("runbooks-list", "GET", R, setup=_runbook),
    Endpoint(
        "runbooks-create",
        "POST",
        R,
        min_role="manager",
        body={"name": "crm-cutover", "title": "CRM cutover", "owner": "{user_contributor}"},
        ok=201,
    ),
    Endpoint("runbooks-get", "GET", R + "/{name}", setup=_runbook),
    Endpoint(
        "runbooks-update",
        "PATCH",
        R + "/{name}",
        min_role="manager",
        body={"version": 1, "title": "ERP cutover weekend"},
        setup=_runbook,
    ),
    Endpoint(
        "runbooks-delete", "DELETE", R + "/{name}", min_role="manager", setup=_runbook, ok=204
    ),
    Endpoint("runbooks-timeline", "GET", R + "/{name}/timeline", setup=_runbook),
    Endpoint("steps-list", "GET", R + "/{name}/steps", setup=_runbook),
    Endpoint(
        "steps-create",
        "POST",
        R + "/{name}/steps",
        min_role="manager",
        body={"key": "import", "title": "Import", "duration_minutes": 90, "depends_on": ["export"]},
        setup=_runbook,
        ok=201,
    ),
    Endpoint(
        "steps-replace",
        "PUT",
        R + "/{name}/steps",
        min_role="manager",
        body={
            "steps": [
                {"key": "freeze", "title": "Freeze", "duration_minutes": 15},
                {"key": "load", "title": "Load", "depends_on": ["freeze"]},
            ]
        },
        setup=_runbook,
    ),
    Endpoint("steps-get", "GET", R + "/{name}/steps/export", setup=_runbook),
    Endpoint(
        "steps-update",
        "PATCH",
        R + "/{name}/steps/export",
        min_role="manager",
        body={"version": 1, "duration_minutes": 45},
        setup=_runbook,
    ),
    Endpoint(
        "steps-delete",
        "DELETE",
        R + "/{name}/steps/export",
        min_role="manager",
        setup=_runbook,
        ok=204,
    ),
]


@pytest.mark.django_db
class RunbookAccessMatrixTests:
    @pytest.mark.parametrize(("endpoint", "caller"), matrix_cases(ENDPOINTS))
    def test_caller_gets_expected_status(self, endpoint, caller):
        """Each caller gets 401/404/403 or success, and a refusal writes nothing."""
        run_matrix(endpoint, caller)


P = "/projects/ERP/rollout/runbooks"


@pytest.fixture
def project():
    return ProjectFactory(key="ERP", manager=UserFactory(username="pm"))


@pytest.fixture
def team(project):
    return team_for(project)


@pytest.fixture
def pm(project):
    return ApiClient(project.manager)


@pytest.mark.django_db
class RunbookApiTests:
    def test_rollback_plan_needs_its_rto(self, project, team, pm):
        """A rollback plan without an RTO is refused; with one a cutover can name it."""
        payload = {"name": "erp-rollback", "title": "Rollback", "owner": "pm", "kind": "rollback"}
        assert_problem(pm.post(P, payload), 422)
        created = pm.post(P, {**payload, "rto_minutes": 60, "trigger_conditions": "Totals off."})
        assert created.status_code == 201, created.content
        assert (created.json()["rto_minutes"], created.json()["steps"]) == (60, [])
        cutover = pm.post(
            P,
            {
                "name": "erp-cutover",
                "title": "Cutover",
                "owner": "pm",
                "rollback_plan": "erp-rollback",
            },
        ).json()
        assert (cutover["kind"], cutover["rollback_plan"]) == ("cutover", "erp-rollback")

    def test_duplicate_name_and_outsider_owner_are_422(self, project, team, pm):
        """A name already used and an owner who is not a member are refused."""
        make_runbook(project)
        assert_problem(pm.post(P, {"name": "erp-cutover", "title": "Again", "owner": "pm"}), 422)
        UserFactory(username="stranger")
        body = assert_problem(pm.post(P, {"name": "x", "title": "X", "owner": "stranger"}), 422)
        assert "stranger" in body["detail"]

    def test_get_lists_steps_with_links(self, project, team, pm):
        """A runbook answers its steps in order with owners, approvers and predecessors."""
        runbook = make_runbook(project)
        make_steps(runbook, ("freeze", 30, []), ("export", 60, ["freeze"]))
        step_create(
            actor=project.manager,
            runbook=runbook,
            key="go",
            title="Go / no-go",
            kind="decision",
            approvers=["erp-approver"],
            owner="erp-contributor",
            depends_on=["export"],
        )
        body = pm.get(f"{P}/erp-cutover").json()
        assert [s["key"] for s in body["steps"]] == ["freeze", "export", "go"]
        go = body["steps"][2]
        assert (go["approvers"], go["depends_on"], go["owner"]) == (
            ["erp-approver"],
            ["export"],
            "erp-contributor",
        )

    def test_update_with_version(self, project, pm):
        """A change with the current version applies; a stale one gets 409."""
        make_runbook(project)
        changed = pm.patch(f"{P}/erp-cutover", {"version": 1, "description": "Weekend."}).json()
        assert (changed["description"], changed["version"]) == ("Weekend.", 2)
        body = assert_problem(pm.patch(f"{P}/erp-cutover", {"version": 1, "title": "X"}), 409)
        assert body["current"]["description"] == "Weekend."

    def test_delete_refused_once_run(self, project, pm):
        """A runbook with a run stays; one never run is deleted."""
        runbook = make_runbook(project)
        make_steps(runbook, ("freeze", 30, []))
        run_start(actor=project.manager, runbook=runbook, kind="rehearsal")
        assert_problem(pm.delete(f"{P}/erp-cutover"), 422)
        make_runbook(project, "spare")
        assert pm.delete(f"{P}/spare").status_code == 204
        assert_problem(pm.get(f"{P}/spare"), 404)

    def test_another_projects_runbook_is_404(self, project, pm):
        """A runbook of another project is not found under this one."""
        make_runbook(ProjectFactory(key="CRM", manager=project.manager))
        assert_problem(pm.get(f"{P}/erp-cutover"), 404)

    def test_list_queries_do_not_grow(self, project, team, django_assert_max_num_queries):
        """Listing 8 runbooks (with waves and rollback plans) costs no more than listing 1."""
        api = ApiClient(team["viewer"])
        rollback = make_runbook(project, "rollback", kind="rollback", rto_minutes=30)
        api.get(P)
        baseline = queries_for(api, P)
        for n in range(7):
            make_runbook(project, f"cutover-{n}", rollback_plan=rollback)
        with django_assert_max_num_queries(baseline):
            body = api.get(P).json()
        assert body["count"] == 8
        assert body["items"][0]["rollback_plan"] == "rollback"


@pytest.mark.django_db
class StepApiTests:
    def test_rules_are_422_naming_the_problem(self, project, team, pm):
        """A cycle, a decision without approver, a check without expected value are refused."""
        runbook = make_runbook(project)
        make_steps(runbook, ("a", 10, []), ("b", 10, ["a"]))
        path = f"{P}/erp-cutover/steps"
        body = assert_problem(pm.patch(f"{path}/a", {"version": 1, "depends_on": ["b"]}), 422)
        assert "a" in body["detail"] and "b" in body["detail"]
        assert_problem(pm.post(path, {"key": "go", "title": "Go", "kind": "decision"}), 422)
        assert_problem(pm.post(path, {"key": "chk", "title": "Count", "kind": "check"}), 422)
        assert_problem(pm.post(path, {"key": "c", "title": "C", "depends_on": ["nope"]}), 422)
        assert_problem(pm.post(path, {"key": "Bad Key", "title": "C"}), 422)
        assert Step.objects.count() == 2

    def test_create_get_update_delete(self, project, team, pm):
        """A step is added, read by key, changed with its version and deleted."""
        make_runbook(project)
        path = f"{P}/erp-cutover/steps"
        created = pm.post(
            path,
            {
                "key": "count",
                "title": "Count customers",
                "kind": "check",
                "expected_value": "1204",
                "offset_minutes": -30,
                "duration_minutes": 5,
            },
        )
        assert created.status_code == 201, created.content
        assert (created.json()["expected_value"], created.json()["offset_minutes"]) == ("1204", -30)
        assert pm.get(f"{path}/count").json()["title"] == "Count customers"
        changed = pm.patch(f"{path}/count", {"version": 1, "expected_value": "1205"}).json()
        assert changed["version"] == 2
        assert_problem(pm.patch(f"{path}/count", {"version": 1, "title": "X"}), 409)
        assert pm.delete(f"{path}/count").status_code == 204
        assert_problem(pm.get(f"{path}/count"), 404)

    def test_bulk_replace_is_all_or_nothing(self, project, team, pm):
        """A whole list replaces the steps; one bad step refuses all, naming it."""
        runbook = make_runbook(project)
        make_steps(runbook, ("old", 10, []))
        path = f"{P}/erp-cutover/steps"
        steps = [
            {"key": "freeze", "title": "Freeze", "duration_minutes": 15},
            {"key": "load", "title": "Load", "duration_minutes": 60, "depends_on": ["freeze"]},
        ]
        before = db_state()
        bad = [*steps, {"key": "go", "title": "Go", "kind": "decision"}]
        body = assert_problem(pm.put(path, {"steps": bad}), 422)
        assert "go" in body["detail"]
        assert db_state() == before
        response = pm.put(path, {"steps": steps})
        assert response.status_code == 200, response.content
        assert [(s["key"], s["depends_on"]) for s in response.json()] == [
            ("freeze", []),
            ("load", ["freeze"]),
        ]
        assert sorted(Step.objects.values_list("key", flat=True)) == ["freeze", "load"]

    def test_timeline_gives_the_critical_path(self, project, pm):
        """The timeline puts steps at T± with float, and names the critical path."""
        runbook = make_runbook(project)
        make_steps(
            runbook, ("a", 30, []), ("b", 60, ["a"]), ("c", 10, ["a"]), ("d", 15, ["b", "c"])
        )
        body = pm.get(f"{P}/erp-cutover/timeline").json()
        assert body["critical_path"] == ["a", "b", "d"]
        assert (body["start"], body["finish"], body["duration_minutes"]) == (0, 105, 105)
        c = next(s for s in body["steps"] if s["key"] == "c")
        assert (c["early_start"], c["total_float"], c["critical"]) == (30, 50, False)
        assert c["planned"] == "T+30"

    def test_list_queries_do_not_grow(self, project, team, django_assert_max_num_queries):
        """Listing 10 steps with owners, approvers and predecessors costs the same as 2."""
        runbook = make_runbook(project)
        api = ApiClient(team["viewer"])
        make_steps(runbook, ("s0", 5, []), ("s1", 5, ["s0"]))
        path = f"{P}/erp-cutover/steps"
        api.get(path)
        baseline = queries_for(api, path)
        for n in range(2, 10):
            step_create(
                actor=project.manager,
                runbook=runbook,
                key=f"s{n}",
                title=f"S{n}",
                kind="decision",
                approvers=["erp-approver", "pm"],
                owner="erp-contributor",
                depends_on=[f"s{n - 1}", "s0"],
            )
        with django_assert_max_num_queries(baseline):
            assert api.get(path).json()["count"] == 10
