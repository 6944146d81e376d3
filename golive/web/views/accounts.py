"""The signed-in user's API tokens: list, create (the raw token is shown once) and revoke."""

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from golive.accounts import services as account_services
from golive.accounts.selectors import token_list as tokens_of
from golive.web.errors import submit, web_view
from golive.web.forms import TokenCreateForm


@web_view
@never_cache
def token_list(request):
    """List the user's tokens; POST creates one and shows its secret on this page only."""
    issued = None
    if request.method == "POST":
        form = TokenCreateForm(request.POST)
        done = submit(
            form,
            lambda data: account_services.token_create(
                user=request.user, name=data["name"], days=data["days"]
            ),
        )
        if done.ok:
            issued = done.result
            form = TokenCreateForm()
    else:
        form = TokenCreateForm()
    return TemplateResponse(
        request,
        "accounts/apitoken_list.html",
        {
            "tokens": tokens_of(user=request.user),
            "form": form,
            "issued": issued,
            "now": timezone.now(),
        },
        status=422 if form.errors else 200,
    )


@web_view
@require_POST
def token_revoke(request, token_id):
    """Revoke one of the user's own tokens."""
    token = account_services.token_revoke(user=request.user, token_id=token_id)
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("web:tokens")
