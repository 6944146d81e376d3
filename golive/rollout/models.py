"""Rollout plans and waves, runbooks and their runs, migration checks, communications."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

step_key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,48}$",
    "Use lower-case letters, digits and dashes (e.g. stop-batch-jobs), at most 49 characters.",
)


class Strategy(models.TextChoices):
    PILOT = "pilot", "Pilot, then everyone"
    PHASED = "phased", "Phased (waves)"
    FULL = "full", "Full (everyone at once)"


class RolloutPlan(models.Model):
    """How the solution reaches its users: the strategy and the notes behind it (one per project)."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="rollout_plan"
    )
    strategy = models.CharField(max_length=10, choices=Strategy.choices, default=Strategy.PHASED)
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Rollout plan of {self.project.key} ({self.get_strategy_display()})"


class CohortKind(models.TextChoices):
    SITE = "site", "Site"
    DEPARTMENT = "department", "Department"
    USER_GROUP = "user_group", "User group"
    EVERYONE = "everyone", "Everyone"


class WaveStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    HYPERCARE = "hypercare", "Hypercare"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Wave(models.Model):
    """A cohort that goes live together: a pilot group, one wave of a phased rollout, or everyone.

    Each wave has its own go/no-go gate (`gate`, created with the wave) and a hypercare-exit gate
    (`exit_gate`); it starts only through an approved decision on `gate` and leaves hypercare
    only through one on `exit_gate`.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="waves")
    name = models.CharField(max_length=120)
    slug = models.CharField(max_length=40, validators=[step_key_validator])
    position = models.PositiveIntegerField(default=0)
    is_pilot = models.BooleanField(default=False)
    cohort_kind = models.CharField(
        max_length=12, choices=CohortKind.choices, default=CohortKind.USER_GROUP
    )
    cohort = models.TextField(
        blank=True, help_text="Who is in the cohort: sites, departments or user groups."
    )
    headcount = models.PositiveIntegerField(default=0)
    contact_emails = models.JSONField(
        default=list, blank=True, help_text="Addresses that reach the cohort (distribution lists)."
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    gate = models.OneToOneField(
        "gates.Gate", on_delete=models.PROTECT, related_name="wave", null=True, blank=True
    )
    exit_gate = models.OneToOneField(
        "gates.Gate", on_delete=models.PROTECT, related_name="exited_wave", null=True, blank=True
    )
    status = models.CharField(max_length=12, choices=WaveStatus.choices, default=WaveStatus.PLANNED)
    start_decision = models.ForeignKey(
        "gates.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    exit_decision = models.ForeignKey(
        "gates.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    hypercare_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "planned_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "slug"],
                name="wave_slug_unique",
                violation_error_message="The project already has a wave with this short name.",
            ),
            models.UniqueConstraint(
                fields=["project", "name"],
                name="wave_name_unique",
                violation_error_message="The project already has a wave with this name.",
            ),
            models.CheckConstraint(
                condition=models.Q(planned_end__gt=models.F("planned_start")),
                name="wave_window_positive",
                violation_error_message="A wave's planned window ends after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RunbookKind(models.TextChoices):
    CUTOVER = "cutover", "Cutover"
    ROLLBACK = "rollback", "Rollback"
    DEPLOYMENT = "deployment", "Deployment"


class Runbook(models.Model):
    """A set of steps with dependencies, owners and planned times, run as rehearsals or live.

    A runbook of kind rollback is a rollback plan: it carries its trigger conditions and its
    recovery-time objective (`rto_minutes`, required for that kind).
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="runbooks"
    )
    name = models.CharField(max_length=49, validators=[step_key_validator])
    title = models.CharField(max_length=160)
    kind = models.CharField(max_length=10, choices=RunbookKind.choices, default=RunbookKind.CUTOVER)
    description = models.TextField(blank=True)
    wave = models.ForeignKey(
        Wave, null=True, blank=True, on_delete=models.SET_NULL, related_name="runbooks"
    )
    rollback_plan = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="protects",
        help_text="The rollback plan that recovers from a failure of this runbook.",
    )
    trigger_conditions = models.TextField(
        blank=True, help_text="When the rollback is invoked (rollback plans)."
    )
    rto_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Recovery-time objective in minutes (rollback plans).",
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="runbook_name_unique",
                violation_error_message="The project already has a runbook with this name.",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="rollback") | models.Q(rto_minutes__isnull=False),
                name="runbook_rollback_has_rto",
                violation_error_message="A rollback plan needs its recovery-time objective (RTO).",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class StepKind(models.TextChoices):
    MANUAL = "manual", "Manual task"
    CHECK = "check", "Check"
    DECISION = "decision", "Decision point"
    COMMUNICATION = "communication", "Communication"
    ROLLBACK_TRIGGER = "rollback_trigger", "Rollback trigger"


