"""API: procurement items (what is ordered from outside and the packages waiting for it),
and the alerts on late or at-risk deliveries."""

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.resources.api.base import (
    MINUTES,
    RESOURCES,
    PackageRefOut,
    project_for,
    router,
    username,
)
from golive.resources.models import ProcurementItem
from golive.resources.planning import delivery_counts
from golive.resources.selectors import (
    ProcurementAlert,
    procurement_alerts,
    procurement_item_get,
    procurement_item_list,
)
from golive.resources.services import (
    procurement_item_create,
    procurement_item_delete,
    procurement_item_update,
)
from golive.work.models import WorkPackage

KindName = Literal["hardware", "licence", "service", "other"]
ITEMS = RESOURCES + "/procurement-items"
ONE = ITEMS + "/{int:item_id}"
PACKAGES = "Ids of the work packages that cannot start before the delivery."


class ProcurementItemOut(Schema):
    id: int
    name: str
    kind: KindName
    vendor: str
    order_date: date | None
    lead_time_days: int = Field(description="Calendar days.")
    expected_delivery: date | None
    actual_delivery: date | None
    delivery: date | None = Field(description="The date that counts: actual, else expected.")
    work_packages: list[PackageRefOut]
    owner: str | None
    created_at: datetime
    version: int

    @staticmethod
    def resolve_delivery(obj: ProcurementItem) -> date | None:
        return delivery_counts(obj)

    @staticmethod
    def resolve_work_packages(obj: ProcurementItem) -> list[WorkPackage]:
        return sorted(obj.work_packages.all(), key=lambda wp: (wp.position, wp.pk))

    @staticmethod
    def resolve_owner(obj: ProcurementItem) -> str | None:
        return username(obj.owner)


class ProcurementItemCreateIn(Schema):
    name: str
    kind: KindName = "hardware"
    vendor: str = ""
    order_date: date | None = None
    lead_time_days: int = Field(0, description="Calendar days.")
    expected_delivery: date | None = Field(
        None, description="Defaults to the order date plus the lead time."
    )
    actual_delivery: date | None = None
    work_packages: list[int] = Field([], description=PACKAGES)
    owner: str | None = Field(None, description="Username of a project member.")


class ProcurementItemPatchIn(Schema):
    version: int
    name: str | None = None
    kind: KindName | None = None
    vendor: str | None = None
    order_date: date | None = None
    lead_time_days: int | None = None
    expected_delivery: date | None = Field(
        None,
        description="A new order date or lead time moves it, unless it is sent as well.",
    )
    actual_delivery: date | None = None
    work_packages: list[int] | None = Field(None, description=PACKAGES + " Replaces the list.")
    owner: str | None = None


class ProcurementAlertOut(Schema):
    item: int
    name: str
    state: Literal["late", "at_risk"] = Field(
        description="late: the expected date passed without delivery; at_risk: the delivery "
        "comes after the packages could otherwise start."
    )
    delivery: date
    needed_by: datetime | None = Field(description="When the first waiting package could start.")
    packages: list[PackageRefOut]
    finish_with: datetime | None = Field(description="The project finish waiting for it.")
    finish_without: datetime | None = Field(description="The project finish if it came in time.")
    delay: int = Field(description=MINUTES + " finish_with minus finish_without.")
    delay_days: float = Field(description="The delay in 8-hour working days.")

    @staticmethod
    def resolve_item(obj: ProcurementAlert) -> int:
        return obj.item.pk

    @staticmethod
    def resolve_name(obj: ProcurementAlert) -> str:
        return obj.item.name


def _item(request: HttpRequest, key: str, item_id: int) -> ProcurementItem:
    return procurement_item_get(
        user=request.user, project=project_for(request, key), item_id=item_id
    )


@router.get(
    ITEMS, response=list[ProcurementItemOut], summary="List procurement items by expected delivery"
)
@paginate(PageNumberPagination)
def procurement_items_list(request: HttpRequest, key: str):
    return procurement_item_list(user=request.user, project=project_for(request, key))


@router.post(
    ITEMS,
    response={201: ProcurementItemOut},
    summary="Record a procurement item and reschedule (contributors)",
    description="The packages that need it cannot start before its delivery; the plan "
    "reschedules. Unknown packages, a non-member owner or a delivery before the order date "
    "get 422.",
)
def procurement_items_create(request: HttpRequest, key: str, payload: ProcurementItemCreateIn):
    project = project_for(request, key)
    item = procurement_item_create(actor=request.user, project=project, **payload.dict())
    return 201, procurement_item_get(user=request.user, project=project, item_id=item.pk)


@router.get(
    RESOURCES + "/procurement-alerts",
    response=list[ProcurementAlertOut],
    summary="Late or at-risk deliveries and what they do to the finish, worst first",
)
def procurement_alerts_list(request: HttpRequest, key: str):
    return procurement_alerts(user=request.user, project=project_for(request, key))


@router.get(ONE, response=ProcurementItemOut, summary="Get a procurement item")
def procurement_items_get(request: HttpRequest, key: str, item_id: int):
    return _item(request, key, item_id)


@router.patch(
    ONE,
    response=ProcurementItemOut,
    summary="Change a procurement item and reschedule (contributors)",
    description="Send the `version` you read; a stale one gets 409 with the current state.",
)
def procurement_items_update(
    request: HttpRequest, key: str, item_id: int, payload: ProcurementItemPatchIn
):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    procurement_item_update(
        actor=request.user, item=_item(request, key, item_id), version=version, **fields
    )
    return _item(request, key, item_id)


@router.delete(
    ONE,
    response={204: None},
    summary="Delete a procurement item and reschedule (contributors)",
    description="The packages it held no longer wait for it.",
)
def procurement_items_delete(
    request: HttpRequest, key: str, item_id: int, version: int | None = None
):
    procurement_item_delete(actor=request.user, item=_item(request, key, item_id), version=version)
    return 204, None
