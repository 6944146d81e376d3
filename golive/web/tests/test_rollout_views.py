"""The Rollout tab through Django's test client: pages, writes, refusals, live polling, roles."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from golive.gates.services import decision_open, decision_vote
from golive.projects.tests.factories import ProjectFactory, team_for
from golive.rollout.models import Run, RunStep, Wave
from golive.rollout.services.communications import communication_create
from golive.rollout.services.migrations import migration_check_create
from golive.rollout.services.plan import wave_create
from golive.rollout.services.runbooks import runbook_create, step_create
from golive.rollout.services.runs import run_start, step_complete, step_start

SECRET_URL = "postgresql://loader:hunter2@db.internal/erp"


@pytest.fixture
def project(db):
    return ProjectFactory(key="ERP", name="ERP rollout")


@pytest.fixture
def team(project):
    return team_for(project)


@pytest.fixture
def world(project, team):
    """A wave, a cutover runbook with a manual step, a check and a decision, and a rollback plan."""
    manager = project.manager
    now = timezone.now()
    wave = wave_create(
        actor=manager,
        project=project,
        name="Pilot Hamburg",
        owner=manager,
        planned_start=now + timedelta(days=3),
        planned_end=now + timedelta(days=10),
        is_pilot=True,
        cohort_kind="site",
        cohort="Hamburg office",
        headcount=40,
    )
    rollback = runbook_create(
        actor=manager,
        project=project,
        name="erp-rollback",
        title="ERP rollback",
        owner=manager,
        kind="rollback",
        rto_minutes=60,
        trigger_conditions="Reconciliation fails.",
    )
    step_create(
        actor=manager, runbook=rollback, key="restore", title="Restore", duration_minutes=20
    )
    cutover = runbook_create(
        actor=manager,
        project=project,
        name="erp-cutover",
        title="ERP cutover",
        owner=manager,
        rollback_plan=rollback,
    )
    freeze = step_create(
        actor=manager,
        runbook=cutover,
        key="freeze",
        title="Freeze the old system",
        duration_minutes=15,
        offset_minutes=-30,
        owner=team["contributor"],
    )
    count = step_create(
        actor=manager,
        runbook=cutover,
        key="count-orders",
        title="Count migrated orders",
        kind="check",
        expected_value="1200",
        duration_minutes=10,
        depends_on=[freeze],
    )
    step_create(
        actor=manager,
        runbook=cutover,
        key="go-decision",
        title="Go for the switch",
        kind="decision",
        approvers=[team["approver"]],
        duration_minutes=5,
        depends_on=[count],
    )
    return {"wave": wave, "cutover": cutover, "rollback": rollback}


def url(name, *args):
    return reverse(f"web:{name}", args=["ERP", *args])


class RolloutOverviewTests:
    def test_overview_lists_waves_with_gate_state(self, client, world, team):
        """The overview shows the strategy, each wave with its window and go/no-go gate link."""
        client.force_login(team["viewer"])
        response = client.get(url("rollout"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Pilot Hamburg" in body
        assert reverse("web:gate_detail", args=["ERP", world["wave"].gate.name]) in body
        assert "No decision" in body
        assert "Add a wave" not in body  # viewers see no planning forms

    def test_manager_sets_strategy_and_adds_wave(self, client, world, project):
        """A manager changes the strategy and adds a wave; a bad window is refused at the field."""
        client.force_login(project.manager)
        response = client.post(url("rollout"), {"op": "plan", "strategy": "phased", "notes": "x"})
        assert response.status_code == 302
        response = client.post(
            url("rollout"),
            {
                "op": "wave",
                "name": "Wave 2",
                "cohort_kind": "department",
                "headcount": "100",
                "owner": project.manager.username,
                "planned_start": "2030-05-10T08:00",
                "planned_end": "2030-05-01T08:00",
            },
        )
        assert response.status_code == 422
        assert "field-error" in response.content.decode() or "alert-error" in (
            response.content.decode()
        )
        response = client.post(
            url("rollout"),
            {
                "op": "wave",
                "name": "Wave 2",
                "cohort_kind": "department",
                "headcount": "100",
                "owner": project.manager.username,
                "planned_start": "2030-05-01T08:00",
                "planned_end": "2030-05-10T08:00",
            },
        )
        assert response.status_code == 302
        assert Wave.objects.filter(project=project, name="Wave 2").exists()

    def test_wave_start_disabled_until_gate_approved(self, client, world, project, team):
        """Start is disabled with the reason until the go/no-go decision is approved."""
        wave = world["wave"]
        client.force_login(project.manager)
        page = client.get(url("rollout_wave", wave.slug)).content.decode()
        assert re.search(r"<button type=\"submit\" disabled[^>]*>Start wave", page)
        assert "has no decision yet" in page
        # The server refuses anyway, naming the gate.
        response = client.post(url("rollout_wave", wave.slug), {"op": "start"})
        assert response.status_code == 422
        assert wave.gate.name in response.content.decode()

    def test_wave_starts_after_approval(self, client, world, project):
        """With an approved go decision the wave starts from its page."""
        wave = world["wave"]
        decision = decision_open(actor=project.manager, gate=wave.gate)
        decision_vote(actor=project.manager, decision=decision, approve=True)
        client.force_login(project.manager)
        response = client.post(url("rollout_wave", wave.slug), {"op": "start"})
        assert response.status_code == 302
        wave.refresh_from_db()
        assert wave.status == "in_progress"

    def test_wave_cancel_needs_reason(self, client, world, project):
        """Cancelling without a reason shows the message next to the reason field."""
        client.force_login(project.manager)
        response = client.post(url("rollout_wave", world["wave"].slug), {"op": "cancel"})
        assert response.status_code == 422
        assert 'class="field-error" id="reason_reason_error"' in response.content.decode()

    def test_stale_wave_edit_shows_conflict(self, client, world, project):
        """An edit made on an old version is refused with the current values shown."""
        wave = world["wave"]
        client.force_login(project.manager)
        data = {
            "op": "edit",
            "name": "Pilot HH",
            "cohort_kind": "site",
            "headcount": "40",
            "owner": project.manager.username,
            "planned_start": wave.planned_start.strftime("%Y-%m-%dT%H:%M"),
            "planned_end": wave.planned_end.strftime("%Y-%m-%dT%H:%M"),
            "version": str(wave.version),
        }
        assert client.post(url("rollout_wave", wave.slug), data).status_code == 302
        data["name"] = "Pilot Hamburg again"
        response = client.post(url("rollout_wave", wave.slug), data)
        assert response.status_code == 409
        assert "Not saved." in response.content.decode()


def queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


class ListQueryCountTests:
    def test_list_pages_cost_the_same_for_more_rows(self, client, world, project):
        """The runbook list does not query once per runbook (the overview evaluates each gate)."""
        client.force_login(project.manager)
        before = {name: queries(client, url(name)) for name in ("rollout_runbooks",)}
        now = timezone.now()
        for n in range(3):
            wave_create(
                actor=project.manager,
                project=project,
                name=f"Wave {n}",
                owner=project.manager,
                planned_start=now + timedelta(days=20 + n),
                planned_end=now + timedelta(days=30 + n),
            )
            runbook = runbook_create(
                actor=project.manager,
                project=project,
                name=f"rb-{n}",
                title=f"RB {n}",
                owner=project.manager,
            )
            step_create(actor=project.manager, runbook=runbook, key="a", title="A")
            run_start(actor=project.manager, runbook=runbook, kind="rehearsal")
        after = {name: queries(client, url(name)) for name in ("rollout_runbooks",)}
        assert after == before


class RunbookPageTests:
    def test_list_shows_rto_and_rehearsal(self, client, world, team):
        """The runbook list shows kinds, the rollback plan's RTO and 'never rehearsed'."""
        client.force_login(team["viewer"])
        body = client.get(url("rollout_runbooks")).content.decode()
        assert "RTO 60 min" in body
        assert "Never rehearsed" in body

    def test_detail_shows_timeline_and_critical_path(self, client, world, team):
        """The runbook page shows steps, T± offsets and the critical path of the plan."""
        client.force_login(team["viewer"])
        body = client.get(url("rollout_runbook", "erp-cutover")).content.decode()
        assert "Critical path" in body
        assert "T-30" in body
        assert "Add a step" not in body

    def test_step_editor_adds_and_refuses_cycle(self, client, world, project):
        """A manager adds a step; a dependency cycle is refused with the steps named."""
        client.force_login(project.manager)
        response = client.post(
            url("rollout_runbook", "erp-cutover"),
            {
                "op": "step",
                "key": "switch-dns",
                "title": "Switch DNS",
                "kind": "manual",
                "duration_minutes": "5",
                "depends_on": ["go-decision"],
            },
        )
        assert response.status_code == 302
        response = client.post(
            url("rollout_runbook", "erp-cutover"),
            {
                "op": "step",
                "step_key": "freeze",
                "key": "freeze",
                "title": "Freeze",
                "kind": "manual",
                "duration_minutes": "15",
                "depends_on": ["switch-dns"],
                "version": "1",
            },
        )
        assert response.status_code == 422
        assert "cycle" in response.content.decode().lower()

    def test_decision_without_approver_refused_at_field(self, client, world, project):
        """A decision point without approvers is refused with the message on the form."""
        client.force_login(project.manager)
        response = client.post(
            url("rollout_runbook", "erp-cutover"),
            {"op": "step", "key": "d2", "title": "D2", "kind": "decision", "duration_minutes": "0"},
        )
        assert response.status_code == 422
        assert "approver" in response.content.decode()

    def test_contributor_cannot_start_run(self, client, world, team):
        """A contributor sees no start form and the server refuses the POST."""
        client.force_login(team["contributor"])
        body = client.get(url("rollout_runbook", "erp-cutover")).content.decode()
        assert "Start run" not in body
        response = client.post(
            url("rollout_runbook", "erp-cutover"), {"op": "run", "kind": "rehearsal"}
        )
        assert response.status_code == 403

    def test_manager_starts_rehearsal(self, client, world, project):
        """Starting a rehearsal leads to its live view."""
        client.force_login(project.manager)
        response = client.post(
            url("rollout_runbook", "erp-cutover"), {"op": "run", "kind": "rehearsal"}
        )
        assert response.status_code == 302
        assert response["Location"].endswith("/rollout/runbooks/erp-cutover/runs/1/")


