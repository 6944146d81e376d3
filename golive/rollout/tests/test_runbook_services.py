"""Runbooks and steps: create, edit, delete, replace the whole list, and every rule they keep."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from golive.audit.models import AuditEvent
from golive.errors import Conflict, NotFound
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.resources.tests.factories import ResourceFactory
from golive.rollout.models import Runbook, Step
from golive.rollout.selectors.runbooks import runbook_get, runbook_list, runbook_timeline
from golive.rollout.services.runbooks import (
    runbook_create,
    runbook_delete,
    runbook_steps_replace,
    runbook_update,
    step_create,
    step_delete,
    step_update,
)
from golive.rollout.tests.factories import (
    CommunicationFactory,
    MigrationCheckFactory,
    RollbackPlanFactory,
    RunbookFactory,
    RunFactory,
    StepFactory,
)


@pytest.fixture
def world(db):
    project = ProjectFactory(key="RBK")
    team = team_for(project)
    runbook = RunbookFactory(project=project, name="cutover")
    return project, team, runbook


def messages(exc):
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


@pytest.mark.django_db
class RunbookCreateTests:
    def test_creates_and_audits(self, world):
        """A manager creates a runbook; the audit records it."""
        project, team, _ = world
        runbook = runbook_create(
            actor=team["manager"],
            project=project,
            name="deploy",
            title="Deploy",
            owner="rbk-contributor",
        )
        assert runbook.owner == team["contributor"]
        assert AuditEvent.objects.filter(
            action="runbook.create", object_id=str(runbook.pk)
        ).exists()

    def test_rollback_plan_needs_rto(self, world):
        """A rollback runbook without an RTO is refused on rto_minutes."""
        project, team, _ = world
        with pytest.raises(ValidationError) as exc:
            runbook_create(
                actor=team["manager"],
                project=project,
                name="rb",
                title="Rb",
                owner=team["manager"],
                kind="rollback",
            )
        assert "rto_minutes" in exc.value.message_dict

    def test_rollback_plan_must_be_a_rollback_runbook_of_the_project(self, world):
        """rollback_plan names a rollback runbook of the same project."""
        project, team, runbook = world
        with pytest.raises(ValidationError) as exc:
            runbook_create(
                actor=team["manager"],
                project=project,
                name="x",
                title="X",
                owner=team["manager"],
                rollback_plan=runbook,
            )
        assert "kind rollback" in exc.value.message_dict["rollback_plan"][0]
        other = RollbackPlanFactory(project=ProjectFactory(key="OTR"))
        with pytest.raises(ValidationError) as exc:
            runbook_create(
                actor=team["manager"],
                project=project,
                name="y",
                title="Y",
                owner=team["manager"],
                rollback_plan=other,
            )
        assert "rollback_plan" in exc.value.message_dict

    def test_owner_must_be_a_member(self, world):
        """An owner outside the project is refused."""
        project, team, _ = world
        stranger = UserFactory(username="stranger")
        with pytest.raises(ValidationError) as exc:
            runbook_create(
                actor=team["manager"], project=project, name="z", title="Z", owner=stranger
            )
        assert "not a member" in exc.value.message_dict["owner"][0]

    @pytest.mark.parametrize("role", ["viewer", "contributor", "approver"])
    def test_below_manager_is_refused(self, world, role):
        """Only managers plan runbooks."""
        project, team, _ = world
        with pytest.raises(PermissionDenied):
            runbook_create(actor=team[role], project=project, name="q", title="Q", owner=team[role])

    def test_outsider_gets_not_found(self, world):
        """Someone outside the project does not learn it exists."""
        project, _, _ = world
        outsider = ProjectFactory(key="OUT").manager
        with pytest.raises(NotFound):
            runbook_create(actor=outsider, project=project, name="q", title="Q", owner=outsider)


@pytest.mark.django_db
class RunbookUpdateTests:
    def test_stale_version_conflicts(self, world):
        """An update against an old version raises Conflict and changes nothing."""
        _, team, runbook = world
        runbook_update(actor=team["manager"], runbook=runbook, version=1, title="New")
        with pytest.raises(Conflict):
            runbook_update(actor=team["manager"], runbook=runbook, version=1, title="Newer")
        runbook.refresh_from_db()
        assert (runbook.title, runbook.version) == ("New", 2)

    def test_rollback_plan_cannot_be_removed_under_a_trigger(self, world):
        """A runbook with a rollback trigger keeps its rollback plan."""
        project, team, runbook = world
        plan = RollbackPlanFactory(project=project)
        runbook_update(actor=team["manager"], runbook=runbook, rollback_plan=plan.name)
        step_create(
            actor=team["manager"],
            runbook=runbook,
            key="go-back",
            title="Go back",
            kind="rollback_trigger",
        )
        with pytest.raises(ValidationError) as exc:
            runbook_update(actor=team["manager"], runbook=runbook, rollback_plan=None)
        assert "go-back" in exc.value.message_dict["rollback_plan"][0]

    def test_unknown_field_refused(self, world):
        """Fields outside the updatable set are refused by name."""
        _, team, runbook = world
        with pytest.raises(ValidationError) as exc:
            runbook_update(actor=team["manager"], runbook=runbook, project=None)
        assert "project" in exc.value.message_dict


@pytest.mark.django_db
class RunbookDeleteTests:
    def test_deletes_without_runs(self, world):
        """A runbook never run is deleted with its steps, audited."""
        _, team, runbook = world
        StepFactory(runbook=runbook)
        pk = runbook.pk
        runbook_delete(actor=team["manager"], runbook=runbook)
        assert not Runbook.objects.filter(pk=pk).exists()
        assert AuditEvent.objects.filter(action="runbook.delete", object_id=str(pk)).exists()

    def test_a_rollback_plan_in_use_is_kept(self, world):
        """A rollback plan named by another runbook is neither deleted nor turned into a cutover."""
        project, team, runbook = world
        plan = RollbackPlanFactory(project=project, name="restore")
        runbook_update(actor=team["manager"], runbook=runbook, rollback_plan="restore")
        with pytest.raises(ValidationError) as exc:
            runbook_delete(actor=team["manager"], runbook=plan)
        assert "cutover" in exc.value.message_dict["runbook"][0]
        with pytest.raises(ValidationError) as exc:
            runbook_update(actor=team["manager"], runbook=plan, kind="cutover")
        assert "kind" in exc.value.message_dict
        assert Runbook.objects.filter(pk=plan.pk, kind="rollback").exists()

    def test_refused_with_runs(self, world):
        """A runbook that has been run is kept as evidence."""
        _, team, runbook = world
        RunFactory(runbook=runbook, status="succeeded")
        with pytest.raises(ValidationError) as exc:
            runbook_delete(actor=team["manager"], runbook=runbook)
        assert "evidence" in exc.value.message_dict["runbook"][0]


@pytest.mark.django_db
class StepCreateTests:
    def test_creates_at_the_end_with_links(self, world):
        """A step is appended, its predecessors and owner set, and audited."""
        _, team, runbook = world
        first = step_create(actor=team["manager"], runbook=runbook, key="freeze", title="Freeze")
        second = step_create(
            actor=team["manager"],
            runbook=runbook,
            key="backup",
            title="Backup",
            depends_on=["freeze"],
            owner="rbk-contributor",
            duration_minutes=20,
        )
        assert second.position == first.position + 1
        assert list(second.depends_on.values_list("key", flat=True)) == ["freeze"]
        assert AuditEvent.objects.filter(action="step.create").count() == 2

    def test_cross_runbook_dependency_refused(self, world):
        """A step depends only on steps of its own runbook."""
        project, team, runbook = world
        other = StepFactory(runbook=RunbookFactory(project=project), key="elsewhere")
        with pytest.raises(ValidationError) as exc:
            step_create(
                actor=team["manager"], runbook=runbook, key="a", title="A", depends_on=[other]
            )
        assert "own runbook" in exc.value.message_dict["depends_on"][0]

    def test_decision_needs_approvers_with_the_role(self, world):
        """A decision point needs approvers, and each has the approver role."""
        _, team, runbook = world
        with pytest.raises(ValidationError) as exc:
            step_create(
                actor=team["manager"], runbook=runbook, key="go", title="Go", kind="decision"
            )
        assert "approver" in exc.value.message_dict["approvers"][0]
        with pytest.raises(ValidationError) as exc:
            step_create(
                actor=team["manager"],
                runbook=runbook,
                key="go",
                title="Go",
                kind="decision",
                approvers=[team["contributor"]],
            )
        assert "approver role" in exc.value.message_dict["approvers"][0]
        step = step_create(
            actor=team["manager"],
            runbook=runbook,
            key="go",
            title="Go",
            kind="decision",
            approvers=["rbk-approver", team["manager"]],
        )
        assert set(step.approvers.all()) == {team["approver"], team["manager"]}

    def test_check_needs_expected_value_or_migration_check(self, world):
        """A check without expected value or migration check is refused; either one suffices."""
        project, team, runbook = world
        with pytest.raises(ValidationError) as exc:
            step_create(actor=team["manager"], runbook=runbook, key="c", title="C", kind="check")
        assert "expected_value" in exc.value.message_dict
        step_create(
            actor=team["manager"],
            runbook=runbook,
            key="c1",
            title="C",
            kind="check",
            expected_value="42",
        )
        check = MigrationCheckFactory(project=project)
        step_create(
            actor=team["manager"],
            runbook=runbook,
            key="c2",
            title="C",
            kind="check",
            migration_check=check.name,
        )

    def test_communication_needs_one_of_the_project(self, world):
        """A communication step needs a communication, and of the same project."""
        project, team, runbook = world
        with pytest.raises(ValidationError) as exc:
            step_create(
                actor=team["manager"], runbook=runbook, key="m", title="M", kind="communication"
            )
        assert "communication" in exc.value.message_dict
        foreign = CommunicationFactory(project=ProjectFactory(key="FOR"))
        with pytest.raises(ValidationError):
            step_create(
                actor=team["manager"],
                runbook=runbook,
                key="m",
                title="M",
                kind="communication",
                communication=foreign,
            )
        mine = CommunicationFactory(project=project)
        step_create(
            actor=team["manager"],
            runbook=runbook,
            key="m",
            title="M",
            kind="communication",
            communication=mine,
        )

    def test_rollback_trigger_needs_a_rollback_plan(self, world):
        """A rollback trigger is refused on a runbook without rollback plan."""
        _, team, runbook = world
        with pytest.raises(ValidationError) as exc:
            step_create(
                actor=team["manager"], runbook=runbook, key="r", title="R", kind="rollback_trigger"
            )
        assert "rollback plan" in messages(exc)

    def test_owner_team_must_be_a_team_of_the_project(self, world):
        """owner_team is a resource of kind team of the project."""
        project, team, runbook = world
        person = ResourceFactory(project=project, name="Ann", kind="person")
        with pytest.raises(ValidationError) as exc:
            step_create(
                actor=team["manager"], runbook=runbook, key="t", title="T", owner_team=person
            )
        assert "not a team" in exc.value.message_dict["owner_team"][0]
        dba = ResourceFactory(project=project, name="DBA team", kind="team")
        step = step_create(
            actor=team["manager"], runbook=runbook, key="t", title="T", owner_team="DBA team"
        )
        assert step.owner_team == dba

    def test_owner_must_be_a_member(self, world):
        """A step owner outside the project is refused."""
        _, team, runbook = world
        UserFactory(username="nobody")
        with pytest.raises(ValidationError) as exc:
            step_create(actor=team["manager"], runbook=runbook, key="o", title="O", owner="nobody")
        assert "owner" in exc.value.message_dict

    def test_contributor_refused(self, world):
        """Contributors do not edit runbooks."""
        _, team, runbook = world
        with pytest.raises(PermissionDenied):
            step_create(actor=team["contributor"], runbook=runbook, key="o", title="O")


@pytest.mark.django_db
class StepUpdateTests:
    def test_cycle_refused_naming_the_steps(self, world):
        """A dependency closing a loop is refused, naming the steps in the cycle."""
        _, team, runbook = world
        a = StepFactory(runbook=runbook, key="a")
        b = StepFactory(runbook=runbook, key="b", depends_on=[a])
        StepFactory(runbook=runbook, key="c", depends_on=[b])
        with pytest.raises(ValidationError) as exc:
            step_update(actor=team["manager"], step=a, depends_on=["c"])
        text = exc.value.message_dict["depends_on"][0]
        assert "cycle" in text and all(k in text for k in ("a", "b", "c"))
        assert list(a.depends_on.all()) == []

    def test_renamed_step_keeps_its_successors(self, world):
        """Renaming a step while changing its predecessors keeps the links that point at it."""
        _, team, runbook = world
        a = StepFactory(runbook=runbook, key="a")
        b = StepFactory(runbook=runbook, key="b")
        c = StepFactory(runbook=runbook, key="c", depends_on=[b])
        step_update(actor=team["manager"], step=b, key="b2", depends_on=["a"])
        assert list(c.depends_on.values_list("key", flat=True)) == ["b2"]
        with pytest.raises(ValidationError) as exc:
            step_update(actor=team["manager"], step=a, depends_on=["c"])
        assert "b2" in exc.value.message_dict["depends_on"][0]

    def test_self_dependency_refused(self, world):
        """A step cannot wait for itself."""
        _, team, runbook = world
        a = StepFactory(runbook=runbook, key="a")
        with pytest.raises(ValidationError):
            step_update(actor=team["manager"], step=a, depends_on=["a"])

    def test_updates_and_bumps_version(self, world):
        """An update changes the fields and the version; a stale version conflicts."""
        _, team, runbook = world
        a = StepFactory(runbook=runbook, key="a")
        a = step_update(actor=team["manager"], step=a, version=1, duration_minutes=45)
        assert (a.duration_minutes, a.version) == (45, 2)
        with pytest.raises(Conflict):
            step_update(actor=team["manager"], step=a, version=1, title="Late")

    def test_kind_change_keeps_rules(self, world):
        """Turning a step into a check without expected value is refused."""
        _, team, runbook = world
        a = StepFactory(runbook=runbook, key="a")
        with pytest.raises(ValidationError):
            step_update(actor=team["manager"], step=a, kind="check")


@pytest.mark.django_db
class StepDeleteTests:
    def test_deletes_and_unlinks(self, world):
        """Deleting a step removes it from its successors' predecessors."""
        _, team, runbook = world
        a = StepFactory(runbook=runbook, key="a")
        b = StepFactory(runbook=runbook, key="b", depends_on=[a])
        step_delete(actor=team["manager"], step=a)
        assert list(b.depends_on.all()) == []
        assert AuditEvent.objects.filter(action="step.delete").exists()


