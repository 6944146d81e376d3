"""API: plan and execute — work packages, links, calendar, baselines, checkpoints, blockers,
the escalation path, and the computed schedule, forecast and burn-down.

Durations, lags and float are working minutes on the project calendar throughout.
"""

from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.projects.models import Project
from golive.projects.selectors import project_get_for_user
from golive.work.models import (
    Baseline,
    Blocker,
    Checkpoint,
    CheckpointAction,
    Dependency,
    EscalationLevel,
    ProjectCalendar,
    WorkPackage,
)
from golive.work.selectors import (
    FORECAST_MAX_ITERATIONS,
    Variance,
    baseline_compare,
    baseline_get,
    baseline_list,
    blocker_age,
    blocker_get,
    blocker_list,
    burndown,
    calendar_get,
    checkpoint_action_get,
    checkpoint_get,
    checkpoint_list,
    dependency_get,
    dependency_list,
    escalation_path,
    plan_forecast,
    plan_schedule,
    work_package_get,
    work_package_list,
)
from golive.work.services import (
    baseline_save,
    blocker_raise,
    blocker_resolve,
    calendar_update,
    checkpoint_action_done,
    checkpoint_record,
    dependency_create,
    dependency_delete,
    dependency_update,
    escalation_path_set,
    work_package_create,
    work_package_delete,
    work_package_update,
)

router = Router(tags=["plan"])

MINUTES = "Working minutes on the project calendar."
PROJECT = "/projects/{key}"


def _project(request: HttpRequest, key: str) -> Project:
    return project_get_for_user(user=request.user, key=key)


# Work packages ---------------------------------------------------------------------------------


class WorkPackageOut(Schema):
    id: int
    wbs: str
    name: str
    description: str
    parent: int | None
    position: int
    owner: str
    contributors: list[str]
    milestone: bool
    duration: int = Field(description=MINUTES)
    optimistic: int | None = Field(description=MINUTES)
    most_likely: int | None = Field(description=MINUTES)
    pessimistic: int | None = Field(description=MINUTES)
    status: str
    percent_complete: int
    actual_start: datetime | None
    actual_finish: datetime | None
    remaining: int | None = Field(description=MINUTES)
    constraint_kind: str
    constraint_date: datetime | None
    early_start: datetime | None
    early_finish: datetime | None
    late_start: datetime | None
    late_finish: datetime | None
    total_float: int | None = Field(description=MINUTES)
    free_float: int | None = Field(description=MINUTES)
    critical: bool
    version: int

    @staticmethod
    def resolve_parent(obj: WorkPackage) -> int | None:
        return obj.parent_id

    @staticmethod
    def resolve_owner(obj: WorkPackage) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_contributors(obj: WorkPackage) -> list[str]:
        return sorted(u.username for u in obj.contributors.all())


class WorkPackageCreateIn(Schema):
    name: str
    owner: str = Field(description="Username of the accountable owner (a project member).")
    description: str = ""
    parent: int | None = None
    position: int | None = None
    contributors: list[str] = []
    milestone: bool = False
    duration: int = Field(0, ge=0, description=MINUTES)
    optimistic: int | None = Field(None, ge=0, description=MINUTES)
    most_likely: int | None = Field(
        None, ge=0, description=MINUTES + " With all three points, duration = PERT mean."
    )
    pessimistic: int | None = Field(None, ge=0, description=MINUTES)
    status: Literal["not_started", "in_progress", "done"] = "not_started"
    percent_complete: int = Field(0, ge=0, le=100)
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    remaining: int | None = Field(None, ge=0, description=MINUTES)
    constraint_kind: Literal["", "snet", "fnlt", "mso"] = ""
    constraint_date: datetime | None = None


class WorkPackagePatchIn(Schema):
    version: int
    name: str | None = None
    owner: str | None = None
    description: str | None = None
    parent: int | None = None
    position: int | None = None
    contributors: list[str] | None = None
    milestone: bool | None = None
    duration: int | None = Field(None, ge=0, description=MINUTES)
    optimistic: int | None = Field(None, ge=0, description=MINUTES)
    most_likely: int | None = Field(None, ge=0, description=MINUTES)
    pessimistic: int | None = Field(None, ge=0, description=MINUTES)
    status: Literal["not_started", "in_progress", "done"] | None = None
    percent_complete: int | None = Field(None, ge=0, le=100)
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    remaining: int | None = Field(None, ge=0, description=MINUTES)
    constraint_kind: Literal["", "snet", "fnlt", "mso"] | None = None
    constraint_date: datetime | None = None


