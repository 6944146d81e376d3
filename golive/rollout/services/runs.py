"""Writes on runs of a runbook: start, pause, resume, abort, and the work on each step."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from golive.accounts.models import User
from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import version_check
from golive.rollout.access import rollout_check
from golive.rollout.models import (
    Run,
    Runbook,
    RunKind,
    RunStatus,
    RunStep,
    RunStepStatus,
    Step,
    StepKind,
)

RUN_FIELDS = ["status", "ended_at", "paused_at", "paused_seconds", "notes"]
RUN_STEP_FIELDS = [
    "status",
    "assignee",
    "started_at",
    "finished_at",
    "actual_value",
    "passed",
    "note",
    "approvals",
    "resolution",
    "resolved_by",
    "resolution_note",
    "attempts",
]
ACTIVE = (RunStatus.RUNNING, RunStatus.PAUSED)
RESOLUTIONS = ("retry", "continue", "abort", "rollback")


# --- reading the state of a run ------------------------------------------------------------


def values_match(expected: str, actual: str) -> bool:
    """Return whether an observed value matches the expected one.

    Numbers compare numerically ("10" matches "10.0"); text ignores case and spaces.
    """
    try:
        left, right = Decimal(expected.strip()), Decimal(actual.strip())
    except InvalidOperation:
        pass
    else:
        if left.is_finite() and right.is_finite():
            return left == right
    return "".join(expected.split()).casefold() == "".join(actual.split()).casefold()


def step_released(step: RunStep) -> bool:
    """Return whether `step` lets its successors start (done, skipped, failed and continued)."""
    return step.status in (RunStepStatus.DONE, RunStepStatus.SKIPPED) or (
        step.status == RunStepStatus.FAILED and step.resolution == RunStep.Resolution.CONTINUE
    )


def halted_keys(steps: Iterable[RunStep]) -> set[str]:
    """Return the keys of the steps held up, directly or not, by an unresolved failed step."""
    by_key = {s.key: s for s in steps}
    halted: set[str] = set()
    failed = [
        s.key
        for s in by_key.values()
        if s.status == RunStepStatus.FAILED and s.resolution != RunStep.Resolution.CONTINUE
    ]
    successors: dict[str, list[str]] = {}
    for step in by_key.values():
        for pred in step.depends_on:
            successors.setdefault(pred, []).append(step.key)
    stack = list(failed)
    while stack:
        for key in successors.get(stack.pop(), []):
            if key not in halted and by_key[key].status == RunStepStatus.PENDING:
                halted.add(key)
                stack.append(key)
    return halted


def waiting_for(step: RunStep, by_key: dict[str, RunStep]) -> list[str]:
    """Return the keys of the predecessors that do not yet let `step` start."""
    return [k for k in step.depends_on if k in by_key and not step_released(by_key[k])]


# --- locking and refusals ------------------------------------------------------------------


def _run_locked(run_id: int) -> Run:
    return (
        Run.objects.select_for_update(of=("self",))
        .select_related("runbook__project")
        .get(pk=run_id)
    )


def _run_step_locked(run_step: RunStep) -> tuple[Run, RunStep]:
    """Lock the run, then the step (always in this order), and return both fresh."""
    run = _run_locked(run_step.run_id)
    locked = (
        RunStep.objects.select_for_update(of=("self",)).select_related("step").get(pk=run_step.pk)
    )
    locked.run = run
    return run, locked


def _label(run: Run) -> str:
    return f"{run.get_kind_display()} #{run.number} of {run.runbook.name}"


def _refuse_unless_running(run: Run) -> None:
    if run.status == RunStatus.PAUSED:
        raise ValidationError(
            {"run": f"{_label(run)} is paused; resume it before working on its steps."}
        )
    if run.status != RunStatus.RUNNING:
        raise ValidationError(
            {"run": f"{_label(run)} has ended ({run.get_status_display().lower()})."}
        )


def _siblings(run: Run) -> dict[str, RunStep]:
    return {s.key: s for s in RunStep.objects.filter(run=run)}


def _refuse_unless_released(run_step: RunStep, by_key: dict[str, RunStep]) -> None:
    if run_step.key in halted_keys(by_key.values()):
        failed = [
            k
            for k in run_step.depends_on
            if by_key.get(k) is not None
            and by_key[k].status == RunStepStatus.FAILED
            and by_key[k].resolution != RunStep.Resolution.CONTINUE
        ]
        cause = f"{', '.join(failed)} failed" if failed else "an earlier step failed"
        raise ValidationError(
            {
                "step": (
                    f"Step {run_step.key} is halted: {cause} and has not been resolved "
                    "(retry, continue, abort or rollback)."
                )
            }
        )
    waiting = waiting_for(run_step, by_key)
    if waiting:
        raise ValidationError(
            {"step": f"Step {run_step.key} waits for {', '.join(waiting)} to finish."}
        )


def _refuse_status(run_step: RunStep, action: str, allowed: tuple[str, ...]) -> None:
    if run_step.status not in allowed:
        label = RunStepStatus(run_step.status).label.lower()
        raise ValidationError(
            {"step": f"Step {run_step.key} is {label} ({run_step.status}); it cannot be {action}."}
        )


def _save_step(
    actor: User, run: Run, run_step: RunStep, before: dict[str, Any], action: str, **extra: Any
) -> None:
    # The copied lists may be empty; JSONField counts [] as blank.
    run_step.full_clean(exclude=["depends_on", "approver_ids", "approvals"])
    run_step.version += 1
    run_step.save()
    changes = audit_diff(before, audit_snapshot(run_step, RUN_STEP_FIELDS))
    changes.update({name: [None, value] for name, value in extra.items()})
    audit_record(
        actor=actor, action=action, obj=run_step, project=run.runbook.project, changes=changes
    )


def _save_run(actor: Any, run: Run, before: dict[str, Any], action: str, **extra: Any) -> None:
    run.full_clean(validate_constraints=False)
    run.version += 1
    run.save()
    changes = audit_diff(before, audit_snapshot(run, RUN_FIELDS))
    changes.update({name: [None, value] for name, value in extra.items()})
    audit_record(actor=actor, action=action, obj=run, project=run.runbook.project, changes=changes)


def _run_maybe_finish(actor: User, run: Run) -> None:
    """End the run as succeeded when every step is done, skipped, or failed and continued."""
    if run.status != RunStatus.RUNNING:
        return
    steps = list(RunStep.objects.filter(run=run))
    if steps and all(step_released(s) for s in steps):
        before = audit_snapshot(run, RUN_FIELDS)
        run.status = RunStatus.SUCCEEDED
        run.ended_at = timezone.now()
        _save_run(actor, run, before, "run.succeed")


def _paused_add(run: Run, now: datetime) -> None:
    if run.paused_at is not None:
        run.paused_seconds += max(0, int((now - run.paused_at).total_seconds()))
        run.paused_at = None


# --- runs ----------------------------------------------------------------------------------


def _run_create(
    *, actor: User, runbook: Runbook, kind: str, planned_start: datetime | None, notes: str
) -> Run:
    """Start a run of a locked runbook (no access check: callers have made it)."""
    if kind not in RunKind.values:
        raise ValidationError(
            {"kind": f"{kind!r} is not a run kind; use one of {', '.join(RunKind.values)}."}
        )
    steps = list(
        Step.objects.filter(runbook=runbook)
        .select_related("owner_team")
        .prefetch_related("depends_on", "approvers")
    )
    if not steps:
        raise ValidationError(
            {"runbook": f"{runbook.name} has no steps; add its steps before running it."}
        )
    active = runbook.runs.filter(status__in=ACTIVE).first()
    if active is not None:
        raise ValidationError(
            {
                "runbook": (
                    f"{runbook.name} already has a run in progress ({_label(active)}, "
                    f"{active.get_status_display().lower()}); end it before starting another."
                )
            }
        )
    now = timezone.now()
    highest = runbook.runs.aggregate(n=Max("number"))["n"]
    run = Run(
        runbook=runbook,
        number=int(highest or 0) + 1,
        kind=kind,
        status=RunStatus.RUNNING,
        planned_start=planned_start or now,
        started_at=now,
        started_by=actor,
        notes=notes or "",
    )
    run.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        raise ValidationError(
            {
                "runbook": (
                    f"{runbook.name} already has a run in progress, or another run was just "
                    "started; reload and try again."
                )
            }
        ) from None
    RunStep.objects.bulk_create(
        [
            RunStep(
                run=run,
                step=step,
                key=step.key,
                title=step.title,
                kind=step.kind,
                position=step.position,
                owner_id=step.owner_id,
                owner_team_name=step.owner_team.name if step.owner_team else "",
                duration_minutes=step.duration_minutes,
                offset_minutes=step.offset_minutes,
                expected_value=step.expected_value,
                depends_on=sorted(p.key for p in step.depends_on.all()),
                approver_ids=sorted(u.pk for u in step.approvers.all()),
            )
            for step in steps
        ]
    )
    audit_record(
        actor=actor,
        action="run.start",
        obj=run,
        project=runbook.project,
        changes={
            "kind": [None, kind],
            "number": [None, run.number],
            "planned_start": [None, run.planned_start.isoformat()],
            "steps": [None, [s.key for s in steps]],
            **({"notes": [None, run.notes]} if run.notes else {}),
        },
    )
    return run


def run_start(
    *,
    actor: User,
    runbook: Runbook,
    kind: str,
    planned_start: datetime | None = None,
    notes: str = "",
) -> Run:
    """Start a rehearsal or live run: copy the steps; T0 is `planned_start` (now by default)."""
    with transaction.atomic():
        runbook = (
            Runbook.objects.select_for_update(of=("self",))
            .select_related("project")
            .get(pk=runbook.pk)
        )
        rollout_check(user=actor, project=runbook.project, action="run")
        run = _run_create(
            actor=actor, runbook=runbook, kind=kind, planned_start=planned_start, notes=notes
        )
        if run.kind == RunKind.LIVE:
            # The live run fixes T0: messages timed from the cutover are (re)scheduled from it.
            from golive.rollout.tasks import schedule_runbook_communications

            runbook_id = runbook.pk
            transaction.on_commit(lambda: schedule_runbook_communications(runbook_id))
        return run


def run_pause(*, actor: User, run: Run, reason: str = "") -> Run:
    """Pause a running run: its steps wait until it resumes, and the paused time is kept."""
    with transaction.atomic():
        run = _run_locked(run.pk)
        rollout_check(user=actor, project=run.runbook.project, action="run")
        if run.status != RunStatus.RUNNING:
            raise ValidationError(
                {
                    "run": f"{_label(run)} is {run.get_status_display().lower()}; only a running "
                    "run can be paused."
                }
            )
        before = audit_snapshot(run, RUN_FIELDS)
        run.status = RunStatus.PAUSED
        run.paused_at = timezone.now()
        _save_run(actor, run, before, "run.pause", **({"reason": reason} if reason else {}))
    return run


def run_resume(*, actor: User, run: Run) -> Run:
    """Resume a paused run, adding the pause to `paused_seconds`."""
    with transaction.atomic():
        run = _run_locked(run.pk)
        rollout_check(user=actor, project=run.runbook.project, action="run")
        if run.status != RunStatus.PAUSED:
            raise ValidationError(
                {"run": f"{_label(run)} is {run.get_status_display().lower()}, not paused."}
            )
        before = audit_snapshot(run, RUN_FIELDS)
        _paused_add(run, timezone.now())
        run.status = RunStatus.RUNNING
        _save_run(actor, run, before, "run.resume")
    return run


def run_abort(*, actor: User, run: Run, reason: str) -> Run:
    """Abort a running or paused run, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the run is aborted."})
    with transaction.atomic():
        run = _run_locked(run.pk)
        rollout_check(user=actor, project=run.runbook.project, action="run")
        if run.status not in ACTIVE:
            raise ValidationError(
                {"run": f"{_label(run)} has already ended ({run.get_status_display().lower()})."}
            )
        before = audit_snapshot(run, RUN_FIELDS)
        now = timezone.now()
        _paused_add(run, now)
        run.status = RunStatus.ABORTED
        run.ended_at = now
        run.notes = f"{run.notes}\n\nAborted: {reason}".strip()
        _save_run(actor, run, before, "run.abort", reason=reason)
    return run


