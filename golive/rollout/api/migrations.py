"""API: migration checks (source against target), their CSV extracts, runs and results.

Database URLs are stored encrypted and never shown back: the answers carry the masked
`*_display` form only.
"""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from golive.rollout.api.base import ROLLOUT, project_for, router, username
from golive.rollout.models import MigrationCheck, MigrationExtract, MigrationResult
from golive.rollout.selectors.migrations import (
    migration_check_get,
    migration_check_list,
    migration_result_get,
    migration_result_list,
)
from golive.rollout.services.migrations import (
    migration_check_create,
    migration_check_delete,
    migration_check_run,
    migration_check_update,
    migration_extract_upload,
)

SideKindName = Literal["database", "env", "csv"]
SIDE_VALUE = (
    "A database URL (SQLAlchemy form, e.g. postgresql://user:password@host/db; stored "
    "encrypted), env:NAME (an environment variable holding one), or csv (uploaded extracts)."
)
CHECK = ROLLOUT + "/migration-checks/{name}"


class TableIO(Schema):
    source: str = Field(description="Table (or CSV extract) name on the source side.")
    target: str = Field("", description="Table name on the target side (default: the same).")
    key: list[str] = Field(description="The columns that identify a row.")
    columns: list[str] = Field([], description="Columns compared row by row.")
    aggregates: dict[str, list[str]] = Field(
        {}, description='Column aggregates compared, e.g. {"balance": ["sum"]}.'
    )


class ExtractOut(Schema):
    id: int
    side: Literal["source", "target"]
    table: str
    rows: int
    uploaded_by: str
    uploaded_at: datetime

    @staticmethod
    def resolve_uploaded_by(obj: MigrationExtract) -> str:
        return obj.uploaded_by.username


class MigrationResultOut(Schema):
    id: int
    passed: bool
    summary: str
    error: str = Field(description="Why a side could not be read (the result then failed).")
    started_at: datetime
    duration_ms: int
    run_by: str | None
    run_step: int | None = Field(description="Id of the run step that ran it, if one did.")

    @staticmethod
    def resolve_run_by(obj: MigrationResult) -> str | None:
        return username(obj.run_by)

    @staticmethod
    def resolve_run_step(obj: MigrationResult) -> int | None:
        return obj.run_step_id


class MigrationCheckOut(Schema):
    id: int
    name: str
    title: str
    check_set: str = Field(description="Checks of one set are judged together by gates.")
    source_kind: SideKindName
    source: str = Field(description="The source, masked (password and query shown as ***).")
    target_kind: SideKindName
    target: str = Field(description="The target, masked.")
    tables: list[TableIO]
    max_missing: int
    max_extra: int
    max_changed: int
    sample_size: int
    latest_result: MigrationResultOut | None = Field(description="The most recent result.")
    created_at: datetime
    version: int

    @staticmethod
    def resolve_source(obj: MigrationCheck) -> str:
        return obj.source_display

    @staticmethod
    def resolve_target(obj: MigrationCheck) -> str:
        return obj.target_display


class MigrationCheckDetailOut(MigrationCheckOut):
    extracts: list[ExtractOut]

    @staticmethod
    def resolve_extracts(obj: MigrationCheck) -> list[MigrationExtract]:
        return list(obj.extracts.all())


class MigrationCheckCreateIn(Schema):
    name: str = Field(description="Short name, unique in the project (e.g. customers).")
    source: str = Field(description=SIDE_VALUE)
    target: str = Field(description=SIDE_VALUE)
    tables: list[TableIO] = Field(description="What is compared.")
    title: str = ""
    check_set: str = ""
    max_missing: int = Field(0, ge=0, description="Keys allowed missing in the target.")
    max_extra: int = Field(0, ge=0, description="Keys allowed extra in the target.")
    max_changed: int = Field(0, ge=0, description="Rows allowed to differ.")
    sample_size: int = Field(20, ge=0, le=1000, description="Differing rows kept as a sample.")
    verify: bool = Field(
        False, description="Connect to the database sides and look up every table first."
    )


class MigrationCheckPatchIn(Schema):
    version: int
    name: str | None = None
    source: str | None = Field(None, description=SIDE_VALUE)
    target: str | None = Field(None, description=SIDE_VALUE)
    tables: list[TableIO] | None = None
    title: str | None = None
    check_set: str | None = None
    max_missing: int | None = Field(None, ge=0)
    max_extra: int | None = Field(None, ge=0)
    max_changed: int | None = Field(None, ge=0)
    sample_size: int | None = Field(None, ge=0, le=1000)
    verify: bool = Field(
        False, description="Connect to the database sides and look up every table first."
    )


