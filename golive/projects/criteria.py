"""Criterion types over project evidence."""

from django.urls import reverse
from pydantic import BaseModel, ConfigDict, Field

from golive.gates.registry import Evidence, Outcome, register


class SuccessCriteriaParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minimum: int = Field(1, ge=1, description="How many success criteria must exist.")


@register(
    "projects.success_criteria_defined",
    label="Success criteria defined",
    description="At least N measurable success criteria are defined for the project.",
    params=SuccessCriteriaParams,
)
def success_criteria_defined(project, params: SuccessCriteriaParams) -> Outcome:
    count = project.success_criteria.count()
    link = (Evidence("Success criteria", reverse("web:success_criteria", args=[project.key])),)
    if count >= params.minimum:
        noun = "success criterion" if count == 1 else "success criteria"
        return Outcome(True, f"{count} {noun} defined (at least {params.minimum} needed).", link)
    if count == 0:
        return Outcome(
            False,
            f"No success criteria defined; at least {params.minimum} needed "
            "before implementation starts.",
            link,
        )
    return Outcome(
        False, f"Only {count} success criteria defined; at least {params.minimum} needed.", link
    )
