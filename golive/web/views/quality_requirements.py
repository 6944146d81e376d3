"""The requirements register: list, add, and edit a row in place (htmx, or a plain page)."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse

from golive.projects.selectors import project_get_for_user
from golive.quality.selectors.testing import requirement_get, requirement_list
from golive.quality.services.testing import requirement_create, requirement_update
from golive.web.errors import web_view
from golive.web.inplace import submit_in_place
from golive.web.quality_forms import RequirementForm
from golive.web.shortcuts import is_htmx, project_page
from golive.web.views.quality_display import quality_permissions

TEMPLATE = "web/quality_requirements.html"


def _register_url(project, requirement_id=None) -> str:
    url = reverse("web:quality_requirements", args=[project.key])
    return f"{url}#req-{requirement_id}" if requirement_id else url


def _page(request, project, *, form=None, edit=None, status=200):
    rows = list(requirement_list(user=request.user, project=project))
    editing = next((r for r in rows if r.pk == edit), None)
    context = {
        "requirements": rows,
        "add_form": form or RequirementForm(),
        "quality": quality_permissions(user=request.user, project=project),
        "editing_id": editing.pk if editing else None,
        "edit_form": _edit_form(editing) if editing else None,
    }
    return project_page(request, project, TEMPLATE, context, section="quality", status=status)


def _edit_form(requirement, data=None) -> RequirementForm:
    return RequirementForm(
        data,
        initial=RequirementForm.initial_for(requirement),
        auto_id=f"req{requirement.pk}_%s",
    )


@web_view
def quality_requirements(request, key):
    """List the register (`?edit=ID` opens a row); POST adds a requirement."""
    project = project_get_for_user(user=request.user, key=key)
    if request.method != "POST":
        edit = request.GET.get("edit", "")
        return _page(request, project, edit=int(edit) if edit.isdigit() else None)
    form = RequirementForm(request.POST)

    def write(data):
        data.pop("version", None)
        return requirement_create(actor=request.user, project=project, **data)

    done, errors, status = submit_in_place(request, form, write)
    if done.ok:
        messages.success(request, f"{done.result.ref} added to the register.")
        return redirect(_register_url(project, done.result.pk))
    if status == 403:
        form.add_error(None, errors)
    return _page(request, project, form=form, status=status)


def _row(request, project, requirement, *, edit=False, form=None, errors=(), status=200):
    context = {
        "r": requirement,
        "quality": quality_permissions(user=request.user, project=project),
        "row_errors": list(errors),
        "editing_id": requirement.pk if edit else None,
        "edit_form": form or (_edit_form(requirement) if edit else None),
    }
    partial = "_row_edit" if edit else "_row"
    return project_page(request, project, f"{TEMPLATE}#{partial}", context, status=status)


@web_view
def quality_requirement(request, key, requirement_id):
    """GET a row (`?edit=1` its form); POST saves the edit and answers the row."""
    project = project_get_for_user(user=request.user, key=key)
    requirement = requirement_get(user=request.user, project=project, requirement_id=requirement_id)
    if request.method != "POST":
        if not is_htmx(request):
            query = f"?edit={requirement.pk}" if request.GET.get("edit") else ""
            return HttpResponseRedirect(
                f"{reverse('web:quality_requirements', args=[project.key])}{query}"
                f"#req-{requirement.pk}"
            )
        return _row(request, project, requirement, edit=bool(request.GET.get("edit")))
    return _update(request, project, requirement)


def _update(request, project, requirement):
    form = _edit_form(requirement, request.POST)
    done, errors, status = submit_in_place(
        request,
        form,
        lambda data: requirement_update(
            actor=request.user,
            requirement=requirement,
            **data,
        ),
    )
    if not is_htmx(request):
        if done.ok:
            messages.success(request, f"{requirement.ref} saved.")
        for message in errors:
            messages.error(request, f"{requirement.ref}: {message}")
        return redirect(_register_url(project, requirement.pk))
    if done.ok:
        fresh = requirement_get(user=request.user, project=project, requirement_id=requirement.pk)
        return _row(request, project, fresh)
    if status == 403:
        return _row(request, project, requirement, errors=errors, status=403)
    if status == 409:
        fresh = requirement_get(user=request.user, project=project, requirement_id=requirement.pk)
        return _row(request, project, fresh, edit=True, errors=errors, status=409)
    return _row(request, project, requirement, edit=True, form=form, errors=errors, status=422)
