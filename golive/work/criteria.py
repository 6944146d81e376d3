"""Criterion types over the plan: a milestone's forecast, old blockers, a saved baseline."""

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.urls import reverse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from golive.gates.registry import Evidence, Outcome, register
from golive.work.selectors import (
    FORECAST_MAX_ITERATIONS,
    baselines_newest_first,
    milestone_candidates,
    milestone_forecast,
    open_blockers_oldest_first,
)

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LISTED = 5  # blockers named in a detail before "and N more"


def _package(wp) -> str:
    return f"{wp.wbs} {wp.name}".strip()


def _more(parts: list[str]) -> str:
    shown = ", ".join(parts[:LISTED])
    return shown + (f" and {len(parts) - LISTED} more" if len(parts) > LISTED else "")


class MilestoneForecastParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    milestone: str = Field(
        min_length=1, max_length=200, description="WBS code or name of a milestone package."
    )
    date: dt.date = Field(description="The P80 finish must be on or before this date (ISO).")
    iterations: int = Field(
        1000, ge=1, le=FORECAST_MAX_ITERATIONS, strict=True, description="Simulated runs."
    )
    seed: int | None = Field(
        1,
        ge=0,
        strict=True,
        description="The same seed gives the same verdict on the same plan; null draws anew.",
    )

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        # Pydantic would read a number as a timestamp; a gate's date is written as a date.
        if isinstance(value, dt.datetime) or not isinstance(value, str | dt.date):
            raise ValueError("an ISO date such as 2027-03-31 is needed")
        if isinstance(value, str) and not ISO_DATE.match(value.strip()):
            raise ValueError(f"an ISO date such as 2027-03-31 is needed, not {value!r}")
        return value.strip() if isinstance(value, str) else value


@register(
    "work.milestone_forecast",
    label="Milestone forecast on time",
    description=(
        "The milestone's P80 forecast finish (Monte Carlo over the three-point estimates, in "
        "the project's time zone) is no later than the date."
    ),
    params=MilestoneForecastParams,
)
def milestone_forecast_on_time(project, params: MilestoneForecastParams) -> Outcome:
    gantt = Evidence("Gantt chart", reverse("web:plan_gantt", args=[project.key]))
    found = milestone_candidates(project=project, text=params.milestone)
    if not found:
        return Outcome(
            False,
            f"The plan has no milestone “{params.milestone}”: no package has this WBS code "
            "or name.",
            (gantt,),
        )
    if len(found) > 1:
        codes = ", ".join(wp.wbs for wp in found)
        return Outcome(
            False,
            f"“{params.milestone}” names {len(found)} packages ({codes}); give the WBS code.",
            (gantt,),
        )
    milestone = found[0]
    package = Evidence(
        _package(milestone), reverse("web:plan", args=[project.key]) + f"?q={milestone.wbs}"
    )
    if not milestone.milestone:
        return Outcome(
            False,
            f"{_package(milestone)} is not a milestone; name a milestone package.",
            (package, gantt),
        )
    try:
        dates = milestone_forecast(
            project=project, milestone=milestone, iterations=params.iterations, seed=params.seed
        )
    except ValidationError as exc:
        return Outcome(
            False, f"The plan cannot be forecast: {' '.join(exc.messages)}", (package, gantt)
        )
    if dates is None:
        return Outcome(False, f"{_package(milestone)} has no forecast yet.", (package, gantt))
    zone = ZoneInfo(project.time_zone)
    p50 = dates.p50.astimezone(zone).date()
    p80 = dates.p80.astimezone(zone).date()
    runs = f"{params.iterations:,} runs" + (
        f", seed {params.seed}" if params.seed is not None else ""
    )
    if p80 <= params.date:
        return Outcome(
            True,
            f"{_package(milestone)}: P80 {p80} is on or before {params.date} (P50 {p50}; {runs}).",
            (package, gantt),
        )
    late = (p80 - params.date).days
    return Outcome(
        False,
        f"{_package(milestone)}: P80 {p80} is {late} day{'s' if late != 1 else ''} after "
        f"{params.date} (P50 {p50}; {runs}).",
        (package, gantt),
    )


class OldBlockersParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=0, strict=True, description="The oldest an open blocker may be, in days.")


def _age(age: dt.timedelta) -> str:
    if age.days >= 1:
        return f"{age.days} day{'s' if age.days != 1 else ''}"
    hours = int(age.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


@register(
    "work.no_old_blockers",
    label="No old blockers",
    description="No open blocker is older than N days.",
    params=OldBlockersParams,
)
def no_old_blockers(project, params: OldBlockersParams) -> Outcome:
    url = reverse("web:blockers", args=[project.key])
    blockers = open_blockers_oldest_first(project=project)
    limit = dt.timedelta(days=params.days)
    old = [b for b in blockers if b.age > limit]
    days = f"{params.days} day{'s' if params.days != 1 else ''}"
    if not old:
        if not blockers:
            detail = "No open blockers."
        else:
            noun = "blocker" if len(blockers) == 1 else "blockers"
            detail = f"{len(blockers)} open {noun}, none older than {days}."
        return Outcome(True, detail, (Evidence("Blockers", url),))
    parts = [f"{b.work_package.wbs or b.work_package.name} ({_age(b.age)})" for b in old]
    noun = "blocker" if len(old) == 1 else "blockers"
    evidence = (
        Evidence("Blockers", url),
        *(
            Evidence(f"{_package(b.work_package)}: {b.reason[:80]}", f"{url}#blocker-{b.pk}")
            for b in old
        ),
    )
    return Outcome(False, f"{len(old)} open {noun} older than {days}: {_more(parts)}.", evidence)


class BaselineSavedParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(
        None, min_length=1, max_length=120, description="This baseline (any when not given)."
    )


@register(
    "work.baseline_saved",
    label="Baseline saved",
    description="A baseline of the plan is saved (the named one, when a name is given).",
    params=BaselineSavedParams,
)
def baseline_saved(project, params: BaselineSavedParams) -> Outcome:
    url = reverse("web:baselines", args=[project.key])
    baselines = baselines_newest_first(project=project)
    if params.name is not None:
        wanted = params.name.casefold()
        chosen = [b for b in baselines if b.name.casefold() == wanted]
    else:
        chosen = baselines
    if not chosen:
        if not baselines:
            detail = "No baseline saved yet."
        else:
            detail = (
                f"No baseline named “{params.name}”; saved: "
                f"{_more([f'“{b.name}”' for b in baselines])}."
            )
        return Outcome(False, detail, (Evidence("Baselines", url),))
    newest = chosen[0]
    saved_on = newest.created_at.astimezone(ZoneInfo(project.time_zone)).date()
    if params.name is None and len(baselines) > 1:
        detail = f"{len(baselines)} baselines; the newest is “{newest.name}”, saved {saved_on}."
    else:
        detail = f"Baseline “{newest.name}” saved {saved_on}."
    return Outcome(
        True, detail, (Evidence(f"Compare with “{newest.name}”", f"{url}?compare={newest.pk}"),)
    )