def _rollback(actor: User, run: Run, run_step: RunStep, cause: str) -> Run:
    """End `run` failed and start a run of its runbook's rollback plan, of the same kind."""
    runbook = run.runbook
    if runbook.rollback_plan_id is None:
        raise ValidationError(
            {"resolution": f"{runbook.name} has no rollback plan; abort the run instead."}
        )
    plan = (
        Runbook.objects.select_for_update(of=("self",))
        .select_related("project")
        .get(pk=runbook.rollback_plan_id)
    )
    before = audit_snapshot(run, RUN_FIELDS)
    run.status = RunStatus.FAILED
    run.ended_at = timezone.now()
    run.notes = f"{run.notes}\n\nRolled back from step {run_step.key}: {cause}".strip()
    _save_run(actor, run, before, "run.rollback", rollback_plan=plan.name, step=run_step.key)
    return _run_create(
        actor=actor,
        runbook=plan,
        kind=run.kind,
        planned_start=None,
        notes=(
            f"Rollback of {_label(run)}, triggered by step {run_step.key} "
            f"({run_step.title}): {cause}"
        ),
    )


# --- steps ---------------------------------------------------------------------------------


def step_start(*, actor: User, run_step: RunStep, version: int | None = None) -> RunStep:
    """Start a step whose predecessors are done, skipped or failed-and-continued."""
    with transaction.atomic():
        run, run_step = _run_step_locked(run_step)
        rollout_check(user=actor, project=run.runbook.project, action="execute")
        version_check(run_step, version, what=f"Step {run_step.key}")
        _refuse_unless_running(run)
        _refuse_status(run_step, "started", (RunStepStatus.PENDING,))
        _refuse_unless_released(run_step, _siblings(run))
        before = audit_snapshot(run_step, RUN_STEP_FIELDS)
        run_step.status = RunStepStatus.IN_PROGRESS
        run_step.assignee = actor
        run_step.started_at = timezone.now()
        run_step.finished_at = None
        _save_step(actor, run, run_step, before, "run_step.start")
    return run_step