@pytest.mark.django_db
class RunbookStepsReplaceTests:
    def test_replaces_the_list_by_key(self, world):
        """Existing keys are updated, new ones added, missing ones removed, links by key."""
        _, team, runbook = world
        StepFactory(runbook=runbook, key="old")
        kept = StepFactory(runbook=runbook, key="freeze", title="Old title")
        steps = runbook_steps_replace(
            actor=team["manager"],
            runbook=runbook,
            steps=[
                {"key": "freeze", "title": "Freeze", "duration_minutes": 10},
                {
                    "key": "verify",
                    "title": "Verify",
                    "kind": "check",
                    "expected_value": "ok",
                    "depends_on": ["freeze"],
                },
            ],
        )
        assert [s.key for s in steps] == ["freeze", "verify"]
        assert steps[0].pk == kept.pk and steps[0].title == "Freeze"
        assert set(runbook.steps.values_list("key", flat=True)) == {"freeze", "verify"}
        assert list(steps[1].depends_on.values_list("key", flat=True)) == ["freeze"]
        assert AuditEvent.objects.filter(action="runbook.steps_replace").count() == 1

    def test_cycle_refused_and_nothing_saved(self, world):
        """A cycle in the imported list is refused naming its steps; the old list stays."""
        _, team, runbook = world
        StepFactory(runbook=runbook, key="old")
        before = AuditEvent.objects.count()
        with pytest.raises(ValidationError) as exc:
            runbook_steps_replace(
                actor=team["manager"],
                runbook=runbook,
                steps=[
                    {"key": "x", "title": "X", "depends_on": ["z"]},
                    {"key": "y", "title": "Y", "depends_on": ["x"]},
                    {"key": "z", "title": "Z", "depends_on": ["y"]},
                ],
            )
        text = " ".join(exc.value.message_dict["steps"])
        assert "cycle" in text and all(k in text for k in ("x", "y", "z"))
        assert list(runbook.steps.values_list("key", flat=True)) == ["old"]
        assert AuditEvent.objects.count() == before

    def test_every_bad_step_is_reported_and_nothing_saved(self, world):
        """Each invalid step is named in the error; no step is written."""
        _, team, runbook = world
        with pytest.raises(ValidationError) as exc:
            runbook_steps_replace(
                actor=team["manager"],
                runbook=runbook,
                steps=[
                    {"key": "fine", "title": "Fine"},
                    {"key": "chk", "title": "Check", "kind": "check"},
                    {"key": "dec", "title": "Decide", "kind": "decision"},
                ],
            )
        text = " ".join(exc.value.message_dict["steps"])
        assert "chk" in text and "dec" in text
        assert not Step.objects.filter(runbook=runbook).exists()

    def test_unknown_predecessor_and_duplicate_key(self, world):
        """A predecessor outside the list, or a key given twice, is refused."""
        _, team, runbook = world
        with pytest.raises(ValidationError) as exc:
            runbook_steps_replace(
                actor=team["manager"],
                runbook=runbook,
                steps=[{"key": "a", "title": "A", "depends_on": ["ghost"]}],
            )
        assert "ghost" in exc.value.message_dict["steps"][0]
        with pytest.raises(ValidationError) as exc:
            runbook_steps_replace(
                actor=team["manager"],
                runbook=runbook,
                steps=[{"key": "a", "title": "A"}, {"key": "a", "title": "A again"}],
            )
        assert "more than once" in exc.value.message_dict["steps"][0]

    def test_allowed_while_runs_exist(self, world):
        """Runs keep their copies: replacing the steps of a runbook that has run is allowed."""
        _, team, runbook = world
        RunFactory(runbook=runbook, status="succeeded")
        runbook_steps_replace(
            actor=team["manager"], runbook=runbook, steps=[{"key": "a", "title": "A"}]
        )
        assert runbook.steps.count() == 1


