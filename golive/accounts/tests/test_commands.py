"""`golive token create|list|revoke`."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from golive.accounts.models import ApiToken
from golive.accounts.services import token_authenticate
from golive.projects.tests.factories import UserFactory


def run(*args) -> str:
    out = StringIO()
    call_command("token", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
class TokenCommandTests:
    def test_create_prints_a_working_token_once(self):
        """The printed token authenticates its user; only its digest is stored."""
        user = UserFactory(username="ci-bot")
        raw = run("create", "--user", "ci-bot", "--name", "pipeline").strip()
        assert token_authenticate(raw) == user
        token = ApiToken.objects.get()
        assert raw not in (token.digest, token.prefix) and token.digest != raw
        assert raw not in run("list", "--user", "ci-bot")

    def test_json_create_list_and_revoke(self):
        """--json output works for each subcommand; a revoked token stops working."""
        UserFactory(username="ops")
        created = json.loads(run("create", "--user", "ops", "--name", "t", "--days", "7", "--json"))
        listed = json.loads(run("list", "--user", "ops", "--json"))
        assert listed[0]["id"] == created["id"] and listed[0]["revoked"] is False
        json.loads(run("revoke", "--user", "ops", str(created["id"]), "--json"))
        assert token_authenticate(created["token"]) is None

    def test_bad_input_is_explained(self):
        """Unknown users, bad lifetimes and other people's tokens are refused clearly."""
        UserFactory(username="a")
        UserFactory(username="b")
        with pytest.raises(CommandError, match="no active user"):
            run("create", "--user", "ghost", "--name", "x")
        with pytest.raises(CommandError, match="between 1 and"):
            run("create", "--user", "a", "--name", "x", "--days", "0")
        token_id = json.loads(run("create", "--user", "a", "--name", "x", "--json"))["id"]
        with pytest.raises(CommandError, match="no token"):
            run("revoke", "--user", "b", str(token_id))
