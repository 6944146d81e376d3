"""Defects: report, numbering, the workflow with every refused transition, retest, the flag."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from golive.audit.models import AuditEvent
from golive.errors import Conflict, NotFound
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.quality.models import Defect, DefectStatus, Outcome, Severity
from golive.quality.selectors.defects import defect_get, defect_list
from golive.quality.services.defects import (
    TRANSITIONS,
    allowed_actions,
    defect_flag_set,
    defect_report,
    defect_transition,
    defect_update,
)
from golive.quality.tests.factories import (
    RequirementFactory,
    TestCaseFactory,
    TestResultFactory,
    TestRunFactory,
)


@pytest.fixture
def world(db):
    project = ProjectFactory(key="DEF")
    team = team_for(project)
    case = TestCaseFactory(project=project, key="login::wrong_password")
    run = TestRunFactory(project=project, name="Sprint 1")
    failed = TestResultFactory(run=run, case=case, outcome=Outcome.FAILED)
    return project, team, case, failed


def report(project, actor, **kwargs):
    kwargs.setdefault("title", "Login accepts a wrong password")
    return defect_report(actor=actor, project=project, **kwargs)


def walk(defect, actor, *actions, **kwargs):
    for action in actions:
        defect = defect_transition(actor=actor, defect=defect, action=action, **kwargs)
    return defect


def passing_retest(case, defect, minutes=5):
    run = TestRunFactory(project=case.project)
    return TestResultFactory(
        run=run,
        case=case,
        outcome=Outcome.PASSED,
        executed_at=defect.fixed_at + dt.timedelta(minutes=minutes),
    )


@pytest.mark.django_db
class DefectReportTests:
    def test_numbers_are_sequential_per_project(self, world):
        """DEF-1, DEF-2 in one project; another project starts again at DEF-1."""
        project, team, _, _ = world
        first = report(project, team["contributor"])
        second = report(project, team["contributor"], title="Second")
        other = ProjectFactory(key="OTH")
        elsewhere = report(other, other.manager)
        assert (first.ref, second.ref, elsewhere.ref) == ("DEF-1", "DEF-2", "DEF-1")

    def test_defaults_and_found_in_case_is_linked(self, world):
        """A new defect is new, medium, priority 3, and linked to the case it was found in."""
        project, team, case, failed = world
        defect = report(project, team["contributor"], found_in=failed)
        assert defect.status == DefectStatus.NEW
        assert defect.severity == Severity.MEDIUM
        assert defect.priority == 3
        assert defect.reporter == team["contributor"]
        assert list(defect.cases.values_list("key", flat=True)) == [case.key]
        assert not defect.blocks_go_live
        event = AuditEvent.objects.filter(action="defect.report").get()
        assert event.changes["number"] == [None, 1]
        assert event.changes["cases"] == [None, [case.key]]

    def test_critical_blocks_go_live_by_default(self, world):
        """Severity critical (by name or value) sets blocks_go_live."""
        project, team, _, _ = world
        assert report(project, team["contributor"], severity="critical").blocks_go_live
        assert report(project, team["contributor"], severity=int(Severity.CRITICAL)).blocks_go_live
        assert not report(project, team["contributor"], severity="high").blocks_go_live

    def test_links_by_key_ref_and_wbs(self, world):
        """Cases by key, requirements by ref; unknown ones are refused naming them."""
        project, team, case, _ = world
        req = RequirementFactory(project=project, ref="REQ-1")
        defect = report(project, team["contributor"], cases=[case.key], requirements=["REQ-1"])
        assert list(defect.requirements.all()) == [req]
        with pytest.raises(ValidationError, match="no requirement REQ-404"):
            report(project, team["contributor"], requirements=["REQ-404"])
        with pytest.raises(ValidationError, match="no test case nope::x"):
            report(project, team["contributor"], cases=["nope::x"])
        with pytest.raises(ValidationError, match=r"no work package 9\.9"):
            report(project, team["contributor"], work_packages=["9.9"])

    def test_result_of_another_project_is_refused(self, world):
        """found_in must be a result of the same project."""
        project, team, _, _ = world
        foreign = TestResultFactory()
        with pytest.raises(ValidationError, match="no test result"):
            report(project, team["contributor"], found_in=foreign)

    def test_bad_input_is_refused(self, world):
        """Unknown severity, priority out of range, empty title, non-member assignee."""
        project, team, _, _ = world
        actor = team["contributor"]
        with pytest.raises(ValidationError, match="not a severity"):
            report(project, actor, severity="urgent")
        with pytest.raises(ValidationError, match="priority"):
            report(project, actor, priority=9)
        with pytest.raises(ValidationError, match="title"):
            report(project, actor, title="  ")
        with pytest.raises(ValidationError, match="not a member"):
            report(project, actor, assignee=UserFactory())
        assert not Defect.objects.exists()

    def test_roles(self, world):
        """Viewers cannot report; outsiders do not learn the project exists."""
        project, team, _, _ = world
        with pytest.raises(PermissionDenied):
            report(project, team["viewer"])
        with pytest.raises(NotFound):
            report(project, UserFactory())


@pytest.mark.django_db(transaction=True)
class DefectNumberConcurrencyTests:
    def test_parallel_reports_get_distinct_numbers(self):
        """Reports racing in several threads each get their own number."""
        if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict.get("NAME")):
            pytest.skip("in-memory SQLite is not shared between threads")
        project = ProjectFactory(key="RACE")
        errors = []

        def one(i):
            try:
                report(project, project.manager, title=f"Race {i}")
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        numbers = sorted(Defect.objects.filter(project=project).values_list("number", flat=True))
        assert not errors
        assert numbers == [1, 2, 3, 4]


@pytest.mark.django_db
class DefectWorkflowTests:
    def test_full_path_to_closed_after_retest(self, world):
        """new → triaged → in progress → fixed → retest → closed with a passing retest."""
        project, team, case, failed = world
        actor = team["contributor"]
        defect = report(project, actor, found_in=failed)
        defect = walk(defect, actor, "triage", "start", "fix", "retest")
        assert defect.status == DefectStatus.RETEST
        assert defect.fixed_at is not None
        retest = passing_retest(case, defect)
        defect = defect_transition(actor=actor, defect=defect, action="close")
        assert defect.status == DefectStatus.CLOSED
        assert defect.resolution == "fixed"
        assert defect.retest_result == retest
        assert defect.closed_at is not None
        actions = list(
            AuditEvent.objects.filter(object_type="quality.defect")
            .order_by("seq")
            .values_list("action", flat=True)
        )
        assert actions == [
            "defect.report",
            "defect.triage",
            "defect.start",
            "defect.fix",
            "defect.retest",
            "defect.close",
        ]

    def test_close_needs_a_pass_after_the_fix(self, world):
        """A pass before fixed_at or a failure after it does not close the defect."""
        project, team, case, failed = world
        actor = team["contributor"]
        defect = walk(report(project, actor, found_in=failed), actor, "triage", "start", "fix")
        defect = walk(defect, actor, "retest")
        TestResultFactory(
            run=TestRunFactory(project=project),
            case=case,
            outcome=Outcome.PASSED,
            executed_at=defect.fixed_at - dt.timedelta(hours=1),
        )
        TestResultFactory(
            run=TestRunFactory(project=project),
            case=case,
            outcome=Outcome.FAILED,
            executed_at=defect.fixed_at + dt.timedelta(hours=1),
        )
        with pytest.raises(ValidationError, match="has passed since it was fixed") as exc:
            defect_transition(actor=actor, defect=defect, action="close")
        assert case.key in str(exc.value)
        defect.refresh_from_db()
        assert defect.status == DefectStatus.RETEST

    def test_retest_counts_linked_cases_too(self, world):
        """A pass of any linked case (not only the found-in case) is a retest."""
        project, team, _, _ = world
        actor = team["contributor"]
        other = TestCaseFactory(project=project, key="login::lockout")
        defect = walk(report(project, actor, cases=[other]), actor, "triage", "start", "fix")
        defect = walk(defect, actor, "retest")
        retest = passing_retest(other, defect)
        defect = defect_transition(actor=actor, defect=defect, action="close")
        assert defect.retest_result == retest

    def test_close_without_cases_is_refused(self, world):
        """A defect linked to no case cannot show a retest."""
        project, team, _, _ = world
        actor = team["contributor"]
        defect = walk(report(project, actor), actor, "triage", "start", "fix", "retest")
        with pytest.raises(ValidationError, match="linked to no test case"):
            defect_transition(actor=actor, defect=defect, action="close")

    def test_retest_close_as_rejected_is_refused(self, world):
        """A retested defect closes as fixed only."""
        project, team, case, failed = world
        actor = team["contributor"]
        defect = walk(report(project, actor, found_in=failed), actor, "triage", "start", "fix")
        defect = walk(defect, actor, "retest")
        passing_retest(case, defect)
        with pytest.raises(ValidationError, match="closes as fixed"):
            defect_transition(
                actor=actor, defect=defect, action="close", resolution="rejected", reason="x"
            )

    @pytest.mark.parametrize("status", ["new", "triaged"])
    @pytest.mark.parametrize("resolution", ["rejected", "duplicate"])
    def test_reject_or_duplicate_from_new_or_triaged(self, world, status, resolution):
        """New and triaged defects close as rejected or duplicate, with a reason."""
        project, team, _, _ = world
        actor = team["contributor"]
        defect = report(project, actor)
        if status == "triaged":
            defect = walk(defect, actor, "triage")
        with pytest.raises(ValidationError, match="Say why"):
            defect_transition(actor=actor, defect=defect, action="close", resolution=resolution)
        with pytest.raises(ValidationError, match="rejected or duplicate"):
            defect_transition(actor=actor, defect=defect, action="close", reason="meh")
        defect = defect_transition(
            actor=actor,
            defect=defect,
            action="close",
            resolution=resolution,
            reason="Works as designed",
        )
        assert (defect.status, defect.resolution) == ("closed", resolution)
        event = AuditEvent.objects.filter(action="defect.close").get()
        assert event.changes["reason"] == [None, "Works as designed"]

    def test_reopen_needs_reason_and_restarts(self, world):
        """A closed defect reopens with a reason, clears its closure and starts again."""
        project, team, case, failed = world
        actor = team["contributor"]
        defect = walk(report(project, actor, found_in=failed), actor, "triage", "start", "fix")
        defect = walk(defect, actor, "retest")
        passing_retest(case, defect)
        defect = walk(defect, actor, "close")
        with pytest.raises(ValidationError, match="Say why"):
            defect_transition(actor=actor, defect=defect, action="reopen")
        defect = defect_transition(actor=actor, defect=defect, action="reopen", reason="Back")
        assert defect.status == DefectStatus.REOPENED
        assert (defect.resolution, defect.closed_at, defect.retest_result) == ("", None, None)
        defect = walk(defect, actor, "start")
        assert defect.status == DefectStatus.IN_PROGRESS

    def test_reopen_from_retest(self, world):
        """A retest that fails sends the defect back: retest → reopened."""
        project, team, _, failed = world
        actor = team["contributor"]
        defect = walk(report(project, actor, found_in=failed), actor, "triage", "start", "fix")
        defect = walk(defect, actor, "retest")
        defect = defect_transition(
            actor=actor, defect=defect, action="reopen", reason="Still fails"
        )
        assert defect.status == DefectStatus.REOPENED

    def test_every_refused_transition_names_status_and_allowed(self, world):
        """Each action not allowed from a status is refused naming the status and the allowed."""
        project, team, case, failed = world
        actor = team["contributor"]
        paths = {
            "new": [],
            "triaged": ["triage"],
            "in_progress": ["triage", "start"],
            "fixed": ["triage", "start", "fix"],
            "retest": ["triage", "start", "fix", "retest"],
            "closed": ["triage", "start", "fix", "retest", "close"],
            "reopened": ["triage", "start", "fix", "retest", "close", "reopen"],
        }
        expected_allowed = {
            "new": ["triage", "close"],
            "triaged": ["start", "close"],
            "in_progress": ["fix"],
            "fixed": ["retest"],
            "retest": ["close", "reopen"],
            "closed": ["reopen"],
            "reopened": ["start"],
        }
        refused = 0
        for status, path in paths.items():
            defect = report(project, actor, found_in=failed, title=status)
            for action in path:
                if action == "close":
                    passing_retest(case, defect)
                defect = defect_transition(actor=actor, defect=defect, action=action, reason="r")
            assert defect.status == status
            assert allowed_actions(status) == expected_allowed[status]
            for action in TRANSITIONS:
                if action in expected_allowed[status]:
                    continue
                with pytest.raises(ValidationError) as exc:
                    defect_transition(actor=actor, defect=defect, action=action, reason="r")
                message = str(exc.value)
                assert f"({status})" in message
                assert "Allowed: " + ", ".join(expected_allowed[status]) in message
                refused += 1
            defect.refresh_from_db()
            assert defect.status == status
        assert refused == 7 * 6 - sum(len(v) for v in expected_allowed.values())

    def test_unknown_action(self, world):
        """An unknown action is refused listing the actions."""
        project, team, _, _ = world
        defect = report(project, team["contributor"])
        with pytest.raises(ValidationError, match="triage, start, fix"):
            defect_transition(actor=team["contributor"], defect=defect, action="explode")

    def test_stale_version_is_refused(self, world):
        """A transition against an outdated version raises Conflict."""
        project, team, _, _ = world
        defect = report(project, team["contributor"])
        walk(defect, team["contributor"], "triage")
        with pytest.raises(Conflict):
            defect_transition(actor=team["contributor"], defect=defect, action="start", version=1)

    def test_assignee_set_on_transition(self, world):
        """Triage may assign the defect to a member."""
        project, team, _, _ = world
        defect = report(project, team["contributor"])
        defect = defect_transition(
            actor=team["contributor"],
            defect=defect,
            action="triage",
            assignee=team["approver"].username,
        )
        assert defect.assignee == team["approver"]

    def test_viewer_cannot_work_defects(self, world):
        """Viewers cannot move a defect."""
        project, team, _, _ = world
        defect = report(project, team["contributor"])
        with pytest.raises(PermissionDenied):
            defect_transition(actor=team["viewer"], defect=defect, action="triage")


@pytest.mark.django_db
class DefectUpdateAndFlagTests:
    def test_flag_follows_severity_changes(self, world):
        """Raising to critical blocks go-live; lowering again unblocks."""
        project, team, _, _ = world
        actor = team["contributor"]
        defect = report(project, actor, severity="high")
        defect = defect_update(actor=actor, defect=defect, severity="critical")
        assert defect.blocks_go_live
        defect = defect_update(actor=actor, defect=defect, severity="medium")
        assert not defect.blocks_go_live

    def test_manager_flag_with_reason_sticks(self, world):
        """A flag set by a manager with a reason no longer follows severity."""
        project, team, _, _ = world
        defect = report(project, team["contributor"], severity="high")
        defect = defect_flag_set(
            actor=project.manager, defect=defect, blocks_go_live=True, reason="Payroll blocker"
        )
        assert defect.blocks_go_live and defect.block_reason == "Payroll blocker"
        defect = defect_update(actor=team["contributor"], defect=defect, severity="low")
        assert defect.blocks_go_live
        event = AuditEvent.objects.filter(action="defect.flag").get()
        assert event.changes["blocks_go_live"] == [False, True]

    def test_manager_can_unflag_a_critical(self, world):
        """A critical defect may be accepted for go-live by a manager, with a reason."""
        project, team, _, _ = world
        defect = report(project, team["contributor"], severity="critical")
        defect = defect_flag_set(
            actor=project.manager, defect=defect, blocks_go_live=False, reason="Workaround"
        )
        assert not defect.blocks_go_live
        defect = defect_update(actor=team["contributor"], defect=defect, severity="critical")
        assert not defect.blocks_go_live

    def test_flag_needs_manager_and_reason(self, world):
        """Approvers may not change the flag; a manager must give a reason."""
        project, team, _, _ = world
        defect = report(project, team["contributor"])
        with pytest.raises(PermissionDenied):
            defect_flag_set(actor=team["approver"], defect=defect, blocks_go_live=True, reason="x")
        with pytest.raises(ValidationError, match="Say why"):
            defect_flag_set(actor=project.manager, defect=defect, blocks_go_live=True, reason=" ")
        defect.refresh_from_db()
        assert not defect.blocks_go_live

    def test_update_fields_links_and_audit(self, world):
        """Title, priority, assignee and links change; the audit names the differences."""
        project, team, case, _ = world
        req = RequirementFactory(project=project, ref="REQ-7")
        defect = report(project, team["contributor"])
        defect = defect_update(
            actor=team["contributor"],
            defect=defect,
            version=defect.version,
            title="New title",
            priority=1,
            assignee=team["approver"],
            cases=[case.pk],
            requirements=[req],
        )
        assert (defect.title, defect.priority, defect.assignee) == (
            "New title",
            1,
            team["approver"],
        )
        assert defect.version == 2
        event = AuditEvent.objects.filter(action="defect.update").get()
        assert event.changes["requirements"] == [[], ["REQ-7"]]
        assert event.changes["title"][1] == "New title"

    def test_update_refuses_unknown_field_and_stale_version(self, world):
        """Status is not editable through update; a stale version conflicts."""
        project, team, _, _ = world
        defect = report(project, team["contributor"])
        with pytest.raises(ValidationError, match="cannot be changed"):
            defect_update(actor=team["contributor"], defect=defect, status="closed")
        defect_update(actor=team["contributor"], defect=defect, title="Changed")
        with pytest.raises(Conflict):
            defect_update(actor=team["contributor"], defect=defect, version=1, title="Again")


@pytest.mark.django_db
class DefectSelectorTests:
    def test_filters(self, world):
        """status, minimum severity, open and blocking filters."""
        project, team, _, _ = world
        actor = team["contributor"]
        low = report(project, actor, severity="low", title="low")
        crit = report(project, actor, severity="critical", title="crit")
        rejected = report(project, actor, severity="critical", title="rejected")
        walk(rejected, actor, "close", resolution="duplicate", reason="dup of DEF-2")

        def refs(**filters):
            return [d.ref for d in defect_list(user=team["viewer"], project=project, **filters)]

        assert refs() == ["DEF-3", "DEF-2", "DEF-1"]
        assert refs(status="new") == ["DEF-2", "DEF-1"]
        assert refs(severity="high") == ["DEF-3", "DEF-2"]
        assert refs(open=True) == ["DEF-2", "DEF-1"]
        assert refs(open=False) == ["DEF-3"]
        assert refs(blocking=True) == ["DEF-2"]
        assert refs(blocking=False) == ["DEF-3", "DEF-1"]
        with pytest.raises(ValidationError, match="not a defect status"):
            refs(status="done")
        assert defect_get(user=team["viewer"], project=project, number="DEF-2") == crit
        assert defect_get(user=team["viewer"], project=project, number=1) == low
        with pytest.raises(NotFound):
            defect_get(user=team["viewer"], project=project, number=99)
        with pytest.raises(NotFound):
            defect_list(user=UserFactory(), project=project)

    def test_list_query_count_is_constant(self, world, django_assert_max_num_queries):
        """Listing defects costs the same queries for 2 or 20 defects."""
        project, team, _, failed = world
        for i in range(20):
            report(project, team["contributor"], title=f"D{i}", found_in=failed)
        viewer = team["viewer"]
        defect_list(user=viewer, project=project)  # warm the role cache
        with django_assert_max_num_queries(2):
            rows = [
                (d.ref, d.reporter.username, d.found_in.case.key)
                for d in defect_list(user=viewer, project=project)
            ]
        assert len(rows) == 20
