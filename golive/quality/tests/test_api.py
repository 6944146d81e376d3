"""API tests: who may call every quality endpoint, and the OpenAPI document lists them."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from golive.audit.models import AuditEvent
from golive.config.tests import support
from golive.config.tests.support import (
    API,
    ApiClient,
    Endpoint,
    assert_problem,
    callers_for,
    expected_status,
    matrix_cases,
    run_matrix,
)
from golive.projects.tests.factories import ProjectFactory, UserFactory
from golive.quality.models import (
    Defect,
    Requirement,
    Signature,
    SignOff,
    TestCase,
    TestPlan,
    TestResult,
    TestRun,
)
from golive.quality.services.defects import defect_report
from golive.quality.services.signoffs import signoff_open, signoff_sign
from golive.quality.services.testing import (
    requirement_create,
    test_case_create,
    test_plan_create,
    test_result_record,
    test_run_create,
)

REPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="auth">
  <testcase classname="auth" name="login" time="0.5"/>
  <testcase classname="auth" name="logout" time="0.2"><failure message="boom">trace</failure></testcase>
</testsuite>
"""

_plain_db_state = support.db_state


def quality_db_state():
    """The shared DB snapshot plus every quality row and link."""
    state = _plain_db_state()
    for model in (Requirement, TestPlan, TestCase, TestRun, TestResult, Defect, SignOff, Signature):
        state[model.__name__] = list(model.objects.order_by("pk").values())
    for name, through in {
        "CaseRequirements": TestCase.requirements.through,
        "RequirementPackages": Requirement.work_packages.through,
        "DefectCases": Defect.cases.through,
        "DefectRequirements": Defect.requirements.through,
        "SignOffRuns": SignOff.runs.through,
        "SignOffApprovers": SignOff.approvers.through,
    }.items():
        state[name] = list(through.objects.order_by("pk").values())
    return state


@pytest.fixture(autouse=True)
def _quality_state(monkeypatch):
    monkeypatch.setattr(support, "db_state", quality_db_state)


def _requirement(project, callers):
    requirement_create(actor=project.manager, project=project, ref="REQ-1", text="Pay invoices.")
    return {"ref": "REQ-1"}


def _plan(project, callers):
    plan = test_plan_create(
        actor=project.manager, project=project, name="UAT", owner=project.manager
    )
    return {"plan": plan.pk}


def _case(project, callers):
    case = test_case_create(
        actor=project.manager, project=project, title="Log in", key="auth::login"
    )
    return {"case": case.pk, "case_key": case.key}


def _run(project, callers):
    run = test_run_create(actor=project.manager, project=project, name="Sprint 1")
    return {"run": run.pk, **_case(project, callers)}


def _result(project, callers):
    context = _run(project, callers)
    run = TestRun.objects.get(pk=context["run"])
    test_result_record(actor=project.manager, run=run, case=context["case"], outcome="failed")
    return context


def _evidence(project, callers):
    context = _run(project, callers)
    run = TestRun.objects.get(pk=context["run"])
    result = test_result_record(
        actor=project.manager,
        run=run,
        case=context["case"],
        outcome="failed",
        evidence_file=SimpleUploadedFile("screen.png", b"\x89PNG shot", content_type="image/png"),
    )
    return {**context, "result": result.pk}


def _defect(project, callers):
    defect = defect_report(actor=project.manager, project=project, title="Crash on save")
    return {"number": defect.number}


def _signoff(project, callers):
    signoff = signoff_open(
        actor=project.manager,
        project=project,
        name="UAT wave 1",
        approvers=[callers["approver"], callers["manager"], callers["admin"]],
        quorum=3,
    )
    return {"signoff": signoff.pk}


