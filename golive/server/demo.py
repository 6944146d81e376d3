"""The demo project ERP: an ERP cutover with a team in every role, half-way through readiness.

Later capabilities extend the same project. Building it twice changes nothing.
"""

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from golive.accounts.models import User
from golive.gates.services import criterion_add, gate_create, gate_update
from golive.projects.models import Project, Role
from golive.projects.services import membership_set, project_create, success_criterion_create
from golive.quality.services.defects import defect_report, defect_transition
from golive.quality.services.junit_import import junit_import
from golive.quality.services.signoffs import signoff_open, signoff_sign
from golive.quality.services.testing import (
    requirement_create,
    test_case_create,
    test_plan_create,
    test_result_record,
    test_run_create,
)
from golive.readiness.models import ItemStatus
from golive.readiness.services import (
    readiness_item_approve,
    readiness_item_create,
    readiness_item_set_status,
    readiness_item_update,
)
from golive.resources.services import (
    assignment_create,
    procurement_item_create,
    resource_create,
    resource_settings_update,
    skill_set,
    time_off_add,
)
from golive.server.demo_rollout import rollout_build
from golive.work.models import WorkPackage
from golive.work.services import (
    baseline_save,
    blocker_raise,
    calendar_update,
    checkpoint_record,
    dependency_create,
    escalation_path_set,
    work_package_create,
    work_package_update,
)

DEMO_KEY = "ERP"
DEMO_PASSWORD = "golive-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role | None
    what: str


DEMO_USERS = [
    DemoUser("admin", "Ada", "Admin", None, "site admin (Django admin, every project)"),
    DemoUser("maria", "Maria", "Keller", Role.MANAGER, "implementation manager"),
    DemoUser("sam", "Sam", "Okafor", Role.APPROVER, "sponsor, CFO"),
    DemoUser("quinn", "Quinn", "Larsen", Role.APPROVER, "QA lead, readiness approver"),
    DemoUser("chris", "Chris", "Novak", Role.CONTRIBUTOR, "cutover lead"),
    DemoUser("vera", "Vera", "Ito", Role.VIEWER, "operations, receives the handover"),
]

EVIDENCE = {
    "plan": (
        "Plan v3 approved by the steering committee on the 3rd; 14 milestones, each with an owner.",
        "https://intranet.example.com/erp/plan-v3",
    ),
    "requirements": (
        "312 requirements baselined in release R1; change control from here on.",
        "https://intranet.example.com/erp/requirements-r1",
    ),
    "roles": ("RACI signed by finance, logistics, IT operations and the vendor.", ""),
    "specifications": (
        "Interface specs for 9 of 11 integrations reviewed; bank and EDI specs in review.",
        "",
    ),
}

CRITERIA = [
    ("Invoice posting success rate", "99.5", "%", "at_least", 60, "quinn"),
    ("Month-end close duration", "5", "days", "at_most", 90, "sam"),
    ("P1 incidents during hypercare", "2", "incidents", "at_most", 75, "maria"),
    ("Finance users trained before go-live", "95", "%", "at_least", 45, "chris"),
]


def demo_users() -> dict[str, User]:
    """Create (or find) the demo users; an existing user's password is left as it is."""
    users = {}
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@example.com",
                "is_staff": spec.role is None,
                "is_superuser": spec.role is None,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[spec.username] = user
    return users


