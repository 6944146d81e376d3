"""Criterion types over resource load."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

from golive.gates.registry import Evidence, Outcome, register
from golive.resources.selectors import MAX_WEEKS, overloads

LISTED = 5


class NoOverloadParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weeks: int = Field(
        4, ge=1, le=MAX_WEEKS, strict=True, description="How many weeks ahead, from today."
    )


def _load_url(key: str) -> str:
    # The web app names the resource load page; without it the plan is the evidence.
    for name in ("web:resources_load", "web:resources", "web:plan"):
        try:
            return reverse(name, args=[key])
        except NoReverseMatch:
            continue
    return f"/p/{key}/"


@register(
    "resources.no_overload",
    label="No resource overloaded",
    description=(
        "No resource is asked for more hours than it can give on any day of the next N weeks "
        "(from today, in the project's time zone)."
    ),
    params=NoOverloadParams,
)
def no_overload(project, params: NoOverloadParams) -> Outcome:
    start = timezone.localdate(timezone.now(), ZoneInfo(project.time_zone))
    end = start + timedelta(days=7 * params.weeks - 1)
    found = overloads(project=project, start=start, end=end)
    evidence = (Evidence("Resource load", _load_url(project.key)),)
    span = f"{start.isoformat()} to {end.isoformat()}"
    if not found:
        return Outcome(True, f"No resource is overloaded from {span}.", evidence)
    by_resource: dict[int, list] = {}
    for o in found:
        by_resource.setdefault(o.resource.pk, []).append(o)
    parts = []
    for rows in sorted(by_resource.values(), key=lambda rows: (-len(rows), rows[0].resource.name)):
        worst = max(rows, key=lambda o: o.demand_hours - o.capacity_hours)
        parts.append(
            f"{rows[0].resource.name} on {len(rows)} day{'s' if len(rows) != 1 else ''} "
            f"(worst {worst.day.isoformat()}: {worst.demand_hours:g} h asked of "
            f"{worst.capacity_hours:g} h)"
        )
    shown = "; ".join(parts[:LISTED])
    more = f"; and {len(parts) - LISTED} more resources" if len(parts) > LISTED else ""
    return Outcome(
        False,
        f"{len(by_resource)} resource{'s are' if len(by_resource) != 1 else ' is'} overloaded "
        f"from {span}: {shown}{more}.",
        evidence,
    )
