"""The readiness checklist, edited in place with htmx (and working without JavaScript)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from golive.projects.selectors import membership_list, project_get_for_user
from golive.readiness.models import ReadinessItem
from golive.readiness.selectors import readiness_item_get, readiness_item_list
from golive.readiness.services import (
    readiness_item_approve,
    readiness_item_attach,
    readiness_item_create,
    readiness_item_delete,
    readiness_item_set_status,
    readiness_item_update,
)
from golive.web.errors import Submission, error_messages, form_messages, submit, web_view
from golive.web.forms import (
    AttachForm,
    EvidenceForm,
    OwnerForm,
    ReadinessItemCreateForm,
    ReasonForm,
    VersionForm,
)
from golive.web.shortcuts import is_htmx, project_page

TEMPLATE = "readiness/readinessitem_list.html"

# op → (form, write(actor, item, cleaned data), message after success)
ITEM_OPS = {
    "evidence": (
        EvidenceForm,
        lambda actor, item, data: readiness_item_update(
            actor=actor,
            item=item,
            version=data["version"],
            evidence_note=data["evidence_note"],
            evidence_link=data["evidence_link"],
        ),
        "Evidence of “{title}” saved.",
    ),
    "owner": (
        OwnerForm,
        lambda actor, item, data: readiness_item_update(
            actor=actor, item=item, version=data["version"], owner=data["owner"]
        ),
        "Owner of “{title}” changed.",
    ),
    "attach": (
        AttachForm,
        lambda actor, item, data: readiness_item_attach(
            actor=actor, item=item, upload=data["file"], version=data["version"]
        ),
        "File attached to “{title}”.",
    ),
    "ready": (
        VersionForm,
        lambda actor, item, data: readiness_item_set_status(
            actor=actor, item=item, status="ready", version=data["version"]
        ),
        "“{title}” marked ready.",
    ),
    "approve": (
        VersionForm,
        lambda actor, item, data: readiness_item_approve(
            actor=actor, item=item, version=data["version"]
        ),
        "“{title}” approved.",
    ),
    "waive": (
        ReasonForm,
        lambda actor, item, data: readiness_item_set_status(
            actor=actor, item=item, status="waived", version=data["version"], reason=data["reason"]
        ),
        "“{title}” waived.",
    ),
    "reopen": (
        VersionForm,
        lambda actor, item, data: readiness_item_set_status(
            actor=actor, item=item, status="open", version=data["version"]
        ),
        "“{title}” reopened.",
    ),
    "delete": (
        VersionForm,
        lambda actor, item, data: readiness_item_delete(
            actor=actor, item=item, version=data["version"]
        ),
        "“{title}” deleted.",
    ),
}
# Forms that stay open with what was typed when the write is refused.
DRAFT_OPS = {"evidence", "owner", "waive"}


def _members(request, project):
    return [m.user for m in membership_list(user=request.user, project=project)]


def _progress(items: list[ReadinessItem]) -> dict[str, int]:
    return {"ready": sum(1 for item in items if item.counts_as_ready), "total": len(items)}


def _checklist_url(project, item_id: int | None = None) -> str:
    url = reverse("web:readiness", args=[project.key])
    return f"{url}#item-{item_id}" if item_id else url


def _submit_in_place(request, form, write) -> tuple[Submission, list[str], int]:
    """Run a write for an htmx partial: every refusal becomes (messages, status) for the partial.

    Without htmx a PermissionDenied still goes to the 403 page.
    """
    try:
        done = submit(form, write)
    except PermissionDenied as exc:
        if not is_htmx(request):
            raise
        return Submission(ok=False), error_messages(exc), 403
    if done.ok:
        return done, [], 200
    return done, form_messages(form), 409 if done.conflict else 422


def _checklist_page(request, project, members, form, *, status: int = 200):
    items = list(readiness_item_list(user=request.user, project=project))
    return project_page(
        request,
        project,
        TEMPLATE,
        {"items": items, "members": members, "progress": _progress(items), "add_form": form},
        section="readiness",
        status=status,
    )


def _fresh_add_form(request, members) -> ReadinessItemCreateForm:
    return ReadinessItemCreateForm(initial={"owner": request.user.username}, members=members)


def _item_add(request, project, members):
    """Add an item: htmx gets the new item appended (or the form back with its errors)."""
    form = ReadinessItemCreateForm(request.POST, members=members)
    done, errors, status = _submit_in_place(
        request,
        form,
        lambda data: readiness_item_create(actor=request.user, project=project, **data),
    )
    if not is_htmx(request):
        if done.ok:
            messages.success(request, f"“{done.result.title}” added to the checklist.")
            return redirect(_checklist_url(project, done.result.pk))
        return _checklist_page(request, project, members, form, status=status)
    if done.ok:
        items = list(readiness_item_list(user=request.user, project=project))
        return project_page(
            request,
            project,
            f"{TEMPLATE}#_item_added",
            {
                "item": done.result,
                "members": members,
                "progress": _progress(items),
                "add_form": _fresh_add_form(request, members),
                "oob": True,
            },
        )
    if status == 403:
        form.add_error(None, errors)
    response = project_page(
        request, project, f"{TEMPLATE}#_add_form", {"add_form": form}, status=status
    )
    return reswap(retarget(response, "#add-item"), "outerHTML")


@web_view
def readiness(request, key):
    """Show the checklist with its progress; POST adds an item at the bottom."""
    project = project_get_for_user(user=request.user, key=key)
    members = _members(request, project)
    if request.method == "POST":
        return _item_add(request, project, members)
    return _checklist_page(request, project, members, _fresh_add_form(request, members))


@web_view
@require_POST
def readiness_item(request, key, item_id):
    """Apply one action (`op`) to an item; htmx gets the item back, with any refusal inside it."""
    project = project_get_for_user(user=request.user, key=key)
    item = readiness_item_get(user=request.user, project=project, item_id=item_id)
    op = request.POST.get("op", "")
    if op not in ITEM_OPS:
        return HttpResponseBadRequest(f"Unknown checklist action {op!r}.")
    form_class, write, done_message = ITEM_OPS[op]
    form = form_class(request.POST, request.FILES)
    done, errors, status = _submit_in_place(
        request, form, lambda data: write(request.user, item, data)
    )
    if not is_htmx(request):
        if done.ok:
            messages.success(request, done_message.format(title=item.title))
        for message in errors:
            messages.error(request, f"{item.title}: {message}")
        return redirect(_checklist_url(project, None if done.ok and op == "delete" else item.pk))
    items = list(readiness_item_list(user=request.user, project=project))
    context = {"progress": _progress(items), "oob": True}
    if done.ok and op == "delete":
        return project_page(request, project, f"{TEMPLATE}#_progress", context)
    keep_draft = not done.ok and status == 422 and op in DRAFT_OPS
    context.update(
        item=next((i for i in items if i.pk == item.pk), item),
        members=_members(request, project),
        item_errors=errors,
        open_op=op if keep_draft else "",
        draft=request.POST if keep_draft else None,
    )
    return project_page(request, project, f"{TEMPLATE}#_item_swap", context, status=status)


@web_view
def readiness_evidence(request, key, item_id):
    """Download an item's evidence file, for members who may see the checklist."""
    project = project_get_for_user(user=request.user, key=key)
    item = readiness_item_get(user=request.user, project=project, item_id=item_id)
    if not item.evidence_file:
        raise Http404(f"“{item.title}” has no evidence file.")
    return FileResponse(
        item.evidence_file.open("rb"),
        as_attachment=True,
        filename=item.evidence_file_name or None,
    )