@transaction.atomic
def demo_build() -> tuple[Project, bool]:
    """Return the demo project, creating it (and its users) the first time."""
    users = demo_users()
    existing = Project.objects.filter(key=DEMO_KEY).first()
    if existing is not None:
        return existing, False
    maria = users["maria"]
    today = timezone.localdate()
    project = project_create(
        actor=maria,
        key=DEMO_KEY,
        name="ERP cutover: finance and logistics",
        description=(
            "Replace the legacy finance and logistics system with the new ERP across "
            "three sites: a pilot at the Hamburg plant, then Lyon and Porto in waves, "
            "with a weekend cutover per wave and four weeks of hypercare."
        ),
        time_zone="Europe/Berlin",
        planned_go_live=today + timedelta(days=70),
        manager=maria,
    )
    for spec in DEMO_USERS:
        if spec.role is not None and spec.username != "maria":
            membership_set(actor=maria, project=project, user=users[spec.username], role=spec.role)
    project.refresh_from_db()
    from golive.projects.services import project_update

    project_update(actor=maria, project=project, sponsor=users["sam"])
    for metric, target, unit, direction, due_in, owner in CRITERIA:
        success_criterion_create(
            actor=maria,
            project=project,
            metric=metric,
            target=target,
            unit=unit,
            direction=direction,
            owner=users[owner],
            due_date=today + timedelta(days=due_in),
        )
    _readiness(project, users)
    gate = project.gates.get(name="readiness")
    gate_update(actor=maria, gate=gate, approvers=[users["sam"], users["quinn"]], quorum=2)
    _plan(project, users, start=today - timedelta(days=7))
    _execution_review(project, users)
    _quality(project, users)
    _resources(project, users)
    rollout_build(project, users)
    return project, True


def _readiness(project: Project, users: dict[str, User]) -> None:
    maria, chris, quinn = users["maria"], users["chris"], users["quinn"]
    items = {item.category: item for item in project.readiness_items.all()}
    owners = {
        "plan": maria,
        "requirements": quinn,
        "specifications": chris,
        "roles": maria,
        "budget": users["sam"],
        "risk": chris,
        "metrics": maria,
    }
    for category, item in items.items():
        readiness_item_update(actor=maria, item=item, owner=owners[category])
    for category, (note, link) in EVIDENCE.items():
        item = items[category]
        item.refresh_from_db()
        readiness_item_update(actor=chris, item=item, evidence_note=note, evidence_link=link)
        item.refresh_from_db()
        readiness_item_set_status(actor=chris, item=item, status=ItemStatus.READY)
        if category != "specifications":  # one item waits for the QA lead's approval
            item.refresh_from_db()
            readiness_item_approve(actor=quinn, item=item)
    readiness_item_create(
        actor=maria,
        project=project,
        owner=chris,
        category="budget",
        title="Vendor support contract for the cutover weekends",
        description="On-site vendor support for each wave's cutover weekend.",
    )


def demo_logins() -> list[tuple[str, str]]:
    """Return (username, what they do) for the printed login list."""
    return [(spec.username, spec.what) for spec in DEMO_USERS]


DAY = 480  # working minutes in the standard 8-hour day

# (key, name, parent key, owner, days or (optimistic, likely, pessimistic) days, predecessors)
PLAN: list[tuple[str, str, str | None, str, Any, list[str]]] = [
    ("prep", "Preparation", None, "maria", None, []),
    ("kick", "Kick-off and plan sign-off", "prep", "maria", 1, []),
    ("env", "Provision test and production environments", "prep", "chris", (4, 5, 9), ["kick"]),
    ("lic", "Licences and vendor contracts", "prep", "sam", (3, 4, 8), ["kick"]),
    ("build", "Build and configure", None, "chris", None, []),
    ("cfg-fin", "Configure finance (GL, AP, AR)", "build", "chris", (8, 10, 16), ["env"]),
    ("cfg-log", "Configure logistics (MM, WM)", "build", "chris", (7, 9, 15), ["env"]),
    ("int", "Build interfaces: bank, EDI, payroll", "build", "chris", (10, 12, 20), ["env"]),
    ("mig", "Data migration", None, "chris", None, []),
    ("mig-map", "Map and cleanse master data", "mig", "quinn", (6, 8, 12), ["kick"]),
    ("mig-mock1", "Mock migration 1", "mig", "chris", (2, 3, 5), ["mig-map", "cfg-fin"]),
    ("mig-mock2", "Mock migration 2 with reconciliation", "mig", "chris", (2, 3, 4), ["mig-mock1"]),
    ("test", "Testing", None, "quinn", None, []),
    ("sit", "System integration test", "test", "quinn", (6, 8, 14), ["int", "cfg-log"]),
    (
        "uat",
        "User acceptance test (finance and logistics)",
        "test",
        "quinn",
        (5, 6, 10),
        ["sit", "mig-mock2"],
    ),
    ("perf", "Performance test of month-end close", "test", "quinn", (2, 3, 6), ["sit"]),
    ("train", "Training", None, "maria", None, []),
    ("train-mat", "Training material per audience", "train", "maria", (4, 5, 8), ["cfg-fin"]),
    (
        "train-run",
        "Train key users and finance staff",
        "train",
        "maria",
        (4, 5, 6),
        ["train-mat", "uat"],
    ),
    ("cut", "Cutover", None, "maria", None, []),
    ("rehearse", "Cutover and rollback rehearsal", "cut", "chris", (2, 2, 4), ["uat", "mig-mock2"]),
    ("golive", "Go-live: Hamburg pilot", "cut", "maria", 0, ["rehearse", "train-run", "perf"]),
]


