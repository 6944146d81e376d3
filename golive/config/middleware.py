"""Keep every error under /api/ in the API's format, whoever produced it."""

import json
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"
PROBLEM = "application/problem+json"


class ApiProblemMiddleware:
    """Turn HTML error pages on API paths (unknown URL, method not allowed, server error) into
    application/problem+json, so API clients always get one error format."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith((PROBLEM, "application/json")):
            return response
        status = response.status_code
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        if status == 404:
            detail = f"There is no API endpoint at {request.path}; see /api/v1/docs."
        elif status == 405:
            allowed = response.get("Allow", "")
            detail = f"{request.method} is not allowed on {request.path}; allowed: {allowed}."
        elif status >= 500:
            detail = "The server failed to handle this request; the error has been logged."
        else:
            detail = phrase
        body = {"type": "about:blank", "title": phrase, "status": status, "detail": detail}
        problem = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)
        if "Allow" in response:
            problem["Allow"] = response["Allow"]
        return problem
