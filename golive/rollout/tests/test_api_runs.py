"""API tests: runs of a runbook, the live view and the report, and the actions on run steps."""

import pytest

from golive.config.tests.support import (
    ApiClient,
    Endpoint,
    assert_problem,
    matrix_cases,
    queries_for,
    run_matrix,
)
from golive.projects.models import Role
from golive.projects.services import membership_set
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.rollout.models import Run, RunStep
from golive.rollout.services.runbooks import step_create
from golive.rollout.services.runs import run_pause, run_start, step_fail, step_start
from golive.rollout.tests.test_api_plan import _rollout_state  # noqa: F401  (autouse fixture)
from golive.rollout.tests.test_api_runbooks import make_runbook, make_steps


def _cutover(project, **fields):
    """A runbook freeze (30) → export (60) → import (90)."""
    runbook = make_runbook(project, **fields)
    make_steps(runbook, ("freeze", 30, []), ("export", 60, ["freeze"]), ("import", 90, ["export"]))
    return runbook


def _running(project, **fields):
    return run_start(actor=project.manager, runbook=_cutover(project, **fields), kind="rehearsal")


def _step(run, key):
    return RunStep.objects.get(run=run, key=key)


def _runbook(project, callers):
    _cutover(project)
    return {"name": "erp-cutover"}


def _run(project, callers):
    run = _running(project)
    return {"name": "erp-cutover", "number": run.number}


def _paused(project, callers):
    run = _running(project)
    run_pause(actor=project.manager, run=run)
    return {"name": "erp-cutover", "number": run.number}


def _freeze_started(project, callers):
    run = _running(project)
    step_start(actor=project.manager, run_step=_step(run, "freeze"))
    return {"name": "erp-cutover", "number": run.number}


def _freeze_failed(project, callers):
    run = _running(project)
    step_start(actor=project.manager, run_step=_step(run, "freeze"))
    step_fail(actor=project.manager, run_step=_step(run, "freeze"), note="Batch still running.")
    return {"name": "erp-cutover", "number": run.number}


def _decision(project, callers):
    # The site admin is made an approver member so that every caller from approver up is named.
    membership_set(
        actor=project.manager, project=project, user=callers["admin"], role=Role.APPROVER
    )
    runbook = make_runbook(project)
    step_create(
        actor=project.manager,
        runbook=runbook,
        key="go",
        title="Go / no-go",
        kind="decision",
        approvers=[callers["approver"], callers["manager"], callers["admin"]],
    )
    run = run_start(actor=project.manager, runbook=runbook, kind="rehearsal")
    return {"name": "erp-cutover", "number": run.number}


R = "/projects/{key}/rollout/runbooks/{name}/runs"
RUN = R + "/{number}"
ENDPOINTS = [
    Endpoint("runs-list", "GET", R, setup=_run),
    Endpoint(
        "runs-start",
        "POST",
        R,
        min_role="manager",
        body={"kind": "rehearsal", "notes": "Dress rehearsal."},
        setup=_runbook,
        ok=201,
    ),
    Endpoint("runs-get", "GET", RUN, setup=_run),
    Endpoint("runs-live", "GET", RUN + "/live", setup=_freeze_started),
    Endpoint("runs-report", "GET", RUN + "/report", setup=_freeze_failed),
    Endpoint(
        "runs-pause",
        "POST",
        RUN + "/pause",
        min_role="manager",
        body={"reason": "Lunch."},
        setup=_run,
    ),
    Endpoint("runs-resume", "POST", RUN + "/resume", min_role="manager", setup=_paused),
    Endpoint(
        "runs-abort",
        "POST",
        RUN + "/abort",
        min_role="manager",
        body={"reason": "Source database down."},
        setup=_run,
    ),
    Endpoint("step-start", "POST", RUN + "/steps/freeze/start", min_role="contributor", setup=_run),
    Endpoint(
        "step-complete",
        "POST",
        RUN + "/steps/freeze/complete",
        min_role="contributor",
        body={"note": "Jobs stopped at 18:02."},
        setup=_freeze_started,
    ),
    Endpoint(
        "step-fail",
        "POST",
        RUN + "/steps/freeze/fail",
        min_role="contributor",
        body={"note": "Batch still running."},
        setup=_freeze_started,
    ),
    Endpoint(
        "step-skip",
        "POST",
        RUN + "/steps/freeze/skip",
        min_role="contributor",
        body={"reason": "Nothing scheduled tonight."},
        setup=_run,
    ),
    Endpoint(
        "step-verdict",
        "POST",
        RUN + "/steps/go/verdict",
        min_role="approver",
        body={"approve": True, "comment": "Go."},
        setup=_decision,
    ),
    Endpoint(
        "step-resolve",
        "POST",
        RUN + "/steps/freeze/resolve",
        min_role="manager",
        body={"resolution": "retry", "note": "Batch finished now."},
        setup=_freeze_failed,
    ),
]