def _migration_outcome(actor: User, run_step: RunStep) -> tuple[bool, str, str] | None:
    """Run the step's migration check if it has one: (passed, summary, error note)."""
    check = run_step.step.migration_check if run_step.step is not None else None
    if check is None:
        return None
    from golive.rollout.services.migrations import migration_check_run

    result = migration_check_run(actor=actor, check=check, run_step=run_step)
    summary = str(result.summary)
    return bool(result.passed), summary, "" if result.passed else summary


def step_complete(
    *,
    actor: User,
    run_step: RunStep,
    actual_value: str = "",
    note: str = "",
    version: int | None = None,
) -> RunStep:
    """Complete a step in progress; a check that does not match (or a send that fails) fails it.

    A check compares `actual_value` with its expected value or runs its migration check; a
    communication step sends its communication; a rollback trigger ends the run failed and
    starts the rollback plan. Decision points are completed by their approvers' verdicts.
    """
    actual_value = (actual_value or "").strip()
    note = (note or "").strip()
    with transaction.atomic():
        run, run_step = _run_step_locked(run_step)
        rollout_check(user=actor, project=run.runbook.project, action="execute")
        version_check(run_step, version, what=f"Step {run_step.key}")
        _refuse_unless_running(run)
        if run_step.kind == StepKind.DECISION:
            raise ValidationError(
                {
                    "step": (
                        f"Step {run_step.key} is a decision point; it is completed by its "
                        "approvers' verdicts (approve or reject)."
                    )
                }
            )
        _refuse_status(run_step, "completed", (RunStepStatus.IN_PROGRESS,))
        before = audit_snapshot(run_step, RUN_STEP_FIELDS)
        passed = True
        failure = ""
        if run_step.kind == StepKind.CHECK:
            outcome = _migration_outcome(actor, run_step)
            if outcome is not None:
                passed, summary, failure = outcome
                actual_value = actual_value or summary[:200]
            else:
                if not actual_value:
                    raise ValidationError(
                        {
                            "actual_value": (
                                f"Give the value observed for check {run_step.key} (expected: "
                                f"{run_step.expected_value})."
                            )
                        }
                    )
                passed = values_match(run_step.expected_value, actual_value)
                if not passed:
                    failure = f"Expected {run_step.expected_value}, got {actual_value}."
            run_step.passed = passed
        elif run_step.kind == StepKind.COMMUNICATION:
            communication = run_step.step.communication if run_step.step is not None else None
            if communication is None:
                raise ValidationError(
                    {"step": f"Step {run_step.key} has no communication to send any more."}
                )
            from golive.rollout.services.communications import communication_send_for_step

            passed, what = communication_send_for_step(
                actor=actor, communication=communication, live=run.kind == RunKind.LIVE
            )
            if passed:
                actual_value = actual_value or what[:200]
            else:
                failure = what
        run_step.actual_value = actual_value
        run_step.finished_at = timezone.now()
        if passed:
            run_step.status = RunStepStatus.DONE
            if note:
                run_step.note = note
        else:
            run_step.status = RunStepStatus.FAILED
            run_step.resolution = RunStep.Resolution.NONE
            run_step.note = f"{failure} {note}".strip()
        action = "run_step.complete" if passed else "run_step.fail"
        _save_step(actor, run, run_step, before, action)
        if passed and run_step.kind == StepKind.ROLLBACK_TRIGGER:
            _rollback(actor, run, run_step, note or "rollback triggered")
        else:
            _run_maybe_finish(actor, run)
    return run_step


