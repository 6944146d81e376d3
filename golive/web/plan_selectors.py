"""Reads on the plan for the web pages, each behind `work_check`.

The work app has no selectors module of its own yet; these read the stored schedule (every write
reschedules, so the stored dates are current) and only call the engine where a page needs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from golive.errors import NotFound
from golive.projects.access import project_role
from golive.projects.models import Project
from golive.scheduling.calendar import WorkCalendar
from golive.work.access import WORK_RULES, work_check
from golive.work.models import (
    Baseline,
    Blocker,
    Checkpoint,
    CheckpointAction,
    Dependency,
    EscalationLevel,
    ProjectCalendar,
    WorkPackage,
    default_week,
)
from golive.work.planning import calendar_build, plan_compute

STANDARD_DAY = 480
SORTS = {
    "wbs": None,
    "start": "early_start",
    "finish": "early_finish",
    "float": "total_float",
}
_DURATION_PART = re.compile(r"(-?\d+(?:[.,]\d+)?)\s*(d|h|m|min)?", re.IGNORECASE)


def work_permissions(*, user: Any, project: Project) -> dict[str, bool]:
    """Return, per plan action, whether `user` may do it; pages show only allowed actions."""
    role = project_role(user=user, project=project)
    return {action: role is not None and role >= need for action, need in WORK_RULES.items()}


# Working time as people read it -------------------------------------------------------------


def day_minutes(calendar: ProjectCalendar) -> int:
    """Return the working minutes of an average working day (480 for the standard 8 h week)."""
    total, days = 0, 0
    for periods in (calendar.week or {}).values():
        minutes = 0
        for start, end in periods:
            sh, sm = (int(x) for x in start.split(":"))
            eh, em = (int(x) for x in end.split(":"))
            minutes += (eh * 60 + em) - (sh * 60 + sm)
        if minutes > 0:
            total += minutes
            days += 1
    return round(total / days) if days else STANDARD_DAY


def work_time(minutes: int | None, per_day: int = STANDARD_DAY) -> str:
    """Return working minutes as days and hours: 480 → "1 d", 720 → "1 d 4 h", 90 → "1 h 30 min"."""
    if minutes is None:
        return "—"
    sign = "-" if minutes < 0 else ""
    minutes = abs(int(minutes))
    days, rest = divmod(minutes, per_day or STANDARD_DAY)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if mins:
        parts.append(f"{mins} min")
    return sign + (" ".join(parts) or "0 d")


def work_time_parse(text: str, per_day: int = STANDARD_DAY) -> int:
    """Return working minutes for "2d", "1d 4h", "3.5h", "90m" or a bare number of days."""
    text = (text or "").strip().lower()
    if not text:
        raise ValueError("empty")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-").strip()
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if text[position : match.start()].strip():
            raise ValueError(text)
        number = float(match.group(1).replace(",", "."))
        unit = (match.group(2) or "d").lower()
        total += number * {"d": per_day, "h": 60, "m": 1, "min": 1}[unit]
        position = match.end()
    if position == 0 or text[position:].strip():
        raise ValueError(text)
    return sign * round(total)


def link_label(link: Dependency, per_day: int) -> str:
    """Return a predecessor link as planners write it: 1.2FS, 1.3SS+2 d, 2FF-4 h."""
    lag = ""
    if link.lag:
        lag = ("+" if link.lag > 0 else "") + work_time(link.lag, per_day).replace(" ", "")
    return f"{link.predecessor.wbs}{link.type}{lag}"


# Calendar ------------------------------------------------------------------------------------


def calendar_get(*, user: Any, project: Project) -> ProjectCalendar:
    """Return the project's calendar, or the standard one it gets on its first plan change."""
    work_check(user=user, project=project, action="view")
    calendar = ProjectCalendar.objects.filter(project=project).first()
    if calendar is None:
        calendar = ProjectCalendar(
            project=project,
            week=default_week(),
            schedule_start=timezone.localdate(project.created_at, timezone=None),
        )
    return calendar


def calendar_exceptions(calendar: ProjectCalendar) -> list[Any]:
    return list(calendar.exceptions.all()) if calendar.pk else []


# The WBS table -------------------------------------------------------------------------------


