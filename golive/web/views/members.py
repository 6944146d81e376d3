"""The member list: managers add people, change their role or remove them."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect

from golive.projects.models import Role
from golive.projects.selectors import membership_list, project_get_for_user
from golive.projects.services import membership_remove, membership_set
from golive.web.errors import submit, web_view
from golive.web.forms import MemberAddForm, MemberRemoveForm, MemberRoleForm
from golive.web.shortcuts import project_page

OPS = {
    "add": (
        MemberAddForm,
        lambda actor, project, data: membership_set(
            actor=actor, project=project, user=data["user"], role=data["role"]
        ),
        "{user} added as {role}.",
    ),
    "role": (
        MemberRoleForm,
        lambda actor, project, data: membership_set(
            actor=actor, project=project, user=data["user"], role=data["role"]
        ),
        "{user} is now {role}.",
    ),
    "remove": (
        MemberRemoveForm,
        lambda actor, project, data: membership_remove(
            actor=actor, project=project, user=data["user"]
        ),
        "{user} removed from the project.",
    ),
}


@web_view
def members(request, key):
    """List the members; a refused change is shown next to the form that made it."""
    project = project_get_for_user(user=request.user, key=key)
    add_form = MemberAddForm()
    failed = None
    if request.method == "POST":
        op = request.POST.get("op")
        if op not in OPS:
            return HttpResponseBadRequest("Unknown member operation.")
        form_class, write, done_message = OPS[op]
        form = form_class(request.POST)
        done = submit(form, lambda data: write(request.user, project, data))
        if done.ok:
            data = form.cleaned_data
            role = Role(data["role"]).label.lower() if "role" in data else ""
            messages.success(request, done_message.format(user=data["user"], role=role))
            return redirect("web:members", key=project.key)
        if op == "add":
            add_form = form
        else:
            failed = form
    return project_page(
        request,
        project,
        "projects/membership_list.html",
        {
            "memberships": membership_list(user=request.user, project=project),
            "add_form": add_form,
            "failed": failed,
            "roles": Role.choices,
        },
        section="members",
        status=422 if add_form.errors or failed else 200,
    )
