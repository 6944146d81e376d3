"""The demo project's rollout: a pilot and two waves, the pilot cutover runbook with its rollback
plan, one finished rehearsal of each (the rollback one slower than its RTO), a second cutover
rehearsal under way, a migration check between two small SQLite databases that still finds
planted differences, and the communications around the pilot.
"""

import sqlite3
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.test.utils import override_settings
from django.utils import timezone

from golive.accounts.models import User
from golive.projects.models import Project
from golive.rollout.models import Run, RunStep, StepKind
from golive.rollout.services.communications import communication_create, communication_send
from golive.rollout.services.migrations import migration_check_create, migration_check_run
from golive.rollout.services.plan import rollout_plan_set, wave_create
from golive.rollout.services.runbooks import runbook_create, step_create
from golive.rollout.services.runs import (
    run_start,
    step_complete,
    step_resolve,
    step_skip,
    step_start,
    step_verdict,
)

# key, title, kind, duration, offset from T0 (minutes), owner, predecessors, extra
CUTOVER_STEPS: list[tuple[str, str, str, int, int | None, str, list[str], dict]] = [
    (
        "freeze",
        "Announce the change freeze",
        "communication",
        10,
        -1440,
        "maria",
        [],
        {"communication": "change-freeze"},
    ),
    ("backup", "Full backup of the legacy database", "manual", 60, -120, "chris", [], {}),
    (
        "stop-legacy",
        "Stop the legacy system and batch jobs",
        "manual",
        20,
        0,
        "chris",
        ["backup"],
        {},
    ),
    (
        "extract",
        "Extract open items and master data",
        "manual",
        90,
        None,
        "chris",
        ["stop-legacy"],
        {},
    ),
    ("load", "Load the data into the ERP", "manual", 120, None, "chris", ["extract"], {}),
    (
        "reconcile",
        "Reconcile customers and open items",
        "check",
        30,
        None,
        "quinn",
        ["load"],
        {"migration_check": "mock-2-customers"},
    ),
    (
        "smoke",
        "Smoke test: post and reverse one invoice per company code",
        "check",
        45,
        None,
        "quinn",
        ["load"],
        {"expected_value": "12"},
    ),
    (
        "go-no-go",
        "Go/no-go call with the sponsor",
        "decision",
        15,
        None,
        "maria",
        ["reconcile", "smoke"],
        {"approvers": ["sam", "maria"]},
    ),
    (
        "rollback-point",
        "Last point to roll back: invoke the rollback plan?",
        "rollback_trigger",
        5,
        None,
        "maria",
        ["go-no-go"],
        {},
    ),
    (
        "open-users",
        "Open the ERP to the pilot users",
        "manual",
        15,
        None,
        "chris",
        ["rollback-point"],
        {},
    ),
    (
        "announce",
        "Tell the pilot users the ERP is live",
        "communication",
        5,
        None,
        "maria",
        ["open-users"],
        {"communication": "pilot-live"},
    ),
]

ROLLBACK_STEPS: list[tuple[str, str, str, int, str, list[str], dict]] = [
    (
        "decide",
        "Confirm the rollback with the sponsor",
        "decision",
        10,
        "maria",
        [],
        {"approvers": ["sam"]},
    ),
    ("close-erp", "Close the ERP to users", "manual", 10, "chris", ["decide"], {}),
    (
        "restore",
        "Restore the legacy database from the backup",
        "manual",
        45,
        "chris",
        ["close-erp"],
        {},
    ),
    ("restart", "Restart the legacy system and batch jobs", "manual", 15, "chris", ["restore"], {}),
    (
        "verify",
        "Verify legacy balances against the backup report",
        "check",
        15,
        "quinn",
        ["restart"],
        {"expected_value": "OK"},
    ),
]

# step key -> (actual minutes, note) in the finished cutover rehearsal
REHEARSAL_ACTUALS = {
    "freeze": (5, ""),
    "backup": (75, "The backup ran 15 minutes long: the archive tables were included."),
    "stop-legacy": (20, ""),
    "extract": (110, "Extraction of open items slower than planned (no index on the due date)."),
    "load": (135, ""),
    "reconcile": (25, ""),
    "smoke": (50, ""),
    "go-no-go": (10, ""),
    "rollback-point": (5, ""),
    "open-users": (15, ""),
    "announce": (5, ""),
}
ROLLBACK_ACTUALS = {
    "decide": (10, ""),
    "close-erp": (10, ""),
    "restore": (65, "The restore read the backup over the WAN link: 20 minutes over plan."),
    "restart": (25, "Batch scheduler needed a manual restart."),
    "verify": (15, ""),
}


