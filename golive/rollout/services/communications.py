"""Writes on communications: planning, scheduling, rendering and sending them (e-mail, webhook)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import URLValidator
from django.db import transaction
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone

from golive.accounts.models import User
from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import Conflict, version_check
from golive.projects.models import Membership, Project, Role
from golive.rollout.access import rollout_check
from golive.rollout.models import (
    Anchor,
    Audience,
    Channel,
    Communication,
    CommunicationLog,
    Run,
    Runbook,
    RunKind,
    Wave,
)
from golive.rollout.secrets import SecretUnreadable, secret_decrypt, secret_encrypt, webhook_mask
from golive.rollout.services.plan import _emails_clean

WEBHOOK_TIMEOUT = 10  # seconds
COMMUNICATION_FIELDS = [
    "name",
    "audience",
    "wave",
    "recipients",
    "channel",
    "webhook_display",
    "subject",
    "body",
    "anchor",
    "runbook",
    "at",
    "offset_minutes",
    "required_for_go_live",
    "status",
]
UPDATABLE = {
    "name",
    "audience",
    "wave",
    "recipients",
    "channel",
    "webhook_url",
    "subject",
    "body",
    "anchor",
    "at",
    "runbook",
    "offset_minutes",
    "required_for_go_live",
}


def _wave_resolve(project: Project, value: Wave | str | None) -> Wave | None:
    if value is None or value == "":
        return None
    if isinstance(value, Wave):
        if value.project_id != project.pk:
            raise ValidationError({"wave": f"Wave {value.name!r} is not part of {project.key}."})
        return value
    wave = Wave.objects.filter(project=project, slug=value).first()
    if wave is None:
        raise ValidationError({"wave": f"{project.key} has no wave {value!r}."})
    return wave


def _runbook_resolve(project: Project, value: Runbook | str | None) -> Runbook | None:
    if value is None or value == "":
        return None
    if isinstance(value, Runbook):
        if value.project_id != project.pk:
            raise ValidationError(
                {"runbook": f"Runbook {value.name!r} is not part of {project.key}."}
            )
        return value
    runbook = Runbook.objects.filter(project=project, name=value).first()
    if runbook is None:
        raise ValidationError({"runbook": f"{project.key} has no runbook {value!r}."})
    return runbook


def _template_check(text: str, *, field: str) -> None:
    try:
        Template(text)
    except TemplateSyntaxError as exc:
        raise ValidationError({field: f"The template does not compile: {exc}"}) from None


def _webhook_set(communication: Communication, url: str) -> None:
    url = (url or "").strip()
    if not url:
        communication.webhook_secret = ""
        communication.webhook_display = ""
        return
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            {"webhook_url": "Give the webhook's full http:// or https:// URL."}
        ) from None
    communication.webhook_secret = secret_encrypt(url)
    communication.webhook_display = webhook_mask(url)


def _communication_validate(communication: Communication) -> None:
    """Check the rules that span fields (audience, channel, anchor), then the model's own."""
    errors: dict[str, str] = {}
    if communication.audience == Audience.WAVE and communication.wave is None:
        errors["wave"] = "A message to a wave's cohort names the wave."
    if communication.anchor in (Anchor.WAVE_START, Anchor.WAVE_END) and communication.wave is None:
        errors["wave"] = "A message timed from a wave's start or end names the wave."
    if communication.anchor == Anchor.CUTOVER and communication.runbook is None:
        errors["runbook"] = "A message timed from the cutover names the cutover runbook."
    if communication.anchor == Anchor.ABSOLUTE and communication.at is None:
        errors["at"] = "Give the time the message goes out (or time it from an anchor)."
    if communication.channel == Channel.WEBHOOK and not communication.webhook_secret:
        errors["webhook_url"] = "A webhook message needs the webhook's URL."
    if (
        communication.channel == Channel.EMAIL
        and communication.audience in (Audience.SUPPORT, Audience.CUSTOM)
        and not communication.recipients
    ):
        errors["recipients"] = "Name the e-mail addresses this message goes to."
    if errors:
        raise ValidationError(errors)
    _template_check(communication.subject, field="subject")
    _template_check(communication.body, field="body")
    communication.full_clean()


