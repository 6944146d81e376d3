"""Writes on the plan. Every change reschedules the project in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from golive.accounts.models import User
from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import version_check
from golive.projects.models import Project
from golive.projects.services import member_resolve
from golive.work.access import work_check
from golive.work.models import (
    Baseline,
    BaselineEntry,
    Blocker,
    Checkpoint,
    CheckpointAction,
    Dependency,
    DependencyType,
    EscalationLevel,
    ProjectCalendar,
    Status,
    WorkPackage,
)
from golive.work.planning import (
    PlanResult,
    packages_store,
    plan_apply,
    plan_compute,
    plan_snapshot_store,
)

logger = logging.getLogger(__name__)

PACKAGE_FIELDS = [
    "name",
    "description",
    "owner",
    "parent",
    "position",
    "milestone",
    "duration",
    "optimistic",
    "most_likely",
    "pessimistic",
    "status",
    "percent_complete",
    "actual_start",
    "actual_finish",
    "remaining",
    "constraint_kind",
    "constraint_date",
]
EDITABLE = set(PACKAGE_FIELDS) | {"contributors"}


def project_calendar(*, project: Project) -> ProjectCalendar:
    """Return the project's calendar, creating the standard one (Mon-Fri, 8 h) the first time."""
    calendar, _ = ProjectCalendar.objects.get_or_create(
        project=project,
        defaults={
            "schedule_start": timezone.localdate(
                project.created_at, timezone=ZoneInfo(project.time_zone)
            )
        },
    )
    return calendar


def work_reschedule(*, project: Project) -> PlanResult:
    """Recompute the project's schedule and store what changed (call inside the write)."""
    project_calendar(project=project)
    packages = list(WorkPackage.objects.filter(project=project).order_by("position", "id"))
    _renumber(packages)
    _roll_up_progress(packages)
    result = plan_compute(project, packages)
    plan_apply(result)
    plan_snapshot_store(project, result)
    return result


def _renumber(packages: list[WorkPackage]) -> None:
    """Give every package its outline number (1, 1.1, 1.2, 2 …) from parent and position."""
    children: dict[int | None, list[WorkPackage]] = {}
    for wp in packages:
        children.setdefault(wp.parent_id, []).append(wp)
    changed = []
    stack: list[tuple[int | None, str]] = [(None, "")]
    while stack:
        parent_id, prefix = stack.pop()
        for number, wp in enumerate(children.get(parent_id, []), start=1):
            code = f"{prefix}{number}"
            if wp.wbs != code:
                wp.wbs = code
                changed.append(wp)
            stack.append((wp.pk, f"{code}."))
    if changed:
        packages_store(changed, ["wbs"])


def _roll_up_progress(packages: list[WorkPackage]) -> None:
    """Give each summary the status and duration-weighted % complete of its leaves."""
    children: dict[int, list[WorkPackage]] = {}
    for wp in packages:
        if wp.parent_id is not None:
            children.setdefault(wp.parent_id, []).append(wp)

    def leaves(wp: WorkPackage) -> list[WorkPackage]:
        kids = children.get(wp.pk)
        return [leaf for kid in kids for leaf in leaves(kid)] if kids else [wp]

    changed = []
    for wp in packages:
        if wp.pk not in children:
            continue
        below = leaves(wp)
        if all(leaf.status == Status.DONE for leaf in below):
            status = Status.DONE
        elif any(leaf.status != Status.NOT_STARTED for leaf in below):
            status = Status.IN_PROGRESS
        else:
            status = Status.NOT_STARTED
        weight = sum(max(leaf.duration, 1) for leaf in below)
        percent = round(
            sum(max(leaf.duration, 1) * leaf.percent_complete for leaf in below) / weight
        )
        if (wp.status, wp.percent_complete) != (status, percent):
            wp.status, wp.percent_complete = status, percent
            changed.append(wp)
    if changed:
        packages_store(changed, ["status", "percent_complete"])


def _estimate(fields: dict[str, Any]) -> None:
    """Derive the duration from a three-point estimate (PERT mean) when one is given."""
    points = [fields.get(k) for k in ("optimistic", "most_likely", "pessimistic")]
    if all(p is None for p in points):
        return
    if any(p is None for p in points):
        raise ValidationError(
            {"most_likely": "A three-point estimate needs optimistic, most likely and pessimistic."}
        )
    o, m, p = (int(x) for x in points)  # type: ignore[arg-type]
    if not 0 <= o <= m <= p:
        raise ValidationError(
            {"most_likely": f"Need optimistic ≤ most likely ≤ pessimistic; got {o}, {m}, {p}."}
        )
    fields["duration"] = round((o + 4 * m + p) / 6)