class WorkPackageFilters(Schema):
    status: Literal["not_started", "in_progress", "done"] | None = None
    owner: str | None = Field(None, description="Username of the owner.")
    critical: bool | None = None
    q: str | None = Field(None, description="Text in the name or description, or a WBS prefix.")
    parent: int | None = Field(None, description="Only the children of this package.")
    top_level: bool = Field(False, description="Only packages without a parent.")


def _package(request: HttpRequest, key: str, package_id: int) -> WorkPackage:
    return work_package_get(
        user=request.user, project=_project(request, key), package_id=package_id
    )


@router.get(
    PROJECT + "/work-packages",
    response=list[WorkPackageOut],
    summary="List work packages in outline order",
    description="Durations, estimates and float are " + MINUTES.lower(),
)
@paginate(PageNumberPagination)
def work_packages_list(request: HttpRequest, key: str, filters: Query[WorkPackageFilters]):
    project = _project(request, key)
    return work_package_list(user=request.user, project=project, **filters.dict())


@router.post(
    PROJECT + "/work-packages",
    response={201: WorkPackageOut},
    summary="Add a work package and reschedule",
    description="Durations are " + MINUTES.lower() + " Refused with 422 when the owner is not a "
    "member or the plan becomes impossible.",
)
def work_packages_create(request: HttpRequest, key: str, payload: WorkPackageCreateIn):
    project = _project(request, key)
    fields = payload.dict()
    name, owner = fields.pop("name"), fields.pop("owner")
    if fields["position"] is None:
        del fields["position"]
    wp = work_package_create(actor=request.user, project=project, name=name, owner=owner, **fields)
    return 201, work_package_get(user=request.user, project=project, package_id=wp.pk)


@router.get(PROJECT + "/work-packages/{package_id}", response=WorkPackageOut, summary="Get one")
def work_packages_get(request: HttpRequest, key: str, package_id: int):
    return _package(request, key, package_id)


@router.patch(
    PROJECT + "/work-packages/{package_id}",
    response=WorkPackageOut,
    summary="Change a work package and reschedule",
    description="Send the `version` you read; a stale one gets 409 with the current state. A "
    "change that closes a cycle or breaks a constraint gets 422 naming the packages.",
)
def work_packages_update(
    request: HttpRequest, key: str, package_id: int, payload: WorkPackagePatchIn
):
    wp = _package(request, key, package_id)
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    work_package_update(actor=request.user, package=wp, version=version, **fields)
    return _package(request, key, package_id)


@router.delete(
    PROJECT + "/work-packages/{package_id}",
    response={204: None},
    summary="Delete a work package with its sub-packages and links (managers)",
)
def work_packages_delete(
    request: HttpRequest, key: str, package_id: int, version: int | None = None
):
    work_package_delete(
        actor=request.user, package=_package(request, key, package_id), version=version
    )
    return 204, None


# Dependencies ----------------------------------------------------------------------------------


class DependencyOut(Schema):
    id: int
    predecessor: int
    predecessor_wbs: str
    successor: int
    successor_wbs: str
    type: str
    lag: int = Field(description=MINUTES + " Negative is a lead.")
    version: int

    @staticmethod
    def resolve_predecessor(obj: Dependency) -> int:
        return obj.predecessor_id

    @staticmethod
    def resolve_successor(obj: Dependency) -> int:
        return obj.successor_id

    @staticmethod
    def resolve_predecessor_wbs(obj: Dependency) -> str:
        return obj.predecessor.wbs

    @staticmethod
    def resolve_successor_wbs(obj: Dependency) -> str:
        return obj.successor.wbs


class DependencyCreateIn(Schema):
    predecessor: int = Field(description="Work package id.")
    successor: int = Field(description="Work package id.")
    type: Literal["FS", "SS", "FF", "SF"] = "FS"
    lag: int = Field(0, description=MINUTES + " Negative is a lead.")


