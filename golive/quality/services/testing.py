"""Writes on requirements, test plans, test cases, test runs and manual results."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename, slugify

from golive.accounts.models import User
from golive.audit.services import audit_diff, audit_record, audit_snapshot
from golive.errors import version_check
from golive.projects.models import Project
from golive.projects.services import member_resolve
from golive.quality.access import quality_check
from golive.quality.models import (
    Outcome,
    Requirement,
    RunSource,
    TestCase,
    TestPlan,
    TestResult,
    TestRun,
)
from golive.work.models import WorkPackage

REQUIREMENT_FIELDS = ["ref", "text", "source", "priority", "status"]
PLAN_FIELDS = ["name", "scope", "environment", "entry_criteria", "exit_criteria", "owner"]
CASE_FIELDS = ["key", "title", "type", "steps", "plan", "automated"]
RUN_FIELDS = ["name", "plan", "build", "environment", "source", "started_at"]
RESULT_FIELDS = [
    "outcome",
    "duration",
    "message",
    "evidence_note",
    "evidence_file",
    "steps",
    "executed_by",
    "executed_at",
]
OUTCOME_CHOICES = ", ".join(Outcome.values)


F = TypeVar("F", bound=Callable[..., Any])


def not_a_test(function: F) -> F:
    """Keep pytest from collecting `function` (named test_...) where a test module imports it."""
    function.__test__ = False  # type: ignore[attr-defined]
    return function


# --- resolving related objects -------------------------------------------------------------


def _listed(values: Any, field: str) -> list[Any]:
    if values is None:
        return []
    if isinstance(values, str | bytes | models.Model) or not isinstance(values, Iterable):
        raise ValidationError({field: "Give a list."})
    return list(values)


def work_packages_resolve(
    project: Project, values: Any, *, field: str = "work_packages"
) -> list[WorkPackage]:
    """Return the project's work packages given as instances, ids or WBS codes, in order.

    Refuse, naming every unknown reference, when one is not a package of `project`.
    """
    items = _listed(values, field)
    ids = {v.pk if isinstance(v, WorkPackage) else v for v in items if not isinstance(v, str)}
    codes = {v.strip() for v in items if isinstance(v, str)}
    found = WorkPackage.objects.filter(project=project).filter(
        models.Q(pk__in=[i for i in ids if isinstance(i, int)]) | models.Q(wbs__in=codes)
    )
    by_id = {wp.pk: wp for wp in found}
    by_code = {wp.wbs: wp for wp in by_id.values() if wp.wbs}
    packages: list[WorkPackage] = []
    unknown: list[str] = []
    for value in items:
        wp = by_code.get(value.strip()) if isinstance(value, str) else None
        if not isinstance(value, str):
            pk = value.pk if isinstance(value, WorkPackage) else value
            wp = by_id.get(pk) if isinstance(pk, int) else None
        if wp is None:
            unknown.append(str(value.pk if isinstance(value, WorkPackage) else value))
        elif wp.pk not in {p.pk for p in packages}:
            packages.append(wp)
    if unknown:
        raise ValidationError(
            {field: f"{project.key} has no work package {', '.join(repr(u) for u in unknown)}."}
        )
    return packages


def requirements_resolve(
    project: Project, values: Any, *, field: str = "requirements"
) -> list[Requirement]:
    """Return the project's requirements given as instances, ids or refs, in order.

    Refuse, naming every unknown reference, when one is not a requirement of `project`.
    """
    items = _listed(values, field)
    ids = [
        v.pk if isinstance(v, Requirement) else v
        for v in items
        if isinstance(v, Requirement | int) and not isinstance(v, bool)
    ]
    refs = [v.strip() for v in items if isinstance(v, str)]
    found = Requirement.objects.filter(project=project).filter(
        models.Q(pk__in=ids) | models.Q(ref__in=refs)
    )
    by_id = {r.pk: r for r in found}
    by_ref = {r.ref: r for r in by_id.values()}
    chosen: list[Requirement] = []
    unknown: list[str] = []
    for value in items:
        if isinstance(value, str):
            req = by_ref.get(value.strip())
        elif isinstance(value, Requirement | int) and not isinstance(value, bool):
            req = by_id.get(value.pk if isinstance(value, Requirement) else value)
        else:
            req = None
        if req is None:
            unknown.append(str(value.pk if isinstance(value, Requirement) else value))
        elif req.pk not in {r.pk for r in chosen}:
            chosen.append(req)
    if unknown:
        raise ValidationError(
            {field: f"{project.key} has no requirement {', '.join(repr(u) for u in unknown)}."}
        )
    return chosen


@not_a_test
def test_plan_resolve(project: Project, value: Any, *, field: str = "plan") -> TestPlan | None:
    """Return the project's test plan given as an instance, an id or its name (None for none)."""
    if value is None or value == "":
        return None
    if isinstance(value, TestPlan):
        query = models.Q(pk=value.pk)
    elif isinstance(value, str):
        query = models.Q(name=value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        query = models.Q(pk=value)
    else:
        raise ValidationError({field: f"{value!r} is not a test plan."})
    plan = TestPlan.objects.filter(query, project=project).first()
    if plan is None:
        label = value.pk if isinstance(value, TestPlan) else value
        raise ValidationError({field: f"{project.key} has no test plan {label!r}."})
    return plan


@not_a_test
def test_case_resolve(project: Project, value: Any, *, field: str = "case") -> TestCase:
    """Return the project's test case given as an instance, an id or its key."""
    if isinstance(value, TestCase):
        query = models.Q(pk=value.pk)
    elif isinstance(value, str):
        query = models.Q(key=value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        query = models.Q(pk=value)
    else:
        raise ValidationError({field: f"{value!r} is not a test case."})
    case = TestCase.objects.filter(query, project=project).first()
    if case is None:
        label = value.pk if isinstance(value, TestCase) else value
        raise ValidationError({field: f"{project.key} has no test case {label!r}."})
    return case


# --- validation shared by the writes -------------------------------------------------------


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: "Give text."})
    return value.strip()