def _parent(project: Project, value: Any) -> WorkPackage | None:
    if value in (None, ""):
        return None
    parent: WorkPackage | None = (
        value
        if isinstance(value, WorkPackage)
        else WorkPackage.objects.filter(project=project, pk=value).first()
    )
    if parent is None or parent.project_id != project.pk:
        raise ValidationError({"parent": f"{project.key} has no work package {value}."})
    return parent


def work_package_create(
    *, actor: User, project: Project, name: str, owner: User | str, **fields: Any
) -> WorkPackage:
    """Add a work package (under `parent`, last among its siblings) and reschedule."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    with transaction.atomic():
        work_check(user=actor, project=project, action="edit")
        contributors = fields.pop("contributors", [])
        _estimate(fields)
        parent = _parent(project, fields.pop("parent", None))
        siblings = WorkPackage.objects.filter(project=project, parent=parent)
        position = fields.pop("position", None)
        if position is None:
            position = (siblings.aggregate(m=Max("position"))["m"] or 0) + 1
        wp = WorkPackage(
            project=project,
            name=(name or "").strip(),
            owner=_owner(project, owner),
            parent=parent,
            position=position,
            **fields,
        )
        _package_rules(wp, set(fields))
        wp.full_clean()
        wp.save()
        wp.contributors.set(_members(project, contributors))
        audit_record(
            actor=actor,
            action="work_package.create",
            obj=wp,
            project=project,
            changes=audit_diff({}, audit_snapshot(wp, PACKAGE_FIELDS)),
        )
        work_reschedule(project=project)
        wp.refresh_from_db()
    return wp


def _owner(project: Project, value: User | str) -> User:
    owner = member_resolve(project, value, field="owner")
    if owner is None:
        raise ValidationError({"owner": "Every work package has one accountable owner."})
    return owner


def _members(project: Project, values: list[User | str]) -> list[User]:
    return [u for u in (member_resolve(project, v, field="contributors") for v in values) if u]


def _package_rules(wp: WorkPackage, changed: set[str]) -> None:
    """Keep estimates, constraint, status and actual dates consistent.

    When the caller sets the status, the actual dates follow it (back to not started clears
    them); when the caller records actual dates, the status follows them.
    """
    if wp.milestone:
        wp.duration = 0
        wp.optimistic = wp.most_likely = wp.pessimistic = None
    if wp.constraint_kind and not wp.constraint_date:
        raise ValidationError({"constraint_date": "A constraint needs its date."})
    if "status" not in changed and {"actual_start", "actual_finish"} & changed:
        if wp.actual_finish:
            wp.status = Status.DONE
        elif wp.actual_start:
            wp.status = Status.IN_PROGRESS
        else:
            wp.status = Status.NOT_STARTED
    if wp.actual_finish and not wp.actual_start:
        raise ValidationError({"actual_start": "Record when the package started first."})
    if wp.actual_start and wp.actual_finish and wp.actual_finish < wp.actual_start:
        raise ValidationError({"actual_finish": "The finish is before the start."})
    now = timezone.now()
    if wp.status == Status.DONE:
        wp.percent_complete = 100
        wp.remaining = 0
        wp.actual_start = wp.actual_start or now
        wp.actual_finish = wp.actual_finish or max(now, wp.actual_start)
    elif wp.status == Status.IN_PROGRESS:
        wp.actual_start = wp.actual_start or now
        wp.actual_finish = None
        if "status" in changed and wp.percent_complete == 100:
            wp.percent_complete, wp.remaining = 0, None  # reopened: the work is not done
    else:
        wp.actual_start = wp.actual_finish = None
        wp.remaining = None
        wp.percent_complete = 0


def work_package_update(
    *, actor: User, package: WorkPackage, version: int | None = None, **fields: Any
) -> WorkPackage:
    """Change a work package and reschedule; a cycle or impossible date refuses the change."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    with transaction.atomic():
        wp = WorkPackage.objects.select_for_update().select_related("project").get(pk=package.pk)
        project = wp.project
        work_check(user=actor, project=project, action="edit")
        version_check(wp, version, what=f"Work package {wp.wbs} {wp.name}")
        before = audit_snapshot(wp, PACKAGE_FIELDS)
        if {"optimistic", "most_likely", "pessimistic"} & set(fields):
            merged = {
                k: fields.get(k, getattr(wp, k))
                for k in ("optimistic", "most_likely", "pessimistic")
            }
            _estimate(merged)
            fields.update(merged)
        if "owner" in fields:
            wp.owner = _owner(project, fields.pop("owner"))
        if "parent" in fields:
            parent = _parent(project, fields.pop("parent"))
            node = parent
            while node is not None:
                if node.pk == wp.pk:
                    raise ValidationError({"parent": "A package cannot sit under itself."})
                node = node.parent
            wp.parent = parent
        contributors = fields.pop("contributors", None)
        changed_names = set(fields)
        for name, value in fields.items():
            setattr(wp, name, value.strip() if isinstance(value, str) and name == "name" else value)
        _package_rules(wp, changed_names)
        wp.full_clean()
        changes = audit_diff(before, audit_snapshot(wp, PACKAGE_FIELDS))
        if contributors is not None:
            old = sorted(u.username for u in wp.contributors.all())
            users = _members(project, contributors)
            new = sorted(u.username for u in users)
            if old != new:
                wp.contributors.set(users)
                changes["contributors"] = [old, new]
        if changes:
            wp.version += 1
            wp.save()
            audit_record(
                actor=actor, action="work_package.update", obj=wp, project=project, changes=changes
            )
            work_reschedule(project=project)
            wp.refresh_from_db()
    return wp


