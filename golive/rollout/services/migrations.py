"""Writes on migration checks: define them, upload CSV extracts, run them and keep the evidence.

A side is given as a database URL (SQLAlchemy form: stored encrypted, shown masked), `env:NAME`
(the URL is read from that environment variable when the check runs) or `csv` (extracts are
uploaded per table). The comparison itself is `golive.rollout.migration.compare`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import FileField
from django.utils import timezone
from django.utils.text import get_valid_filename

from golive.accounts.models import User
from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import version_check
from golive.projects.models import Project
from golive.rollout.access import rollout_check
from golive.rollout.migration import (
    MigrationConfigError,
    MigrationSourceError,
    TableSpec,
    compare,
    csv_read,
    database_url_check,
    sides_verify,
    tables_validate,
)
from golive.rollout.models import (
    MigrationCheck,
    MigrationExtract,
    MigrationResult,
    RunStep,
    Step,
)
from golive.rollout.secrets import (
    SecretUnreadable,
    env_reference_parse,
    secret_decrypt,
    secret_encrypt,
    url_mask,
)

CHECK_FIELDS = [
    "name",
    "title",
    "check_set",
    "source_kind",
    "source_display",
    "target_kind",
    "target_display",
    "tables",
    "max_missing",
    "max_extra",
    "max_changed",
    "sample_size",
]
UPDATABLE = {
    "name",
    "title",
    "check_set",
    "source",
    "target",
    "tables",
    "max_missing",
    "max_extra",
    "max_changed",
    "sample_size",
}
SIDES = ("source", "target")
SUMMARY_LENGTH = MigrationResult._meta.get_field("summary").max_length or 300
DISPLAY_LENGTH = MigrationCheck._meta.get_field("source_display").max_length or 300


# --- sides and tables --------------------------------------------------------------------------


def _side_parse(value: Any, *, field: str) -> tuple[str, str, str, str]:
    """Return (kind, stored secret, display, plain URL or variable) for a side as given."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            {field: "Give a database URL (dialect+driver://user@host/db), env:NAME or csv."}
        )
    text = value.strip()
    if text.lower() == "csv":
        return MigrationCheck.SideKind.CSV, "", "csv", ""
    name = env_reference_parse(text, field=field)
    if name is not None:
        return MigrationCheck.SideKind.ENV, name, f"env:{name}", name
    try:
        database_url_check(text, side=field)
    except MigrationConfigError as exc:
        raise ValidationError(
            {field: [m.removeprefix(f"{field}: ") for m in exc.messages]}
        ) from None
    if own_database(text):
        raise ValidationError({field: f"This URL {OWN_DATABASE}"})
    display = url_mask(text)
    if len(display) > DISPLAY_LENGTH:
        display = display[: DISPLAY_LENGTH - 1] + "…"
    return MigrationCheck.SideKind.DATABASE, secret_encrypt(text), display, text


LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
OWN_DATABASE = (
    "points at golive's own database; a check compares a migration's source and target, and "
    "its samples would show golive's data."
)


def own_database(url_text: str, databases: dict[str, dict[str, Any]] | None = None) -> bool:
    """Return whether `url_text` points at one of golive's own databases.

    A check reports sample values of what it reads, so pointing one at golive's database
    would show its rows (users, tokens) to whoever may read the check's results.
    """
    try:
        url = database_url_check(url_text)
    except MigrationConfigError:
        return False
    for db in (databases if databases is not None else settings.DATABASES).values():
        engine = str(db.get("ENGINE", ""))
        name = str(db.get("NAME", ""))
        if "sqlite" in engine and url.get_backend_name() == "sqlite":
            if url.database and name and os.path.realpath(url.database) == os.path.realpath(name):
                return True
        elif "postgresql" in engine and url.get_backend_name() == "postgresql":
            host = str(db.get("HOST") or "")
            same_host = url.host == host or {url.host or "", host} <= LOCAL_HOSTS
            same_port = int(url.port or 5432) == int(db.get("PORT") or 5432)
            if same_host and same_port and url.database == name:
                return True
    return False


def _side_set(check: MigrationCheck, side: str, value: Any) -> str:
    kind, secret, display, plain = _side_parse(value, field=side)
    setattr(check, f"{side}_kind", kind)
    setattr(check, f"{side}_secret", secret)
    setattr(check, f"{side}_display", display)
    return plain