def _plan(project: Project, users: dict[str, User], *, start) -> None:
    """Give the demo project a realistic plan: phases, estimates, links, a blocker, a baseline."""
    maria = users["maria"]
    holidays = [
        {"date": date(year, month, day), "name": name}
        for year in (start.year, start.year + 1)
        for month, day, name in (
            (1, 1, "New Year's Day"),
            (5, 1, "Labour Day"),
            (10, 3, "German Unity Day"),
            (12, 24, "Christmas Eve"),
            (12, 25, "Christmas Day"),
            (12, 26, "Boxing Day"),
            (12, 31, "New Year's Eve"),
        )
    ]
    calendar_update(actor=maria, project=project, schedule_start=start, exceptions=holidays)
    created: dict[str, WorkPackage] = {}
    for key, name, parent, owner, estimate, _ in PLAN:
        fields: dict[str, Any] = {}
        if estimate == 0:
            fields["milestone"] = True
        elif isinstance(estimate, tuple):
            fields.update(
                zip(
                    ("optimistic", "most_likely", "pessimistic"),
                    (d * DAY for d in estimate),
                    strict=True,
                )
            )
        elif estimate is not None:
            fields["duration"] = estimate * DAY
        if parent is not None:
            fields["parent"] = created[parent]
        created[key] = work_package_create(
            actor=maria, project=project, name=name, owner=users[owner], **fields
        )
    for key, *_, predecessors in PLAN:
        for pred in predecessors:
            dependency_create(
                actor=maria, project=project, predecessor=created[pred], successor=created[key]
            )
    berlin = ZoneInfo(project.time_zone)
    work_package_update(
        actor=maria,
        package=created["kick"],
        actual_start=datetime.combine(start, time(9, 0), tzinfo=berlin),
        actual_finish=datetime.combine(start, time(16, 0), tzinfo=berlin),
    )
    baseline_save(actor=maria, project=project, name="Approved plan")
    escalation_path_set(
        actor=maria,
        project=project,
        levels=[
            {"owner": "maria", "max_age_hours": 24},
            {"owner": "sam", "max_age_hours": 48},
        ],
    )
    blocker_raise(
        actor=users["chris"],
        package=created["env"],
        reason="Production hardware order waits for the vendor's delivery date.",
    )
    checkpoint_record(
        actor=maria,
        project=project,
        held_on=start,
        title="Weekly status review",
        attendees=[maria, users["chris"], users["quinn"]],
        decisions="Plan v3 baselined; environments are the first risk to watch.",
        actions=[
            {
                "description": "Get a delivery date for the production servers",
                "owner": "chris",
                "due_date": start + timedelta(days=3),
            }
        ],
    )


