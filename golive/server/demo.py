"""The demo project ERP: an ERP cutover with a team in every role, half-way through readiness.

Later capabilities extend the same project. Building it twice changes nothing.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from golive.accounts.models import User
from golive.gates.services import gate_update
from golive.projects.models import Project, Role
from golive.projects.services import membership_set, project_create, success_criterion_create
from golive.readiness.models import ItemStatus
from golive.readiness.services import (
    readiness_item_approve,
    readiness_item_create,
    readiness_item_set_status,
    readiness_item_update,
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