class LiveRunTests:
    @pytest.fixture
    def run(self, world, project):
        return run_start(actor=project.manager, runbook=world["cutover"], kind="rehearsal")

    def test_live_page_polls_two_regions(self, client, run, team):
        """The live view polls its status table and the actions every 2 s."""
        client.force_login(team["viewer"])
        body = client.get(url("rollout_run", "erp-cutover", 1)).content.decode()
        assert body.count('hx-trigger="every 2s"') == 2
        assert "Freeze the old system" in body
        assert "Nothing for you to do" in body

    def test_unchanged_region_answers_204(self, client, run, team):
        """A poll with the current fingerprint gets 204 (nothing swapped, typing survives)."""
        client.force_login(team["contributor"])
        body = client.get(url("rollout_run", "erp-cutover", 1)).content.decode()
        fp = re.search(r'id="run-actions"[^>]*data-fp="([0-9a-f]+)"', body).group(1)
        poll = url("rollout_run", "erp-cutover", 1) + f"?region=actions&fp={fp}"
        assert client.get(poll, headers={"HX-Request": "true"}).status_code == 204
        step_start(actor=team["contributor"], run_step=run.steps.get(key="freeze"))
        response = client.get(poll, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "<html" not in response.content.decode()
        assert "Complete freeze" in response.content.decode()

    def test_status_poll_returns_partial(self, client, run, team):
        """The status poll returns the table partial only."""
        client.force_login(team["viewer"])
        response = client.get(
            url("rollout_run", "erp-cutover", 1) + "?region=status&fp=x",
            headers={"HX-Request": "true"},
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert 'id="run-steps"' in body
        assert "<html" not in body

    def test_contributor_starts_and_completes(self, client, run, team):
        """A contributor starts and completes a step through the buttons."""
        client.force_login(team["contributor"])
        live = url("rollout_run", "erp-cutover", 1)
        assert "Start freeze" in client.get(live).content.decode()
        response = client.post(live, {"op": "step", "step": "freeze", "action": "start"})
        assert response.status_code == 302
        response = client.post(live, {"op": "step", "step": "freeze", "action": "complete"})
        assert response.status_code == 302
        assert RunStep.objects.get(run=run, key="freeze").status == "done"

    def test_failed_check_halts_then_manager_resolves(self, client, run, team, project):
        """A mismatching value fails the check; its successor is halted until a manager resolves."""
        contributor = team["contributor"]
        step_start(actor=contributor, run_step=run.steps.get(key="freeze"))
        step_complete(actor=contributor, run_step=run.steps.get(key="freeze"))
        step_start(actor=contributor, run_step=run.steps.get(key="count-orders"))
        client.force_login(contributor)
        live = url("rollout_run", "erp-cutover", 1)
        client.post(
            live,
            {"op": "step", "step": "count-orders", "action": "complete", "actual_value": "1187"},
        )
        assert RunStep.objects.get(run=run, key="count-orders").status == "failed"
        body = client.get(live).content.decode()
        assert "Halted by a failed step" in body
        assert "Resolve count-orders" not in body  # contributors may not resolve
        client.force_login(project.manager)
        assert "Resolve count-orders" in client.get(live).content.decode()
        response = client.post(
            live, {"op": "step", "step": "count-orders", "action": "resolve", "resolution": "retry"}
        )
        assert response.status_code == 422
        assert "field-error" in response.content.decode()
        response = client.post(
            live,
            {
                "op": "step",
                "step": "count-orders",
                "action": "resolve",
                "resolution": "retry",
                "note": "Late batch reloaded",
            },
        )
        assert response.status_code == 302
        assert RunStep.objects.get(run=run, key="count-orders").status == "pending"

    def test_only_named_approver_sees_verdict(self, client, run, team, project):
        """The decision point offers approve/reject only to its named approver."""
        contributor = team["contributor"]
        for key in ("freeze", "count-orders"):
            step_start(actor=contributor, run_step=run.steps.get(key=key))
            step_complete(actor=contributor, run_step=run.steps.get(key=key), actual_value="1200")
        live = url("rollout_run", "erp-cutover", 1)
        client.force_login(project.manager)
        assert "Approve go-decision" not in client.get(live).content.decode()
        client.force_login(team["approver"])
        assert "Approve go-decision" in client.get(live).content.decode()
        response = client.post(live, {"op": "step", "step": "go-decision", "action": "approve"})
        assert response.status_code == 302
        run.refresh_from_db()
        assert run.status == "succeeded"

    def test_pause_and_abort(self, client, run, project):
        """A manager pauses the run; aborting without a reason is refused next to the field."""
        client.force_login(project.manager)
        live = url("rollout_run", "erp-cutover", 1)
        assert client.post(live, {"op": "run", "action": "pause"}).status_code == 302
        assert Run.objects.get(pk=run.pk).status == "paused"
        response = client.post(live, {"op": "run", "action": "abort"})
        assert response.status_code == 422
        assert "field-error" in response.content.decode()

    def test_report_page(self, client, run, team):
        """The report shows planned vs actual per step and is printable."""
        step_start(actor=team["contributor"], run_step=run.steps.get(key="freeze"))
        step_complete(actor=team["contributor"], run_step=run.steps.get(key="freeze"))
        client.force_login(team["viewer"])
        body = client.get(url("rollout_run_report", "erp-cutover", 1)).content.decode()
        assert "planned vs actual" in body
        assert "window.print()" in body

    def test_live_poll_query_count_is_bounded(self, client, run, team):
        """A status poll costs a bounded number of queries whatever the step count."""
        client.force_login(team["viewer"])
        poll = url("rollout_run", "erp-cutover", 1) + "?region=status&fp=x"
        with CaptureQueriesContext(connection) as ctx:
            client.get(poll, headers={"HX-Request": "true"})
        assert len(ctx.captured_queries) <= 30


class MigrationPageTests:
    @pytest.fixture
    def check(self, world, project):
        return migration_check_create(
            actor=project.manager,
            project=project,
            name="orders",
            source=SECRET_URL,
            target="csv",
            tables=[{"source": "orders", "target": "orders", "key": ["id"]}],
            check_set="core",
        )

    def test_secret_never_shown(self, client, check, project):
        """Neither the list nor the detail ever shows the stored password."""
        client.force_login(project.manager)
        for page in (url("rollout_migrations"), url("rollout_migration", "orders")):
            body = client.get(page).content.decode()
            assert "hunter2" not in body
            assert "***" in body

    def test_create_refuses_bad_tables_json(self, client, world, project):
        """Invalid JSON in tables is refused next to the field."""
        client.force_login(project.manager)
        response = client.post(
            url("rollout_migrations"),
            {
                "name": "x",
                "source": "csv",
                "target": "csv",
                "tables": "[{",
                "sample_size": "20",
                "max_missing": "0",
                "max_extra": "0",
                "max_changed": "0",
            },
        )
        assert response.status_code == 422
        assert "Not valid JSON" in response.content.decode()

    def test_upload_and_run(self, client, world, project):
        """CSV extracts are uploaded on both sides and the check runs to a result page."""
        migration_check_create(
            actor=project.manager,
            project=project,
            name="customers",
            source="csv",
            target="csv",
            tables=[{"source": "customers", "target": "customers", "key": ["id"]}],
        )
        client.force_login(project.manager)
        detail = url("rollout_migration", "customers")
        for side, content in (("source", b"id,name\n1,A\n2,B\n"), ("target", b"id,name\n1,A\n")):
            response = client.post(
                detail,
                {
                    "op": "extract",
                    "side": side,
                    "table": "customers",
                    "file": SimpleUploadedFile(f"{side}.csv", content, "text/csv"),
                },
            )
            assert response.status_code == 302, response.content.decode()[:2000]
        response = client.post(detail, {"op": "run"}, follow=True)
        body = response.content.decode()
        assert "Failed" in body
        assert "Missing in target" in body


class CommunicationPageTests:
    def test_plan_send_and_log(self, client, world, project):
        """A manager plans a communication, sends it now and sees it in the log."""
        client.force_login(project.manager)
        response = client.post(
            url("rollout_comms"),
            {
                "name": "cutover-notice",
                "audience": "custom",
                "recipients": "ops@example.com, desk@example.com",
                "channel": "email",
                "subject": "Cutover of {{ project.name }}",
                "body": "We switch on Saturday.",
                "anchor": "absolute",
                "at": "2030-05-01T08:00",
                "offset_minutes": "0",
                "required_for_go_live": "on",
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        detail = url("rollout_comm", "cutover-notice")
        response = client.post(detail, {"op": "send"}, follow=True)
        body = response.content.decode()
        assert "Sent to 2 recipients" in body
        assert "comm-log" in body

    def test_webhook_url_masked(self, client, world, project):
        """A webhook's stored URL is shown masked."""
        communication_create(
            actor=project.manager,
            project=project,
            name="chat",
            audience="support",
            recipients=["a@example.com"],
            channel="webhook",
            webhook_url="https://hooks.example.com/services/hook?token=topsecret",
            subject="S",
            body="B",
            at=timezone.now() + timedelta(days=1),
        )
        client.force_login(project.manager)
        body = client.get(url("rollout_comm", "chat")).content.decode()
        assert "topsecret" not in body


class GoLivePageTests:
    def test_checklist_shows_failing_reasons(self, client, world, team):
        """The go/no-go page lists each criterion with its verdict and reason."""
        client.force_login(team["viewer"])
        response = client.get(reverse("web:go_live", args=["ERP"]))
        body = response.content.decode()
        assert response.status_code == 200
        assert "No go:" in body
        assert "go-checklist" in body
        assert "Open go/no-go decision" not in body

    def test_open_decision_refused_while_failing(self, client, world, project):
        """Opening a decision while the gate fails is refused with the gate's message."""
        client.force_login(project.manager)
        response = client.post(reverse("web:go_live", args=["ERP"]), {"op": "open"})
        assert response.status_code == 422
        assert "alert-error" in response.content.decode()

    def test_rollout_tab_in_nav(self, client, world, team):
        """The project navigation links the Rollout tab and the go/no-go page."""
        client.force_login(team["viewer"])
        body = client.get(url("project_dashboard")).content.decode()
        assert reverse("web:rollout", args=["ERP"]) in body
        assert reverse("web:go_live", args=["ERP"]) in body


class GoLiveDecisionTests:
    def test_open_and_approve_on_the_page(self, client, world, project, team):
        """With the failing criteria waived, a manager opens the decision and approves it there."""
        from golive.gates.models import Decision
        from golive.gates.selectors import gate_get
        from golive.gates.services import gate_evaluate, waiver_create

        gate = gate_get(user=project.manager, project=project, name="go-live")
        for criterion in gate_evaluate(gate=gate).criteria:
            if not criterion.passed:
                waiver_create(
                    actor=project.manager, gate=gate, criterion_key=criterion.key, reason="Test"
                )
        page = reverse("web:go_live", args=["ERP"])
        client.force_login(project.manager)
        body = client.get(page).content.decode()
        assert "Go:" in body
        response = client.post(page, {"op": "open", "comment": "Ready"})
        assert response.status_code == 302
        body = client.get(page).content.decode()
        assert "Approve go-live" in body
        pending = Decision.objects.get(gate=gate, status="pending")
        client.force_login(team["viewer"])
        assert "Approve go-live" not in client.get(page).content.decode()
        client.force_login(project.manager)
        response = client.post(
            page, {"op": "vote", "decision": pending.pk, "verdict": "approve", "comment": ""}
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        pending.refresh_from_db()
        assert pending.status == "approved"


class RunRefusalTests:
    @pytest.fixture
    def run(self, world, project):
        return run_start(actor=project.manager, runbook=world["cutover"], kind="rehearsal")

    def test_viewer_cannot_act_on_steps(self, client, run, team):
        """A viewer sees no buttons and the server refuses a step action."""
        client.force_login(team["viewer"])
        live = url("rollout_run", "erp-cutover", 1)
        assert "Start freeze" not in client.get(live).content.decode()
        response = client.post(live, {"op": "step", "step": "freeze", "action": "start"})
        assert response.status_code == 403

    def test_stale_step_action_is_a_conflict(self, client, run, team):
        """Acting on a step with an old version answers 409 and shows the current state."""
        client.force_login(team["contributor"])
        live = url("rollout_run", "erp-cutover", 1)
        step = run.steps.get(key="freeze")
        step_start(actor=team["contributor"], run_step=step)
        response = client.post(
            live, {"op": "step", "step": "freeze", "action": "skip", "reason": "x", "version": 1}
        )
        assert response.status_code == 409
        assert "Complete freeze" in response.content.decode()

    def test_rollback_decision_opens_the_rollback_run(self, client, run, team, project):
        """Resolving a failed step by rollback leads the manager to the rollback plan's run."""
        contributor = team["contributor"]
        step_start(actor=contributor, run_step=run.steps.get(key="freeze"))
        client.force_login(contributor)
        live = url("rollout_run", "erp-cutover", 1)
        client.post(
            live, {"op": "step", "step": "freeze", "action": "fail", "note": "Jobs did not stop"}
        )
        client.force_login(project.manager)
        body = client.get(live).content.decode()
        assert 'value="rollback"' in body
        response = client.post(
            live,
            {
                "op": "step",
                "step": "freeze",
                "action": "resolve",
                "resolution": "rollback",
                "note": "Cannot freeze in time",
            },
        )
        assert response.status_code == 302
        assert response["Location"].endswith("/rollout/runbooks/erp-rollback/runs/1/")

    def test_stale_step_edit_shows_conflict(self, client, world, project):
        """Saving a step edited from an old version shows the conflict and current values."""
        client.force_login(project.manager)
        page = url("rollout_runbook", "erp-cutover")
        data = {
            "op": "step",
            "step_key": "freeze",
            "key": "freeze",
            "title": "Freeze now",
            "kind": "manual",
            "duration_minutes": "15",
            "version": "1",
        }
        assert client.post(page, data).status_code == 302
        data["title"] = "Freeze later"
        response = client.post(page, data)
        assert response.status_code == 409
        body = response.content.decode()
        assert "Not saved." in body
        assert 'value="Freeze now"' in body