def _execution_review(project: Project, users: dict[str, User]) -> None:
    """Add a gate over the plan: the pilot go-live on time at P80, no old blockers, a baseline."""
    maria = users["maria"]
    gate = gate_create(
        actor=maria,
        project=project,
        name="execution-review",
        title="Execution review",
        description="The plan holds: the pilot can go live on the planned date.",
        approvers=[users["sam"]],
    )
    pilot = WorkPackage.objects.get(project=project, name="Go-live: Hamburg pilot")
    assert project.planned_go_live is not None
    criterion_add(
        actor=maria,
        gate=gate,
        key="pilot-on-time",
        type_key="work.milestone_forecast",
        label="Pilot go-live forecast by the planned go-live (P80)",
        params={"milestone": pilot.wbs, "date": project.planned_go_live.isoformat()},
    )
    criterion_add(
        actor=maria,
        gate=gate,
        key="no-old-blockers",
        type_key="work.no_old_blockers",
        label="No blocker open longer than 3 days",
        params={"days": 3},
    )
    criterion_add(
        actor=maria,
        gate=gate,
        key="baseline",
        type_key="work.baseline_saved",
        label="Approved plan baselined",
        params={"name": "Approved plan"},
    )


REQUIREMENTS = [
    (
        "FIN-001",
        "Post supplier invoices with three-way match against PO and goods receipt.",
        "must",
    ),
    ("FIN-002", "Run the month-end close in five working days or less.", "must"),
    ("FIN-003", "Pay suppliers by SEPA credit transfer from the payment run.", "must"),
    ("LOG-001", "Receive goods against purchase orders with barcode scanning.", "should"),
    ("LOG-002", "Transfer stock between the Hamburg, Lyon and Porto warehouses.", "should"),
    ("SEC-001", "Segregate duties: no user both creates and approves a payment.", "must"),
]

UAT_CASES = [
    (
        "UAT: invoice three-way match",
        ["FIN-001"],
        [
            ("Create a PO for 10 units and post a goods receipt", "Goods receipt posted"),
            ("Enter the supplier invoice for 10 units", "Invoice matched, no block"),
            ("Enter an invoice for 12 units", "Invoice blocked for quantity variance"),
        ],
    ),
    (
        "UAT: SEPA payment run",
        ["FIN-003"],
        [
            ("Propose a payment run for due invoices", "Proposal lists the due invoices"),
            ("Approve and execute the run", "pain.001 file created for the bank"),
        ],
    ),
    (
        "UAT: payment approval needs a second user",
        ["SEC-001"],
        [("Create a payment and try to approve it yourself", "Approval refused")],
    ),
]

CI_REPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="erp-integration">
  <testsuite name="finance" tests="4">
    <testcase classname="finance.test_invoices" name="test_three_way_match" time="1.2"/>
    <testcase classname="finance.test_invoices" name="test_quantity_variance_blocks" time="0.9"/>
    <testcase classname="finance.test_payments" name="test_sepa_file_schema" time="2.4">
      <failure message="pain.001: element CtgyPurp not expected" type="AssertionError">
Schema validation failed at line 41: element CtgyPurp is not expected here.</failure>
    </testcase>
    <testcase classname="finance.test_close" name="test_accruals_reverse" time="3.1"/>
  </testsuite>
  <testsuite name="logistics" tests="3">
    <testcase classname="logistics.test_receiving" name="test_barcode_receipt" time="0.7"/>
    <testcase classname="logistics.test_transfers" name="test_transfer_hamburg_lyon" time="1.5"/>
    <testcase classname="logistics.test_transfers" name="test_transfer_in_transit_stock" time="0.2">
      <skipped message="Porto warehouse not configured in SIT yet"/>
    </testcase>
  </testsuite>
