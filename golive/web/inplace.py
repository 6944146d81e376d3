"""Writes answered in place: every refusal becomes messages and a status for the partial."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from golive.web.errors import Submission, error_messages, form_messages, submit
from golive.web.shortcuts import is_htmx


def submit_in_place(
    request: HttpRequest, form: forms.Form, write: Callable[[dict[str, Any]], Any]
) -> tuple[Submission, list[str], int]:
    """Run `write` for a partial: (submission, messages, 200 | 403 | 409 | 422).

    Without htmx a PermissionDenied still goes to the 403 page.
    """
    try:
        done = submit(form, write)
    except PermissionDenied as exc:
        if not is_htmx(request):
            raise
        return Submission(ok=False), error_messages(exc), 403
    if done.ok:
        return done, [], 200
    return done, form_messages(form), 409 if done.conflict else 422
