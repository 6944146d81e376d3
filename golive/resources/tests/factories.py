"""Factories for resources, assignments and procurement items (through the services), and a
small plan to put them on."""

from datetime import date
from decimal import Decimal

import factory

from golive.projects.tests.factories import ProjectFactory, team_for
from golive.resources.models import Assignment, ProcurementItem, Resource
from golive.resources.services import (
    assignment_create,
    procurement_item_create,
    resource_create,
)
from golive.work.models import WorkPackage
from golive.work.services import calendar_update, dependency_create, work_package_create

DAY = 480  # working minutes of the standard 8-hour day
MONDAY = date(2027, 3, 1)


class ResourceFactory(factory.Factory):
    """Create a resource through `resource_create`; `project` is required."""

    class Meta:
        model = dict

    project = None
    name = factory.Sequence(lambda n: f"Resource {n}")
    kind = "person"
    capacity_hours = Decimal("8")

    @classmethod
    def _create(cls, model_class, project, **kwargs) -> Resource:
        return resource_create(actor=project.manager, project=project, **kwargs)


class AssignmentFactory(factory.Factory):
    """Assign `resource` to `package` through `assignment_create`."""

    class Meta:
        model = dict

    package = None
    resource = None
    units = 100

    @classmethod
    def _create(cls, model_class, package, resource, **kwargs) -> Assignment:
        return assignment_create(
            actor=package.project.manager, package=package, resource=resource, **kwargs
        )


class ProcurementItemFactory(factory.Factory):
    """Create a procurement item through `procurement_item_create`; `project` is required."""

    class Meta:
        model = dict

    project = None
    name = factory.Sequence(lambda n: f"Item {n}")
    kind = "hardware"

    @classmethod
    def _create(cls, model_class, project, **kwargs) -> ProcurementItem:
        return procurement_item_create(actor=project.manager, project=project, **kwargs)


def package(project, name, *, duration=DAY, **fields) -> WorkPackage:
    """Add a work package owned by the project's manager."""
    pm = project.manager
    return work_package_create(
        actor=pm, project=project, name=name, owner=pm, duration=duration, **fields
    )


def link(project, predecessor, successor, **fields) -> None:
    dependency_create(
        actor=project.manager,
        project=project,
        predecessor=predecessor,
        successor=successor,
        **fields,
    )


def staffed_plan(key="RES", start=MONDAY):
    """A project starting Monday `start` (Europe/Berlin, Mon-Fri 8 h) with a team and:

    Design (2 d) → Build (3 d) → Go-live (milestone), and Docs (2 d) → Go-live, in parallel.
    Ann (person, 8 h, the contributor's resource) works on Design and Docs at 100 %: both start
    on the Monday, so Ann is overloaded on its first two days. Bob (person, 8 h) builds.
    """
    project = ProjectFactory(key=key, time_zone="Europe/Berlin")
    team = team_for(project)
    calendar_update(actor=project.manager, project=project, schedule_start=start)
    design = package(project, "Design", duration=2 * DAY)
    build = package(project, "Build", duration=3 * DAY)
    golive = package(project, "Go-live", duration=0, milestone=True)
    docs = package(project, "Docs", duration=2 * DAY)
    link(project, design, build)
    link(project, build, golive)
    link(project, docs, golive)
    ann = ResourceFactory(project=project, name="Ann", user=team["contributor"])
    bob = ResourceFactory(project=project, name="Bob")
    AssignmentFactory(package=design, resource=ann)
    AssignmentFactory(package=docs, resource=ann)
    AssignmentFactory(package=build, resource=bob)
    wps = {wp.name: wp for wp in WorkPackage.objects.filter(project=project)}
    return project, team, wps, {"ann": ann, "bob": bob}