def work_package_delete(*, actor: User, package: WorkPackage, version: int | None = None) -> None:
    """Delete a work package with its sub-packages and links (managers), then reschedule."""
    with transaction.atomic():
        wp = WorkPackage.objects.select_for_update().select_related("project").get(pk=package.pk)
        project = wp.project
        work_check(user=actor, project=project, action="delete")
        version_check(wp, version, what=f"Work package {wp.wbs} {wp.name}")
        audit_record(
            actor=actor,
            action="work_package.delete",
            obj=wp,
            project=project,
            changes=audit_diff(audit_snapshot(wp, PACKAGE_FIELDS), {}),
        )
        wp.delete()
        work_reschedule(project=project)


def dependency_create(
    *,
    actor: User,
    project: Project,
    predecessor: int | WorkPackage,
    successor: int | WorkPackage,
    type: str = "FS",
    lag: int = 0,
) -> Dependency:
    """Link two packages; a link that closes a cycle is refused naming the packages."""
    with transaction.atomic():
        work_check(user=actor, project=project, action="edit")
        pred = _package_of(project, predecessor, "predecessor")
        succ = _package_of(project, successor, "successor")
        if type not in DependencyType.values:
            raise ValidationError({"type": f"{type!r} is not a link type; use FS, SS, FF or SF."})
        link = Dependency(
            project=project, predecessor=pred, successor=succ, type=type, lag=int(lag)
        )
        link.full_clean()
        link.save()
        audit_record(
            actor=actor,
            action="dependency.create",
            obj=link,
            project=project,
            changes={"link": [None, f"{pred.wbs} {type}{lag:+d} {succ.wbs}"]},
        )
        work_reschedule(project=project)
    return link


def _package_of(project: Project, value: int | WorkPackage, field: str) -> WorkPackage:
    pk = value.pk if isinstance(value, WorkPackage) else value
    wp = WorkPackage.objects.filter(project=project, pk=pk).first()
    if wp is None:
        raise ValidationError({field: f"{project.key} has no work package {pk}."})
    return wp


def dependency_update(
    *, actor: User, link: Dependency, version: int | None = None, **fields: Any
) -> Dependency:
    """Change a link's type or lag and reschedule."""
    unknown = set(fields) - {"type", "lag"}
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    with transaction.atomic():
        link = Dependency.objects.select_for_update().select_related("project").get(pk=link.pk)
        work_check(user=actor, project=link.project, action="edit")
        version_check(link, version, what="This dependency")
        before = {"type": link.type, "lag": link.lag}
        if "type" in fields and fields["type"] not in DependencyType.values:
            raise ValidationError({"type": f"{fields['type']!r} is not a link type."})
        link.type = fields.get("type", link.type)
        link.lag = int(fields.get("lag", link.lag))
        changes = audit_diff(before, {"type": link.type, "lag": link.lag})
        if changes:
            link.version += 1
            link.save()
            audit_record(
                actor=actor,
                action="dependency.update",
                obj=link,
                project=link.project,
                changes=changes,
            )
            work_reschedule(project=link.project)
    return link


