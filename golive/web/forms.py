"""Forms that parse what people type; the services decide whether it is allowed and valid."""

import zoneinfo
from collections.abc import Iterable
from functools import cache

from django import forms

from golive.accounts.models import User
from golive.gates.registry import criterion_types
from golive.projects.models import Direction, Phase, Role
from golive.readiness.models import Category


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Return every IANA time zone name as select choices, sorted."""
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def user_choices(users: Iterable[User], *, blank: str | None = None) -> list[tuple[str, str]]:
    """Return select choices of usernames labelled with display names."""
    choices = [("", blank)] if blank is not None else []
    for user in users:
        label = user.display_name
        choices.append(
            (user.username, label if label == user.username else f"{label} ({user.username})")
        )
    return choices


class DateInput(forms.DateInput):
    input_type = "date"


def version_field() -> forms.IntegerField:
    """The version a form was read at; the service refuses the write if it is stale."""
    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class PrefixedIdsForm(forms.Form):
    """A form whose element ids start with `id_prefix`, so several fit on one page."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ProjectCreateForm(forms.Form):
    key = forms.CharField(
        max_length=10,
        help_text="2 to 10 capital letters or digits, starting with a letter (e.g. ERP).",
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        initial="UTC",
        help_text="Dates and times of the project are shown in this time zone.",
    )
    planned_go_live = forms.DateField(label="Planned go-live", widget=DateInput, required=False)
    sponsor = forms.CharField(
        max_length=150,
        required=False,
        help_text="Username of the sponsor (optional); they join the project as an approver.",
    )


class ProjectSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    time_zone = forms.ChoiceField(choices=time_zone_choices)
    planned_go_live = forms.DateField(label="Planned go-live", widget=DateInput, required=False)
    sponsor = forms.ChoiceField(required=False)
    manager = forms.ChoiceField()
    version = version_field()

    def __init__(self, *args, members: Iterable[User], **kwargs):
        super().__init__(*args, **kwargs)
        members = list(members)
        self.fields["sponsor"].choices = user_choices(members, blank="— no sponsor —")
        self.fields["manager"].choices = user_choices(members)


class MemberAddForm(forms.Form):
    user = forms.CharField(label="Username", max_length=150)
    role = forms.TypedChoiceField(choices=Role.choices, coerce=int, initial=Role.CONTRIBUTOR)


class MemberRoleForm(forms.Form):
    user = forms.CharField(widget=forms.HiddenInput)
    role = forms.TypedChoiceField(choices=Role.choices, coerce=int)


class MemberRemoveForm(forms.Form):
    user = forms.CharField(widget=forms.HiddenInput)


class PhaseForm(forms.Form):
    to_phase = forms.ChoiceField(choices=Phase.choices)
    version = version_field()


class SuccessCriterionForm(forms.Form):
    metric = forms.CharField(max_length=200)
    direction = forms.ChoiceField(choices=Direction.choices)
    target = forms.DecimalField(max_digits=14, decimal_places=4)
    unit = forms.CharField(max_length=40, required=False)
    due_date = forms.DateField(widget=DateInput, required=False)
    owner = forms.ChoiceField()
    version = version_field()

    def __init__(self, *args, members: Iterable[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = user_choices(members)


class VersionForm(forms.Form):
    version = version_field()


class ReadinessItemCreateForm(forms.Form):
    title = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=Category.choices, initial=Category.OTHER)
    owner = forms.ChoiceField()

    def __init__(self, *args, members: Iterable[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = user_choices(members)


class EvidenceForm(VersionForm):
    evidence_note = forms.CharField(widget=forms.Textarea, required=False)
    evidence_link = forms.CharField(max_length=500, required=False)


class OwnerForm(VersionForm):
    owner = forms.CharField(max_length=150)


class AttachForm(VersionForm):
    file = forms.FileField(allow_empty_file=True)


class ReasonForm(VersionForm):
    reason = forms.CharField(widget=forms.Textarea, required=False)


class GateApproversForm(PrefixedIdsForm):
    id_prefix = "gate"

    approvers = forms.MultipleChoiceField(
        label="Named approvers", required=False, widget=forms.CheckboxSelectMultiple
    )
    quorum = forms.IntegerField(min_value=1)
    version = version_field()

    def __init__(self, *args, eligible: Iterable[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approvers"].choices = user_choices(eligible)
        self.fields["approvers"].help_text = "Members with the approver or manager role."


class CriterionAddForm(PrefixedIdsForm):
    id_prefix = "criterion"
    key = forms.CharField(max_length=49, help_text="Lower-case letters, digits and dashes.")
    type = forms.ChoiceField(label="Criterion type")
    label = forms.CharField(max_length=160, required=False, help_text="Defaults to the type.")
    params = forms.JSONField(
        label="Parameters (JSON)",
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [(t.key, t.label) for t in criterion_types()]

    def clean_params(self):
        params = self.cleaned_data["params"]
        if params in (None, ""):
            return {}
        if not isinstance(params, dict):
            raise forms.ValidationError('Parameters are a JSON object, e.g. {"minimum": 2}.')
        return params


class CriterionRemoveForm(forms.Form):
    criterion = forms.CharField()


class WaiverForm(forms.Form):
    criterion = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class WaiverRevokeForm(forms.Form):
    waiver = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DecisionOpenForm(PrefixedIdsForm):
    id_prefix = "open"
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class VoteForm(PrefixedIdsForm):
    id_prefix = "vote"
    decision = forms.IntegerField(widget=forms.HiddenInput)
    verdict = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Required when you reject.",
    )


class WithdrawForm(PrefixedIdsForm):
    id_prefix = "withdraw"
    decision = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why is it withdrawn?", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. ci or laptop.")
    days = forms.IntegerField(initial=90, min_value=1, help_text="Days until it expires.")
