"""Helpers for the API tests: a bearer-token client, the callers of the role matrix, DB state.

Each app's `tests/test_api.py` describes its endpoints as `Endpoint`s and runs them against
every caller with `run_matrix`; the rules (401 / 404 / 403 / allowed, nothing changed on a
refusal) live here once.
"""

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client

from golive.accounts.models import ApiToken, User
from golive.accounts.services import token_create
from golive.audit.models import AuditEvent
from golive.gates.models import Approval, Criterion, Decision, Gate
from golive.projects.models import Membership, Project, SuccessCriterion
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.readiness.models import ReadinessItem

API = "/api/v1"
PROBLEM = "application/problem+json"

# The callers of the matrix, lowest to highest; "outsider" manages another project only.
CALLERS = ["anonymous", "outsider", "viewer", "contributor", "approver", "manager", "admin"]
ROLE_ORDER = ["viewer", "contributor", "approver", "manager", "admin"]


_token_names = itertools.count(1)


def bearer(user: User) -> dict[str, str]:
    """Return the request headers (as Client kwargs) carrying a fresh token of `user`."""
    return {"HTTP_AUTHORIZATION": f"Bearer {_issue(user).raw}"}


def _issue(user: User):
    return token_create(user=user, name=f"t{next(_token_names)}")


class ApiClient:
    """A django.test.Client speaking JSON to /api/v1/ as one user, or anonymously."""

    def __init__(self, user: User | None = None, *, client: Client | None = None) -> None:
        self.client = client or Client(enforce_csrf_checks=True)
        self.user = user
        self.token: ApiToken | None = None
        self.headers: dict[str, str] = {}
        if user is not None:
            issued = _issue(user)
            self.token = issued.token
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {issued.raw}"}

    def request(self, method: str, path: str, data: Any = None, **extra: Any):
        """Send `data` as JSON (or as multipart when `files=` is given) and return the response."""
        url = path if path.startswith("/") and path.startswith(API) else f"{API}{path}"
        files = extra.pop("files", None)
        kwargs = {**self.headers, **extra}
        method = method.lower()
        if files is not None:
            return self.client.post(url, {**(data or {}), **files}, **kwargs)
        if method in ("get", "delete") and data is None:
            return getattr(self.client, method)(url, **kwargs)
        if method == "get":
            return self.client.get(url, data, **kwargs)
        return getattr(self.client, method)(
            url, json.dumps(data if data is not None else {}), "application/json", **kwargs
        )

    def get(self, path: str, params: dict[str, Any] | None = None, **extra: Any):
        return self.request("get", path, params, **extra)

    def post(self, path: str, data: Any = None, **extra: Any):
        return self.request("post", path, data, **extra)

    def patch(self, path: str, data: Any = None, **extra: Any):
        return self.request("patch", path, data, **extra)

    def put(self, path: str, data: Any = None, **extra: Any):
        return self.request("put", path, data, **extra)

    def delete(self, path: str, **extra: Any):
        return self.request("delete", path, None, **extra)


def callers_for(project: Project) -> dict[str, User | None]:
    """Return one user per matrix caller for `project` (anonymous is None)."""
    team = team_for(project)
    outsider = ProjectFactory(manager=UserFactory(username=f"{project.key.lower()}-outsider"))
    admin = UserFactory(username="site-admin", is_superuser=True, is_staff=True)
    return {
        "anonymous": None,
        "outsider": outsider.manager,
        **team,
        "admin": admin,
    }


def expected_status(caller: str, min_role: str | None, ok: int) -> int:
    """Return the status `caller` should get from an endpoint needing `min_role` (None: any user)."""
    if caller == "anonymous":
        return 401
    if min_role is None:
        return ok
    if caller == "outsider":
        return 404
    return ok if ROLE_ORDER.index(caller) >= ROLE_ORDER.index(min_role) else 403