def dependency_delete(*, actor: User, link: Dependency, version: int | None = None) -> None:
    """Remove a link and reschedule."""
    with transaction.atomic():
        link = Dependency.objects.select_for_update().select_related("project").get(pk=link.pk)
        project = link.project
        work_check(user=actor, project=project, action="edit")
        version_check(link, version, what="This dependency")
        audit_record(
            actor=actor,
            action="dependency.delete",
            obj=link,
            project=project,
            changes={"link": [str(link), None]},
        )
        link.delete()
        work_reschedule(project=project)


def calendar_update(
    *,
    actor: User,
    project: Project,
    version: int | None = None,
    week: dict[str, list[list[str]]] | None = None,
    schedule_start: date | None = None,
    exceptions: list[dict[str, Any]] | None = None,
) -> ProjectCalendar:
    """Change working hours, the schedule start or the exception dates, and reschedule."""
    from golive.work.models import CalendarException

    with transaction.atomic():
        work_check(user=actor, project=project, action="calendar")
        calendar = ProjectCalendar.objects.select_for_update().get(
            pk=project_calendar(project=project).pk
        )
        version_check(calendar, version, what="The project calendar")
        changes: dict[str, list[Any]] = {}
        if week is not None and week != calendar.week:
            changes["week"] = [calendar.week, week]
            calendar.week = week
        if schedule_start is not None and schedule_start != calendar.schedule_start:
            changes["schedule_start"] = [
                calendar.schedule_start.isoformat(),
                schedule_start.isoformat(),
            ]
            calendar.schedule_start = schedule_start
        if exceptions is not None:
            old = [
                {"date": e.date.isoformat(), "name": e.name, "periods": e.periods}
                for e in calendar.exceptions.all()
            ]
            calendar.exceptions.all().delete()
            for row in exceptions:
                CalendarException.objects.create(
                    calendar=calendar,
                    date=row["date"],
                    name=row.get("name", ""),
                    periods=row.get("periods", []),
                )
            new = [
                {"date": str(r["date"]), "name": r.get("name", ""), "periods": r.get("periods", [])}
                for r in exceptions
            ]
            if old != new:
                changes["exceptions"] = [old, new]
        if changes:
            calendar.version += 1
            calendar.save()
            audit_record(
                actor=actor,
                action="calendar.update",
                obj=calendar,
                project=project,
                changes=changes,
            )
            work_reschedule(project=project)
    return calendar


def baseline_save(*, actor: User, project: Project, name: str) -> Baseline:
    """Save the current schedule as a named baseline."""
    with transaction.atomic():
        work_check(user=actor, project=project, action="baseline")
        result = work_reschedule(project=project)
        baseline = Baseline(
            project=project, name=(name or "").strip(), created_by=actor, finish=result.finish()
        )
        baseline.full_clean()
        baseline.save()
        BaselineEntry.objects.bulk_create(
            [
                BaselineEntry(
                    baseline=baseline,
                    work_package=wp,
                    name=wp.name,
                    start=wp.early_start,
                    finish=wp.early_finish,
                    duration=_span(result, wp),
                )
                for wp in WorkPackage.objects.filter(project=project)
            ],
            batch_size=1000,
        )
        audit_record(
            actor=actor,
            action="baseline.save",
            obj=baseline,
            project=project,
            changes={"name": [None, baseline.name]},
        )
    return baseline


def _span(result: PlanResult, wp: WorkPackage) -> int:
    """Return a package's scheduled working minutes (a summary's span across its children)."""
    row = result.schedule.tasks.get(str(wp.pk))
    return row.early_finish - row.early_start if row is not None else wp.duration


