"""Factories for resources, assignments and procurement items (through the services), and a
small plan to put them on."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.db import transaction

from golive.projects.tests.factories import ProjectFactory, team_for
from golive.resources.models import Assignment, ProcurementItem, Resource
from golive.resources.services import (
    assignment_create,
    procurement_item_create,
    resource_create,
)
from golive.work.models import Dependency, WorkPackage
from golive.work.services import (
    calendar_update,
    dependency_create,
    work_package_create,
    work_reschedule,
)

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


def procurement_plan(project, *, packages=60, items=12, seed=0, start=MONDAY, started=0):
    """Fill `project` (Europe/Berlin, calendar from `start`) with a random plan and deliveries.

    Phases of 10 leaf packages under one summary each, chained, with cross links (FS, some SS
    and FF with lags) from earlier packages; a few chain heads must start on a date, a few
    packages start no earlier than one or finish no later than a distant one; `started`
    packages have begun on `start`. Then `items` procurement items, each needed by one to
    three packages (now and then a summary, sometimes nothing), with deliveries from ten days
    before `start` to four months after it (before every must-start-on), a few delivered. Rows are written in bulk
    (the services would reschedule on every write); the plan is rescheduled once at the end.
    """
    rng = random.Random(seed)
    pm = project.manager
    zone = ZoneInfo(project.time_zone)
    calendar_update(actor=pm, project=project, schedule_start=start)

    def at(days: int, hour: int = 8) -> datetime:
        return datetime.combine(start + timedelta(days=days), time(hour), tzinfo=zone)

    phases = max(1, packages // 10)
    summaries = WorkPackage.objects.bulk_create(
        [
            WorkPackage(project=project, name=f"Phase {p}", owner=pm, position=p, wbs=f"{p + 1}")
            for p in range(phases)
        ]
    )
    leaves: list[WorkPackage] = []
    heads: set[int] = set()
    for i in range(packages):
        phase, place = divmod(i, 10)
        wp = WorkPackage(
            project=project,
            parent=summaries[min(phase, phases - 1)],
            name=f"Package {i}",
            owner=pm,
            position=place,
            wbs=f"{min(phase, phases - 1) + 1}.{place + 1}",
            duration=rng.randint(1, 6) * 240,
        )
        if place == 0:
            heads.add(i)
            if rng.random() < 0.3:
                # Later than every delivery, so a floor never contradicts it.
                wp.constraint_kind, wp.constraint_date = "mso", at(rng.randint(121, 150))
        elif rng.random() < 0.1:
            wp.constraint_kind, wp.constraint_date = "snet", at(rng.randint(0, 90))
        elif rng.random() < 0.05:
            wp.constraint_kind, wp.constraint_date = "fnlt", at(900, 17)
        leaves.append(wp)
    for wp in rng.sample(leaves, min(started, len(leaves))):
        wp.actual_start, wp.status = at(0), "in_progress"
    WorkPackage.objects.bulk_create(leaves, batch_size=500)
    links = []
    for i, wp in enumerate(leaves):
        if i in heads:
            continue  # a must-start-on head stays free of links
        links.append(Dependency(project=project, predecessor=leaves[i - 1], successor=wp))
        if i > 12 and rng.random() < 0.5:
            kind = rng.choice(["FS", "FS", "SS", "FF"])
            links.append(
                Dependency(
                    project=project,
                    predecessor=leaves[rng.randrange(max(0, i - 40), i - 1)],
                    successor=wp,
                    type=kind,
                    lag=rng.choice([0, 0, 240, 480]),
                )
            )
    Dependency.objects.bulk_create(links, batch_size=500, ignore_conflicts=True)
    for n in range(items):
        expected = start + timedelta(days=rng.randint(-10, 120))
        roll = rng.random()
        needing: list[WorkPackage] = []
        if roll < 0.1:
            pass
        elif roll < 0.2:
            needing = [rng.choice(summaries)]
        else:
            needing = rng.sample(leaves, rng.randint(1, 3))
        item = ProcurementItem.objects.create(
            project=project,
            name=f"Item {n}",
            expected_delivery=expected,
            actual_delivery=expected if rng.random() < 0.1 else None,
        )
        item.work_packages.set(needing)
    with transaction.atomic():
        work_reschedule(project=project)
    return summaries, leaves
