"""API root tests: OpenAPI document, docs page, the problem+json format, session and token auth."""

import json

import pytest
from django.conf import settings
from django.middleware.csrf import CSRF_SECRET_LENGTH
from django.test import Client

from golive.accounts.services import token_create
from golive.config.tests.support import API, PROBLEM, ApiClient, assert_problem, db_state
from golive.projects.models import Project
from golive.projects.tests.factories import ProjectFactory, UserFactory
from golive.quality.tests.test_api import QUALITY_OPERATIONS
from golive.resources.tests.test_api import RESOURCES_OPERATIONS

EXPECTED_OPERATIONS = {
    ("get", "/me"),
    ("get", "/tokens"),
    ("post", "/tokens"),
    ("delete", "/tokens/{token_id}"),
    ("get", "/projects"),
    ("post", "/projects"),
    ("get", "/projects/{key}"),
    ("patch", "/projects/{key}"),
    ("post", "/projects/{key}/phase"),
    ("get", "/projects/{key}/members"),
    ("put", "/projects/{key}/members/{username}"),
    ("delete", "/projects/{key}/members/{username}"),
    ("get", "/projects/{key}/success-criteria"),
    ("post", "/projects/{key}/success-criteria"),
    ("get", "/projects/{key}/success-criteria/{criterion_id}"),
    ("patch", "/projects/{key}/success-criteria/{criterion_id}"),
    ("delete", "/projects/{key}/success-criteria/{criterion_id}"),
    ("get", "/projects/{key}/activity"),
    ("get", "/projects/{key}/readiness-items"),
    ("post", "/projects/{key}/readiness-items"),
    ("get", "/projects/{key}/readiness-items/{item_id}"),
    ("patch", "/projects/{key}/readiness-items/{item_id}"),
    ("delete", "/projects/{key}/readiness-items/{item_id}"),
    ("post", "/projects/{key}/readiness-items/{item_id}/status"),
    ("post", "/projects/{key}/readiness-items/{item_id}/approve"),
    ("post", "/projects/{key}/readiness-items/{item_id}/evidence"),
    ("get", "/projects/{key}/readiness-items/{item_id}/evidence"),
    ("get", "/criterion-types"),
    ("get", "/projects/{key}/gates"),
    ("post", "/projects/{key}/gates"),
    ("get", "/projects/{key}/gates/{name}"),
    ("patch", "/projects/{key}/gates/{name}"),
    ("get", "/projects/{key}/gates/{name}/evaluation"),
    ("post", "/projects/{key}/gates/{name}/criteria"),
    ("delete", "/projects/{key}/gates/{name}/criteria/{criterion_key}"),
    ("post", "/projects/{key}/gates/{name}/criteria/{criterion_key}/waiver"),
    ("post", "/projects/{key}/gates/{name}/decisions"),
    ("get", "/projects/{key}/decisions"),
    ("get", "/projects/{key}/decisions/{decision_id}"),
    ("post", "/projects/{key}/decisions/{decision_id}/votes"),
    ("post", "/projects/{key}/decisions/{decision_id}/withdraw"),
    ("post", "/projects/{key}/decisions/{decision_id}/revoke"),
    ("get", "/health"),
    # plan and execute
    ("get", "/projects/{key}/work-packages"),
    ("post", "/projects/{key}/work-packages"),
    ("get", "/projects/{key}/work-packages/{package_id}"),
    ("patch", "/projects/{key}/work-packages/{package_id}"),
    ("delete", "/projects/{key}/work-packages/{package_id}"),
    ("get", "/projects/{key}/dependencies"),
    ("post", "/projects/{key}/dependencies"),
    ("patch", "/projects/{key}/dependencies/{dependency_id}"),
    ("delete", "/projects/{key}/dependencies/{dependency_id}"),
    ("get", "/projects/{key}/calendar"),
    ("put", "/projects/{key}/calendar"),
    ("get", "/projects/{key}/baselines"),
    ("post", "/projects/{key}/baselines"),
    ("get", "/projects/{key}/baselines/{baseline_id}"),
    ("get", "/projects/{key}/baselines/{baseline_id}/compare"),
    ("get", "/projects/{key}/checkpoints"),
    ("post", "/projects/{key}/checkpoints"),
    ("get", "/projects/{key}/checkpoints/{checkpoint_id}"),
    ("post", "/projects/{key}/checkpoints/{checkpoint_id}/actions/{action_id}/done"),
    ("get", "/projects/{key}/blockers"),
    ("post", "/projects/{key}/work-packages/{package_id}/blockers"),
    ("post", "/projects/{key}/blockers/{blocker_id}/resolve"),
    ("get", "/projects/{key}/escalation-path"),
    ("put", "/projects/{key}/escalation-path"),
    ("get", "/projects/{key}/schedule"),
    ("get", "/projects/{key}/forecast"),
    ("get", "/projects/{key}/burndown"),
}