def _tables_clean(tables: Any) -> list[TableSpec]:
    try:
        return tables_validate(tables)
    except MigrationConfigError as exc:
        raise ValidationError({"tables": exc.messages}) from None


def _number(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError({field: "Give a whole number, 0 or more."})
    return value


def _side_url(check: MigrationCheck, side: str) -> str:
    """Return the database URL of a database or env side; raise MigrationSourceError if unknown."""
    kind = getattr(check, f"{side}_kind")
    secret = getattr(check, f"{side}_secret")
    if kind == MigrationCheck.SideKind.DATABASE:
        try:
            return secret_decrypt(secret)
        except SecretUnreadable as exc:
            raise MigrationSourceError(side, str(exc)) from None
    url = os.environ.get(secret, "").strip()
    if not url:
        raise MigrationSourceError(
            side, f"the environment variable {secret} is not set on this server."
        )
    if own_database(url):
        raise MigrationSourceError(side, f"{secret} {OWN_DATABASE}")
    return url


def _verify(check: MigrationCheck, specs: list[TableSpec], plain: dict[str, str]) -> None:
    """Connect to the database sides and look every table up; refuse naming the problem."""
    urls: dict[str, Any] = {}
    try:
        for side in SIDES:
            kind = getattr(check, f"{side}_kind")
            if kind == MigrationCheck.SideKind.CSV:
                urls[side] = {}
            elif kind == MigrationCheck.SideKind.DATABASE and plain.get(side):
                urls[side] = plain[side]
            else:
                urls[side] = _side_url(check, side)
        sides_verify(
            source=urls["source"],
            target=urls["target"],
            tables=[spec.as_dict() for spec in specs],
        )
    except MigrationSourceError as exc:
        raise ValidationError({exc.side: f"{exc.message} Nothing was saved."}) from None


def _extracts_prune(check: MigrationCheck) -> list[str]:
    """Delete extracts no longer used (side not CSV, table not listed); return their files."""
    specs = tables_validate(check.tables)
    stale: list[MigrationExtract] = []
    for extract in MigrationExtract.objects.filter(check_obj=check):
        kind = getattr(check, f"{extract.side}_kind")
        listed = {spec.table(extract.side) for spec in specs}
        if kind != MigrationCheck.SideKind.CSV or extract.table not in listed:
            stale.append(extract)
    files = [e.file.name for e in stale if e.file.name]
    MigrationExtract.objects.filter(pk__in=[e.pk for e in stale]).delete()
    return files


def _delete_files_on_commit(names: list[str]) -> None:
    field = MigrationExtract._meta.get_field("file")
    assert isinstance(field, FileField)
    storage = field.storage
    for name in names:
        transaction.on_commit(partial(storage.delete, name))


# --- checks ----------------------------------------------------------------------------------


def migration_check_create(
    *,
    actor: Any,
    project: Project,
    name: str,
    source: str,
    target: str,
    tables: list[dict[str, Any]],
    title: str = "",
    check_set: str = "",
    max_missing: int = 0,
    max_extra: int = 0,
    max_changed: int = 0,
    sample_size: int = 20,
    verify: bool = False,
) -> MigrationCheck:
    """Define a migration check of `project` comparing `source` with `target`.

    `source` and `target` are database URLs (stored encrypted, shown masked), `env:NAME` or
    `csv`. With `verify`, both database sides are connected to and every table looked up first;
    a side that cannot be reached, or a table that is missing, refuses the check.
    """
    rollout_check(user=actor, project=project, action="plan")
    check = MigrationCheck(
        project=project,
        name=(name or "").strip(),
        title=(title or "").strip(),
        check_set=(check_set or "").strip(),
        max_missing=_number(max_missing, "max_missing"),
        max_extra=_number(max_extra, "max_extra"),
        max_changed=_number(max_changed, "max_changed"),
        sample_size=_number(sample_size, "sample_size"),
    )
    plain = {"source": _side_set(check, "source", source)}
    plain["target"] = _side_set(check, "target", target)
    specs = _tables_clean(tables)
    check.tables = [spec.as_dict() for spec in specs]
    check.full_clean()
    if verify:
        _verify(check, specs, plain)
    with transaction.atomic():
        check.save()
        audit_record(
            actor=actor,
            action="migration_check.create",
            obj=check,
            project=project,
            changes=audit_diff({}, audit_snapshot(check, CHECK_FIELDS)),
        )
    return check


def migration_check_update(
    *,
    actor: Any,
    check: MigrationCheck,
    version: int | None = None,
    verify: bool = False,
    **fields: Any,
) -> MigrationCheck:
    """Change a check's name, title, set, sides, tables, thresholds or sample size.

    A side given again replaces the stored URL. Extracts that no longer apply (the side is no
    longer CSV, or the table is no longer listed) are deleted with their files.
    """
    unknown = sorted(set(fields) - UPDATABLE)
    if unknown:
        raise ValidationError(
            {unknown[0]: f"Cannot change {', '.join(unknown)}; use {', '.join(sorted(UPDATABLE))}."}
        )
    with transaction.atomic():
        check = (
            MigrationCheck.objects.select_for_update(of=("self",))
            .select_related("project")
            .get(pk=check.pk)
        )
        rollout_check(user=actor, project=check.project, action="plan")
        version_check(check, version, what=f"Migration check {check.name}")
        before = audit_snapshot(check, CHECK_FIELDS)
        plain: dict[str, str] = {}
        replaced: list[str] = []
        for side in SIDES:
            if side in fields:
                plain[side] = _side_set(check, side, fields[side])
                replaced.append(side)
        for text_field in ("name", "title", "check_set"):
            if text_field in fields:
                setattr(check, text_field, (fields[text_field] or "").strip())
        for number in ("max_missing", "max_extra", "max_changed", "sample_size"):
            if number in fields:
                setattr(check, number, _number(fields[number], number))
        specs = _tables_clean(fields.get("tables", check.tables))
        check.tables = [spec.as_dict() for spec in specs]
        check.full_clean()
        if verify:
            _verify(check, specs, plain)
        check.version += 1
        check.save()
        stale = _extracts_prune(check)
        changes = audit_diff(before, audit_snapshot(check, CHECK_FIELDS))
        for side in replaced:
            # The URL itself is never recorded; that it was entered again is.
            changes.setdefault(f"{side}_display", [before[f"{side}_display"]] * 2)
            changes[f"{side}_secret"] = ["", "replaced"]
        if stale:
            changes["extracts_deleted"] = [len(stale), 0]
        audit_record(
            actor=actor,
            action="migration_check.update",
            obj=check,
            project=check.project,
            changes=changes,
        )
        _delete_files_on_commit(stale)
    return check


def migration_check_delete(*, actor: Any, check: MigrationCheck) -> None:
    """Delete a check with its extracts and results; refused while a runbook step runs it."""
    with transaction.atomic():
        check = (
            MigrationCheck.objects.select_for_update(of=("self",))
            .select_related("project")
            .get(pk=check.pk)
        )
        rollout_check(user=actor, project=check.project, action="plan")
        steps = list(
            Step.objects.filter(migration_check=check)
            .select_related("runbook")
            .order_by("runbook__name", "key")
        )
        if steps:
            named = ", ".join(f"{s.runbook.name}/{s.key}" for s in steps)
            raise ValidationError(
                f"The migration check {check.name} is run by the runbook step(s) {named}; "
                "remove it from them first."
            )
        files = [e.file.name for e in check.extracts.all() if e.file.name]
        results = check.results.count()
        audit_record(
            actor=actor,
            action="migration_check.delete",
            obj=check,
            project=check.project,
            changes={
                **audit_diff(audit_snapshot(check, CHECK_FIELDS), {}),
                "results": [results, 0],
                "extracts": [len(files), 0],
            },
        )
        check.delete()
        _delete_files_on_commit(files)


# --- extracts --------------------------------------------------------------------------------


def migration_extract_upload(
    *, actor: Any, check: MigrationCheck, side: str, table: str, file: Any
) -> MigrationExtract:
    """Store a CSV extract of `table` on `side` of a check, replacing an earlier one.

    The file is read completely first: one that cannot be parsed (file and line named), or
    whose header lacks the table's key or listed columns, is refused and nothing is stored.
    """
    check = MigrationCheck.objects.select_related("project").get(pk=check.pk)
    rollout_check(user=actor, project=check.project, action="plan")
    if not isinstance(actor, User) or actor.pk is None:
        raise ValidationError("An upload is recorded with the user who makes it: name a user.")
    if side not in SIDES:
        raise ValidationError({"side": f"{side!r} is not a side; use source or target."})
    if getattr(check, f"{side}_kind") != MigrationCheck.SideKind.CSV:
        raise ValidationError(
            {
                "side": f"The {side} of {check.name} is {getattr(check, f'{side}_display')}, "
                "not CSV extracts; extracts are uploaded for CSV sides only."
            }
        )
    specs = _tables_clean(check.tables)
    spec = next((s for s in specs if s.table(side) == (table or "").strip()), None)
    if spec is None:
        listed = ", ".join(sorted({s.table(side) for s in specs}))
        raise ValidationError(
            {"table": f"{check.name} compares no table {table!r} on the {side} side ({listed})."}
        )
    if file is None:
        raise ValidationError({"file": "Give the CSV file."})
    filename = os.path.basename(getattr(file, "name", None) or f"{spec.table(side)}.csv")
    try:
        frame = csv_read(file, name=filename, side=side)
    except MigrationSourceError as exc:
        raise ValidationError({"file": f"{exc.message} Nothing was stored."}) from None
    header = {str(c).lower() for c in frame.columns}
    needed = [*spec.key, *spec.columns]
    absent = [c for c in needed if c.lower() not in header]
    if absent:
        raise ValidationError(
            {
                "file": f"{filename}: the header has no column {', '.join(absent)} (the "
                f"{'key' if set(absent) & set(spec.key) else 'compared columns'} of "
                f"{spec.label}). Nothing was stored."
            }
        )
    stored: str | None = None
    with transaction.atomic():
        check = MigrationCheck.objects.select_for_update().get(pk=check.pk)
        old = MigrationExtract.objects.filter(
            check_obj=check, side=side, table=spec.table(side)
        ).first()
        old_file = old.file.name if old is not None else None
        if old is not None:
            old.delete()
        extract = MigrationExtract(
            check_obj=check,
            side=side,
            table=spec.table(side),
            rows=len(frame),
            uploaded_by=actor,
            uploaded_at=timezone.now(),
        )
        if hasattr(file, "seek"):
            file.seek(0)
        safe = get_valid_filename(f"{check.name}-{side}-{spec.table(side)}.csv")[:100]
        extract.file.save(safe, File(file, name=filename), save=False)
        stored = extract.file.name
        try:
            extract.full_clean()
            extract.save()
            audit_record(
                actor=actor,
                action="migration_extract.replace" if old else "migration_extract.upload",
                obj=extract,
                project=check.project,
                changes={
                    "check": [check.name, check.name],
                    "side": [None, side],
                    "table": [None, extract.table],
                    "rows": [old.rows if old else None, extract.rows],
                    "file": [old_file, extract.file.name],
                },
            )
        except Exception:
            if stored:
                extract.file.storage.delete(stored)
            raise
        if old_file:
            _delete_files_on_commit([old_file])
    return extract


# --- running ---------------------------------------------------------------------------------


@contextmanager
def _side_inputs(check: MigrationCheck) -> Iterator[dict[str, Any]]:
    """Yield {side: URL or {table: open file}}; a side that cannot be resolved is the error."""
    with ExitStack() as stack:
        inputs: dict[str, Any] = {}
        for side in SIDES:
            if getattr(check, f"{side}_kind") == MigrationCheck.SideKind.CSV:
                files: dict[str, Any] = {}
                for extract in check.extracts.filter(side=side):
                    try:
                        extract.file.open("rb")
                    except OSError:
                        raise MigrationSourceError(
                            side,
                            f"the extract of the table {extract.table!r} is no longer in the "
                            "file store; upload it again.",
                        ) from None
                    stack.callback(extract.file.close)
                    files[extract.table] = extract.file
                inputs[side] = files
            else:
                inputs[side] = _side_url(check, side)
        yield inputs


def _table_line(table: dict[str, Any]) -> str:
    if table.get("error"):
        return f"{table['label']}: not compared"
    return (
        f"{table['label']}: {table['missing']:,} missing, {table['extra']:,} extra, "
        f"{table['changed']:,} changed of {table['source_rows']:,} rows"
    )


def _judge(check: MigrationCheck, report: dict[str, Any], error: str) -> list[str]:
    """Return why the result fails (empty: it passes)."""
    if error:
        return [error]
    totals = report["totals"]
    reasons = []
    for name, limit, what in (
        ("missing", check.max_missing, "key{s} missing in the target"),
        ("extra", check.max_extra, "key{s} extra in the target"),
        ("changed", check.max_changed, "row{s} changed"),
    ):
        if totals[name] > limit:
            reasons.append(f"{_counted(totals[name], what)} (at most {limit:,} allowed)")
    if totals["duplicates"]:
        reasons.append(f"{_counted(totals['duplicates'], 'key{s}')} repeated on a side")
    return reasons


def _counted(number: int, words: str) -> str:
    return f"{number:,} {words.format(s='' if number == 1 else 's')}"


def _summary(report: dict[str, Any], error: str, passed: bool) -> str:
    verdict = " — passed" if passed else " — failed"
    lines = [_table_line(t) for t in report.get("tables", [])]
    body = "; ".join(lines) if lines and not (error and not report.get("tables")) else error
    room = SUMMARY_LENGTH - len(verdict)
    if len(body) > room:
        body = body[: room - 1] + "…"
    return body + verdict


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def migration_check_run(
    *, actor: Any, check: MigrationCheck, run_step: RunStep | None = None
) -> MigrationResult:
    """Run a check now and store its result, whatever happens, with an audit record.

    A side that cannot be read (unreachable server, refused login, missing table or extract)
    is a failed result carrying the error: that is evidence too. The result passes when no
    table failed, no key is duplicated, and the missing, extra and changed counts summed over
    the tables are within the check's thresholds.
    """
    check = MigrationCheck.objects.select_related("project").get(pk=check.pk)
    rollout_check(user=actor, project=check.project, action="run_check")
    if run_step is not None and (
        RunStep.objects.filter(pk=run_step.pk, run__runbook__project=check.project).count() == 0
    ):
        raise ValidationError({"run_step": "The run step belongs to another project."})
    started_at = timezone.now()
    clock = time.monotonic()
    report: dict[str, Any] = {}
    error = ""
    passwords: list[str] = []
    try:
        with _side_inputs(check) as inputs:
            for value in inputs.values():
                if isinstance(value, str):
                    passwords.append(_password(value))
            report = compare(
                source=inputs["source"],
                target=inputs["target"],
                tables=check.tables,
                sample_size=check.sample_size,
            )
    except MigrationSourceError as exc:
        error = str(exc)
    except MigrationConfigError as exc:
        error = f"tables: {exc}"
    except Exception as exc:  # any failure is stored as the run's evidence
        error = _scrub(f"the comparison failed ({type(exc).__name__}: {exc})", passwords)
    if not error:
        error = "; ".join(t["error"] for t in report["tables"] if t["error"])
    reasons = _judge(check, report, error)
    passed = not reasons
    stored_report = {
        "source": check.source_display,
        "target": check.target_display,
        "tables": report.get("tables", []),
        "totals": report.get("totals", {}),
        "thresholds": {
            "max_missing": check.max_missing,
            "max_extra": check.max_extra,
            "max_changed": check.max_changed,
        },
        "sample_size": check.sample_size,
        "passed": passed,
        "reasons": reasons,
    }
    result = MigrationResult(
        check_obj=check,
        passed=passed,
        summary=_summary(report, error, passed),
        report=stored_report,
        error=error,
        started_at=started_at,
        duration_ms=int((time.monotonic() - clock) * 1000),
        run_by=actor if isinstance(actor, User) and actor.pk is not None else None,
        run_step=run_step,
    )
    with transaction.atomic():
        result.save()
        audit_record(
            actor=actor,
            action="migration_check.run",
            obj=result,
            project=check.project,
            changes={
                "check": [check.name, check.name],
                "passed": [None, passed],
                "summary": [None, result.summary],
            },
        )
    return result


def _password(url: str) -> str:
    try:
        return database_url_check(url).password or ""
    except MigrationConfigError:
        return ""
