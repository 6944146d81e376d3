"""Import JUnit XML reports into a test run, all or nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Field, FileField, Model
from django.utils import timezone

from golive.accounts.models import User
from golive.audit.services import audit_record
from golive.errors import Conflict
from golive.projects.models import Project
from golive.quality.access import quality_check
from golive.quality.junit import Case, JUnitError, read_all
from golive.quality.models import RunSource, TestCase, TestResult, TestRun, TestType

BATCH_SIZE = 5000
KEY_LENGTH = TestCase._meta.get_field("key").max_length or 500
TITLE_LENGTH = TestCase._meta.get_field("title").max_length or 300


@dataclasses.dataclass(frozen=True)
class ImportSummary:
    """What an import stored: the run, its results counted by outcome, and the new cases.

    The counts are of the results stored: a case reported twice counts once (`duplicates`).
    """

    run: TestRun
    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int
    flaky: int
    created_cases: int
    files: tuple[str, ...] = ()
    replaced: int = 0
    duplicates: int = 0
    """Cases reported more than once (across or within files): only the last result is kept."""
    created_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the counts as JSON values (the run by name)."""
        return {
            "run": self.run.name,
            "tests": self.tests,
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "skipped": self.skipped,
            "flaky": self.flaky,
            "created_cases": self.created_cases,
            "replaced": self.replaced,
            "duplicates": self.duplicates,
            "created_run": self.created_run,
            "files": list(self.files),
        }


def _source_list(sources: Any) -> list[Any]:
    if isinstance(sources, str | Path | bytes) or hasattr(sources, "read"):
        sources = [sources]
    return [io.BytesIO(s) if isinstance(s, bytes) else s for s in sources]


def _source_name(source: Any, number: int) -> str:
    if isinstance(source, str | Path):
        return str(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) and name else f"file {number}"


def junit_reports_read(sources: Any) -> list[tuple[str, list[Case]]]:
    """Read every report completely; refuse the lot on the first one that cannot be read.

    `sources` holds paths, binary file objects (uploads included) or the XML as bytes; one
    source alone is taken as a list of one. Return ``[(file name, cases)]`` in the order
    given. The error is a ValidationError on ``file`` naming the file, the line and the reason.
    """
    reports = []
    for number, source in enumerate(_source_list(sources), start=1):
        name = _source_name(source, number)
        try:
            cases = read_all(source)
        except JUnitError as exc:
            where = f", line {exc.line}" if exc.line is not None else ""
            raise ValidationError(
                {"file": f"{name}{where}: {exc.reason}. Nothing was imported."}
            ) from None
        except OSError as exc:
            raise ValidationError(
                {"file": f"{name}: cannot be read ({exc.strerror or exc}). Nothing was imported."}
            ) from None
        reports.append((name, cases))
    if not reports:
        raise ValidationError({"file": "Give at least one JUnit XML report."})
    return reports


def _key(key: str) -> str:
    """Fit a match key into the column; a long key keeps a hash of the whole, so it stays unique."""
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: KEY_LENGTH - 18]}~{digest}"


def _title(case: Case) -> str:
    title = case.name or case.key
    return title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1] + "…"


def _details(case: Case) -> str:
    parts = [case.details] if case.details else []
    if case.outcome != "passed" or case.flaky:
        if case.system_out:
            parts.append(f"[system-out]\n{case.system_out}")
        if case.system_err:
            parts.append(f"[system-err]\n{case.system_err}")
    return "\n\n".join(parts)


def _message(case: Case) -> str:
    if case.message and case.type:
        return f"{case.type}: {case.message}"
    return case.message or case.type or ""


def _case_ids(project: Project) -> dict[str, int]:
    return dict(TestCase.objects.filter(project=project).values_list("key", "id"))