@dataclass
class Outline:
    """Every package id of a project in outline order, with parents and which are summaries."""

    order: list[int]
    parent: dict[int, int | None]
    summaries: set[int] = field(default_factory=set)

    def hidden_under(self, collapsed: set[int]) -> set[int]:
        """Return the ids below a collapsed summary."""
        hidden: set[int] = set()
        for pk in self.order:
            parent = self.parent[pk]
            if parent is not None and (parent in collapsed or parent in hidden):
                hidden.add(pk)
        return hidden


def outline_get(project: Project) -> Outline:
    """Return the project's outline from one narrow query (ids and parents only)."""
    rows = list(
        WorkPackage.objects.filter(project=project)
        .order_by("position", "id")
        .values_list("id", "parent_id")
    )
    children: dict[int | None, list[int]] = {}
    for pk, parent in rows:
        children.setdefault(parent, []).append(pk)
    order: list[int] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        pk = stack.pop()
        order.append(pk)
        stack.extend(reversed(children.get(pk, [])))
    return Outline(
        order=order,
        parent=dict(rows),
        summaries={pk for pk in children if pk is not None},
    )


@dataclass
class PackageFilter:
    """What the WBS table shows: filters, sort order and collapsed summaries."""

    status: str = ""
    owner: str = ""
    critical: bool = False
    q: str = ""
    sort: str = "wbs"
    collapsed: set[int] = field(default_factory=set)

    @property
    def active(self) -> bool:
        return bool(self.status or self.owner or self.critical or self.q)


@dataclass
class PackagePage:
    rows: list[WorkPackage]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        end = self.offset + len(self.rows)
        return end if end < self.total else None


def _filtered(project: Project, flt: PackageFilter) -> QuerySet[WorkPackage]:
    packages = WorkPackage.objects.filter(project=project)
    if flt.status:
        packages = packages.filter(status=flt.status)
    if flt.owner:
        packages = packages.filter(owner__username=flt.owner)
    if flt.critical:
        packages = packages.filter(critical=True)
    if flt.q:
        packages = packages.filter(Q(name__icontains=flt.q) | Q(wbs__startswith=flt.q))
    return packages


def package_page(
    *, user: Any, project: Project, flt: PackageFilter, offset: int = 0, limit: int = 100
) -> PackagePage:
    """Return one page of the WBS table, each row with its level, predecessors and blockers."""
    work_check(user=user, project=project, action="view")
    outline = outline_get(project)
    packages = _filtered(project, flt)
    if SORTS.get(flt.sort) is None:
        hidden = outline.hidden_under(flt.collapsed)
        order = [pk for pk in outline.order if pk not in hidden]
        if flt.active:
            wanted = set(packages.values_list("id", flat=True))
            order = [pk for pk in order if pk in wanted]
        ids = order[offset : offset + limit]
        by_id = {wp.pk: wp for wp in packages.filter(pk__in=ids).select_related("owner")}
        rows = [by_id[pk] for pk in ids if pk in by_id]
        total = len(order)
    else:
        column = SORTS[flt.sort]
        rows = list(
            packages.select_related("owner").order_by(
                F(column).asc(nulls_last=True), "position", "id"
            )[offset : offset + limit]
        )
        total = packages.count()
    package_rows_annotate(rows, outline=outline)
    return PackagePage(rows=rows, total=total, offset=offset, limit=limit)


def package_rows_annotate(rows: list[WorkPackage], *, outline: Outline | None = None) -> None:
    """Give each row its level, summary flag, predecessor links and open blocker count."""
    ids = [wp.pk for wp in rows]
    links: dict[int, list[Dependency]] = {}
    for link in (
        Dependency.objects.filter(successor_id__in=ids)
        .select_related("predecessor")
        .order_by("predecessor__position", "id")
    ):
        links.setdefault(link.successor_id, []).append(link)
    blocked = dict(
        Blocker.objects.filter(work_package_id__in=ids, resolved_at__isnull=True)
        .values("work_package_id")
        .annotate(n=Count("id"))
        .values_list("work_package_id", "n")
    )
    if outline is None:
        summaries = set(
            WorkPackage.objects.filter(parent_id__in=ids).values_list("parent_id", flat=True)
        )
    else:
        summaries = outline.summaries
    for wp in rows:
        wp.level = wp.wbs.count(".") + 1 if wp.wbs else 1
        wp.indent = wp.level - 1
        wp.is_summary = wp.pk in summaries
        wp.predecessors = links.get(wp.pk, [])
        wp.open_blockers = blocked.get(wp.pk, 0)