def _schedule(communication_id: int) -> None:
    from golive.rollout.tasks import schedule_communication  # tasks imports this module

    schedule_communication(communication_id)


def communication_create(
    *,
    actor: User,
    project: Project,
    name: str,
    audience: str,
    subject: str,
    body: str,
    channel: str = Channel.EMAIL,
    wave: Wave | str | None = None,
    recipients: Iterable[str] = (),
    webhook_url: str = "",
    anchor: str = Anchor.ABSOLUTE,
    at: datetime | None = None,
    runbook: Runbook | str | None = None,
    offset_minutes: int = 0,
    required_for_go_live: bool = True,
) -> Communication:
    """Plan a communication: its audience, channel, templates and when it goes out."""
    with transaction.atomic():
        rollout_check(user=actor, project=project, action="plan")
        communication = Communication(
            project=project,
            name=(name or "").strip(),
            audience=audience,
            wave=_wave_resolve(project, wave),
            recipients=_emails_clean(recipients, field="recipients"),
            channel=channel,
            subject=subject or "",
            body=body or "",
            anchor=anchor,
            at=at,
            runbook=_runbook_resolve(project, runbook),
            offset_minutes=offset_minutes,
            required_for_go_live=required_for_go_live,
        )
        _webhook_set(communication, webhook_url)
        _communication_validate(communication)
        communication.save()
        audit_record(
            actor=actor,
            action="communication.create",
            obj=communication,
            project=project,
            changes=audit_diff({}, audit_snapshot(communication, COMMUNICATION_FIELDS)),
        )
        transaction.on_commit(partial(_schedule, communication.pk))
    return communication


def _locked(communication: Communication) -> Communication:
    return (
        Communication.objects.select_for_update(of=("self",))
        .select_related("project", "wave", "runbook")
        .get(pk=communication.pk)
    )


def communication_update(
    *, actor: User, communication: Communication, version: int | None = None, **fields: Any
) -> Communication:
    """Change a planned (or failed) communication."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in sorted(unknown)})
    with transaction.atomic():
        communication = _locked(communication)
        project = communication.project
        rollout_check(user=actor, project=project, action="plan")
        version_check(communication, version, what=f"Communication {communication.name!r}")
        if communication.status in (Communication.Status.SENT, Communication.Status.CANCELLED):
            raise Conflict(
                f"Communication {communication.name!r} is "
                f"{communication.get_status_display().lower()}; plan a new one instead."
            )
        before = audit_snapshot(communication, COMMUNICATION_FIELDS)
        for field_name, value in fields.items():
            if field_name == "wave":
                communication.wave = _wave_resolve(project, value)
            elif field_name == "runbook":
                communication.runbook = _runbook_resolve(project, value)
            elif field_name == "recipients":
                communication.recipients = _emails_clean(value, field="recipients")
            elif field_name == "webhook_url":
                _webhook_set(communication, value)
            elif field_name == "name":
                communication.name = (value or "").strip()
            else:
                setattr(communication, field_name, value)
        _communication_validate(communication)
        changes = audit_diff(before, audit_snapshot(communication, COMMUNICATION_FIELDS))
        if "webhook_url" in fields and "webhook_display" not in changes:
            changes["webhook_url"] = ["***", "***"]  # the URL changed; its secret part is not shown
        if not changes:
            return communication
        communication.version += 1
        communication.save()
        audit_record(
            actor=actor,
            action="communication.update",
            obj=communication,
            project=project,
            changes=changes,
        )
        transaction.on_commit(partial(_schedule, communication.pk))
    return communication


def communication_cancel(
    *, actor: User, communication: Communication, reason: str
) -> Communication:
    """Cancel a communication that has not been sent; it no longer counts for go-live."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the communication is cancelled."})
    with transaction.atomic():
        communication = _locked(communication)
        rollout_check(user=actor, project=communication.project, action="plan")
        if communication.status in (Communication.Status.SENT, Communication.Status.CANCELLED):
            raise Conflict(
                f"Communication {communication.name!r} is "
                f"{communication.get_status_display().lower()}; it cannot be cancelled."
            )
        old = communication.status
        communication.status = Communication.Status.CANCELLED
        communication.version += 1
        communication.save(update_fields=["status", "version"])
        audit_record(
            actor=actor,
            action="communication.cancel",
            obj=communication,
            project=communication.project,
            changes={"status": [old, communication.status], "reason": [None, reason.strip()]},
        )
    return communication


