"""Resources, skills, availability, assignments, procurement items and leveling runs."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class ResourceKind(models.TextChoices):
    PERSON = "person", "Person"
    TEAM = "team", "Team"
    EQUIPMENT = "equipment", "Equipment"
    VENDOR = "vendor", "Vendor"


class Resource(models.Model):
    """Someone or something work needs: a person (linked to a user or not), team, equipment, vendor.

    Capacity is in hours per working day of the project calendar; time off and the availability
    window (`available_from`/`available_to`) take it to zero on the days they cover.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="resources"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(
        max_length=10, choices=ResourceKind.choices, default=ResourceKind.PERSON
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    capacity_hours = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("8"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000"))],
        help_text="Hours per working day.",
    )
    cost_rate = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Cost per hour.",
    )
    available_from = models.DateField(null=True, blank=True)
    available_to = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="resource_name_unique",
                violation_error_message="The project already has a resource with this name.",
            ),
            models.UniqueConstraint(
                fields=["project", "user"],
                condition=models.Q(user__isnull=False),
                name="resource_user_unique",
                violation_error_message="This user already is a resource of the project.",
            ),
            models.CheckConstraint(
                condition=models.Q(available_from__isnull=True)
                | models.Q(available_to__isnull=True)
                | models.Q(available_to__gte=models.F("available_from")),
                name="resource_availability_ordered",
                violation_error_message="Availability must end on or after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """A skill work may require, named once per project."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="skills")
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="skill_name_unique",
                violation_error_message="The project already has this skill.",
            )
        ]

    def __str__(self) -> str:
        return self.name


LEVEL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class ResourceSkill(models.Model):
    """A resource's level in a skill: 1 (basic) to 5 (expert)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="holders")
    level = models.PositiveSmallIntegerField(default=3, validators=LEVEL_VALIDATORS)

    class Meta:
        ordering = ["skill__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "skill"],
                name="resource_skill_unique",
                violation_error_message="The resource already has this skill.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.skill} {self.level}"


class TimeOff(models.Model):
    """Days a resource is not available (holiday, training, another commitment)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateField()
    end = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")),
                name="time_off_ordered",
                violation_error_message="Time off must end on or after it starts.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} off {self.start} to {self.end}"


class Assignment(models.Model):
    """A resource working on a work package at `units` percent of its capacity.

    Effort-driven: `work` (minutes) is fixed and the package lasts work / units. Fixed duration:
    the package's duration is kept and work = duration * units.
    """

    work_package = models.ForeignKey(
        "work.WorkPackage", on_delete=models.CASCADE, related_name="assignments"
    )
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="assignments")
    units = models.PositiveSmallIntegerField(
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(10000)],
        help_text="Percent of the resource's capacity (100 = full time).",
    )
    work = models.PositiveIntegerField(default=0, help_text="Working minutes of effort.")
    effort_driven = models.BooleanField(default=False)
    skill = models.ForeignKey(
        Skill, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    skill_level = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=LEVEL_VALIDATORS
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["work_package__position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_package", "resource"],
                name="assignment_unique",
                violation_error_message="This resource is already assigned to the package.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} on {self.work_package} at {self.units} %"


class ProcurementKind(models.TextChoices):
    HARDWARE = "hardware", "Hardware"
    LICENCE = "licence", "Licence"
    SERVICE = "service", "Vendor service"
    OTHER = "other", "Other"


class ProcurementItem(models.Model):
    """Something ordered from outside; the packages that need it cannot start before delivery.

    The delivery date that counts is the actual one once recorded, else the expected one
    (by default the order date plus the lead time).
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="procurement_items"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=10, choices=ProcurementKind.choices, default=ProcurementKind.HARDWARE
    )
    vendor = models.CharField(max_length=200, blank=True)
    order_date = models.DateField(null=True, blank=True)
    lead_time_days = models.PositiveIntegerField(default=0, help_text="Calendar days.")
    expected_delivery = models.DateField(null=True, blank=True)
    actual_delivery = models.DateField(null=True, blank=True)
    work_packages = models.ManyToManyField(
        "work.WorkPackage", blank=True, related_name="procurement_items"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["expected_delivery", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="procurement_name_unique",
                violation_error_message="The project already has a procurement item with this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class LevelingStatus(models.TextChoices):
    PREVIEW = "preview", "Preview"
    APPLIED = "applied", "Applied"
    UNDONE = "undone", "Undone"
    DISCARDED = "discarded", "Discarded"


class LevelingRun(models.Model):
    """One leveling of a project: the preview, and once applied what it changed (for undo).

    `result` holds the solver's answer (status, optimal, lower bound, finish before/after, the
    moves per package); `holds` the start-no-earlier-than times it applies per package id.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="leveling_runs"
    )
    status = models.CharField(
        max_length=10, choices=LevelingStatus.choices, default=LevelingStatus.PREVIEW
    )
    time_limit = models.FloatField(default=10.0)
    result = models.JSONField(default=dict)
    holds = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"leveling {self.pk} of {self.project_id} ({self.status})"


class LevelingHold(models.Model):
    """A start-no-earlier-than time an applied leveling puts on a package (removed by undo)."""

    run = models.ForeignKey(LevelingRun, on_delete=models.CASCADE, related_name="hold_rows")
    work_package = models.OneToOneField(
        "work.WorkPackage", on_delete=models.CASCADE, related_name="leveling_hold"
    )
    start = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.work_package_id} not before {self.start}"


class ResourceSettings(models.Model):
    """A project's resource policy: when one person carries too much of the critical path."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="resource_settings"
    )
    critical_share_percent = models.PositiveSmallIntegerField(
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Warn when one person carries more than this share of the critical path's work.",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "resource settings"

    def __str__(self) -> str:
        return f"resource settings of {self.project_id}"
