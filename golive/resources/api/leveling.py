"""API: leveling runs — preview a leveling, read runs, apply, undo or discard one."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.resources.api.base import MINUTES, RESOURCES, project_for, router
from golive.resources.models import LevelingRun
from golive.resources.selectors import leveling_run_get, leveling_run_list
from golive.resources.services import (
    leveling_apply,
    leveling_discard,
    leveling_preview,
    leveling_undo,
)

RUNS = RESOURCES + "/leveling-runs"
ONE = RUNS + "/{int:run_id}"


class MoveOut(Schema):
    package: int
    wbs: str
    name: str
    old_start: datetime | None
    old_finish: datetime | None
    new_start: datetime | None
    new_finish: datetime | None
    shift: int = Field(description=MINUTES + " How far the start moves.")


def _result(obj: LevelingRun, name: str) -> Any:
    return obj.result.get(name)


class LevelingRunOut(Schema):
    id: int
    status: str = Field(description="preview, applied, undone or discarded.")
    time_limit: float = Field(description="Seconds the solver was given.")
    created_by: str
    created_at: datetime
    applied_at: datetime | None
    undone_at: datetime | None
    solver_status: str | None = Field(
        description="optimal (proved minimal on the solver's time grid), feasible (the best "
        "within the time limit) or priority_rule (no solver answer in time)."
    )
    optimal: bool | None = Field(description="The finish is proved the earliest, to the minute.")
    finish_before: datetime | None
    finish_after: datetime | None
    finish_shift: int | None = Field(description=MINUTES + " finish_after minus finish_before.")
    lower_bound_date: datetime | None = Field(description="No leveling can finish earlier.")
    overloads_before: int | None = Field(description="Overloaded resource-days unleveled.")
    overloads_after: int | None = Field(description="Overloaded resource-days leveled.")
    solve_seconds: float | None
    moves_count: int = Field(description="How many packages move.")

    @staticmethod
    def resolve_created_by(obj: LevelingRun) -> str:
        return obj.created_by.username

    @staticmethod
    def resolve_solver_status(obj: LevelingRun) -> str | None:
        return _result(obj, "status")

    @staticmethod
    def resolve_optimal(obj: LevelingRun) -> bool | None:
        return _result(obj, "optimal")

    @staticmethod
    def resolve_finish_before(obj: LevelingRun) -> str | None:
        return _result(obj, "finish_before")

    @staticmethod
    def resolve_finish_after(obj: LevelingRun) -> str | None:
        return _result(obj, "finish_after")

    @staticmethod
    def resolve_finish_shift(obj: LevelingRun) -> int | None:
        return _result(obj, "finish_shift")

    @staticmethod
    def resolve_lower_bound_date(obj: LevelingRun) -> str | None:
        return _result(obj, "lower_bound_date")

    @staticmethod
    def resolve_overloads_before(obj: LevelingRun) -> int | None:
        return _result(obj, "overloads_before")

    @staticmethod
    def resolve_overloads_after(obj: LevelingRun) -> int | None:
        return _result(obj, "overloads_after")

    @staticmethod
    def resolve_solve_seconds(obj: LevelingRun) -> float | None:
        return _result(obj, "solve_seconds")

    @staticmethod
    def resolve_moves_count(obj: LevelingRun) -> int:
        return len(obj.result.get("moves", []))


class LevelingRunDetailOut(LevelingRunOut):
    moves: list[MoveOut] = Field(description="The packages that move, the largest shift first.")

    @staticmethod
    def resolve_moves(obj: LevelingRun) -> list[dict[str, Any]]:
        return obj.result.get("moves", [])


class PreviewIn(Schema):
    time_limit: float = Field(10.0, description="Seconds the solver may take, 0 to 600.")


def _run(request: HttpRequest, key: str, run_id: int) -> LevelingRun:
    return leveling_run_get(user=request.user, project=project_for(request, key), run_id=run_id)


@router.get(RUNS, response=list[LevelingRunOut], summary="List leveling runs, newest first")
@paginate(PageNumberPagination)
def leveling_runs_list(request: HttpRequest, key: str):
    return leveling_run_list(user=request.user, project=project_for(request, key))


@router.post(
    RUNS,
    response={201: LevelingRunDetailOut},
    summary="Preview a leveling of the project's resources (managers)",
    description="Solves within `time_limit` seconds and stores the proposal: the packages "
    "that move, the finish before and after, overloads before and after. Nothing in the plan "
    "changes until the run is applied. A plan that cannot be leveled (a task needing more "
    "than a resource can give, a deadline leveling cannot meet) gets 422 naming the package "
    "and the resource.",
)
def leveling_runs_preview(request: HttpRequest, key: str, payload: PreviewIn):
    project = project_for(request, key)
    run = leveling_preview(actor=request.user, project=project, time_limit=payload.time_limit)
    return 201, leveling_run_get(user=request.user, project=project, run_id=run.pk)


@router.get(ONE, response=LevelingRunDetailOut, summary="Get a leveling run with its moves")
def leveling_runs_get(request: HttpRequest, key: str, run_id: int):
    return _run(request, key, run_id)


@router.post(
    ONE + "/apply",
    response=LevelingRunDetailOut,
    summary="Apply a previewed leveling and reschedule (managers)",
    description="Its start-no-earlier-than holds replace the earlier ones. A run that is not a "
    "preview, or whose plan changed since the preview, gets 409: preview again.",
)
def leveling_runs_apply(request: HttpRequest, key: str, run_id: int):
    leveling_apply(actor=request.user, run=_run(request, key, run_id))
    return _run(request, key, run_id)


@router.post(
    ONE + "/undo",
    response=LevelingRunDetailOut,
    summary="Undo the latest applied leveling and reschedule (managers)",
    description="The holds before it come back. Only the latest applied run can be undone; "
    "any other gets 409.",
)
def leveling_runs_undo(request: HttpRequest, key: str, run_id: int):
    leveling_undo(actor=request.user, run=_run(request, key, run_id))
    return _run(request, key, run_id)


@router.post(
    ONE + "/discard",
    response=LevelingRunDetailOut,
    summary="Throw a leveling preview away (managers)",
    description="Only a preview can be discarded; any other run gets 409.",
)
def leveling_runs_discard(request: HttpRequest, key: str, run_id: int):
    leveling_discard(actor=request.user, run=_run(request, key, run_id))
    return _run(request, key, run_id)
