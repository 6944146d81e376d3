"""API: the readiness checklist."""

from datetime import datetime

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from golive.errors import NotFound
from golive.projects.selectors import project_get_for_user
from golive.readiness.selectors import readiness_item_get, readiness_item_list
from golive.readiness.services import (
    readiness_item_approve,
    readiness_item_attach,
    readiness_item_create,
    readiness_item_delete,
    readiness_item_set_status,
    readiness_item_update,
)

router = Router(tags=["readiness"])


class ItemOut(Schema):
    id: int
    category: str
    title: str
    description: str
    owner: str
    status: str
    approved: bool
    approved_by: str | None
    approved_at: datetime | None
    waive_reason: str
    evidence_note: str
    evidence_link: str
    evidence_file: str | None
    version: int

    @staticmethod
    def resolve_owner(obj) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_approved(obj) -> bool:
        return obj.approved_by_id is not None

    @staticmethod
    def resolve_approved_by(obj) -> str | None:
        return obj.approved_by.username if obj.approved_by else None

    @staticmethod
    def resolve_evidence_file(obj) -> str | None:
        return obj.evidence_file_name or None


class ItemCreateIn(Schema):
    title: str
    owner: str
    description: str = ""
    category: str = "other"


class ItemPatchIn(Schema):
    version: int
    title: str | None = None
    description: str | None = None
    category: str | None = None
    owner: str | None = None
    evidence_note: str | None = None
    evidence_link: str | None = None


class StatusIn(Schema):
    status: str
    version: int | None = None
    reason: str = ""


class VersionIn(Schema):
    version: int | None = None


def _item(request: HttpRequest, key: str, item_id: int):
    project = project_get_for_user(user=request.user, key=key)
    return readiness_item_get(user=request.user, project=project, item_id=item_id)


@router.get(
    "/projects/{key}/readiness-items",
    response=list[ItemOut],
    summary="List the readiness checklist",
)
@paginate(PageNumberPagination)
def items_list(request: HttpRequest, key: str):
    project = project_get_for_user(user=request.user, key=key)
    return readiness_item_list(user=request.user, project=project)


@router.post(
    "/projects/{key}/readiness-items", response={201: ItemOut}, summary="Add a readiness item"
)
def items_create(request: HttpRequest, key: str, payload: ItemCreateIn):
    project = project_get_for_user(user=request.user, key=key)
    return 201, readiness_item_create(actor=request.user, project=project, **payload.dict())


@router.get(
    "/projects/{key}/readiness-items/{item_id}", response=ItemOut, summary="Get a readiness item"
)
def items_get(request: HttpRequest, key: str, item_id: int):
    return _item(request, key, item_id)


@router.patch(
    "/projects/{key}/readiness-items/{item_id}",
    response=ItemOut,
    summary="Edit a readiness item",
    description="Changing the evidence clears the approval.",
)
def items_update(request: HttpRequest, key: str, item_id: int, payload: ItemPatchIn):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    return readiness_item_update(
        actor=request.user, item=_item(request, key, item_id), version=version, **fields
    )


@router.post(
    "/projects/{key}/readiness-items/{item_id}/status",
    response=ItemOut,
    summary="Mark ready, waive (with a reason) or reopen",
    description="`status`: ready (needs evidence; contributors), waived (needs `reason`; "
    "approvers), open.",
)
def items_status(request: HttpRequest, key: str, item_id: int, payload: StatusIn):
    return readiness_item_set_status(
        actor=request.user,
        item=_item(request, key, item_id),
        status=payload.status,
        version=payload.version,
        reason=payload.reason,
    )


@router.post(
    "/projects/{key}/readiness-items/{item_id}/approve",
    response=ItemOut,
    summary="Approve a ready item (approvers)",
)
def items_approve(request: HttpRequest, key: str, item_id: int, payload: VersionIn):
    return readiness_item_approve(
        actor=request.user, item=_item(request, key, item_id), version=payload.version
    )


@router.post(
    "/projects/{key}/readiness-items/{item_id}/evidence",
    response=ItemOut,
    summary="Upload an evidence file",
    description="Multipart form with `file` (and optionally `version`). Replaces an "
    "earlier file and clears the approval.",
)
def items_attach(
    request: HttpRequest,
    key: str,
    item_id: int,
    file: File[UploadedFile],
    version: Form[int | None] = None,
):
    return readiness_item_attach(
        actor=request.user, item=_item(request, key, item_id), upload=file, version=version
    )


@router.get(
    "/projects/{key}/readiness-items/{item_id}/evidence",
    summary="Download the evidence file",
    response={200: None},
)
def items_evidence(request: HttpRequest, key: str, item_id: int):
    item = _item(request, key, item_id)
    if not item.evidence_file:
        raise NotFound(f"Readiness item {item_id} has no evidence file.")
    return FileResponse(
        item.evidence_file.open("rb"), as_attachment=True, filename=item.evidence_file_name or None
    )


@router.delete(
    "/projects/{key}/readiness-items/{item_id}",
    response={204: None},
    summary="Delete a readiness item (managers)",
)
def items_delete(request: HttpRequest, key: str, item_id: int):
    readiness_item_delete(actor=request.user, item=_item(request, key, item_id))
    return 204, None
