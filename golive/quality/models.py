"""Requirements, test plans and cases, runs and results, defects and sign-offs."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

ref_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
    "Use letters, digits, dots, dashes or underscores (e.g. REQ-12), at most 40 characters.",
)


class Priority(models.TextChoices):
    MUST = "must", "Must"
    SHOULD = "should", "Should"
    COULD = "could", "Could"


class RequirementStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    IMPLEMENTED = "implemented", "Implemented"
    VERIFIED = "verified", "Verified"
    DROPPED = "dropped", "Dropped"


class Requirement(models.Model):
    """One entry of the requirements register, traced to work packages and test cases."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="requirements"
    )
    ref = models.CharField("identifier", max_length=40, validators=[ref_validator])
    text = models.TextField()
    source = models.CharField(max_length=200, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.SHOULD)
    status = models.CharField(
        max_length=12, choices=RequirementStatus.choices, default=RequirementStatus.PROPOSED
    )
    work_packages = models.ManyToManyField("work.WorkPackage", blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ref", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "ref"],
                name="requirement_ref_unique",
                violation_error_message="The project already has a requirement with this identifier.",
            )
        ]

    def __str__(self) -> str:
        return self.ref


class TestType(models.TextChoices):
    FUNCTIONAL = "functional", "Functional"
    PERFORMANCE = "performance", "Performance"
    REGRESSION = "regression", "Regression"
    UAT = "uat", "User acceptance"
    SECURITY = "security", "Security"


class TestPlan(models.Model):
    """What is tested where, and when testing may start and may stop."""

    __test__ = False  # not a pytest class

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="test_plans"
    )
    name = models.CharField(max_length=120)
    scope = models.TextField(blank=True)
    environment = models.CharField(max_length=120, blank=True)
    entry_criteria = models.TextField(blank=True)
    exit_criteria = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="test_plan_name_unique",
                violation_error_message="The project already has a test plan with this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TestCase(models.Model):
    """A test: manual (steps with expected results) or automated (matched by its JUnit key).

    `key` identifies the case within the project: ``"<suite or class>::<test name>"`` for cases
    from JUnit reports, any unique text for manual ones.
    """

    __test__ = False

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="test_cases"
    )
    plan = models.ForeignKey(
        TestPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    key = models.CharField(max_length=500)
    title = models.CharField(max_length=300)
    type = models.CharField(max_length=12, choices=TestType.choices, default=TestType.FUNCTIONAL)
    steps = models.JSONField(
        default=list, blank=True, help_text='[{"action": "...", "expected": "..."}, ...]'
    )
    automated = models.BooleanField(default=False)
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="test_cases")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "key"],
                name="test_case_key_unique",
                violation_error_message="The project already has a test case with this key.",
            )
        ]

    def __str__(self) -> str:
        return self.title


class RunSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    JUNIT = "junit", "JUnit import"


