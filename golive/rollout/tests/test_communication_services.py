"""Communications: planning rules, schedule, recipients, sending by e-mail and webhook, due sending."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from golive.audit.models import AuditEvent
from golive.errors import Conflict, NotFound
from golive.projects.tests.factories import ProjectFactory, team_for
from golive.rollout.models import Communication, CommunicationLog
from golive.rollout.secrets import secret_decrypt
from golive.rollout.selectors.communications import (
    communication_get,
    communication_list,
    communication_log_list,
    communication_schedule,
)
from golive.rollout.services.communications import (
    communication_cancel,
    communication_create,
    communication_recipients,
    communication_scheduled_at,
    communication_send,
    communication_update,
    communications_send_due,
)
from golive.rollout.services.runs import run_start
from golive.rollout.tasks import schedule_communication, send_due_communications
from golive.rollout.tests.factories import RunbookFactory, RunFactory, StepFactory, WaveFactory

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        type(self).received.append(
            {
                "body": json.loads(self.rfile.read(length)),
                "type": self.headers.get("Content-Type"),
            }
        )
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    """A local HTTP server standing in for a chat tool's incoming webhook."""

    class Handler(_Hook):
        received = []
        status = 200

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Handler, f"http://127.0.0.1:{server.server_port}/hooks/abc?token=s3cret"
    server.shutdown()
    server.server_close()


def plan(project, name="cutover-notice", **kwargs):
    kwargs.setdefault("audience", "custom")
    kwargs.setdefault("recipients", ["users@example.com"])
    kwargs.setdefault("subject", "{{ project.name }} goes live")
    kwargs.setdefault(
        "body", "Hello, {{ project.key }} goes live{% if wave %} for {{ wave.name }}{% endif %}."
    )
    kwargs.setdefault("at", timezone.now() + timedelta(days=1))
    return communication_create(actor=project.manager, project=project, name=name, **kwargs)


@pytest.mark.django_db
class CommunicationCreateTests:
    def test_template_syntax_error_names_the_field(self):
        """A subject or body that does not compile is refused on that field."""
        project = ProjectFactory()
        with pytest.raises(ValidationError) as exc:
            plan(project, subject="{% if %}")
        assert "subject" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            plan(project, body="{{ project.name|nosuchfilter }}")
        assert "body" in exc.value.message_dict
        communication = plan(project)
        with pytest.raises(ValidationError) as exc:
            communication_update(
                actor=project.manager, communication=communication, body="{% for %}"
            )
        assert "body" in exc.value.message_dict

    def test_rules_across_fields(self):
        """Audience, anchor and channel each need what they name."""
        project = ProjectFactory()
        cases = [
            ({"audience": "wave"}, "wave"),
            ({"anchor": "wave_start", "at": None}, "wave"),
            ({"anchor": "cutover", "at": None}, "runbook"),
            ({"at": None}, "at"),
            ({"channel": "webhook"}, "webhook_url"),
            ({"recipients": []}, "recipients"),
            ({"recipients": ["nope"]}, "recipients"),
            ({"channel": "webhook", "webhook_url": "ftp://x"}, "webhook_url"),
        ]
        for kwargs, field in cases:
            with pytest.raises(ValidationError) as exc:
                plan(project, **kwargs)
            assert field in exc.value.message_dict, kwargs
        assert not Communication.objects.filter(project=project).exists()

    def test_webhook_url_is_encrypted_and_masked(self, webhook):
        """The URL is kept encrypted; only its masked form is shown."""
        project = ProjectFactory()
        _, url = webhook
        communication = plan(project, channel="webhook", webhook_url=url, recipients=[])
        assert "s3cret" not in communication.webhook_secret
        assert secret_decrypt(communication.webhook_secret) == url
        # host only: chat tools put their token in the path
        assert communication.webhook_display == url.split("/hooks")[0] + "/***"
        event = AuditEvent.objects.get(action="communication.create")
        assert "s3cret" not in json.dumps(event.changes)

    def test_only_managers_plan(self):
        """Contributors and approvers cannot plan; outsiders do not see the project."""
        project = ProjectFactory()
        team = team_for(project)
        for role in ("viewer", "contributor", "approver"):
            with pytest.raises(PermissionDenied):
                communication_create(
                    actor=team[role],
                    project=project,
                    name="x",
                    audience="members",
                    subject="s",
                    body="b",
                    at=timezone.now(),
                )
        with pytest.raises(NotFound):
            communication_create(
                actor=ProjectFactory().manager,
                project=project,
                name="x",
                audience="members",
                subject="s",
                body="b",
                at=timezone.now(),
            )


