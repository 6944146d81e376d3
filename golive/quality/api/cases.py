"""API: test cases: list, create, read, change."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.quality.api.base import QUALITY, project_for, router
from golive.quality.models import TestCase
from golive.quality.selectors.testing import test_case_get, test_case_list
from golive.quality.services.testing import test_case_create, test_case_update

TypeName = Literal["functional", "performance", "regression", "uat", "security"]


class StepIO(Schema):
    action: str
    expected: str = ""


class TestCaseOut(Schema):
    __test__ = False

    id: int
    key: str
    title: str
    type: str
    plan: int | None
    steps: list[StepIO]
    automated: bool
    requirements: list[str] = Field(description="Identifiers of the covered requirements.")
    version: int
    created_at: datetime

    @staticmethod
    def resolve_plan(obj: TestCase) -> int | None:
        return obj.plan_id

    @staticmethod
    def resolve_requirements(obj: TestCase) -> list[str]:
        return [r.ref for r in obj.requirements.all()]


class TestCaseCreateIn(Schema):
    __test__ = False

    title: str
    key: str = Field("", description="Unique in the project; defaults to a slug of the title.")
    type: TypeName = "functional"
    steps: list[StepIO] = []
    plan: int | None = Field(None, description="Id of the test plan.")
    requirements: list[str] = Field([], description="Identifiers of the covered requirements.")
    automated: bool = False


class TestCasePatchIn(Schema):
    __test__ = False

    version: int
    title: str | None = None
    key: str | None = None
    type: TypeName | None = None
    steps: list[StepIO] | None = None
    plan: int | None = None
    requirements: list[str] | None = None
    automated: bool | None = None


class TestCaseFilters(Schema):
    __test__ = False

    type: TypeName | None = None
    plan: int | None = Field(None, description="Only the cases of this test plan (id).")
    requirement: int | None = Field(None, description="Only the cases covering it (id).")
    automated: bool | None = None
    q: str | None = Field(None, description="Text in the key or title.")


def _case(request: HttpRequest, key: str, case_id: int) -> TestCase:
    return test_case_get(user=request.user, project=project_for(request, key), case_id=case_id)


@router.get(QUALITY + "/test-cases", response=list[TestCaseOut], summary="List test cases by key")
@paginate(PageNumberPagination)
def test_cases_list(request: HttpRequest, key: str, filters: Query[TestCaseFilters]):
    project = project_for(request, key)
    return test_case_list(user=request.user, project=project, **filters.dict())


@router.post(
    QUALITY + "/test-cases",
    response={201: TestCaseOut},
    summary="Add a test case",
    description="An unknown plan or requirement, or a duplicate key, gets 422.",
)
def test_cases_create(request: HttpRequest, key: str, payload: TestCaseCreateIn):
    project = project_for(request, key)
    case = test_case_create(actor=request.user, project=project, **payload.dict())
    return 201, test_case_get(user=request.user, project=project, case_id=case.pk)


@router.get(QUALITY + "/test-cases/{case_id}", response=TestCaseOut, summary="Get a test case")
def test_cases_get(request: HttpRequest, key: str, case_id: int):
    return _case(request, key, case_id)


@router.patch(
    QUALITY + "/test-cases/{case_id}",
    response=TestCaseOut,
    summary="Change a test case",
    description="Send the `version` you read; a stale one gets 409 with the current state.",
)
def test_cases_update(request: HttpRequest, key: str, case_id: int, payload: TestCasePatchIn):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    test_case_update(
        actor=request.user, case=_case(request, key, case_id), version=version, **fields
    )
    return _case(request, key, case_id)
