"""Leveling through its services: preview, apply, undo, discard; stale and impossible plans."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from golive.audit.models import AuditEvent
from golive.errors import Conflict, NotFound
from golive.projects.tests.factories import UserFactory
from golive.resources.models import LevelingHold, LevelingRun, LevelingStatus
from golive.resources.selectors import overloads
from golive.resources.services import (
    assignment_update,
    leveling_apply,
    leveling_discard,
    leveling_preview,
    leveling_undo,
    time_off_add,
)
from golive.resources.tests.factories import DAY, staffed_plan
from golive.work.models import WorkPackage
from golive.work.services import work_package_update

BERLIN = ZoneInfo("Europe/Berlin")
FIELDS = ("early_start", "early_finish", "late_start", "late_finish", "total_float", "critical")


@pytest.fixture
def plan(db):
    return staffed_plan()


def schedule_of(project):
    return {
        wp.pk: tuple(getattr(wp, f) for f in FIELDS)
        for wp in WorkPackage.objects.filter(project=project)
    }


def moved(run):
    return {m["name"]: m for m in run.result["moves"]}


@pytest.mark.django_db
class LevelingPreviewTests:
    def test_preview_moves_docs_after_design_and_changes_nothing(self, plan):
        """Ann cannot do Design and Docs at once: Docs moves two days; the plan is untouched."""
        project, _, wps, _ = plan
        before = schedule_of(project)
        run = leveling_preview(actor=project.manager, project=project, time_limit=5)
        assert run.status == LevelingStatus.PREVIEW
        result = run.result
        assert result["optimal"] is True and result["status"] in ("optimal", "priority_rule")
        assert result["overloads_before"] == 2 and result["overloads_after"] == 0
        assert result["time_unit"] == 60
        docs = moved(run)["Docs"]
        assert docs["shift"] == 2 * DAY
        assert datetime.fromisoformat(docs["new_start"]) == datetime(2027, 3, 3, 8, tzinfo=BERLIN)
        # Docs (2 days after Design) ends with Build: the finish does not move.
        assert result["finish_before"] == result["finish_after"]
        assert list(run.holds) == [str(wps["Docs"].pk)]
        assert schedule_of(project) == before
        assert not LevelingHold.objects.exists()
        assert AuditEvent.objects.filter(action="leveling.preview").count() == 1

    def test_preview_on_a_tight_plan_moves_the_finish(self, plan):
        """With Docs on the critical chain's resource for 4 days the finish moves out."""
        project, _, wps, _ = plan
        work_package_update(actor=project.manager, package=wps["Docs"], duration=6 * DAY)
        run = leveling_preview(actor=project.manager, project=project, time_limit=5)
        assert run.result["finish_shift"] > 0
        assert run.result["lower_bound"] <= run.result["makespan"]

    def test_impossible_demand_is_refused_naming_package_and_resource(self, plan):
        """A demand above capacity refuses the preview and stores nothing."""
        project, _, wps, people = plan
        a = people["ann"].assignments.get(work_package=wps["Docs"])
        assignment_update(actor=project.manager, assignment=a, units=150)
        with pytest.raises(ValidationError) as exc:
            leveling_preview(actor=project.manager, project=project, time_limit=1)
        assert "4 Docs needs 150 % of Ann" in str(exc.value)
        assert not LevelingRun.objects.exists()

    def test_deadline_leveling_cannot_meet_is_refused(self, plan):
        """A finish-no-later-than that only holds unleveled names the package and the resource."""
        project, _, wps, _ = plan
        for name in ("Design", "Docs"):
            work_package_update(
                actor=project.manager,
                package=wps[name],
                constraint_kind="fnlt",
                constraint_date=datetime(2027, 3, 2, 17, tzinfo=BERLIN),
            )
        with pytest.raises(ValidationError) as exc:
            leveling_preview(actor=project.manager, project=project, time_limit=1)
        message = str(exc.value)
        assert "Ann" in message and ("4 Docs" in message or "1 Design" in message)
        assert "P4" not in message and "R1" not in message
        assert not LevelingRun.objects.exists()

    def test_time_off_is_respected(self, plan):
        """Ann off on Wednesday and Thursday: Docs waits until Friday."""
        project, _, _, people = plan
        time_off_add(
            actor=project.manager,
            resource=people["ann"],
            start=date(2027, 3, 3),
            end=date(2027, 3, 4),
        )
        run = leveling_preview(actor=project.manager, project=project, time_limit=5)
        docs = moved(run)["Docs"]
        assert datetime.fromisoformat(docs["new_start"]) == datetime(2027, 3, 5, 8, tzinfo=BERLIN)

    def test_roles(self, plan):
        """Only managers level; others are refused, outsiders not told the project exists."""
        project, team, _, _ = plan
        for role in ("viewer", "contributor", "approver"):
            with pytest.raises(PermissionDenied):
                leveling_preview(actor=team[role], project=project)
        with pytest.raises(NotFound):
            leveling_preview(actor=UserFactory(), project=project)
        with pytest.raises(ValidationError):
            leveling_preview(actor=project.manager, project=project, time_limit=-1)


