"""Runs: start, pause, resume, abort, the work on steps, verdicts, failures and their resolution."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from golive.audit.models import AuditEvent
from golive.errors import Conflict, NotFound
from golive.projects.models import Role
from golive.projects.services import membership_set
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.resources.tests.factories import ResourceFactory
from golive.rollout.models import MigrationResult, Run, RunStep
from golive.rollout.services.communications import communication_send
from golive.rollout.services.migrations import migration_extract_upload
from golive.rollout.services.runs import (
    halted_keys,
    run_abort,
    run_pause,
    run_resume,
    run_start,
    step_complete,
    step_fail,
    step_resolve,
    step_skip,
    step_start,
    step_verdict,
    values_match,
)
from golive.rollout.tests.factories import (
    CommunicationFactory,
    MigrationCheckFactory,
    RollbackPlanFactory,
    RunbookFactory,
    StepFactory,
)


@pytest.fixture
def world(db):
    """A cutover: freeze → check-rows (expects 1200) → go (decision) → announce; a rollback plan."""
    project = ProjectFactory(key="RUN")
    team = team_for(project)
    plan = RollbackPlanFactory(project=project, name="restore")
    StepFactory(runbook=plan, key="restore-db", duration_minutes=20)
    runbook = RunbookFactory(project=project, name="cutover", rollback_plan=plan)
    dba = ResourceFactory(project=project, name="DBA", kind="team")
    freeze = StepFactory(
        runbook=runbook,
        key="freeze",
        duration_minutes=15,
        owner=team["contributor"],
        owner_team=dba,
    )
    rows = StepFactory(
        runbook=runbook, key="check-rows", kind="check", expected_value="1200", depends_on=[freeze]
    )
    go = StepFactory(runbook=runbook, key="go", kind="decision", depends_on=[rows])
    go.approvers.set([team["approver"], team["manager"]])
    StepFactory(runbook=runbook, key="open", duration_minutes=5, depends_on=[go])
    return project, team, runbook, plan


def start(runbook, actor, kind="rehearsal"):
    return run_start(actor=actor, runbook=runbook, kind=kind)


def step(run, key):
    return RunStep.objects.get(run=run, key=key)


def do(run, key, actor, **kwargs):
    """Start and complete a step."""
    step_start(actor=actor, run_step=step(run, key))
    return step_complete(actor=actor, run_step=step(run, key), **kwargs)


@pytest.mark.django_db
class ValuesMatchTests:
    @pytest.mark.parametrize(
        ("expected", "actual", "match"),
        [
            ("1200", "1200.00", True),
            ("1e3", "1000", True),
            ("1200", "1201", False),
            ("OK", " ok ", True),
            ("all green", "AllGreen", True),
            ("ok", "ko", False),
            ("NaN", "nan", True),
        ],
    )
    def test_numbers_numerically_text_loosely(self, expected, actual, match):
        """Numbers compare as numbers; text ignores case and spaces."""
        assert values_match(expected, actual) is match


@pytest.mark.django_db
class RunStartTests:
    def test_copies_the_steps(self, world):
        """A run is numbered and holds a copy of each step with keys, approvers and team names."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        assert (run.number, run.status, run.kind) == (1, "running", "rehearsal")
        copies = {s.key: s for s in run.steps.all()}
        assert set(copies) == {"freeze", "check-rows", "go", "open"}
        assert copies["check-rows"].depends_on == ["freeze"]
        assert copies["freeze"].owner_team_name == "DBA"
        assert sorted(copies["go"].approver_ids) == sorted(
            [team["approver"].pk, team["manager"].pk]
        )
        assert AuditEvent.objects.filter(action="run.start", object_id=str(run.pk)).exists()

    def test_second_active_run_refused(self, world):
        """A runbook has one run in progress at a time."""
        _, team, runbook, _ = world
        start(runbook, team["manager"])
        with pytest.raises(ValidationError) as exc:
            start(runbook, team["manager"], kind="live")
        assert "already has a run in progress" in exc.value.message_dict["runbook"][0]
        assert Run.objects.filter(runbook=runbook).count() == 1

    def test_constraint_race_becomes_a_validation_error(self, world):
        """A second run slipping past the check hits the constraint: a clear error, no row."""
        _, team, runbook, _ = world
        start(runbook, team["manager"])
        with (
            mock.patch("golive.rollout.services.runs.ACTIVE", ()),
            pytest.raises(ValidationError) as exc,
        ):
            start(runbook, team["manager"], kind="live")
        assert "run in progress" in exc.value.message_dict["runbook"][0]
        assert Run.objects.filter(runbook=runbook).count() == 1

    def test_runbook_without_steps_refused(self, world):
        """An empty runbook cannot be run."""
        project, team, _, _ = world
        empty = RunbookFactory(project=project, name="empty")
        with pytest.raises(ValidationError) as exc:
            start(empty, team["manager"])
        assert "no steps" in exc.value.message_dict["runbook"][0]

    def test_bad_kind_refused(self, world):
        """The kind is rehearsal or live."""
        _, team, runbook, _ = world
        with pytest.raises(ValidationError) as exc:
            start(runbook, team["manager"], kind="dry")
        assert "kind" in exc.value.message_dict

    @pytest.mark.parametrize("role", ["viewer", "contributor", "approver"])
    def test_only_managers_start(self, world, role):
        """Starting a run needs the manager role."""
        _, team, runbook, _ = world
        with pytest.raises(PermissionDenied):
            start(runbook, team[role])

    def test_outsider_not_found(self, world):
        """An outsider learns nothing."""
        _, _, runbook, _ = world
        with pytest.raises(NotFound):
            start(runbook, ProjectFactory(key="OUT").manager)

    def test_rehearsal_then_live(self, world):
        """A rehearsal run to success, then a live run numbered 2, both succeed."""
        _, team, runbook, _ = world
        for number, kind in ((1, "rehearsal"), (2, "live")):
            run = start(runbook, team["manager"], kind=kind)
            assert run.number == number
            do(run, "freeze", team["contributor"])
            do(run, "check-rows", team["contributor"], actual_value="1200")
            step_verdict(actor=team["approver"], run_step=step(run, "go"), approve=True)
            step_verdict(actor=team["manager"], run_step=step(run, "go"), approve=True)
            do(run, "open", team["contributor"])
            run.refresh_from_db()
            assert (run.kind, run.status) == (kind, "succeeded")
            assert run.ended_at is not None
        assert AuditEvent.objects.filter(action="run.succeed").count() == 2


