"""Baselines: save the current schedule under a name, compare the plan against one."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse

from golive.projects.selectors import project_get_for_user
from golive.web.errors import submit, web_view
from golive.web.plan_display import day_minutes, work_permissions
from golive.web.plan_forms import BaselineForm
from golive.web.shortcuts import project_page
from golive.work.selectors import baseline_compare, baseline_get, baseline_list, calendar_get
from golive.work.services import baseline_save

ROWS_PER_PAGE = 100


@web_view
def baselines(request, key):
    """List baselines and compare one (`?compare=ID`); POST saves a baseline (managers)."""
    project = project_get_for_user(user=request.user, key=key)
    status = 200
    if request.method == "POST":
        form = BaselineForm(request.POST)
        done = submit(
            form,
            lambda data: baseline_save(actor=request.user, project=project, name=data["name"]),
        )
        if done.ok:
            messages.success(request, f"Baseline “{done.result.name}” saved.")
            url = reverse("web:baselines", args=[project.key])
            return redirect(f"{url}?compare={done.result.pk}")
        status = 422
    else:
        form = BaselineForm()
    saved = baseline_list(user=request.user, project=project)
    compare_id = request.GET.get("compare", "")
    comparison = page = None
    show_all = request.GET.get("all") == "1"
    if compare_id.isdigit():
        baseline = baseline_get(user=request.user, project=project, baseline_id=int(compare_id))
        comparison = baseline_compare(user=request.user, project=project, baseline=baseline)
        rows = comparison.packages if show_all else [r for r in comparison.packages if r.differs]
        page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return project_page(
        request,
        project,
        "web/plan_baselines.html",
        {
            "baselines": saved,
            "form": form,
            "comparison": comparison,
            "page": page,
            "show_all": show_all,
            "per_day": day_minutes(calendar_get(user=request.user, project=project)),
            "work": work_permissions(user=request.user, project=project),
        },
        section="baselines",
        status=status,
    )
