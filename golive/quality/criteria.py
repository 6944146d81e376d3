"""Criterion types over tests, defects and sign-offs."""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from pydantic import BaseModel, ConfigDict, Field

from golive.gates.registry import Evidence, NoParams, Outcome, register
from golive.projects.models import Project
from golive.quality.models import (
    Defect,
    DefectStatus,
    Severity,
    SignOff,
    SignOffStatus,
    TestResult,
    TestRun,
    TestType,
)
from golive.quality.models import Outcome as ResultOutcome
from golive.quality.selectors.traceability import requirement_coverage

LISTED = 5  # items named in a detail before "and N more"
SEVERITY_NAMES = Literal["low", "medium", "high", "critical"]
TEST_TYPES = Literal["functional", "performance", "regression", "uat", "security"]


def quality_url(name: str, *args: Any) -> str:
    """Return the URL of quality page `name`; the project dashboard until that page exists."""
    try:
        return reverse(name, args=list(args))
    except NoReverseMatch:
        return reverse("web:project_dashboard", args=[args[0]])


def _more(parts: list[str]) -> str:
    shown = ", ".join(parts[:LISTED])
    return shown + (f" and {len(parts) - LISTED} more" if len(parts) > LISTED else "")


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class NoOpenDefectsParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    severity: SEVERITY_NAMES = Field(
        "high", description="Open go-live-blocking defects at or above this severity fail."
    )


@register(
    "quality.no_open_defects",
    label="No open blocking defects",
    description=("No open defect at or above the given severity is flagged as blocking go-live."),
    params=NoOpenDefectsParams,
)
def no_open_defects(project: Project, params: NoOpenDefectsParams) -> Outcome:
    level = Severity[params.severity.upper()]
    defects = list(
        Defect.objects.filter(project=project, severity__gte=level, blocks_go_live=True)
        .exclude(status=DefectStatus.CLOSED)
        .order_by("-severity", "number")
    )
    list_url = quality_url("web:quality_defects", project.key)
    scope = f"{params.severity}" + (" or above" if level != Severity.CRITICAL else "")
    if not defects:
        return Outcome(
            True,
            f"No open go-live-blocking defect of severity {scope}.",
            (Evidence("Defects", list_url),),
        )
    names = [f"{d.ref} ({Severity(d.severity).label.lower()}) {d.title}" for d in defects]
    return Outcome(
        False,
        f"{len(defects)} open go-live-blocking defect{'s' if len(defects) != 1 else ''} of "
        f"severity {scope}: {_more(names)}.",
        tuple(
            Evidence(d.ref, quality_url("web:quality_defect", project.key, d.number))
            for d in defects
        ),
    )


class PassRateParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    type: TEST_TYPES = Field(description="The test type whose latest run is measured.")
    min_percent: float = Field(
        ge=0,
        le=100,
        strict=True,
        description="passed / (results - skipped) must reach this percentage.",
    )


@register(
    "quality.pass_rate",
    label="Test pass rate",
    description=(
        "In the latest run with results of the given test type, passed / (results - skipped) "
        "reaches the minimum percentage."
    ),
    params=PassRateParams,
)
def pass_rate(project: Project, params: PassRateParams) -> Outcome:
    label = TestType(params.type).label.lower()
    run = (
        TestRun.objects.filter(project=project, results__case__type=params.type)
        .order_by("-started_at", "-id")
        .first()
    )
    runs_url = quality_url("web:quality_runs", project.key)
    if run is None:
        return Outcome(
            False, f"No run has {label} test results yet.", (Evidence("Runs", runs_url),)
        )
    counts = {
        row["outcome"]: row["n"]
        for row in TestResult.objects.filter(run=run, case__type=params.type)
        .values("outcome")
        .annotate(n=Count("id"))
        .order_by()
    }
    total = sum(counts.values())
    skipped = counts.get(ResultOutcome.SKIPPED, 0)
    passed = counts.get(ResultOutcome.PASSED, 0)
    evidence = (Evidence(f"Run {run.name}", quality_url("web:quality_run", project.key, run.pk)),)
    counted = total - skipped
    if counted == 0:
        return Outcome(
            False,
            f"Run {run.name!r} has {total} {label} results, all skipped: nothing to measure.",
            evidence,
        )
    rate = 100.0 * passed / counted
    verdict = rate >= params.min_percent
    return Outcome(
        verdict,
        f"Run {run.name!r}: {passed} of {counted} {label} tests passed ({_fmt(rate)} %, "
        f"{skipped} skipped), {'at or above' if verdict else 'below'} the required "
        f"{_fmt(params.min_percent)} %.",
        evidence,
    )


class SignOffCompleteParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=120, description="The sign-off's name.")