def checkpoint_record(
    *,
    actor: User,
    project: Project,
    held_on: date,
    title: str,
    attendees: list[User | str] = (),  # type: ignore[assignment]
    decisions: str = "",
    actions: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> Checkpoint:
    """Record a status review with its attendees, decisions and actions (owner, due date)."""
    with transaction.atomic():
        work_check(user=actor, project=project, action="checkpoint")
        checkpoint = Checkpoint(
            project=project,
            held_on=held_on,
            title=(title or "").strip(),
            decisions=decisions or "",
            created_by=actor,
        )
        checkpoint.full_clean()
        checkpoint.save()
        checkpoint.attendees.set(_members(project, list(attendees)))
        for index, row in enumerate(actions):
            action = CheckpointAction(
                checkpoint=checkpoint,
                description=(row.get("description") or "").strip(),
                owner=_owner_for(project, row.get("owner"), f"actions.{index}.owner"),
                due_date=row.get("due_date"),  # type: ignore[misc]  # full_clean names a missing date
            )
            try:
                action.full_clean(exclude=["checkpoint"])
            except ValidationError as exc:
                raise ValidationError(
                    {f"actions.{index}.{k}": v for k, v in exc.message_dict.items()}
                ) from None
            action.save()
        audit_record(
            actor=actor,
            action="checkpoint.record",
            obj=checkpoint,
            project=project,
            changes={"title": [None, checkpoint.title], "actions": [None, len(actions)]},
        )
    return checkpoint


def _owner_for(project: Project, value: Any, field: str) -> User:
    owner = member_resolve(project, value, field=field)
    if owner is None:
        raise ValidationError({field: "Every action has an owner."})
    return owner


def checkpoint_action_done(
    *, actor: User, action: CheckpointAction, done: bool = True
) -> CheckpointAction:
    """Mark a checkpoint action done (or not done again)."""
    with transaction.atomic():
        action = (
            CheckpointAction.objects.select_for_update()
            .select_related("checkpoint__project")
            .get(pk=action.pk)
        )
        project = action.checkpoint.project
        work_check(user=actor, project=project, action="checkpoint")
        old = action.done_at
        action.done_at = timezone.now() if done else None
        action.save(update_fields=["done_at"])
        audit_record(
            actor=actor,
            action="checkpoint_action.done" if done else "checkpoint_action.reopen",
            obj=action,
            project=project,
            changes={
                "done_at": [
                    old.isoformat() if old else None,
                    action.done_at.isoformat() if action.done_at else None,
                ]
            },
        )
    return action


def blocker_raise(*, actor: User, package: WorkPackage, reason: str) -> Blocker:
    """Flag a work package as blocked, with the reason."""
    with transaction.atomic():
        project = package.project
        work_check(user=actor, project=project, action="raise_blocker")
        if not (reason or "").strip():
            raise ValidationError({"reason": "Say what blocks the work."})
        blocker = Blocker(
            work_package=package, reason=reason.strip(), raised_by=actor, raised_at=timezone.now()
        )
        blocker.full_clean()
        blocker.save()
        # The worker escalates it on time; scheduled once the blocker is committed.
        transaction.on_commit(partial(_schedule_escalation, blocker))
        audit_record(
            actor=actor,
            action="blocker.raise",
            obj=blocker,
            project=project,
            changes={
                "work_package": [None, f"{package.wbs} {package.name}"],
                "reason": [None, blocker.reason],
            },
        )
    return blocker


def blocker_resolve(*, actor: User, blocker: Blocker, resolution: str) -> Blocker:
    """Close a blocker with what resolved it."""
    with transaction.atomic():
        blocker = (
            Blocker.objects.select_for_update()
            .select_related("work_package__project")
            .get(pk=blocker.pk)
        )
        project = blocker.work_package.project
        work_check(user=actor, project=project, action="resolve_blocker")
        if not (resolution or "").strip():
            raise ValidationError({"resolution": "Say how the blocker was resolved."})
        if blocker.resolved_at is not None:
            from golive.errors import Conflict

            raise Conflict("This blocker is already resolved.")
        blocker.resolved_at = timezone.now()
        blocker.resolved_by = actor
        blocker.resolution = resolution.strip()
        blocker.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        audit_record(
            actor=actor,
            action="blocker.resolve",
            obj=blocker,
            project=project,
            changes={"resolution": [None, blocker.resolution]},
        )
    return blocker


def escalation_path_set(
    *, actor: User, project: Project, levels: list[dict[str, Any]]
) -> list[EscalationLevel]:
    """Replace the project's escalation path: level 1, 2, … each with an owner and a max age."""
    with transaction.atomic():
        work_check(user=actor, project=project, action="escalation_path")
        old = [
            {"owner": lvl.owner.username, "max_age_hours": lvl.max_age_hours}
            for lvl in project.escalation_levels.select_related("owner")
        ]
        project.escalation_levels.all().delete()
        created = []
        for index, row in enumerate(levels):
            hours = row.get("max_age_hours")
            if not isinstance(hours, int) or hours < 1:
                raise ValidationError(
                    {f"levels.{index}.max_age_hours": "A whole number of hours, at least 1."}
                )
            created.append(
                EscalationLevel.objects.create(
                    project=project,
                    level=index + 1,
                    owner=_owner_for(project, row.get("owner"), f"levels.{index}.owner"),
                    max_age_hours=hours,
                )
            )
        new = [{"owner": lvl.owner.username, "max_age_hours": lvl.max_age_hours} for lvl in created]
        transaction.on_commit(partial(_schedule_project_escalations, project))
        audit_record(
            actor=actor,
            action="escalation_path.set",
            obj=project,
            project=project,
            changes={"escalation_path": [old, new]},
        )
    return created


def _schedule_escalation(blocker: Blocker) -> None:
    from golive.work.tasks import schedule_next_escalation  # tasks imports this module

    schedule_next_escalation(blocker)


def _schedule_project_escalations(project: Project) -> None:
    from golive.work.tasks import schedule_project_escalations  # tasks imports this module

    schedule_project_escalations(project)


@dataclass(frozen=True)
class EscalationMailFailure:
    """An escalation that was committed but whose e-mail to the new owner could not be sent."""

    blocker: Blocker
    owner: User
    error: Exception


def blockers_escalate(
    *,
    now: datetime | None = None,
    on_mail_failure: Callable[[EscalationMailFailure], None] | None = None,
) -> list[Blocker]:
    """Escalate every open blocker older than its current level's age; e-mail the new owner.

    A blocker at level 0 goes to level 1 once older than level 1's age (counted from when it was
    raised); at level n it goes to n+1 once it has been at level n longer than level n's age.
    Each e-mail is sent once its escalation is committed. One that fails is logged and passed to
    `on_mail_failure`; the escalation stands and the other blockers still escalate.
    """
    now = now or timezone.now()
    escalated = []
    open_blockers = list(
        Blocker.objects.filter(resolved_at__isnull=True)
        .select_related("work_package__project", "raised_by")
        .order_by("id")
    )
    paths: dict[int, dict[int, EscalationLevel]] = {}
    for level in EscalationLevel.objects.filter(
        project_id__in={b.work_package.project_id for b in open_blockers}
    ).select_related("owner"):
        paths.setdefault(level.project_id, {})[level.level] = level
    for blocker in open_blockers:
        project = blocker.work_package.project
        path = paths.get(project.pk, {})
        current = path.get(blocker.level)
        nxt = path.get(blocker.level + 1)
        if nxt is None:
            continue
        since = blocker.escalated_at or blocker.raised_at
        age_limit = (current or nxt).max_age_hours
        if now - since < timedelta(hours=age_limit):
            continue
        with transaction.atomic():
            locked = (
                Blocker.objects.select_for_update()
                .select_related("work_package__project", "raised_by")
                .get(pk=blocker.pk)
            )
            if locked.level != blocker.level or locked.resolved_at is not None:
                continue
            locked.level = nxt.level
            locked.escalated_at = now
            locked.save(update_fields=["level", "escalated_at"])
            audit_record(
                actor=None,
                action="blocker.escalate",
                obj=locked,
                project=project,
                changes={"level": [blocker.level, nxt.level], "owner": [None, nxt.owner.username]},
            )
            transaction.on_commit(
                partial(_escalation_mail, blocker.work_package, nxt, locked, on_mail_failure)
            )
            transaction.on_commit(partial(_schedule_escalation, locked))
        escalated.append(locked)
    return escalated


def _escalation_mail(
    wp: WorkPackage,
    level: EscalationLevel,
    blocker: Blocker,
    on_failure: Callable[[EscalationMailFailure], None] | None = None,
) -> None:
    project = wp.project
    url = f"{settings.GOLIVE_BASE_URL}/p/{project.key}/blockers/"
    try:
        send_mail(
            subject=(
                f"[{project.key}] Blocker escalated to you (level {level.level}): "
                f"{wp.wbs} {wp.name}"
            ),
            message=(
                f"{wp.wbs} {wp.name} has been blocked since "
                f"{blocker.raised_at:%Y-%m-%d %H:%M} UTC.\n\n"
                f"Reason: {blocker.reason}\nRaised by: {blocker.raised_by.username}\n\n"
                f"It is now yours at escalation level {level.level}. {url}\n"
            ),
            from_email=None,
            recipient_list=[level.owner.email] if level.owner.email else [],
            fail_silently=False,
        )
    # Any backend error (SMTP, DNS, a full spool): the escalation is committed, the others wait.
    except Exception as exc:
        logger.exception(
            "Blocker %s (%s %s %s) escalated to level %s, but the e-mail to %s failed",
            blocker.pk,
            project.key,
            wp.wbs,
            wp.name,
            level.level,
            level.owner.username,
        )
        if on_failure is not None:
            on_failure(EscalationMailFailure(blocker, level.owner, exc))