def _unknown_fields(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})


def _unique(
    model: type[models.Model], obj: models.Model, field: str, value: str, what: str
) -> None:
    """Refuse a duplicate `field` within the project with a message on that field."""
    clash = model._default_manager.filter(project_id=obj.project_id, **{field: value})  # type: ignore[attr-defined]
    if obj.pk is not None:
        clash = clash.exclude(pk=obj.pk)
    if clash.exists():
        raise ValidationError({field: f"The project already has a {what} {value!r}."})


def case_steps_clean(steps: Any, *, field: str = "steps") -> list[dict[str, str]]:
    """Return a case's steps as ``[{"action", "expected"}]``, or refuse saying which is wrong."""
    items = _listed(steps, field)
    clean: list[dict[str, str]] = []
    for number, step in enumerate(items, start=1):
        if not isinstance(step, dict) or set(step) - {"action", "expected"}:
            raise ValidationError(
                {field: f'Step {number} must be {{"action": ..., "expected": ...}}.'}
            )
        action, expected = step.get("action"), step.get("expected", "")
        if not isinstance(action, str) or not action.strip():
            raise ValidationError({field: f"Step {number} needs an action."})
        if not isinstance(expected, str):
            raise ValidationError({field: f"Step {number}: the expected result must be text."})
        clean.append({"action": action.strip(), "expected": expected.strip()})
    return clean


def _result_steps_clean(steps: Any, case: TestCase) -> list[dict[str, str]]:
    items = _listed(steps, "steps")
    if case.steps and len(items) > len(case.steps):
        raise ValidationError(
            {"steps": f"{case.key} has {len(case.steps)} steps; {len(items)} results were given."}
        )
    clean: list[dict[str, str]] = []
    for number, step in enumerate(items, start=1):
        if not isinstance(step, dict) or set(step) - {"outcome", "note"}:
            raise ValidationError(
                {"steps": f'Step {number} must be {{"outcome": ..., "note": ...}}.'}
            )
        outcome, note = step.get("outcome"), step.get("note", "")
        if outcome not in Outcome.values:
            raise ValidationError(
                {"steps": f"Step {number}: {outcome!r} is not an outcome; use {OUTCOME_CHOICES}."}
            )
        if not isinstance(note, str):
            raise ValidationError({"steps": f"Step {number}: the note must be text."})
        clean.append({"outcome": outcome, "note": note.strip()})
    return clean


def _owner(project: Project, value: Any) -> User:
    owner = member_resolve(project, value, field="owner")
    if owner is None:
        raise ValidationError({"owner": "Every test plan has an owner, a member of the project."})
    return owner