class DependencyPatchIn(Schema):
    version: int
    type: Literal["FS", "SS", "FF", "SF"] | None = None
    lag: int | None = Field(None, description=MINUTES)


def _link(request: HttpRequest, key: str, dependency_id: int) -> Dependency:
    project = _project(request, key)
    return dependency_get(user=request.user, project=project, dependency_id=dependency_id)


@router.get(PROJECT + "/dependencies", response=list[DependencyOut], summary="List links")
@paginate(PageNumberPagination)
def dependencies_list(request: HttpRequest, key: str):
    return dependency_list(user=request.user, project=_project(request, key))


@router.post(
    PROJECT + "/dependencies",
    response={201: DependencyOut},
    summary="Link two packages and reschedule",
    description="A link that closes a cycle is refused with 422 naming the packages in it.",
)
def dependencies_create(request: HttpRequest, key: str, payload: DependencyCreateIn):
    project = _project(request, key)
    link = dependency_create(actor=request.user, project=project, **payload.dict())
    return 201, dependency_get(user=request.user, project=project, dependency_id=link.pk)


@router.patch(
    PROJECT + "/dependencies/{dependency_id}",
    response=DependencyOut,
    summary="Change a link's type or lag and reschedule",
)
def dependencies_update(
    request: HttpRequest, key: str, dependency_id: int, payload: DependencyPatchIn
):
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    link = _link(request, key, dependency_id)
    dependency_update(actor=request.user, link=link, version=version, **fields)
    return _link(request, key, dependency_id)


@router.delete(
    PROJECT + "/dependencies/{dependency_id}",
    response={204: None},
    summary="Remove a link and reschedule",
    description="Pass `?version=` to refuse the delete (409) when the link changed meanwhile.",
)
def dependencies_delete(
    request: HttpRequest, key: str, dependency_id: int, version: int | None = None
):
    link = _link(request, key, dependency_id)
    dependency_delete(actor=request.user, link=link, version=version)
    return 204, None


# Calendar --------------------------------------------------------------------------------------


class CalendarExceptionSchema(Schema):
    date: date
    name: str = ""
    periods: list[list[str]] = Field(
        [], description='Working periods that day, e.g. [["08:00","12:00"]]; empty = holiday.'
    )


class CalendarOut(Schema):
    time_zone: str
    schedule_start: date
    week: dict[str, list[list[str]]] = Field(
        description='Working periods per weekday (0 = Monday): {"0": [["08:00","12:00"], ...]}.'
    )
    exceptions: list[CalendarExceptionSchema]
    version: int

    @staticmethod
    def build(calendar: ProjectCalendar) -> "CalendarOut":
        exceptions = list(calendar.exceptions.all()) if calendar.pk else []
        return CalendarOut(
            time_zone=calendar.project.time_zone,
            schedule_start=calendar.schedule_start,
            week=calendar.week,
            exceptions=[
                CalendarExceptionSchema(date=e.date, name=e.name, periods=e.periods)
                for e in exceptions
            ],
            version=calendar.version,
        )


class CalendarPutIn(Schema):
    version: int
    schedule_start: date | None = None
    week: dict[str, list[list[str]]] | None = None
    exceptions: list[CalendarExceptionSchema] | None = None


@router.get(PROJECT + "/calendar", response=CalendarOut, summary="Get the project calendar")
def calendar_read(request: HttpRequest, key: str):
    return CalendarOut.build(calendar_get(user=request.user, project=_project(request, key)))


@router.put(
    PROJECT + "/calendar",
    response=CalendarOut,
    summary="Change working hours, schedule start or exception dates, and reschedule (managers)",
    description="Fields left out stay as they are; `exceptions`, when sent, replaces the list.",
)
def calendar_write(request: HttpRequest, key: str, payload: CalendarPutIn):
    project = _project(request, key)
    fields = payload.dict(exclude_unset=True)
    calendar_update(actor=request.user, project=project, **fields)
    return CalendarOut.build(calendar_get(user=request.user, project=project))


# Baselines -------------------------------------------------------------------------------------


