"""API tests: the rollout plan and its waves (who may call each endpoint, and what they answer).

The rollout DB snapshot used by every rollout API test lives here (`rollout_db_state`).
"""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from golive.config.tests import support
from golive.config.tests.support import (
    API,
    ApiClient,
    Endpoint,
    assert_problem,
    matrix_cases,
    queries_for,
    run_matrix,
)
from golive.gates.models import Gate
from golive.gates.services import decision_open, decision_vote
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.rollout.models import (
    Communication,
    CommunicationLog,
    MigrationCheck,
    MigrationExtract,
    MigrationResult,
    RolloutPlan,
    Run,
    Runbook,
    RunStep,
    Step,
    Wave,
)
from golive.rollout.services.plan import wave_create, wave_hypercare, wave_start

_plain_db_state = support.db_state


def rollout_db_state():
    """The shared DB snapshot plus every rollout row and link."""
    state = _plain_db_state()
    for model in (
        RolloutPlan,
        Wave,
        Runbook,
        Step,
        Run,
        RunStep,
        MigrationCheck,
        MigrationExtract,
        MigrationResult,
        Communication,
        CommunicationLog,
    ):
        state[model.__name__] = list(model.objects.order_by("pk").values())
    state["StepApprovers"] = list(Step.approvers.through.objects.order_by("pk").values())
    state["StepDependencies"] = list(Step.depends_on.through.objects.order_by("pk").values())
    return state


@pytest.fixture(autouse=True)
def _rollout_state(monkeypatch):
    monkeypatch.setattr(support, "db_state", rollout_db_state)


def make_wave(project, name="Pilot", slug="pilot", **fields):
    """Plan a wave (with its gates) starting in a week, owned by the manager."""
    start = timezone.now() + timedelta(days=7)
    fields.setdefault("planned_start", start)
    fields.setdefault("planned_end", start + timedelta(days=14))
    return wave_create(
        actor=project.manager,
        project=project,
        name=name,
        slug=slug,
        owner=project.manager,
        **fields,
    )


def approve(gate, project):
    """Open a go decision on `gate` and have the manager (its approver) approve it."""
    decision = decision_open(actor=project.manager, gate=gate)
    decision_vote(actor=project.manager, decision=decision, approve=True)


def _wave(project, callers):
    make_wave(project)
    return {"slug": "pilot"}


def _approved_wave(project, callers):
    wave = make_wave(project)
    approve(wave.gate, project)
    return {"slug": "pilot"}


def _in_progress(project, callers):
    wave = make_wave(project)
    approve(wave.gate, project)
    wave_start(actor=project.manager, wave=wave)
    return {"slug": "pilot"}


def _hypercare_done(project, callers):
    wave = make_wave(project)
    approve(wave.gate, project)
    wave = wave_start(actor=project.manager, wave=wave)
    wave = wave_hypercare(actor=project.manager, wave=wave)
    Wave.objects.filter(pk=wave.pk).update(hypercare_at=timezone.now() - timedelta(days=8))
    approve(wave.exit_gate, project)
    return {"slug": "pilot"}


