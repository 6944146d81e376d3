"""Migration check services and selectors: definitions, secrets, extracts, runs and access."""

import socket
import sqlite3

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from golive.audit.models import AuditEvent
from golive.cli_support import Operator
from golive.config.tests.support import media_files
from golive.errors import Conflict, NotFound
from golive.projects.tests.factories import ProjectFactory, team_for
from golive.rollout.models import MigrationCheck, MigrationExtract, MigrationResult
from golive.rollout.secrets import secret_decrypt
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
    own_database,
)
from golive.rollout.tests.factories import RunbookFactory, StepFactory

pytestmark = pytest.mark.django_db

SOURCE_SQL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, balance NUMERIC);
INSERT INTO customers VALUES (1, 'Ada', 10), (2, 'Bob', 20), (3, 'Cy', 30), (4, 'Di', 40);
"""
TARGET_SQL = """
CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT, balance NUMERIC);
INSERT INTO customer VALUES (1, 'Ada', 10), (2, 'Robert', 20), (3, 'Cy', 31), (5, 'Ed', 50);
"""
TABLES = [{"source": "customers", "target": "customer", "key": ["id"]}]
SECRET = "pa55-w0rd-xyz"


def sqlite_db(path, script):
    db = sqlite3.connect(path)
    db.executescript(script)
    db.commit()
    db.close()
    return f"sqlite:///{path}"


@pytest.fixture
def urls(tmp_path):
    return sqlite_db(tmp_path / "s.db", SOURCE_SQL), sqlite_db(tmp_path / "t.db", TARGET_SQL)


@pytest.fixture
def project():
    return ProjectFactory()


@pytest.fixture
def team(project):
    return team_for(project)


def make_check(project, source, target, **kwargs):
    kwargs.setdefault("tables", TABLES)
    return migration_check_create(
        actor=project.manager,
        project=project,
        name=kwargs.pop("name", "customers"),
        source=source,
        target=target,
        **kwargs,
    )


def csv_file(name, text):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def state():
    return (
        list(MigrationCheck.objects.values()),
        list(MigrationExtract.objects.values()),
        list(MigrationResult.objects.values()),
        AuditEvent.objects.count(),
        media_files(),
    )


class CreateTests:
    def test_database_url_stored_encrypted_and_masked(self, project):
        """A URL's password is encrypted in the secret and masked in the display."""
        url = f"postgresql+psycopg://app:{SECRET}@db.example:5432/erp"
        check = make_check(project, url, "csv")
        assert check.source_kind == "database"
        assert SECRET not in check.source_secret
        assert secret_decrypt(check.source_secret) == url
        assert check.source_display == "postgresql+psycopg://app:***@db.example:5432/erp"
        assert (check.target_kind, check.target_display) == ("csv", "csv")
        event = AuditEvent.objects.get(action="migration_check.create")
        assert SECRET not in str(event.changes)
        assert "source_secret" not in event.changes

    def test_env_reference(self, project):
        """env:NAME stores the variable name only."""
        check = make_check(project, "env:LEGACY_DB", "csv")
        assert (check.source_kind, check.source_secret, check.source_display) == (
            "env",
            "LEGACY_DB",
            "env:LEGACY_DB",
        )

    def test_tables_normalized(self, project):
        """Table entries are stored normalized (target filled in, key as a list)."""
        check = make_check(project, "csv", "csv", tables=[{"source": "a", "key": "id"}])
        assert check.tables == [
            {"source": "a", "target": "a", "key": ["id"], "columns": [], "aggregates": {}}
        ]

    @pytest.mark.parametrize(
        ("kwargs", "field", "text"),
        [
            ({"source": "nosuch+drv://u:x@h/db"}, "source", "unknown database dialect"),
            ({"source": "not a url at all"}, "source", "not a database URL"),
            ({"target": "env:1BAD"}, "target", "env:NAME"),
            ({"tables": [{"source": "a"}]}, "tables", "tables[0] (a): key"),
            ({"tables": []}, "tables", "Give the tables"),
            ({"name": "Bad Name!"}, "name", ""),
            ({"max_missing": -1}, "max_missing", "0 or more"),
            ({"sample_size": 5000}, "sample_size", ""),
        ],
    )
    def test_bad_input_refused_nothing_saved(self, project, kwargs, field, text):
        """Bad input is refused on the field, with nothing saved."""
        before = state()
        args = {"source": "csv", "target": "csv", **kwargs}
        with pytest.raises(ValidationError) as caught:
            make_check(project, args.pop("source"), args.pop("target"), **args)
        assert field in caught.value.message_dict
        assert text in " ".join(caught.value.message_dict[field])
        assert SECRET not in str(caught.value)
        assert state() == before

    def test_own_database_refused(self, project, tmp_path, monkeypatch):
        """A URL pointing at golive's own database is refused, given directly or through env."""
        databases = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": "127.0.0.1",
                "NAME": "golive",
            },
            "other": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "golive.db")},
        }
        assert own_database("postgresql+psycopg://postgres@localhost:5432/golive", databases)
        assert own_database(f"sqlite:///{tmp_path}/golive.db", databases)
        assert not own_database("postgresql+psycopg://postgres@localhost:5432/legacy", databases)
        assert not own_database("postgresql+psycopg://postgres@db.example/golive", databases)
        monkeypatch.setattr(
            "golive.rollout.services.migrations.own_database",
            lambda url, databases=None: "own" in url,
        )
        with pytest.raises(ValidationError, match="golive's own database"):
            make_check(project, "sqlite:///own.db", "csv")
        check = make_check(project, "env:GOLIVE_TEST_OWN", "csv")
        monkeypatch.setenv("GOLIVE_TEST_OWN", "sqlite:///own.db")
        result = migration_check_run(actor=project.manager, check=check)
        assert result.error == (
            "source: GOLIVE_TEST_OWN points at golive's own database; a check compares a "
            "migration's source and target, and its samples would show golive's data."
        )

    def test_duplicate_name(self, project):
        """A second check with the same name is refused."""
        make_check(project, "csv", "csv")
        with pytest.raises(ValidationError, match="already has a migration check"):
            make_check(project, "csv", "csv")

    def test_verify_unreachable_nothing_saved(self, project, urls):
        """With verify, an unreachable database refuses the check, naming host and port."""
        before = state()
        with pytest.raises(ValidationError) as caught:
            make_check(
                project, f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/x", urls[1], verify=True
            )
        message = " ".join(caught.value.message_dict["source"])
        assert "cannot reach the database server at 127.0.0.1:1" in message
        assert SECRET not in message
        assert state() == before

    def test_verify_wrong_credentials(self, project, urls):
        """With verify, a refused login is answered naming the user, nothing saved."""
        try:
            socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
        except OSError:
            pytest.skip(
                "PostgreSQL is not reachable on 127.0.0.1:5432: no server to refuse a login"
            )
        before = state()
        with pytest.raises(ValidationError) as caught:
            make_check(
                project,
                urls[0],
                f"postgresql+psycopg://nosuchuser:{SECRET}@127.0.0.1:5432/postgres",
                verify=True,
            )
        message = " ".join(caught.value.message_dict["target"])
        assert "authentication failed for user 'nosuchuser'" in message
        assert SECRET not in message
        assert state() == before

    def test_verify_missing_table(self, project, urls):
        """With verify, a table missing on a side is named."""
        with pytest.raises(ValidationError, match="'customers' does not exist"):
            make_check(
                project,
                urls[0],
                urls[1],
                tables=[{"source": "customers", "key": ["id"]}],
                verify=True,
            )
        assert make_check(project, urls[0], urls[1], verify=True).pk