def package_get(*, user: Any, project: Project, package_id: int) -> WorkPackage:
    """Return one work package of `project` with its row annotations."""
    work_check(user=user, project=project, action="view")
    wp = WorkPackage.objects.filter(project=project, pk=package_id).select_related("owner").first()
    if wp is None:
        raise NotFound(f"{project.key} has no work package {package_id}.")
    package_rows_annotate([wp])
    return wp


def package_by_wbs(*, user: Any, project: Project, wbs: str, field_name: str) -> WorkPackage:
    """Return the package with outline number `wbs`, or a ValidationError on `field_name`."""
    work_check(user=user, project=project, action="view")
    code = (wbs or "").strip()
    wp = WorkPackage.objects.filter(project=project, wbs=code).first() if code else None
    if wp is None:
        raise ValidationError({field_name: f"{project.key} has no work package “{code}”."})
    return wp


def dependency_get(*, user: Any, project: Project, link_id: int) -> Dependency:
    work_check(user=user, project=project, action="view")
    link = (
        Dependency.objects.filter(project=project, pk=link_id)
        .select_related("project", "successor")
        .first()
    )
    if link is None:
        raise NotFound(f"{project.key} has no dependency {link_id}.")
    return link


def summary_spans(rows: list[WorkPackage], cal: WorkCalendar) -> None:
    """Give summary rows their span in working minutes (their leaves' start to finish)."""
    for wp in rows:
        if wp.is_summary and wp.early_start and wp.early_finish:
            wp.span = cal.offset_of(wp.early_finish) - cal.offset_of(wp.early_start)
        else:
            wp.span = wp.duration


# The board -----------------------------------------------------------------------------------


def board_get(*, user: Any, project: Project, owner: str = "", per_column: int = 100) -> dict:
    """Return the leaf packages by status (at most `per_column` each, by finish) and counts."""
    work_check(user=user, project=project, action="view")
    leaves = WorkPackage.objects.filter(project=project, children__isnull=True)
    if owner:
        leaves = leaves.filter(owner__username=owner)
    counts = dict(leaves.values("status").annotate(n=Count("id")).values_list("status", "n"))
    columns = {}
    cards: list[WorkPackage] = []
    for status in ("not_started", "in_progress", "done"):
        column = list(
            leaves.filter(status=status)
            .select_related("owner")
            .order_by(F("early_finish").asc(nulls_last=True), "id")[:per_column]
        )
        columns[status] = column
        cards.extend(column)
    blocked = set(
        Blocker.objects.filter(
            work_package_id__in=[c.pk for c in cards], resolved_at__isnull=True
        ).values_list("work_package_id", flat=True)
    )
    for card in cards:
        card.is_blocked = card.pk in blocked
    return {"columns": columns, "counts": counts}


# Blockers ------------------------------------------------------------------------------------


def blocker_list(*, user: Any, project: Project, resolved: bool = False) -> list[Blocker]:
    """Return open (or recently resolved) blockers, each with its current owner and age."""
    work_check(user=user, project=project, action="view")
    blockers = Blocker.objects.filter(work_package__project=project).select_related(
        "work_package__owner", "raised_by", "resolved_by"
    )
    if resolved:
        blockers = blockers.filter(resolved_at__isnull=False).order_by("-resolved_at")[:20]
    else:
        blockers = blockers.filter(resolved_at__isnull=True).order_by("raised_at", "id")
    levels = {lvl.level: lvl for lvl in escalation_path(user=user, project=project)}
    now = timezone.now()
    rows = list(blockers)
    for blocker in rows:
        level = levels.get(blocker.level)
        blocker.current_owner = level.owner if level else blocker.work_package.owner
        blocker.age = (blocker.resolved_at or now) - blocker.raised_at
    return rows


def blocker_get(*, user: Any, project: Project, blocker_id: int) -> Blocker:
    work_check(user=user, project=project, action="view")
    blocker = Blocker.objects.filter(work_package__project=project, pk=blocker_id).first()
    if blocker is None:
        raise NotFound(f"{project.key} has no blocker {blocker_id}.")
    return blocker


def escalation_path(*, user: Any, project: Project) -> list[EscalationLevel]:
    work_check(user=user, project=project, action="view")
    return list(EscalationLevel.objects.filter(project=project).select_related("owner"))