@register(
    "quality.signoff_complete",
    label="Sign-off complete",
    description="The named sign-off has been signed by its quorum of approvers.",
    params=SignOffCompleteParams,
)
def signoff_complete(project: Project, params: SignOffCompleteParams) -> Outcome:
    signoff = (
        SignOff.objects.filter(project=project, name=params.name)
        .annotate(signed=Count("signatures", filter=Q(signatures__withdrawn_at__isnull=True)))
        .exclude(status=SignOffStatus.REVOKED)
        .order_by("-created_at", "-id")
        .first()
    )
    revoked = None
    if signoff is None:
        revoked = (
            SignOff.objects.filter(project=project, name=params.name)
            .order_by("-revoked_at", "-id")
            .first()
        )
    if signoff is None and revoked is None:
        return Outcome(
            False,
            f"There is no sign-off called {params.name!r}.",
            (Evidence("Sign-offs", quality_url("web:quality_signoffs", project.key)),),
        )
    if signoff is None:
        assert revoked is not None
        return Outcome(
            False,
            f"Sign-off {params.name!r} was revoked: {revoked.revoke_reason}",
            (
                Evidence(
                    f"Sign-off {revoked.name}",
                    quality_url("web:quality_signoff", project.key, revoked.pk),
                ),
            ),
        )
    evidence = (
        Evidence(
            f"Sign-off {signoff.name}", quality_url("web:quality_signoff", project.key, signoff.pk)
        ),
    )
    signed = signoff.signed
    if signoff.status == SignOffStatus.COMPLETE and signoff.completed_at is not None:
        return Outcome(
            True,
            f"Sign-off {params.name!r} is complete: {signed} of {signoff.quorum} required "
            f"signatures, completed {signoff.completed_at:%Y-%m-%d}.",
            evidence,
        )
    return Outcome(
        False,
        f"Sign-off {params.name!r} awaits signatures: {signed} of {signoff.quorum} required.",
        evidence,
    )


class RequirementCoverageParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    min_percent: float = Field(
        ge=0, le=100, strict=True, description="The share of requirements needed (percent)."
    )
    measure: Literal["covered", "verified"] = Field(
        "covered",
        description=(
            "covered: the requirement has a linked test case; verified: every linked case's "
            "latest result passed."
        ),
    )


@register(
    "quality.requirement_coverage",
    label="Requirement coverage",
    description=(
        "At least the given share of requirements (dropped ones excluded) is covered by a test "
        "case, or verified by passing results of all its cases."
    ),
    params=RequirementCoverageParams,
)
def requirement_coverage_criterion(project: Project, params: RequirementCoverageParams) -> Outcome:
    coverage = requirement_coverage(project=project)
    evidence = (Evidence("Traceability", quality_url("web:quality_traceability", project.key)),)
    if coverage.requirements == 0:
        return Outcome(False, "No requirements are recorded (dropped ones aside).", evidence)
    count = coverage.covered if params.measure == "covered" else coverage.verified
    share = 100.0 * count / coverage.requirements
    verdict = share >= params.min_percent
    what = "covered by a test case" if params.measure == "covered" else "verified by passing tests"
    return Outcome(
        verdict,
        f"{count} of {coverage.requirements} requirements are {what} ({_fmt(share)} %), "
        f"{'at or above' if verdict else 'below'} the required {_fmt(params.min_percent)} %.",
        evidence,
    )


@register(
    "quality.signoffs_complete",
    label="Required sign-offs complete",
    description="Every sign-off that is not revoked is complete, and at least one exists.",
)
def signoffs_complete(project: Project, params: NoParams) -> Outcome:
    signoffs = list(
        SignOff.objects.filter(project=project)
        .exclude(status=SignOffStatus.REVOKED)
        .annotate(signed=Count("signatures", filter=Q(signatures__withdrawn_at__isnull=True)))
        .order_by("name", "id")
    )
    list_url = quality_url("web:quality_signoffs", project.key)
    if not signoffs:
        return Outcome(False, "No sign-off has been opened.", (Evidence("Sign-offs", list_url),))
    open_ones = [s for s in signoffs if s.status != SignOffStatus.COMPLETE]
    if not open_ones:
        return Outcome(
            True,
            f"Sign-off {signoffs[0].name!r} is complete."
            if len(signoffs) == 1
            else f"All {len(signoffs)} sign-offs are complete.",
            (Evidence("Sign-offs", list_url),),
        )
    return Outcome(
        False,
        f"{len(open_ones)} of {len(signoffs)} sign-offs await signatures: "
        + _more([f"{s.name} ({s.signed} of {s.quorum})" for s in open_ones])
        + ".",
        tuple(
            Evidence(f"Sign-off {s.name}", quality_url("web:quality_signoff", project.key, s.pk))
            for s in open_ones
        ),
    )
