"""Work breakdown, dependencies, calendars, baselines, checkpoints and blockers."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

DEFAULT_WEEK = {str(day): [["08:00", "12:00"], ["13:00", "17:00"]] for day in range(5)}


def default_week() -> dict[str, list[list[str]]]:
    return {day: [list(p) for p in periods] for day, periods in DEFAULT_WEEK.items()}


class ProjectCalendar(models.Model):
    """A project's working time: weekly periods and the date its schedule starts."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="calendar"
    )
    week = models.JSONField(default=default_week, help_text='{"0": [["08:00","12:00"], ...]}')
    schedule_start = models.DateField()
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"calendar of {self.project_id}"


class PlanSnapshot(models.Model):
    """What the last schedule of a project's plan gave: its finish and its critical path.

    Written in the same transaction as every reschedule, so the dashboard reads it instead of
    computing the plan again. A schedule that held unstarted work back to "now" (work had begun)
    records that status date as a working-minute offset; readers recompute once the clock has
    moved past it. `version` counts the reschedules, so a reader storing such a recomputation
    never overwrites what a later change stored.
    """

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="plan_snapshot"
    )
    version = models.PositiveBigIntegerField(default=1)
    computed_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64)
    status_date = models.IntegerField(
        null=True, blank=True, help_text="Working-minute offset of the status date, if any."
    )
    finish = models.DateTimeField(null=True, blank=True)
    critical_path = models.JSONField(
        default=list, blank=True, help_text="Package ids from the first to the finish."
    )
    error = models.TextField(blank=True)
    forecast = models.JSONField(
        null=True,
        blank=True,
        help_text="The dashboard's seeded forecast finish, with the version and day it is for.",
    )

    def __str__(self) -> str:
        return f"plan snapshot of {self.project_id} (version {self.version})"


class CalendarException(models.Model):
    """A date with other working time: a holiday (no periods) or changed hours."""

    calendar = models.ForeignKey(
        ProjectCalendar, on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)
    periods = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                name="calendar_exception_unique",
                violation_error_message="This date already has an exception.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class ConstraintKind(models.TextChoices):
    SNET = "snet", "Start no earlier than"
    FNLT = "fnlt", "Finish no later than"
    MSO = "mso", "Must start on"


class WorkPackage(models.Model):
    """A node of the work breakdown with one accountable owner; leaves carry the estimates.

    The schedule fields (early/late dates, floats, critical) are written by the rescheduler only.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="work_packages"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    position = models.PositiveIntegerField(default=0)
    wbs = models.CharField(max_length=60, blank=True, help_text="Outline number, e.g. 1.2.3.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    contributors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    milestone = models.BooleanField(default=False)
    duration = models.PositiveIntegerField(default=0, help_text="Working minutes.")
    optimistic = models.PositiveIntegerField(null=True, blank=True)
    most_likely = models.PositiveIntegerField(null=True, blank=True)
    pessimistic = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    percent_complete = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)]
    )
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_finish = models.DateTimeField(null=True, blank=True)
    remaining = models.PositiveIntegerField(null=True, blank=True, help_text="Working minutes.")
    constraint_kind = models.CharField(max_length=4, choices=ConstraintKind.choices, blank=True)
    constraint_date = models.DateTimeField(null=True, blank=True)
    early_start = models.DateTimeField(null=True, blank=True)
    early_finish = models.DateTimeField(null=True, blank=True)
    late_start = models.DateTimeField(null=True, blank=True)
    late_finish = models.DateTimeField(null=True, blank=True)
    total_float = models.IntegerField(null=True, blank=True, help_text="Working minutes.")
    free_float = models.IntegerField(null=True, blank=True, help_text="Working minutes.")
    critical = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["project", "position"], name="wp_project_position")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(milestone=False) | models.Q(duration=0),
                name="wp_milestone_zero_duration",
                violation_error_message="A milestone has no duration.",
            ),
            models.CheckConstraint(
                condition=models.Q(constraint_kind="") | models.Q(constraint_date__isnull=False),
                name="wp_constraint_has_date",
                violation_error_message="A constraint needs its date.",
            ),
            models.CheckConstraint(
                condition=models.Q(actual_finish__isnull=True)
                | models.Q(actual_start__isnull=False),
                name="wp_finish_needs_start",
                violation_error_message="A package cannot finish before it has started.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.wbs} {self.name}".strip()


class DependencyType(models.TextChoices):
    FS = "FS", "Finish-to-start"
    SS = "SS", "Start-to-start"
    FF = "FF", "Finish-to-finish"
    SF = "SF", "Start-to-finish"


class Dependency(models.Model):
    """A link between two work packages of the same project, with a lag in working minutes."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="dependencies"
    )
    predecessor = models.ForeignKey(WorkPackage, on_delete=models.CASCADE, related_name="+")
    successor = models.ForeignKey(WorkPackage, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=2, choices=DependencyType.choices, default="FS")
    lag = models.IntegerField(default=0, help_text="Working minutes; negative is a lead.")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"],
                name="dependency_unique",
                violation_error_message="These two packages are already linked.",
            ),
            models.CheckConstraint(
                condition=~models.Q(predecessor=models.F("successor")),
                name="dependency_not_self",
                violation_error_message="A package cannot depend on itself.",
            ),
        ]

    def __str__(self) -> str:
        lag = f"{self.lag:+d} min" if self.lag else ""
        return f"{self.predecessor.wbs} → {self.successor.wbs} ({self.type}{lag})"


class Baseline(models.Model):
    """A named snapshot of the schedule to compare the current plan against."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="baselines"
    )
    name = models.CharField(max_length=120)
    finish = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="baseline_name_unique",
                violation_error_message="The project already has a baseline with this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class BaselineEntry(models.Model):
    """One package's planned dates in a baseline."""

    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="entries")
    work_package = models.ForeignKey(
        WorkPackage, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200)
    start = models.DateTimeField(null=True)
    finish = models.DateTimeField(null=True)
    duration = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.baseline_id}: {self.name}"


class Checkpoint(models.Model):
    """A recorded status review: who attended, what was decided."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="checkpoints"
    )
    held_on = models.DateField()
    title = models.CharField(max_length=160)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    decisions = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class CheckpointAction(models.Model):
    """An action agreed at a checkpoint, with an owner and a due date."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.description


class EscalationLevel(models.Model):
    """One step of a project's escalation path: who takes a blocker after how long."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="escalation_levels"
    )
    level = models.PositiveSmallIntegerField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    max_age_hours = models.PositiveIntegerField(help_text="Escalate further after this long.")

    class Meta:
        ordering = ["level"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "level"],
                name="escalation_level_unique",
                violation_error_message="This escalation level already exists.",
            )
        ]

    def __str__(self) -> str:
        return f"level {self.level}"


class Blocker(models.Model):
    """A reason a work package cannot progress; it escalates while it stays open."""

    work_package = models.ForeignKey(WorkPackage, on_delete=models.CASCADE, related_name="blockers")
    reason = models.TextField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField()
    level = models.PositiveSmallIntegerField(default=0, help_text="0 = not escalated yet.")
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["resolved_at"], name="blocker_open")]

    def __str__(self) -> str:
        return f"blocker on {self.work_package}"
