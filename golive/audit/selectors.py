"""Reads of the audit log."""

from django.db.models import QuerySet

from golive.audit.models import AuditEvent


def audit_events_for_project(*, project) -> QuerySet[AuditEvent]:
    """Return a project's events, newest first; the caller has checked view access."""
    return AuditEvent.objects.filter(project_id=project.pk).select_related("actor").order_by("-seq")
