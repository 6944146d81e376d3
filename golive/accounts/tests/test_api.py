"""API tests: the caller's account and the API token lifecycle."""

from datetime import timedelta

import pytest
from django.utils import timezone

from golive.accounts.models import ApiToken
from golive.accounts.services import token_create
from golive.audit.models import AuditEvent
from golive.config.tests.support import (
    CALLERS,
    ApiClient,
    assert_problem,
    callers_for,
    db_state,
    queries_for,
)
from golive.projects.tests.factories import ProjectFactory, UserFactory


def _callers():
    return callers_for(ProjectFactory(key="MTX", manager=UserFactory(username="boss")))


@pytest.mark.django_db
class AccountsAccessMatrixTests:
    @pytest.mark.parametrize("caller", CALLERS)
    @pytest.mark.parametrize(
        ("method", "path", "body", "ok"),
        [
            ("GET", "/me", None, 200),
            ("GET", "/tokens", None, 200),
            ("POST", "/tokens", {"name": "ci"}, 201),
            ("DELETE", "/tokens/{own}", None, 204),
        ],
        ids=["me", "tokens-list", "tokens-create", "tokens-revoke"],
    )
    def test_caller_gets_expected_status(self, caller, method, path, body, ok):
        """Anonymous callers get 401 and write nothing; every signed-in user is served."""
        user = _callers()[caller]
        api = ApiClient(user)
        # Anonymous callers aim at someone else's token: it must survive.
        own = (api.token or token_create(user=UserFactory(), name="theirs").token).pk
        before = db_state()
        response = api.request(method, path.format(own=own), body)
        if user is None:
            assert_problem(response, 401)
            assert db_state() == before
        else:
            assert response.status_code == ok, response.content
            if method != "GET":
                assert AuditEvent.objects.count() == len(before["AuditEvent"]) + 1


@pytest.mark.django_db
class MeTests:
    def test_me_describes_the_caller(self):
        """GET /me returns the caller's username, name, email and admin flag."""
        user = UserFactory(username="ana", first_name="Ana", last_name="Lima")
        body = ApiClient(user).get("/me").json()
        assert body == {
            "username": "ana",
            "full_name": "Ana Lima",
            "email": "ana@example.com",
            "is_site_admin": False,
        }

    def test_me_flags_site_admins(self):
        """A superuser is reported as a site admin."""
        admin = UserFactory(is_superuser=True)
        assert ApiClient(admin).get("/me").json()["is_site_admin"] is True


@pytest.mark.django_db
class TokenLifecycleTests:
    def test_create_returns_the_raw_token_once(self):
        """POST /tokens returns the raw token once; it works, and the list never shows it."""
        user = UserFactory()
        api = ApiClient(user)
        response = api.post("/tokens", {"name": "laptop", "days": 30})
        assert response.status_code == 201, response.content
        created = response.json()
        raw = created["token"]
        assert raw.startswith("glv_")
        assert created["name"] == "laptop"
        assert raw.split("_")[1] == created["prefix"]
        lifetime = ApiToken.objects.get(pk=created["id"]).expires_at - timezone.now()
        assert timedelta(days=29) < lifetime <= timedelta(days=30)
        listing = api.get("/tokens")
        assert raw not in listing.content.decode()
        assert all("token" not in t for t in listing.json()["items"])
        assert raw not in str(list(ApiToken.objects.values()))
        me = ApiClient(None).get("/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert me.json()["username"] == user.username

    def test_list_shows_only_my_tokens_newest_first(self):
        """The list holds the caller's tokens only, newest first, paginated."""
        user = UserFactory()
        token_create(user=UserFactory(), name="theirs")
        for name in ("a", "b", "c"):
            token_create(user=user, name=name)
        api = ApiClient(user)
        body = api.get("/tokens", {"page_size": 2}).json()
        assert body["count"] == 4
        assert [t["name"] for t in body["items"]] == [api.token.name, "c"]

    def test_revoked_token_is_unauthenticated(self):
        """After revocation the token gets 401 on reads and writes; revoking again is harmless."""
        api = ApiClient(UserFactory())
        url = f"/tokens/{api.token.pk}"
        assert api.delete(url).status_code == 204
        assert ApiToken.objects.get(pk=api.token.pk).revoked_at is not None
        response = assert_problem(api.get("/me"), 401)
        assert "token" in response["detail"]
        assert_problem(api.post("/tokens", {"name": "again"}), 401)
        other = ApiClient(api.user)
        assert other.delete(url).status_code == 204
        assert AuditEvent.objects.filter(action="token.revoke").count() == 1

    def test_expired_token_is_unauthenticated(self):
        """A token past its expiry gets 401."""
        api = ApiClient(UserFactory())
        ApiToken.objects.filter(pk=api.token.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert_problem(api.get("/me"), 401)

    def test_token_of_inactive_user_is_unauthenticated(self):
        """Deactivating a user makes their tokens stop working."""
        api = ApiClient(UserFactory())
        api.user.is_active = False
        api.user.save(update_fields=["is_active"])
        assert_problem(api.get("/me"), 401)

    def test_cannot_revoke_someone_elses_token(self):
        """User A revoking B's token gets 404 and B's token keeps working."""
        alice, bob = ApiClient(UserFactory()), ApiClient(UserFactory())
        before = db_state()
        assert_problem(alice.delete(f"/tokens/{bob.token.pk}"), 404)
        assert db_state() == before
        assert bob.get("/me").status_code == 200

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"name": ""}, "name"),
            ({"name": "x", "days": 0}, "days"),
            ({"name": "x", "days": 366}, "days"),
            ({}, "name"),
        ],
    )
    def test_invalid_token_request_is_refused(self, payload, field):
        """An empty name or a lifetime outside 1..GOLIVE_TOKEN_MAX_DAYS gives 422 on the field."""
        api = ApiClient(UserFactory())
        before = ApiToken.objects.count()
        body = assert_problem(api.post("/tokens", payload), 422)
        assert [e["field"] for e in body["errors"]] == [field]
        assert ApiToken.objects.count() == before

    def test_duplicate_active_name_is_refused(self):
        """A second active token with the same name is refused with 422."""
        api = ApiClient(UserFactory())
        assert api.post("/tokens", {"name": "ci"}).status_code == 201
        body = assert_problem(api.post("/tokens", {"name": "ci"}), 422)
        assert "name" in body["detail"]

    def test_use_is_recorded(self):
        """Authenticating with a token records when it was last used."""
        api = ApiClient(UserFactory())
        assert api.token.last_used_at is None
        api.get("/me")
        assert ApiToken.objects.get(pk=api.token.pk).last_used_at is not None

    @pytest.mark.parametrize(
        "header", ["Bearer glv_nope_nope", "Bearer not-a-golive-token", "Basic dXNlcjpwYXNz", ""]
    )
    def test_bad_credentials_are_unauthenticated(self, header):
        """Unknown, foreign or malformed credentials get 401 with a WWW-Authenticate header."""
        response = ApiClient(None).get("/me", HTTP_AUTHORIZATION=header)
        assert_problem(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_list_queries_do_not_grow(self, django_assert_max_num_queries):
        """Listing 30 tokens runs no more queries than listing 1."""
        user = UserFactory()
        api = ApiClient(user)
        api.get("/tokens")
        baseline = queries_for(api, "/tokens")
        for n in range(29):
            token_create(user=user, name=f"n{n}")
        with django_assert_max_num_queries(baseline):
            assert api.get("/tokens").json()["count"] == 30
