"""API tests: who may call every resources endpoint, and the OpenAPI document lists them."""

import json

import pytest
from django.test import Client

from golive.config.tests import support
from golive.config.tests.support import API, Endpoint, matrix_cases, run_matrix
from golive.resources.models import (
    Assignment,
    LevelingHold,
    LevelingRun,
    ProcurementItem,
    Resource,
    ResourceSettings,
    ResourceSkill,
    Skill,
    TimeOff,
)
from golive.resources.services import (
    leveling_apply,
    leveling_preview,
    skill_set,
    time_off_add,
)
from golive.resources.tests.factories import (
    DAY,
    MONDAY,
    AssignmentFactory,
    ProcurementItemFactory,
    ResourceFactory,
    package,
)
from golive.work.models import Dependency, ProjectCalendar, WorkPackage
from golive.work.services import calendar_update

_plain_db_state = support.db_state


def resources_db_state():
    """The shared DB snapshot plus every resource row and the plan they change."""
    state = _plain_db_state()
    for model in (
        Resource,
        Skill,
        ResourceSkill,
        TimeOff,
        Assignment,
        ProcurementItem,
        LevelingRun,
        LevelingHold,
        ResourceSettings,
        WorkPackage,
        Dependency,
        ProjectCalendar,
    ):
        state[model.__name__] = list(model.objects.order_by("pk").values())
    state["ProcurementPackages"] = list(
        ProcurementItem.work_packages.through.objects.order_by("pk").values()
    )
    return state


@pytest.fixture(autouse=True)
def _resources_state(monkeypatch):
    monkeypatch.setattr(support, "db_state", resources_db_state)


def _plan(project, callers):
    """Design and Docs at once, both on Ann (the contributor): two overloaded days. Bob is idle."""
    calendar_update(actor=project.manager, project=project, schedule_start=MONDAY)
    design = package(project, "Design", duration=2 * DAY)
    docs = package(project, "Docs", duration=2 * DAY)
    build = package(project, "Build", duration=DAY)
    ann = ResourceFactory(project=project, name="Ann", user=callers["contributor"])
    bob = ResourceFactory(project=project, name="Bob")
    a = AssignmentFactory(package=design, resource=ann)
    AssignmentFactory(package=docs, resource=ann)
    return {
        "design": design.pk,
        "docs": docs.pk,
        "build": build.pk,
        "ann": ann.pk,
        "bob": bob.pk,
        "assignment": a.pk,
    }


def _skilled(project, callers):
    context = _plan(project, callers)
    skill_set(
        actor=project.manager,
        resource=Resource.objects.get(pk=context["ann"]),
        skill="SAP FI",
        level=4,
    )
    return context


def _away(project, callers):
    context = _plan(project, callers)
    off = time_off_add(
        actor=project.manager,
        resource=Resource.objects.get(pk=context["ann"]),
        start=MONDAY.replace(day=8),
        end=MONDAY.replace(day=9),
    )
    return {**context, "off": off.pk}


def _ordered(project, callers):
    context = _plan(project, callers)
    item = ProcurementItemFactory(
        project=project,
        name="Servers",
        order_date=MONDAY.replace(day=1, month=2),
        lead_time_days=35,
        work_packages=[context["build"]],
    )
    return {**context, "item": item.pk}


def _previewed(project, callers):
    context = _plan(project, callers)
    run = leveling_preview(actor=project.manager, project=project, time_limit=2)
    return {**context, "run": run.pk}


def _applied(project, callers):
    context = _previewed(project, callers)
    leveling_apply(actor=project.manager, run=LevelingRun.objects.get(pk=context["run"]))
    return context


