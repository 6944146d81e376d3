"""Writes on defects: report, edit, the workflow, and the go-live flag."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from golive.accounts.models import User
from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import version_check
from golive.projects.models import Project
from golive.projects.services import member_resolve
from golive.quality.access import quality_check
from golive.quality.models import (
    Defect,
    DefectStatus,
    Outcome,
    Requirement,
    Resolution,
    Severity,
    TestCase,
    TestResult,
)
from golive.work.models import WorkPackage

DEFECT_FIELDS = [
    "title",
    "description",
    "severity",
    "priority",
    "status",
    "resolution",
    "found_in",
    "assignee",
    "blocks_go_live",
    "block_reason",
    "retest_result",
    "fixed_at",
    "closed_at",
]

# action -> (statuses it applies to, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "triage": ((DefectStatus.NEW,), DefectStatus.TRIAGED),
    "start": ((DefectStatus.TRIAGED, DefectStatus.REOPENED), DefectStatus.IN_PROGRESS),
    "fix": ((DefectStatus.IN_PROGRESS,), DefectStatus.FIXED),
    "retest": ((DefectStatus.FIXED,), DefectStatus.RETEST),
    "close": ((DefectStatus.RETEST, DefectStatus.NEW, DefectStatus.TRIAGED), DefectStatus.CLOSED),
    "reopen": ((DefectStatus.RETEST, DefectStatus.CLOSED), DefectStatus.REOPENED),
}
REJECTING = (Resolution.REJECTED, Resolution.DUPLICATE)
NUMBER_ATTEMPTS = 5


def allowed_actions(status: str) -> list[str]:
    """Return the workflow actions open to a defect in `status`, in workflow order."""
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def severity_parse(value: str | int, *, field: str = "severity") -> int:
    """Return the severity meant by a name ("high") or value (30), or a field error."""
    if isinstance(value, bool):
        raise ValidationError({field: f"{value!r} is not a severity."})
    if isinstance(value, int):
        if value in Severity.values:
            return value
    elif isinstance(value, str):
        name = value.strip().upper()
        if name in Severity.names:
            return int(Severity[name])
        if name.isdigit() and int(name) in Severity.values:
            return int(name)
    names = ", ".join(s.lower() for s in Severity.names)
    raise ValidationError({field: f"{value!r} is not a severity; use one of {names}."})


def _priority_parse(value: Any) -> int:
    try:
        priority = int(value)
    except (TypeError, ValueError):
        priority = 0
    if isinstance(value, bool) or not 1 <= priority <= 5:
        raise ValidationError({"priority": f"{value!r} is not a priority; use 1 (highest) to 5."})
    return priority


def _cases_resolve(project: Project, values: Iterable[TestCase | int | str]) -> list[TestCase]:
    ids = [v.pk for v in values if isinstance(v, TestCase)]
    raw = [v for v in values if not isinstance(v, TestCase)]
    numbers = [v for v in raw if isinstance(v, int) or (isinstance(v, str) and v.isdigit())]
    keys = [v for v in raw if isinstance(v, str) and not v.isdigit()]
    found = list(
        TestCase.objects.filter(project=project, pk__in=ids + [int(n) for n in numbers])
    ) + list(TestCase.objects.filter(project=project, key__in=keys))
    known = {c.pk for c in found} | {c.key for c in found}
    missing = [str(v) for v in ids + [int(n) for n in numbers] + keys if v not in known]
    if missing:
        raise ValidationError({"cases": f"{project.key} has no test case {', '.join(missing)}."})
    return list({c.pk: c for c in found}.values())


def _requirements_resolve(
    project: Project, values: Iterable[Requirement | int | str]
) -> list[Requirement]:
    ids = [v.pk for v in values if isinstance(v, Requirement)]
    ids += [v for v in values if isinstance(v, int)]
    refs = [v for v in values if isinstance(v, str)]
    found = list(Requirement.objects.filter(project=project, pk__in=ids)) + list(
        Requirement.objects.filter(project=project, ref__in=refs)
    )
    known = {r.pk for r in found} | {r.ref for r in found}
    missing = [str(v) for v in ids + refs if v not in known]
    if missing:
        raise ValidationError(
            {"requirements": f"{project.key} has no requirement {', '.join(missing)}."}
        )
    return list({r.pk: r for r in found}.values())


def _work_packages_resolve(
    project: Project, values: Iterable[WorkPackage | int | str]
) -> list[WorkPackage]:
    ids = [v.pk for v in values if isinstance(v, WorkPackage)]
    ids += [v for v in values if isinstance(v, int)]
    codes = [v.strip() for v in values if isinstance(v, str)]
    found = list(WorkPackage.objects.filter(project=project, pk__in=ids)) + list(
        WorkPackage.objects.filter(project=project, wbs__in=codes)
    )
    known = {w.pk for w in found} | {w.wbs for w in found}
    missing = [str(v) for v in ids + codes if v not in known]
    if missing:
        raise ValidationError(
            {"work_packages": f"{project.key} has no work package {', '.join(missing)}."}
        )
    return list({w.pk: w for w in found}.values())


def _result_resolve(project: Project, value: TestResult | int | None) -> TestResult | None:
    if value is None:
        return None
    pk = value.pk if isinstance(value, TestResult) else value
    result = TestResult.objects.select_related("case").filter(run__project=project, pk=pk).first()
    if result is None:
        raise ValidationError({"found_in": f"{project.key} has no test result {pk}."})
    return result


def _links_snapshot(defect: Defect) -> dict[str, Any]:
    return {
        "cases": sorted(defect.cases.values_list("key", flat=True)),
        "requirements": sorted(defect.requirements.values_list("ref", flat=True)),
        "work_packages": sorted(defect.work_packages.values_list("wbs", flat=True)),
    }


def _number_next(project: Project) -> int:
    highest = Defect.objects.filter(project=project).aggregate(n=Max("number"))["n"]
    return int(highest or 0) + 1


def defect_report(
    *,
    actor: User,
    project: Project,
    title: str,
    description: str = "",
    severity: str | int = "medium",
    priority: int = 3,
    found_in: TestResult | int | None = None,
    cases: Iterable[TestCase | int | str] = (),
    requirements: Iterable[Requirement | int | str] = (),
    work_packages: Iterable[WorkPackage | int | str] = (),
    assignee: User | str | None = None,
) -> Defect:
    """Report a defect as DEF-<next number>; a critical one blocks go-live by default."""
    with transaction.atomic():
        # Lock the project row: reports in one project take numbers one after another.
        project = Project.objects.select_for_update().get(pk=project.pk)
        quality_check(user=actor, project=project, action="report_defect")
        level = severity_parse(severity)
        result = _result_resolve(project, found_in)
        case_list = _cases_resolve(project, list(cases))
        if result is not None and result.case_id not in {c.pk for c in case_list}:
            case_list.append(result.case)
        req_list = _requirements_resolve(project, list(requirements))
        wp_list = _work_packages_resolve(project, list(work_packages))
        defect = Defect(
            project=project,
            title=(title or "").strip(),
            description=description or "",
            severity=level,
            priority=_priority_parse(priority),
            found_in=result,
            reporter=actor,
            assignee=member_resolve(project, assignee, field="assignee"),
            blocks_go_live=level == Severity.CRITICAL,
            created_at=timezone.now(),
        )
        for attempt in range(NUMBER_ATTEMPTS):
            defect.number = _number_next(project)
            defect.full_clean(validate_constraints=False)
            try:
                with transaction.atomic():
                    defect.save()
                break
            except IntegrityError:
                # Another writer took the number (a database without row locks); take the next.
                defect.pk = None
                if attempt == NUMBER_ATTEMPTS - 1:
                    raise
        defect.cases.set(case_list)
        defect.requirements.set(req_list)
        defect.work_packages.set(wp_list)
        changes = audit_diff({}, audit_snapshot(defect, DEFECT_FIELDS))
        changes.update(audit_diff({}, _links_snapshot(defect)))
        changes["number"] = [None, defect.number]
        audit_record(
            actor=actor, action="defect.report", obj=defect, project=project, changes=changes
        )
    return defect


def _locked(defect: Defect) -> Defect:
    return Defect.objects.select_for_update().select_related("project").get(pk=defect.pk)


def _save(actor: User, defect: Defect, before: dict[str, Any], action: str, **extra: Any) -> None:
    defect.full_clean()
    changes = audit_diff(before, audit_snapshot(defect, DEFECT_FIELDS))
    for name, value in extra.items():
        if value:
            changes[name] = [None, value]
    defect.version += 1
    defect.save()
    audit_record(actor=actor, action=action, obj=defect, project=defect.project, changes=changes)


UPDATABLE = {
    "title",
    "description",
    "severity",
    "priority",
    "assignee",
    "cases",
    "requirements",
    "work_packages",
}


def defect_update(
    *, actor: User, defect: Defect, version: int | None = None, **fields: Any
) -> Defect:
    """Edit a defect's text, severity, priority, assignee or links.

    The go-live flag follows a severity change (critical blocks) unless a manager has set it
    with a reason.
    """
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    with transaction.atomic():
        defect = _locked(defect)
        project = defect.project
        quality_check(user=actor, project=project, action="work_defect")
        version_check(defect, version, what=f"{defect.ref}")
        before = audit_snapshot(defect, DEFECT_FIELDS)
        links_before = _links_snapshot(defect)
        if "title" in fields:
            defect.title = (fields["title"] or "").strip()
        if "description" in fields:
            defect.description = fields["description"] or ""
        if "severity" in fields:
            defect.severity = severity_parse(fields["severity"])
            if not defect.block_reason:
                defect.blocks_go_live = defect.severity == Severity.CRITICAL
        if "priority" in fields:
            defect.priority = _priority_parse(fields["priority"])
        if "assignee" in fields:
            defect.assignee = member_resolve(project, fields["assignee"], field="assignee")
        if "cases" in fields:
            defect.cases.set(_cases_resolve(project, list(fields["cases"] or ())))
        if "requirements" in fields:
            defect.requirements.set(
                _requirements_resolve(project, list(fields["requirements"] or ()))
            )
        if "work_packages" in fields:
            defect.work_packages.set(
                _work_packages_resolve(project, list(fields["work_packages"] or ()))
            )
        defect.full_clean()
        changes = audit_diff(before, audit_snapshot(defect, DEFECT_FIELDS))
        changes.update(audit_diff(links_before, _links_snapshot(defect)))
        if changes:
            defect.version += 1
            defect.save()
            audit_record(
                actor=actor, action="defect.update", obj=defect, project=project, changes=changes
            )
    return defect


def _refuse(defect: Defect, action: str) -> ValidationError:
    allowed = allowed_actions(defect.status)
    label = DefectStatus(defect.status).label.lower()
    allowed_text = ", ".join(allowed) if allowed else "none"
    return ValidationError(
        {
            "action": (
                f"{defect.ref} is {label} ({defect.status}); {action!r} is not possible from "
                f"there. Allowed: {allowed_text}."
            )
        }
    )


def _retest_result(defect: Defect) -> TestResult:
    case_ids = set(defect.cases.values_list("pk", flat=True))
    if defect.found_in_id is not None:
        found = TestResult.objects.filter(pk=defect.found_in_id).values_list("case_id", flat=True)
        case_ids.update(found)
    if not case_ids:
        raise ValidationError(
            {
                "action": (
                    f"{defect.ref} is linked to no test case, so no retest can show it fixed; "
                    "link the case that retests it, record a passing result, then close it."
                )
            }
        )
    result = (
        TestResult.objects.filter(
            run__project_id=defect.project_id,
            case_id__in=case_ids,
            outcome=Outcome.PASSED,
            executed_at__gt=defect.fixed_at,
        )
        .order_by("-executed_at", "-id")
        .first()
    )
    if result is None:
        keys = sorted(TestCase.objects.filter(pk__in=case_ids).values_list("key", flat=True))
        fixed = defect.fixed_at.isoformat(timespec="minutes") if defect.fixed_at else "the fix"
        raise ValidationError(
            {
                "action": (
                    f"{defect.ref} cannot be closed: none of its test cases ({', '.join(keys)}) "
                    f"has passed since it was fixed ({fixed}). Record a passing retest first."
                )
            }
        )
    return result


def defect_transition(
    *,
    actor: User,
    defect: Defect,
    action: str,
    version: int | None = None,
    reason: str = "",
    resolution: str = "",
    assignee: User | str | None = None,
) -> Defect:
    """Move a defect through its workflow: triage, start, fix, retest, close or reopen.

    Closing from retest needs a passing result of one of the defect's cases executed after the
    fix (stored as `retest_result`); closing a new or triaged defect rejects it or marks it a
    duplicate, with a reason. Reopening needs a reason.
    """
    if action not in TRANSITIONS:
        raise ValidationError(
            {"action": f"{action!r} is not an action; use one of {', '.join(TRANSITIONS)}."}
        )
    reason = (reason or "").strip()
    resolution = (resolution or "").strip()
    with transaction.atomic():
        defect = _locked(defect)
        project = defect.project
        quality_check(user=actor, project=project, action="work_defect")
        version_check(defect, version, what=defect.ref)
        sources, target = TRANSITIONS[action]
        if defect.status not in sources:
            raise _refuse(defect, action)
        before = audit_snapshot(defect, DEFECT_FIELDS)
        now = timezone.now()
        if assignee is not None and assignee != "":
            defect.assignee = member_resolve(project, assignee, field="assignee")
        if action == "fix":
            defect.fixed_at = now
        elif action == "close" and defect.status == DefectStatus.RETEST:
            if resolution and resolution != Resolution.FIXED:
                raise ValidationError(
                    {
                        "resolution": (
                            f"{defect.ref} has been fixed and retested; it closes as fixed. "
                            "Reopen it instead if the fix is wrong."
                        )
                    }
                )
            defect.retest_result = _retest_result(defect)
            defect.resolution = Resolution.FIXED
            defect.closed_at = now
        elif action == "close":
            if resolution not in REJECTING:
                raise ValidationError(
                    {
                        "resolution": (
                            f"{defect.ref} is {DefectStatus(defect.status).label.lower()} and has "
                            "not been fixed; close it as rejected or duplicate, or work it "
                            "through fix and retest."
                        )
                    }
                )
            if not reason:
                raise ValidationError(
                    {"reason": f"Say why {defect.ref} is closed as {resolution}."}
                )
            defect.resolution = resolution
            defect.closed_at = now
        elif action == "reopen":
            if not reason:
                raise ValidationError({"reason": f"Say why {defect.ref} is reopened."})
            defect.resolution = ""
            defect.closed_at = None
            defect.retest_result = None
        defect.status = target
        _save(actor, defect, before, f"defect.{action}", reason=reason)
    return defect


def defect_flag_set(
    *, actor: User, defect: Defect, blocks_go_live: bool, reason: str, version: int | None = None
) -> Defect:
    """Set whether a defect blocks go-live (managers, with a reason); severity no longer decides."""
    reason = (reason or "").strip()
    with transaction.atomic():
        defect = _locked(defect)
        quality_check(user=actor, project=defect.project, action="flag_defect")
        version_check(defect, version, what=defect.ref)
        if not reason:
            raise ValidationError(
                {
                    "reason": f"Say why {defect.ref} should {'' if blocks_go_live else 'not '}block "
                    "go-live."
                }
            )
        before = audit_snapshot(defect, DEFECT_FIELDS)
        defect.blocks_go_live = bool(blocks_go_live)
        defect.block_reason = reason
        _save(actor, defect, before, "defect.flag")
    return defect
