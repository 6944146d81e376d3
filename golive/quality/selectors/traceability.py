"""Traceability: each requirement with its test cases, their latest results, defects, sign-offs."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from golive.projects.models import Project
from golive.quality.access import quality_check
from golive.quality.models import (
    Defect,
    DefectStatus,
    Outcome,
    Requirement,
    RequirementStatus,
    Severity,
    SignOff,
    SignOffStatus,
    TestCase,
    TestResult,
)
from golive.quality.selectors.testing import latest_results


def percent(part: int, whole: int) -> float | None:
    """Return part/whole in percent rounded to one decimal, or None when whole is 0."""
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class Coverage:
    """How many live requirements (dropped ones excluded) are covered and verified."""

    requirements: int
    covered: int
    verified: int
    covered_percent: float | None
    verified_percent: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _verified(case_ids: list[int], latest: dict[int, TestResult]) -> bool:
    return bool(case_ids) and all(
        cid in latest and latest[cid].outcome == Outcome.PASSED for cid in case_ids
    )


def _requirement_cases(project: Project) -> dict[int, list[int]]:
    links = TestCase.requirements.through.objects.filter(requirement__project=project).values_list(
        "requirement_id", "testcase_id"
    )
    cases: dict[int, list[int]] = defaultdict(list)
    for requirement_id, case_id in links:
        cases[requirement_id].append(case_id)
    return cases


def requirement_coverage(*, project: Project) -> Coverage:
    """Return coverage: covered = has a linked case; verified = every linked case's latest passed.

    The caller has checked that the user may view the project's quality records.
    """
    live = list(
        Requirement.objects.filter(project=project)
        .exclude(status=RequirementStatus.DROPPED)
        .values_list("pk", flat=True)
    )
    cases = _requirement_cases(project)
    linked = {cid for ids in cases.values() for cid in ids}
    latest = latest_results(project=project, case_ids=linked)
    covered = sum(1 for rid in live if cases.get(rid))
    verified = sum(1 for rid in live if _verified(cases.get(rid, []), latest))
    return Coverage(
        len(live), covered, verified, percent(covered, len(live)), percent(verified, len(live))
    )


@dataclass
class ResultTrace:
    id: int
    outcome: str
    run_id: int
    run_name: str
    executed_at: datetime


@dataclass
class CaseTrace:
    id: int
    key: str
    title: str
    type: str
    latest: ResultTrace | None


@dataclass
class DefectTrace:
    number: int
    ref: str
    title: str
    severity: str
    status: str
    blocks_go_live: bool


@dataclass
class SignOffTrace:
    id: int
    name: str
    status: str


@dataclass
class TraceRow:
    """One requirement and what traces to it."""

    requirement_id: int
    ref: str
    text: str
    priority: str
    status: str
    cases: list[CaseTrace] = field(default_factory=list)
    defects: list[DefectTrace] = field(default_factory=list)
    signoffs: list[SignOffTrace] = field(default_factory=list)
    covered: bool = False
    verified: bool = False


@dataclass
class TraceabilityMatrix:
    rows: list[TraceRow]
    coverage: Coverage

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for row in data["rows"]:
            for case in row["cases"]:
                if case["latest"] is not None:
                    case["latest"]["executed_at"] = case["latest"]["executed_at"].isoformat()
        return data


def _open_defects(
    project: Project,
) -> tuple[list[Defect], dict[int, set[int]], dict[int, set[int]]]:
    """Return open defects and, per defect id, its case ids and requirement ids."""
    defects = list(
        Defect.objects.filter(project=project)
        .exclude(status=DefectStatus.CLOSED)
        .order_by("number")
    )
    ids = [d.pk for d in defects]
    by_case: dict[int, set[int]] = defaultdict(set)
    by_requirement: dict[int, set[int]] = defaultdict(set)
    if ids:
        for defect_id, case_id in Defect.cases.through.objects.filter(
            defect_id__in=ids
        ).values_list("defect_id", "testcase_id"):
            by_case[case_id].add(defect_id)
        for defect_id, req_id in Defect.requirements.through.objects.filter(
            defect_id__in=ids
        ).values_list("defect_id", "requirement_id"):
            by_requirement[req_id].add(defect_id)
    return defects, by_case, by_requirement


def traceability_matrix(*, user: Any, project: Project) -> TraceabilityMatrix:
    """Return every requirement with its cases, their latest results, open defects and sign-offs.

    A constant number of queries, however many requirements, cases and results there are.
    """
    quality_check(user=user, project=project, action="view")
    requirements = list(Requirement.objects.filter(project=project).order_by("ref", "id"))
    req_cases = _requirement_cases(project)
    case_ids = {cid for ids in req_cases.values() for cid in ids}
    cases = {c.pk: c for c in TestCase.objects.filter(project=project, pk__in=case_ids)}
    latest = latest_results(project=project, case_ids=case_ids)
    defects, defects_by_case, defects_by_req = _open_defects(project)
    defect_map = {d.pk: d for d in defects}
    signoffs = {
        s.pk: s
        for s in SignOff.objects.filter(project=project).exclude(status=SignOffStatus.REVOKED)
    }
    signoffs_by_run: dict[int, set[int]] = defaultdict(set)
    for signoff_id, run_id in SignOff.runs.through.objects.filter(
        signoff_id__in=list(signoffs)
    ).values_list("signoff_id", "testrun_id"):
        signoffs_by_run[run_id].add(signoff_id)

    rows = []
    live = covered = verified = 0
    for req in requirements:
        ids = sorted(req_cases.get(req.pk, []), key=lambda cid: (cases[cid].key, cid))
        row = TraceRow(req.pk, req.ref, req.text, req.priority, req.status)
        defect_ids = set(defects_by_req.get(req.pk, set()))
        signoff_ids: set[int] = set()
        for cid in ids:
            case = cases[cid]
            result = latest.get(cid)
            trace = None
            if result is not None:
                trace = ResultTrace(
                    result.pk, result.outcome, result.run_id, result.run.name, result.executed_at
                )
                signoff_ids |= signoffs_by_run.get(result.run_id, set())
            row.cases.append(CaseTrace(case.pk, case.key, case.title, case.type, trace))
            defect_ids |= defects_by_case.get(cid, set())
        row.defects = [
            _defect_trace(defect_map[i])
            for i in sorted(defect_ids, key=lambda i: defect_map[i].number)
        ]
        row.signoffs = [
            SignOffTrace(signoffs[i].pk, signoffs[i].name, signoffs[i].status)
            for i in sorted(signoff_ids, key=lambda i: signoffs[i].name)
        ]
        row.covered = bool(ids)
        row.verified = _verified(ids, latest)
        if req.status != RequirementStatus.DROPPED:
            live += 1
            covered += row.covered
            verified += row.verified
        rows.append(row)
    coverage = Coverage(live, covered, verified, percent(covered, live), percent(verified, live))
    return TraceabilityMatrix(rows, coverage)


def _defect_trace(defect: Defect) -> DefectTrace:
    return DefectTrace(
        defect.number,
        defect.ref,
        defect.title,
        Severity(defect.severity).label.lower(),
        defect.status,
        defect.blocks_go_live,
    )


CSV_COLUMNS = [
    "requirement",
    "requirement_text",
    "priority",
    "status",
    "test_case",
    "test_case_title",
    "type",
    "latest_outcome",
    "latest_run",
    "executed_at",
    "open_defects",
    "signoffs",
    "covered",
    "verified",
]


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _SafeWriter:
    """A csv writer that makes text cells a spreadsheet would run as formulas read as text."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: list[Any]) -> None:
        self._writer.writerow(
            [
                f"'{cell}" if isinstance(cell, str) and cell.startswith(_FORMULA_START) else cell
                for cell in row
            ]
        )


def traceability_csv(*, user: Any, project: Project) -> str:
    """Return the matrix as CSV: one line per requirement and test case (or per bare requirement).

    Text that a spreadsheet would run as a formula (starting with = + - @) gets a leading
    apostrophe, so the export opens as data.
    """
    matrix = traceability_matrix(user=user, project=project)
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerow(CSV_COLUMNS)
    for row in matrix.rows:
        signoffs = "; ".join(s.name for s in row.signoffs)
        flags = ["yes" if row.covered else "no", "yes" if row.verified else "no"]
        head = [row.ref, row.text, row.priority, row.status]
        defects = "; ".join(d.ref for d in row.defects)
        if not row.cases:
            writer.writerow([*head, "", "", "", "not linked", "", "", defects, signoffs, *flags])
            continue
        for case in row.cases:
            latest = case.latest
            writer.writerow(
                [
                    *head,
                    case.key,
                    case.title,
                    case.type,
                    latest.outcome if latest else "not run",
                    latest.run_name if latest else "",
                    latest.executed_at.isoformat() if latest else "",
                    defects,
                    signoffs,
                    *flags,
                ]
            )
    return out.getvalue()