RO = "/projects/{key}/rollout"
RUN = RO + "/runbooks/{name}/runs/{number}"
ROLLOUT_OPERATIONS = {
    ("get", RO + "/plan"),
    ("put", RO + "/plan"),
    ("get", RO + "/waves"),
    ("post", RO + "/waves"),
    ("get", RO + "/waves/{slug}"),
    ("patch", RO + "/waves/{slug}"),
    ("delete", RO + "/waves/{slug}"),
    ("post", RO + "/waves/{slug}/start"),
    ("post", RO + "/waves/{slug}/hypercare"),
    ("post", RO + "/waves/{slug}/complete"),
    ("post", RO + "/waves/{slug}/cancel"),
    ("get", RO + "/runbooks"),
    ("post", RO + "/runbooks"),
    ("get", RO + "/runbooks/{name}"),
    ("patch", RO + "/runbooks/{name}"),
    ("delete", RO + "/runbooks/{name}"),
    ("get", RO + "/runbooks/{name}/timeline"),
    ("get", RO + "/runbooks/{name}/steps"),
    ("post", RO + "/runbooks/{name}/steps"),
    ("put", RO + "/runbooks/{name}/steps"),
    ("get", RO + "/runbooks/{name}/steps/{step_key}"),
    ("patch", RO + "/runbooks/{name}/steps/{step_key}"),
    ("delete", RO + "/runbooks/{name}/steps/{step_key}"),
    ("get", RO + "/runbooks/{name}/runs"),
    ("post", RO + "/runbooks/{name}/runs"),
    ("get", RUN),
    ("get", RUN + "/live"),
    ("get", RUN + "/report"),
    ("post", RUN + "/pause"),
    ("post", RUN + "/resume"),
    ("post", RUN + "/abort"),
    ("post", RUN + "/steps/{step_key}/start"),
    ("post", RUN + "/steps/{step_key}/complete"),
    ("post", RUN + "/steps/{step_key}/fail"),
    ("post", RUN + "/steps/{step_key}/skip"),
    ("post", RUN + "/steps/{step_key}/verdict"),
    ("post", RUN + "/steps/{step_key}/resolve"),
    ("get", RO + "/migration-checks"),
    ("post", RO + "/migration-checks"),
    ("get", RO + "/migration-checks/{name}"),
    ("patch", RO + "/migration-checks/{name}"),
    ("delete", RO + "/migration-checks/{name}"),
    ("post", RO + "/migration-checks/{name}/extracts"),
    ("post", RO + "/migration-checks/{name}/run"),
    ("get", RO + "/migration-checks/{name}/results"),
    ("get", RO + "/migration-checks/{name}/results/{result_id}"),
    ("get", RO + "/communications"),
    ("post", RO + "/communications"),
    ("get", RO + "/communications/{name}"),
    ("patch", RO + "/communications/{name}"),
    ("post", RO + "/communications/{name}/send"),
    ("post", RO + "/communications/{name}/cancel"),
    ("get", RO + "/communications/{name}/log"),
    ("get", RO + "/go-live"),
}