def communication_scheduled_at(
    communication: Communication, *, live_t0: Mapping[int, datetime] | None = None
) -> datetime | None:
    """Return when `communication` goes out, or None while its anchor has no time yet.

    The cutover anchor is the planned start (T0) of the runbook's latest live run; before
    there is one, the planned start of the runbook's wave (when the cutover is planned).
    `live_t0` (runbook id → T0 of its latest live run, from `live_run_t0`) saves the query
    per message when a whole list is scheduled.
    """
    offset = timedelta(minutes=communication.offset_minutes or 0)
    if communication.anchor == Anchor.ABSOLUTE:
        return communication.at
    if communication.anchor in (Anchor.WAVE_START, Anchor.WAVE_END):
        wave = communication.wave
        if wave is None:
            return None
        base = wave.planned_start if communication.anchor == Anchor.WAVE_START else wave.planned_end
        return base + offset
    if communication.anchor == Anchor.CUTOVER:
        runbook = communication.runbook
        if runbook is None:
            return None
        t0 = (
            live_t0.get(runbook.pk)
            if live_t0 is not None
            else live_run_t0([runbook.pk]).get(runbook.pk)
        )
        if t0 is not None:
            return t0 + offset
        return runbook.wave.planned_start + offset if runbook.wave is not None else None
    return None


def live_run_t0(runbook_ids: Iterable[int]) -> dict[int, datetime]:
    """Return, per runbook, the T0 of its latest live run (one query)."""
    found: dict[int, datetime] = {}
    rows = (
        Run.objects.filter(runbook_id__in=list(runbook_ids), kind=RunKind.LIVE)
        .order_by("runbook_id", "-number", "-id")
        .values_list("runbook_id", "planned_start")
    )
    for runbook_id, planned_start in rows:
        found.setdefault(runbook_id, planned_start)
    return found


def communication_recipients(communication: Communication) -> list[str]:
    """Return the e-mail addresses `communication` goes to."""
    audience = communication.audience
    if audience == Audience.WAVE:
        emails = list(communication.wave.contact_emails) if communication.wave else []
    elif audience in (Audience.STAKEHOLDERS, Audience.MEMBERS):
        members = Membership.objects.filter(
            project_id=communication.project_id, user__is_active=True
        )
        if audience == Audience.STAKEHOLDERS:
            members = members.filter(role__gte=Role.APPROVER)
        emails = list(
            members.exclude(user__email="")
            .order_by("user__username")
            .values_list("user__email", flat=True)
        )
    else:
        emails = list(communication.recipients)
    unique: list[str] = []
    for email in emails:
        if email and email.lower() not in {e.lower() for e in unique}:
            unique.append(email)
    return unique


def _render(communication: Communication) -> tuple[str, str]:
    runbook = communication.runbook
    if runbook is None and communication.wave is not None:
        runbook = communication.wave.runbooks.filter(kind="cutover").first()
    context = Context(
        {
            "project": communication.project,
            "wave": communication.wave,
            "runbook": runbook,
            "communication": communication,
        },
        autoescape=False,
    )
    subject = Template(communication.subject).render(context)
    body = Template(communication.body).render(context)
    return " ".join(subject.split()), body


def _deliver(communication: Communication, subject: str, body: str, recipients: list[str]) -> None:
    """Send the rendered message; raise on any failure."""
    if communication.channel == Channel.WEBHOOK:
        url = secret_decrypt(communication.webhook_secret)
        payload = json.dumps({"text": f"{subject}\n\n{body}"}).encode()
        request = urllib.request.Request(  # noqa: S310  the URL was validated as http(s)
            url, data=payload, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
            status = getattr(response, "status", 200)
            if not 200 <= status < 300:
                raise OSError(f"the webhook answered HTTP {status}")
        return
    if not recipients:
        raise ValueError("the audience has no e-mail address")
    message = EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, bcc=recipients
    )
    message.send(fail_silently=False)