class BaselineOut(Schema):
    id: int
    name: str
    finish: datetime | None
    created_by: str
    created_at: datetime

    @staticmethod
    def resolve_created_by(obj: Baseline) -> str:
        return obj.created_by.username


class BaselineEntryOut(Schema):
    work_package: int | None
    name: str
    start: datetime | None
    finish: datetime | None
    duration: int = Field(description=MINUTES)

    @staticmethod
    def resolve_work_package(obj) -> int | None:
        return obj.work_package_id


class BaselineDetailOut(BaselineOut):
    entries: list[BaselineEntryOut]

    @staticmethod
    def resolve_entries(obj: Baseline) -> list[Any]:
        return list(obj.entries.all())


class BaselineCreateIn(Schema):
    name: str


class VarianceOut(Schema):
    minutes: int | None = Field(description=MINUTES + " Positive = later than the baseline.")
    days: int | None = Field(description="Calendar days in the project's time zone.")


class PackageVarianceOut(Schema):
    work_package: int | None
    wbs: str
    name: str
    status: str = Field(description="changed (in both), added (new since), removed (deleted).")
    baseline_start: datetime | None
    baseline_finish: datetime | None
    baseline_duration: int | None
    start: datetime | None
    finish: datetime | None
    duration: int | None
    start_variance: VarianceOut
    finish_variance: VarianceOut
    duration_variance: int | None = Field(description=MINUTES)


class BaselineRefOut(Schema):
    id: int
    name: str


class ComparisonOut(Schema):
    baseline: BaselineRefOut
    baseline_finish: datetime | None
    finish: datetime | None
    finish_variance: VarianceOut
    packages: list[PackageVarianceOut]


def _variance_out(v: Variance) -> VarianceOut:
    return VarianceOut(minutes=v.minutes, days=v.days)


def _baseline(request: HttpRequest, key: str, baseline_id: int) -> Baseline:
    project = _project(request, key)
    return baseline_get(user=request.user, project=project, baseline_id=baseline_id)


@router.get(PROJECT + "/baselines", response=list[BaselineOut], summary="List baselines")
@paginate(PageNumberPagination)
def baselines_list(request: HttpRequest, key: str):
    return baseline_list(user=request.user, project=_project(request, key))


@router.post(
    PROJECT + "/baselines",
    response={201: BaselineOut},
    summary="Save the current schedule as a named baseline (managers)",
)
def baselines_create(request: HttpRequest, key: str, payload: BaselineCreateIn):
    project = _project(request, key)
    baseline = baseline_save(actor=request.user, project=project, name=payload.name)
    return 201, baseline


@router.get(
    PROJECT + "/baselines/{baseline_id}",
    response=BaselineDetailOut,
    summary="Get a baseline with its entries",
)
def baselines_get(request: HttpRequest, key: str, baseline_id: int):
    return _baseline(request, key, baseline_id)


@router.get(
    PROJECT + "/baselines/{baseline_id}/compare",
    response=ComparisonOut,
    summary="Compare the current plan with a baseline",
    description="Start, finish and duration variance per package and the project finish "
    "variance, in working minutes and in calendar days. Positive = later or longer.",
)
def baselines_compare(request: HttpRequest, key: str, baseline_id: int):
    project = _project(request, key)
    baseline = baseline_get(user=request.user, project=project, baseline_id=baseline_id)
    result = baseline_compare(user=request.user, project=project, baseline=baseline)
    return ComparisonOut(
        baseline=BaselineRefOut(id=baseline.pk, name=baseline.name),
        baseline_finish=result.baseline_finish,
        finish=result.finish,
        finish_variance=_variance_out(result.finish_variance),
        packages=[
            PackageVarianceOut(
                work_package=row.work_package_id,
                wbs=row.wbs,
                name=row.name,
                status=row.status,
                baseline_start=row.baseline_start,
                baseline_finish=row.baseline_finish,
                baseline_duration=row.baseline_duration,
                start=row.start,
                finish=row.finish,
                duration=row.duration,
                start_variance=_variance_out(row.start_variance),
                finish_variance=_variance_out(row.finish_variance),
                duration_variance=row.duration_variance,
            )
            for row in result.packages
        ],
    )


# Checkpoints -----------------------------------------------------------------------------------


