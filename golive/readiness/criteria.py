"""Criterion types over the readiness checklist."""

from django.urls import reverse

from golive.gates.registry import Evidence, NoParams, Outcome, register


def _names(items) -> str:
    titles = [item.title for item in items]
    return ", ".join(titles[:5]) + (f" and {len(titles) - 5} more" if len(titles) > 5 else "")


@register(
    "readiness.checklist_complete",
    label="Readiness checklist complete",
    description="Every readiness item is ready and approved, or waived with a reason.",
)
def checklist_complete(project, params: NoParams) -> Outcome:
    items = list(project.readiness_items.all())
    url = reverse("web:readiness", args=[project.key])
    if not items:
        return Outcome(False, "The readiness checklist is empty.", (Evidence("Checklist", url),))
    open_items = [i for i in items if i.status == "open"]
    unapproved = [i for i in items if i.status == "ready" and i.approved_by_id is None]
    ready = sum(1 for i in items if i.status == "ready" and i.approved_by_id is not None)
    waived = sum(1 for i in items if i.status == "waived")
    if not open_items and not unapproved:
        return Outcome(
            True,
            f"All {len(items)} items are ready ({ready} approved, {waived} waived).",
            (Evidence("Checklist", url),),
        )
    parts = []
    if open_items:
        parts.append(f"{len(open_items)} of {len(items)} items not ready: {_names(open_items)}")
    if unapproved:
        parts.append(f"{len(unapproved)} ready but awaiting approval: {_names(unapproved)}")
    evidence = tuple(Evidence(i.title, f"{url}#item-{i.pk}") for i in open_items + unapproved)
    return Outcome(False, "; ".join(parts) + ".", evidence)
