"""`golive token create|list|revoke`: API tokens from the server's shell."""

import json
from typing import Any

from django.core.management.base import BaseCommand

from golive.accounts.selectors import token_list
from golive.accounts.services import token_create, token_revoke
from golive.cli_support import cli_user, domain_errors


class Command(BaseCommand):
    help = "API tokens: create (shown once), list, revoke."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token; it is printed once.")
        create.add_argument("--user", required=True, help="The user the token belongs to.")
        create.add_argument("--name", required=True, help="A name to recognise it (e.g. ci).")
        create.add_argument("--days", type=int, default=90, help="Days until it expires (90).")
        create.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="List a user's tokens.")
        listing.add_argument("--user", required=True)
        listing.add_argument("--json", action="store_true")
        revoke = sub.add_parser("revoke", help="Revoke a token by id.")
        revoke.add_argument("--user", required=True)
        revoke.add_argument("token_id", type=int)
        revoke.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        with domain_errors():
            user = cli_user(options["user"])
            getattr(self, f"_{options['action']}")(user, options)

    def _create(self, user, options) -> None:
        issued = token_create(user=user, name=options["name"], days=options["days"])
        token = issued.token
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "id": token.pk,
                        "name": token.name,
                        "expires_at": token.expires_at.isoformat(),
                        "token": issued.raw,
                    }
                )
            )
            return
        self.stdout.write(issued.raw)
        self.stderr.write(
            f"Token {token.name!r} (id {token.pk}) for {user.username}, expires "
            f"{token.expires_at:%Y-%m-%d}. It is shown only now: store it safely."
        )

    def _list(self, user, options) -> None:
        rows = [
            {
                "id": t.pk,
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat(),
                "revoked": t.revoked_at is not None,
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            }
            for t in token_list(user=user)
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            state = "revoked" if row["revoked"] else f"expires {row['expires_at'][:10]}"
            self.stdout.write(f"{row['id']:>5}  {row['name']:<20} {row['prefix']}…  {state}")

    def _revoke(self, user, options) -> None:
        token = token_revoke(user=user, token_id=options["token_id"])
        if options["json"]:
            self.stdout.write(json.dumps({"id": token.pk, "revoked": True}))
        else:
            self.stdout.write(f"Token {token.name!r} (id {token.pk}) is revoked.")