</testsuites>
"""


def _quality(project: Project, users: dict[str, User]) -> None:
    """Give the demo requirements, a UAT plan run by hand, a CI run, a defect and a sign-off."""
    maria, quinn, chris = users["maria"], users["quinn"], users["chris"]
    for ref, text, priority in REQUIREMENTS:
        requirement_create(
            actor=quinn,
            project=project,
            ref=ref,
            text=text,
            priority=priority,
            source="Requirements R1",
            status="approved",
        )
    plan = test_plan_create(
        actor=quinn,
        project=project,
        name="UAT finance",
        owner=quinn,
        scope="Procure-to-pay and the payment run, with finance key users.",
        environment="UAT",
        entry_criteria="SIT passed; no open critical defects; key users trained.",
        exit_criteria="All UAT cases passed; no open high or critical defects; sign-off by QA and the sponsor.",
    )
    cases = [
        test_case_create(
            actor=quinn,
            project=project,
            title=title,
            type="uat",
            plan=plan,
            requirements=refs,
            steps=[{"action": a, "expected": e} for a, e in steps],
        )
        for title, refs, steps in UAT_CASES
    ]
    run = test_run_create(
        actor=quinn, project=project, name="UAT finance, cycle 1", plan=plan, environment="UAT"
    )
    test_result_record(
        actor=chris,
        run=run,
        case=cases[0],
        outcome="passed",
        steps=[{"outcome": "passed", "note": ""}] * 3,
        evidence_note="Matched invoice 5100000231; blocked invoice 5100000232.",
    )
    failed = test_result_record(
        actor=chris,
        run=run,
        case=cases[1],
        outcome="failed",
        steps=[
            {"outcome": "passed", "note": ""},
            {"outcome": "failed", "note": "Bank rejects file"},
        ],
        message="The bank's test portal rejects the pain.001 file.",
    )
    test_result_record(
        actor=chris,
        run=run,
        case=cases[2],
        outcome="passed",
        steps=[{"outcome": "passed", "note": ""}],
    )
    defect = defect_report(
        actor=chris,
        project=project,
        title="SEPA payment file rejected by the bank",
        description="pain.001 carries a CtgyPurp element the bank's schema does not allow.",
        severity="critical",
        found_in=failed,
        requirements=["FIN-003"],
    )
    defect_transition(actor=quinn, defect=defect, action="triage", assignee=chris)

    junit_import(
        actor=chris,
        project=project,
        run_name="SIT nightly 2026-11-30",
        sources=[io.BytesIO(CI_REPORT)],
        test_type="regression",
        build="erp-1.4.0-rc2",
        environment="SIT",
    )
    signoff = signoff_open(
        actor=maria,
        project=project,
        name="UAT finance cycle 1",
        description="Finance key users accept procure-to-pay; payments wait for the bank fix.",
        approvers=[quinn, users["sam"]],
        quorum=2,
        plan=plan,
        runs=[run],
    )
    signoff_sign(actor=quinn, signoff=signoff, comment="Procure-to-pay accepted.")
    gate = gate_create(
        actor=maria,
        project=project,
        name="uat-exit",
        title="UAT exit",
        description="Finance UAT is done: tested, signed off, nothing serious open.",
        approvers=[quinn, users["sam"]],
        quorum=2,
    )
    for key, type_key, label, params in (
        (
            "no-high-defects",
            "quality.no_open_defects",
            "No open high or critical defects",
            {"severity": "high"},
        ),
        (
            "uat-pass-rate",
            "quality.pass_rate",
            "UAT pass rate at least 95 %",
            {"type": "uat", "min_percent": 95},
        ),
        (
            "uat-signed",
            "quality.signoff_complete",
            "UAT finance cycle 1 signed off",
            {"name": signoff.name},
        ),
        (
            "coverage",
            "quality.requirement_coverage",
            "Every requirement covered by a test",
            {"min_percent": 100, "measure": "covered"},
        ),
    ):
        criterion_add(
            actor=maria, gate=gate, key=key, type_key=type_key, label=label, params=params
        )


# (name, kind, user, hours a day, cost rate, {skill: level})
RESOURCES: list[tuple[str, str, str | None, int, int, dict[str, int]]] = [
    ("Maria Keller", "person", "maria", 8, 95, {"Training": 4}),
    ("Chris Novak", "person", "chris", 8, 90, {"SAP MM": 4, "SAP FI": 3, "Data migration": 3}),
    ("Quinn Larsen", "person", "quinn", 8, 85, {"Testing": 5, "Data migration": 3}),
    ("Tomás Ruiz", "person", None, 8, 140, {"Integration": 5, "SAP FI": 4}),
    ("Hamburg key users", "team", None, 24, 60, {"SAP FI": 2, "SAP MM": 2}),
    ("Performance lab", "equipment", None, 8, 30, {}),
]
# (package key, resource, units, required skill and level)
ASSIGNMENTS: list[tuple[str, str, int, tuple[str, int] | None]] = [
    ("kick", "Maria Keller", 100, None),
    ("env", "Chris Novak", 50, None),
    # The integration architect on the critical interfaces and, at the same time, on finance:
    # overloaded on purpose, and carrying a large share of the critical path.
    ("int", "Tomás Ruiz", 100, ("Integration", 4)),
    ("cfg-fin", "Tomás Ruiz", 100, ("SAP FI", 3)),
    ("cfg-log", "Chris Novak", 100, ("SAP MM", 3)),
    ("mig-map", "Quinn Larsen", 50, ("Data migration", 2)),
    ("mig-mock1", "Chris Novak", 50, None),
    ("mig-mock2", "Chris Novak", 50, None),
    ("sit", "Quinn Larsen", 100, ("Testing", 4)),
    ("uat", "Quinn Larsen", 50, None),
    ("uat", "Hamburg key users", 100, None),
    ("perf", "Performance lab", 100, None),
    ("train-mat", "Maria Keller", 50, ("Training", 3)),
    ("train-run", "Maria Keller", 100, None),
    ("train-run", "Hamburg key users", 50, None),
    ("rehearse", "Chris Novak", 100, None),
]


def _resources(project: Project, users: dict[str, User]) -> None:
    """Staff the plan: people, a team and a lab with skills, assignments with one specialist
    overloaded on the critical path, time off, and procurement with a late delivery."""
    maria = users["maria"]
    today = timezone.localdate()
    packages = {wp.name: wp for wp in WorkPackage.objects.filter(project=project)}
    by_key = {key: packages[name] for key, name, *_ in PLAN}
    resources = {}
    for name, kind, username, hours, rate, skills in RESOURCES:
        resource = resource_create(
            actor=maria,
            project=project,
            name=name,
            kind=kind,
            user=users[username] if username else None,
            capacity_hours=hours,
            cost_rate=rate,
        )
        for skill, level in skills.items():
            skill_set(actor=maria, resource=resource, skill=skill, level=level)
        resources[name] = resource
    for key, name, units, skill in ASSIGNMENTS:
        assignment_create(
            actor=maria,
            package=by_key[key],
            resource=resources[name],
            units=units,
            skill=skill[0] if skill else None,
            skill_level=skill[1] if skill else None,
        )
    time_off_add(
        actor=maria,
        resource=resources["Quinn Larsen"],
        start=today + timedelta(days=21),
        end=today + timedelta(days=23),
        reason="Conference",
    )
    resource_settings_update(actor=maria, project=project, critical_share_percent=30)
    procurement_item_create(
        actor=users["chris"],
        project=project,
        name="Production servers (2 database, 4 application)",
        kind="hardware",
        vendor="Dell Technologies",
        order_date=today - timedelta(days=30),
        lead_time_days=28,
        work_packages=[by_key["env"]],
        owner="chris",
    )
    procurement_item_create(
        actor=maria,
        project=project,
        name="ERP user licences (400 named users)",
        kind="licence",
        vendor="ERP vendor",
        order_date=today - timedelta(days=20),
        lead_time_days=10,
        actual_delivery=today - timedelta(days=12),
        work_packages=[by_key["lic"]],
        owner="sam",
    )