def _delete_files(names: list[str]) -> None:
    field = _field(TestResult, "evidence_file")
    assert isinstance(field, FileField)
    for name in names:
        field.storage.delete(name)


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _insert(
    model: type[Model],
    names: list[str],
    rows: list[tuple[Any, ...]],
    *,
    fixed: dict[str, Any],
    conflict: list[str] | None = None,
) -> None:
    """Insert `rows` (values of the fields `names`, in order, then the `fixed` values).

    With `conflict` (the fields of a unique constraint), a row that clashes replaces the stored
    row's other fields instead. `fixed` values are the same on every row and are converted to
    their database form once; the per-row values must be plain str, int, float, bool or None.

    Not ``bulk_create``: it spends about nine tenths of a 100,000-row import building model
    instances and preparing values field by field; the rows here are plain values already
    fitted to their columns, and the budget (100,000 results in under 10 s) is only met
    without that work.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    extra = tuple(_field(model, name).get_db_prep_save(v, connection) for name, v in fixed.items())
    columns = [quote(str(_field(model, name).column)) for name in [*names, *fixed]]
    # Identifiers come from the model's metadata, values travel as parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    if conflict:
        keys = [quote(str(_field(model, name).column)) for name in conflict]
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in keys)
        sql += f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            cursor.executemany(sql, [row + extra for row in rows[start : start + BATCH_SIZE]])


def junit_import(
    *,
    actor: User,
    project: Project,
    run_name: str,
    sources: Iterable[Any],
    test_type: str = "functional",
    build: str = "",
    environment: str = "",
) -> ImportSummary:
    """Import JUnit XML reports into the run called `run_name`, creating it if it is new.

    Read every report fully before writing (a report that cannot be read refuses the import,
    naming file, line and reason; nothing is stored). Match cases by their key, create the
    missing ones (automated, of `test_type`), and store one result per case: a case's earlier
    result in the run is replaced, and of a case reported twice the last report wins. An
    existing run keeps its build and environment. Record one audit event for the import.
    """
    quality_check(user=actor, project=project, action="execute")
    name = (run_name or "").strip()
    if not name:
        raise ValidationError({"run_name": "Name the test run the results belong to."})
    if test_type not in TestType.values:
        raise ValidationError(
            {"test_type": f"{test_type!r} is not a test type; use {', '.join(TestType.values)}."}
        )
    reports = junit_reports_read(sources)
    latest: dict[str, Case] = {}
    for _file, cases in reports:
        for case in cases:
            key = _key(case.key)
            latest.pop(key, None)  # re-insert: the last report of a case decides its place
            latest[key] = case
    now = timezone.now()
    try:
        summary = _store(actor, project, name, reports, latest, test_type, build, environment, now)
    except IntegrityError:
        # Only a concurrent import can get here: it created the run or some of the cases
        # between our reads and writes. Ours was rolled back whole.
        raise Conflict(
            f"Another import into {project.key} stored the same run or test cases at the same "
            f"time; nothing of this import was stored. Push the reports again."
        ) from None
    return summary


def _store(
    actor: User,
    project: Project,
    name: str,
    reports: list[tuple[str, list[Case]]],
    latest: dict[str, Case],
    test_type: str,
    build: str,
    environment: str,
    now: datetime,
) -> ImportSummary:
    """Write the run, the new cases, the results and the audit event in one transaction."""
    reported = sum(len(cases) for _file, cases in reports)
    with transaction.atomic():
        quality_check(user=actor, project=project, action="execute")
        run = TestRun.objects.select_for_update().filter(project=project, name=name).first()
        created_run = run is None
        if run is None:
            run = TestRun(
                project=project,
                name=name,
                build=(build or "").strip(),
                environment=(environment or "").strip(),
                source=RunSource.JUNIT,
                created_by=actor,
                started_at=now,
            )
            run.full_clean()
            run.save()
        case_ids = _case_ids(project)
        new_keys = [key for key in latest if key not in case_ids]
        _insert(
            TestCase,
            ["key", "title"],
            [(key, _title(latest[key])) for key in new_keys],
            fixed={
                "project": project.pk,
                "type": test_type,
                "steps": [],
                "automated": True,
                "version": 1,
                "created_at": now,
            },
        )
        if new_keys:
            case_ids = _case_ids(project)
        earlier: dict[int, str] = {}
        if not created_run:
            earlier = dict(
                TestResult.objects.filter(run=run).values_list("case_id", "evidence_file")
            )
        counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
        flaky = 0
        rows = []
        for key, case in latest.items():
            counts[case.outcome] += 1
            flaky += case.flaky
            rows.append(
                (
                    case_ids[key],
                    case.outcome,
                    case.flaky,
                    case.time,
                    _message(case),
                    _details(case),
                )
            )
        _insert(
            TestResult,
            ["case", "outcome", "flaky", "duration", "message", "details"],
            rows,
            fixed={
                "run": run.pk,
                "evidence_note": "",
                "evidence_file": "",
                "steps": [],
                "executed_by": actor.pk,
                "executed_at": now,
            },
            conflict=None if created_run else ["run", "case"],
        )
        imported = {case_ids[key] for key in latest}
        replaced = len(imported & set(earlier))
        # A replaced manual result's evidence file belongs to nobody any more.
        orphans = [file for case_id, file in earlier.items() if file and case_id in imported]
        if orphans:
            transaction.on_commit(lambda: _delete_files(orphans))
        summary = ImportSummary(
            run=run,
            tests=len(latest),
            passed=counts["passed"],
            failed=counts["failed"],
            errors=counts["error"],
            skipped=counts["skipped"],
            flaky=flaky,
            created_cases=len(new_keys),
            files=tuple(file for file, _cases in reports),
            replaced=replaced,
            duplicates=reported - len(latest),
            created_run=created_run,
        )
        audit_record(
            actor=actor,
            action="test_run.junit_import",
            obj=run,
            project=project,
            changes={
                "import": [None, summary.as_dict()],
                "build": [None, run.build],
                "environment": [None, run.environment],
                "test_type": [None, test_type],
            },
        )
    return summary
