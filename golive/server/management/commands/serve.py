"""`golive serve`: migrate, collect static files if needed, and serve with gunicorn."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Apply migrations and serve golive with gunicorn (static files included)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to bind (8000).")
        parser.add_argument("--workers", type=int, default=2, help="Worker processes (2).")
        parser.add_argument("--threads", type=int, default=4, help="Threads per worker (4).")
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="Skip migrations (when another machine applies them).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError(f"--port {options['port']} is not a TCP port (1-65535).")
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads are at least 1.")
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        from gunicorn.app.base import BaseApplication

        from golive.config.wsgi import application

        bind = f"{options['host']}:{options['port']}"

        class GoliveServer(BaseApplication):
            def load_config(self) -> None:
                self.cfg.set("bind", bind)
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", options["threads"])
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("accesslog", "-")
                self.cfg.set("timeout", 60)

            def load(self) -> Any:
                return application

        self.stdout.write(f"golive is serving on http://{bind}/ (Ctrl+C stops it)")
        GoliveServer().run()