@pytest.mark.django_db
class RunbookSelectorTests:
    def test_list_and_get(self, world):
        """Viewers list and read runbooks; outsiders get NotFound; unknown names too."""
        project, team, runbook = world
        assert list(runbook_list(user=team["viewer"], project=project)) == [runbook]
        assert runbook_get(user=team["viewer"], project=project, name="cutover") == runbook
        with pytest.raises(NotFound):
            runbook_get(user=team["viewer"], project=project, name="nope")
        with pytest.raises(NotFound):
            runbook_list(user=ProjectFactory(key="OUX").manager, project=project)

    def test_timeline_is_cpm_in_minutes_with_offsets(self, world):
        """Early/late dates, float and the critical path in minutes; an offset is a start-no-earlier-than."""
        _, _, runbook = world
        notice = StepFactory(runbook=runbook, key="notice", duration_minutes=5, offset_minutes=-60)
        freeze = StepFactory(runbook=runbook, key="freeze", duration_minutes=30)
        backup = StepFactory(
            runbook=runbook, key="backup", duration_minutes=60, depends_on=[freeze]
        )
        StepFactory(runbook=runbook, key="smoke", duration_minutes=10, depends_on=[freeze])
        StepFactory(
            runbook=runbook,
            key="open",
            duration_minutes=15,
            offset_minutes=120,
            depends_on=[backup, notice],
        )
        timeline = runbook_timeline(runbook)
        rows = {r["key"]: r for r in timeline["steps"]}
        assert rows["notice"]["early_start"] == -60 and rows["notice"]["planned"] == "T-1:00"
        assert rows["freeze"]["early_start"] == 0 and rows["freeze"]["planned"] == "T0"
        assert rows["backup"]["early_start"] == 30
        assert rows["open"]["early_start"] == 120 and rows["open"]["planned"] == "T+2:00"
        assert rows["smoke"]["total_float"] == 135 - 40 and not rows["smoke"]["critical"]
        assert timeline["finish"] == 135
        assert timeline["critical_path"][-1] == "open"
