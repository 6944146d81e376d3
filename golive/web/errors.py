"""Map the domain's exceptions onto pages and forms, the same way in every view.

- `ValidationError` → form errors: a dict puts each message next to its field (`__all__` and
  fields the form does not show become non-field errors); anything else is a non-field error.
- `Conflict` → a non-field error with the service's "changed by someone else" message; views with a
  versioned form then show the current state.
- `PermissionDenied` → Django's 403 page (templates/403.html) with the service's message.
- `NotFound` → Django's 404 page.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404

from golive.errors import Conflict, NotFound


def web_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Require a signed-in user and turn the domain's NotFound into a 404 page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return login_required(wrapped)


def error_messages(exc: Exception) -> list[str]:
    """Return the sentences a person should read for a refused write."""
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    if isinstance(exc, Conflict | NotFound):
        return [exc.message]
    if isinstance(exc, PermissionDenied):
        return [str(exc) or "You may not do this."]
    return [str(exc)]


def form_add_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on `form`, next to the fields it names."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.error_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        form.add_error(target, [message for error in errors for message in error.messages])


@dataclass
class Submission:
    """The outcome of `submit`: whether the write went through, its result, or the conflict."""

    ok: bool
    result: Any = None
    conflict: Conflict | None = None


def submit(form: forms.Form, write: Callable[[dict[str, Any]], Any]) -> Submission:
    """Validate `form` and run `write(cleaned_data)`; a refusal lands on the form.

    PermissionDenied and NotFound pass through to the 403 and 404 pages.
    """
    if not form.is_valid():
        return Submission(ok=False)
    try:
        return Submission(ok=True, result=write(form.cleaned_data))
    except ValidationError as exc:
        form_add_errors(form, exc)
        return Submission(ok=False)
    except Conflict as exc:
        form.add_error(None, exc.message)
        return Submission(ok=False, conflict=exc)


def form_messages(form: forms.Form) -> list[str]:
    """Return every error on `form` as sentences, each field's prefixed with its label."""
    return [
        message if field == NON_FIELD_ERRORS else f"{form[field].label}: {message}"
        for field, errors in form.errors.items()
        for message in errors
    ]