@pytest.mark.django_db
class CommunicationUpdateCancelTests:
    def test_update_with_version(self):
        """A stale version is refused; a change bumps the version."""
        project = ProjectFactory()
        communication = plan(project)
        communication = communication_update(
            actor=project.manager, communication=communication, version=1, subject="New"
        )
        assert communication.version == 2
        with pytest.raises(Conflict):
            communication_update(
                actor=project.manager, communication=communication, version=1, subject="Old"
            )
        with pytest.raises(ValidationError):
            communication_update(actor=project.manager, communication=communication, status="sent")

    def test_cancel_needs_a_reason_and_stops_changes(self):
        """A cancelled communication is no longer changed or sent."""
        project = ProjectFactory()
        communication = plan(project)
        with pytest.raises(ValidationError):
            communication_cancel(actor=project.manager, communication=communication, reason="")
        communication = communication_cancel(
            actor=project.manager, communication=communication, reason="Merged into another"
        )
        assert communication.status == "cancelled"
        with pytest.raises(Conflict):
            communication_update(actor=project.manager, communication=communication, body="x")
        with pytest.raises(Conflict):
            communication_send(actor=project.manager, communication=communication)


@pytest.mark.django_db
class ScheduleAndRecipientsTests:
    def test_scheduled_at_per_anchor(self):
        """Absolute time, wave start/end plus offset, cutover from the latest live run."""
        project = ProjectFactory()
        wave = WaveFactory(project=project, contact_emails=["cohort@example.com"])
        runbook = RunbookFactory(project=project)
        at = timezone.now() + timedelta(days=2)
        assert communication_scheduled_at(plan(project, "a", at=at)) == at
        before_start = plan(project, "b", wave=wave, anchor="wave_start", offset_minutes=-60)
        assert communication_scheduled_at(before_start) == wave.planned_start - timedelta(hours=1)
        after_end = plan(project, "c", wave=wave, anchor="wave_end", offset_minutes=30)
        assert communication_scheduled_at(after_end) == wave.planned_end + timedelta(minutes=30)
        cutover = plan(project, "d", runbook=runbook, anchor="cutover", at=None, offset_minutes=-15)
        assert communication_scheduled_at(cutover) is None
        RunFactory(
            runbook=runbook, kind="rehearsal", planned_start=at, number=1, status="succeeded"
        )
        assert communication_scheduled_at(cutover) is None
        t0 = at + timedelta(days=3)
        RunFactory(runbook=runbook, kind="live", planned_start=at, status="aborted", number=2)
        RunFactory(runbook=runbook, kind="live", planned_start=t0, number=3)
        assert communication_scheduled_at(cutover) == t0 - timedelta(minutes=15)
        got = communication_get(user=project.manager, project=project, name="d")
        assert got.scheduled_at == t0 - timedelta(minutes=15)

    def test_cutover_anchor_falls_back_to_the_wave_start(self):
        """Before a live run exists, a cutover-timed message counts from the runbook's wave."""
        project = ProjectFactory()
        wave = WaveFactory(project=project)
        runbook = RunbookFactory(project=project, wave=wave)
        notice = plan(
            project, "freeze", runbook=runbook, anchor="cutover", at=None, offset_minutes=-60
        )
        assert communication_scheduled_at(notice) == wave.planned_start - timedelta(hours=1)
        t0 = wave.planned_start + timedelta(days=1)
        RunFactory(runbook=runbook, kind="live", planned_start=t0, number=1)
        assert communication_scheduled_at(notice) == t0 - timedelta(hours=1)

    def test_schedule_queries_do_not_grow_with_cutover_messages(self, django_assert_num_queries):
        """Listing the schedule reads each runbook's live T0 once, not once per message."""
        project = ProjectFactory()
        wave = WaveFactory(project=project)
        runbooks = [RunbookFactory(project=project, wave=wave) for _ in range(3)]
        RunFactory(runbook=runbooks[0], kind="live", number=1)
        for n in range(6):
            plan(project, f"m{n}", runbook=runbooks[n % 3], anchor="cutover", at=None)
        list(communication_schedule(user=project.manager, project=project))  # warm the role cache
        with django_assert_num_queries(2):
            items = communication_schedule(user=project.manager, project=project)
        assert {c.scheduled_at for c in items} >= {wave.planned_start}

    def test_recipients_per_audience(self):
        """Wave contacts, stakeholders (approver and up), all members, or the named addresses."""
        project = ProjectFactory()
        team = team_for(project)
        wave = WaveFactory(project=project, contact_emails=["cohort@example.com"])
        assert communication_recipients(plan(project, "w", audience="wave", wave=wave)) == [
            "cohort@example.com"
        ]
        stakeholders = communication_recipients(plan(project, "s", audience="stakeholders"))
        assert sorted(stakeholders) == sorted([project.manager.email, team["approver"].email])
        members = communication_recipients(plan(project, "m", audience="members"))
        assert len(members) == 4 and team["viewer"].email in members
        custom = plan(project, "c", recipients=["a@example.com", "A@example.com", "b@example.com"])
        assert communication_recipients(custom) == ["a@example.com", "b@example.com"]