class ActionOut(Schema):
    id: int
    description: str
    owner: str
    due_date: date
    done_at: datetime | None

    @staticmethod
    def resolve_owner(obj: CheckpointAction) -> str:
        return obj.owner.username


class CheckpointOut(Schema):
    id: int
    held_on: date
    title: str
    attendees: list[str]
    decisions: str
    created_by: str
    actions: list[ActionOut]
    version: int

    @staticmethod
    def resolve_attendees(obj: Checkpoint) -> list[str]:
        return sorted(u.username for u in obj.attendees.all())

    @staticmethod
    def resolve_created_by(obj: Checkpoint) -> str:
        return obj.created_by.username

    @staticmethod
    def resolve_actions(obj: Checkpoint) -> list[Any]:
        return list(obj.actions.all())


class ActionIn(Schema):
    description: str
    owner: str = Field(description="Username of a project member.")
    due_date: date


class CheckpointCreateIn(Schema):
    held_on: date
    title: str
    attendees: list[str] = []
    decisions: str = ""
    actions: list[ActionIn] = []


class ActionDoneIn(Schema):
    done: bool = Field(True, description="False reopens the action.")


@router.get(PROJECT + "/checkpoints", response=list[CheckpointOut], summary="List checkpoints")
@paginate(PageNumberPagination)
def checkpoints_list(request: HttpRequest, key: str):
    return checkpoint_list(user=request.user, project=_project(request, key))


@router.post(
    PROJECT + "/checkpoints",
    response={201: CheckpointOut},
    summary="Record a status review with attendees, decisions and actions",
)
def checkpoints_create(request: HttpRequest, key: str, payload: CheckpointCreateIn):
    project = _project(request, key)
    data = payload.dict()
    checkpoint = checkpoint_record(actor=request.user, project=project, **data)
    return 201, checkpoint_get(user=request.user, project=project, checkpoint_id=checkpoint.pk)


@router.get(
    PROJECT + "/checkpoints/{checkpoint_id}", response=CheckpointOut, summary="Get a checkpoint"
)
def checkpoints_get(request: HttpRequest, key: str, checkpoint_id: int):
    project = _project(request, key)
    return checkpoint_get(user=request.user, project=project, checkpoint_id=checkpoint_id)


@router.post(
    PROJECT + "/checkpoints/{checkpoint_id}/actions/{action_id}/done",
    response=ActionOut,
    summary="Mark a checkpoint action done (or reopen it)",
)
def checkpoint_actions_done(
    request: HttpRequest, key: str, checkpoint_id: int, action_id: int, payload: ActionDoneIn
):
    project = _project(request, key)
    action = checkpoint_action_get(
        user=request.user, project=project, checkpoint_id=checkpoint_id, action_id=action_id
    )
    action = checkpoint_action_done(actor=request.user, action=action, done=payload.done)
    return action


# Blockers and the escalation path --------------------------------------------------------------


class BlockerOut(Schema):
    id: int
    work_package: int
    work_package_wbs: str
    work_package_name: str
    reason: str
    raised_by: str
    raised_at: datetime
    age_hours: float = Field(description="How long it has been (or was) open.")
    level: int = Field(description="Escalation level; 0 = not escalated yet.")
    escalated_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str

    @staticmethod
    def resolve_work_package(obj: Blocker) -> int:
        return obj.work_package_id

    @staticmethod
    def resolve_work_package_wbs(obj: Blocker) -> str:
        return obj.work_package.wbs

    @staticmethod
    def resolve_work_package_name(obj: Blocker) -> str:
        return obj.work_package.name

    @staticmethod
    def resolve_raised_by(obj: Blocker) -> str:
        return obj.raised_by.username

    @staticmethod
    def resolve_resolved_by(obj: Blocker) -> str | None:
        return obj.resolved_by.username if obj.resolved_by else None

    @staticmethod
    def resolve_age_hours(obj: Blocker) -> float:
        return round(blocker_age(obj) / timedelta(hours=1), 2)


class BlockerFilters(Schema):
    state: Literal["open", "all"] = "open"


class BlockerRaiseIn(Schema):
    reason: str


class BlockerResolveIn(Schema):
    resolution: str


