"""The readiness checklist: the core inputs that must be ready before implementation begins."""

from django.conf import settings
from django.db import models


class Category(models.TextChoices):
    PLAN = "plan", "Approved plan"
    REQUIREMENTS = "requirements", "Requirements"
    SPECIFICATIONS = "specifications", "Technical specifications"
    ROLES = "roles", "Roles and responsibilities"
    BUDGET = "budget", "Budget and resources"
    RISK = "risk", "Risk controls"
    METRICS = "metrics", "Success metrics"
    OTHER = "other", "Other"


class ItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    READY = "ready", "Ready"
    WAIVED = "waived", "Waived"


def evidence_path(instance: "ReadinessItem", filename: str) -> str:
    return f"readiness/{instance.project_id}/{instance.pk}/{filename}"


class ReadinessItem(models.Model):
    """One core input, with its owner, status, evidence and an approver's approval.

    An item counts for the readiness gate when it is ready and approved, or waived with a reason.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="readiness_items"
    )
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    evidence_note = models.TextField(blank=True)
    evidence_link = models.URLField(max_length=500, blank=True)
    evidence_file = models.FileField(upload_to=evidence_path, max_length=300, blank=True)
    evidence_file_name = models.CharField(max_length=255, blank=True)
    waive_reason = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="waived") | ~models.Q(waive_reason=""),
                name="readiness_waiver_has_reason",
                violation_error_message="A waived item needs a reason.",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True) | models.Q(status="ready"),
                name="readiness_only_ready_is_approved",
                violation_error_message="Only a ready item can be approved.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_note.strip() or self.evidence_link or self.evidence_file)

    @property
    def counts_as_ready(self) -> bool:
        return self.status == ItemStatus.WAIVED or (
            self.status == ItemStatus.READY and self.approved_by_id is not None
        )