Q = "/projects/{key}/quality"
ENDPOINTS = [
    Endpoint("req-list", "GET", Q + "/requirements", setup=_requirement),
    Endpoint(
        "req-create",
        "POST",
        Q + "/requirements",
        min_role="contributor",
        body={"ref": "REQ-9", "text": "Print payslips.", "priority": "must"},
        ok=201,
    ),
    Endpoint("req-get", "GET", Q + "/requirements/{ref}", setup=_requirement),
    Endpoint(
        "req-update",
        "PATCH",
        Q + "/requirements/{ref}",
        min_role="contributor",
        body={"version": 1, "status": "approved"},
        setup=_requirement,
    ),
    Endpoint(
        "req-delete",
        "DELETE",
        Q + "/requirements/{ref}",
        min_role="manager",
        setup=_requirement,
        ok=204,
    ),
    Endpoint("plans-list", "GET", Q + "/test-plans", setup=_plan),
    Endpoint(
        "plans-create",
        "POST",
        Q + "/test-plans",
        min_role="contributor",
        body={"name": "SIT", "owner": "{user_contributor}"},
        ok=201,
    ),
    Endpoint("plans-get", "GET", Q + "/test-plans/{plan}", setup=_plan),
    Endpoint(
        "plans-update",
        "PATCH",
        Q + "/test-plans/{plan}",
        min_role="contributor",
        body={"version": 1, "environment": "staging"},
        setup=_plan,
    ),
    Endpoint("cases-list", "GET", Q + "/test-cases", setup=_case),
    Endpoint(
        "cases-create",
        "POST",
        Q + "/test-cases",
        min_role="contributor",
        body={"title": "Reset password", "steps": [{"action": "Ask", "expected": "Mail"}]},
        ok=201,
    ),
    Endpoint("cases-get", "GET", Q + "/test-cases/{case}", setup=_case),
    Endpoint(
        "cases-update",
        "PATCH",
        Q + "/test-cases/{case}",
        min_role="contributor",
        body={"version": 1, "type": "uat"},
        setup=_case,
    ),
    Endpoint("runs-list", "GET", Q + "/runs", setup=_run),
    Endpoint(
        "runs-create",
        "POST",
        Q + "/runs",
        min_role="contributor",
        body={"name": "Manual UAT", "build": "1.4.2", "environment": "staging"},
        ok=201,
    ),
    Endpoint("runs-get", "GET", Q + "/runs/{run}", setup=_result),
    Endpoint("results-list", "GET", Q + "/runs/{run}/results?outcome=failed", setup=_result),
    Endpoint(
        "results-record",
        "POST",
        Q + "/runs/{run}/results",
        min_role="contributor",
        body={"case": "{case_key}", "outcome": "passed", "message": "Works."},
        setup=_run,
        ok=201,
    ),
    Endpoint("results-evidence", "GET", Q + "/results/{result}/evidence", setup=_evidence),
    Endpoint("flaky-list", "GET", Q + "/flaky-cases", setup=_result),
    Endpoint("defects-list", "GET", Q + "/defects", setup=_defect),
    Endpoint(
        "defects-report",
        "POST",
        Q + "/defects",
        min_role="contributor",
        body={"title": "Totals wrong", "severity": "high"},
        ok=201,
    ),
    Endpoint("defects-get", "GET", Q + "/defects/{number}", setup=_defect),
    Endpoint(
        "defects-update",
        "PATCH",
        Q + "/defects/{number}",
        min_role="contributor",
        body={"version": 1, "priority": 1},
        setup=_defect,
    ),
    Endpoint(
        "defects-transition",
        "POST",
        Q + "/defects/{number}/transitions",
        min_role="contributor",
        body={"action": "triage"},
        setup=_defect,
    ),
    Endpoint(
        "defects-flag",
        "POST",
        Q + "/defects/{number}/flag",
        min_role="manager",
        body={"blocks_go_live": True, "reason": "Payroll depends on it."},
        setup=_defect,
    ),
    Endpoint("signoffs-list", "GET", Q + "/signoffs", setup=_signoff),
    Endpoint(
        "signoffs-open",
        "POST",
        Q + "/signoffs",
        min_role="manager",
        body={"name": "UAT", "approvers": ["{user_approver}"], "quorum": 1},
        ok=201,
    ),
    Endpoint("signoffs-get", "GET", Q + "/signoffs/{signoff}", setup=_signoff),
    Endpoint(
        "signoffs-sign",
        "POST",
        Q + "/signoffs/{signoff}/sign",
        min_role="approver",
        body={"comment": "Tested on staging."},
        setup=_signoff,
    ),
    Endpoint(
        "signoffs-revoke",
        "POST",
        Q + "/signoffs/{signoff}/revoke",
        min_role="manager",
        body={"reason": "Scope changed."},
        setup=_signoff,
    ),
    Endpoint("traceability", "GET", Q + "/traceability", setup=_result),
    Endpoint("traceability-csv", "GET", Q + "/traceability?format=csv", setup=_result),
    Endpoint("dashboard", "GET", Q + "/dashboard", setup=_result),
]