class LevelOut(Schema):
    level: int
    owner: str
    max_age_hours: int = Field(description="Escalate to the next level after this many hours.")

    @staticmethod
    def resolve_owner(obj: EscalationLevel) -> str:
        return obj.owner.username


class EscalationPathOut(Schema):
    levels: list[LevelOut]


class LevelIn(Schema):
    owner: str = Field(description="Username of a project member.")
    max_age_hours: int = Field(ge=1)


class EscalationPathIn(Schema):
    levels: list[LevelIn] = Field(description="Level 1 first.")


@router.get(
    PROJECT + "/blockers",
    response=list[BlockerOut],
    summary="List blockers (open ones by default), newest first",
)
@paginate(PageNumberPagination)
def blockers_list(request: HttpRequest, key: str, filters: Query[BlockerFilters]):
    project = _project(request, key)
    return blocker_list(user=request.user, project=project, open_only=filters.state == "open")


@router.post(
    PROJECT + "/work-packages/{package_id}/blockers",
    response={201: BlockerOut},
    summary="Flag a work package as blocked",
    description="The blocker escalates along the project's escalation path while it stays open.",
)
def blockers_raise(request: HttpRequest, key: str, package_id: int, payload: BlockerRaiseIn):
    project = _project(request, key)
    wp = work_package_get(user=request.user, project=project, package_id=package_id)
    blocker = blocker_raise(actor=request.user, package=wp, reason=payload.reason)
    return 201, blocker_get(user=request.user, project=project, blocker_id=blocker.pk)


@router.post(
    PROJECT + "/blockers/{blocker_id}/resolve",
    response=BlockerOut,
    summary="Resolve a blocker",
    description="A blocker already resolved gets 409.",
)
def blockers_resolve(request: HttpRequest, key: str, blocker_id: int, payload: BlockerResolveIn):
    project = _project(request, key)
    blocker = blocker_get(user=request.user, project=project, blocker_id=blocker_id)
    blocker_resolve(actor=request.user, blocker=blocker, resolution=payload.resolution)
    return blocker_get(user=request.user, project=project, blocker_id=blocker_id)


@router.get(
    PROJECT + "/escalation-path", response=EscalationPathOut, summary="Get the escalation path"
)
def escalation_path_get(request: HttpRequest, key: str):
    return EscalationPathOut(
        levels=escalation_path(user=request.user, project=_project(request, key))
    )


@router.put(
    PROJECT + "/escalation-path",
    response=EscalationPathOut,
    summary="Replace the escalation path (managers)",
    description="Each level has an owner (a project member; anyone else gets 422) and a "
    "maximum age in hours.",
)
def escalation_path_put(request: HttpRequest, key: str, payload: EscalationPathIn):
    project = _project(request, key)
    escalation_path_set(
        actor=request.user, project=project, levels=[lvl.dict() for lvl in payload.levels]
    )
    return EscalationPathOut(levels=escalation_path(user=request.user, project=project))


# Schedule, forecast, burn-down -----------------------------------------------------------------


class ScheduledPackageOut(Schema):
    id: int
    wbs: str
    name: str
    milestone: bool
    early_start: datetime
    early_finish: datetime
    late_start: datetime
    late_finish: datetime
    total_float: int = Field(description=MINUTES)
    free_float: int = Field(description=MINUTES)
    critical: bool


class PackageRefOut(Schema):
    id: int
    wbs: str
    name: str


class ScheduleOut(Schema):
    start: datetime | None
    finish: datetime | None = Field(description="The project finish (latest early finish).")
    critical_path: list[PackageRefOut] = Field(description="From the first package to the finish.")
    count: int
    page: int
    page_size: int
    items: list[ScheduledPackageOut]


