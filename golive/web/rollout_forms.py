"""Forms of the rollout pages: they parse what people type; the services decide the rest."""

import json
from collections.abc import Callable, Iterable
from typing import Any

from django import forms

from golive.rollout.models import (
    Anchor,
    Audience,
    Channel,
    CohortKind,
    MigrationExtract,
    RunbookKind,
    RunKind,
    StepKind,
    Strategy,
)
from golive.web.forms import PrefixedIdsForm, version_field


def _lines(text: str) -> list[str]:
    """Split a comma- or line-separated list, dropping blanks."""
    return [part.strip() for part in (text or "").replace(",", "\n").splitlines() if part.strip()]


class ListField(forms.CharField):
    """Values typed separated by commas or lines (e-mail addresses, step keys)."""

    def to_python(self, value):
        return _lines(super().to_python(value))

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def datetime_field(**kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], **kwargs
    )


class ObjectChoiceField(forms.ChoiceField):
    """A choice among given objects, submitted by a key (username, slug, name); cleans to the object."""

    def __init__(
        self,
        *,
        objects: Iterable[Any] = (),
        key: Callable[[Any], str] = str,
        label_of: Callable[[Any], str] = str,
        blank: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.set_objects(objects, key=key, label_of=label_of, blank=blank)

    def set_objects(self, objects, *, key=str, label_of=str, blank=None):
        self.by_key = {key(o): o for o in objects}
        self.key = key
        choices = [("", blank)] if blank is not None else []
        self.choices = choices + [(k, label_of(o)) for k, o in self.by_key.items()]

    def prepare_value(self, value):
        if value is not None and not isinstance(value, str | int):
            return self.key(value)
        return value

    def clean(self, value):
        value = super().clean(value)
        return self.by_key.get(value) if value else None


class ObjectMultipleChoiceField(forms.MultipleChoiceField):
    """Several of the given objects, submitted by key; cleans to a list of objects."""

    def __init__(self, *, key: Callable[[Any], str] = str, **kwargs):
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(**kwargs)
        self.key = key
        self.by_key: dict[str, Any] = {}

    def set_objects(self, objects, *, label_of=str):
        self.by_key = {self.key(o): o for o in objects}
        self.choices = [(k, label_of(o)) for k, o in self.by_key.items()]

    def prepare_value(self, value):
        if value is None:
            return []
        return [v if isinstance(v, str) else self.key(v) for v in value]

    def clean(self, value):
        return [self.by_key[k] for k in super().clean(value)]


def _username(user) -> str:
    return user.username


def _person(user) -> str:
    label = user.display_name
    return label if label == user.username else f"{label} ({user.username})"


class PlanForm(PrefixedIdsForm):
    id_prefix = "plan"
    strategy = forms.ChoiceField(choices=Strategy.choices)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = version_field()


class WaveForm(PrefixedIdsForm):
    id_prefix = "wave"
    name = forms.CharField(max_length=120)
    slug = forms.CharField(
        label="Short name",
        max_length=40,
        required=False,
        help_text="Lower-case letters, digits and dashes; names the wave's gates. "
        "Derived from the name when empty.",
    )
    is_pilot = forms.BooleanField(label="This wave is the pilot", required=False)
    cohort_kind = forms.ChoiceField(label="Cohort kind", choices=CohortKind.choices)
    cohort = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Who is in the cohort: sites, departments or user groups.",
    )
    headcount = forms.IntegerField(min_value=0, initial=0)
    contact_emails = ListField(
        label="Contact addresses",
        required=False,
        help_text="Distribution lists that reach the cohort, comma-separated.",
    )
    owner = ObjectChoiceField(key=_username, label_of=_person)
    planned_start = datetime_field(label="Planned start")
    planned_end = datetime_field(label="Planned end")
    version = version_field()

    def __init__(self, *args, members, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].set_objects(members, key=_username, label_of=_person)
        if editing:
            del self.fields["slug"]

    @staticmethod
    def initial_for(wave) -> dict:
        return {
            "name": wave.name,
            "is_pilot": wave.is_pilot,
            "cohort_kind": wave.cohort_kind,
            "cohort": wave.cohort,
            "headcount": wave.headcount,
            "contact_emails": wave.contact_emails,
            "owner": wave.owner.username,
            "planned_start": wave.planned_start,
            "planned_end": wave.planned_end,
            "version": wave.version,
        }