def rollout_build(project: Project, users: dict[str, User]) -> None:
    """Add the rollout part of the demo to `project`."""
    maria = users["maria"]
    now = timezone.now()
    day = project.planned_go_live or (now + timedelta(days=70)).date()
    go_live = datetime.combine(day, time(18, 0), tzinfo=ZoneInfo(project.time_zone))
    rollout_plan_set(
        actor=maria,
        project=project,
        strategy="pilot",
        notes=(
            "Pilot at the Hamburg plant over a weekend cutover, four weeks of hypercare, then "
            "Lyon and Porto as waves once the pilot's hypercare exit gate is decided."
        ),
    )
    pilot = wave_create(
        actor=maria,
        project=project,
        name="Hamburg pilot",
        slug="hamburg",
        owner=maria,
        is_pilot=True,
        cohort_kind="site",
        cohort="Hamburg plant: finance, purchasing, warehouse",
        headcount=120,
        contact_emails=["erp-hamburg@example.com"],
        planned_start=go_live,
        planned_end=go_live + timedelta(days=28),
        approvers=[users["sam"], maria],
    )
    for offset, name, slug, headcount in ((42, "Lyon", "lyon", 260), (70, "Porto", "porto", 180)):
        wave_create(
            actor=maria,
            project=project,
            name=name,
            slug=slug,
            owner=maria,
            cohort_kind="site",
            cohort=f"{name} site: finance and logistics",
            headcount=headcount,
            contact_emails=[f"erp-{slug}@example.com"],
            planned_start=go_live + timedelta(days=offset),
            planned_end=go_live + timedelta(days=offset + 28),
            approvers=[users["sam"], maria],
        )
    _migration_check(project, maria)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        rollback = runbook_create(
            actor=maria,
            project=project,
            name="legacy-restore",
            title="Rollback: restore the legacy system",
            owner=users["chris"],
            kind="rollback",
            trigger_conditions=(
                "The go/no-go call says no-go, or a reconciliation difference cannot be "
                "explained within 60 minutes."
            ),
            rto_minutes=90,
        )
        for key, title, kind, minutes, owner, after, extra in ROLLBACK_STEPS:
            step_create(
                actor=maria,
                runbook=rollback,
                key=key,
                title=title,
                kind=kind,
                duration_minutes=minutes,
                owner=owner,
                depends_on=after,
                **extra,
            )
        cutover = runbook_create(
            actor=maria,
            project=project,
            name="pilot-cutover",
            title="Pilot cutover: Hamburg",
            owner=users["chris"],
            wave=pilot,
            rollback_plan=rollback,
            description="The weekend cutover of the Hamburg pilot, T0 on Friday 18:00.",
        )
        _communications(project, users, pilot)
        for key, title, kind, minutes, offset, owner, after, extra in CUTOVER_STEPS:
            step_create(
                actor=maria,
                runbook=cutover,
                key=key,
                title=title,
                kind=kind,
                duration_minutes=minutes,
                offset_minutes=offset,
                owner=owner,
                depends_on=after,
                **extra,
            )
        _rehearse(cutover, users, ago=timedelta(days=9), actuals=REHEARSAL_ACTUALS)
        _rehearse(rollback, users, ago=timedelta(days=8), actuals=ROLLBACK_ACTUALS)
        _rehearsal_under_way(cutover, users)


def _migration_check(project: Project, maria: User) -> None:
    """Two small SQLite databases, the legacy extract and the ERP load, with planted gaps."""
    folder = Path(settings.GOLIVE_HOME) / "demo-migration"
    folder.mkdir(parents=True, exist_ok=True)
    legacy, erp = folder / "legacy.sqlite3", folder / "erp.sqlite3"
    customers = [(n, f"Customer {n:04d}", ["DE", "FR", "PT"][n % 3]) for n in range(1, 501)]
    items = [(n, (n % 500) + 1, round(100 + n * 7.31 % 900, 2)) for n in range(1, 2001)]
    for path, rows, open_items in (
        (legacy, customers, items),
        (
            erp,
            # the load lost two customers, invented one and renamed three
            [
                (n, "Kunde 0007" if n == 7 else name, "AT" if n in (120, 121) else country)
                for n, name, country in customers
                if n not in (250, 251)
            ]
            + [(999, "Test customer", "DE")],
            [(n, c, amount + (0.01 if n == 1500 else 0)) for n, c, amount in items],
        ),
    ):
        path.unlink(missing_ok=True)
        with sqlite3.connect(path) as db:
            db.execute("create table customers (id integer primary key, name text, country text)")
            db.execute(
                "create table open_items (id integer primary key, customer_id integer, amount real)"
            )
            db.executemany("insert into customers values (?, ?, ?)", rows)
            db.executemany("insert into open_items values (?, ?, ?)", open_items)
        db.close()
    check = migration_check_create(
        actor=maria,
        project=project,
        name="mock-2-customers",
        title="Mock migration 2: customers and open items",
        check_set="mock-2",
        source=f"sqlite:///{legacy}",
        target=f"sqlite:///{erp}",
        tables=[
            {"source": "customers", "target": "customers", "key": ["id"]},
            {
                "source": "open_items",
                "target": "open_items",
                "key": ["id"],
                "aggregates": {"amount": ["sum", "checksum"]},
            },
        ],
        sample_size=10,
    )
    migration_check_run(actor=maria, check=check)


