"""Factories for requirements, test plans, cases, runs and results (model rows, no audit).

Each factory creates its project (through `ProjectFactory`) unless one is given; related rows
share the project of the row they hang off: ``TestResultFactory(run=run)`` makes a case in
``run.project``.
"""

import factory
from django.utils import timezone

from golive.projects.tests.factories import ProjectFactory
from golive.quality.models import (
    Outcome,
    Requirement,
    RunSource,
    TestCase,
    TestPlan,
    TestResult,
    TestRun,
    TestType,
)


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    project = factory.SubFactory(ProjectFactory)
    ref = factory.Sequence(lambda n: f"REQ-{n}")
    text = factory.Sequence(lambda n: f"The system does thing {n}.")
    priority = "should"
    status = "proposed"


class TestPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TestPlan

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Plan {n}")
    owner = factory.LazyAttribute(lambda plan: plan.project.manager)


class TestCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TestCase
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    key = factory.Sequence(lambda n: f"suite::case_{n}")
    title = factory.Sequence(lambda n: f"Case {n}")
    type = TestType.FUNCTIONAL
    steps = factory.LazyFunction(list)
    automated = False

    @factory.post_generation
    def requirements(self, create, extracted, **kwargs):
        """Link the given requirements: ``TestCaseFactory(requirements=[req])``."""
        if create and extracted:
            self.requirements.add(*extracted)


class TestRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TestRun

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Run {n}")
    source = RunSource.MANUAL
    created_by = factory.LazyAttribute(lambda run: run.project.manager)
    started_at = factory.LazyFunction(timezone.now)


class TestResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TestResult

    run = factory.SubFactory(TestRunFactory)
    case = factory.SubFactory(TestCaseFactory, project=factory.SelfAttribute("..run.project"))
    outcome = Outcome.PASSED
    flaky = False
    executed_by = factory.LazyAttribute(lambda result: result.run.project.manager)
    executed_at = factory.LazyFunction(timezone.now)