@pytest.mark.django_db
class StepWorkTests:
    def test_start_waits_for_predecessors(self, world):
        """A step starts only once its predecessors are done."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        with pytest.raises(ValidationError) as exc:
            step_start(actor=team["contributor"], run_step=step(run, "check-rows"))
        assert "waits for freeze" in exc.value.message_dict["step"][0]
        started = step_start(actor=team["contributor"], run_step=step(run, "freeze"))
        assert (started.status, started.assignee) == ("in_progress", team["contributor"])
        assert AuditEvent.objects.filter(action="run_step.start").count() == 1

    def test_viewer_cannot_work_steps(self, world):
        """Working on steps needs the contributor role."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        with pytest.raises(PermissionDenied):
            step_start(actor=team["viewer"], run_step=step(run, "freeze"))

    def test_stale_version_conflicts(self, world):
        """Acting on an outdated copy of a step raises Conflict."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        step_start(actor=team["contributor"], run_step=step(run, "freeze"), version=1)
        with pytest.raises(Conflict):
            step_complete(actor=team["contributor"], run_step=step(run, "freeze"), version=1)

    def test_complete_needs_a_started_step(self, world):
        """A pending step is started before it is completed."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        with pytest.raises(ValidationError):
            step_complete(actor=team["contributor"], run_step=step(run, "freeze"))

    def test_check_mismatch_fails_and_halts_successors_until_resolved(self, world):
        """A check with the wrong value fails; its successors are halted until it is resolved."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        do(run, "freeze", team["contributor"])
        failed = do(run, "check-rows", team["contributor"], actual_value="1187")
        assert (failed.status, failed.passed) == ("failed", False)
        assert "Expected 1200, got 1187" in failed.note
        assert halted_keys(run.steps.all()) == {"go", "open"}
        with pytest.raises(ValidationError) as exc:
            step_verdict(actor=team["approver"], run_step=step(run, "go"), approve=True)
        assert "halted" in exc.value.message_dict["step"][0]
        with pytest.raises(ValidationError):
            step_skip(actor=team["contributor"], run_step=step(run, "open"), reason="later")
        with pytest.raises(PermissionDenied):
            step_resolve(
                actor=team["contributor"], run_step=failed, resolution="retry", note="recount"
            )
        retried = step_resolve(
            actor=team["manager"], run_step=failed, resolution="retry", note="recount"
        )
        assert (retried.status, retried.attempts, retried.resolution) == ("pending", 1, "retry")
        passed = do(run, "check-rows", team["contributor"], actual_value="1,200".replace(",", ""))
        assert (passed.status, passed.passed) == ("done", True)
        assert halted_keys(run.steps.all()) == set()

    def test_check_needs_the_observed_value(self, world):
        """Completing a check without the value observed is refused on actual_value."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        do(run, "freeze", team["contributor"])
        step_start(actor=team["contributor"], run_step=step(run, "check-rows"))
        with pytest.raises(ValidationError) as exc:
            step_complete(actor=team["contributor"], run_step=step(run, "check-rows"))
        assert "actual_value" in exc.value.message_dict

    def test_continue_lets_successors_start_and_run_succeeds(self, world):
        """A failure accepted with continue releases successors; the run still ends succeeded."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        step_start(actor=team["contributor"], run_step=step(run, "freeze"))
        step_fail(actor=team["contributor"], run_step=step(run, "freeze"), note="Batch job hung")
        step_resolve(
            actor=team["manager"], run_step=step(run, "freeze"), resolution="continue", note="ok"
        )
        do(run, "check-rows", team["contributor"], actual_value="1200")
        step_verdict(actor=team["approver"], run_step=step(run, "go"), approve=True)
        step_verdict(actor=team["manager"], run_step=step(run, "go"), approve=True)
        step_skip(actor=team["contributor"], run_step=step(run, "open"), reason="Opened by ops")
        run.refresh_from_db()
        assert run.status == "succeeded"

    def test_fail_needs_a_note(self, world):
        """A failure states its cause."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        step_start(actor=team["contributor"], run_step=step(run, "freeze"))
        with pytest.raises(ValidationError) as exc:
            step_fail(actor=team["contributor"], run_step=step(run, "freeze"), note=" ")
        assert "note" in exc.value.message_dict

    def test_abort_resolution_ends_the_run_failed(self, world):
        """Resolving with abort ends the run failed."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        step_start(actor=team["contributor"], run_step=step(run, "freeze"))
        step_fail(actor=team["contributor"], run_step=step(run, "freeze"), note="Disk full")
        step_resolve(
            actor=team["manager"], run_step=step(run, "freeze"), resolution="abort", note="stop"
        )
        run.refresh_from_db()
        assert run.status == "failed" and run.ended_at is not None
        with pytest.raises(ValidationError) as exc:
            step_start(actor=team["contributor"], run_step=step(run, "check-rows"))
        assert "has ended" in exc.value.message_dict["run"][0]

    def test_skip_needs_a_reason_and_decision_skip_needs_a_manager(self, world):
        """Skipping states why; a decision point is skipped by a manager only."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        with pytest.raises(ValidationError):
            step_skip(actor=team["contributor"], run_step=step(run, "freeze"), reason="")
        with pytest.raises(PermissionDenied):
            step_skip(actor=team["contributor"], run_step=step(run, "go"), reason="not needed")
        skipped = step_skip(actor=team["manager"], run_step=step(run, "go"), reason="not needed")
        assert skipped.status == "skipped" and skipped.note == "not needed"


