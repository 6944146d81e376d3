"""Assignments (with who could take a package) and procurement items (with delivery alerts)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect

from golive.errors import Conflict
from golive.projects.selectors import membership_list, project_get_for_user
from golive.resources.selectors import (
    assignment_candidates,
    assignment_get,
    assignment_list,
    procurement_alerts,
    procurement_item_get,
    procurement_item_list,
    resource_get,
    resource_list,
    skill_list,
)
from golive.resources.services import (
    assignment_create,
    assignment_delete,
    assignment_update,
    procurement_item_create,
    procurement_item_delete,
    procurement_item_update,
)
from golive.web.errors import error_messages, submit, web_view
from golive.web.resources_forms import (
    AssignmentEditForm,
    AssignmentForm,
    CandidateForm,
    ProcurementForm,
)
from golive.web.shortcuts import is_htmx, project_page
from golive.web.views.resources_display import resource_permissions
from golive.work.selectors import work_package_get, work_package_list


def _leaf_packages(request, project):
    """Return the packages work can be assigned to: leaves that are not milestones."""
    packages = list(work_package_list(user=request.user, project=project))
    parents = {wp.parent_id for wp in packages if wp.parent_id}
    return [wp for wp in packages if wp.pk not in parents and not wp.milestone]


def _candidates(request, project, packages, skills):
    """Return the candidate form from the query string and, with a package, its ranking."""
    form = CandidateForm(
        request.GET if "package" in request.GET else None, packages=packages, skills=skills
    )
    if not form.is_bound or not form.is_valid():
        return form, None, []
    data = form.cleaned_data
    package = work_package_get(user=request.user, project=project, package_id=int(data["package"]))
    ranked = assignment_candidates(
        user=request.user, package=package, skill=data["skill"] or None, level=data["level"]
    )
    return form, package, ranked


def _assignments_page(request, project, *, form=None, status=200, errors=()):
    packages = _leaf_packages(request, project)
    skills = list(skill_list(user=request.user, project=project))
    resources = list(resource_list(user=request.user, project=project, active=True))
    cand_form, package, ranked = _candidates(request, project, packages, skills)
    initial = {}
    if package is not None:
        initial = {
            "package": str(package.pk),
            "skill": cand_form.cleaned_data["skill"],
            "skill_level": cand_form.cleaned_data["level"],
        }
    assignments = list(assignment_list(user=request.user, project=project))
    for a in assignments:
        a.work_hours = f"{a.work / 60:g}"
    context = {
        "assignments": assignments,
        "form": form
        or AssignmentForm(initial=initial, packages=packages, resources=resources, skills=skills),
        "cand_form": cand_form,
        "cand_package": package,
        "candidates": ranked,
        "perm": resource_permissions(user=request.user, project=project),
        "errors": list(errors),
    }
    template = "web/resources_assignments.html"
    if is_htmx(request) and request.method == "GET":
        template += "#_candidates"
    return project_page(
        request,
        project,
        template,
        context,
        section="resources",
        status=status,
    )


@web_view
def resources_assignments(request, key):
    """List assignments and who could take a package (`?package=ID&skill=&level=`); POST
    assigns a resource to a package."""
    project = project_get_for_user(user=request.user, key=key)
    if request.method != "POST":
        return _assignments_page(request, project)
    form = AssignmentForm(
        request.POST,
        packages=_leaf_packages(request, project),
        resources=resource_list(user=request.user, project=project, active=True),
        skills=skill_list(user=request.user, project=project),
    )

    def write(data):
        return assignment_create(
            actor=request.user,
            package=work_package_get(
                user=request.user, project=project, package_id=int(data["package"])
            ),
            resource=resource_get(
                user=request.user, project=project, resource_id=int(data["resource"])
            ),
            units=data["units"],
            work=form.work_minutes(),
            effort_driven=data["effort_driven"],
            skill=data["skill"] or None,
            skill_level=data["skill_level"],
        )

    done = submit(form, write)
    if done.ok:
        a = done.result
        messages.success(request, f"{a.resource.name} assigned to {a.work_package.name}.")
        return redirect("web:resources_assignments", key=project.key)
    return _assignments_page(request, project, form=form, status=422)


@web_view
def resources_assignment(request, key, assignment_id):
    """POST changes an assignment's units, work or effort-driven flag (`op=update`) or
    removes it (`op=delete`)."""
    project = project_get_for_user(user=request.user, key=key)
    found = assignment_get(user=request.user, project=project, assignment_id=assignment_id)
    if request.method != "POST":
        return redirect("web:resources_assignments", key=project.key)
    op = request.POST.get("op", "")
    form = AssignmentEditForm(request.POST)
    if op == "update":

        def write(data):
            fields = {"units": data["units"], "effort_driven": data["effort_driven"]}
            if data["effort_driven"] and data["work_hours"] is not None:
                fields["work"] = round(data["work_hours"] * 60)
            return assignment_update(
                actor=request.user, assignment=found, version=data["version"], **fields
            )

        done = submit(form, write)
        if done.ok:
            messages.success(request, "Assignment saved.")
            return redirect("web:resources_assignments", key=project.key)
        errors = [m for errs in form.errors.values() for m in errs]
    elif op == "delete":
        try:
            version = request.POST.get("version", "")
            assignment_delete(
                actor=request.user,
                assignment=found,
                version=int(version) if version.isdigit() else None,
            )
        except (ValidationError, Conflict) as exc:
            errors = error_messages(exc)
        else:
            messages.success(request, f"{found.resource.name} removed from {found.work_package}.")
            return redirect("web:resources_assignments", key=project.key)
    else:
        return HttpResponseBadRequest(f"Unknown assignment action {op!r}.")
    label = f"{found.resource.name} on {found.work_package.name}"
    return _assignments_page(request, project, status=422, errors=[f"{label}: {m}" for m in errors])


# Procurement ------------------------------------------------------------------------------------


def _members(request, project):
    return [m.user for m in membership_list(user=request.user, project=project)]


def _procurement_fields(data) -> dict:
    fields = {name: data[name] for name in ProcurementForm.base_fields if name != "version"}
    fields["owner"] = fields["owner"] or None
    return fields


@web_view
def resources_procurement(request, key):
    """List procurement items with late and at-risk deliveries; POST records an item."""
    project = project_get_for_user(user=request.user, key=key)
    packages = list(work_package_list(user=request.user, project=project))
    members = _members(request, project)
    status = 200
    if request.method == "POST":
        form = ProcurementForm(request.POST, packages=packages, members=members)
        done = submit(
            form,
            lambda data: procurement_item_create(
                actor=request.user, project=project, **_procurement_fields(data)
            ),
        )
        if done.ok:
            messages.success(request, f"{done.result.name} recorded.")
            return redirect("web:resources_procurement", key=project.key)
        status = 422
    else:
        form = ProcurementForm(packages=packages, members=members)
    context = {
        "items": procurement_item_list(user=request.user, project=project),
        "alerts": procurement_alerts(user=request.user, project=project),
        "form": form,
        "form_open": status != 200,
        "perm": resource_permissions(user=request.user, project=project),
    }
    return project_page(
        request,
        project,
        "web/resources_procurement.html",
        context,
        section="resources",
        status=status,
    )


@web_view
def resources_procurement_item(request, key, item_id):
    """Show a procurement item's form; POST saves it (`op=update`) or deletes it."""
    project = project_get_for_user(user=request.user, key=key)
    item = procurement_item_get(user=request.user, project=project, item_id=item_id)
    packages = list(work_package_list(user=request.user, project=project))
    members = _members(request, project)
    status, errors = 200, []
    form = ProcurementForm(
        initial=ProcurementForm.initial_for(item), packages=packages, members=members
    )
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op == "delete":
            try:
                version = request.POST.get("version", "")
                procurement_item_delete(
                    actor=request.user,
                    item=item,
                    version=int(version) if version.isdigit() else None,
                )
            except (ValidationError, Conflict) as exc:
                status, errors = 422, error_messages(exc)
            else:
                messages.success(request, f"{item.name} deleted.")
                return redirect("web:resources_procurement", key=project.key)
        elif op == "update":
            form = ProcurementForm(request.POST, packages=packages, members=members)

            def write(data):
                fields = _procurement_fields(data)
                if data["expected_delivery"] is None:
                    # Empty means "order date + lead time": the service derives it.
                    fields.pop("expected_delivery")
                return procurement_item_update(
                    actor=request.user, item=item, version=data["version"], **fields
                )

            done = submit(form, write)
            if done.ok:
                messages.success(request, f"{done.result.name} saved.")
                return redirect("web:resources_procurement", key=project.key)
            status = 409 if done.conflict else 422
            if done.conflict:
                item = procurement_item_get(user=request.user, project=project, item_id=item.pk)
                errors = [done.conflict.message]
                form = ProcurementForm(
                    initial=ProcurementForm.initial_for(item), packages=packages, members=members
                )
        else:
            return HttpResponseBadRequest(f"Unknown procurement action {op!r}.")
    context = {
        "item": item,
        "form": form,
        "errors": errors,
        "perm": resource_permissions(user=request.user, project=project),
    }
    return project_page(
        request,
        project,
        "web/resources_procurement_item.html",
        context,
        section="resources",
        status=status,
    )