def _send(communication: Communication, *, actor: Any) -> CommunicationLog:
    """Render and send `communication` now; log the outcome (inside the caller's transaction)."""
    recipients = communication_recipients(communication)
    subject, body, error = "", "", ""
    try:
        subject, body = _render(communication)
        _deliver(communication, subject, body, recipients)
    except SecretUnreadable as exc:
        error = str(exc)
    except Exception as exc:  # any failure to send is evidence, recorded as such
        error = f"{type(exc).__name__}: {exc}"
    now = timezone.now()
    log = CommunicationLog(
        communication=communication,
        channel=communication.channel,
        # A webhook's "recipient" is the chat channel behind it, shown masked.
        recipients=(
            recipients
            if communication.channel == Channel.EMAIL
            else [communication.webhook_display]
        ),
        subject=subject[:300],
        body=body,
        ok=not error,
        error=error,
        sent_at=now,
        sent_by=actor if getattr(actor, "pk", None) is not None else None,
    )
    log.save()
    old = communication.status
    if error:
        communication.status = Communication.Status.FAILED
    else:
        communication.status = Communication.Status.SENT
        communication.sent_at = now
    communication.version += 1
    communication.save(update_fields=["status", "sent_at", "version"])
    audit_record(
        actor=actor,
        action="communication.send" if not error else "communication.send_failed",
        obj=communication,
        project=communication.project_id,
        changes={
            "status": [old, communication.status],
            "recipients": [None, len(log.recipients)],
            **({"error": [None, error]} if error else {}),
        },
    )
    return log


def communication_send(*, actor: User, communication: Communication) -> CommunicationLog:
    """Send `communication` now; a failure is logged and leaves it failed (to fix and resend).

    The communication stays locked while it is delivered (at most the webhook timeout), so a
    scheduler running at the same moment does not send it a second time.
    """
    with transaction.atomic():
        communication = _locked(communication)
        rollout_check(user=actor, project=communication.project, action="send")
        if communication.status == Communication.Status.CANCELLED:
            raise Conflict(f"Communication {communication.name!r} is cancelled.")
        return _send(communication, actor=actor)


def communication_send_for_step(
    *, actor: User, communication: Communication, live: bool
) -> tuple[bool, str]:
    """Send `communication` as a runbook step does; return (ok, what happened).

    The runbook authorizes the send, so whoever works the step may send it (the caller has
    checked that). A rehearsal sends nothing: users must not hear of a cutover that is only
    practised; it reports whom the live run would reach. A communication already sent is
    not sent twice; a cancelled one fails the step.
    """
    communication = _locked(communication)
    if communication.status == Communication.Status.CANCELLED:
        return False, f"Communication {communication.name!r} is cancelled."
    recipients = communication_recipients(communication)
    reach = (
        "its webhook"
        if communication.channel == Channel.WEBHOOK
        else f"{len(recipients)} recipient{'s' if len(recipients) != 1 else ''} by e-mail"
    )
    if not live:
        try:
            _render(communication)
        except Exception as exc:  # a template that no longer renders fails the rehearsal
            return False, f"Communication {communication.name!r} does not render: {exc}"
        return True, f"Rehearsal: not sent; the live run sends {communication.name} to {reach}."
    if communication.status == Communication.Status.SENT and communication.sent_at is not None:
        return (
            True,
            f"{communication.name} was already sent ({communication.sent_at:%Y-%m-%d %H:%M} UTC).",
        )
    log = _send(communication, actor=actor)
    if not log.ok:
        return False, str(log.error) or "The communication could not be sent."
    return True, f"Sent {communication.name} to {reach}."


def communications_send_due(*, now: datetime | None = None) -> list[CommunicationLog]:
    """Send every planned communication whose scheduled time has passed; return the logs."""
    now = now or timezone.now()
    logs: list[CommunicationLog] = []
    candidates = list(
        Communication.objects.filter(status=Communication.Status.PLANNED).select_related(
            "project", "wave", "runbook__wave"
        )
    )
    live_t0 = live_run_t0({c.runbook_id for c in candidates if c.runbook_id is not None})
    for candidate in candidates:
        due = communication_scheduled_at(candidate, live_t0=live_t0)
        if due is None or due > now:
            continue
        with transaction.atomic():
            communication = _locked(candidate)
            # Another worker may have sent it meanwhile: the lock makes this check final.
            if communication.status != Communication.Status.PLANNED:
                continue
            logs.append(_send(communication, actor=None))
    return logs