R = "/projects/{key}/rollout"
WINDOW = {"planned_start": "2027-03-01T08:00:00Z", "planned_end": "2027-03-15T18:00:00Z"}
ENDPOINTS = [
    Endpoint("plan-get", "GET", R + "/plan"),
    Endpoint(
        "plan-set",
        "PUT",
        R + "/plan",
        min_role="manager",
        body={"strategy": "pilot", "notes": "Pilot in Lyon first."},
    ),
    Endpoint("waves-list", "GET", R + "/waves", setup=_wave),
    Endpoint(
        "waves-create",
        "POST",
        R + "/waves",
        min_role="manager",
        body={"name": "Wave 1", "owner": "{user_contributor}", **WINDOW},
        ok=201,
    ),
    Endpoint("waves-get", "GET", R + "/waves/{slug}", setup=_wave),
    Endpoint(
        "waves-update",
        "PATCH",
        R + "/waves/{slug}",
        min_role="manager",
        body={"version": 1, "headcount": 120},
        setup=_wave,
    ),
    Endpoint(
        "waves-delete", "DELETE", R + "/waves/{slug}", min_role="manager", setup=_wave, ok=204
    ),
    Endpoint(
        "waves-start", "POST", R + "/waves/{slug}/start", min_role="manager", setup=_approved_wave
    ),
    Endpoint(
        "waves-hypercare",
        "POST",
        R + "/waves/{slug}/hypercare",
        min_role="manager",
        setup=_in_progress,
    ),
    Endpoint(
        "waves-complete",
        "POST",
        R + "/waves/{slug}/complete",
        min_role="manager",
        setup=_hypercare_done,
    ),
    Endpoint(
        "waves-cancel",
        "POST",
        R + "/waves/{slug}/cancel",
        min_role="manager",
        body={"reason": "The site closes."},
        setup=_wave,
    ),
    Endpoint("go-live", "GET", R + "/go-live"),
]


@pytest.mark.django_db
class PlanAccessMatrixTests:
    @pytest.mark.parametrize(("endpoint", "caller"), matrix_cases(ENDPOINTS))
    def test_caller_gets_expected_status(self, endpoint, caller):
        """Each caller gets 401/404/403 or success, and a refusal writes nothing."""
        run_matrix(endpoint, caller)


P = "/projects/ERP/rollout"


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
class RolloutPlanApiTests:
    def test_unsaved_plan_reads_as_phased_version_zero(self, project, team):
        """Before the first save the plan answers the default strategy at version 0."""
        body = ApiClient(team["viewer"]).get(f"{P}/plan").json()
        assert body == {
            "strategy": "phased",
            "notes": "",
            "version": 0,
            "updated_at": None,
            "waves": [],
        }

    def test_plan_lists_waves_with_their_gates_evaluated(self, project, pm):
        """Each wave comes with its go/no-go gate's verdict and latest decision."""
        wave = make_wave(project)
        approve(wave.gate, project)
        row = pm.get(f"{P}/plan").json()["waves"][0]
        assert row["wave"]["slug"] == "pilot"
        assert (row["gate"]["name"], row["gate"]["passed"]) == ("wave-pilot", True)
        assert row["gate"]["decision"]["status"] == "approved"
        assert row["exit_gate"]["name"] == "hypercare-pilot"
        assert row["exit_gate"]["passed"] is False and row["exit_gate"]["failing"]

    def test_set_then_stale_version_is_409(self, pm):
        """The first save creates the plan; a save against an old version gets 409."""
        first = pm.put(f"{P}/plan", {"strategy": "pilot", "notes": "Lyon first."})
        assert first.status_code == 200, first.content
        assert (first.json()["strategy"], first.json()["version"]) == ("pilot", 1)
        second = pm.put(f"{P}/plan", {"strategy": "phased", "version": 1}).json()
        assert second["version"] == 2
        body = assert_problem(pm.put(f"{P}/plan", {"strategy": "full", "version": 1}), 409)
        assert body["current"]["strategy"] == "phased"

    def test_unknown_strategy_is_422(self, pm):
        """A strategy that does not exist is refused naming the field."""
        body = assert_problem(pm.put(f"{P}/plan", {"strategy": "big-bang"}), 422)
        assert body["errors"][0]["field"] == "strategy"
        assert not RolloutPlan.objects.exists()

    def test_full_strategy_refuses_a_second_wave(self, project, pm):
        """A full rollout has one wave: the strategy change is refused naming the waves."""
        make_wave(project, "Lyon", "lyon")
        make_wave(project, "Paris", "paris")
        body = assert_problem(pm.put(f"{P}/plan", {"strategy": "full"}), 422)
        assert "Lyon" in body["detail"] and "Paris" in body["detail"]


