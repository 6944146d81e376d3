"""Template helpers for golive's pages: times, phases and form fields."""

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

from golive.gates.models import Approval
from golive.projects.models import Phase

register = template.Library()

MISSING = "—"


@register.filter(expects_localtime=True)
def when(value: datetime | str | None) -> str:
    """Render a moment as <time> in the active (the project's) time zone, e.g. 2025-05-03 14:02 CEST."""
    if value in (None, ""):
        return MISSING
    if isinstance(value, str):
        value = timezone.localtime(datetime.fromisoformat(value))
    return format_html(
        '<time datetime="{}">{}</time>', value.isoformat(), date_format(value, "Y-m-d H:i T")
    )


@register.simple_tag
def phase_steps(current: str) -> list[dict[str, Any]]:
    """Return the phases in order, each marked done, current or upcoming."""
    order = Phase.order()
    index = order.index(current)
    return [
        {
            "value": phase.value,
            "label": phase.label,
            "state": "done" if i < index else "current" if i == index else "upcoming",
        }
        for i, phase in enumerate(Phase)
    ]


@register.filter
def phase_label(value: str) -> str:
    """Return a phase's label (execution → Execution)."""
    return Phase(value).label if value in Phase.values else value


@register.filter
def approvals_count(decision) -> int:
    """Return how many approvals (not rejections) a decision has."""
    return sum(1 for a in decision.approvals.all() if a.verdict == Approval.Verdict.APPROVE)


@register.inclusion_tag("web/_field.html")
def field(bound_field, **attrs: Any) -> dict[str, Any]:
    """Render a labelled form field with its help text and errors (Pico's markup)."""
    return {"field": bound_field, "attrs": attrs}


@register.filter
def widget(bound_field, attrs: dict[str, Any] | None = None) -> str:
    """Render a field's widget with extra attributes; errors are linked by aria-describedby.

    Django marks a widget with errors aria-invalid and links its help text itself.
    """
    attrs = dict(attrs or {})
    if bound_field.errors:
        described = [f"{bound_field.auto_id}_error"]
        if bound_field.help_text:
            described.append(f"{bound_field.auto_id}_helptext")
        attrs.setdefault("aria-describedby", " ".join(described))
    return bound_field.as_widget(attrs=attrs or None)
