"""Project pages: the list, creation, the dashboard, settings, phase changes and activity."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from golive.audit.selectors import audit_events_for_project
from golive.gates.models import Decision
from golive.gates.selectors import decision_list, gate_get
from golive.gates.services import READINESS_GATE, gate_evaluate
from golive.projects import services as project_services
from golive.projects.models import Phase, Project, Role
from golive.projects.selectors import (
    membership_list,
    project_get_for_user,
    project_list_for_user,
    success_criterion_list,
)
from golive.readiness.selectors import readiness_item_list
from golive.web.activity import event_rows
from golive.web.errors import form_messages, submit, web_view
from golive.web.forms import PhaseForm, ProjectCreateForm, ProjectSettingsForm
from golive.web.shortcuts import project_page
from golive.web.views.gates import decision_approvers, gate_ahead
from golive.work.selectors import plan_forecast_finish, plan_summary

ACTIVITY_PER_PAGE = 50
RECENT_EVENTS = 10


@web_view
def project_list(request):
    """List the projects the user belongs to, with their role in each."""
    projects = project_list_for_user(user=request.user)
    roles = dict(request.user.memberships.values_list("project_id", "role"))
    rows = [
        {
            "project": project,
            "role": Role(roles[project.pk]).label
            if project.pk in roles
            else "Site admin"
            if request.user.is_superuser
            else "",
        }
        for project in projects
    ]
    return TemplateResponse(request, "projects/project_list.html", {"rows": rows})


@web_view
def project_create(request):
    """Create a project; its creator becomes a manager."""
    if request.method == "POST":
        form = ProjectCreateForm(request.POST)
        done = submit(
            form, lambda data: project_services.project_create(actor=request.user, **data)
        )
        if done.ok:
            project = done.result
            messages.success(
                request,
                f"Project {project.key} created with its readiness checklist and readiness gate.",
            )
            return redirect("web:project_dashboard", key=project.key)
    else:
        form = ProjectCreateForm()
    return TemplateResponse(
        request,
        "projects/project_create.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


@web_view
def project_dashboard(request, key):
    """Show where the project stands: phase, gate, decision, plan, criteria, checklist."""
    project = project_get_for_user(user=request.user, key=key)
    gate = gate_get(user=request.user, project=project, name=READINESS_GATE)
    items = list(readiness_item_list(user=request.user, project=project))
    pending = (
        decision_list(user=request.user, project=project)
        .filter(gate=gate, kind=Decision.Kind.GO, status=Decision.Status.PENDING)
        .first()
    )
    voted = {a.approver_id for a in pending.approvals.all()} if pending else set()
    order = Phase.order()
    position = order.index(project.phase)
    return project_page(
        request,
        project,
        "projects/project_dashboard.html",
        {
            "gate": gate,
            "evaluation": gate_evaluate(gate=gate),
            "pending": pending,
            "waiting": [u for u in decision_approvers(pending) if u.pk not in voted]
            if pending
            else [],
            "gate_ahead": gate_ahead(gate),
            "next_phase": Phase(order[position + 1]) if position + 1 < len(order) else None,
            "criteria": success_criterion_list(user=request.user, project=project),
            "items_total": len(items),
            "items_ready": sum(1 for item in items if item.counts_as_ready),
            "plan": plan_summary(user=request.user, project=project),
            "forecast": plan_forecast_finish(user=request.user, project=project),
            "events": event_rows(
                audit_events_for_project(project=project)[:RECENT_EVENTS],
                tz=ZoneInfo(project.time_zone),
            ),
        },
        section="dashboard",
    )


@web_view
@require_POST
def project_phase(request, key):
    """Move the project to its next phase; a refusal names the failing criteria."""
    project = project_get_for_user(user=request.user, key=key)
    form = PhaseForm(request.POST)
    done = submit(
        form,
        lambda data: project_services.project_phase_advance(
            actor=request.user, project=project, to_phase=data["to_phase"], version=data["version"]
        ),
    )
    if done.ok:
        messages.success(request, f"{project.key} is now in {done.result.get_phase_display()}.")
    else:
        for message in form_messages(form):
            messages.error(request, message)
    return redirect("web:project_dashboard", key=project.key)


def _settings_initial(project: Project) -> dict:
    return {
        "name": project.name,
        "description": project.description,
        "time_zone": project.time_zone,
        "planned_go_live": project.planned_go_live,
        "sponsor": project.sponsor.username if project.sponsor else "",
        "manager": project.manager.username,
        "version": project.version,
    }


@web_view
def project_settings(request, key):
    """Edit the project (managers); a stale form shows the current values instead."""
    project = project_get_for_user(user=request.user, key=key, action="edit")
    members = [m.user for m in membership_list(user=request.user, project=project)]
    conflict = None
    if request.method == "POST":
        form = ProjectSettingsForm(request.POST, members=members)
        done = submit(
            form,
            lambda data: project_services.project_update(
                actor=request.user, project=project, **data
            ),
        )
        if done.ok:
            messages.success(request, "Project settings saved.")
            return redirect("web:project_dashboard", key=project.key)
        if done.conflict:
            conflict = done.conflict.message
            project = project_get_for_user(user=request.user, key=key, action="edit")
            form = ProjectSettingsForm(initial=_settings_initial(project), members=members)
    else:
        form = ProjectSettingsForm(initial=_settings_initial(project), members=members)
    return project_page(
        request,
        project,
        "projects/project_settings.html",
        {"form": form, "conflict": conflict},
        section="settings",
        status=409 if conflict else 422 if form.errors else 200,
    )


@web_view
def activity(request, key):
    """Page through the project's audit trail, newest first."""
    project = project_get_for_user(user=request.user, key=key)
    paginator = Paginator(audit_events_for_project(project=project), ACTIVITY_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return project_page(
        request,
        project,
        "audit/auditevent_list.html",
        {"page": page, "rows": event_rows(page.object_list, tz=ZoneInfo(project.time_zone))},
        section="activity",
    )
