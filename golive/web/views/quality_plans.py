"""Test plans with their cases; adding cases with their steps; one case with its history."""

from django.contrib import messages
from django.shortcuts import redirect

from golive.projects.selectors import membership_list, project_get_for_user
from golive.quality.selectors.testing import (
    test_case_get,
    test_case_list,
    test_case_results,
    test_plan_get,
    test_plan_list,
)
from golive.quality.services.testing import test_case_create, test_plan_create
from golive.web.errors import submit, web_view
from golive.web.quality_forms import TestCaseForm, TestPlanForm
from golive.web.shortcuts import project_page
from golive.web.views.quality_display import quality_permissions


def _members(request, project):
    return [m.user for m in membership_list(user=request.user, project=project)]


@web_view
def quality_plans(request, key):
    """List test plans; POST creates one."""
    project = project_get_for_user(user=request.user, key=key)
    members = _members(request, project)
    status = 200
    if request.method == "POST":
        form = TestPlanForm(request.POST, members=members)
        done = submit(
            form, lambda data: test_plan_create(actor=request.user, project=project, **data)
        )
        if done.ok:
            messages.success(request, f"Test plan “{done.result.name}” created.")
            return redirect("web:quality_plan", key=project.key, plan_id=done.result.pk)
        status = 422
    else:
        form = TestPlanForm(initial={"owner": request.user.username}, members=members)
    context = {
        "plans": test_plan_list(user=request.user, project=project),
        "form": form,
        "quality": quality_permissions(user=request.user, project=project),
    }
    return project_page(
        request, project, "web/quality_plans.html", context, section="quality", status=status
    )


@web_view
def quality_plan(request, key, plan_id):
    """Show a plan with its cases; POST adds a case with its steps to the plan."""
    project = project_get_for_user(user=request.user, key=key)
    plan = test_plan_get(user=request.user, project=project, plan_id=plan_id)
    status = 200
    if request.method == "POST":
        form = TestCaseForm(request.POST)

        def write(data):
            return test_case_create(
                actor=request.user,
                project=project,
                plan=plan,
                title=data["title"],
                key=data["key"],
                type=data["type"],
                automated=data["automated"],
                requirements=data["requirements"],
                steps=form.steps(),
            )

        done = submit(form, write)
        if done.ok:
            messages.success(request, f"Case “{done.result.title}” added to {plan.name}.")
            return redirect("web:quality_plan", key=project.key, plan_id=plan.pk)
        status = 422
    else:
        form = TestCaseForm()
    context = {
        "plan": plan,
        "cases": test_case_list(user=request.user, project=project, plan=plan),
        "form": form,
        "quality": quality_permissions(user=request.user, project=project),
    }
    return project_page(
        request, project, "web/quality_plan.html", context, section="quality", status=status
    )


@web_view
def quality_case(request, key, case_id):
    """Show a test case: its steps, requirements, results over runs and defects."""
    project = project_get_for_user(user=request.user, key=key)
    case = test_case_get(user=request.user, project=project, case_id=case_id)
    context = {
        "case": case,
        "results": test_case_results(user=request.user, project=project, case=case),
        "quality": quality_permissions(user=request.user, project=project),
    }
    return project_page(request, project, "web/quality_case.html", context, section="quality")