def _communications(project: Project, users: dict[str, User], pilot) -> None:
    maria = users["maria"]
    kickoff = communication_create(
        actor=maria,
        project=project,
        name="rollout-briefing",
        audience="stakeholders",
        subject="{{ project.name }}: how the rollout will run",
        body=(
            "The ERP goes live at the Hamburg plant first, then Lyon and Porto in waves. "
            "Each wave starts only after its go/no-go decision."
        ),
        at=timezone.now() - timedelta(days=3),
    )
    communication_send(actor=maria, communication=kickoff)
    communication_create(
        actor=maria,
        project=project,
        name="pilot-invitation",
        audience="wave",
        wave=pilot,
        subject="The new ERP comes to {{ wave.name }}",
        body=(
            "Dear colleagues, the ERP goes live for {{ wave.name }} on "
            "{{ wave.planned_start|date:'j F' }}. Training starts two weeks before."
        ),
        anchor="wave_start",
        offset_minutes=-14 * 24 * 60,
    )
    communication_create(
        actor=maria,
        project=project,
        name="change-freeze",
        audience="members",
        subject="{{ project.name }}: change freeze from tomorrow 18:00",
        body="No changes to the legacy system from 24 hours before the cutover until go-live.",
        anchor="cutover",
        runbook="pilot-cutover",
        offset_minutes=-24 * 60,
    )
    communication_create(
        actor=maria,
        project=project,
        name="pilot-live",
        audience="wave",
        wave=pilot,
        subject="The ERP is live for {{ wave.name }}",
        body="Good morning: the ERP is open. The hypercare desk answers on extension 4242.",
        anchor="cutover",
        runbook="pilot-cutover",
        offset_minutes=14 * 60,
    )
    communication_create(
        actor=maria,
        project=project,
        name="support-rota",
        audience="support",
        recipients=["servicedesk@example.com"],
        subject="Hypercare rota for {{ wave.name }}",
        body="The hypercare rota and the escalation contacts for {{ wave.name }} are attached.",
        wave=pilot,
        anchor="wave_start",
        offset_minutes=-3 * 24 * 60,
    )


def _walk(run: Run, users: dict[str, User], *, stop_before: str | None = None) -> None:
    """Work the run's steps in order, as their owners would, until `stop_before`."""
    values = {"smoke": "12", "verify": "OK"}
    for step in run.steps.order_by("position", "id"):
        if step.key == stop_before:
            return
        step.refresh_from_db()
        if step.status != "pending":
            continue
        owner = step.owner or run.started_by
        if step.kind == StepKind.ROLLBACK_TRIGGER:
            step_skip(actor=users["maria"], run_step=step, reason="Go decided: no rollback.")
            continue
        if step.kind == StepKind.DECISION:
            step_start(actor=owner, run_step=step)
            for approver in User.objects.filter(pk__in=step.approver_ids):
                step_verdict(actor=approver, run_step=step, approve=True, comment="Go.")
            continue
        step_start(actor=owner, run_step=step)
        step_complete(actor=owner, run_step=step, actual_value=values.get(step.key, ""))
        step.refresh_from_db()
        if step.status == "failed":
            step_resolve(
                actor=users["maria"],
                run_step=step,
                resolution="continue",
                note="Known differences from mock 2 (renamed customers); fixed in the mock 3 load.",
            )


def _rehearse(runbook, users: dict[str, User], *, ago: timedelta, actuals: dict) -> None:
    """Run a whole rehearsal now, then move it back in time with the actual durations."""
    run = run_start(actor=users["maria"], runbook=runbook, kind="rehearsal")
    _walk(run, users)
    run.refresh_from_db()
    t0 = (timezone.now() - ago).replace(hour=17, minute=0, second=0, microsecond=0)
    finish: dict[str, datetime] = {}
    for step in run.steps.order_by("position", "id"):
        ready = max([finish[k] for k in step.depends_on if k in finish], default=t0)
        if step.offset_minutes is not None:
            ready = max(ready, t0 + timedelta(minutes=step.offset_minutes))
        minutes, note = actuals[step.key]
        finish[step.key] = ready + timedelta(minutes=minutes)
        RunStep.objects.filter(pk=step.pk).update(
            started_at=ready, finished_at=finish[step.key], note=note or step.note
        )
    offsets = [s.offset_minutes for s in run.steps.all() if s.offset_minutes is not None]
    start = t0 + timedelta(minutes=min([0, *offsets]))
    Run.objects.filter(pk=run.pk).update(
        planned_start=t0, started_at=start, ended_at=max(finish.values())
    )


def _rehearsal_under_way(runbook, users: dict[str, User]) -> None:
    """A second rehearsal of the cutover, started an hour ago, loading the data now."""
    run = run_start(
        actor=users["maria"],
        runbook=runbook,
        kind="rehearsal",
        notes="Rehearsal 2 with the mock 3 data.",
    )
    _walk(run, users, stop_before="load")
    load = run.steps.get(key="load")
    step_start(actor=users["chris"], run_step=load)