@pytest.mark.django_db
class DecisionPointTests:
    def _ready(self, world):
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        do(run, "freeze", team["contributor"])
        do(run, "check-rows", team["contributor"], actual_value="1200")
        return team, run

    def test_all_approve_makes_it_done(self, world):
        """Every named approver approving completes the decision point."""
        team, run = self._ready(world)
        first = step_verdict(actor=team["approver"], run_step=step(run, "go"), approve=True)
        assert first.status == "in_progress" and len(first.approvals) == 1
        done = step_verdict(actor=team["manager"], run_step=step(run, "go"), approve=True)
        assert (done.status, done.passed) == ("done", True)

    def test_one_reject_fails_it(self, world):
        """One rejection fails the decision point, with the comment as note."""
        team, run = self._ready(world)
        failed = step_verdict(
            actor=team["approver"], run_step=step(run, "go"), approve=False, comment="Too risky"
        )
        assert failed.status == "failed" and "Too risky" in failed.note

    def test_only_named_approvers(self, world):
        """An approver not named, a contributor, or a second verdict is refused."""
        team, run = self._ready(world)
        project = run.runbook.project
        project_approver = UserFactory(username="second-approver")
        membership_set(
            actor=project.manager, project=project, user=project_approver, role=Role.APPROVER
        )
        with pytest.raises(PermissionDenied):
            step_verdict(actor=team["contributor"], run_step=step(run, "go"), approve=True)
        with pytest.raises(PermissionDenied) as exc:
            step_verdict(actor=project_approver, run_step=step(run, "go"), approve=True)
        assert "not named" in str(exc.value)
        step_verdict(actor=team["approver"], run_step=step(run, "go"), approve=True)
        with pytest.raises(ValidationError):
            step_verdict(actor=team["approver"], run_step=step(run, "go"), approve=True)

    def test_decision_is_not_completed_directly(self, world):
        """step_complete refuses a decision point."""
        team, run = self._ready(world)
        with pytest.raises(ValidationError) as exc:
            step_complete(actor=team["manager"], run_step=step(run, "go"))
        assert "verdict" in exc.value.message_dict["step"][0]


