"""Criterion types over rollout evidence: rehearsals, migration checks, communications, hypercare."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from math import ceil

from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

from golive.gates.registry import Evidence, Outcome, register
from golive.projects.models import Project
from golive.quality.models import Defect, DefectStatus
from golive.rollout.models import (
    Communication,
    MigrationCheck,
    MigrationResult,
    Run,
    Runbook,
    RunbookKind,
    RunKind,
    RunStatus,
    Wave,
    WaveStatus,
)

LISTED = 5  # items named in a detail before "and N more"


def _more(parts: list[str]) -> str:
    shown = ", ".join(parts[:LISTED])
    return shown + (f" and {len(parts) - LISTED} more" if len(parts) > LISTED else "")


def _day(project: Project, moment: datetime) -> str:
    """Return `moment` as a short date in the project's time zone ("3 Dec")."""
    try:
        local = timezone.localtime(moment, zoneinfo.ZoneInfo(project.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = moment
    return f"{local.day} {local:%b}"


def _minutes(run: Run) -> int:
    assert run.ended_at is not None
    return ceil((run.ended_at - run.started_at).total_seconds() / 60)


def rollout_url(project: Project, *parts: object) -> str:
    """Return the web path of a rollout page: /p/KEY/rollout/<parts>/."""
    tail = "".join(f"{part}/" for part in parts)
    return f"/p/{project.key}/rollout/{tail}"


def _run_evidence(project: Project, run: Run, runbook: Runbook) -> Evidence:
    return Evidence(
        f"{run.get_kind_display()} #{run.number} of {runbook.name}",
        rollout_url(project, "runbooks", runbook.name, "runs", run.number),
    )


class RollbackRehearsedParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    runbook: str = Field("", description="The rollback plan's name; empty: every rollback plan.")
    days: int = Field(30, ge=1, le=3650, description="The rehearsal ended within this many days.")


def _rehearsal_verdict(
    project: Project, plan: Runbook, days: int, now: datetime
) -> tuple[bool, str, list[Evidence]]:
    """Judge one runbook's rehearsals: (passed, detail, evidence)."""
    rehearsals = list(
        Run.objects.filter(
            runbook=plan,
            kind=RunKind.REHEARSAL,
            status=RunStatus.SUCCEEDED,
            ended_at__isnull=False,
        ).order_by("-ended_at", "-id")
    )
    plan_link = Evidence(f"Runbook {plan.name}", rollout_url(project, "runbooks", plan.name))
    kind = "rollback plan" if plan.kind == RunbookKind.ROLLBACK else "runbook"
    if not rehearsals:
        failed = Run.objects.filter(runbook=plan, kind=RunKind.REHEARSAL).count()
        tried = (
            f" ({failed} rehearsal{'s' if failed != 1 else ''} did not succeed)" if failed else ""
        )
        return (
            False,
            f"{kind} {plan.name!r} has never been rehearsed successfully{tried}",
            [plan_link],
        )
    since = now - timedelta(days=days)
    recent = [r for r in rehearsals if r.ended_at is not None and r.ended_at >= since]
    if not recent:
        last = rehearsals[0]
        assert last.ended_at is not None
        return (
            False,
            f"{kind} {plan.name!r} was last rehearsed on {_day(project, last.ended_at)}, more "
            f"than {days} days ago",
            [_run_evidence(project, last, plan)],
        )
    rto = plan.rto_minutes
    if rto is None:
        run = recent[0]
        assert run.ended_at is not None
        return (
            True,
            f"{kind} {plan.name!r} rehearsed on {_day(project, run.ended_at)} in "
            f"{_minutes(run)} min",
            [_run_evidence(project, run, plan)],
        )
    within = [r for r in recent if _minutes(r) <= rto]
    if within:
        run = within[0]
        assert run.ended_at is not None
        return (
            True,
            f"{kind} {plan.name!r} rehearsed on {_day(project, run.ended_at)} in "
            f"{_minutes(run)} min (RTO {rto} min)",
            [_run_evidence(project, run, plan)],
        )
    run = recent[0]
    assert run.ended_at is not None
    return (
        False,
        f"{kind} {plan.name!r} rehearsed on {_day(project, run.ended_at)} took "
        f"{_minutes(run)} min, over its RTO of {rto} min",
        [_run_evidence(project, run, plan)],
    )


def _join_verdicts(verdicts: list[tuple[bool, str, list[Evidence]]]) -> Outcome:
    passed = all(v[0] for v in verdicts)
    shown = [v for v in verdicts if not v[0]] or verdicts
    detail = "; ".join(v[1] for v in shown)
    detail = detail[0].upper() + detail[1:] + "."
    evidence = tuple(e for v in verdicts for e in v[2])
    return Outcome(passed, detail, evidence)


@register(
    "rollout.rollback_rehearsed",
    label="Rollback rehearsed within its RTO",
    description=(
        "Each rollback plan (or the named one) has a succeeded rehearsal that ended within the "
        "last N days and took no longer than its recovery-time objective."
    ),
    params=RollbackRehearsedParams,
)
def rollback_rehearsed(project: Project, params: RollbackRehearsedParams) -> Outcome:
    plans = Runbook.objects.filter(project=project, kind=RunbookKind.ROLLBACK)
    if params.runbook:
        plans = plans.filter(name=params.runbook)
    found = list(plans.order_by("name"))
    runbooks_link = (Evidence("Runbooks", rollout_url(project, "runbooks")),)
    if not found:
        if params.runbook:
            return Outcome(
                False, f"There is no rollback plan called {params.runbook!r}.", runbooks_link
            )
        return Outcome(False, "No rollback plan exists.", runbooks_link)
    now = timezone.now()
    return _join_verdicts([_rehearsal_verdict(project, p, params.days, now) for p in found])


class RunbookRehearsedParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    runbook: str = Field(min_length=1, max_length=49, description="The runbook's name.")
    days: int = Field(30, ge=1, le=3650, description="The rehearsal ended within this many days.")


@register(
    "rollout.runbook_rehearsed",
    label="Runbook rehearsed",
    description="The named runbook has a succeeded rehearsal that ended within the last N days.",
    params=RunbookRehearsedParams,
)
def runbook_rehearsed(project: Project, params: RunbookRehearsedParams) -> Outcome:
    runbook = Runbook.objects.filter(project=project, name=params.runbook).first()
    if runbook is None:
        return Outcome(
            False,
            f"There is no runbook called {params.runbook!r}.",
            (Evidence("Runbooks", rollout_url(project, "runbooks")),),
        )
    rehearsals = Run.objects.filter(
        runbook=runbook, kind=RunKind.REHEARSAL, status=RunStatus.SUCCEEDED, ended_at__isnull=False
    ).order_by("-ended_at", "-id")
    last = rehearsals.first()
    link = Evidence(f"Runbook {runbook.name}", rollout_url(project, "runbooks", runbook.name))
    if last is None or last.ended_at is None:
        return Outcome(
            False, f"Runbook {runbook.name!r} has never been rehearsed successfully.", (link,)
        )
    evidence = (_run_evidence(project, last, runbook),)
    when = _day(project, last.ended_at)
    if last.ended_at < timezone.now() - timedelta(days=params.days):
        return Outcome(
            False,
            f"Runbook {runbook.name!r} was last rehearsed on {when}, more than {params.days} "
            "days ago.",
            evidence,
        )
    return Outcome(
        True, f"Runbook {runbook.name!r} rehearsed on {when} in {_minutes(last)} min.", evidence
    )


class MigrationChecksParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    set: str = Field("", max_length=49, description="The check set; empty: every check.")
    after: datetime | None = Field(
        None, description="Only results of runs started after this moment count."
    )


@register(
    "rollout.migration_checks_passed",
    label="Migration checks passed",
    description=(
        "Every migration check of the set (every check when no set is named) has a latest "
        "result that passed, from a run after the given moment."
    ),
    params=MigrationChecksParams,
)
def migration_checks_passed(project: Project, params: MigrationChecksParams) -> Outcome:
    checks = MigrationCheck.objects.filter(project=project)
    if params.set:
        checks = checks.filter(check_set=params.set)
    found = list(checks.order_by("name"))
    scope = f" in set {params.set!r}" if params.set else ""
    if not found:
        return Outcome(
            False,
            f"No migration check is defined{scope}.",
            (Evidence("Migration checks", rollout_url(project, "migrations")),),
        )
    latest: dict[int, MigrationResult] = {}
    for result in MigrationResult.objects.filter(check_obj__in=found).order_by(
        "check_obj_id", "-started_at", "-id"
    ):
        latest.setdefault(result.check_obj_id, result)
    problems: list[str] = []
    failing_evidence: list[Evidence] = []
    evidence: list[Evidence] = []
    for check in found:
        link = Evidence(
            f"Migration check {check.name}", rollout_url(project, "migrations", check.name)
        )
        evidence.append(link)
        result = latest.get(check.pk)
        if result is None:
            problems.append(f"{check.name} has never run")
        elif not result.passed:
            problems.append(
                f"{check.name} failed on {_day(project, result.started_at)}: "
                f"{result.error or result.summary}"
            )
        elif params.after is not None and result.started_at < params.after:
            problems.append(
                f"{check.name} last ran on {_day(project, result.started_at)}, before "
                f"{_day(project, params.after)}"
            )
        else:
            continue
        failing_evidence.append(link)
    if problems:
        return Outcome(
            False,
            f"{len(problems)} of {len(found)} migration checks{scope} not passed: "
            f"{_more(problems)}.",
            tuple(failing_evidence),
        )
    oldest = min(r.started_at for r in latest.values())
    return Outcome(
        True,
        f"All {len(found)} migration check{'s' if len(found) != 1 else ''}{scope} passed "
        f"(oldest latest run on {_day(project, oldest)}).",
        tuple(evidence),
    )


class CommunicationsSentParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(
        "", max_length=49, description="The communication; empty: every one required for go-live."
    )


@register(
    "rollout.communications_sent",
    label="Communications sent",
    description=(
        "The named communication (or every communication required for go-live and not "
        "cancelled) has been sent; with none planned, nobody has been told."
    ),
    params=CommunicationsSentParams,
)
def communications_sent(project: Project, params: CommunicationsSentParams) -> Outcome:
    list_link = Evidence("Communications", rollout_url(project, "communications"))
    if params.name:
        comm = Communication.objects.filter(project=project, name=params.name).first()
        if comm is None:
            return Outcome(
                False, f"There is no communication called {params.name!r}.", (list_link,)
            )
        link = (
            Evidence(
                f"Communication {comm.name}", rollout_url(project, "communications", comm.name)
            ),
        )
        if comm.status == Communication.Status.SENT and comm.sent_at is not None:
            return Outcome(True, f"{comm.name!r} was sent on {_day(project, comm.sent_at)}.", link)
        return Outcome(
            False, f"{comm.name!r} has not been sent ({comm.get_status_display().lower()}).", link
        )
    required = list(
        Communication.objects.filter(project=project, required_for_go_live=True)
        .exclude(status=Communication.Status.CANCELLED)
        .order_by("name")
    )
    if not required:
        return Outcome(False, "No communication required for go-live is planned.", (list_link,))
    unsent = [c for c in required if c.status != Communication.Status.SENT]
    if not unsent:
        return Outcome(
            True,
            f"All {len(required)} communication{'s' if len(required) != 1 else ''} required for "
            "go-live have been sent.",
            (list_link,),
        )
    return Outcome(
        False,
        f"{len(unsent)} of {len(required)} communications required for go-live not sent: "
        + _more([f"{c.name} ({c.get_status_display().lower()})" for c in unsent])
        + ".",
        tuple(
            Evidence(f"Communication {c.name}", rollout_url(project, "communications", c.name))
            for c in unsent
        ),
    )


class WaveHypercareParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    wave: str = Field(min_length=1, max_length=40, description="The wave's short name.")
    days: int = Field(7, ge=0, le=365, description="Days in hypercare at least.")


@register(
    "rollout.wave_hypercare_clean",
    label="Hypercare clean",
    description=(
        "The wave has been in hypercare at least N days and no open defect blocks go-live."
    ),
    params=WaveHypercareParams,
)
def wave_hypercare_clean(project: Project, params: WaveHypercareParams) -> Outcome:
    wave = Wave.objects.filter(project=project, slug=params.wave).first()
    if wave is None:
        return Outcome(
            False,
            f"There is no wave {params.wave!r}.",
            (Evidence("Rollout", rollout_url(project)),),
        )
    link = Evidence(f"Wave {wave.name}", rollout_url(project, "waves", wave.slug))
    if wave.hypercare_at is None or wave.status in (WaveStatus.PLANNED, WaveStatus.IN_PROGRESS):
        return Outcome(
            False,
            f"Wave {wave.name!r} is {wave.get_status_display().lower()}, not yet in hypercare.",
            (link,),
        )
    held = timezone.now() - wave.hypercare_at
    since = _day(project, wave.hypercare_at)
    if held < timedelta(days=params.days):
        days_in = held.days
        return Outcome(
            False,
            f"Wave {wave.name!r} has been in hypercare since {since} ({days_in} of "
            f"{params.days} days).",
            (link,),
        )
    blocking = list(
        Defect.objects.filter(project=project, blocks_go_live=True)
        .exclude(status=DefectStatus.CLOSED)
        .order_by("-severity", "number")
    )
    if blocking:
        return Outcome(
            False,
            f"Wave {wave.name!r} is in hypercare since {since}, but {len(blocking)} open "
            f"defect{'s' if len(blocking) != 1 else ''} block go-live: "
            + _more([f"{d.ref} {d.title}" for d in blocking])
            + ".",
            (link,),
        )
    return Outcome(
        True,
        f"Wave {wave.name!r} in hypercare since {since} ({held.days} days), no open blocking "
        "defect.",
        (link,),
    )