@pytest.mark.django_db
class LevelingApplyUndoTests:
    def test_apply_then_undo_restores_the_schedule_exactly(self, plan):
        """Apply writes holds and moves Docs; undo brings the previous schedule back."""
        project, _, wps, _ = plan
        before = schedule_of(project)
        run = leveling_preview(actor=project.manager, project=project, time_limit=5)
        run = leveling_apply(actor=project.manager, run=run)
        assert run.status == LevelingStatus.APPLIED and run.applied_at
        docs = WorkPackage.objects.get(pk=wps["Docs"].pk)
        assert docs.early_start.astimezone(BERLIN) == datetime(2027, 3, 3, 8, tzinfo=BERLIN)
        hold = LevelingHold.objects.get()
        assert hold.work_package_id == docs.pk and hold.run_id == run.pk
        assert overloads(project=project, start=date(2027, 3, 1), end=date(2027, 3, 31)) == []
        run = leveling_undo(actor=project.manager, run=run)
        assert run.status == LevelingStatus.UNDONE
        assert not LevelingHold.objects.exists()
        assert schedule_of(project) == before
        assert {"leveling.apply", "leveling.undo"} <= set(
            AuditEvent.objects.values_list("action", flat=True)
        )

    def test_second_run_replaces_holds_and_undo_restores_the_first(self, plan):
        """Undoing the latest run brings back the holds of the run before, exactly."""
        project, _, wps, _ = plan
        first = leveling_apply(
            actor=project.manager,
            run=leveling_preview(actor=project.manager, project=project, time_limit=5),
        )
        first_holds = list(LevelingHold.objects.values_list("run_id", "work_package_id", "start"))
        after_first = schedule_of(project)
        work_package_update(actor=project.manager, package=wps["Design"], duration=3 * DAY)
        second = leveling_apply(
            actor=project.manager,
            run=leveling_preview(actor=project.manager, project=project, time_limit=5),
        )
        assert LevelingHold.objects.get().run_id == second.pk
        with pytest.raises(Conflict):
            leveling_undo(actor=project.manager, run=first)  # not the latest
        leveling_undo(actor=project.manager, run=second)
        assert (
            list(LevelingHold.objects.values_list("run_id", "work_package_id", "start"))
            == first_holds
        )
        work_package_update(actor=project.manager, package=wps["Design"], duration=2 * DAY)
        assert schedule_of(project) == after_first

    def test_stale_preview_is_refused(self, plan):
        """A preview made before the plan changed cannot be applied."""
        project, _, wps, _ = plan
        run = leveling_preview(actor=project.manager, project=project, time_limit=5)
        work_package_update(actor=project.manager, package=wps["Build"], duration=4 * DAY)
        with pytest.raises(Conflict) as exc:
            leveling_apply(actor=project.manager, run=run)
        assert "changed since" in exc.value.message
        assert not LevelingHold.objects.exists()
        run.refresh_from_db()
        assert run.status == LevelingStatus.PREVIEW

    def test_resource_changes_make_a_preview_stale(self, plan):
        """Time off or a changed assignment after the preview refuses it too."""
        project, _, wps, people = plan
        run = leveling_preview(actor=project.manager, project=project, time_limit=1)
        time_off_add(
            actor=project.manager,
            resource=people["bob"],
            start=date(2027, 4, 1),
            end=date(2027, 4, 2),
        )
        with pytest.raises(Conflict):
            leveling_apply(actor=project.manager, run=run)
        run = leveling_preview(actor=project.manager, project=project, time_limit=1)
        a = people["bob"].assignments.get(work_package=wps["Build"])
        assignment_update(actor=project.manager, assignment=a, units=80)
        with pytest.raises(Conflict):
            leveling_apply(actor=project.manager, run=run)

    def test_discard_and_states(self, plan):
        """A discarded preview cannot be applied; an unapplied run cannot be undone."""
        project, team, _, _ = plan
        run = leveling_preview(actor=project.manager, project=project, time_limit=1)
        with pytest.raises(Conflict):
            leveling_undo(actor=project.manager, run=run)
        with pytest.raises(PermissionDenied):
            leveling_discard(actor=team["contributor"], run=run)
        run = leveling_discard(actor=project.manager, run=run)
        assert run.status == LevelingStatus.DISCARDED
        with pytest.raises(Conflict):
            leveling_apply(actor=project.manager, run=run)
        with pytest.raises(Conflict):
            leveling_discard(actor=project.manager, run=run)
