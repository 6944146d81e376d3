"""`golive migration check|list`: the report, JSON, exit codes and who may run it."""

import json
import sqlite3

import pytest

from golive.config.tests.support import run_cli
from golive.projects.tests.factories import ProjectFactory, team_for
from golive.rollout.models import MigrationResult
from golive.rollout.services.migrations import migration_check_create

pytestmark = pytest.mark.django_db

SECRET = "top-s3cret-pw"
SOURCE_SQL = """
CREATE TABLE items (sku TEXT PRIMARY KEY, qty INTEGER);
INSERT INTO items VALUES ('A', 1), ('B', 2), ('C', 3);
"""
TARGET_SQL = """
CREATE TABLE items (sku TEXT PRIMARY KEY, qty INTEGER);
INSERT INTO items VALUES ('A', 1), ('B', 5), ('D', 4);
"""


def sqlite_db(path, script):
    db = sqlite3.connect(path)
    db.executescript(script)
    db.commit()
    db.close()
    return f"sqlite:///{path}"


@pytest.fixture
def project():
    return ProjectFactory(key="MIG")


@pytest.fixture
def urls(tmp_path):
    return sqlite_db(tmp_path / "s.db", SOURCE_SQL), sqlite_db(tmp_path / "t.db", TARGET_SQL)


def make(project, source, target, name="items", **kwargs):
    return migration_check_create(
        actor=project.manager,
        project=project,
        name=name,
        source=source,
        target=target,
        tables=[{"source": "items", "key": ["sku"], "aggregates": {"qty": ["sum"]}}],
        **kwargs,
    )


class MigrationCheckCommandTests:
    def test_failed_check_exits_1_with_report(self, project, urls, capsys):
        """A failing check prints the differences and exits 1; the result is stored."""
        make(project, *urls)
        code, out, _err = run_cli("migration", "check", "items", "--project", "MIG", capsys=capsys)
        assert code == 1
        assert "MIG · migration check items FAILED" in out
        assert "missing: C" in out and "extra: D" in out
        assert "changed B qty: '2' → '5'" in out
        assert "sum(qty): 6 ≠ 10" in out
        result = MigrationResult.objects.get()
        assert result.run_by is None and not result.passed

    def test_passing_check_exits_0_json(self, project, urls, capsys):
        """A check within its thresholds exits 0; --json prints the stored report."""
        make(project, *urls, max_missing=1, max_extra=1, max_changed=1)
        user = project.manager.username
        code, out, _err = run_cli(
            "migration",
            "check",
            "items",
            "--project",
            "MIG",
            "--user",
            user,
            "--json",
            capsys=capsys,
        )
        assert code == 0
        data = json.loads(out)
        assert data["passed"] is True
        assert data["tables"][0]["missing_sample"] == [{"sku": "C"}]
        assert data["totals"]["changed"] == 1
        assert {"result_id", "summary", "error", "thresholds", "source", "target"} <= set(data)
        assert MigrationResult.objects.get().run_by == project.manager

    def test_unreachable_database_exits_1_without_secret(self, project, urls, capsys):
        """An unreachable source is a stored failure; the password never appears."""
        make(project, f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/x", urls[1])
        code, out, err = run_cli("migration", "check", "items", "--project", "MIG", capsys=capsys)
        assert code == 1
        assert "cannot reach the database server at 127.0.0.1:1" in out
        assert SECRET not in out + err
        assert MigrationResult.objects.count() == 1

    def test_usage_errors_exit_2(self, project, capsys):
        """An unknown check, project or user exits 2 with a message."""
        code, _out, err = run_cli("migration", "check", "nope", "--project", "MIG", capsys=capsys)
        assert code == 2 and "no migration check 'nope'" in err
        code, _out, err = run_cli("migration", "check", "x", "--project", "NOPE", capsys=capsys)
        assert code == 2 and "does not exist" in err
        code, _out, err = run_cli(
            "migration", "check", "x", "--project", "MIG", "--user", "ghost", capsys=capsys
        )
        assert code == 2 and "ghost" in err

    def test_viewer_may_not_run(self, project, urls, capsys):
        """A viewer is refused (exit 2) and nothing is stored."""
        make(project, *urls)
        viewer = team_for(project, roles=("viewer",))["viewer"]
        code, _out, err = run_cli(
            "migration",
            "check",
            "items",
            "--project",
            "MIG",
            "--user",
            viewer.username,
            capsys=capsys,
        )
        assert code == 2 and "contributor" in err
        assert not MigrationResult.objects.exists()


class MigrationListCommandTests:
    def test_list_shows_masked_sides_and_latest(self, project, urls, capsys):
        """The list shows each check's masked sides and latest result."""
        make(project, f"postgresql+psycopg://u:{SECRET}@db:5432/erp", urls[1], name="legacy")
        make(project, *urls, name="items", check_set="erp")
        run_cli("migration", "check", "items", "--project", "MIG", capsys=capsys)
        code, out, _err = run_cli("migration", "list", "--project", "MIG", capsys=capsys)
        assert code == 0
        assert "postgresql+psycopg://u:***@db:5432/erp" in out and SECRET not in out
        assert "never run" in out and "— failed" in out
        code, out, _err = run_cli(
            "migration", "list", "--project", "MIG", "--set", "erp", "--json", capsys=capsys
        )
        data = json.loads(out)
        assert [c["name"] for c in data["checks"]] == ["items"]
        assert data["checks"][0]["latest"]["passed"] is False