def step_fail(
    *,
    actor: User,
    run_step: RunStep,
    note: str,
    actual_value: str = "",
    version: int | None = None,
) -> RunStep:
    """Mark a step in progress failed, with the cause; its successors wait for a resolution."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say what went wrong: the cause of the failure."})
    with transaction.atomic():
        run, run_step = _run_step_locked(run_step)
        rollout_check(user=actor, project=run.runbook.project, action="execute")
        version_check(run_step, version, what=f"Step {run_step.key}")
        _refuse_unless_running(run)
        if run_step.kind == StepKind.DECISION:
            raise ValidationError(
                {"step": f"Step {run_step.key} is a decision point; an approver rejects it."}
            )
        _refuse_status(run_step, "failed", (RunStepStatus.IN_PROGRESS,))
        before = audit_snapshot(run_step, RUN_STEP_FIELDS)
        run_step.status = RunStepStatus.FAILED
        run_step.finished_at = timezone.now()
        run_step.actual_value = (actual_value or "").strip()
        run_step.note = note
        run_step.resolution = RunStep.Resolution.NONE
        if run_step.kind == StepKind.CHECK:
            run_step.passed = False
        _save_step(actor, run, run_step, before, "run_step.fail")
    return run_step


def step_skip(
    *, actor: User, run_step: RunStep, reason: str, version: int | None = None
) -> RunStep:
    """Skip a step not yet finished, with the reason (a decision point: managers only)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the step is skipped."})
    with transaction.atomic():
        run, run_step = _run_step_locked(run_step)
        project = run.runbook.project
        action = "run" if run_step.kind == StepKind.DECISION else "execute"
        rollout_check(user=actor, project=project, action=action)
        version_check(run_step, version, what=f"Step {run_step.key}")
        _refuse_unless_running(run)
        _refuse_status(run_step, "skipped", (RunStepStatus.PENDING, RunStepStatus.IN_PROGRESS))
        by_key = _siblings(run)
        if run_step.key in halted_keys(by_key.values()):
            _refuse_unless_released(run_step, by_key)
        before = audit_snapshot(run_step, RUN_STEP_FIELDS)
        run_step.status = RunStepStatus.SKIPPED
        run_step.finished_at = timezone.now()
        run_step.note = reason
        _save_step(actor, run, run_step, before, "run_step.skip")
        _run_maybe_finish(actor, run)
    return run_step