@pytest.mark.django_db
class QualityAccessMatrixTests:
    @pytest.mark.parametrize(("endpoint", "caller"), matrix_cases(ENDPOINTS))
    def test_caller_gets_expected_status(self, endpoint, caller):
        """Each caller gets 401/404/403 or success, and a refusal writes nothing."""
        run_matrix(endpoint, caller)


def _custom_matrix(caller, *, min_role, ok, setup, send):
    """Like `run_matrix`, for requests the Endpoint table cannot describe (uploads, raw XML)."""
    project = ProjectFactory(key="MTX", manager=UserFactory(username="boss"))
    callers = callers_for(project)
    context = setup(project, callers) if setup else {}
    api = ApiClient(callers[caller])
    before = quality_db_state()
    response = send(api, context)
    expected = expected_status(caller, min_role, ok)
    if expected >= 400:
        assert_problem(response, expected)
        assert quality_db_state() == before, "a refused request changed the database"
    else:
        assert response.status_code == expected, (response.status_code, response.content[:500])
        assert AuditEvent.objects.count() > len(before["AuditEvent"]), "no audit event"
    return response


def _upload(api, context):
    report = SimpleUploadedFile("report.xml", REPORT, content_type="application/xml")
    return api.post("/projects/MTX/quality/runs/junit", {"run": "CI 1"}, files={"files": report})


def _raw(api, context):
    return api.client.post(
        f"{API}/projects/MTX/quality/runs/junit?run=CI%201",
        REPORT,
        content_type="application/xml",
        **api.headers,
    )


def _signed(project, callers):
    context = _signoff(project, callers)
    signoff = SignOff.objects.get(pk=context["signoff"])
    for name in ("approver", "manager", "admin"):
        signoff_sign(actor=callers[name], signoff=signoff)
    return context


def _withdraw(api, context):
    return api.post(
        f"/projects/MTX/quality/signoffs/{context['signoff']}/withdraw", {"reason": "Retest."}
    )


@pytest.mark.django_db
class QualityUploadAccessTests:
    @pytest.mark.parametrize("caller", support.CALLERS)
    def test_junit_multipart_upload(self, caller):
        """Contributors and above import a multipart report; others are refused, nothing stored."""
        _custom_matrix(caller, min_role="contributor", ok=201, setup=None, send=_upload)

    @pytest.mark.parametrize("caller", support.CALLERS)
    def test_junit_raw_body(self, caller):
        """Contributors and above import a raw XML body; others are refused, nothing stored."""
        _custom_matrix(caller, min_role="contributor", ok=201, setup=None, send=_raw)


@pytest.mark.django_db
class SignatureWithdrawAccessTests:
    @pytest.mark.parametrize("caller", ["approver", "manager", "admin"])
    def test_signer_may_withdraw(self, caller):
        """Each signer withdraws their own signature."""
        _custom_matrix(caller, min_role=None, ok=200, setup=_signed, send=_withdraw)

    @pytest.mark.parametrize(("caller", "status"), [("anonymous", 401), ("outsider", 404)])
    def test_strangers_are_refused(self, caller, status):
        """Anonymous callers and outsiders cannot reach the sign-off."""
        project = ProjectFactory(key="MTX", manager=UserFactory(username="boss"))
        context = _signed(project, callers := callers_for(project))
        api = ApiClient(callers[caller])
        before = quality_db_state()
        assert_problem(_withdraw(api, context), status)
        assert quality_db_state() == before

    @pytest.mark.parametrize("caller", ["viewer", "contributor"])
    def test_members_who_did_not_sign_have_nothing_to_withdraw(self, caller):
        """A member without a signature gets 422 saying so, and nothing changes."""
        project = ProjectFactory(key="MTX", manager=UserFactory(username="boss"))
        context = _signed(project, callers := callers_for(project))
        api = ApiClient(callers[caller])
        before = quality_db_state()
        body = assert_problem(_withdraw(api, context), 422)
        assert "not signed" in body["detail"]
        assert quality_db_state() == before