R = "/projects/{key}/resources"
ENDPOINTS = [
    Endpoint("resources-list", "GET", R + "?active=true", setup=_plan),
    Endpoint(
        "resources-create",
        "POST",
        R,
        min_role="manager",
        body={"name": "Cleo", "user": "{user_viewer}", "capacity_hours": 6},
        ok=201,
    ),
    Endpoint("skills-list", "GET", R + "/skills", setup=_skilled),
    Endpoint("resources-get", "GET", R + "/{ann}", setup=_skilled),
    Endpoint(
        "resources-update",
        "PATCH",
        R + "/{ann}",
        min_role="manager",
        body={"version": 1, "capacity_hours": 6},
        setup=_plan,
    ),
    Endpoint(
        "resources-delete",
        "DELETE",
        R + "/{bob}?version=1",
        min_role="manager",
        setup=_plan,
        ok=204,
    ),
    Endpoint(
        "skill-set",
        "POST",
        R + "/{ann}/skills",
        min_role="manager",
        body={"skill": "SAP FI", "level": 4},
        setup=_plan,
    ),
    Endpoint(
        "skill-remove",
        "DELETE",
        R + "/{ann}/skills/SAP%20FI",
        min_role="manager",
        setup=_skilled,
        ok=204,
    ),
    Endpoint(
        "time-off-add",
        "POST",
        R + "/{ann}/time-off",
        min_role="manager",
        body={"start": "2027-03-08", "end": "2027-03-09", "reason": "Training"},
        setup=_plan,
        ok=201,
    ),
    Endpoint(
        "time-off-remove",
        "DELETE",
        R + "/{ann}/time-off/{off}",
        min_role="manager",
        setup=_away,
        ok=204,
    ),
    Endpoint("assignments-list", "GET", R + "/assignments?package={design}", setup=_plan),
    Endpoint(
        "assignments-create",
        "POST",
        R + "/assignments",
        min_role="contributor",
        body={"package": "{build}", "resource": "{bob}", "units": 50},
        setup=_plan,
        ok=201,
    ),
    Endpoint("assignments-get", "GET", R + "/assignments/{assignment}", setup=_plan),
    Endpoint(
        "assignments-update",
        "PATCH",
        R + "/assignments/{assignment}",
        min_role="contributor",
        body={"version": 1, "units": 50},
        setup=_plan,
    ),
    Endpoint(
        "assignments-delete",
        "DELETE",
        R + "/assignments/{assignment}?version=1",
        min_role="contributor",
        setup=_plan,
        ok=204,
    ),
    Endpoint("candidates", "GET", R + "/candidates?package={build}&skill=SAP FI", setup=_skilled),
    Endpoint("procurement-list", "GET", R + "/procurement-items", setup=_ordered),
    Endpoint(
        "procurement-create",
        "POST",
        R + "/procurement-items",
        min_role="contributor",
        body={
            "name": "Licences",
            "kind": "licence",
            "order_date": "2027-02-15",
            "lead_time_days": 21,
            "work_packages": ["{build}"],
            "owner": "{user_contributor}",
        },
        setup=_plan,
        ok=201,
    ),
    Endpoint("procurement-alerts", "GET", R + "/procurement-alerts", setup=_ordered),
    Endpoint("procurement-get", "GET", R + "/procurement-items/{item}", setup=_ordered),
    Endpoint(
        "procurement-update",
        "PATCH",
        R + "/procurement-items/{item}",
        min_role="contributor",
        body={"version": 1, "actual_delivery": "2027-03-02"},
        setup=_ordered,
    ),
    Endpoint(
        "procurement-delete",
        "DELETE",
        R + "/procurement-items/{item}?version=1",
        min_role="contributor",
        setup=_ordered,
        ok=204,
    ),
    Endpoint("load", "GET", R + "/load?start=2027-03-01&weeks=2", setup=_plan),
    Endpoint("warnings", "GET", R + "/warnings", setup=_plan),
    Endpoint("settings-get", "GET", R + "/settings"),
    Endpoint(
        "settings-update",
        "PATCH",
        R + "/settings",
        min_role="manager",
        body={"version": 1, "critical_share_percent": 40},
    ),
    Endpoint("leveling-list", "GET", R + "/leveling-runs", setup=_previewed),
    Endpoint(
        "leveling-preview",
        "POST",
        R + "/leveling-runs",
        min_role="manager",
        body={"time_limit": 2},
        setup=_plan,
        ok=201,
    ),
    Endpoint("leveling-get", "GET", R + "/leveling-runs/{run}", setup=_previewed),
    Endpoint(
        "leveling-apply",
        "POST",
        R + "/leveling-runs/{run}/apply",
        min_role="manager",
        setup=_previewed,
    ),
    Endpoint(
        "leveling-undo",
        "POST",
        R + "/leveling-runs/{run}/undo",
        min_role="manager",
        setup=_applied,
    ),
    Endpoint(
        "leveling-discard",
        "POST",
        R + "/leveling-runs/{run}/discard",
        min_role="manager",
        setup=_previewed,
    ),
]