def age_label(age: timedelta) -> str:
    """Return an age as "3 d 4 h", "5 h" or "12 min"."""
    minutes = int(age.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h"
    return f"{mins} min"


# Checkpoints ---------------------------------------------------------------------------------


def checkpoint_list(*, user: Any, project: Project, limit: int = 50) -> list[Checkpoint]:
    """Return the latest checkpoints with attendees and actions (newest first)."""
    work_check(user=user, project=project, action="view")
    return list(
        Checkpoint.objects.filter(project=project)
        .select_related("created_by")
        .prefetch_related("attendees", "actions__owner")[:limit]
    )


def checkpoint_action_get(*, user: Any, project: Project, action_id: int) -> CheckpointAction:
    work_check(user=user, project=project, action="view")
    action = (
        CheckpointAction.objects.filter(checkpoint__project=project, pk=action_id)
        .select_related("owner", "checkpoint")
        .first()
    )
    if action is None:
        raise NotFound(f"{project.key} has no checkpoint action {action_id}.")
    return action


# Baselines -----------------------------------------------------------------------------------


def baseline_list(*, user: Any, project: Project) -> list[Baseline]:
    work_check(user=user, project=project, action="view")
    return list(
        Baseline.objects.filter(project=project)
        .select_related("created_by")
        .annotate(n=Count("entries"))
    )


@dataclass
class VarianceRow:
    """One package in a baseline comparison; `status` is changed, same, added or removed."""

    wbs: str
    name: str
    status: str
    base_start: datetime | None = None
    base_finish: datetime | None = None
    base_duration: int | None = None
    start: datetime | None = None
    finish: datetime | None = None
    duration: int | None = None
    start_variance: int | None = None
    finish_variance: int | None = None
    duration_variance: int | None = None


@dataclass
class BaselineComparison:
    baseline: Baseline
    rows: list[VarianceRow]
    finish: datetime | None
    finish_variance: int | None
    changed: int


def baseline_compare(*, user: Any, project: Project, baseline_id: int) -> BaselineComparison:
    """Compare the current plan with a baseline: start/finish/duration variance per package.

    Variances are in working minutes on the project calendar (positive = later or longer).
    """
    work_check(user=user, project=project, action="view")
    baseline = Baseline.objects.filter(project=project, pk=baseline_id).first()
    if baseline is None:
        raise NotFound(f"{project.key} has no baseline {baseline_id}.")
    calendar = ProjectCalendar.objects.filter(project=project).first()
    cal = calendar_build(calendar) if calendar else None

    def offset(value: datetime | None) -> int | None:
        return cal.offset_of(value) if cal and value else None

    def diff(new: datetime | None, old: datetime | None) -> int | None:
        a, b = offset(new), offset(old)
        return a - b if a is not None and b is not None else None

    current = {
        wp.pk: wp
        for wp in WorkPackage.objects.filter(project=project).only(
            "id", "wbs", "name", "position", "early_start", "early_finish", "duration"
        )
    }
    order = {pk: i for i, pk in enumerate(outline_get(project).order)}
    rows = []
    seen = set()
    for entry in baseline.entries.all():
        wp = current.get(entry.work_package_id) if entry.work_package_id else None
        base = {
            "base_start": entry.start,
            "base_finish": entry.finish,
            "base_duration": entry.duration,
        }
        if wp is None:
            rows.append(VarianceRow(wbs="", name=entry.name, status="removed", **base))
            continue
        seen.add(wp.pk)
        sv, fv = diff(wp.early_start, entry.start), diff(wp.early_finish, entry.finish)
        dv = wp.duration - entry.duration
        rows.append(
            VarianceRow(
                wbs=wp.wbs,
                name=wp.name,
                status="changed" if (sv or fv or dv) else "same",
                start=wp.early_start,
                finish=wp.early_finish,
                duration=wp.duration,
                start_variance=sv,
                finish_variance=fv,
                duration_variance=dv,
                **base,
            )
        )
    for pk, wp in current.items():
        if pk not in seen:
            rows.append(
                VarianceRow(
                    wbs=wp.wbs,
                    name=wp.name,
                    status="added",
                    start=wp.early_start,
                    finish=wp.early_finish,
                    duration=wp.duration,
                )
            )
    by_wbs = {wp.wbs: order.get(pk, 0) for pk, wp in current.items()}
    rows.sort(key=lambda r: (r.status == "removed", by_wbs.get(r.wbs, 0)))
    finishes = [wp.early_finish for wp in current.values() if wp.early_finish]
    finish = max(finishes) if finishes else None
    return BaselineComparison(
        baseline=baseline,
        rows=rows,
        finish=finish,
        finish_variance=diff(finish, baseline.finish),
        changed=sum(1 for r in rows if r.status != "same"),
    )


# Dashboard and burn-down ---------------------------------------------------------------------


@dataclass
class PlanSummary:
    packages: int
    finish: datetime | None = None
    go_live_variance_days: int | None = None
    critical_path: list[WorkPackage] = field(default_factory=list)
    path_length: int = 0
    open_blockers: int = 0
    error: str = ""


def plan_summary(*, user: Any, project: Project, path_limit: int = 8) -> PlanSummary:
    """Return the schedule's finish against the planned go-live, the critical path, blockers."""
    work_check(user=user, project=project, action="view")
    count = WorkPackage.objects.filter(project=project).count()
    summary = PlanSummary(
        packages=count,
        open_blockers=Blocker.objects.filter(
            work_package__project=project, resolved_at__isnull=True
        ).count(),
    )
    if not count or not ProjectCalendar.objects.filter(project=project).exists():
        return summary
    try:
        plan = plan_compute(project)
    except ValidationError as exc:
        summary.error = " ".join(exc.messages)
        return summary
    summary.finish = plan.finish()
    path = [int(pk) for pk in plan.schedule.critical_path]
    summary.critical_path = [plan.packages[pk] for pk in path if pk in plan.packages]
    summary.path_length = len(summary.critical_path)
    summary.critical_path = summary.critical_path[:path_limit]
    if summary.finish and project.planned_go_live:
        finish_day = timezone.localtime(summary.finish, ZoneInfo(project.time_zone)).date()
        summary.go_live_variance_days = (finish_day - project.planned_go_live).days
    return summary


@dataclass
class BurndownPoint:
    when: date
    planned: float
    ideal: float


def burndown(*, user: Any, project: Project, points: int = 40) -> dict[str, Any]:
    """Return remaining planned work (leaf durations, in working days) over time vs ideal.

    The planned curve burns each package linearly between its scheduled start and finish; the
    ideal line runs straight from all the work at the schedule start to none at the planned
    go-live (or the planned finish without one). `actual` is today's remaining work by % done.
    """
    calendar = calendar_get(user=user, project=project)
    per_day = day_minutes(calendar)
    leaves = list(
        WorkPackage.objects.filter(project=project, children__isnull=True).values_list(
            "duration", "early_start", "early_finish", "percent_complete"
        )
    )
    total = sum(d for d, *_ in leaves)
    result: dict[str, Any] = {"total_days": total / per_day, "points": [], "actual": None}
    dated = [(d, s, f) for d, s, f, _ in leaves if s and f]
    if not total or not dated:
        return result
    zone = ZoneInfo(project.time_zone)
    start = datetime.combine(calendar.schedule_start, datetime.min.time(), tzinfo=zone)
    start = min(start, min(s for _, s, _ in dated))
    finish = max(f for _, _, f in dated)
    ideal_end = finish
    if project.planned_go_live:
        ideal_end = datetime.combine(
            project.planned_go_live, datetime.max.time(), tzinfo=zone
        ).replace(microsecond=0)
    end = max(finish, ideal_end)
    span = (end - start).total_seconds() or 1.0
    ideal_span = (ideal_end - start).total_seconds() or 1.0
    for i in range(points + 1):
        at = start + timedelta(seconds=span * i / points)
        remaining = 0.0
        for d, s, f in dated:
            if at <= s:
                remaining += d
            elif at < f:
                remaining += d * (f - at).total_seconds() / ((f - s).total_seconds() or 1.0)
        ideal = max(0.0, total * (1 - (at - start).total_seconds() / ideal_span))
        result["points"].append(BurndownPoint(at.date(), remaining / per_day, ideal / per_day))
    now = timezone.now()
    if start <= now <= end:
        left = sum(d * (100 - pc) / 100 for d, _, _, pc in leaves)
        result["actual"] = {"when": now, "days": left / per_day}
    result.update(start=start, end=end, finish=finish, ideal_end=ideal_end, per_day=per_day)
    return result
