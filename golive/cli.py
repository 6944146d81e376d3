"""The `golive` console script: Django's management commands with golive's settings."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command (`golive serve`, `golive demo`, `golive migrate`, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "golive.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "golive"
    if args[1:] == ["--version"]:
        from golive import __version__

        print(f"golive {__version__}")
        return
    execute_from_command_line(args)