@pytest.mark.django_db
class WaveApiTests:
    def test_create_makes_both_gates(self, project, team, pm):
        """A new wave answers with its go/no-go and hypercare-exit gates."""
        response = pm.post(
            f"{P}/waves",
            {
                "name": "Lyon pilot",
                "slug": "lyon",
                "owner": "erp-contributor",
                "is_pilot": True,
                "cohort_kind": "site",
                "cohort": "Lyon plant",
                "headcount": 80,
                "contact_emails": ["lyon@example.com"],
                **WINDOW,
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["slug"], body["status"], body["owner"]) == (
            "lyon",
            "planned",
            "erp-contributor",
        )
        assert (body["gate"], body["exit_gate"]) == ("wave-lyon", "hypercare-lyon")
        assert body["contact_emails"] == ["lyon@example.com"] and body["version"] == 1
        assert body["gate_status"]["passed"] is True and body["gate_status"]["decision"] is None
        assert body["exit_gate_status"]["name"] == "hypercare-lyon"
        assert set(Gate.objects.filter(project=project).values_list("name", flat=True)) >= {
            "wave-lyon",
            "hypercare-lyon",
        }

    def test_bad_input_is_422_and_stores_nothing(self, project, team, pm):
        """An end before the start, an outsider owner or a bad address are refused."""
        bad_window = {
            "planned_start": "2027-03-15T08:00:00Z",
            "planned_end": "2027-03-01T08:00:00Z",
        }
        for payload in (
            {"name": "W", "owner": "pm", **bad_window},
            {"name": "W", "owner": "nobody", **WINDOW},
            {"name": "W", "owner": "pm", "contact_emails": ["not-an-address"], **WINDOW},
            {"name": "W", "owner": "pm", "cohort_kind": "planet", **WINDOW},
        ):
            assert_problem(pm.post(f"{P}/waves", payload), 422)
        assert not Wave.objects.exists()

    def test_update_with_version(self, project, pm):
        """A change with the current version applies; a stale one gets 409 with the state."""
        make_wave(project)
        changed = pm.patch(f"{P}/waves/pilot", {"version": 1, "name": "Lyon", "headcount": 9})
        assert changed.status_code == 200, changed.content
        assert (changed.json()["name"], changed.json()["version"]) == ("Lyon", 2)
        body = assert_problem(pm.patch(f"{P}/waves/pilot", {"version": 1, "headcount": 3}), 409)
        assert body["current"]["headcount"] == 9
        assert_problem(pm.patch(f"{P}/waves/pilot", {"headcount": 3}), 422)

    def test_start_needs_an_approved_go_decision(self, project, pm):
        """Starting without a decision names the gate; after approval the wave is in progress."""
        wave = make_wave(project)
        body = assert_problem(pm.post(f"{P}/waves/pilot/start"), 422)
        assert "wave-pilot" in body["detail"]
        approve(wave.gate, project)
        started = pm.post(f"{P}/waves/pilot/start").json()
        assert started["status"] == "in_progress" and started["start_decision"] is not None
        assert started["started_at"] is not None
        assert_problem(pm.post(f"{P}/waves/pilot/start"), 409)

    def test_hypercare_then_complete_needs_the_exit_decision(self, project, pm):
        """A wave moves into hypercare; completing it waits for the exit gate's decision."""
        wave = make_wave(project)
        approve(wave.gate, project)
        pm.post(f"{P}/waves/pilot/start")
        assert_problem(pm.post(f"{P}/waves/pilot/complete"), 409)
        assert pm.post(f"{P}/waves/pilot/hypercare").json()["status"] == "hypercare"
        body = assert_problem(pm.post(f"{P}/waves/pilot/complete"), 422)
        assert "hypercare-pilot" in body["detail"]

    def test_cancel_needs_a_reason(self, project, pm):
        """Cancelling without a reason is refused; with one the wave is cancelled."""
        make_wave(project)
        assert_problem(pm.post(f"{P}/waves/pilot/cancel", {"reason": " "}), 422)
        body = pm.post(f"{P}/waves/pilot/cancel", {"reason": "Site closed."}).json()
        assert body["status"] == "cancelled"
        assert_problem(pm.post(f"{P}/waves/pilot/cancel", {"reason": "Again."}), 409)

    def test_delete_removes_the_gates_and_started_waves_stay(self, project, pm):
        """Deleting a planned wave removes its gates; a started one is refused."""
        make_wave(project)
        assert pm.delete(f"{P}/waves/pilot").status_code == 204
        assert not Gate.objects.filter(name__in=["wave-pilot", "hypercare-pilot"]).exists()
        assert_problem(pm.get(f"{P}/waves/pilot"), 404)
        wave = make_wave(project, "Paris", "paris")
        approve(wave.gate, project)
        pm.post(f"{P}/waves/paris/start")
        assert_problem(pm.delete(f"{P}/waves/paris"), 422)
        assert Wave.objects.filter(slug="paris").exists()

    def test_another_projects_wave_is_404(self, project, pm):
        """A wave of another project is not found under this one."""
        other = ProjectFactory(key="CRM", manager=project.manager)
        make_wave(other)
        assert_problem(pm.get(f"{P}/waves/pilot"), 404)

    def test_list_in_order_and_queries_do_not_grow(
        self, project, team, django_assert_max_num_queries
    ):
        """Waves come in rollout order; 8 cost no more queries than 1."""
        api = ApiClient(team["viewer"])
        make_wave(project, "Wave 0", "w0")
        api.get(f"{P}/waves")
        baseline = queries_for(api, f"{P}/waves")
        for n in range(1, 8):
            make_wave(project, f"Wave {n}", f"w{n}")
        with django_assert_max_num_queries(baseline):
            body = api.get(f"{P}/waves").json()
        assert body["count"] == 8
        assert [w["slug"] for w in body["items"]] == [f"w{n}" for n in range(8)]
        assert body["items"][0]["gate"] == "wave-w0"


@pytest.mark.django_db
class GoLiveApiTests:
    def test_new_project_lists_every_criterion_failing_with_reasons(self, project, team):
        """A new project's go-live checklist fails, each criterion saying why."""
        body = ApiClient(team["viewer"]).get(f"{P}/go-live").json()
        assert (body["gate"], body["passed"], body["quorum"]) == ("go-live", False, 1)
        assert body["approvers"] == ["pm"]
        assert [c["key"] for c in body["criteria"]] == [
            "readiness-decided",
            "rollback-rehearsed",
            "migration-checks",
            "no-blocking-defects",
            "signoffs",
            "communications",
        ]
        rollback = body["criteria"][1]
        assert rollback["passed"] is False and "rollback" in rollback["detail"].lower()
        assert (body["pending"], body["latest"]) == (None, None)

    def test_decisions_go_through_the_gates_api(self, project, pm):
        """The description points at the gates API, where the go-live gate is decided."""
        document = json.loads(Client().get(f"{API}/openapi.json").content)
        operation = document["paths"][f"{API}/projects/{{key}}/rollout/go-live"]["get"]
        assert "/gates/go-live/decisions" in operation["description"]
        assert pm.get("/projects/ERP/gates/go-live").status_code == 200


@pytest.mark.django_db
class RolloutOpenApiTests:
    def test_every_rollout_operation_is_tagged_and_summarised(self):
        """Each /rollout/ operation carries the rollout tag and a summary; ids are unique."""
        document = json.loads(Client().get(f"{API}/openapi.json").content)
        operations = [
            (method, path, operation)
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if "/rollout/" in path
        ]
        assert operations
        for method, path, operation in operations:
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert operation["tags"] == ["rollout"]
        ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
        assert len(ids) == len(set(ids))
