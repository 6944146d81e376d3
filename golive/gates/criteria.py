"""Criterion types over gates: one gate's decision as a criterion of another."""

from django.urls import NoReverseMatch, reverse
from pydantic import BaseModel, ConfigDict, Field

from golive.gates.models import Approval, Decision, Gate
from golive.gates.registry import Evidence, Outcome, register
from golive.projects.models import Project


class GateApprovedParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gate: str = Field(min_length=1, max_length=49, description="The gate's name (e.g. readiness).")


def _gate_url(project: Project, name: str) -> str:
    try:
        return reverse("web:gate_detail", args=[project.key, name])
    except NoReverseMatch:
        return f"/p/{project.key}/gates/{name}/"


@register(
    "gates.gate_approved",
    label="Gate approved",
    description="The named gate's latest go decision is approved.",
    params=GateApprovedParams,
)
def gate_approved(project: Project, params: GateApprovedParams) -> Outcome:
    gate = Gate.objects.filter(project=project, name=params.gate).first()
    if gate is None:
        return Outcome(False, f"There is no gate called {params.gate!r}.")
    link = (Evidence(f"{gate.title} gate", _gate_url(project, gate.name)),)
    decision = gate.latest_go_decision()
    if decision is None:
        return Outcome(False, f"The {gate.title} gate has not been decided yet.", link)
    if decision.status == Decision.Status.APPROVED:
        when = decision.closed_at or decision.opened_at
        return Outcome(True, f"The {gate.title} gate was approved on {when:%Y-%m-%d}.", link)
    if decision.status == Decision.Status.PENDING:
        approved = decision.approvals.filter(verdict=Approval.Verdict.APPROVE).count()
        return Outcome(
            False,
            f"The {gate.title} decision awaits approval ({approved} of {decision.quorum}).",
            link,
        )
    return Outcome(
        False,
        f"The latest {gate.title} decision was {decision.get_status_display().lower()}.",
        link,
    )