@pytest.mark.django_db
class CommunicationSendTests:
    def test_email_goes_out_rendered_in_bcc(self, settings):
        """The rendered message goes to the audience in bcc from the default sender."""
        settings.DEFAULT_FROM_EMAIL = "golive@example.com"
        project = ProjectFactory(name="ERP <new>")
        wave = WaveFactory(project=project, name="Pilot", contact_emails=["cohort@example.com"])
        communication = plan(project, audience="wave", wave=wave, recipients=[])
        mail.outbox.clear()
        log = communication_send(actor=project.manager, communication=communication)
        assert log.ok and log.error == ""
        [message] = mail.outbox
        assert message.subject == "ERP <new> goes live"
        assert message.body == f"Hello, {project.key} goes live for Pilot."
        assert message.bcc == ["cohort@example.com"] and message.to == []
        assert message.from_email == "golive@example.com"
        communication.refresh_from_db()
        assert communication.status == "sent" and communication.sent_at is not None
        assert log.sent_by == project.manager and log.recipients == ["cohort@example.com"]
        assert list(communication_log_list(user=project.manager, communication=communication)) == [
            log
        ]

    def test_email_failure_is_logged(self, monkeypatch):
        """A mail server error is logged; the communication is failed, to fix and resend."""
        project = ProjectFactory()
        communication = plan(project)

        def refuse(self, fail_silently=False):
            raise ConnectionRefusedError("SMTP server down")

        monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
        log = communication_send(actor=project.manager, communication=communication)
        assert not log.ok and "SMTP server down" in log.error
        communication.refresh_from_db()
        assert communication.status == "failed" and communication.sent_at is None
        assert AuditEvent.objects.filter(action="communication.send_failed").exists()
        monkeypatch.undo()
        communication = communication_update(
            actor=project.manager, communication=communication, subject="Retry"
        )
        assert communication_send(actor=project.manager, communication=communication).ok

    def test_audience_without_addresses_fails(self):
        """A wave with no contact address cannot be reached: a failed, logged attempt."""
        project = ProjectFactory()
        wave = WaveFactory(project=project, contact_emails=[])
        communication = plan(project, audience="wave", wave=wave, recipients=[])
        log = communication_send(actor=project.manager, communication=communication)
        assert not log.ok and "no e-mail address" in log.error

    def test_webhook_posts_json_text(self, webhook):
        """A webhook message is POSTed as {"text": subject, blank line, body}."""
        handler, url = webhook
        project = ProjectFactory(name="ERP")
        communication = plan(project, channel="webhook", webhook_url=url, recipients=[])
        log = communication_send(actor=project.manager, communication=communication)
        assert log.ok, log.error
        [request] = handler.received
        assert log.recipients == [communication.webhook_display]
        assert request["type"] == "application/json"
        assert request["body"] == {"text": f"ERP goes live\n\nHello, {project.key} goes live."}
        communication.refresh_from_db()
        assert communication.status == "sent"

    def test_webhook_error_is_logged(self, webhook):
        """A webhook answering an error status makes a failed log entry with the error."""
        handler, url = webhook
        handler.status = 500
        project = ProjectFactory()
        communication = plan(project, channel="webhook", webhook_url=url, recipients=[])
        log = communication_send(actor=project.manager, communication=communication)
        assert not log.ok and "500" in log.error
        communication.refresh_from_db()
        assert communication.status == "failed"

    def test_unreachable_webhook_is_logged(self):
        """Nothing listening: the connection error is logged."""
        project = ProjectFactory()
        communication = plan(
            project, channel="webhook", webhook_url="http://127.0.0.1:9/hook", recipients=[]
        )
        log = communication_send(actor=project.manager, communication=communication)
        assert not log.ok and log.error

    def test_only_managers_send(self):
        """Approvers and below may not send; outsiders do not see the project."""
        project = ProjectFactory()
        team = team_for(project)
        communication = plan(project)
        for role in ("viewer", "contributor", "approver"):
            with pytest.raises(PermissionDenied):
                communication_send(actor=team[role], communication=communication)
        with pytest.raises(NotFound):
            communication_send(actor=ProjectFactory().manager, communication=communication)
        assert list(communication_list(user=team["viewer"], project=project)) == [communication]
        assert not CommunicationLog.objects.exists()


