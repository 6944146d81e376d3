"""Test runs: the list, a manual run, JUnit uploads, one run's results, manual execution."""

import os

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse

from golive.projects.selectors import project_get_for_user
from golive.quality.models import Outcome
from golive.quality.selectors.testing import (
    flaky_cases,
    run_summaries,
    run_summary,
    test_case_get,
    test_cases_to_execute,
    test_plan_list,
    test_result_get,
    test_result_list,
    test_run_get,
    test_run_list,
)
from golive.quality.services.junit_import import junit_import
from golive.quality.services.testing import test_result_record, test_run_create
from golive.web.errors import submit, web_view
from golive.web.quality_forms import ExecutionForm, JUnitUploadForm, TestRunForm
from golive.web.shortcuts import project_page
from golive.web.views.quality_display import quality_permissions

RESULTS_LIMIT = 1000
RUNS_LIMIT = 200


@web_view
def quality_runs(request, key):
    """List runs; POST creates a manual run (`op=create`) or imports JUnit files (`op=junit`)."""
    project = project_get_for_user(user=request.user, key=key)
    plans = list(test_plan_list(user=request.user, project=project))
    run_form = TestRunForm(plans=plans)
    junit_form = JUnitUploadForm()
    status = 200
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op == "create":
            run_form = TestRunForm(request.POST, plans=plans)
            done = submit(
                run_form,
                lambda data: test_run_create(actor=request.user, project=project, **data),
            )
            if done.ok:
                messages.success(request, f"Run “{done.result.name}” created.")
                return redirect("web:quality_run", key=project.key, run_id=done.result.pk)
        elif op == "junit":
            junit_form = JUnitUploadForm(request.POST, request.FILES)
            done = submit(
                junit_form,
                lambda data: junit_import(
                    actor=request.user,
                    project=project,
                    run_name=data["run_name"],
                    sources=data["files"],
                    test_type=data["test_type"],
                    build=data["build"],
                    environment=data["environment"],
                ),
            )
            if done.ok:
                s = done.result
                messages.success(
                    request,
                    f"Imported {s.tests} results into “{s.run.name}”: {s.passed} passed, "
                    f"{s.failed} failed, {s.errors} errors, {s.skipped} skipped"
                    f"{f', {s.created_cases} new cases' if s.created_cases else ''}.",
                )
                return redirect("web:quality_run", key=project.key, run_id=s.run.pk)
        else:
            return HttpResponseBadRequest(f"Unknown run action {op!r}.")
        status = 422
    runs = list(test_run_list(user=request.user, project=project)[:RUNS_LIMIT])
    summaries = run_summaries(runs=runs)
    for run in runs:
        run.summary = summaries.get(run.pk)
    context = {
        "runs": runs,
        "run_form": run_form,
        "junit_form": junit_form,
        "quality": quality_permissions(user=request.user, project=project),
    }
    return project_page(
        request, project, "web/quality_runs.html", context, section="quality", status=status
    )


@web_view
def quality_run(request, key, run_id):
    """Show a run: counts, results (`?outcome=failed`), flaky marks, cases left to execute."""
    project = project_get_for_user(user=request.user, key=key)
    run = test_run_get(user=request.user, project=project, run_id=run_id)
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in Outcome.values else ""
    results = test_result_list(user=request.user, project=project, run=run, outcome=outcome)
    flaky = {case.pk for case in flaky_cases(user=request.user, project=project)}
    context = {
        "run": run,
        "summary": run_summary(run, user=request.user, project=project),
        "results": results[:RESULTS_LIMIT],
        "outcome": outcome,
        "outcomes": Outcome.choices,
        "flaky_ids": flaky,
        "to_execute": test_cases_to_execute(user=request.user, project=project, run=run),
        "quality": quality_permissions(user=request.user, project=project),
        "defects_url": reverse("web:quality_defects", args=[project.key]),
    }
    return project_page(request, project, "web/quality_run.html", context, section="quality")


@web_view
def quality_execute(request, key, run_id, case_id):
    """Execute a manual case step by step; POST records the result in the run."""
    project = project_get_for_user(user=request.user, key=key)
    run = test_run_get(user=request.user, project=project, run_id=run_id)
    case = test_case_get(user=request.user, project=project, case_id=case_id)
    status = 200
    if request.method == "POST":
        form = ExecutionForm(request.POST, request.FILES, case_steps=case.steps or [])

        def write(data):
            return test_result_record(
                actor=request.user,
                run=run,
                case=case,
                outcome=data["outcome"],
                steps=form.steps(),
                duration=data["duration"],
                message=data["message"],
                evidence_note=data["evidence_note"],
                evidence_file=data["evidence_file"],
            )

        done = submit(form, write)
        if done.ok:
            messages.success(
                request, f"“{case.title}” recorded as {done.result.get_outcome_display().lower()}."
            )
            return redirect("web:quality_run", key=project.key, run_id=run.pk)
        status = 422
    else:
        form = ExecutionForm(case_steps=case.steps or [])
    context = {
        "run": run,
        "case": case,
        "form": form,
        "quality": quality_permissions(user=request.user, project=project),
    }
    return project_page(
        request, project, "web/quality_execute.html", context, section="quality", status=status
    )


@web_view
def quality_evidence(request, key, result_id):
    """Download a result's evidence file, for members who may see the project's tests."""
    project = project_get_for_user(user=request.user, key=key)
    result = test_result_get(user=request.user, project=project, result_id=result_id)
    if not result.evidence_file:
        raise Http404("This result has no evidence file.")
    return FileResponse(
        result.evidence_file.open("rb"),
        as_attachment=True,
        filename=os.path.basename(result.evidence_file.name),
    )
