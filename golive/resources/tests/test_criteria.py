"""The resources.no_overload criterion: pass and fail on a plan, parameters checked."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from golive.gates.registry import criterion_type_get, params_validate
from golive.gates.services import criterion_add, gate_create, gate_evaluate
from golive.resources.services import leveling_apply, leveling_preview
from golive.resources.tests.factories import staffed_plan


def monday_in_two_weeks():
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday() + 7)


def evaluate(project, weeks):
    pm = project.manager
    gate = gate_create(
        actor=pm, project=project, name=f"load-{weeks}", title="Load", approvers=[pm]
    )
    criterion_add(
        actor=pm, gate=gate, key="load", type_key="resources.no_overload", params={"weeks": weeks}
    )
    return gate_evaluate(gate=gate).criteria[0]


@pytest.mark.django_db
class NoOverloadTests:
    def test_passes_before_the_overload_and_fails_over_it(self):
        """Ann's overload 8-14 days ahead passes a 1-week window and fails a 3-week one."""
        project, _, _, _ = staffed_plan(start=monday_in_two_weeks())
        assert evaluate(project, 1).passed
        result = evaluate(project, 3)
        assert not result.passed
        assert "1 resource is overloaded" in result.detail
        assert "Ann on 2 days" in result.detail and "16 h asked of 8 h" in result.detail

    def test_leveling_makes_it_pass(self):
        """After leveling, no resource is overloaded in the window."""
        project, _, _, _ = staffed_plan(start=monday_in_two_weeks())
        run = leveling_preview(actor=project.manager, project=project, time_limit=2)
        leveling_apply(actor=project.manager, run=run)
        assert evaluate(project, 4).passed

    def test_params(self, db):
        """Weeks default to 4 and must be a whole number from 1 to 104."""
        assert criterion_type_get("resources.no_overload") is not None
        assert params_validate("resources.no_overload", {}) == {"weeks": 4}
        for bad in ({"weeks": 0}, {"weeks": 105}, {"weeks": "2"}, {"days": 3}):
            with pytest.raises(ValidationError):
                params_validate("resources.no_overload", bad)