def _refs(objects: Iterable[Any], attr: str) -> list[str]:
    return sorted(str(getattr(obj, attr) or obj.pk) for obj in objects)


# --- requirements --------------------------------------------------------------------------


def requirement_create(
    *,
    actor: User,
    project: Project,
    ref: str,
    text: str,
    source: str = "",
    priority: str = "should",
    status: str = "proposed",
    work_packages: Iterable[Any] = (),
) -> Requirement:
    """Add a requirement to the project's register, traced to work packages."""
    with transaction.atomic():
        quality_check(user=actor, project=project, action="edit")
        requirement = Requirement(
            project=project,
            ref=_text(ref, "ref"),
            text=_text(text, "text"),
            source=_text(source, "source"),
            priority=priority,
            status=status,
        )
        packages = work_packages_resolve(project, work_packages)
        _unique(Requirement, requirement, "ref", requirement.ref, "requirement")
        requirement.full_clean()
        requirement.save()
        requirement.work_packages.set(packages)
        changes = audit_diff({}, audit_snapshot(requirement, REQUIREMENT_FIELDS))
        if packages:
            changes["work_packages"] = [[], _refs(packages, "wbs")]
        audit_record(
            actor=actor,
            action="requirement.create",
            obj=requirement,
            project=project,
            changes=changes,
        )
    return requirement


def requirement_update(
    *, actor: User, requirement: Requirement, version: int | None = None, **fields: Any
) -> Requirement:
    """Change a requirement's ref, text, source, priority, status or work packages."""
    _unknown_fields(fields, {*REQUIREMENT_FIELDS, "work_packages"})
    with transaction.atomic():
        requirement = (
            Requirement.objects.select_for_update().select_related("project").get(pk=requirement.pk)
        )
        project = requirement.project
        quality_check(user=actor, project=project, action="edit")
        version_check(requirement, version, what=f"Requirement {requirement.ref}")
        before = audit_snapshot(requirement, REQUIREMENT_FIELDS)
        packages_before = list(requirement.work_packages.all())
        packages = packages_before
        if "work_packages" in fields:
            packages = work_packages_resolve(project, fields.pop("work_packages"))
        for name, value in fields.items():
            setattr(requirement, name, _text(value, name) if name != "text" else value or "")
        if "ref" in fields:
            _unique(Requirement, requirement, "ref", requirement.ref, "requirement")
        requirement.full_clean()
        changes = audit_diff(before, audit_snapshot(requirement, REQUIREMENT_FIELDS))
        old_codes, new_codes = _refs(packages_before, "wbs"), _refs(packages, "wbs")
        if {p.pk for p in packages} != {p.pk for p in packages_before}:
            changes["work_packages"] = [old_codes, new_codes]
            requirement.work_packages.set(packages)
        if changes:
            requirement.version += 1
            requirement.save()
            audit_record(
                actor=actor,
                action="requirement.update",
                obj=requirement,
                project=project,
                changes=changes,
            )
    return requirement


def requirement_delete(
    *, actor: User, requirement: Requirement, version: int | None = None
) -> None:
    """Remove a requirement from the register (managers); its test cases stay."""
    with transaction.atomic():
        requirement = (
            Requirement.objects.select_for_update().select_related("project").get(pk=requirement.pk)
        )
        project = requirement.project
        quality_check(user=actor, project=project, action="delete")
        version_check(requirement, version, what=f"Requirement {requirement.ref}")
        before = audit_snapshot(requirement, REQUIREMENT_FIELDS)
        audit_record(
            actor=actor,
            action="requirement.delete",
            obj=requirement,
            project=project,
            changes=audit_diff(before, {}),
        )
        requirement.delete()


# --- test plans ----------------------------------------------------------------------------


@not_a_test
def test_plan_create(
    *,
    actor: User,
    project: Project,
    name: str,
    owner: User | str,
    scope: str = "",
    environment: str = "",
    entry_criteria: str = "",
    exit_criteria: str = "",
) -> TestPlan:
    """Create a test plan owned by a project member."""
    with transaction.atomic():
        quality_check(user=actor, project=project, action="edit")
        plan = TestPlan(
            project=project,
            name=_text(name, "name"),
            owner=_owner(project, owner),
            scope=_text(scope, "scope"),
            environment=_text(environment, "environment"),
            entry_criteria=_text(entry_criteria, "entry_criteria"),
            exit_criteria=_text(exit_criteria, "exit_criteria"),
        )
        _unique(TestPlan, plan, "name", plan.name, "test plan")
        plan.full_clean()
        plan.save()
        audit_record(
            actor=actor,
            action="test_plan.create",
            obj=plan,
            project=project,
            changes=audit_diff({}, audit_snapshot(plan, PLAN_FIELDS)),
        )
    return plan


