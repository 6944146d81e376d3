"""Forms of the quality pages: they parse what people type; the services decide the rest."""

from collections.abc import Iterable

from django import forms

from golive.accounts.models import User
from golive.quality.models import (
    DefectStatus,
    Outcome,
    Priority,
    RequirementStatus,
    Resolution,
    Severity,
    TestType,
)
from golive.web.forms import PrefixedIdsForm, user_choices, version_field

MAX_STEPS = 30
EXTRA_STEPS = 5
MAX_JUNIT_FILES = 50


def _lines(text: str) -> list[str]:
    """Split a comma- or line-separated list, dropping blanks."""
    return [part.strip() for part in (text or "").replace(",", "\n").splitlines() if part.strip()]


class RefsField(forms.CharField):
    """Identifiers typed separated by commas or lines (requirements, WBS codes, case keys)."""

    def to_python(self, value):
        return _lines(super().to_python(value))


class RequirementForm(PrefixedIdsForm):
    id_prefix = "req"
    ref = forms.CharField(label="Identifier", max_length=40, help_text="e.g. REQ-12")
    text = forms.CharField(label="Requirement", widget=forms.Textarea(attrs={"rows": 2}))
    source = forms.CharField(max_length=200, required=False)
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.SHOULD)
    status = forms.ChoiceField(choices=RequirementStatus.choices, initial="proposed")
    work_packages = RefsField(
        label="Work packages", required=False, help_text="WBS codes, comma-separated"
    )
    version = version_field()

    @staticmethod
    def initial_for(requirement) -> dict:
        return {
            "ref": requirement.ref,
            "text": requirement.text,
            "source": requirement.source,
            "priority": requirement.priority,
            "status": requirement.status,
            "work_packages": ", ".join(wp.wbs for wp in requirement.work_packages.all()),
            "version": requirement.version,
        }


