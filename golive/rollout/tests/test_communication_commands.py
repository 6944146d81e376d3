"""`golive communications send-due|send` from the command line."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from golive.projects.tests.factories import ProjectFactory, team_for
from golive.rollout.models import Communication
from golive.rollout.tests.factories import CommunicationFactory


def run(*args):
    """Run the communications command; return (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command("communications", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
class SendDueCommandTests:
    def test_nothing_due(self):
        """With nothing due the command says so."""
        out, _ = run("send-due")
        assert out.strip() == "No communication is due."

    def test_sends_due_messages_as_json(self):
        """Due planned messages are sent; --json lists them."""
        project = ProjectFactory(key="COM")
        CommunicationFactory(project=project, name="due", at=timezone.now() - timedelta(minutes=1))
        CommunicationFactory(project=project, name="later")
        mail.outbox.clear()
        out, _ = run("send-due", "--json")
        [row] = json.loads(out)["sent"]
        assert row["project"] == "COM" and row["communication"] == "due" and row["ok"]
        assert row["recipients"] == 1 and len(mail.outbox) == 1
        assert Communication.objects.get(name="later").status == "planned"

    def test_failure_exits_one_and_is_logged(self, monkeypatch):
        """An undeliverable message is named on stderr and the command exits 1."""
        project = ProjectFactory(key="BAD")
        CommunicationFactory(project=project, name="due", at=timezone.now() - timedelta(minutes=1))

        def refuse(self, fail_silently=False):
            raise OSError("no route to mail server")

        monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
        err = StringIO()
        with pytest.raises(CommandError) as exc:
            call_command("communications", "send-due", stdout=StringIO(), stderr=err)
        assert exc.value.returncode == 1
        assert "BAD due: could not be sent" in err.getvalue()
        comm = Communication.objects.get(name="due")
        assert comm.status == "failed" and comm.log.get().error.endswith("no route to mail server")


@pytest.mark.django_db
class SendCommandTests:
    def test_manager_sends_one_now(self):
        """`send NAME --project KEY --user U` sends it whatever its schedule."""
        project = ProjectFactory(key="ONE")
        CommunicationFactory(project=project, name="notice")
        mail.outbox.clear()
        out, _ = run("send", "notice", "--project", "ONE", "--user", project.manager.username)
        assert "ONE notice: sent by email to 1 recipient(s)" in out
        assert len(mail.outbox) == 1

    def test_refusals(self):
        """No --user, a non-manager, an unknown name: a one-line error, exit 2."""
        project = ProjectFactory(key="TWO")
        team = team_for(project)
        CommunicationFactory(project=project, name="notice")
        for args in (
            ("send", "notice", "--project", "TWO"),
            ("send", "notice", "--project", "TWO", "--user", team["approver"].username),
            ("send", "missing", "--project", "TWO", "--user", project.manager.username),
        ):
            with pytest.raises(CommandError) as exc:
                run(*args)
            assert exc.value.returncode == 2, args
        assert not mail.outbox or all("TWO" not in m.subject for m in mail.outbox)
