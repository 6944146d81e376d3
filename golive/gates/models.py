"""Gates, their criteria, and the decisions and approvals taken on them."""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from golive.projects.models import Phase

slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,48}$",
    "Use lower-case letters, digits and dashes (e.g. go-live), at most 49 characters.",
)


class Gate(models.Model):
    """A named set of criteria on a project, decided by a quorum of named approvers."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="gates")
    name = models.CharField(max_length=49, validators=[slug_validator])
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    opens_phase = models.CharField(
        max_length=20,
        choices=Phase.choices,
        blank=True,
        help_text="The phase an approved decision on this gate moves the project into.",
    )
    quorum = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    is_system = models.BooleanField(
        default=False, help_text="Created by golive; cannot be deleted."
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="gate_name_unique",
                violation_error_message="The project already has a gate with this name.",
            ),
            models.UniqueConstraint(
                fields=["project", "opens_phase"],
                condition=~models.Q(opens_phase=""),
                name="gate_opens_phase_unique",
                violation_error_message="Another gate of this project already opens this phase.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} gate"

    def latest_go_decision(self) -> "Decision | None":
        return self.decisions.filter(kind=Decision.Kind.GO).order_by("-opened_at", "-id").first()


class Criterion(models.Model):
    """One criterion of a gate: a registered type with its parameters."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="criteria")
    key = models.CharField(max_length=49, validators=[slug_validator])
    label = models.CharField(max_length=160)
    type_key = models.CharField(max_length=80)
    params = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    locked = models.BooleanField(default=False, help_text="Part of the gate's definition.")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gate", "key"],
                name="criterion_key_unique",
                violation_error_message="The gate already has a criterion with this key.",
            )
        ]

    def __str__(self) -> str:
        return self.label


class Decision(models.Model):
    """A recorded decision: a go decision on a gate, a waiver, or a waiver's revocation.

    The snapshot of the evaluation is written once and never changed; approvals are appended
    until the quorum is reached or can no longer be reached.
    """

    class Kind(models.TextChoices):
        GO = "go", "Go decision"
        WAIVER = "waiver", "Waiver"
        WAIVER_REVOCATION = "waiver_revocation", "Waiver revoked"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="decisions"
    )
    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    criterion_key = models.CharField(max_length=49, blank=True)
    revokes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="revoked_by"
    )
    reason = models.TextField(blank=True)
    snapshot = models.JSONField(help_text="The evaluation as it stood when the decision opened.")
    quorum = models.PositiveSmallIntegerField(default=1)
    approver_ids = models.JSONField(
        default=list, help_text="The named approvers, fixed at opening."
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gate"],
                condition=models.Q(kind="go", status="pending"),
                name="decision_one_pending_per_gate",
                violation_error_message="A decision on this gate is already awaiting approval.",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="waiver") | ~models.Q(criterion_key=""),
                name="decision_waiver_names_criterion",
                violation_error_message="A waiver names the criterion it waives.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} on {self.gate.title}"


class Approval(models.Model):
    """One named approver's verdict on a decision."""

    class Verdict(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "approver"],
                name="approval_once_per_approver",
                violation_error_message="You have already given your verdict on this decision.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.approver} {self.verdict} decision {self.decision_id}"