class TestPlanForm(PrefixedIdsForm):
    __test__ = False
    id_prefix = "plan"
    name = forms.CharField(max_length=120)
    owner = forms.ChoiceField()
    environment = forms.CharField(max_length=120, required=False)
    scope = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    entry_criteria = forms.CharField(
        label="Entry criteria", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    exit_criteria = forms.CharField(
        label="Exit criteria", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, members: Iterable[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = user_choices(members)


class TestCaseForm(PrefixedIdsForm):
    """A case with its steps: rows of action and expected result (empty rows are dropped)."""

    __test__ = False
    id_prefix = "case"
    title = forms.CharField(max_length=300)
    key = forms.CharField(
        max_length=500, required=False, help_text="Unique in the project; empty = from the title"
    )
    type = forms.ChoiceField(choices=TestType.choices, initial=TestType.FUNCTIONAL)
    requirements = RefsField(
        label="Requirements", required=False, help_text="Identifiers, comma-separated"
    )
    automated = forms.BooleanField(required=False)

    def __init__(self, *args, rows: int = EXTRA_STEPS, **kwargs):
        super().__init__(*args, **kwargs)
        data = self.data or {}
        # Keep every row the person filled in, plus a few empty ones.
        filled = [
            i for i in range(MAX_STEPS) if data.get(f"action_{i}") or data.get(f"expected_{i}")
        ]
        self.rows = min(MAX_STEPS, max(rows, (max(filled) + 2) if filled else 0))
        for i in range(self.rows):
            for name, text in (("action", "action"), ("expected", "expected result")):
                label = f"Step {i + 1}: {text}"
                self.fields[f"{name}_{i}"] = forms.CharField(
                    label=label,
                    max_length=1000,
                    required=False,
                    widget=forms.TextInput(attrs={"aria-label": label}),
                )

    def step_rows(self):
        return [(i + 1, self[f"action_{i}"], self[f"expected_{i}"]) for i in range(self.rows)]

    def steps(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        rows = []
        for i in range(self.rows):
            action, expected = data.get(f"action_{i}", ""), data.get(f"expected_{i}", "")
            if action or expected:
                rows.append({"action": action, "expected": expected})
        return rows


class TestRunForm(PrefixedIdsForm):
    __test__ = False
    id_prefix = "run"
    name = forms.CharField(max_length=200)
    plan = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    build = forms.CharField(max_length=120, required=False)
    environment = forms.CharField(max_length=120, required=False)

    def __init__(self, *args, plans: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [("", "— no plan —")] + [(p.pk, p.name) for p in plans]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".xml,text/xml"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            raise forms.ValidationError("Choose at least one JUnit XML file.", code="required")
        if len(files) > MAX_JUNIT_FILES:
            raise forms.ValidationError(f"Upload at most {MAX_JUNIT_FILES} files at once.")
        return [single(f, initial) for f in files]


class JUnitUploadForm(PrefixedIdsForm):
    id_prefix = "junit"
    run_name = forms.CharField(
        label="Run",
        max_length=200,
        help_text="A new name creates the run; an existing one adds to it",
    )
    files = MultipleFileField(label="JUnit XML files")
    test_type = forms.ChoiceField(
        label="Type of new cases", choices=TestType.choices, initial=TestType.FUNCTIONAL
    )
    build = forms.CharField(max_length=120, required=False)
    environment = forms.CharField(max_length=120, required=False)


class ExecutionForm(forms.Form):
    """A manual execution: each step passed or failed with a note, then the overall outcome."""

    outcome = forms.ChoiceField(label="Overall outcome", choices=Outcome.choices)
    duration = forms.FloatField(
        label="Duration (seconds)", min_value=0, required=False, widget=forms.NumberInput
    )
    message = forms.CharField(
        label="Message", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    evidence_note = forms.CharField(
        label="Evidence", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    evidence_file = forms.FileField(label="Evidence file", required=False)

    STEP_CHOICES = [("passed", "Passed"), ("failed", "Failed"), ("blocked", "Blocked")]

    def __init__(self, *args, case_steps: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.case_steps = case_steps
        for i, _step in enumerate(case_steps):
            self.fields[f"step_{i}"] = forms.ChoiceField(
                label=f"Step {i + 1}",
                choices=self.STEP_CHOICES,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{i}"] = forms.CharField(
                label=f"Step {i + 1} note",
                max_length=2000,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": "Note: what you saw (optional)"}),
            )

    def step_rows(self):
        return [
            (i + 1, step, self[f"step_{i}"], self[f"note_{i}"])
            for i, step in enumerate(self.case_steps)
        ]

    def steps(self) -> list[dict[str, str]] | None:
        if not self.case_steps:
            return None
        data = self.cleaned_data
        marked = [data.get(f"step_{i}") or "" for i in range(len(self.case_steps))]
        notes = [data.get(f"note_{i}", "") for i in range(len(self.case_steps))]
        if not any(marked) and not any(notes):
            return None
        # A step left unmarked was not run: it counts as skipped.
        return [
            {"outcome": outcome or "skipped", "note": note}
            for outcome, note in zip(marked, notes, strict=True)
        ]


def severity_choices() -> list[tuple[str, str]]:
    return [(str(value), label) for value, label in Severity.choices]


class DefectReportForm(PrefixedIdsForm):
    id_prefix = "defect"
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    severity = forms.TypedChoiceField(coerce=int, choices=severity_choices, initial="20")
    priority = forms.TypedChoiceField(
        coerce=int,
        choices=[(str(i), f"P{i}") for i in range(1, 6)],
        initial="3",
        help_text="P1 = highest",
    )
    assignee = forms.ChoiceField(required=False)
    cases = RefsField(label="Test cases", required=False, help_text="Case keys, comma-separated")
    requirements = RefsField(
        label="Requirements", required=False, help_text="Identifiers, comma-separated"
    )
    found_in = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, members: Iterable[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = user_choices(members, blank="— nobody yet —")


class DefectTransitionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("triage", "start", "fix", "retest", "close", "reopen")]
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    resolution = forms.ChoiceField(choices=[("", "—"), *Resolution.choices], required=False)
    assignee = forms.CharField(max_length=150, required=False)
    version = version_field()


class DefectFlagForm(PrefixedIdsForm):
    id_prefix = "flag"
    blocks_go_live = forms.BooleanField(label="Blocks go-live", required=False)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why this defect's go-live flag changes."},
    )
    version = version_field()


class DefectFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "All statuses"), *DefectStatus.choices], required=False
    )
    severity = forms.ChoiceField(
        choices=[("", "Any severity"), *severity_choices()], required=False
    )
    open = forms.BooleanField(label="Open only", required=False)
    blocking = forms.BooleanField(label="Blocking go-live", required=False)


class SignOffOpenForm(PrefixedIdsForm):
    id_prefix = "signoff"
    name = forms.CharField(max_length=120, help_text="e.g. UAT for wave 1")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    plan = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    runs = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    approvers = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    quorum = forms.IntegerField(min_value=1, initial=1)

    def __init__(self, *args, eligible: Iterable[User], plans: Iterable, runs: Iterable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approvers"].choices = user_choices(eligible)
        self.fields["approvers"].help_text = "Members with the approver or manager role."
        self.fields["plan"].choices = [("", "— no plan —")] + [(p.pk, p.name) for p in plans]
        self.fields["runs"].choices = [(r.pk, r.name) for r in runs]


class SignForm(PrefixedIdsForm):
    id_prefix = "sign"
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class SignOffReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