class Step(models.Model):
    """One step of a runbook.

    `offset_minutes` is the planned clock time relative to the cutover start (negative: T-minus).
    A check step has an expected value (or runs a migration check); a decision point names its
    approvers; a communication step sends a communication; a rollback trigger invokes the
    runbook's rollback plan when it is completed.
    """

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(max_length=49, validators=[step_key_validator])
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=StepKind.choices, default=StepKind.MANUAL)
    instructions = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner_team = models.ForeignKey(
        "resources.Resource",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A team (resource of kind team) that owns the step.",
    )
    duration_minutes = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(60 * 24 * 30)]
    )
    offset_minutes = models.IntegerField(
        null=True, blank=True, help_text="Planned start relative to the cutover start (T±)."
    )
    expected_value = models.CharField(max_length=200, blank=True)
    migration_check = models.ForeignKey(
        "rollout.MigrationCheck", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    communication = models.ForeignKey(
        "rollout.Communication", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="successors"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["runbook", "key"],
                name="step_key_unique",
                violation_error_message="The runbook already has a step with this key.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"


class RunKind(models.TextChoices):
    REHEARSAL = "rehearsal", "Rehearsal"
    LIVE = "live", "Live"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ABORTED = "aborted", "Aborted"


class Run(models.Model):
    """One execution of a runbook, a rehearsal or live; its steps are copied when it starts.

    `planned_start` is T0 of the run (steps' offsets count from it). Paused time is kept in
    `paused_seconds` so the achieved duration (`duration_seconds`) excludes it only where a
    report asks; the RTO is judged on wall-clock time from start to end.
    """

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="runs")
    number = models.PositiveIntegerField(help_text="1, 2, … per runbook.")
    kind = models.CharField(max_length=10, choices=RunKind.choices)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    planned_start = models.DateTimeField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["runbook", "number"],
                name="run_number_unique",
                violation_error_message="The runbook already has a run with this number.",
            ),
            models.UniqueConstraint(
                fields=["runbook"],
                condition=models.Q(status__in=["running", "paused"]),
                name="run_one_active_per_runbook",
                violation_error_message="This runbook already has a run in progress.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.number} of {self.runbook.title}"

    @property
    def duration_seconds(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())


class RunStepStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class RunStep(models.Model):
    """A step as executed in one run: copied from the runbook at the start, then acted on.

    A failed step halts its successors until someone decides (`resolution`): retry it, accept
    the failure and continue, or abort the run.
    """

    class Resolution(models.TextChoices):
        NONE = "", "—"
        RETRY = "retry", "Retried"
        CONTINUE = "continue", "Accepted, continued"
        ABORT = "abort", "Run aborted"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(Step, null=True, on_delete=models.SET_NULL, related_name="+")
    key = models.CharField(max_length=49)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    position = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner_team_name = models.CharField(max_length=120, blank=True)
    duration_minutes = models.PositiveIntegerField(default=0)
    offset_minutes = models.IntegerField(null=True, blank=True)
    expected_value = models.CharField(max_length=200, blank=True)
    depends_on = models.JSONField(default=list, help_text="Keys of the steps this one waits for.")
    approver_ids = models.JSONField(default=list)
    status = models.CharField(
        max_length=12, choices=RunStepStatus.choices, default=RunStepStatus.PENDING
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    actual_value = models.CharField(max_length=200, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    note = models.TextField(blank=True, help_text="What happened; the cause of a delay or failure.")
    approvals = models.JSONField(
        default=list, help_text='Decision points: [{"user_id", "username", "verdict", "at"}].'
    )
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True, default="")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "key"],
                name="run_step_key_unique",
                violation_error_message="The run already has a step with this key.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} in run {self.run_id}"


class MigrationCheck(models.Model):
    """A reconciliation between a migration's source and target, with pass/fail thresholds.

    Each side is either a database URL (SQLAlchemy form; stored encrypted, never shown back), a
    reference to an environment variable holding one (`env:NAME`), or uploaded CSV extracts (one
    file per table, in `MigrationExtract`). `tables` lists what is compared:
    `[{"source": "customers", "target": "customer", "key": ["id"], "columns": ["name", …],
    "aggregates": {"balance": ["sum"]}}]`.
    """

    class SideKind(models.TextChoices):
        DATABASE = "database", "Database URL"
        ENV = "env", "Database URL from an environment variable"
        CSV = "csv", "Uploaded CSV extracts"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="migration_checks"
    )
    name = models.CharField(max_length=49, validators=[step_key_validator])
    title = models.CharField(max_length=160, blank=True)
    check_set = models.CharField(
        max_length=49, blank=True, help_text="Checks of one set are judged together by gates."
    )
    source_kind = models.CharField(max_length=10, choices=SideKind.choices)
    source_secret = models.TextField(blank=True, help_text="Encrypted URL or the variable name.")
    source_display = models.CharField(max_length=300, blank=True, help_text="Masked URL.")
    target_kind = models.CharField(max_length=10, choices=SideKind.choices)
    target_secret = models.TextField(blank=True)
    target_display = models.CharField(max_length=300, blank=True)
    tables = models.JSONField(default=list)
    max_missing = models.PositiveIntegerField(
        default=0, help_text="Keys allowed missing in target."
    )
    max_extra = models.PositiveIntegerField(default=0, help_text="Keys allowed extra in target.")
    max_changed = models.PositiveIntegerField(default=0, help_text="Rows allowed to differ.")
    sample_size = models.PositiveIntegerField(
        default=20, validators=[MaxValueValidator(1000)], help_text="Differing rows kept as sample."
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["check_set", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="migration_check_name_unique",
                violation_error_message="The project already has a migration check with this name.",
            )
        ]

    def __str__(self) -> str:
        return self.title or self.name