class TestRun(models.Model):
    """One execution of tests: a build on an environment at a time, manual or imported."""

    __test__ = False

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="test_runs"
    )
    name = models.CharField(max_length=200)
    plan = models.ForeignKey(
        TestPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    build = models.CharField(max_length=120, blank=True)
    environment = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=10, choices=RunSource.choices, default=RunSource.MANUAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="test_run_name_unique",
                violation_error_message="The project already has a test run with this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERROR = "error", "Error"
    SKIPPED = "skipped", "Skipped"
    BLOCKED = "blocked", "Blocked"


def evidence_path(instance: "TestResult", filename: str) -> str:
    return f"quality/{instance.run.project_id}/{instance.run_id}/{filename}"


class TestResult(models.Model):
    """The outcome of one case in one run, with its evidence; one per case and run.

    `steps` holds a manual execution step by step: ``[{"outcome": "passed", "note": ""}, ...]``
    aligned with the case's steps.
    """

    __test__ = False

    run = models.ForeignKey(TestRun, on_delete=models.CASCADE, related_name="results")
    case = models.ForeignKey(TestCase, on_delete=models.CASCADE, related_name="results")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    flaky = models.BooleanField(default=False)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    message = models.TextField(blank=True)
    details = models.TextField(blank=True)
    evidence_note = models.TextField(blank=True)
    evidence_file = models.FileField(upload_to=evidence_path, max_length=300, blank=True)
    steps = models.JSONField(default=list, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    executed_at = models.DateTimeField()

    class Meta:
        ordering = ["run", "case__key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "case"],
                name="test_result_once_per_run",
                violation_error_message="This run already has a result for this test case.",
            )
        ]
        indexes = [models.Index(fields=["case", "executed_at"], name="result_case_time")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.outcome} in run {self.run_id}"


class Severity(models.IntegerChoices):
    """Defect severity; a higher value is more severe (criteria compare "at or above")."""

    LOW = 10, "Low"
    MEDIUM = 20, "Medium"
    HIGH = 30, "High"
    CRITICAL = 40, "Critical"


class DefectStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    IN_PROGRESS = "in_progress", "In progress"
    FIXED = "fixed", "Fixed"
    RETEST = "retest", "Ready for retest"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"


class Resolution(models.TextChoices):
    FIXED = "fixed", "Fixed"
    REJECTED = "rejected", "Not a defect"
    DUPLICATE = "duplicate", "Duplicate"


class Defect(models.Model):
    """A defect found in testing, through new → triaged → in progress → fixed → retest → closed.

    A defect blocks go-live while open and `blocks_go_live` is set: by default when it is
    critical; a manager may change the flag, with a reason.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="defects"
    )
    number = models.PositiveIntegerField(help_text="Sequence within the project: DEF-<number>.")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    priority = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="1 = highest."
    )
    status = models.CharField(max_length=12, choices=DefectStatus.choices, default=DefectStatus.NEW)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    found_in = models.ForeignKey(
        TestResult, null=True, blank=True, on_delete=models.SET_NULL, related_name="defects"
    )
    cases = models.ManyToManyField(TestCase, blank=True, related_name="defects")
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="defects")
    work_packages = models.ManyToManyField("work.WorkPackage", blank=True, related_name="+")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    blocks_go_live = models.BooleanField(default=False)
    block_reason = models.TextField(
        blank=True, help_text="Why a manager changed the go-live flag from its default."
    )
    retest_result = models.ForeignKey(
        TestResult, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fixed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"],
                name="defect_number_unique",
                violation_error_message="The project already has a defect with this number.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(resolution=""),
                name="defect_closed_has_resolution",
                violation_error_message="A closed defect needs a resolution.",
            ),
        ]

    def __str__(self) -> str:
        return f"DEF-{self.number} {self.title}"

    @property
    def ref(self) -> str:
        return f"DEF-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status != DefectStatus.CLOSED


class SignOffStatus(models.TextChoices):
    OPEN = "open", "Awaiting signatures"
    COMPLETE = "complete", "Complete"
    REVOKED = "revoked", "Revoked"


class SignOff(models.Model):
    """A named scope ("UAT for wave 1") signed by a quorum of named approvers.

    The snapshot of what was tested and what remains open is frozen when the sign-off opens;
    approvers sign that snapshot.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="signoffs"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    plan = models.ForeignKey(
        TestPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="signoffs"
    )
    runs = models.ManyToManyField(TestRun, blank=True, related_name="signoffs")
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    quorum = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    status = models.CharField(
        max_length=10, choices=SignOffStatus.choices, default=SignOffStatus.OPEN
    )
    snapshot = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                condition=~models.Q(status="revoked"),
                name="signoff_name_unique",
                violation_error_message="The project already has a sign-off with this name.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="revoked") | ~models.Q(revoke_reason=""),
                name="signoff_revoked_has_reason",
                violation_error_message="Revoking a sign-off needs a reason.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Signature(models.Model):
    """One approver's signature on a sign-off; a withdrawn signature stays, marked withdrawn."""

    signoff = models.ForeignKey(SignOff, on_delete=models.CASCADE, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["signoff", "signer"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="signature_once_per_signer",
                violation_error_message="You have already signed this sign-off.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.signer} on {self.signoff}"
