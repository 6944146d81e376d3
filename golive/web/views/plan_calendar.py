"""The project calendar (managers): working hours per weekday, schedule start, exceptions."""

from django.contrib import messages
from django.shortcuts import redirect

from golive.projects.selectors import project_get_for_user
from golive.web.errors import submit, web_view
from golive.web.plan_display import calendar_exceptions, day_minutes
from golive.web.plan_forms import CalendarForm
from golive.web.shortcuts import project_page
from golive.work.access import work_check
from golive.work.selectors import calendar_get
from golive.work.services import calendar_update


@web_view
def plan_calendar(request, key):
    """Edit the calendar; a stale form shows the current values with the conflict."""
    project = project_get_for_user(user=request.user, key=key)
    work_check(user=request.user, project=project, action="calendar")
    calendar = calendar_get(user=request.user, project=project)
    conflict = None
    if request.method == "POST":
        form = CalendarForm(request.POST)
        done = submit(
            form,
            lambda data: calendar_update(
                actor=request.user,
                project=project,
                version=data["version"],
                week=data["week"],
                schedule_start=data["schedule_start"],
                exceptions=data["exceptions"],
            ),
        )
        if done.ok:
            messages.success(request, "Calendar saved; the plan is rescheduled.")
            return redirect("web:plan_calendar", key=project.key)
        if done.conflict:
            conflict = done.conflict.message
            calendar = calendar_get(user=request.user, project=project)
            form = CalendarForm(
                initial=CalendarForm.initial_for(calendar, calendar_exceptions(calendar))
            )
    else:
        form = CalendarForm(
            initial=CalendarForm.initial_for(calendar, calendar_exceptions(calendar))
        )
    return project_page(
        request,
        project,
        "web/plan_calendar.html",
        {"form": form, "conflict": conflict, "per_day": day_minutes(calendar)},
        section="plan",
        status=409 if conflict else 422 if form.errors else 200,
    )
