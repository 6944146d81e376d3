"""`golive demo`, `golive serve` and the settings' refusal of unsafe production setups."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from golive.gates.services import gate_evaluate
from golive.projects.models import Membership, Project, Role
from golive.server.demo import DEMO_PASSWORD


def golive_env(tmp_path, **extra) -> dict[str, str]:
    """Return an environment for a golive subprocess on its own SQLite home."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GOLIVE_", "DATABASE_URL", "DJANGO_"))
    }
    env.update({"GOLIVE_HOME": str(tmp_path / "home"), **extra})
    return env


def golive(*args, env, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "golive", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.django_db
class DemoCommandTests:
    def test_demo_creates_erp_project_once(self):
        """The demo project exists once, with every role, half a checklist and criteria."""
        out = StringIO()
        call_command("demo", "--no-serve", stdout=out)
        call_command("demo", "--no-serve", stdout=StringIO())
        text = out.getvalue()
        assert "Created the demo project ERP" in text
        assert DEMO_PASSWORD in text and "maria" in text
        project = Project.objects.get()
        roles = set(Membership.objects.filter(project=project).values_list("role", flat=True))
        assert roles == {r.value for r in Role}
        items = list(project.readiness_items.all())
        done = sum(1 for item in items if item.counts_as_ready)
        assert 0 < done < len(items)
        assert project.success_criteria.count() == 4
        evaluation = gate_evaluate(gate=project.gates.get(name="readiness"))
        assert not evaluation.passed
        assert evaluation.criteria[1].passed

    def test_demo_refuses_production_mode(self, settings):
        """Published demo passwords never reach a production installation."""
        settings.PRODUCTION = True
        with pytest.raises(CommandError, match="refuses to run in production"):
            call_command("demo", "--no-serve", stdout=StringIO())
        assert not Project.objects.exists()

    def test_demo_users_can_log_in(self, client):
        """The printed demo password works."""
        call_command("demo", "--no-serve", stdout=StringIO())
        assert client.login(username="maria", password=DEMO_PASSWORD)


class VersionTests:
    def test_version_is_golive_s_own(self, tmp_path):
        """`golive --version` prints golive's version, not Django's."""
        from golive import __version__

        result = golive("--version", env=golive_env(tmp_path))
        assert result.stdout.strip() == f"golive {__version__}"


class ServeTests:
    def test_bad_port_is_refused(self):
        """A port outside 1-65535 is refused before anything starts."""
        with pytest.raises(CommandError, match="not a TCP port"):
            call_command("serve", "--port", "70000", "--no-migrate")

    def test_serve_migrates_and_serves_pages_and_static_files(self, tmp_path):
        """`golive serve` on a fresh home answers the login page, static files and the API."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = golive_env(tmp_path)
        proc = subprocess.Popen(
            [sys.executable, "-m", "golive", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/login/", timeout=2) as response:
                        assert response.status == 200
                        break
                except urllib.error.HTTPError as exc:
                    pytest.fail(f"golive serve answered /login/ with {exc.code}")
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        pytest.fail("golive serve did not answer within 60 s")
                    time.sleep(0.3)
            with urllib.request.urlopen(f"{base}/static/vendor/htmx-2.0.11/htmx.min.js") as r:
                assert r.status == 200
            with urllib.request.urlopen(f"{base}/api/v1/openapi.json") as r:
                assert b'"golive API"' in r.read()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        home = tmp_path / "home"
        assert (home / "golive.sqlite3").exists()
        assert (home / "secret_key").stat().st_mode & 0o077 == 0


class ProductionSettingsTests:
    def test_deploy_check_is_clean_with_required_settings(self, tmp_path):
        """With a secret key and allowed hosts, `golive check --deploy` has nothing to say."""
        env = golive_env(
            tmp_path,
            GOLIVE_ENV="production",
            GOLIVE_SECRET_KEY=secrets.token_urlsafe(48),
            GOLIVE_ALLOWED_HOSTS="golive.example.com",
        )
        result = golive("check", "--deploy", "--fail-level", "WARNING", env=env)
        assert result.returncode == 0, result.stderr
        assert "no issues" in result.stdout

    @pytest.mark.parametrize(
        "missing,message",
        [
            ("GOLIVE_SECRET_KEY", "GOLIVE_SECRET_KEY is not set"),
            ("GOLIVE_ALLOWED_HOSTS", "GOLIVE_ALLOWED_HOSTS is not set"),
        ],
    )
    def test_production_refuses_to_start_without(self, tmp_path, missing, message):
        """Production mode names the missing setting and does not start."""
        values = {
            "GOLIVE_SECRET_KEY": secrets.token_urlsafe(48),
            "GOLIVE_ALLOWED_HOSTS": "golive.example.com",
        }
        del values[missing]
        result = golive("check", env=golive_env(tmp_path, GOLIVE_ENV="production", **values))
        assert result.returncode != 0
        assert message in result.stderr

    def test_empty_switch_keeps_its_default(self, tmp_path):
        """An empty GOLIVE_SSL_REDIRECT does not silently turn the HTTPS redirect off."""
        env = golive_env(
            tmp_path,
            GOLIVE_ENV="production",
            GOLIVE_SECRET_KEY=secrets.token_urlsafe(48),
            GOLIVE_ALLOWED_HOSTS="golive.example.com",
            GOLIVE_SSL_REDIRECT="",
        )
        result = golive(
            "shell",
            "-c",
            "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT)",
            env=env,
        )
        assert result.stdout.strip().endswith("True"), result.stderr

    def test_bad_boolean_is_named(self, tmp_path):
        """A value that is not a clear yes/no is refused with the variable's name."""
        result = golive("check", env=golive_env(tmp_path, GOLIVE_DEBUG="maybe"))
        assert result.returncode != 0
        assert "GOLIVE_DEBUG='maybe' is not a boolean" in result.stderr
