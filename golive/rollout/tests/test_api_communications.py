"""API tests: communications (plan, change, send now, cancel, the log) with masked webhooks."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from golive.config.tests.support import (
    ApiClient,
    Endpoint,
    assert_problem,
    matrix_cases,
    queries_for,
    run_matrix,
)
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.rollout.models import Communication, CommunicationLog
from golive.rollout.services.communications import communication_create, communication_send
from golive.rollout.tests.test_api_plan import _rollout_state, make_wave  # noqa: F401
from golive.rollout.tests.test_api_runbooks import make_runbook

WEBHOOK = "https://chat.example.com/hooks/rollout?token=t0p-s3cret"


def make_communication(project, name="cutover-notice", **fields):
    """Plan an e-mail to named addresses, tomorrow."""
    fields.setdefault("audience", "custom")
    fields.setdefault("recipients", ["users@example.com"])
    fields.setdefault("at", timezone.now() + timedelta(days=1))
    return communication_create(
        actor=project.manager,
        project=project,
        name=name,
        subject=fields.pop("subject", "{{ project.name }} goes live"),
        body=fields.pop("body", "Hello, {{ project.name }} goes live on Monday."),
        **fields,
    )


def _communication(project, callers):
    make_communication(project)
    return {"name": "cutover-notice"}


def _sent(project, callers):
    communication = make_communication(project)
    communication_send(actor=project.manager, communication=communication)
    return {"name": "cutover-notice"}


C = "/projects/{key}/rollout/communications"
ENDPOINTS = [
    Endpoint("comms-list", "GET", C, setup=_communication),
    Endpoint(
        "comms-create",
        "POST",
        C,
        min_role="manager",
        body={
            "name": "welcome",
            "audience": "members",
            "subject": "Welcome",
            "body": "The new system is live.",
            "at": "2027-03-08T07:00:00Z",
        },
        ok=201,
    ),
    Endpoint("comms-get", "GET", C + "/{name}", setup=_communication),
    Endpoint(
        "comms-update",
        "PATCH",
        C + "/{name}",
        min_role="manager",
        body={"version": 1, "subject": "Cutover this weekend"},
        setup=_communication,
    ),
    Endpoint(
        "comms-send", "POST", C + "/{name}/send", min_role="manager", setup=_communication, ok=201
    ),
    Endpoint(
        "comms-cancel",
        "POST",
        C + "/{name}/cancel",
        min_role="manager",
        body={"reason": "Date moved."},
        setup=_communication,
    ),
    Endpoint("comms-log", "GET", C + "/{name}/log", setup=_sent),
]


@pytest.mark.django_db
class CommunicationAccessMatrixTests:
    @pytest.mark.parametrize(("endpoint", "caller"), matrix_cases(ENDPOINTS))
    def test_caller_gets_expected_status(self, endpoint, caller):
        """Each caller gets 401/404/403 or success, and a refusal writes nothing."""
        run_matrix(endpoint, caller)


P = "/projects/ERP/rollout/communications"


@pytest.fixture
def project():
    return ProjectFactory(key="ERP", manager=UserFactory(username="pm"))


@pytest.fixture
def team(project):
    return team_for(project)


@pytest.fixture
def pm(project):
    return ApiClient(project.manager)


@pytest.mark.django_db
class CommunicationApiTests:
    def test_create_timed_from_a_wave(self, project, team, pm):
        """A message to a wave's cohort, a day before its start, answers when and to whom."""
        wave = make_wave(project, contact_emails=["lyon@example.com"])
        response = pm.post(
            P,
            {
                "name": "pilot-notice",
                "audience": "wave",
                "wave": "pilot",
                "subject": "{{ wave.name }} starts soon",
                "body": "Dear users, {{ wave.name }} starts tomorrow.",
                "anchor": "wave_start",
                "offset_minutes": -1440,
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["wave"], body["anchor"], body["status"]) == ("pilot", "wave_start", "planned")
        assert body["resolved_recipients"] == ["lyon@example.com"]
        expected = (wave.planned_start - timedelta(days=1)).isoformat()[:16]
        assert body["scheduled_at"].startswith(expected[:16])

    def test_bad_input_is_422(self, project, pm):
        """A wave audience without wave, a broken template, no time, a bad webhook are refused."""
        base = {"name": "m", "audience": "custom", "recipients": ["a@example.com"]}
        base |= {"subject": "S", "body": "B", "at": "2027-03-08T07:00:00Z"}
        for change in (
            {"audience": "wave"},
            {"body": "{% if %}"},
            {"at": None},
            {"recipients": []},
            {"channel": "webhook", "webhook_url": "not a url"},
            {"anchor": "cutover"},
            {"audience": "everyone"},
        ):
            assert_problem(pm.post(P, {**base, **change}), 422)
        assert not Communication.objects.exists()

    def test_webhook_url_is_shown_masked_only(self, project, team, pm):
        """The webhook's URL is stored encrypted; answers show it masked."""
        response = pm.post(
            P,
            {
                "name": "chat",
                "audience": "support",
                "channel": "webhook",
                "webhook_url": WEBHOOK,
                "subject": "Cutover",
                "body": "Starting.",
                "at": "2027-03-08T07:00:00Z",
            },
        )
        assert response.status_code == 201, response.content
        assert response.json()["webhook"] == "https://chat.example.com/***"
        assert b"t0p-s3cret" not in response.content
        for path in (P, f"{P}/chat"):
            assert b"t0p-s3cret" not in ApiClient(team["viewer"]).get(path).content

    def test_update_with_version(self, project, pm):
        """A change with the current version applies; a stale one gets 409."""
        make_communication(project)
        changed = pm.patch(f"{P}/cutover-notice", {"version": 1, "subject": "Moved"}).json()
        assert (changed["subject"], changed["version"]) == ("Moved", 2)
        body = assert_problem(pm.patch(f"{P}/cutover-notice", {"version": 1, "body": "X"}), 409)
        assert body["current"]["subject"] == "Moved"

    def test_send_now_logs_and_marks_sent(self, project, pm):
        """Sending renders the templates, mails the recipients and logs it; then it is sent."""
        make_communication(project)
        response = pm.post(f"{P}/cutover-notice/send")
        assert response.status_code == 201, response.content
        log = response.json()
        assert (log["ok"], log["recipients"], log["sent_by"]) == (True, ["users@example.com"], "pm")
        assert log["subject"] == f"{project.name} goes live"
        assert len(mail.outbox) == 1
        assert mail.outbox[0].recipients() == ["users@example.com"]
        detail = pm.get(f"{P}/cutover-notice").json()
        assert detail["status"] == "sent" and detail["sent_at"] is not None
        assert_problem(pm.patch(f"{P}/cutover-notice", {"version": 2, "subject": "X"}), 409)
        assert_problem(pm.post(f"{P}/cutover-notice/cancel", {"reason": "Too late."}), 409)
        assert pm.get(f"{P}/cutover-notice/log").json()["items"][0]["id"] == log["id"]

    def test_cancel_needs_a_reason_and_blocks_sending(self, project, pm):
        """Cancelling needs a reason; a cancelled message cannot be sent."""
        make_communication(project)
        assert_problem(pm.post(f"{P}/cutover-notice/cancel", {"reason": ""}), 422)
        assert pm.post(f"{P}/cutover-notice/cancel", {"reason": "Moved."}).json()["status"] == (
            "cancelled"
        )
        assert_problem(pm.post(f"{P}/cutover-notice/send"), 409)
        assert not CommunicationLog.objects.exists()

    def test_cutover_anchor_waits_for_a_live_run(self, project, pm):
        """A message timed from the cutover has no time until the runbook has a live run."""
        make_runbook(project)
        make_communication(project, "t-minus", anchor="cutover", runbook="erp-cutover", at=None)
        body = pm.get(f"{P}/t-minus").json()
        assert (body["runbook"], body["scheduled_at"]) == ("erp-cutover", None)

    def test_another_projects_communication_is_404(self, project, pm):
        """A communication of another project is not found under this one."""
        make_communication(ProjectFactory(key="CRM", manager=project.manager))
        assert_problem(pm.get(f"{P}/cutover-notice"), 404)
        assert_problem(pm.get(f"{P}/cutover-notice/log"), 404)

    def test_list_and_log_queries_do_not_grow(self, project, team, django_assert_max_num_queries):
        """Listing 7 communications or 5 log entries costs no more queries than 1."""
        api = ApiClient(team["viewer"])
        make_runbook(project)
        make_wave(project)
        first = make_communication(project, "m0")
        communication_send(actor=project.manager, communication=first)
        api.get(P)
        list_baseline = queries_for(api, P)
        log_baseline = queries_for(api, f"{P}/m0/log")
        for n in range(1, 7):
            make_communication(
                project,
                f"m{n}",
                audience="wave",
                wave="pilot",
                recipients=[],
                runbook="erp-cutover",
            )
        for _ in range(4):
            Communication.objects.filter(pk=first.pk).update(status="failed")
            communication_send(actor=team["manager"], communication=first)
        with django_assert_max_num_queries(list_baseline):
            body = api.get(P).json()
        assert body["count"] == 7 and body["items"][1]["wave"] == "pilot"
        with django_assert_max_num_queries(log_baseline):
            assert api.get(f"{P}/m0/log").json()["count"] == 5