@pytest.mark.django_db
class PauseResumeTests:
    def test_pause_refuses_step_work_and_resume_counts_the_pause(self, world):
        """A paused run refuses step actions; resuming adds the paused time."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        run = run_pause(actor=team["manager"], run=run, reason="Vendor call")
        with pytest.raises(ValidationError) as exc:
            step_start(actor=team["contributor"], run_step=step(run, "freeze"))
        assert "paused" in exc.value.message_dict["run"][0]
        Run.objects.filter(pk=run.pk).update(paused_at=timezone.now() - timedelta(seconds=90))
        run = run_resume(actor=team["manager"], run=run)
        assert run.status == "running" and run.paused_at is None
        assert 90 <= run.paused_seconds < 100
        run_pause(actor=team["manager"], run=run)
        Run.objects.filter(pk=run.pk).update(paused_at=timezone.now() - timedelta(seconds=30))
        run = run_resume(actor=team["manager"], run=run)
        assert 120 <= run.paused_seconds < 130
        assert AuditEvent.objects.filter(action__in=["run.pause", "run.resume"]).count() == 4

    def test_pause_and_resume_refusals(self, world):
        """Only a running run pauses, only a paused one resumes; contributors cannot."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        with pytest.raises(ValidationError):
            run_resume(actor=team["manager"], run=run)
        with pytest.raises(PermissionDenied):
            run_pause(actor=team["contributor"], run=run)

    def test_abort(self, world):
        """Abort needs a reason and ends the run; an ended run cannot be aborted again."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        with pytest.raises(ValidationError):
            run_abort(actor=team["manager"], run=run, reason="")
        run = run_abort(actor=team["manager"], run=run, reason="Go-live postponed")
        assert run.status == "aborted" and "postponed" in run.notes
        with pytest.raises(ValidationError):
            run_abort(actor=team["manager"], run=run, reason="again")
        assert start(runbook, team["manager"]).number == 2


@pytest.mark.django_db
class RollbackTests:
    def test_rollback_resolution_starts_the_rollback_plan(self, world):
        """Resolving with rollback ends the run failed and starts the plan, same kind, naming why."""
        _, team, runbook, plan = world
        run = start(runbook, team["manager"], kind="live")
        do(run, "freeze", team["contributor"])
        do(run, "check-rows", team["contributor"], actual_value="12")
        step_resolve(
            actor=team["manager"],
            run_step=step(run, "check-rows"),
            resolution="rollback",
            note="Rows lost",
        )
        run.refresh_from_db()
        assert run.status == "failed"
        rollback = Run.objects.get(runbook=plan)
        assert (rollback.kind, rollback.status) == ("live", "running")
        assert "check-rows" in rollback.notes and "Rows lost" in rollback.notes
        assert step(run, "check-rows").resolution_note.startswith("Rolled back")
        assert AuditEvent.objects.filter(action="run.rollback").exists()

    def test_rollback_needs_a_plan(self, world):
        """Without a rollback plan the resolution is refused and nothing changes."""
        project, team, _, _ = world
        bare = RunbookFactory(project=project, name="bare")
        StepFactory(runbook=bare, key="only")
        run = start(bare, team["manager"])
        step_start(actor=team["contributor"], run_step=step(run, "only"))
        step_fail(actor=team["contributor"], run_step=step(run, "only"), note="broken")
        with pytest.raises(ValidationError) as exc:
            step_resolve(
                actor=team["manager"], run_step=step(run, "only"), resolution="rollback", note="x"
            )
        assert "no rollback plan" in exc.value.message_dict["resolution"][0]
        assert step(run, "only").resolution == ""
        run.refresh_from_db()
        assert run.status == "running"

    def test_rollback_trigger_step_starts_the_plan(self, world):
        """Completing a rollback trigger ends the run failed and starts the rollback plan."""
        _, team, runbook, plan = world
        StepFactory(runbook=runbook, key="abandon", kind="rollback_trigger")
        run = start(runbook, team["manager"])
        do(run, "abandon", team["contributor"], note="Vendor API down")
        run.refresh_from_db()
        assert run.status == "failed"
        rollback = Run.objects.get(runbook=plan)
        assert rollback.kind == "rehearsal" and "abandon" in rollback.notes

    def test_resolve_only_unresolved_failures(self, world):
        """A step that has not failed cannot be resolved; bad resolutions are refused."""
        _, team, runbook, _ = world
        run = start(runbook, team["manager"])
        with pytest.raises(ValidationError):
            step_resolve(
                actor=team["manager"], run_step=step(run, "freeze"), resolution="retry", note="x"
            )
        with pytest.raises(ValidationError):
            step_resolve(
                actor=team["manager"], run_step=step(run, "freeze"), resolution="pray", note="x"
            )


@pytest.mark.django_db
class MigrationAndCommunicationStepTests:
    def test_migration_check_step_fails_with_the_result(self, world):
        """A check step with a migration check runs it; a failed result fails the step."""
        project, team, runbook, _ = world
        check = MigrationCheckFactory(project=project, name="rows")
        StepFactory(runbook=runbook, key="reconcile", kind="check", migration_check=check)
        run = start(runbook, team["manager"])
        failed = do(run, "reconcile", team["contributor"])
        result = MigrationResult.objects.get(check_obj=check)
        assert result.run_step_id == failed.pk and not result.passed
        assert failed.status == "failed" and failed.note

    def test_migration_check_step_passes_with_matching_extracts(self, world):
        """Matching extracts on both sides: the step is done and passed."""
        project, team, runbook, _ = world
        check = MigrationCheckFactory(project=project, name="rows")
        for side in ("source", "target"):
            upload = SimpleUploadedFile("t.csv", b"id,name\n1,a\n2,b\n", content_type="text/csv")
            migration_extract_upload(
                actor=team["manager"], check=check, side=side, table="t", file=upload
            )
        StepFactory(runbook=runbook, key="reconcile", kind="check", migration_check=check)
        run = start(runbook, team["manager"])
        done = do(run, "reconcile", team["contributor"])
        assert (done.status, done.passed) == ("done", True)
        assert done.actual_value

    def test_communication_step_sends_in_a_live_run(self, world):
        """In a live run a communication step sends its message, whoever works the step."""
        project, team, runbook, _ = world
        message = CommunicationFactory(project=project, name="we-are-live")
        StepFactory(runbook=runbook, key="announce", kind="communication", communication=message)
        run = start(runbook, team["manager"], kind="live")
        done = do(run, "announce", team["contributor"])
        assert done.status == "done"
        assert done.actual_value == "Sent we-are-live to 1 recipient by e-mail."
        assert len(mail.outbox) == 1
        message.refresh_from_db()
        assert message.status == "sent"

    def test_communication_step_sends_nothing_in_a_rehearsal(self, world):
        """A rehearsal does not tell users: the step says whom the live run would reach."""
        project, team, runbook, _ = world
        message = CommunicationFactory(project=project, name="we-are-live")
        StepFactory(runbook=runbook, key="announce", kind="communication", communication=message)
        run = start(runbook, team["manager"])
        done = do(run, "announce", team["contributor"])
        assert done.status == "done"
        assert "not sent" in done.actual_value
        assert mail.outbox == []
        message.refresh_from_db()
        assert message.status == "planned"

    def test_communication_already_sent_is_not_sent_twice(self, world):
        """A live step whose communication went out already completes without resending."""
        project, team, runbook, _ = world
        message = CommunicationFactory(project=project, name="we-are-live")
        communication_send(actor=team["manager"], communication=message)
        StepFactory(runbook=runbook, key="announce", kind="communication", communication=message)
        run = start(runbook, team["manager"], kind="live")
        done = do(run, "announce", team["contributor"])
        assert done.status == "done" and "already sent" in done.actual_value
        assert len(mail.outbox) == 1

    def test_failed_send_fails_the_step_with_the_error(self, world):
        """A send that fails makes the step failed, the error as its note."""
        project, team, runbook, _ = world
        message = CommunicationFactory(
            project=project,
            name="hook",
            channel="webhook",
            recipients=[],
            webhook_secret="not-a-token",
            webhook_display="https://chat.example.com/***",
        )
        StepFactory(runbook=runbook, key="announce", kind="communication", communication=message)
        run = start(runbook, team["manager"], kind="live")
        failed = do(run, "announce", team["manager"])
        assert failed.status == "failed" and failed.note
        assert failed.note == message.log.get().error
