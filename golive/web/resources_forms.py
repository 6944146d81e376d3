"""Forms of the resource pages: they parse what people type; the services decide the rest."""

from collections.abc import Iterable
from decimal import Decimal

from django import forms

from golive.accounts.models import User
from golive.resources.models import ProcurementKind, ResourceKind
from golive.web.forms import DateInput, PrefixedIdsForm, user_choices, version_field

LEVEL_CHOICES = [
    (1, "1 (basic)"),
    (2, "2"),
    (3, "3 (practised)"),
    (4, "4"),
    (5, "5 (expert)"),
]


def package_choices(packages: Iterable, *, blank: str | None = None) -> list[tuple[str, str]]:
    """Return select choices of work packages (by id) labelled with WBS code and name."""
    choices = [("", blank)] if blank is not None else []
    choices += [(str(wp.pk), f"{wp.wbs} {wp.name}".strip()) for wp in packages]
    return choices


class ResourceForm(PrefixedIdsForm):
    id_prefix = "res"
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=ResourceKind.choices, initial=ResourceKind.PERSON)
    user = forms.ChoiceField(
        label="Member", required=False, help_text="The project member a person resource is."
    )
    capacity_hours = forms.DecimalField(
        label="Capacity (h/day)", initial=Decimal("8"), min_value=0, max_digits=6, decimal_places=2
    )
    cost_rate = forms.DecimalField(
        label="Cost rate (per hour)", initial=Decimal("0"), min_value=0, decimal_places=2
    )
    available_from = forms.DateField(label="Available from", widget=DateInput, required=False)
    available_to = forms.DateField(label="Available to", widget=DateInput, required=False)
    active = forms.BooleanField(required=False, initial=True)
    version = version_field()

    def __init__(self, *args, members: Iterable[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = user_choices(members, blank="— nobody —")

    @staticmethod
    def initial_for(resource) -> dict:
        return {
            "name": resource.name,
            "kind": resource.kind,
            "user": resource.user.username if resource.user_id else "",
            "capacity_hours": resource.capacity_hours,
            "cost_rate": resource.cost_rate,
            "available_from": resource.available_from,
            "available_to": resource.available_to,
            "active": resource.active,
            "version": resource.version,
        }


class SkillForm(PrefixedIdsForm):
    id_prefix = "skill"
    skill = forms.CharField(max_length=80, help_text="A skill the project knows, or a new one.")
    level = forms.TypedChoiceField(choices=LEVEL_CHOICES, coerce=int, initial=3)


class TimeOffForm(PrefixedIdsForm):
    id_prefix = "off"
    start = forms.DateField(widget=DateInput)
    end = forms.DateField(widget=DateInput)
    reason = forms.CharField(max_length=200, required=False)


class AssignmentForm(PrefixedIdsForm):
    id_prefix = "asg"
    package = forms.ChoiceField(label="Work package")
    resource = forms.ChoiceField()
    units = forms.IntegerField(
        label="Units (%)", initial=100, min_value=1, help_text="100 = full time."
    )
    work_hours = forms.DecimalField(
        label="Work (hours)",
        required=False,
        min_value=0,
        decimal_places=2,
        help_text="Effort-driven only; otherwise duration times units.",
    )
    effort_driven = forms.BooleanField(label="Effort-driven", required=False)
    skill = forms.ChoiceField(label="Required skill", required=False)
    skill_level = forms.TypedChoiceField(
        label="Level",
        choices=[("", "—"), *LEVEL_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args, packages: Iterable, resources: Iterable, skills: Iterable, **kw):
        super().__init__(*args, **kw)
        self.fields["package"].choices = package_choices(packages, blank="— choose —")
        self.fields["resource"].choices = [("", "— choose —")] + [
            (str(r.pk), r.name) for r in resources
        ]
        self.fields["skill"].choices = [("", "— none —")] + [(s.name, s.name) for s in skills]

    def work_minutes(self) -> int | None:
        hours = self.cleaned_data.get("work_hours")
        return None if hours is None else round(hours * 60)


class AssignmentEditForm(PrefixedIdsForm):
    units = forms.IntegerField(label="Units (%)", min_value=1)
    work_hours = forms.DecimalField(
        label="Work (hours)", required=False, min_value=0, decimal_places=2
    )
    effort_driven = forms.BooleanField(label="Effort-driven", required=False)
    version = version_field()

    @staticmethod
    def initial_for(assignment) -> dict:
        return {
            "units": assignment.units,
            "work_hours": Decimal(assignment.work) / 60,
            "effort_driven": assignment.effort_driven,
            "version": assignment.version,
        }


class CandidateForm(forms.Form):
    """Who could take a package: the package, and optionally a skill and level."""

    package = forms.ChoiceField(label="Work package")
    skill = forms.ChoiceField(label="Skill", required=False)
    level = forms.TypedChoiceField(
        choices=[("", "any"), *LEVEL_CHOICES], coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args, packages: Iterable, skills: Iterable, **kwargs):
        kwargs.setdefault("auto_id", "cand_%s")
        super().__init__(*args, **kwargs)
        self.fields["package"].choices = package_choices(packages, blank="— choose —")
        self.fields["skill"].choices = [("", "any")] + [(s.name, s.name) for s in skills]


class ProcurementForm(PrefixedIdsForm):
    id_prefix = "proc"
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ProcurementKind.choices, initial=ProcurementKind.HARDWARE)
    vendor = forms.CharField(max_length=200, required=False)
    order_date = forms.DateField(label="Order date", widget=DateInput, required=False)
    lead_time_days = forms.IntegerField(
        label="Lead time (days)", initial=0, min_value=0, help_text="Calendar days."
    )
    expected_delivery = forms.DateField(
        label="Expected delivery",
        widget=DateInput,
        required=False,
        help_text="Empty: order date + lead time.",
    )
    actual_delivery = forms.DateField(label="Delivered on", widget=DateInput, required=False)
    work_packages = forms.TypedMultipleChoiceField(
        label="Needed by",
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    owner = forms.ChoiceField(required=False)
    version = version_field()

    def __init__(self, *args, packages: Iterable, members: Iterable[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["work_packages"].choices = package_choices(packages)
        self.fields["owner"].choices = user_choices(members, blank="— nobody —")

    @staticmethod
    def initial_for(item) -> dict:
        return {
            "name": item.name,
            "kind": item.kind,
            "vendor": item.vendor,
            "order_date": item.order_date,
            "lead_time_days": item.lead_time_days,
            "expected_delivery": item.expected_delivery,
            "actual_delivery": item.actual_delivery,
            "work_packages": [wp.pk for wp in item.work_packages.all()],
            "owner": item.owner.username if item.owner_id else "",
            "version": item.version,
        }


class ResourceSettingsForm(PrefixedIdsForm):
    id_prefix = "settings"
    critical_share_percent = forms.IntegerField(
        label="Critical path share (%)",
        help_text="Warn when one person carries more than this share of the critical path's work.",
    )
    version = version_field()


class LevelingPreviewForm(PrefixedIdsForm):
    id_prefix = "level"
    time_limit = forms.FloatField(
        label="Time limit (seconds)",
        initial=10,
        help_text="How long the solver may search for a shorter leveled plan.",
    )


class LoadWindowForm(forms.Form):
    """The window of the heatmap and the histogram: a start date and a number of weeks."""

    start = forms.DateField(label="From", widget=DateInput, required=False)
    weeks = forms.IntegerField(label="Weeks", required=False, min_value=1, max_value=104)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "window_%s")
        super().__init__(*args, **kwargs)