@pytest.mark.django_db
class SendDueTests:
    def test_only_due_planned_communications_go_out(self):
        """Past and planned: sent; future, cancelled, or timed from an unplanned cutover: not."""
        project = ProjectFactory()
        now = timezone.now()
        due = plan(project, "due", at=now - timedelta(minutes=5))
        plan(project, "later", at=now + timedelta(hours=1))
        cancelled = plan(project, "cancelled", at=now - timedelta(hours=1))
        communication_cancel(actor=project.manager, communication=cancelled, reason="no")
        plan(project, "cutover", anchor="cutover", runbook=RunbookFactory(project=project), at=None)
        mail.outbox.clear()
        logs = communications_send_due()
        assert [log.communication_id for log in logs] == [due.pk]
        assert len(mail.outbox) == 1
        assert logs[0].sent_by is None
        assert communications_send_due() == []
        later = communications_send_due(now=now + timedelta(hours=2))
        assert [log.communication.name for log in later] == ["later"]

    def test_task_sends_due_communications(self, settings, django_capture_on_commit_callbacks):
        """The background task sends what is due and returns the log ids."""
        settings.TASKS = IMMEDIATE
        project = ProjectFactory()
        with django_capture_on_commit_callbacks(execute=True):
            plan(project, "due", at=timezone.now() - timedelta(minutes=1))
        # Planning a communication that is already due enqueued the task, which sent it.
        assert Communication.objects.get(name="due").status == "sent"
        assert send_due_communications.enqueue().return_value == []

    def test_live_run_schedules_its_cutover_messages(
        self, settings, django_capture_on_commit_callbacks
    ):
        """Starting a live run queues each message timed from its T0 for that moment."""
        settings.TASKS = DATABASE
        project = ProjectFactory()
        runbook = RunbookFactory(project=project)
        StepFactory(runbook=runbook, key="go")
        plan(project, "live-notice", runbook=runbook, anchor="cutover", at=None, offset_minutes=90)
        DBTaskResult.objects.all().delete()
        t0 = timezone.now() + timedelta(hours=2)
        with django_capture_on_commit_callbacks(execute=True):
            run_start(actor=project.manager, runbook=runbook, kind="live", planned_start=t0)
        assert DBTaskResult.objects.get().run_after == t0 + timedelta(minutes=90)

    def test_future_communication_is_enqueued_for_its_time(self, settings):
        """With the database backend the task is queued to run when the message is due."""
        settings.TASKS = DATABASE
        project = ProjectFactory()
        at = timezone.now() + timedelta(hours=3)
        communication = plan(project, at=at)
        assert schedule_communication(communication.pk) == at
        queued = DBTaskResult.objects.get()
        assert queued.run_after == at
