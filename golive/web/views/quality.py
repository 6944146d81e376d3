"""The Quality tab's overview (the QA dashboard) and the traceability matrix with its CSV."""

from django.http import HttpResponse

from golive.projects.selectors import project_get_for_user
from golive.quality.selectors.dashboard import quality_dashboard
from golive.quality.selectors.traceability import traceability_csv, traceability_matrix
from golive.web.errors import web_view
from golive.web.shortcuts import project_page
from golive.web.views.quality_display import dashboard_charts, quality_permissions


@web_view
def quality(request, key):
    """Show the QA dashboard: pass rates, execution progress, defect flow, ages, time to fix."""
    project = project_get_for_user(user=request.user, key=key)
    data = quality_dashboard(user=request.user, project=project)
    context = {
        "data": data,
        "charts": dashboard_charts(data),
        "quality": quality_permissions(user=request.user, project=project),
    }
    return project_page(request, project, "web/quality_overview.html", context, section="quality")


@web_view
def quality_traceability(request, key):
    """Show requirement → cases → latest results → open defects → sign-offs, with coverage."""
    project = project_get_for_user(user=request.user, key=key)
    matrix = traceability_matrix(user=request.user, project=project)
    context = {"matrix": matrix, "coverage": matrix.coverage}
    return project_page(
        request, project, "web/quality_traceability.html", context, section="quality"
    )


@web_view
def quality_traceability_csv(request, key):
    """Download the traceability matrix as CSV."""
    project = project_get_for_user(user=request.user, key=key)
    body = traceability_csv(user=request.user, project=project)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{project.key}-traceability.csv"'
    return response