def step_verdict(*, actor: User, run_step: RunStep, approve: bool, comment: str = "") -> RunStep:
    """Record a named approver's verdict on a decision point: all approve → done, one reject → failed."""
    comment = (comment or "").strip()
    with transaction.atomic():
        run, run_step = _run_step_locked(run_step)
        rollout_check(user=actor, project=run.runbook.project, action="approve_step")
        if run_step.kind != StepKind.DECISION:
            raise ValidationError({"step": f"Step {run_step.key} is not a decision point."})
        if actor.pk not in run_step.approver_ids:
            raise PermissionDenied(
                f"{actor.username} is not named as an approver of decision point {run_step.key}."
            )
        _refuse_unless_running(run)
        _refuse_status(run_step, "decided", (RunStepStatus.PENDING, RunStepStatus.IN_PROGRESS))
        if run_step.status == RunStepStatus.PENDING:
            _refuse_unless_released(run_step, _siblings(run))
        if any(a.get("user_id") == actor.pk for a in run_step.approvals):
            raise ValidationError(
                {"step": f"{actor.username} has already given a verdict on {run_step.key}."}
            )
        before = audit_snapshot(run_step, RUN_STEP_FIELDS)
        now = timezone.now()
        verdict = "approve" if approve else "reject"
        run_step.approvals = [
            *run_step.approvals,
            {
                "user_id": actor.pk,
                "username": actor.username,
                "verdict": verdict,
                "comment": comment,
                "at": now.isoformat(),
            },
        ]
        if run_step.started_at is None:
            run_step.started_at = now
        approved = {a["user_id"] for a in run_step.approvals if a["verdict"] == "approve"}
        if not approve:
            run_step.status = RunStepStatus.FAILED
            run_step.passed = False
            run_step.finished_at = now
            run_step.resolution = RunStep.Resolution.NONE
            run_step.note = f"Rejected by {actor.username}" + (f": {comment}" if comment else ".")
        elif set(run_step.approver_ids) <= approved:
            run_step.status = RunStepStatus.DONE
            run_step.passed = True
            run_step.finished_at = now
            if comment:
                run_step.note = comment
        else:
            run_step.status = RunStepStatus.IN_PROGRESS
        _save_step(actor, run, run_step, before, "run_step.verdict", verdict=verdict)
        _run_maybe_finish(actor, run)
    return run_step