class AccessTests:
    def test_only_manager_creates(self, project, team):
        """Viewers, contributors and approvers may not define checks; outsiders get NotFound."""
        for role in ("viewer", "contributor", "approver"):
            with pytest.raises(PermissionDenied):
                migration_check_create(
                    actor=team[role],
                    project=project,
                    name="x",
                    source="csv",
                    target="csv",
                    tables=TABLES,
                )
        outsider = ProjectFactory().manager
        with pytest.raises(NotFound):
            migration_check_create(
                actor=outsider, project=project, name="x", source="csv", target="csv", tables=TABLES
            )
        assert not MigrationCheck.objects.exists()

    def test_run_needs_contributor(self, project, team, urls):
        """A viewer may not run a check; a contributor may; an outsider gets NotFound."""
        check = make_check(project, *urls, max_missing=5, max_extra=5, max_changed=5)
        with pytest.raises(PermissionDenied):
            migration_check_run(actor=team["viewer"], check=check)
        with pytest.raises(NotFound):
            migration_check_run(actor=ProjectFactory().manager, check=check)
        assert not MigrationResult.objects.exists()
        result = migration_check_run(actor=team["contributor"], check=check)
        assert result.run_by == team["contributor"]
        assert result.passed

    def test_viewer_reads_outsider_not(self, project, team):
        """Viewers list checks; outsiders get NotFound."""
        make_check(project, "csv", "csv")
        assert [c.name for c in migration_check_list(user=team["viewer"], project=project)] == [
            "customers"
        ]
        with pytest.raises(NotFound):
            migration_check_list(user=ProjectFactory().manager, project=project)


