"""Migration checks: the list by set, a check (edit, CSV extracts, run now), a result's detail.

A stored database URL is never shown back: pages show the masked display only, and the edit
form's source and target fields start empty ("keep the current one").
"""

from itertools import groupby

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect

from golive.projects.selectors import project_get_for_user
from golive.rollout.selectors.migrations import (
    migration_check_get,
    migration_check_list,
    migration_result_get,
    migration_result_list,
)
from golive.rollout.services.migrations import (
    migration_check_create,
    migration_check_delete,
    migration_check_run,
    migration_check_update,
    migration_extract_upload,
)
from golive.web.errors import submit, web_view
from golive.web.rollout_forms import ExtractUploadForm, MigrationCheckForm, ReasonForm
from golive.web.views.rollout import rollout_page

RESULTS_LIMIT = 50


@web_view
def rollout_migrations(request, key):
    """List migration checks grouped by set with their latest result; POST defines one."""
    project = project_get_for_user(user=request.user, key=key)
    form = MigrationCheckForm()
    status = 200
    if request.method == "POST":
        form = MigrationCheckForm(request.POST)

        def write(data):
            data = {k: v for k, v in data.items() if k != "version"}
            return migration_check_create(actor=request.user, project=project, **data)

        done = submit(form, write)
        if done.ok:
            messages.success(request, f"Migration check “{done.result.name}” defined.")
            return redirect("web:rollout_migration", key=project.key, name=done.result.name)
        status = 422
    checks = list(migration_check_list(user=request.user, project=project))
    sets = [
        {"name": name, "checks": list(group)}
        for name, group in groupby(checks, key=lambda c: c.check_set)
    ]
    context = {"sets": sets, "form": form, "failed": status != 200, "any": bool(checks)}
    return rollout_page(request, project, "web/rollout_migrations.html", context, status=status)


def _side_data(data: dict) -> dict:
    """Drop the empty sides of an edit (keep the stored URL) and the version."""
    return {
        k: v
        for k, v in data.items()
        if k != "version" and not (k in ("source", "target") and not v)
    }


@web_view
def rollout_migration(request, key, name):
    """Show a check; POST edits it, uploads an extract, runs it now or deletes it (`op`)."""
    project = project_get_for_user(user=request.user, key=key)
    check = migration_check_get(user=request.user, project=project, name=name)
    forms = {
        "edit": MigrationCheckForm(editing=True, initial=MigrationCheckForm.initial_for(check)),
        "extract": ExtractUploadForm(),
        "run": ReasonForm(),
    }
    status, failed, conflict, errors = 200, "", "", []
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op == "edit":
            form = forms["edit"] = MigrationCheckForm(request.POST, editing=True)
            done = submit(
                form,
                lambda data: migration_check_update(
                    actor=request.user, check=check, version=data["version"], **_side_data(data)
                ),
            )
            message = "Migration check saved."
        elif op == "extract":
            form = forms["extract"] = ExtractUploadForm(request.POST, request.FILES)
            done = submit(
                form,
                lambda data: migration_extract_upload(
                    actor=request.user,
                    check=check,
                    side=data["side"],
                    table=data["table"],
                    file=data["file"],
                ),
            )
            message = "Extract uploaded."
        elif op == "run":
            form = ReasonForm(request.POST)
            done = submit(form, lambda data: migration_check_run(actor=request.user, check=check))
            if done.ok:
                result = done.result
                (messages.success if result.passed else messages.warning)(
                    request, f"{'Passed' if result.passed else 'Failed'}: {result.summary}"
                )
                return redirect(
                    "web:rollout_migration_result",
                    key=project.key,
                    name=check.name,
                    result_id=result.pk,
                )
        elif op == "delete":
            form = ReasonForm(request.POST)
            done = submit(
                form, lambda data: migration_check_delete(actor=request.user, check=check)
            )
            if done.ok:
                messages.success(request, f"Migration check “{check.name}” deleted.")
                return redirect("web:rollout_migrations", key=project.key)
        else:
            return HttpResponseBadRequest(f"Unknown migration check action {op!r}.")
        if done.ok:
            messages.success(request, message)
            return redirect("web:rollout_migration", key=project.key, name=check.name)
        status, failed = (409 if done.conflict else 422), op
        if op in ("run", "delete"):
            errors = [m for errs in form.errors.values() for m in errs]
        if done.conflict:
            conflict = done.conflict.message
            check = migration_check_get(user=request.user, project=project, name=name)
            forms["edit"] = MigrationCheckForm(
                editing=True, initial=MigrationCheckForm.initial_for(check)
            )
    context = {
        "check": check,
        "results": list(migration_result_list(user=request.user, check=check)[:RESULTS_LIMIT]),
        "csv_sides": [s for s in ("source", "target") if getattr(check, f"{s}_kind") == "csv"],
        "forms": forms,
        "failed": failed,
        "conflict": conflict,
        "errors": errors,
    }
    return rollout_page(request, project, "web/rollout_migration.html", context, status=status)


@web_view
def rollout_migration_result(request, key, name, result_id):
    """Show one result: per table counts, missing / extra / changed with samples, aggregates."""
    project = project_get_for_user(user=request.user, key=key)
    check = migration_check_get(user=request.user, project=project, name=name)
    result = migration_result_get(user=request.user, check=check, result_id=result_id)
    report = result.report or {}
    context = {
        "check": check,
        "result": result,
        "tables": report.get("tables", []),
        "totals": report.get("totals", {}),
    }
    return rollout_page(request, project, "web/rollout_migration_result.html", context)