class PageIn(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(100, ge=1, le=1000)


def _ref(wp: WorkPackage) -> PackageRefOut:
    return PackageRefOut(id=wp.pk, wbs=wp.wbs, name=wp.name)


@router.get(
    PROJECT + "/schedule",
    response=ScheduleOut,
    summary="The computed schedule: early/late dates, float and critical flag per package",
    description="Computed now from the stored plan. Float is in " + MINUTES.lower() + " The "
    "packages are paginated in outline order (`page`, `page_size` up to 1,000).",
)
def schedule_get(request: HttpRequest, key: str, paging: Query[PageIn]):
    plan = plan_schedule(user=request.user, project=_project(request, key))
    first = (paging.page - 1) * paging.page_size
    rows = plan.packages[first : first + paging.page_size]
    return ScheduleOut(
        start=plan.start,
        finish=plan.finish,
        critical_path=[_ref(wp) for wp in plan.critical_path],
        count=len(plan.packages),
        page=paging.page,
        page_size=paging.page_size,
        items=[
            ScheduledPackageOut(
                id=row.package.pk,
                wbs=row.package.wbs,
                name=row.package.name,
                milestone=row.package.milestone,
                early_start=row.early_start,
                early_finish=row.early_finish,
                late_start=row.late_start,
                late_finish=row.late_finish,
                total_float=row.total_float,
                free_float=row.free_float,
                critical=row.critical,
            )
            for row in rows
        ],
    )


class PercentilesOut(Schema):
    p50: datetime
    p80: datetime
    p95: datetime


class MilestoneForecastOut(PackageRefOut):
    finish: PercentilesOut


class CriticalityOut(PackageRefOut):
    criticality: float = Field(description="Share of the runs in which the package was critical.")


class ForecastOut(Schema):
    iterations: int
    seed: int | None
    finish: PercentilesOut | None = Field(description="The project finish: P50/P80/P95.")
    milestones: list[MilestoneForecastOut]
    criticality: list[CriticalityOut] = Field(description="Most critical first.")


class ForecastIn(Schema):
    iterations: int = Field(1000, ge=1, le=FORECAST_MAX_ITERATIONS)
    seed: int | None = Field(None, ge=0, description="The same seed gives the same forecast.")


@router.get(
    PROJECT + "/forecast",
    response=ForecastOut,
    summary="Monte Carlo forecast: P50/P80/P95 finish of the project and its milestones",
    description="Packages with optimistic, most likely and pessimistic estimates ("
    + MINUTES
    + ") draw their duration from a PERT distribution; the others keep their duration. Also "
    "gives each package's criticality index.",
)
def forecast_get(request: HttpRequest, key: str, params: Query[ForecastIn]):
    result = plan_forecast(
        user=request.user,
        project=_project(request, key),
        iterations=params.iterations,
        seed=params.seed,
    )

    def pct(p) -> PercentilesOut:
        return PercentilesOut(p50=p.p50, p80=p.p80, p95=p.p95)

    return ForecastOut(
        iterations=result.iterations,
        seed=result.seed,
        finish=pct(result.finish) if result.finish else None,
        milestones=[
            MilestoneForecastOut(id=wp.pk, wbs=wp.wbs, name=wp.name, finish=pct(p))
            for wp, p in result.milestones
        ],
        criticality=[
            CriticalityOut(id=wp.pk, wbs=wp.wbs, name=wp.name, criticality=round(value, 4))
            for wp, value in result.criticality
        ],
    )


class BurndownPointOut(Schema):
    day: date
    planned: int = Field(description="Planned remaining work at the day's end, " + MINUTES)
    actual: int | None = Field(description="Remaining work at the day's end; none after today.")


class BurndownOut(Schema):
    source: str
    total: int = Field(description=MINUTES)
    points: list[BurndownPointOut]


class BurndownIn(Schema):
    baseline: int | None = Field(None, description="Plan line from this baseline's dates.")


@router.get(
    PROJECT + "/burndown",
    response=BurndownOut,
    summary="Remaining work per working day, planned against actual",
    description="Leaf packages' estimated work burns evenly over their planned (baseline or "
    "current) dates; the actual line uses actual starts, finishes and remaining work.",
)
def burndown_get(request: HttpRequest, key: str, params: Query[BurndownIn]):
    project = _project(request, key)
    baseline = (
        baseline_get(user=request.user, project=project, baseline_id=params.baseline)
        if params.baseline is not None
        else None
    )
    result = burndown(user=request.user, project=project, baseline=baseline)
    return BurndownOut(
        source=result.source,
        total=result.total,
        points=[
            BurndownPointOut(day=p.day, planned=p.planned, actual=p.actual) for p in result.points
        ],
    )