class MigrationResultDetailOut(MigrationResultOut):
    report: dict[str, Any] = Field(
        description="Per table: row counts, missing and extra keys with samples, changed rows "
        "with a sample of the differences, aggregates on both sides."
    )


class CheckFilters(Schema):
    check_set: str | None = Field(None, description="Only the checks of this set.")


def _check(request: HttpRequest, key: str, name: str) -> MigrationCheck:
    return migration_check_get(user=request.user, project=project_for(request, key), name=name)


def _tables(fields: dict[str, Any]) -> dict[str, Any]:
    """Hand the tables to the service as plain dicts (a target left out is the source)."""
    if fields.get("tables") is not None:
        fields["tables"] = [{**t, "target": t["target"] or t["source"]} for t in fields["tables"]]
    return fields


@router.get(
    ROLLOUT + "/migration-checks",
    response=list[MigrationCheckOut],
    summary="List migration checks by set and name",
)
@paginate(PageNumberPagination)
def checks_list(request: HttpRequest, key: str, filters: Query[CheckFilters]):
    project = project_for(request, key)
    return migration_check_list(user=request.user, project=project, check_set=filters.check_set)


@router.post(
    ROLLOUT + "/migration-checks",
    response={201: MigrationCheckDetailOut},
    summary="Define a migration check (managers)",
    description="Each side is a database URL (stored encrypted, shown masked), `env:NAME`, or "
    "`csv` (upload the extracts with `POST …/extracts`).",
)
def checks_create(request: HttpRequest, key: str, payload: MigrationCheckCreateIn):
    project = project_for(request, key)
    check = migration_check_create(actor=request.user, project=project, **_tables(payload.dict()))
    return 201, migration_check_get(user=request.user, project=project, name=check.name)


@router.get(CHECK, response=MigrationCheckDetailOut, summary="Get a migration check")
def checks_get(request: HttpRequest, key: str, name: str):
    return _check(request, key, name)


@router.patch(
    CHECK,
    response=MigrationCheckDetailOut,
    summary="Change a migration check (managers)",
    description="Send the `version` you read; a stale one gets 409 with the current state.",
)
def checks_update(request: HttpRequest, key: str, name: str, payload: MigrationCheckPatchIn):
    fields = _tables(payload.dict(exclude_unset=True))
    version = fields.pop("version")
    project = project_for(request, key)
    check = migration_check_get(user=request.user, project=project, name=name)
    check = migration_check_update(actor=request.user, check=check, version=version, **fields)
    return migration_check_get(user=request.user, project=project, name=check.name)


@router.delete(CHECK, response={204: None}, summary="Delete a migration check (managers)")
def checks_delete(request: HttpRequest, key: str, name: str):
    migration_check_delete(actor=request.user, check=_check(request, key, name))
    return 204, None


@router.post(
    CHECK + "/extracts",
    response={201: ExtractOut},
    summary="Upload a CSV extract of one table on one side (managers)",
    description="A multipart form with `side` (source or target), `table` and the CSV `file` "
    "(a header line, then the rows). It replaces an earlier extract of that table and side.",
)
def checks_extract(
    request: HttpRequest,
    key: str,
    name: str,
    file: File[UploadedFile],
    side: Form[Literal["source", "target"]],
    table: Form[str],
):
    check = _check(request, key, name)
    return 201, migration_extract_upload(
        actor=request.user, check=check, side=side, table=table, file=file
    )


@router.post(
    CHECK + "/run",
    response={201: MigrationResultDetailOut},
    summary="Run a migration check now (contributors)",
    description="The result is stored whatever happens: a side that cannot be read is a failed "
    "result with its error.",
)
def checks_run(request: HttpRequest, key: str, name: str):
    return 201, migration_check_run(actor=request.user, check=_check(request, key, name))


@router.get(
    CHECK + "/results",
    response=list[MigrationResultOut],
    summary="List a migration check's results, newest first",
)
@paginate(PageNumberPagination)
def results_list(request: HttpRequest, key: str, name: str):
    return migration_result_list(user=request.user, check=_check(request, key, name))


@router.get(
    CHECK + "/results/{result_id}",
    response=MigrationResultDetailOut,
    summary="Get a migration check's result with its report",
)
def results_get(request: HttpRequest, key: str, name: str, result_id: int):
    check = _check(request, key, name)
    return migration_result_get(user=request.user, check=check, result_id=result_id)
