"""The REST API root: authentication, the error format, and the routers of every app."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from golive.accounts.services import token_authenticate
from golive.errors import Conflict, NotFound

PROBLEM = "application/problem+json"


class TokenAuth(HttpBearer):
    """`Authorization: Bearer glv_…` with a token from /account/tokens or `golive token create`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session; unsafe methods also need the CSRF token (X-CSRFToken header)."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(
                403,
                "CSRF check failed: a browser session must send the page's CSRF token in the "
                "X-CSRFToken header (API clients use a bearer token instead).",
            )
        return user

    def _get_key(self, request: HttpRequest) -> str | None:
        from django.conf import settings

        return request.COOKIES.get(settings.SESSION_COOKIE_NAME)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return self(request)


api = NinjaAPI(
    title="golive API",
    version="1",
    description=(
        "Run the implementation phase: projects, readiness, gates and decisions. Authenticate "
        "with `Authorization: Bearer <token>` (create one under Account → API tokens or with "
        "`golive token create`), or with the browser session plus the CSRF token. Errors are "
        "`application/problem+json`; lists are paginated (`page`, `page_size`)."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


def problem(
    request: HttpRequest, status: int, title: str, detail: str, **extra: Any
) -> HttpResponse:
    """Render an RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM
    return response


def _validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": field, "message": str(message)}
            for field, errors in exc.message_dict.items()
            for message in errors
        ]
    return [{"field": "", "message": message} for message in exc.messages]


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = _validation_errors(exc)
    detail = " ".join(
        f"{e['field']}: {e['message']}" if e["field"] and e["field"] != "__all__" else e["message"]
        for e in errors
    )
    return problem(request, 422, "Invalid input", detail, errors=errors)


_SOURCES = {"body", "payload", "path", "query", "form", "file", "header", "cookie"}


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", [])]
        # Drop where the value came from ("body", "query", ...) but keep the field's own name.
        while len(loc) > 1 and loc[0] in _SOURCES:
            loc = loc[1:]
        errors.append({"field": ".".join(loc), "message": err.get("msg", "invalid")})
    detail = " ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(request, 422, "Invalid input", detail, errors=errors)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(request, 403, "Forbidden", str(exc) or "You may not do this.")


@api.exception_handler(NotFound)
def on_not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return problem(request, 404, "Not found", exc.message)


@api.exception_handler(Http404)
def on_http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, "Not found", str(exc) or "Not found.")


@api.exception_handler(Conflict)
def on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return problem(request, 409, "Conflict", exc.message, current=exc.current)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(
        request,
        401,
        "Not authenticated",
        "Send 'Authorization: Bearer <token>' with a valid, unexpired token, or sign in.",
    )
    response["WWW-Authenticate"] = 'Bearer realm="golive"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, "Error", str(exc))


class HealthOut(Schema):
    status: str
    version: str
    database: str


@api.get(
    "/health",
    auth=None,
    response={200: HealthOut, 503: HealthOut},
    tags=["operations"],
    summary="Liveness and database check for load balancers (no authentication)",
)
def health(request: HttpRequest):
    from django.db import connection

    from golive import __version__

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return 503, HealthOut(status="unavailable", version=__version__, database="unreachable")
    return 200, HealthOut(status="ok", version=__version__, database=connection.vendor)


def _mount() -> None:
    from golive.accounts.api import router as accounts_router
    from golive.gates.api import router as gates_router
    from golive.projects.api import router as projects_router
    from golive.quality.api import router as quality_router
    from golive.readiness.api import router as readiness_router
    from golive.resources.api import router as resources_router
    from golive.rollout.api import router as rollout_router
    from golive.work.api import router as work_router

    api.add_router("", accounts_router)
    api.add_router("", projects_router)
    api.add_router("", readiness_router)
    api.add_router("", gates_router)
    api.add_router("", work_router)
    api.add_router("", quality_router)
    api.add_router("", resources_router)
    api.add_router("", rollout_router)


_mount()