class MigrationExtract(models.Model):
    """An uploaded CSV extract of one table on one side of a migration check."""

    class Side(models.TextChoices):
        SOURCE = "source", "Source"
        TARGET = "target", "Target"

    check_obj = models.ForeignKey(
        MigrationCheck, on_delete=models.CASCADE, related_name="extracts", db_column="check_id"
    )
    side = models.CharField(max_length=6, choices=Side.choices)
    table = models.CharField(max_length=120)
    file = models.FileField(upload_to="migration-extracts/%Y/%m/")
    rows = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["side", "table"]
        constraints = [
            models.UniqueConstraint(
                fields=["check_obj", "side", "table"],
                name="migration_extract_unique",
                violation_error_message="This side already has an extract of this table.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.table}"


class MigrationResult(models.Model):
    """The stored evidence of one execution of a migration check.

    `report` holds per table: row counts on both sides, missing and extra key counts with a
    sample of each, changed-row count with a sample of the differing values, column aggregates
    on both sides; `error` is set (and `passed` false) when a side could not be read.
    """

    check_obj = models.ForeignKey(
        MigrationCheck, on_delete=models.CASCADE, related_name="results", db_column="check_id"
    )
    passed = models.BooleanField()
    summary = models.CharField(max_length=300)
    report = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    run_step = models.ForeignKey(
        RunStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.check_obj.name} at {self.started_at:%Y-%m-%d %H:%M}: {self.summary}"


class Audience(models.TextChoices):
    WAVE = "wave", "A wave's cohort"
    STAKEHOLDERS = "stakeholders", "Stakeholders (approvers and managers)"
    MEMBERS = "members", "Everyone on the project"
    SUPPORT = "support", "Support"
    CUSTOM = "custom", "Named addresses"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook (chat tools)"


class Anchor(models.TextChoices):
    ABSOLUTE = "absolute", "A fixed time"
    WAVE_START = "wave_start", "The wave's planned start"
    WAVE_END = "wave_end", "The wave's planned end"
    CUTOVER = "cutover", "The cutover start (live run of the runbook)"


class Communication(models.Model):
    """One planned message: audience, channel, template, and when it goes out.

    `subject` and `body` are Django templates rendered with `project`, `wave`, `runbook` and
    `communication`. The scheduled time is `at` (absolute), or `offset_minutes` from the anchor.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="communications"
    )
    name = models.CharField(max_length=49, validators=[step_key_validator])
    audience = models.CharField(max_length=12, choices=Audience.choices)
    wave = models.ForeignKey(
        Wave, null=True, blank=True, on_delete=models.PROTECT, related_name="communications"
    )
    recipients = models.JSONField(
        default=list, blank=True, help_text="E-mail addresses (support and named audiences)."
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    webhook_secret = models.TextField(blank=True, help_text="Encrypted webhook URL.")
    webhook_display = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    anchor = models.CharField(max_length=10, choices=Anchor.choices, default=Anchor.ABSOLUTE)
    runbook = models.ForeignKey(
        Runbook, null=True, blank=True, on_delete=models.PROTECT, related_name="communications"
    )
    at = models.DateTimeField(null=True, blank=True)
    offset_minutes = models.IntegerField(default=0)
    required_for_go_live = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    sent_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="communication_name_unique",
                violation_error_message="The project already has a communication with this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CommunicationLog(models.Model):
    """What was sent to whom and when (or why sending failed)."""

    communication = models.ForeignKey(Communication, on_delete=models.CASCADE, related_name="log")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    ok = models.BooleanField()
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.communication.name} at {self.sent_at:%Y-%m-%d %H:%M}"
