"""Forms of the plan pages; durations are typed as days and hours on the project's calendar."""

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms

from golive.accounts.models import User
from golive.web.forms import DateInput, PrefixedIdsForm, user_choices, version_field
from golive.web.plan_display import STANDARD_DAY, work_time, work_time_parse
from golive.work.models import ConstraintKind, DependencyType, Status, WorkPackage

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ACTION_ROWS = 3
EXTRA_LEVELS = 2


class WorkTimeField(forms.CharField):
    """Working time typed as "2d", "1d 4h", "3h" or "30m" (a bare number is days)."""

    def __init__(self, *, per_day: int = STANDARD_DAY, allow_negative: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.per_day = per_day
        self.allow_negative = allow_negative

    def prepare_value(self, value):
        if isinstance(value, int):
            return work_time(value, self.per_day).replace(" d", "d").replace(" h", "h")
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            if len(text) > 40:
                raise ValueError(text)
            minutes = work_time_parse(text, self.per_day)
        except ValueError:
            raise forms.ValidationError(
                "Write working time as days and hours, e.g. 3d, 1d 4h or 6h.", code="invalid"
            ) from None
        if minutes < 0 and not self.allow_negative:
            raise forms.ValidationError("Working time cannot be negative.", code="negative")
        return minutes


def _with_per_day(form: forms.Form, per_day: int) -> None:
    for bound in form.fields.values():
        if isinstance(bound, WorkTimeField):
            bound.per_day = per_day


class PackageAddForm(PrefixedIdsForm):
    id_prefix = "add"
    name = forms.CharField(max_length=200)
    owner = forms.ChoiceField()
    duration = WorkTimeField(required=False, help_text="e.g. 3d or 1d 4h")
    milestone = forms.BooleanField(required=False)
    parent = forms.CharField(
        label="Parent", max_length=60, required=False, help_text="WBS, e.g. 1.2; empty = top"
    )

    def __init__(self, *args, members: Iterable[User], per_day: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = user_choices(members)
        _with_per_day(self, per_day)


class PackageEditForm(forms.Form):
    """Inline edit of one WBS row: estimate, progress and constraint."""

    name = forms.CharField(max_length=200)
    owner = forms.ChoiceField()
    duration = WorkTimeField(required=False)
    optimistic = WorkTimeField(required=False)
    most_likely = WorkTimeField(label="Most likely", required=False)
    pessimistic = WorkTimeField(required=False)
    status = forms.ChoiceField(choices=Status.choices)
    percent_complete = forms.IntegerField(label="% complete", min_value=0, max_value=100)
    constraint_kind = forms.ChoiceField(
        label="Constraint", choices=[("", "None"), *ConstraintKind.choices], required=False
    )
    constraint_date = forms.DateField(label="Constraint date", widget=DateInput, required=False)
    version = version_field()

    def __init__(self, *args, members: Iterable[User], per_day: int, zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = user_choices(members)
        _with_per_day(self, per_day)
        self.zone = ZoneInfo(zone)

    @classmethod
    def initial_for(cls, wp: WorkPackage, zone: str) -> dict:
        constraint_day = None
        if wp.constraint_date:
            local = wp.constraint_date.astimezone(ZoneInfo(zone))
            if wp.constraint_kind == ConstraintKind.FNLT:
                local -= timedelta(minutes=1)
            constraint_day = local.date()
        return {
            "name": wp.name,
            "owner": wp.owner.username,
            "duration": wp.duration,
            "optimistic": wp.optimistic,
            "most_likely": wp.most_likely,
            "pessimistic": wp.pessimistic,
            "status": wp.status,
            "percent_complete": wp.percent_complete,
            "constraint_kind": wp.constraint_kind,
            "constraint_date": constraint_day,
            "version": wp.version,
        }

    def constraint_moment(self, kind: str, day: date | None) -> datetime | None:
        """A start constraint means the start of its day; "finish no later than" its end."""
        if not kind or day is None:
            return None
        if kind == ConstraintKind.FNLT:
            return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=self.zone)
        return datetime.combine(day, time(0, 0), tzinfo=self.zone)

    def changes(self, wp: WorkPackage) -> dict:
        """Return the service's keyword arguments for what the form holds."""
        data = self.cleaned_data
        fields = {
            "name": data["name"],
            "owner": data["owner"],
            "status": data["status"],
            "percent_complete": data["percent_complete"],
            "constraint_kind": data["constraint_kind"] or "",
            "constraint_date": self.constraint_moment(
                data["constraint_kind"], data["constraint_date"]
            ),
        }
        if not wp.milestone:
            points = [data["optimistic"], data["most_likely"], data["pessimistic"]]
            fields.update(zip(["optimistic", "most_likely", "pessimistic"], points, strict=True))
            if all(p is None for p in points):
                fields["duration"] = data["duration"] if data["duration"] is not None else 0
        fields.update(status_changes(wp, data["status"]))
        fields["percent_complete"] = data["percent_complete"]
        return fields


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    version = version_field()


def status_changes(wp: WorkPackage, status: str) -> dict:
    """Return the service's arguments to move `wp` to `status` (moving back clears actuals)."""
    fields: dict = {"status": status}
    if status == Status.NOT_STARTED and wp.status != Status.NOT_STARTED:
        fields.update(actual_start=None, actual_finish=None, remaining=None, percent_complete=0)
    elif status == Status.IN_PROGRESS and wp.status == Status.DONE:
        fields.update(actual_finish=None, remaining=None, percent_complete=0)
    return fields


class DependencyAddForm(PrefixedIdsForm):
    id_prefix = "dep"
    predecessor = forms.CharField(label="Predecessor (WBS)", max_length=60)
    type = forms.ChoiceField(choices=DependencyType.choices, initial="FS")
    lag = WorkTimeField(required=False, allow_negative=True, help_text="e.g. 2d, or -4h for a lead")

    def __init__(self, *args, per_day: int, **kwargs):
        super().__init__(*args, **kwargs)
        _with_per_day(self, per_day)


class BlockerRaiseForm(PrefixedIdsForm):
    id_prefix = "raise"
    package = forms.CharField(label="Work package (WBS)", max_length=60, help_text="e.g. 1.2")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class BlockerResolveForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class EscalationPathForm(PrefixedIdsForm):
    """Escalation levels in order; rows left without an owner are dropped."""

    id_prefix = "esc"

    def __init__(self, *args, members: Iterable[User], rows: int, **kwargs):
        super().__init__(*args, **kwargs)
        choices = user_choices(members, blank="—")
        self.rows = rows
        for i in range(rows):
            self.fields[f"owner_{i}"] = forms.ChoiceField(
                label=f"Level {i + 1} owner", choices=choices, required=False
            )
            self.fields[f"hours_{i}"] = forms.IntegerField(
                label=f"Level {i + 1} max age (hours)", min_value=1, required=False
            )

    def level_rows(self):
        return [(i + 1, self[f"owner_{i}"], self[f"hours_{i}"]) for i in range(self.rows)]

    def levels(self) -> list[dict]:
        levels = []
        for i in range(self.rows):
            owner = self.cleaned_data.get(f"owner_{i}")
            hours = self.cleaned_data.get(f"hours_{i}")
            if owner:
                levels.append({"owner": owner, "max_age_hours": hours})
            elif hours:
                self.add_error(f"owner_{i}", "Choose who owns this level.")
        return levels


class CheckpointForm(PrefixedIdsForm):
    id_prefix = "cp"
    held_on = forms.DateField(label="Held on", widget=DateInput)
    title = forms.CharField(max_length=160)
    attendees = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    decisions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, members: Iterable[User], **kwargs):
        super().__init__(*args, **kwargs)
        members = list(members)
        self.fields["attendees"].choices = user_choices(members)
        for i in range(ACTION_ROWS):
            self.fields[f"action_{i}"] = forms.CharField(
                label=f"Action {i + 1}", max_length=300, required=False
            )
            self.fields[f"action_{i}_owner"] = forms.ChoiceField(
                label="Owner", choices=user_choices(members, blank="—"), required=False
            )
            self.fields[f"action_{i}_due"] = forms.DateField(
                label="Due", widget=DateInput, required=False
            )

    def action_rows(self):
        return [
            (self[f"action_{i}"], self[f"action_{i}_owner"], self[f"action_{i}_due"])
            for i in range(ACTION_ROWS)
        ]

    def actions(self) -> list[dict]:
        rows = []
        for i in range(ACTION_ROWS):
            text = self.cleaned_data.get(f"action_{i}", "")
            owner = self.cleaned_data.get(f"action_{i}_owner")
            due = self.cleaned_data.get(f"action_{i}_due")
            if text or owner or due:
                rows.append({"description": text, "owner": owner or None, "due_date": due})
        return rows

    def errors_from_service(self, exc) -> None:
        """Map the service's `actions.N.field` keys onto this form's action fields."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        suffix = {"description": "", "owner": "_owner", "due_date": "_due"}
        for key, errors in exc.error_dict.items():
            parts = key.split(".")
            target = key
            if len(parts) == 3 and parts[0] == "actions":
                target = f"action_{parts[1]}{suffix.get(parts[2], '')}"
            messages = [m for e in errors for m in e.messages]
            self.add_error(target if target in self.fields else None, messages)


class BaselineForm(PrefixedIdsForm):
    id_prefix = "baseline"
    name = forms.CharField(max_length=120, help_text="e.g. Approved plan v1")


class CalendarForm(forms.Form):
    """Working hours per weekday, the schedule start and the exceptions (holidays, changed hours).

    Each exception is a line: the date, the hours worked that day if any, and a name
    (`2026-12-25 Christmas Day`, `2026-12-31 08:00-12:00 New Year's Eve`).
    """

    schedule_start = forms.DateField(label="Schedule starts on", widget=DateInput)
    holidays = forms.CharField(
        label="Holidays and changed hours",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=(
            "One date per line. A holiday: 2026-12-25 Christmas Day. Changed hours: the hours "
            "worked after the date, 2026-12-31 08:00-12:00 New Year's Eve."
        ),
    )
    version = version_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, label in enumerate(WEEKDAYS):
            self.fields[f"day_{day}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                help_text="e.g. 08:00-12:00, 13:00-17:00; empty = no work",
            )

    def day_fields(self):
        return [self[f"day_{day}"] for day in range(7)]

    @staticmethod
    def initial_for(calendar, exceptions) -> dict:
        initial = {
            "schedule_start": calendar.schedule_start,
            "holidays": "\n".join(_exception_line(e) for e in exceptions),
            "version": calendar.version,
        }
        for day in range(7):
            periods = calendar.week.get(str(day), [])
            initial[f"day_{day}"] = ", ".join(f"{a}-{b}" for a, b in periods)
        return initial

    def clean(self):
        data = super().clean()
        week = {}
        for day, label in enumerate(WEEKDAYS):
            text = (data.get(f"day_{day}") or "").strip()
            if not text:
                continue
            periods = []
            for part in text.split(","):
                bounds = [b.strip() for b in part.split("-")]
                if len(bounds) != 2 or not all(_is_hhmm(b) for b in bounds):
                    self.add_error(f"day_{day}", f"Write {label}'s hours as 08:00-12:00, …")
                    break
                periods.append([_hhmm(bounds[0]), _hhmm(bounds[1])])
            else:
                week[str(day)] = periods
        data["week"] = week
        exceptions = []
        for number, line in enumerate((data.get("holidays") or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            day, _, rest = line.partition(" ")
            try:
                when = date.fromisoformat(day)
            except ValueError:
                self.add_error("holidays", f"Line {number}: start with a date like 2025-12-25.")
                continue
            periods, name = _leading_periods(rest)
            if periods is None:
                self.add_error(
                    "holidays",
                    f"Line {number}: write the hours worked as 08:00-12:00, 13:00-15:00.",
                )
                continue
            exceptions.append({"date": when, "name": name, "periods": periods})
        data["exceptions"] = exceptions
        return data


# A period at the start of an exception's text, with the comma that may join the next one.
_LEADING_PERIOD = re.compile(r"\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*(,)?")


def _leading_periods(text: str) -> tuple[list[list[str]] | None, str]:
    """Split "08:00-12:00, 13:00-15:00 New Year's Eve" into its periods and its name.

    Return None for the periods when a time is out of range or a comma promises a period that
    does not follow.
    """
    periods: list[list[str]] = []
    rest = text
    while match := _LEADING_PERIOD.match(rest):
        start, end, comma = match.groups()
        if not (_is_hhmm(start) and _is_hhmm(end)):
            return None, text.strip()
        periods.append([_hhmm(start), _hhmm(end)])
        rest = rest[match.end() :]
        if not comma:
            break
    else:
        if periods:  # a trailing comma with no period after it
            return None, text.strip()
    return periods, rest.strip()


def _exception_line(exception) -> str:
    """Return an exception as its line in the form: date, hours worked if any, name."""
    hours = ", ".join(f"{start}-{end}" for start, end in exception.periods)
    return " ".join(part for part in (exception.date.isoformat(), hours, exception.name) if part)


def _is_hhmm(text: str) -> bool:
    hours, _, minutes = text.partition(":")
    return hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(hours) <= 24


def _hhmm(text: str) -> str:
    hours, _, minutes = text.partition(":")
    return f"{int(hours):02d}:{minutes}"