@not_a_test
def test_plan_update(
    *, actor: User, plan: TestPlan, version: int | None = None, **fields: Any
) -> TestPlan:
    """Change a test plan's name, scope, environment, criteria or owner."""
    _unknown_fields(fields, set(PLAN_FIELDS))
    with transaction.atomic():
        plan = TestPlan.objects.select_for_update().select_related("project").get(pk=plan.pk)
        project = plan.project
        quality_check(user=actor, project=project, action="edit")
        version_check(plan, version, what=f"Test plan {plan.name!r}")
        before = audit_snapshot(plan, PLAN_FIELDS)
        for name, value in fields.items():
            if name == "owner":
                plan.owner = _owner(project, value)
            else:
                setattr(plan, name, _text(value, name))
        if "name" in fields:
            _unique(TestPlan, plan, "name", plan.name, "test plan")
        plan.full_clean()
        changes = audit_diff(before, audit_snapshot(plan, PLAN_FIELDS))
        if changes:
            plan.version += 1
            plan.save()
            audit_record(
                actor=actor, action="test_plan.update", obj=plan, project=project, changes=changes
            )
    return plan


# --- test cases ----------------------------------------------------------------------------


def _key_from_title(project: Project, title: str) -> str:
    """Return a slug of `title` that no case of the project uses yet."""
    base = slugify(title)[:480] or "case"
    taken = set(
        TestCase.objects.filter(project=project, key__startswith=base).values_list("key", flat=True)
    )
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}-{number}"
    return key


@not_a_test
def test_case_create(
    *,
    actor: User,
    project: Project,
    title: str,
    key: str = "",
    type: str = "functional",
    steps: Iterable[Any] = (),
    plan: Any = None,
    requirements: Iterable[Any] = (),
    automated: bool = False,
) -> TestCase:
    """Create a test case; without a key, a slug of the title (made unique) becomes its key."""
    with transaction.atomic():
        quality_check(user=actor, project=project, action="edit")
        title = _text(title, "title")
        if not title:
            raise ValidationError({"title": "Give the test case a title."})
        case = TestCase(
            project=project,
            title=title,
            type=type,
            steps=case_steps_clean(steps),
            plan=test_plan_resolve(project, plan),
            automated=bool(automated),
        )
        linked = requirements_resolve(project, requirements)
        case.key = _text(key, "key") or _key_from_title(project, title)
        _unique(TestCase, case, "key", case.key, "test case with the key")
        case.full_clean()
        case.save()
        case.requirements.set(linked)
        changes = audit_diff({}, audit_snapshot(case, CASE_FIELDS))
        if linked:
            changes["requirements"] = [[], _refs(linked, "ref")]
        audit_record(
            actor=actor, action="test_case.create", obj=case, project=project, changes=changes
        )
    return case


@not_a_test
def test_case_update(
    *, actor: User, case: TestCase, version: int | None = None, **fields: Any
) -> TestCase:
    """Change a test case's key, title, type, steps, plan, requirements or automated flag."""
    _unknown_fields(fields, {*CASE_FIELDS, "requirements"})
    with transaction.atomic():
        case = TestCase.objects.select_for_update().select_related("project").get(pk=case.pk)
        project = case.project
        quality_check(user=actor, project=project, action="edit")
        version_check(case, version, what=f"Test case {case.key!r}")
        before = audit_snapshot(case, CASE_FIELDS)
        linked_before = list(case.requirements.all())
        linked = linked_before
        if "requirements" in fields:
            linked = requirements_resolve(project, fields.pop("requirements"))
        for name, value in fields.items():
            if name == "steps":
                case.steps = case_steps_clean(value)
            elif name == "plan":
                case.plan = test_plan_resolve(project, value)
            elif name == "automated":
                case.automated = bool(value)
            elif name == "type":
                case.type = value
            else:
                setattr(case, name, _text(value, name))
        if "title" in fields and not case.title:
            raise ValidationError({"title": "Give the test case a title."})
        if "key" in fields:
            if not case.key:
                raise ValidationError({"key": "A test case needs a key."})
            _unique(TestCase, case, "key", case.key, "test case with the key")
        case.full_clean()
        changes = audit_diff(before, audit_snapshot(case, CASE_FIELDS))
        if {r.pk for r in linked} != {r.pk for r in linked_before}:
            changes["requirements"] = [_refs(linked_before, "ref"), _refs(linked, "ref")]
            case.requirements.set(linked)
        if changes:
            case.version += 1
            case.save()
            audit_record(
                actor=actor, action="test_case.update", obj=case, project=project, changes=changes
            )
    return case


