"""Defects: the filtered list, reporting (also from a failed result), the workflow on the detail."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect

from golive.projects.selectors import membership_list, project_get_for_user
from golive.quality.selectors.defects import defect_get, defect_list
from golive.quality.selectors.testing import test_result_get
from golive.quality.services.defects import defect_flag_set, defect_report, defect_transition
from golive.web.errors import submit, web_view
from golive.web.quality_forms import (
    DefectFilterForm,
    DefectFlagForm,
    DefectReportForm,
    DefectTransitionForm,
)
from golive.web.shortcuts import project_page
from golive.web.views.quality_display import defect_actions, quality_permissions

PAGE_LIMIT = 500


def _members(request, project):
    return [m.user for m in membership_list(user=request.user, project=project)]


def _prefill(request, project) -> dict:
    """Return the report form's initial values from a failed result (`?result=ID`)."""
    result_id = request.GET.get("result", "")
    if not result_id.isdigit():
        return {"severity": "20", "priority": "3"}
    result = test_result_get(user=request.user, project=project, result_id=int(result_id))
    message = (result.message or "").strip()
    first_line = message.splitlines()[0] if message else result.get_outcome_display()
    description = "\n\n".join(
        part
        for part in (
            f"Found in run “{result.run.name}”: {result.case.key} {result.outcome}.",
            message,
            (result.details or "")[:4000],
        )
        if part
    )
    return {
        "title": f"{result.case.title}: {first_line}"[:300],
        "description": description,
        "severity": "30" if result.outcome == "error" else "20",
        "priority": "3",
        "cases": result.case.key,
        "requirements": ", ".join(r.ref for r in result.case.requirements.all()),
        "found_in": result.pk,
    }


def _filters(params) -> dict:
    form = DefectFilterForm(params)
    form.is_valid()
    data = form.cleaned_data
    return {
        "form": form,
        "status": data.get("status") or "",
        "severity": int(data["severity"]) if data.get("severity") else None,
        "open": True if data.get("open") else None,
        "blocking": True if data.get("blocking") else None,
    }


@web_view
def quality_defects(request, key):
    """List defects with filters; POST reports one (prefilled from `?result=ID`)."""
    project = project_get_for_user(user=request.user, key=key)
    members = _members(request, project)
    status = 200
    if request.method == "POST":
        form = DefectReportForm(request.POST, members=members)

        def write(data):
            return defect_report(
                actor=request.user,
                project=project,
                title=data["title"],
                description=data["description"],
                severity=data["severity"],
                priority=data["priority"],
                assignee=data["assignee"] or None,
                cases=data["cases"],
                requirements=data["requirements"],
                found_in=data["found_in"],
            )

        done = submit(form, write)
        if done.ok:
            messages.success(request, f"{done.result.ref} reported.")
            return redirect("web:quality_defect", key=project.key, number=done.result.number)
        status = 422
    else:
        form = DefectReportForm(initial=_prefill(request, project), members=members)
    flt = _filters(request.GET)
    defects = defect_list(
        user=request.user,
        project=project,
        status=flt["status"],
        severity=flt["severity"],
        open=flt["open"],
        blocking=flt["blocking"],
    )
    context = {
        "defects": defects[:PAGE_LIMIT],
        "flt": flt,
        "report_form": form,
        "report_open": status != 200 or "result" in request.GET,
        "quality": quality_permissions(user=request.user, project=project),
    }
    return project_page(
        request, project, "web/quality_defects.html", context, section="quality", status=status
    )


def _detail(request, project, defect, *, status=200, errors=(), flag_form=None, failed=""):
    context = {
        "defect": defect,
        "actions": defect_actions(defect.status),
        "members": _members(request, project),
        "quality": quality_permissions(user=request.user, project=project),
        "errors": list(errors),
        "failed_action": failed,
        "draft": request.POST if errors else {},
        "flag_form": flag_form
        or DefectFlagForm(
            initial={"blocks_go_live": not defect.blocks_go_live, "version": defect.version}
        ),
    }
    return project_page(
        request, project, "web/quality_defect.html", context, section="quality", status=status
    )


@web_view
def quality_defect(request, key, number):
    """Show a defect; POST runs a workflow action (`op=transition`) or sets the go-live flag."""
    project = project_get_for_user(user=request.user, key=key)
    defect = defect_get(user=request.user, project=project, number=number)
    if request.method != "POST":
        return _detail(request, project, defect)
    return _defect_post(request, project, defect)


def _defect_post(request, project, defect):
    op = request.POST.get("op", "")
    if op == "transition":
        form = DefectTransitionForm(request.POST)

        def write(data):
            return defect_transition(
                actor=request.user,
                defect=defect,
                action=data["action"],
                version=data["version"],
                reason=data["reason"],
                resolution=data["resolution"],
                assignee=data["assignee"] or None,
            )

        flag_form = None
        done_text = "{ref} is now {status}."
    elif op == "flag":
        form = flag_form = DefectFlagForm(request.POST)

        def write(data):
            return defect_flag_set(
                actor=request.user,
                defect=defect,
                blocks_go_live=data["blocks_go_live"],
                reason=data["reason"],
                version=data["version"],
            )

        done_text = "{ref}: go-live flag changed."
    else:
        return HttpResponseBadRequest(f"Unknown defect action {op!r}.")
    done = submit(form, write)
    if done.ok:
        result = done.result
        messages.success(
            request, done_text.format(ref=result.ref, status=result.get_status_display().lower())
        )
        return redirect("web:quality_defect", key=project.key, number=result.number)
    fresh = defect_get(user=request.user, project=project, number=defect.number)
    errors = [m for errs in form.errors.values() for m in errs]
    return _detail(
        request,
        project,
        fresh,
        status=409 if done.conflict else 422,
        errors=errors,
        flag_form=flag_form,
        failed=request.POST.get("action", op),
    )