QUALITY_OPERATIONS = {
    ("get", "/projects/{key}/quality/requirements"),
    ("post", "/projects/{key}/quality/requirements"),
    ("get", "/projects/{key}/quality/requirements/{ref}"),
    ("patch", "/projects/{key}/quality/requirements/{ref}"),
    ("delete", "/projects/{key}/quality/requirements/{ref}"),
    ("get", "/projects/{key}/quality/test-plans"),
    ("post", "/projects/{key}/quality/test-plans"),
    ("get", "/projects/{key}/quality/test-plans/{plan_id}"),
    ("patch", "/projects/{key}/quality/test-plans/{plan_id}"),
    ("get", "/projects/{key}/quality/test-cases"),
    ("post", "/projects/{key}/quality/test-cases"),
    ("get", "/projects/{key}/quality/test-cases/{case_id}"),
    ("patch", "/projects/{key}/quality/test-cases/{case_id}"),
    ("get", "/projects/{key}/quality/runs"),
    ("post", "/projects/{key}/quality/runs"),
    ("post", "/projects/{key}/quality/runs/junit"),
    ("get", "/projects/{key}/quality/runs/{run_id}"),
    ("get", "/projects/{key}/quality/runs/{run_id}/results"),
    ("post", "/projects/{key}/quality/runs/{run_id}/results"),
    ("get", "/projects/{key}/quality/results/{result_id}/evidence"),
    ("get", "/projects/{key}/quality/flaky-cases"),
    ("get", "/projects/{key}/quality/defects"),
    ("post", "/projects/{key}/quality/defects"),
    ("get", "/projects/{key}/quality/defects/{number}"),
    ("patch", "/projects/{key}/quality/defects/{number}"),
    ("post", "/projects/{key}/quality/defects/{number}/transitions"),
    ("post", "/projects/{key}/quality/defects/{number}/flag"),
    ("get", "/projects/{key}/quality/signoffs"),
    ("post", "/projects/{key}/quality/signoffs"),
    ("get", "/projects/{key}/quality/signoffs/{signoff_id}"),
    ("post", "/projects/{key}/quality/signoffs/{signoff_id}/sign"),
    ("post", "/projects/{key}/quality/signoffs/{signoff_id}/withdraw"),
    ("post", "/projects/{key}/quality/signoffs/{signoff_id}/revoke"),
    ("get", "/projects/{key}/quality/traceability"),
    ("get", "/projects/{key}/quality/dashboard"),
}


@pytest.mark.django_db
class QualityOpenApiTests:
    def _document(self):
        response = Client().get(f"{API}/openapi.json")
        assert response.status_code == 200
        return json.loads(response.content)

    def test_document_lists_every_quality_operation_with_a_summary(self):
        """The OpenAPI document has exactly the quality operations, each summarised and tagged."""
        document = self._document()
        operations = {
            (method, path.removeprefix(API)): operation
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if "/quality/" in path
        }
        assert set(operations) == QUALITY_OPERATIONS
        for (method, path), operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert operation["tags"] == ["quality"]

    def test_junit_import_documents_both_request_bodies(self):
        """The JUnit import accepts a multipart form and a raw XML body."""
        operation = self._document()["paths"][f"{API}/projects/{{key}}/quality/runs/junit"]["post"]
        assert set(operation["requestBody"]["content"]) == {
            "multipart/form-data",
            "application/xml",
        }

    def test_operation_ids_are_unique(self):
        """No two operations share an id (client generators need them distinct)."""
        document = self._document()
        ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
        assert len(ids) == len(set(ids))