def step_resolve(*, actor: User, run_step: RunStep, resolution: str, note: str) -> RunStep:
    """Decide on a failed step: retry it, continue past it, abort the run, or roll back.

    Rollback ends the run failed and starts a run of the runbook's rollback plan of the same
    kind; the step's resolution is then recorded as abort, with the note saying it rolled back.
    """
    note = (note or "").strip()
    if resolution not in RESOLUTIONS:
        raise ValidationError(
            {"resolution": f"{resolution!r} is not a resolution; use {', '.join(RESOLUTIONS)}."}
        )
    if not note:
        raise ValidationError({"note": "Say why you decide so."})
    with transaction.atomic():
        run, run_step = _run_step_locked(run_step)
        rollout_check(user=actor, project=run.runbook.project, action="run")
        _refuse_unless_running(run)
        if run_step.status != RunStepStatus.FAILED or run_step.resolution:
            label = RunStepStatus(run_step.status).label.lower()
            raise ValidationError(
                {
                    "step": (
                        f"Step {run_step.key} is {label}"
                        + (" and already resolved" if run_step.resolution else "")
                        + "; only an unresolved failed step is resolved."
                    )
                }
            )
        before = audit_snapshot(run_step, RUN_STEP_FIELDS)
        run_step.resolved_by = actor
        run_step.resolution_note = note
        if resolution == "retry":
            run_step.resolution = RunStep.Resolution.RETRY
            run_step.status = RunStepStatus.PENDING
            run_step.attempts += 1
            run_step.started_at = None
            run_step.finished_at = None
            run_step.passed = None
            run_step.approvals = []
            run_step.actual_value = ""
        elif resolution == "continue":
            run_step.resolution = RunStep.Resolution.CONTINUE
        else:
            run_step.resolution = RunStep.Resolution.ABORT
            if resolution == "rollback":
                run_step.resolution_note = f"Rolled back: {note}"
        _save_step(actor, run, run_step, before, "run_step.resolve", decision=resolution)
        if resolution == "continue":
            _run_maybe_finish(actor, run)
        elif resolution == "abort":
            run_before = audit_snapshot(run, RUN_FIELDS)
            run.status = RunStatus.FAILED
            run.ended_at = timezone.now()
            run.notes = f"{run.notes}\n\nAborted after step {run_step.key} failed: {note}".strip()
            _save_run(actor, run, run_before, "run.fail", step=run_step.key)
        elif resolution == "rollback":
            _rollback(actor, run, run_step, note)
    return run_step
