"""The demo project's resources: an overloaded specialist on the critical path, a late delivery."""

from io import StringIO

import pytest
from django.core.management import call_command

from golive.accounts.models import User
from golive.projects.models import Project
from golive.resources.models import Resource
from golive.resources.selectors import (
    critical_share_warnings,
    procurement_alerts,
    resource_load,
)


@pytest.mark.django_db
class DemoResourcesTests:
    def test_demo_is_staffed_with_an_overloaded_specialist_and_a_late_delivery(self):
        """Tomás is overloaded and warned about; the servers are late; a rerun adds nothing."""
        call_command("demo", "--no-serve", stdout=StringIO())
        call_command("demo", "--no-serve", stdout=StringIO())
        project = Project.objects.get(key="ERP")
        maria = User.objects.get(username="maria")
        assert Resource.objects.filter(project=project).count() == 6
        load = resource_load(user=maria, project=project, weeks=12)
        overloaded = {row.resource.name for row in load.rows if row.overloaded_days}
        assert "Tomás Ruiz" in overloaded
        warned = [w.resource.name for w in critical_share_warnings(user=maria, project=project)]
        assert "Tomás Ruiz" in warned
        alerts = procurement_alerts(user=maria, project=project)
        assert [(a.item.name, a.state) for a in alerts] == [
            ("Production servers (2 database, 4 application)", "late")
        ]