# --- runs and results ----------------------------------------------------------------------


@not_a_test
def test_run_create(
    *,
    actor: User,
    project: Project,
    name: str,
    plan: Any = None,
    build: str = "",
    environment: str = "",
    started_at: datetime | None = None,
) -> TestRun:
    """Start a test run of a build on an environment (now, unless `started_at` says when)."""
    with transaction.atomic():
        quality_check(user=actor, project=project, action="execute")
        if started_at is not None and timezone.is_naive(started_at):
            raise ValidationError({"started_at": "Give the time with its time zone."})
        run = TestRun(
            project=project,
            name=_text(name, "name"),
            plan=test_plan_resolve(project, plan),
            build=_text(build, "build"),
            environment=_text(environment, "environment"),
            source=RunSource.MANUAL,
            created_by=actor,
            started_at=started_at or timezone.now(),
        )
        _unique(TestRun, run, "name", run.name, "test run")
        run.full_clean()
        run.save()
        audit_record(
            actor=actor,
            action="test_run.create",
            obj=run,
            project=project,
            changes=audit_diff({}, audit_snapshot(run, RUN_FIELDS)),
        )
    return run


@not_a_test
def test_result_record(
    *,
    actor: User,
    run: TestRun,
    case: Any,
    outcome: str,
    steps: Iterable[Any] | None = None,
    duration: float | None = None,
    message: str = "",
    evidence_note: str = "",
    evidence_file: File[bytes] | None = None,
) -> TestResult:
    """Record a case's outcome in a run by hand, replacing the case's earlier result there.

    `case` is a case of the run's project (an instance, an id or its key); `steps` holds the
    per-step outcomes ``[{"outcome", "note"}]`` of a step-by-step execution.
    """
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": f"{outcome!r} is not an outcome; use {OUTCOME_CHOICES}."})
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0
    ):
        raise ValidationError({"duration": "Give the duration in seconds, 0 or more."})
    stored_file: str | None = None
    old_file: str | None = None
    with transaction.atomic():
        run = TestRun.objects.select_for_update().select_related("project").get(pk=run.pk)
        project = run.project
        quality_check(user=actor, project=project, action="execute")
        test_case = test_case_resolve(project, case)
        result = TestResult.objects.filter(run=run, case=test_case).first()
        created = result is None
        if result is None:
            result = TestResult(run=run, case=test_case)
            before: dict[str, Any] = {}
        else:
            before = audit_snapshot(result, RESULT_FIELDS)
            old_file = result.evidence_file.name or None
        result.outcome = outcome
        result.flaky = False
        result.duration = float(duration) if duration is not None else None
        result.message = _text(message, "message")
        result.details = ""
        result.evidence_note = _text(evidence_note, "evidence_note")
        result.steps = _result_steps_clean(steps, test_case) if steps is not None else []
        result.executed_by = actor
        result.executed_at = timezone.now()
        if evidence_file is not None:
            name = os.path.basename(getattr(evidence_file, "name", None) or "evidence")
            result.evidence_file.save(
                get_valid_filename(name)[:200] or "evidence", evidence_file, save=False
            )
            stored_file = result.evidence_file.name
        try:
            result.full_clean()
            result.save()
            audit_record(
                actor=actor,
                action="test_result.record" if created else "test_result.replace",
                obj=result,
                project=project,
                changes={
                    "run": [None, run.name] if created else [run.name, run.name],
                    "case": [None, test_case.key] if created else [test_case.key, test_case.key],
                    **audit_diff(before, audit_snapshot(result, RESULT_FIELDS)),
                },
            )
        except Exception:
            if stored_file:
                result.evidence_file.storage.delete(stored_file)
            raise
    if old_file and evidence_file is not None and old_file != result.evidence_file.name:
        result.evidence_file.storage.delete(old_file)
    return result
