"""API: test plans: list, create, read, change."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.quality.api.base import QUALITY, project_for, router
from golive.quality.models import TestPlan
from golive.quality.selectors.testing import test_plan_get, test_plan_list
from golive.quality.services.testing import test_plan_create, test_plan_update


class TestPlanOut(Schema):
    __test__ = False

    id: int
    name: str
    scope: str
    environment: str
    entry_criteria: str
    exit_criteria: str
    owner: str
    cases: int = Field(description="How many test cases belong to the plan.")
    version: int
    created_at: datetime

    @staticmethod
    def resolve_cases(obj: TestPlan) -> int:
        return obj.case_count

    @staticmethod
    def resolve_owner(obj: TestPlan) -> str:
        return obj.owner.username


class TestPlanCreateIn(Schema):
    __test__ = False

    name: str
    owner: str = Field(description="Username of the plan's owner (a project member).")
    scope: str = ""
    environment: str = ""
    entry_criteria: str = ""
    exit_criteria: str = ""


class TestPlanPatchIn(Schema):
    __test__ = False

    version: int
    name: str | None = None
    owner: str | None = Field(None, description="Username of a project member.")
    scope: str | None = None
    environment: str | None = None
    entry_criteria: str | None = None
    exit_criteria: str | None = None


class TestPlanFilters(Schema):
    __test__ = False

    q: str | None = Field(None, description="Text in the name or scope.")


def _plan(request: HttpRequest, key: str, plan_id: int) -> TestPlan:
    return test_plan_get(user=request.user, project=project_for(request, key), plan_id=plan_id)


@router.get(QUALITY + "/test-plans", response=list[TestPlanOut], summary="List test plans")
@paginate(PageNumberPagination)
def test_plans_list(request: HttpRequest, key: str, filters: Query[TestPlanFilters]):
    return test_plan_list(user=request.user, project=project_for(request, key), q=filters.q)


@router.post(
    QUALITY + "/test-plans",
    response={201: TestPlanOut},
    summary="Add a test plan",
    description="The owner must be a project member; a duplicate name gets 422.",
)
def test_plans_create(request: HttpRequest, key: str, payload: TestPlanCreateIn):
    project = project_for(request, key)
    plan = test_plan_create(actor=request.user, project=project, **payload.dict())
    return 201, test_plan_get(user=request.user, project=project, plan_id=plan.pk)


@router.get(QUALITY + "/test-plans/{plan_id}", response=TestPlanOut, summary="Get a test plan")
def test_plans_get(request: HttpRequest, key: str, plan_id: int):
    return _plan(request, key, plan_id)


@router.patch(
    QUALITY + "/test-plans/{plan_id}",
    response=TestPlanOut,
    summary="Change a test plan",
    description="Send the `version` you read; a stale one gets 409 with the current state.",
)
def test_plans_update(request: HttpRequest, key: str, plan_id: int, payload: TestPlanPatchIn):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    test_plan_update(
        actor=request.user, plan=_plan(request, key, plan_id), version=version, **fields
    )
    return _plan(request, key, plan_id)
