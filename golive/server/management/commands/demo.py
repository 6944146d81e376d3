"""`golive demo`: create the ERP demo project (idempotently), print the logins, then serve."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from golive.server.demo import DEMO_PASSWORD, demo_build, demo_logins


class Command(BaseCommand):
    help = "Create the ERP demo project and its users (once), print the logins, then serve."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Only create the data.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "golive demo creates users with a published password (including a site admin) "
                "and refuses to run in production mode (GOLIVE_ENV=production)."
            )
        call_command("migrate", interactive=False, verbosity=0)
        project, created = demo_build()
        verb = "Created" if created else "Found"
        url = f"http://{options['host']}:{options['port']}/p/{project.key}/"
        self.stdout.write(f"{verb} the demo project {project.key} · {project.name}")
        self.stdout.write(f"Open {url}")
        self.stdout.write(f"Logins (password {DEMO_PASSWORD!r} for each):")
        for username, what in demo_logins():
            self.stdout.write(f"  {username:<8} {what}")
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"], no_migrate=True)
