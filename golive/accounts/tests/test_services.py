"""API tokens: hashed at rest, expiring, revocable."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from golive.accounts.models import ApiToken
from golive.accounts.services import token_authenticate, token_create, token_digest, token_revoke
from golive.errors import NotFound
from golive.projects.tests.factories import UserFactory


@pytest.mark.django_db
class TokenTests:
    def test_token_is_stored_as_digest_only(self):
        """The raw token is returned once; the database holds its SHA-256 digest."""
        issued = token_create(user=UserFactory(), name="laptop")
        stored = ApiToken.objects.get()
        assert stored.digest == token_digest(issued.raw)
        assert issued.raw.startswith(f"glv_{stored.prefix}_")

    def test_expired_revoked_and_inactive_tokens_fail(self):
        """Authentication needs an unexpired, unrevoked token of an active user."""
        user = UserFactory()
        issued = token_create(user=user, name="a")
        assert token_authenticate(issued.raw) == user
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert token_authenticate(issued.raw) is None
        second = token_create(user=user, name="b")
        token_revoke(user=user, token_id=second.token.pk)
        assert token_authenticate(second.raw) is None
        third = token_create(user=user, name="c")
        user.is_active = False
        user.save()
        assert token_authenticate(third.raw) is None
        assert token_authenticate("not-a-token") is None

    def test_names_and_lifetimes_are_checked(self):
        """A name is required, unique among active tokens, and lifetimes are bounded."""
        user = UserFactory()
        with pytest.raises(ValidationError):
            token_create(user=user, name=" ")
        with pytest.raises(ValidationError):
            token_create(user=user, name="x", days=10_000)
        token_create(user=user, name="dup")
        with pytest.raises(ValidationError):
            token_create(user=user, name="dup")

    def test_users_revoke_only_their_own_tokens(self):
        """Another user's token id is unknown to you."""
        issued = token_create(user=UserFactory(), name="mine")
        with pytest.raises(NotFound):
            token_revoke(user=UserFactory(), token_id=issued.token.pk)