@pytest.mark.django_db
class ResourcesAccessMatrixTests:
    @pytest.mark.parametrize(("endpoint", "caller"), matrix_cases(ENDPOINTS))
    def test_caller_gets_expected_status(self, endpoint, caller):
        """Each caller gets 401/404/403 or success, and a refusal writes nothing."""
        run_matrix(endpoint, caller)


R_OPS = "/projects/{key}/resources"
RESOURCES_OPERATIONS = {
    ("get", R_OPS),
    ("post", R_OPS),
    ("get", R_OPS + "/skills"),
    ("get", R_OPS + "/{resource_id}"),
    ("patch", R_OPS + "/{resource_id}"),
    ("delete", R_OPS + "/{resource_id}"),
    ("post", R_OPS + "/{resource_id}/skills"),
    ("delete", R_OPS + "/{resource_id}/skills/{skill}"),
    ("post", R_OPS + "/{resource_id}/time-off"),
    ("delete", R_OPS + "/{resource_id}/time-off/{time_off_id}"),
    ("get", R_OPS + "/assignments"),
    ("post", R_OPS + "/assignments"),
    ("get", R_OPS + "/assignments/{assignment_id}"),
    ("patch", R_OPS + "/assignments/{assignment_id}"),
    ("delete", R_OPS + "/assignments/{assignment_id}"),
    ("get", R_OPS + "/candidates"),
    ("get", R_OPS + "/procurement-items"),
    ("post", R_OPS + "/procurement-items"),
    ("get", R_OPS + "/procurement-alerts"),
    ("get", R_OPS + "/procurement-items/{item_id}"),
    ("patch", R_OPS + "/procurement-items/{item_id}"),
    ("delete", R_OPS + "/procurement-items/{item_id}"),
    ("get", R_OPS + "/load"),
    ("get", R_OPS + "/warnings"),
    ("get", R_OPS + "/settings"),
    ("patch", R_OPS + "/settings"),
    ("get", R_OPS + "/leveling-runs"),
    ("post", R_OPS + "/leveling-runs"),
    ("get", R_OPS + "/leveling-runs/{run_id}"),
    ("post", R_OPS + "/leveling-runs/{run_id}/apply"),
    ("post", R_OPS + "/leveling-runs/{run_id}/undo"),
    ("post", R_OPS + "/leveling-runs/{run_id}/discard"),
}


@pytest.mark.django_db
class ResourcesOpenApiTests:
    def _document(self):
        response = Client().get(f"{API}/openapi.json")
        assert response.status_code == 200
        return json.loads(response.content)

    def test_document_lists_every_resources_operation_with_a_summary(self):
        """The OpenAPI document has exactly the resources operations, each summarised and tagged."""
        operations = {
            (method, path.removeprefix(API)): operation
            for path, item in self._document()["paths"].items()
            for method, operation in item.items()
            if path.removeprefix(API).startswith("/projects/{key}/resources")
        }
        assert set(operations) == RESOURCES_OPERATIONS
        for (method, path), operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert operation["tags"] == ["resources"]

    def test_operation_ids_are_unique(self):
        """No two operations share an id (client generators need them distinct)."""
        document = self._document()
        ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
        assert len(ids) == len(set(ids))

    def test_path_ids_are_integers(self):
        """Ids in resource paths are documented as integers, so /resources/skills is no id."""
        item = self._document()["paths"][f"{API}/projects/{{key}}/resources/{{resource_id}}"]
        param = next(p for p in item["get"]["parameters"] if p["name"] == "resource_id")
        assert param["schema"]["type"] == "integer"