class RunTests:
    def test_differences_found_and_thresholds(self, project, urls):
        """A run finds the planted rows; beyond the thresholds it fails, within them it passes."""
        check = make_check(project, *urls)
        result = migration_check_run(actor=project.manager, check=check)
        assert not result.passed
        table = result.report["tables"][0]
        assert table["missing_sample"] == [{"id": "4"}]
        assert table["extra_sample"] == [{"id": "5"}]
        assert [(c["key"], c["column"]) for c in table["changed_sample"]] == [
            ({"id": "2"}, "name"),
            ({"id": "3"}, "balance"),
        ]
        assert (
            result.summary
            == "customers → customer: 1 missing, 1 extra, 2 changed of 4 rows — failed"
        )
        assert result.report["reasons"] == [
            "1 key missing in the target (at most 0 allowed)",
            "1 key extra in the target (at most 0 allowed)",
            "2 rows changed (at most 0 allowed)",
        ]
        assert result.error == ""
        check = migration_check_update(
            actor=project.manager, check=check, max_missing=1, max_extra=1, max_changed=2, version=1
        )
        again = migration_check_run(actor=Operator(), check=check)
        assert again.passed and again.run_by is None
        assert again.summary.endswith("— passed")
        assert AuditEvent.objects.filter(action="migration_check.run").count() == 2

    def test_unreachable_database_is_stored_failed(self, project, urls):
        """An unreachable database gives a stored failed result with its error."""
        check = make_check(project, f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/x", urls[1])
        result = migration_check_run(actor=project.manager, check=check)
        assert not result.passed
        assert result.error.startswith("source: cannot reach the database server at 127.0.0.1:1")
        assert SECRET not in result.error + result.summary + str(result.report)
        assert result.report["source"] == "postgresql+psycopg://u:***@127.0.0.1:1/x"
        assert MigrationResult.objects.count() == 1

    def test_env_reference_read_at_run(self, project, urls, monkeypatch):
        """An env: side reads its URL from the environment when the check runs."""
        check = make_check(project, "env:GOLIVE_TEST_LEGACY", urls[1])
        monkeypatch.delenv("GOLIVE_TEST_LEGACY", raising=False)
        result = migration_check_run(actor=project.manager, check=check)
        assert (
            result.error
            == "source: the environment variable GOLIVE_TEST_LEGACY is not set on this server."
        )
        monkeypatch.setenv("GOLIVE_TEST_LEGACY", urls[0])
        result = migration_check_run(actor=project.manager, check=check)
        assert result.error == "" and result.report["totals"]["missing"] == 1
        assert result.report["source"] == "env:GOLIVE_TEST_LEGACY"

    def test_missing_table_fails_with_error(self, project, urls):
        """A missing table is a failed result naming it."""
        check = make_check(project, *urls, tables=[{"source": "customers", "key": ["id"]}])
        result = migration_check_run(actor=project.manager, check=check)
        assert not result.passed
        assert "target: the table 'customers' does not exist" in result.error
        assert result.summary == "customers: not compared — failed"

    def test_wrong_credentials_stored_failed(self, project, urls):
        """A refused login is a stored failed result naming the user, not the password."""
        try:
            socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
        except OSError:
            pytest.skip(
                "PostgreSQL is not reachable on 127.0.0.1:5432: no server to refuse a login"
            )
        url = f"postgresql+psycopg://nosuchuser:{SECRET}@127.0.0.1:5432/postgres"
        check = make_check(project, urls[0], url)
        result = migration_check_run(actor=project.manager, check=check)
        assert not result.passed
        assert result.error.startswith("target: authentication failed for user 'nosuchuser'")
        assert SECRET not in result.error + result.summary + str(result.report)

    def test_unreadable_secret_and_lost_file_fail_clearly(self, project, urls, settings):
        """A URL stored under another key, or an extract file gone, is a failed result saying so."""
        check = make_check(project, urls[0], "csv")
        extract = migration_extract_upload(
            actor=project.manager,
            check=check,
            side="target",
            table="customer",
            file=csv_file("c.csv", "id\n1\n"),
        )
        extract.file.storage.delete(extract.file.name)
        result = migration_check_run(actor=project.manager, check=check)
        assert result.error == (
            "target: the extract of the table 'customer' is no longer in the file store; "
            "upload it again."
        )
        settings.GOLIVE_SECRETS_KEY = "another key altogether"
        result = migration_check_run(actor=project.manager, check=check)
        assert result.error.startswith("source: The stored URL cannot be decrypted")
        assert MigrationResult.objects.filter(passed=False).count() == 2

    def test_missing_extract_fails(self, project, urls):
        """A CSV side without its extract is a failed result saying which table lacks one."""
        check = make_check(project, "csv", urls[1])
        result = migration_check_run(actor=project.manager, check=check)
        assert not result.passed
        assert result.error == (
            "source: no CSV extract of the table 'customers' has been uploaded."
        )

    def test_run_step_of_another_project_refused(self, project, urls):
        """A run step of another project cannot carry this check's result."""
        from golive.rollout.tests.factories import RunStepFactory

        check = make_check(project, *urls)
        with pytest.raises(ValidationError, match="another project"):
            migration_check_run(actor=project.manager, check=check, run_step=RunStepFactory())
        assert not MigrationResult.objects.exists()


class ExtractTests:
    def test_upload_and_run_csv_against_sqlite(self, project, urls):
        """An uploaded CSV extract is compared with the target database."""
        check = make_check(project, "csv", urls[1])
        extract = migration_extract_upload(
            actor=project.manager,
            check=check,
            side="source",
            table="customers",
            file=csv_file("c.csv", "id,name,balance\n1,Ada,10\n2,Robert,20.00\n3,Cy,31\n5,Ed,50\n"),
        )
        assert extract.rows == 4
        result = migration_check_run(actor=project.manager, check=check)
        assert result.passed, result.report
        assert result.report["tables"][0]["source_rows"] == 4

    def test_duplicate_keys_fail(self, project):
        """A key repeated in an extract fails the check, whatever the thresholds."""
        check = make_check(project, "csv", "csv", max_missing=9, max_extra=9, max_changed=9)
        for side, table, text in (
            ("source", "customers", "id,name\n1,a\n1,b\n2,c\n"),
            ("target", "customer", "id,name\n1,a\n2,c\n"),
        ):
            migration_extract_upload(
                actor=project.manager,
                check=check,
                side=side,
                table=table,
                file=csv_file("x.csv", text),
            )
        result = migration_check_run(actor=project.manager, check=check)
        assert not result.passed
        assert result.report["reasons"] == ["1 key repeated on a side"]
        assert result.report["tables"][0]["duplicates"]["source"]["sample"] == [{"id": "1"}]

    def test_replace_keeps_one_extract(self, project, django_capture_on_commit_callbacks):
        """A second upload of the same table replaces the first and its file (once committed)."""
        check = make_check(project, "csv", "csv")
        first = migration_extract_upload(
            actor=project.manager,
            check=check,
            side="target",
            table="customer",
            file=csv_file("a.csv", "id\n1\n"),
        )
        with django_capture_on_commit_callbacks(execute=True):
            second = migration_extract_upload(
                actor=project.manager,
                check=check,
                side="target",
                table="customer",
                file=csv_file("b.csv", "id\n1\n2\n"),
            )
        assert list(MigrationExtract.objects.values_list("pk", flat=True)) == [second.pk]
        assert second.rows == 2
        assert len(media_files()) == 1 and first.file.name != second.file.name
        assert AuditEvent.objects.filter(action="migration_extract.replace").count() == 1

    @pytest.mark.parametrize(
        ("side", "table", "text", "field", "message"),
        [
            ("source", "customers", "id,name\n1,a\n2,b,c\n", "file", "line 3"),
            ("source", "customers", "name\nAda\n", "file", "has no column id"),
            ("source", "orders", "id\n1\n", "table", "compares no table 'orders'"),
            ("target", "customer", "id\n1\n", "side", "not CSV extracts"),
            ("middle", "customers", "id\n1\n", "side", "not a side"),
        ],
    )
    def test_bad_upload_nothing_stored(self, project, urls, side, table, text, field, message):
        """A bad extract, table or side is refused and nothing is stored."""
        check = make_check(project, "csv", urls[1])
        before = state()
        with pytest.raises(ValidationError) as caught:
            migration_extract_upload(
                actor=project.manager,
                check=check,
                side=side,
                table=table,
                file=csv_file("x.csv", text),
            )
        assert message in " ".join(caught.value.message_dict[field])
        assert state() == before

    def test_upload_needs_manager(self, project, team):
        """Only a manager uploads extracts."""
        check = make_check(project, "csv", "csv")
        with pytest.raises(PermissionDenied):
            migration_extract_upload(
                actor=team["contributor"],
                check=check,
                side="source",
                table="customers",
                file=csv_file("a.csv", "id\n1\n"),
            )

    def test_update_prunes_stale_extracts(self, project, urls, django_capture_on_commit_callbacks):
        """Turning a CSV side into a database removes its extracts and files."""
        check = make_check(project, "csv", "csv")
        migration_extract_upload(
            actor=project.manager,
            check=check,
            side="source",
            table="customers",
            file=csv_file("a.csv", "id\n1\n"),
        )
        with django_capture_on_commit_callbacks(execute=True):
            migration_check_update(actor=project.manager, check=check, source=urls[0])
        assert not MigrationExtract.objects.exists()
        assert media_files() == []


class UpdateDeleteTests:
    def test_stale_version_refused(self, project):
        """An update against an old version is a Conflict."""
        check = make_check(project, "csv", "csv")
        migration_check_update(actor=project.manager, check=check, title="One", version=1)
        with pytest.raises(Conflict):
            migration_check_update(actor=project.manager, check=check, title="Two", version=1)

    def test_replace_secret_audited_without_it(self, project):
        """Entering the URL again is audited as replaced, never with its value."""
        check = make_check(project, f"postgresql+psycopg://a:{SECRET}@h/db", "csv")
        migration_check_update(
            actor=project.manager, check=check, source=f"postgresql+psycopg://a:{SECRET}2@h/db"
        )
        event = AuditEvent.objects.get(action="migration_check.update")
        assert event.changes["source_secret"] == ["", "replaced"]
        assert SECRET not in str(event.changes)

    def test_failed_verify_leaves_check_unchanged(self, project, urls):
        """An update whose verification fails changes nothing."""
        check = make_check(project, *urls)
        before = state()
        with pytest.raises(ValidationError, match=r"127\.0\.0\.1:1"):
            migration_check_update(
                actor=project.manager,
                check=check,
                title="New",
                target=f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/x",
                verify=True,
            )
        assert state() == before

    def test_unknown_field_refused(self, project):
        """Only the check's own fields can be changed."""
        check = make_check(project, "csv", "csv")
        with pytest.raises(ValidationError, match="Cannot change"):
            migration_check_update(actor=project.manager, check=check, source_secret="x")

    def test_delete_refused_while_a_step_uses_it(self, project):
        """A check run by a runbook step cannot be deleted; otherwise it is, with its results."""
        check = make_check(project, "csv", "csv")
        runbook = RunbookFactory(project=project, name="cutover")
        step = StepFactory(runbook=runbook, key="verify", kind="check", migration_check=check)
        with pytest.raises(ValidationError, match="cutover/verify"):
            migration_check_delete(actor=project.manager, check=check)
        step.delete()
        migration_check_run(actor=project.manager, check=check)
        migration_check_delete(actor=project.manager, check=check)
        assert not MigrationCheck.objects.exists() and not MigrationResult.objects.exists()


class SelectorTests:
    def test_list_with_latest_result_without_n_plus_one(self, project, urls):
        """The list carries each check's latest result in a fixed number of queries."""
        for n in range(3):
            check = make_check(project, *urls, name=f"check-{n}", check_set="erp" if n else "")
            migration_check_run(actor=project.manager, check=check)
            migration_check_run(actor=project.manager, check=check)
        with CaptureQueriesContext(connection) as ctx:
            checks = migration_check_list(user=project.manager, project=project)
            summaries = [c.latest_result.summary for c in checks]
            displays = [c.source_display for c in checks]
        assert len(ctx) <= 4, [q["sql"] for q in ctx.captured_queries]
        assert len(summaries) == 3 and all(d.startswith("sqlite:///") for d in displays)
        latest = MigrationResult.objects.filter(check_obj=checks[0]).first()
        assert checks[0].latest_result.pk == latest.pk
        assert "source_secret" in checks[0].get_deferred_fields()
        erp = migration_check_list(user=project.manager, project=project, check_set="erp")
        assert [c.name for c in erp] == ["check-1", "check-2"]

    def test_get_and_results(self, project, urls):
        """A check is found by name; its results by id; unknown ones are NotFound."""
        check = make_check(project, *urls)
        result = migration_check_run(actor=project.manager, check=check)
        found = migration_check_get(user=project.manager, project=project, name="customers")
        assert found.latest_result.pk == result.pk
        assert [r.pk for r in migration_result_list(user=project.manager, check=found)] == [
            result.pk
        ]
        assert migration_result_get(user=project.manager, check=found, result_id=result.pk).report
        with pytest.raises(NotFound):
            migration_check_get(user=project.manager, project=project, name="nope")
        with pytest.raises(NotFound):
            migration_result_get(user=project.manager, check=found, result_id=result.pk + 99)