class ReasonForm(PrefixedIdsForm):
    id_prefix = "reason"
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RunbookForm(PrefixedIdsForm):
    id_prefix = "runbook"
    name = forms.CharField(
        max_length=49,
        help_text="Lower-case letters, digits and dashes (e.g. erp-cutover); used in links.",
    )
    title = forms.CharField(max_length=160)
    kind = forms.ChoiceField(choices=RunbookKind.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    owner = ObjectChoiceField(key=_username, label_of=_person)
    wave = ObjectChoiceField(required=False, key=lambda w: w.slug, blank="No wave")
    rollback_plan = ObjectChoiceField(
        label="Rollback plan",
        required=False,
        key=lambda r: r.name,
        blank="None",
        help_text="The rollback runbook that recovers from a failure of this one.",
    )
    trigger_conditions = forms.CharField(
        label="Trigger conditions",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Rollback plans: when the rollback is invoked.",
    )
    rto_minutes = forms.IntegerField(
        label="RTO (minutes)",
        min_value=1,
        required=False,
        help_text="Rollback plans: the recovery-time objective.",
    )
    version = version_field()

    def __init__(self, *args, members, waves, rollback_plans, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].set_objects(members, key=_username, label_of=_person)
        self.fields["wave"].set_objects(waves, key=lambda w: w.slug, blank="No wave")
        self.fields["rollback_plan"].set_objects(
            rollback_plans, key=lambda r: r.name, label_of=lambda r: r.title, blank="None"
        )
        if editing:
            del self.fields["name"]

    @staticmethod
    def initial_for(runbook) -> dict:
        return {
            "title": runbook.title,
            "kind": runbook.kind,
            "description": runbook.description,
            "owner": runbook.owner.username,
            "wave": runbook.wave.slug if runbook.wave else "",
            "rollback_plan": runbook.rollback_plan.name if runbook.rollback_plan else "",
            "trigger_conditions": runbook.trigger_conditions,
            "rto_minutes": runbook.rto_minutes,
            "version": runbook.version,
        }


class StepForm(PrefixedIdsForm):
    id_prefix = "step"
    key = forms.CharField(max_length=49, help_text="e.g. stop-batch-jobs; successors name it.")
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=StepKind.choices)
    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    owner = ObjectChoiceField(required=False, key=_username, blank="Nobody in particular")
    owner_team = ObjectChoiceField(label="Owner team", required=False, blank="No team")
    duration_minutes = forms.IntegerField(label="Duration (minutes)", min_value=0, initial=0)
    offset_minutes = forms.IntegerField(
        label="Planned start T± (minutes)",
        required=False,
        help_text="Relative to T0, the cutover start; negative for T-minus. Empty: as soon as "
        "its predecessors are done.",
    )
    depends_on = ObjectMultipleChoiceField(label="Depends on", required=False, key=lambda s: s.key)
    expected_value = forms.CharField(
        label="Expected value", max_length=200, required=False, help_text="Checks: what to see."
    )
    migration_check = ObjectChoiceField(
        label="Migration check", required=False, blank="None", help_text="Checks: run this."
    )
    communication = ObjectChoiceField(
        required=False, blank="None", help_text="Communication steps: what is sent."
    )
    approvers = ObjectMultipleChoiceField(
        required=False, key=_username, help_text="Decision points: who gives a verdict."
    )
    version = version_field()

    def __init__(
        self,
        *args,
        members,
        approvers,
        teams,
        steps,
        checks,
        communications,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["owner"].set_objects(
            members, key=_username, label_of=_person, blank="Nobody in particular"
        )
        self.fields["owner_team"].set_objects(
            teams, key=lambda t: str(t.pk), label_of=lambda t: t.name, blank="No team"
        )
        self.fields["depends_on"].set_objects(steps, label_of=lambda s: f"{s.key}: {s.title}")
        self.fields["migration_check"].set_objects(
            checks, key=lambda c: c.name, label_of=lambda c: str(c), blank="None"
        )
        self.fields["communication"].set_objects(
            communications, key=lambda c: c.name, label_of=lambda c: c.name, blank="None"
        )
        self.fields["approvers"].set_objects(approvers, label_of=_person)

    @staticmethod
    def initial_for(step) -> dict:
        return {
            "key": step.key,
            "title": step.title,
            "kind": step.kind,
            "instructions": step.instructions,
            "owner": step.owner.username if step.owner else "",
            "owner_team": str(step.owner_team_id or ""),
            "duration_minutes": step.duration_minutes,
            "offset_minutes": step.offset_minutes,
            "depends_on": [s.key for s in step.depends_on.all()],
            "expected_value": step.expected_value,
            "migration_check": step.migration_check.name if step.migration_check else "",
            "communication": step.communication.name if step.communication else "",
            "approvers": [u.username for u in step.approvers.all()],
            "version": step.version,
        }


class RunStartForm(PrefixedIdsForm):
    id_prefix = "run"
    kind = forms.ChoiceField(choices=RunKind.choices, initial=RunKind.REHEARSAL)
    planned_start = datetime_field(
        label="T0 (planned start)", required=False, help_text="Empty: now."
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


STEP_ACTIONS = ["start", "complete", "fail", "skip", "approve", "reject", "resolve"]


class RunStepActionForm(forms.Form):
    """One action on one step of a run (the buttons of the live view)."""

    step = forms.CharField(max_length=49)
    action = forms.ChoiceField(choices=[(a, a) for a in STEP_ACTIONS])
    version = version_field()
    actual_value = forms.CharField(max_length=200, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    resolution = forms.ChoiceField(
        choices=[
            ("", "—"),
            ("retry", "Retry"),
            ("continue", "Continue"),
            ("abort", "Abort"),
            ("rollback", "Roll back"),
        ],
        required=False,
    )


class RunControlForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("pause", "pause"), ("resume", "resume"), ("abort", "abort")]
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class TablesField(forms.CharField):
    """The tables a migration check compares, as JSON."""

    widget = forms.Textarea(attrs={"rows": 6, "spellcheck": "false"})

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return []
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"Not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}."
            ) from exc
        if not isinstance(data, list):
            raise forms.ValidationError("Give a JSON list of tables: [{…}, {…}].")
        return data

    def prepare_value(self, value):
        if isinstance(value, list):
            return json.dumps(value, indent=2)
        return value


TABLES_HELP = (
    'A JSON list, e.g. [{"source": "customers", "target": "customer", "key": ["id"], '
    '"columns": ["name"], "aggregates": {"balance": ["sum"]}}].'
)
SIDE_HELP = "A database URL (postgresql://user:password@host/db), env:VARIABLE, or csv."


class MigrationCheckForm(PrefixedIdsForm):
    id_prefix = "check"
    name = forms.CharField(max_length=49, help_text="e.g. customers; used in links.")
    title = forms.CharField(max_length=160, required=False)
    check_set = forms.CharField(
        label="Set", max_length=49, required=False, help_text="Checks of one set pass together."
    )
    source = forms.CharField(max_length=1000, help_text=SIDE_HELP)
    target = forms.CharField(max_length=1000, help_text=SIDE_HELP)
    tables = TablesField(help_text=TABLES_HELP)
    max_missing = forms.IntegerField(label="Missing allowed", min_value=0, initial=0)
    max_extra = forms.IntegerField(label="Extra allowed", min_value=0, initial=0)
    max_changed = forms.IntegerField(label="Changed allowed", min_value=0, initial=0)
    sample_size = forms.IntegerField(label="Sample size", min_value=0, initial=20)
    version = version_field()

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["name"]
            for side in ("source", "target"):
                self.fields[side].required = False
                self.fields[side].help_text = f"Empty: keep the current one. {SIDE_HELP}"
        for side in ("source", "target"):
            self.fields[side].widget.attrs["autocomplete"] = "off"

    @staticmethod
    def initial_for(check) -> dict:
        return {
            "title": check.title,
            "check_set": check.check_set,
            "tables": check.tables,
            "max_missing": check.max_missing,
            "max_extra": check.max_extra,
            "max_changed": check.max_changed,
            "sample_size": check.sample_size,
            "version": check.version,
        }


class ExtractUploadForm(PrefixedIdsForm):
    id_prefix = "extract"
    side = forms.ChoiceField(choices=MigrationExtract.Side.choices)
    table = forms.CharField(max_length=120, help_text="The table's name on that side.")
    file = forms.FileField(label="CSV file", help_text="With a header row.")


class CommunicationForm(PrefixedIdsForm):
    id_prefix = "comm"
    name = forms.CharField(max_length=49, help_text="e.g. cutover-notice; used in links.")
    audience = forms.ChoiceField(choices=Audience.choices)
    wave = ObjectChoiceField(required=False, key=lambda w: w.slug, blank="No wave")
    recipients = ListField(
        required=False, help_text="Support and named audiences: addresses, comma-separated."
    )
    channel = forms.ChoiceField(choices=Channel.choices)
    webhook_url = forms.CharField(
        label="Webhook URL",
        max_length=1000,
        required=False,
        help_text="Webhook channel: stored encrypted, shown masked.",
    )
    subject = forms.CharField(max_length=200, help_text="A template: {{ project.name }} works.")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))
    anchor = forms.ChoiceField(label="When", choices=Anchor.choices)
    at = datetime_field(label="At", required=False, help_text="A fixed time.")
    runbook = ObjectChoiceField(
        required=False, key=lambda r: r.name, blank="None", help_text="Cutover anchor."
    )
    offset_minutes = forms.IntegerField(
        label="Offset (minutes)",
        initial=0,
        help_text="From the anchor; negative for before.",
    )
    required_for_go_live = forms.BooleanField(
        label="Required for go-live", required=False, initial=True
    )
    version = version_field()

    def __init__(self, *args, waves, runbooks, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wave"].set_objects(
            waves, key=lambda w: w.slug, label_of=lambda w: w.name, blank="No wave"
        )
        self.fields["runbook"].set_objects(
            runbooks, key=lambda r: r.name, label_of=lambda r: r.title, blank="None"
        )
        self.fields["webhook_url"].widget.attrs["autocomplete"] = "off"
        if editing:
            del self.fields["name"]
            self.fields["webhook_url"].help_text = "Empty: keep the current one."

    @staticmethod
    def initial_for(comm) -> dict:
        return {
            "audience": comm.audience,
            "wave": comm.wave.slug if comm.wave else "",
            "recipients": comm.recipients,
            "channel": comm.channel,
            "subject": comm.subject,
            "body": comm.body,
            "anchor": comm.anchor,
            "at": comm.at,
            "runbook": comm.runbook.name if comm.runbook else "",
            "offset_minutes": comm.offset_minutes,
            "required_for_go_live": comm.required_for_go_live,
            "version": comm.version,
        }