def _csrf_client(user) -> tuple[Client, str]:
    """Return a signed-in browser client that enforces CSRF, and its CSRF token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = "k" * CSRF_SECRET_LENGTH  # the unmasked secret a browser holds in its cookie
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    return client, token


@pytest.mark.django_db
class HealthTests:
    def test_health_answers_without_authentication(self):
        """Load balancers get the status and the database vendor without a token."""
        response = Client().get(f"{API}/health")
        assert response.status_code == 200
        data = response.json()
        assert data["status"] == "ok"
        assert data["database"] in {"sqlite", "postgresql"}


@pytest.mark.django_db
class OpenApiTests:
    def test_document_is_valid_json_listing_every_operation(self):
        """/api/v1/openapi.json is JSON describing every operation, each with a summary."""
        response = Client().get(f"{API}/openapi.json")
        assert response.status_code == 200
        document = json.loads(response.content)
        assert document["openapi"].startswith("3.")
        assert document["info"]["title"] == "golive API"
        operations = {
            (method, path.removeprefix("/api/v1"))
            for path, item in document["paths"].items()
            for method in item
        }
        assert operations == (
            EXPECTED_OPERATIONS | QUALITY_OPERATIONS | RESOURCES_OPERATIONS | ROLLOUT_OPERATIONS
        )
        for path, item in document["paths"].items():
            for method, operation in item.items():
                assert operation.get("summary"), f"{method.upper()} {path} has no summary"

    def test_document_declares_both_auth_schemes(self):
        """The document declares bearer-token and session-cookie security."""
        document = Client().get(f"{API}/openapi.json").json()
        schemes = document["components"]["securitySchemes"]
        kinds = {(s["type"], s.get("scheme") or s.get("in")) for s in schemes.values()}
        assert kinds == {("http", "bearer"), ("apiKey", "cookie")}
        assert document["paths"]["/api/v1/projects"]["get"]["security"]

    def test_docs_page_renders_for_a_signed_in_user(self):
        """/api/v1/docs renders an HTML page pointing at the OpenAPI document."""
        client = Client()
        client.force_login(UserFactory())
        response = client.get(f"{API}/docs")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert f"{API}/openapi.json" in response.content.decode()


@pytest.mark.django_db
class ProblemFormatTests:
    def test_unauthenticated_is_a_problem_with_www_authenticate(self):
        """No credentials: 401 problem+json with a detail and a WWW-Authenticate challenge."""
        response = Client().get(f"{API}/projects")
        body = assert_problem(response, 401)
        assert body["title"] == "Not authenticated"
        assert response["WWW-Authenticate"] == 'Bearer realm="golive"'

    def test_not_found_forbidden_conflict_and_invalid_are_problems(self):
        """404, 403, 409 and 422 all answer problem+json with type, title, status and detail."""
        project = ProjectFactory(key="ERP", manager=UserFactory(username="pm"))
        viewer = UserFactory(username="v")
        from golive.projects.services import membership_set

        membership_set(actor=project.manager, project=project, user=viewer, role="viewer")
        manager = ApiClient(project.manager)
        cases = [
            (ApiClient(viewer).get("/projects/NOPE"), 404),
            (ApiClient(viewer).patch("/projects/ERP", {"version": 1, "name": "x"}), 403),
            (manager.patch("/projects/ERP", {"version": 99, "name": "x"}), 409),
            (manager.patch("/projects/ERP", {"version": "one"}), 422),
        ]
        for response, status in cases:
            body = assert_problem(response, status)
            assert body["type"] == "about:blank"
            assert body["title"]

    def test_forbidden_names_the_role_needed(self):
        """A 403 says which role the action needs and which the caller has."""
        project = ProjectFactory(key="ERP", manager=UserFactory(username="pm"))
        viewer = UserFactory(username="v")
        from golive.projects.services import membership_set

        membership_set(actor=project.manager, project=project, user=viewer, role="viewer")
        body = assert_problem(
            ApiClient(viewer).patch("/projects/ERP", {"version": 1, "name": "x"}), 403
        )
        assert "manager" in body["detail"] and "viewer" in body["detail"]

    def test_malformed_json_body_is_a_problem(self):
        """A body that is not JSON is refused with a 4xx problem, not a server error."""
        api = ApiClient(UserFactory())
        response = api.client.post(
            f"{API}/projects", "{not json", "application/json", **api.headers
        )
        assert 400 <= response.status_code < 500
        assert response["Content-Type"] == PROBLEM
        assert response.json()["detail"]

    def test_bad_path_parameter_is_a_validation_problem(self):
        """A non-numeric id in the path answers a 422 problem naming the parameter."""
        ProjectFactory(key="ERP", manager=UserFactory(username="pm"))
        body = assert_problem(
            ApiClient(UserFactory(username="pm")).get("/projects/ERP/readiness-items/abc"), 422
        )
        assert "item_id" in body["detail"]

    def test_wrong_method_is_a_problem(self):
        """A method the path does not support answers a 405 problem."""
        assert_problem(ApiClient(UserFactory()).put("/projects", {}), 405)

    def test_unknown_api_path_is_a_problem(self):
        """A path under /api/v1/ that matches no endpoint answers a 404 problem."""
        assert_problem(ApiClient(UserFactory()).get("/no-such-endpoint"), 404)

    def test_validation_problem_lists_field_errors(self):
        """A 422 lists each bad field with a message, and the detail repeats them for humans."""
        body = assert_problem(
            ApiClient(UserFactory()).post("/projects", {"key": "X", "name": ""}), 422
        )
        fields = {e["field"] for e in body["errors"]}
        assert fields == {"key", "name"}
        assert all(e["message"] for e in body["errors"])
        assert "key:" in body["detail"] and "name:" in body["detail"]


@pytest.mark.django_db
class SessionAuthTests:
    def test_signed_in_browser_can_read(self):
        """A signed-in session reads the API without a token."""
        client = Client(enforce_csrf_checks=True)
        client.force_login(UserFactory(username="ana"))
        response = client.get(f"{API}/me")
        assert response.status_code == 200
        assert response.json()["username"] == "ana"

    def test_session_post_with_csrf_token_works(self):
        """A signed-in POST with the CSRF token is served."""
        client, token = _csrf_client(UserFactory())
        response = client.post(
            f"{API}/projects",
            json.dumps({"key": "ERP", "name": "ERP"}),
            "application/json",
            HTTP_X_CSRFTOKEN=token,
        )
        assert response.status_code == 201, response.content
        assert Project.objects.filter(key="ERP").exists()

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("post", "/projects", {"key": "ERP", "name": "ERP"}),
            ("post", "/tokens", {"name": "stolen"}),
            ("delete", "/tokens/{token}", None),
        ],
    )
    def test_session_write_without_csrf_token_is_refused(self, method, path, body):
        """A signed-in write without the CSRF token is refused with 403 and changes nothing."""
        user = UserFactory()
        token = token_create(user=user, name="laptop").token
        client, _csrf = _csrf_client(user)
        before = db_state()
        url = f"{API}{path.format(token=token.pk)}"
        if body is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, json.dumps(body), "application/json")
        assert_problem(response, 403)
        assert db_state() == before

    def test_bearer_token_needs_no_csrf_token(self):
        """A POST with a bearer token is served without any CSRF token or cookie."""
        response = ApiClient(UserFactory()).post("/projects", {"key": "ERP", "name": "ERP"})
        assert response.status_code == 201, response.content

    def test_anonymous_post_is_unauthenticated_not_csrf(self):
        """An anonymous POST from a CSRF-enforcing client gets 401, not a CSRF 403."""
        response = Client(enforce_csrf_checks=True).post(
            f"{API}/projects", json.dumps({"key": "ERP", "name": "ERP"}), "application/json"
        )
        assert_problem(response, 401)

    def test_inactive_session_user_is_unauthenticated(self):
        """A session whose user was deactivated gets 401."""
        user = UserFactory()
        client = Client()
        client.force_login(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        assert_problem(client.get(f"{API}/me"), 401)