@pytest.mark.django_db
class RunAccessMatrixTests:
    @pytest.mark.parametrize(("endpoint", "caller"), matrix_cases(ENDPOINTS))
    def test_caller_gets_expected_status(self, endpoint, caller):
        """Each caller gets 401/404/403 or success, and a refusal writes nothing."""
        run_matrix(endpoint, caller)


P = "/projects/ERP/rollout/runbooks/erp-cutover/runs"


@pytest.fixture
def project():
    return ProjectFactory(key="ERP", manager=UserFactory(username="pm"))


@pytest.fixture
def team(project):
    return team_for(project)


@pytest.fixture
def pm(project):
    return ApiClient(project.manager)


@pytest.fixture
def worker(team):
    return ApiClient(team["contributor"])


@pytest.mark.django_db
class RunApiTests:
    def test_start_copies_the_steps(self, project, team, pm):
        """A new run is number 1, running, with a copy of each step waiting."""
        _cutover(project)
        response = pm.post(P, {"kind": "rehearsal", "planned_start": "2027-03-06T18:00:00Z"})
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["number"], body["status"], body["runbook"]) == (1, "running", "erp-cutover")
        assert body["planned_start"].startswith("2027-03-06T18:00:00")
        assert [(s["key"], s["status"], s["depends_on"]) for s in body["steps"]] == [
            ("freeze", "pending", []),
            ("export", "pending", ["freeze"]),
            ("import", "pending", ["export"]),
        ]

    def test_second_run_in_progress_and_bad_kind_are_refused(self, project, pm):
        """Only one run at a time; an unknown kind is 422; nothing more is stored."""
        _running(project)
        body = assert_problem(pm.post(P, {"kind": "rehearsal"}), 422)
        assert "in progress" in body["detail"]
        assert_problem(pm.post(P, {"kind": "dry-run"}), 422)
        assert Run.objects.count() == 1

    def test_pause_resume_abort(self, project, pm):
        """A run pauses, resumes and is aborted with a reason; a paused run's steps wait."""
        run = _running(project)
        path = f"{P}/{run.number}"
        assert pm.post(f"{path}/pause", {"reason": "Lunch."}).json()["status"] == "paused"
        body = assert_problem(pm.post(f"{path}/steps/freeze/start", {}), 422)
        assert "paused" in body["detail"]
        assert_problem(pm.post(f"{path}/pause", {}), 422)
        assert pm.post(f"{path}/resume").json()["status"] == "running"
        assert_problem(pm.post(f"{path}/abort", {"reason": " "}), 422)
        aborted = pm.post(f"{path}/abort", {"reason": "Source down."}).json()
        assert aborted["status"] == "aborted" and aborted["ended_at"] is not None

    def test_steps_run_in_dependency_order_to_success(self, project, pm, worker):
        """A step waits for its predecessor; when all are done the run has succeeded."""
        run = _running(project)
        path = f"{P}/{run.number}/steps"
        body = assert_problem(worker.post(f"{path}/export/start", {}), 422)
        assert "freeze" in body["detail"]
        started = worker.post(f"{path}/freeze/start", {"version": 1}).json()
        assert (started["status"], started["assignee"]) == ("in_progress", "erp-contributor")
        assert_problem(worker.post(f"{path}/freeze/complete", {"version": 1}), 409)
        done = worker.post(f"{path}/freeze/complete", {"note": "Stopped."}).json()
        assert (done["status"], done["note"]) == ("done", "Stopped.")
        for key in ("export", "import"):
            worker.post(f"{path}/{key}/start", {})
            worker.post(f"{path}/{key}/complete", {})
        assert pm.get(f"{P}/{run.number}").json()["status"] == "succeeded"

    def test_check_mismatch_fails_and_resolve_continues(self, project, pm, worker):
        """A check with the wrong value fails; its successor is halted until resolved."""
        runbook = make_runbook(project)
        step_create(
            actor=project.manager,
            runbook=runbook,
            key="count",
            title="Count",
            kind="check",
            expected_value="1 204",
        )
        make_steps(runbook, ("open", 10, ["count"]))
        run = run_start(actor=project.manager, runbook=runbook, kind="live")
        path = f"{P}/{run.number}/steps"
        worker.post(f"{path}/count/start", {})
        failed = worker.post(f"{path}/count/complete", {"actual_value": "1203"}).json()
        assert (failed["status"], failed["passed"], failed["actual_value"]) == (
            "failed",
            False,
            "1203",
        )
        body = assert_problem(worker.post(f"{path}/open/start", {}), 422)
        assert "halted" in body["detail"]
        assert_problem(
            worker.post(f"{path}/count/resolve", {"resolution": "continue", "note": "Ok"}), 403
        )
        assert_problem(
            pm.post(f"{path}/count/resolve", {"resolution": "continue", "note": " "}), 422
        )
        assert_problem(pm.post(f"{path}/count/resolve", {"resolution": "ignore", "note": "x"}), 422)
        resolved = pm.post(
            f"{path}/count/resolve", {"resolution": "continue", "note": "One test row."}
        ).json()
        assert (resolved["resolution"], resolved["resolved_by"]) == ("continue", "pm")
        assert worker.post(f"{path}/open/start", {}).json()["status"] == "in_progress"

    def test_resolve_rollback_starts_the_rollback_plan(self, project, pm, worker):
        """Rolling back ends the run failed and starts a run of the rollback plan of its kind."""
        rollback = make_runbook(project, "erp-rollback", kind="rollback", rto_minutes=60)
        make_steps(rollback, ("restore", 45, []))
        run = _running(project, rollback_plan=rollback)
        path = f"{P}/{run.number}"
        worker.post(f"{path}/steps/freeze/start", {})
        worker.post(f"{path}/steps/freeze/fail", {"note": "Jobs hang."})
        resolved = pm.post(
            f"{path}/steps/freeze/resolve", {"resolution": "rollback", "note": "Out of time."}
        ).json()
        assert resolved["resolution"] == "abort"
        assert resolved["resolution_note"].startswith("Rolled back")
        assert pm.get(path).json()["status"] == "failed"
        runs = pm.get("/projects/ERP/rollout/runbooks/erp-rollback/runs").json()["items"]
        assert [(r["kind"], r["status"]) for r in runs] == [("rehearsal", "running")]

    def test_fail_and_skip_need_their_reason(self, project, worker):
        """Failing needs a note and skipping a reason."""
        run = _running(project)
        path = f"{P}/{run.number}/steps"
        worker.post(f"{path}/freeze/start", {})
        assert_problem(worker.post(f"{path}/freeze/fail", {"note": ""}), 422)
        assert (
            worker.post(f"{path}/freeze/fail", {"note": "Disk full."}).json()["status"] == "failed"
        )
        assert_problem(worker.post(f"{path}/export/skip", {"reason": ""}), 422)

    def test_verdicts_of_named_approvers(self, project, team, pm):
        """All named approvers approve → done; an approver not named gets 403."""
        runbook = make_runbook(project)
        step_create(
            actor=project.manager,
            runbook=runbook,
            key="go",
            title="Go",
            kind="decision",
            approvers=["erp-approver", "pm"],
        )
        make_steps(runbook, ("after", 5, ["go"]))
        run = run_start(actor=project.manager, runbook=runbook, kind="rehearsal")
        path = f"{P}/{run.number}/steps/go/verdict"
        other = UserFactory(username="erp-approver-2")
        membership_set(actor=project.manager, project=project, user=other, role=Role.APPROVER)
        body = assert_problem(ApiClient(other).post(path, {"approve": True}), 403)
        assert "not named" in body["detail"]
        first = ApiClient(team["approver"]).post(path, {"approve": True, "comment": "Go."}).json()
        assert first["status"] == "in_progress"
        assert first["approvals"][0]["username"] == "erp-approver"
        assert_problem(ApiClient(team["approver"]).post(path, {"approve": True}), 422)
        assert pm.post(path, {"approve": True}).json()["status"] == "done"

    def test_live_view_and_report(self, project, pm, worker):
        """The live view shows progress, halted steps and the predicted end; the report the delays."""
        run = _running(project)
        path = f"{P}/{run.number}"
        worker.post(f"{path}/steps/freeze/start", {})
        worker.post(f"{path}/steps/freeze/fail", {"note": "Batch still running."})
        live = pm.get(f"{path}/live").json()
        assert live["status"] == "running"
        assert live["progress"]["failed"] == 1 and live["progress"]["total"] == 3
        rows = {s["key"]: s for s in live["steps"]}
        assert rows["export"]["halted"] is True and rows["export"]["can_start"] is False
        assert rows["freeze"]["planned"] == "T0" and rows["export"]["planned"] == "T+30"
        assert live["planned_end"] is not None
        report = pm.get(f"{path}/report").json()
        assert report["planned_minutes"] == 180 and report["finished"] is False
        freeze = next(s for s in report["steps"] if s["key"] == "freeze")
        assert freeze["note"] == "Batch still running."

    def test_report_compares_with_earlier_rehearsals(self, project, pm):
        """A second run's report lists the first rehearsal."""
        first = _running(project)
        pm.post(f"{P}/{first.number}/abort", {"reason": "Practice."})
        second = pm.post(P, {"kind": "rehearsal"}).json()
        report = pm.get(f"{P}/{second['number']}/report").json()
        assert [r["number"] for r in report["rehearsals"]] == [first.number]
        assert report["rehearsals"][0]["status"] == "aborted"

    def test_unknown_run_and_step_are_404(self, project, pm):
        """Another number, another runbook's run or an unknown step key are not found."""
        run = _running(project)
        assert_problem(pm.get(f"{P}/99"), 404)
        assert_problem(pm.post(f"{P}/{run.number}/steps/nope/start", {}), 404)
        make_runbook(project, "spare")
        assert_problem(pm.get(f"/projects/ERP/rollout/runbooks/spare/runs/{run.number}"), 404)

    def test_list_queries_do_not_grow(self, project, team, django_assert_max_num_queries):
        """Listing 6 runs costs no more queries than listing 1."""
        api = ApiClient(team["viewer"])
        run = _running(project)
        api.get(P)
        baseline = queries_for(api, P)
        runbook = run.runbook
        for _ in range(5):
            Run.objects.filter(runbook=runbook, status="running").update(status="aborted")
            run_start(actor=project.manager, runbook=runbook, kind="rehearsal")
        with django_assert_max_num_queries(baseline):
            body = api.get(P).json()
        assert body["count"] == 6
        assert body["items"][0]["number"] == 6
