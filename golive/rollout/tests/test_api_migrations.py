"""API tests: migration checks, their CSV extracts (multipart), runs and results; no secrets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from golive.audit.models import AuditEvent
from golive.config.tests import support
from golive.config.tests.support import (
    ApiClient,
    Endpoint,
    assert_problem,
    callers_for,
    expected_status,
    matrix_cases,
    queries_for,
    run_matrix,
)
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.rollout.models import MigrationCheck, MigrationExtract, MigrationResult
from golive.rollout.services.migrations import (
    migration_check_create,
    migration_check_run,
    migration_extract_upload,
)
from golive.rollout.tests.test_api_plan import _rollout_state  # noqa: F401  (autouse fixture)

SOURCE_CSV = b"id,name\n1,Ada\n2,Grace\n3,Edsger\n"
TARGET_CSV = b"id,name\n1,Ada\n2,Grace\n3,Edsger\n"
TABLES = [{"source": "customers", "target": "customer", "key": ["id"], "columns": ["name"]}]
SECRET_URL = "postgresql+psycopg://app:s3cret-pw@db.example.com:5432/erp"


def _csv(name, content):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def make_check(project, name="customers", **fields):
    """Define a CSV-to-CSV check of customers → customer."""
    fields.setdefault("source", "csv")
    fields.setdefault("target", "csv")
    fields.setdefault("tables", TABLES)
    return migration_check_create(actor=project.manager, project=project, name=name, **fields)


def upload_both(check, source=SOURCE_CSV, target=TARGET_CSV):
    manager = check.project.manager
    migration_extract_upload(
        actor=manager, check=check, side="source", table="customers", file=_csv("s.csv", source)
    )
    migration_extract_upload(
        actor=manager, check=check, side="target", table="customer", file=_csv("t.csv", target)
    )


def _check(project, callers):
    make_check(project)
    return {"name": "customers"}


def _ready(project, callers):
    upload_both(make_check(project))
    return {"name": "customers"}


def _result(project, callers):
    check = make_check(project)
    upload_both(check)
    result = migration_check_run(actor=project.manager, check=check)
    return {"name": "customers", "result": result.pk}


M = "/projects/{key}/rollout/migration-checks"
ENDPOINTS = [
    Endpoint("checks-list", "GET", M, setup=_result),
    Endpoint(
        "checks-create",
        "POST",
        M,
        min_role="manager",
        body={"name": "orders", "source": "csv", "target": "csv", "tables": TABLES},
        ok=201,
    ),
    Endpoint("checks-get", "GET", M + "/{name}", setup=_ready),
    Endpoint(
        "checks-update",
        "PATCH",
        M + "/{name}",
        min_role="manager",
        body={"version": 1, "max_changed": 2},
        setup=_check,
    ),
    Endpoint("checks-delete", "DELETE", M + "/{name}", min_role="manager", setup=_ready, ok=204),
    Endpoint("checks-run", "POST", M + "/{name}/run", min_role="contributor", setup=_ready, ok=201),
    Endpoint("results-list", "GET", M + "/{name}/results", setup=_result),
    Endpoint("results-get", "GET", M + "/{name}/results/{result}", setup=_result),
]


@pytest.mark.django_db
class MigrationAccessMatrixTests:
    @pytest.mark.parametrize(("endpoint", "caller"), matrix_cases(ENDPOINTS))
    def test_caller_gets_expected_status(self, endpoint, caller):
        """Each caller gets 401/404/403 or success, and a refusal writes nothing."""
        run_matrix(endpoint, caller)

    @pytest.mark.parametrize("caller", support.CALLERS)
    def test_extract_multipart_upload(self, caller):
        """Managers upload a CSV extract; others are refused and no file is stored."""
        project = ProjectFactory(key="MTX", manager=UserFactory(username="boss"))
        callers = callers_for(project)
        make_check(project)
        api = ApiClient(callers[caller])
        before = support.db_state()
        response = api.post(
            "/projects/MTX/rollout/migration-checks/customers/extracts",
            {"side": "source", "table": "customers"},
            files={"file": _csv("customers.csv", SOURCE_CSV)},
        )
        expected = expected_status(caller, "manager", 201)
        if expected >= 400:
            assert_problem(response, expected)
            assert support.db_state() == before, "a refused upload changed the database or files"
        else:
            assert response.status_code == 201, response.content
            assert AuditEvent.objects.count() > len(before["AuditEvent"]), "no audit event"


P = "/projects/ERP/rollout/migration-checks"


@pytest.fixture
def project():
    return ProjectFactory(key="ERP", manager=UserFactory(username="pm"))


@pytest.fixture
def team(project):
    return team_for(project)


@pytest.fixture
def pm(project):
    return ApiClient(project.manager)


@pytest.mark.django_db
class MigrationCheckApiTests:
    def test_database_url_is_never_shown_back(self, project, team, pm):
        """A database side answers masked everywhere; the password is stored encrypted only."""
        response = pm.post(
            P,
            {"name": "erp", "source": SECRET_URL, "target": "env:TARGET_DB_URL", "tables": TABLES},
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["source_kind"] == "database" and body["target_kind"] == "env"
        assert body["source"] == "postgresql+psycopg://app:***@db.example.com:5432/erp"
        assert body["target"] == "env:TARGET_DB_URL"
        assert "secret" not in str(sorted(body))
        viewer = ApiClient(team["viewer"])
        for path in (P, f"{P}/erp"):
            assert b"s3cret-pw" not in viewer.get(path).content
        assert b"s3cret-pw" not in response.content
        stored = MigrationCheck.objects.get(name="erp")
        assert "s3cret-pw" not in stored.source_secret and stored.source_secret

    def test_bad_definitions_are_422(self, project, pm):
        """An unknown driver, a malformed side or a table without key is refused."""
        for payload in (
            {"name": "a", "source": "nosuchdb://x/y", "target": "csv", "tables": TABLES},
            {"name": "a", "source": "env:", "target": "csv", "tables": TABLES},
            {"name": "a", "source": "csv", "target": "csv", "tables": [{"source": "t", "key": []}]},
            {"name": "a", "source": "csv", "target": "csv", "tables": TABLES, "sample_size": 5000},
        ):
            assert_problem(pm.post(P, payload), 422)
        assert not MigrationCheck.objects.exists()

    def test_update_with_version(self, project, pm):
        """A change with the current version applies; a stale one gets 409."""
        make_check(project)
        changed = pm.patch(
            f"{P}/customers", {"version": 1, "max_missing": 3, "check_set": "wave-1"}
        )
        assert changed.status_code == 200, changed.content
        assert (changed.json()["max_missing"], changed.json()["version"]) == (3, 2)
        assert_problem(pm.patch(f"{P}/customers", {"version": 1, "max_extra": 1}), 409)

    def test_upload_run_and_read_the_result(self, project, team, pm):
        """Extracts are uploaded by side and table; a run stores a passing result with a report."""
        make_check(project)
        path = f"{P}/customers"
        up = pm.post(
            f"{path}/extracts",
            {"side": "source", "table": "customers"},
            files={"file": _csv("customers.csv", SOURCE_CSV)},
        )
        assert up.status_code == 201, up.content
        assert (up.json()["side"], up.json()["table"], up.json()["rows"]) == (
            "source",
            "customers",
            3,
        )
        pm.post(
            f"{path}/extracts",
            {"side": "target", "table": "customer"},
            files={"file": _csv("customer.csv", b"id,name\n1,Ada\n2,Grace H\n")},
        )
        detail = pm.get(path).json()
        assert [(e["side"], e["table"]) for e in detail["extracts"]] == [
            ("source", "customers"),
            ("target", "customer"),
        ]
        run = ApiClient(team["contributor"]).post(f"{path}/run")
        assert run.status_code == 201, run.content
        result = run.json()
        assert result["passed"] is False and result["run_by"] == "erp-contributor"
        assert result["report"]
        listed = pm.get(f"{path}/results").json()
        assert listed["count"] == 1 and "report" not in listed["items"][0]
        got = pm.get(f"{path}/results/{result['id']}").json()
        assert got["summary"] == result["summary"] and got["report"] == result["report"]
        assert pm.get(path).json()["latest_result"]["id"] == result["id"]

    def test_bad_uploads_are_422_and_store_nothing(self, project, pm):
        """An unknown side or table, or a file lacking the key column, is refused."""
        make_check(project)
        path = f"{P}/customers/extracts"
        for data, content in (
            ({"side": "middle", "table": "customers"}, SOURCE_CSV),
            ({"side": "source", "table": "orders"}, SOURCE_CSV),
            ({"side": "source", "table": "customers"}, b"name\nAda\n"),
        ):
            response = pm.post(path, data, files={"file": _csv("x.csv", content)})
            assert_problem(response, 422)
        assert_problem(pm.post(path, {"side": "source", "table": "customers"}), 422)
        assert not MigrationExtract.objects.exists()
        assert support.media_files() == []

    def test_unreachable_database_is_a_failed_result(self, project, pm):
        """A side that cannot be read gives a failed result carrying the error (evidence)."""
        make_check(project, "erp", source="sqlite:////nonexistent-dir/erp.db")
        response = pm.post(f"{P}/erp/run")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["passed"] is False and body["error"]
        assert MigrationResult.objects.count() == 1

    def test_unknown_check_and_result_are_404(self, project, pm):
        """Another project's check and another check's result are not found."""
        other = make_check(ProjectFactory(key="CRM", manager=project.manager))
        upload_both(other)
        result = migration_check_run(actor=project.manager, check=other)
        assert_problem(pm.get(f"{P}/customers"), 404)
        make_check(project)
        assert_problem(pm.get(f"{P}/customers/results/{result.pk}"), 404)

    def test_list_and_results_queries_do_not_grow(
        self, project, team, django_assert_max_num_queries
    ):
        """Listing 6 checks (extracts, latest results) or 5 results costs the same as 1."""
        api = ApiClient(team["viewer"])
        first = make_check(project, "c0")
        upload_both(first)
        migration_check_run(actor=project.manager, check=first)
        api.get(P)
        checks_baseline = queries_for(api, P)
        results_baseline = queries_for(api, f"{P}/c0/results")
        for n in range(1, 6):
            check = make_check(project, f"c{n}", check_set="wave-1")
            upload_both(check)
            migration_check_run(actor=project.manager, check=check)
            migration_check_run(actor=team["contributor"], check=first)
        with django_assert_max_num_queries(checks_baseline):
            assert api.get(P).json()["count"] == 6
        with django_assert_max_num_queries(results_baseline):
            assert api.get(f"{P}/c0/results").json()["count"] == 6
        assert api.get(P, {"check_set": "wave-1"}).json()["count"] == 5
