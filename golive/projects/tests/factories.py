"""Factories for users and projects (projects go through the service, with checklist and gate)."""

import factory

from golive.accounts.models import User
from golive.projects.models import Role
from golive.projects.services import membership_set, project_create

PASSWORD = "correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


class ProjectFactory(factory.Factory):
    """Create a project through `project_create`; `manager` (a user) becomes its manager."""

    class Meta:
        model = dict

    key = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"Project {n}")
    manager = factory.SubFactory(UserFactory)
    time_zone = "Europe/Berlin"

    @classmethod
    def _create(cls, model_class, manager, **kwargs):
        return project_create(actor=manager, **kwargs)


def team_for(project, roles=("viewer", "contributor", "approver")) -> dict[str, User]:
    """Add one new member per role to `project`; return {role: user} including the manager."""
    members = {"manager": project.manager}
    for role in roles:
        user = UserFactory(username=f"{project.key.lower()}-{role}")
        membership_set(actor=project.manager, project=project, user=user, role=Role[role.upper()])
        members[role] = user
    return members
