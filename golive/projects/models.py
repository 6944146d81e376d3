"""Projects, their members and the success criteria set at the start."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models


class Phase(models.TextChoices):
    READINESS = "readiness", "Readiness"
    EXECUTION = "execution", "Execution"
    ROLLOUT = "rollout", "Rollout"
    HYPERCARE = "hypercare", "Hypercare"
    HANDED_OVER = "handed_over", "Handed over"
    CLOSED = "closed", "Closed"

    @classmethod
    def order(cls) -> list[str]:
        return [choice.value for choice in cls]


class Role(models.IntegerChoices):
    """Project roles; each includes the rights of those below it."""

    VIEWER = 10, "Viewer"
    CONTRIBUTOR = 20, "Contributor"
    APPROVER = 30, "Approver"
    MANAGER = 40, "Manager"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"{value!r} is not a time zone name; use an IANA name such as Europe/Berlin."
        )


project_key_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$",
    "A project key is 2 to 10 capital letters or digits, starting with a letter (e.g. ERP).",
)


class Project(models.Model):
    """An implementation project, run from readiness to closure."""

    key = models.CharField(max_length=10, unique=True, validators=[project_key_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sponsored_projects",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="managed_projects"
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    planned_go_live = models.DateField(null=True, blank=True)
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.READINESS)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} · {self.name}"


class Membership(models.Model):
    """A user's role in one project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.PositiveSmallIntegerField(choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-role", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"],
                name="membership_unique",
                violation_error_message="This user is already a member of the project.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project.key} as {self.get_role_display()}"


class Direction(models.TextChoices):
    AT_LEAST = "at_least", "at least (higher is better)"
    AT_MOST = "at_most", "at most (lower is better)"


class SuccessCriterion(models.Model):
    """A measurable outcome agreed before work starts; acceptance is judged against it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="success_criteria")
    metric = models.CharField(max_length=200)
    target = models.DecimalField(max_digits=14, decimal_places=4)
    unit = models.CharField(max_length=40, blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    due_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_success_criteria"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "success criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "metric"],
                name="success_criterion_metric_unique",
                violation_error_message="The project already has a success criterion for this metric.",
            )
        ]

    def __str__(self) -> str:
        word = "≥" if self.direction == Direction.AT_LEAST else "≤"
        return f"{self.metric} {word} {self.target.normalize():f} {self.unit}".strip()
