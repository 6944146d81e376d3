"""Factories for waves, runbooks, steps, runs, migration checks and communications (rows, no audit).

Each factory creates its project (through `ProjectFactory`) unless one is given; rows that hang
off another share its project. Waves made here have no gates: use `wave_create` for those.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from golive.projects.tests.factories import ProjectFactory
from golive.rollout.models import (
    Communication,
    MigrationCheck,
    Run,
    Runbook,
    RunStep,
    Step,
    Wave,
)


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Wave {n}")
    slug = factory.Sequence(lambda n: f"wave-{n}")
    owner = factory.LazyAttribute(lambda wave: wave.project.manager)
    headcount = 50
    planned_start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    planned_end = factory.LazyAttribute(lambda wave: wave.planned_start + timedelta(days=14))


class RunbookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Runbook

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"runbook-{n}")
    title = factory.Sequence(lambda n: f"Runbook {n}")
    kind = "cutover"
    owner = factory.LazyAttribute(lambda runbook: runbook.project.manager)


class RollbackPlanFactory(RunbookFactory):
    kind = "rollback"
    name = factory.Sequence(lambda n: f"rollback-{n}")
    title = factory.Sequence(lambda n: f"Rollback {n}")
    rto_minutes = 60
    trigger_conditions = "The cutover fails a check that cannot be fixed within 30 minutes."


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step
        skip_postgeneration_save = True

    runbook = factory.SubFactory(RunbookFactory)
    key = factory.Sequence(lambda n: f"step-{n}")
    title = factory.Sequence(lambda n: f"Step {n}")
    kind = "manual"
    duration_minutes = 30
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def depends_on(self, create, extracted, **kwargs):
        """Link predecessors: ``StepFactory(runbook=rb, depends_on=[a, b])``."""
        if create and extracted:
            self.depends_on.add(*extracted)


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    runbook = factory.SubFactory(RunbookFactory)
    number = factory.Sequence(lambda n: n + 1)
    kind = "rehearsal"
    status = "running"
    planned_start = factory.LazyFunction(timezone.now)
    started_at = factory.LazyFunction(timezone.now)
    started_by = factory.LazyAttribute(lambda run: run.runbook.project.manager)


class RunStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RunStep

    run = factory.SubFactory(RunFactory)
    key = factory.Sequence(lambda n: f"step-{n}")
    title = factory.Sequence(lambda n: f"Step {n}")
    kind = "manual"
    duration_minutes = 30


class MigrationCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MigrationCheck

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"check-{n}")
    source_kind = "csv"
    target_kind = "csv"
    tables = factory.LazyFunction(lambda: [{"source": "t", "target": "t", "key": ["id"]}])


class CommunicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Communication

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"message-{n}")
    audience = "custom"
    recipients = factory.LazyFunction(lambda: ["users@example.com"])
    subject = "Go-live of {{ project.name }}"
    body = "Hello, {{ project.name }} goes live soon."
    anchor = "absolute"
    at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