def media_files() -> list[str]:
    """Return every stored file under MEDIA_ROOT, relative to it."""
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def db_state() -> dict[str, list[dict[str, Any]]]:
    """Return every row the API can write (token use timestamps aside) and the stored files."""
    models = [
        Project,
        Membership,
        SuccessCriterion,
        ReadinessItem,
        Gate,
        Criterion,
        Decision,
        Approval,
        AuditEvent,
    ]
    state: dict[str, Any] = {m.__name__: list(m.objects.order_by("pk").values()) for m in models}
    state["GateApprovers"] = list(
        Gate.approvers.through.objects.order_by("pk").values("gate_id", "user_id")
    )
    state["ApiToken"] = list(
        ApiToken.objects.order_by("pk").values("id", "user_id", "name", "revoked_at", "expires_at")
    )
    state["User"] = list(
        User.objects.order_by("pk").values("id", "username", "is_active", "is_superuser")
    )
    state["files"] = media_files()
    return state


def assert_problem(response, status: int) -> dict[str, Any]:
    """Assert `response` is an RFC 9457 problem with `status` and a human detail; return it."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["detail"], str) and len(body["detail"]) > 5
    return body


@dataclass(frozen=True)
class Endpoint:
    """One API operation as the matrix calls it.

    `path` and `body` are formatted with the context `setup(project, callers)` returns (plus
    `key`); `min_role` None means any signed-in user may call it; `ok` is the success status.
    """

    name: str
    method: str
    path: str
    min_role: str | None = "viewer"
    body: dict[str, Any] | None = None
    setup: Callable[[Project, dict[str, User | None]], dict[str, Any]] | None = None
    ok: int = 200
    upload: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def _format(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**context)
    if isinstance(value, dict):
        return {k: _format(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_format(v, context) for v in value]
    return value


def run_matrix(endpoint: Endpoint, caller: str) -> None:
    """Call `endpoint` as `caller` on a fresh project; assert the status and, on refusal, no write."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    manager = UserFactory(username="boss")
    project = ProjectFactory(key="MTX", manager=manager)
    callers = callers_for(project)
    context = {
        "key": project.key,
        **{f"user_{k}": (u.username if u else "") for k, u in callers.items()},
    }
    if endpoint.setup is not None:
        context.update(endpoint.setup(project, callers) or {})
    user = callers[caller]
    api = ApiClient(user)
    before = db_state()
    path = _format(endpoint.path, context)
    body = _format(endpoint.body, context)
    if endpoint.upload:
        upload = SimpleUploadedFile("proof.txt", b"signed off", content_type="text/plain")
        response = api.post(path, body, files={"file": upload})
    else:
        response = api.request(endpoint.method, path, body)
    expected = expected_status(caller, endpoint.min_role, endpoint.ok)
    if expected >= 400:
        assert_problem(response, expected)
        assert db_state() == before, "a refused request changed the database or stored files"
    else:
        assert response.status_code == expected, (response.status_code, response.content[:500])
        if endpoint.method.lower() != "get":
            assert AuditEvent.objects.count() > len(before["AuditEvent"]), "no audit event"


def matrix_cases(endpoints: list[Endpoint]) -> list[Any]:
    """Return pytest params (endpoint, caller) with readable ids."""
    import pytest

    return [
        pytest.param(endpoint, caller, id=f"{endpoint.name}-{caller}")
        for endpoint in endpoints
        for caller in CALLERS
    ]


def gate_make_pass(project: Project) -> None:
    """Make the readiness gate pass: one success criterion, every checklist item waived."""
    from golive.projects.services import success_criterion_create
    from golive.readiness.services import readiness_item_set_status

    manager = project.manager
    if not project.success_criteria.exists():
        success_criterion_create(
            actor=manager,
            project=project,
            metric="Availability",
            target="99.5",
            unit="%",
            direction="at_least",
            owner=manager,
        )
    for item in project.readiness_items.all():
        readiness_item_set_status(actor=manager, item=item, status="waived", reason="Not needed.")


def queries_for(api: ApiClient, path: str, params: dict[str, Any] | None = None) -> int:
    """Return how many queries one successful GET of `path` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, params)
    assert response.status_code == 200, response.content[:500]
    return len(ctx)


def run_cli(*argv: str, capsys: Any) -> tuple[Any, str, str]:
    """Run `golive ARGV…` as the console script does; return (exit code, stdout, stderr).

    A command run from the command line closes every database connection when it ends; inside
    a test's transaction that would close the test's own connection (PostgreSQL), so it is kept.
    """
    from unittest import mock

    from django.core.management import ManagementUtility

    try:
        with mock.patch("django.core.management.base.connections.close_all"):
            ManagementUtility(["golive", *argv]).execute()
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err
