"""Traceability: requirement → cases → latest results → open defects → sign-offs, and the CSV."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from golive.errors import NotFound
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.quality.models import Outcome, RequirementStatus
from golive.quality.selectors.testing import latest_results
from golive.quality.selectors.traceability import (
    CSV_COLUMNS,
    requirement_coverage,
    traceability_csv,
    traceability_matrix,
)
from golive.quality.services.defects import defect_report, defect_transition
from golive.quality.services.signoffs import signoff_open, signoff_revoke
from golive.quality.tests.factories import (
    RequirementFactory,
    TestCaseFactory,
    TestResultFactory,
    TestRunFactory,
)


@pytest.fixture
def world(db):
    """Three live requirements (verified, covered-failing, uncovered) and a dropped one."""
    project = ProjectFactory(key="TRC")
    team = team_for(project)
    now = timezone.now()
    login = RequirementFactory(project=project, ref="REQ-1", text="Users log in")
    pay = RequirementFactory(project=project, ref="REQ-2", text="Payroll runs")
    RequirementFactory(project=project, ref="REQ-3", text="Reports print")
    RequirementFactory(project=project, ref="REQ-4", status=RequirementStatus.DROPPED)
    case_login = TestCaseFactory(project=project, key="auth::login", requirements=[login])
    case_pay = TestCaseFactory(project=project, key="pay::run", requirements=[pay])
    case_tax = TestCaseFactory(project=project, key="pay::tax", requirements=[pay])
    run1 = TestRunFactory(project=project, name="Run 1", started_at=now - dt.timedelta(days=1))
    run2 = TestRunFactory(project=project, name="Run 2", started_at=now)
    TestResultFactory(
        run=run1, case=case_login, outcome=Outcome.FAILED, executed_at=now - dt.timedelta(days=1)
    )
    TestResultFactory(run=run2, case=case_login, outcome=Outcome.PASSED, executed_at=now)
    TestResultFactory(run=run2, case=case_pay, outcome=Outcome.PASSED, executed_at=now)
    TestResultFactory(run=run1, case=case_tax, outcome=Outcome.FAILED, executed_at=now)
    return project, team, run1, run2


@pytest.mark.django_db
class TraceabilityMatrixTests:
    def test_rows_cases_latest_results_and_coverage(self, world):
        """Each requirement lists its cases with the latest result; coverage excludes dropped."""
        project, team, _, _ = world
        matrix = traceability_matrix(user=team["viewer"], project=project)
        assert [r.ref for r in matrix.rows] == ["REQ-1", "REQ-2", "REQ-3", "REQ-4"]
        login, pay, reports, dropped = matrix.rows
        assert [(c.key, c.latest.outcome, c.latest.run_name) for c in login.cases] == [
            ("auth::login", "passed", "Run 2")
        ]
        assert [(c.key, c.latest.outcome) for c in pay.cases] == [
            ("pay::run", "passed"),
            ("pay::tax", "failed"),
        ]
        assert (login.covered, login.verified) == (True, True)
        assert (pay.covered, pay.verified) == (True, False)
        assert (reports.covered, reports.verified, reports.cases) == (False, False, [])
        assert dropped.status == "dropped"
        cov = matrix.coverage
        assert (cov.requirements, cov.covered, cov.verified) == (3, 2, 1)
        assert (cov.covered_percent, cov.verified_percent) == (66.7, 33.3)
        assert requirement_coverage(project=project) == cov
        data = matrix.as_dict()
        assert isinstance(data["rows"][0]["cases"][0]["latest"]["executed_at"], str)

    def test_open_defects_of_requirement_or_cases(self, world):
        """Open defects linked to the requirement or to one of its cases appear; closed do not."""
        project, team, _, _ = world
        manager = project.manager
        defect_report(actor=manager, project=project, title="Tax off", cases=["pay::tax"])
        defect_report(actor=manager, project=project, title="Payroll slow", requirements=["REQ-2"])
        closed = defect_report(actor=manager, project=project, title="Dup", cases=["pay::run"])
        defect_transition(
            actor=manager, defect=closed, action="close", resolution="duplicate", reason="dup"
        )
        defect_report(actor=manager, project=project, title="Login", cases=["auth::login"])
        rows = {r.ref: r for r in traceability_matrix(user=team["viewer"], project=project).rows}
        assert [d.ref for d in rows["REQ-2"].defects] == ["DEF-1", "DEF-2"]
        assert [d.ref for d in rows["REQ-1"].defects] == ["DEF-4"]
        assert rows["REQ-3"].defects == []

    def test_signoffs_covering_latest_results(self, world):
        """Sign-offs whose runs hold a row's latest results are listed; revoked ones are not."""
        project, team, run1, run2 = world
        signoff_open(
            actor=project.manager,
            project=project,
            name="SIT",
            approvers=[team["approver"]],
            runs=[run2],
        )
        old = signoff_open(
            actor=project.manager,
            project=project,
            name="Old",
            approvers=[team["approver"]],
            runs=[run1],
        )
        signoff_revoke(actor=project.manager, signoff=old, reason="superseded")
        rows = {r.ref: r for r in traceability_matrix(user=team["viewer"], project=project).rows}
        assert [s.name for s in rows["REQ-1"].signoffs] == ["SIT"]
        assert [s.name for s in rows["REQ-2"].signoffs] == ["SIT"]
        assert rows["REQ-3"].signoffs == []

    def test_latest_result_by_executed_at_not_run_start(self, world):
        """The latest result is the one executed last, whatever the run's start."""
        project, _, run1, run2 = world
        case = TestCaseFactory(project=project)
        later = timezone.now() + dt.timedelta(hours=1)
        TestResultFactory(run=run2, case=case, outcome=Outcome.PASSED)
        mine = TestResultFactory(run=run1, case=case, outcome=Outcome.BLOCKED, executed_at=later)
        assert latest_results(project=project, case_ids=[case.pk])[case.pk] == mine

    def test_query_count_does_not_grow(self, world, django_assert_max_num_queries):
        """The matrix costs the same number of queries for 4 or 40 requirements."""
        project, team, _, run2 = world
        viewer = team["viewer"]
        defect_report(actor=project.manager, project=project, title="One", cases=["pay::tax"])
        traceability_matrix(user=viewer, project=project)
        with django_assert_max_num_queries(9) as small:
            traceability_matrix(user=viewer, project=project)
        for i in range(30):
            req = RequirementFactory(project=project, ref=f"BULK-{i}")
            case = TestCaseFactory(project=project, requirements=[req])
            TestResultFactory(run=run2, case=case)
            defect_report(actor=project.manager, project=project, title=f"D{i}", cases=[case])
        with django_assert_max_num_queries(len(small.captured_queries)):
            matrix = traceability_matrix(user=viewer, project=project)
        assert len(matrix.rows) == 34

    def test_outsiders_get_not_found(self, world):
        """The matrix is read through the access check."""
        project, _, _, _ = world
        with pytest.raises(NotFound):
            traceability_matrix(user=UserFactory(), project=project)
        with pytest.raises(NotFound):
            traceability_csv(user=UserFactory(), project=project)


@pytest.mark.django_db
class TraceabilityCsvTests:
    def test_one_line_per_requirement_and_case(self, world):
        """The CSV has the header, one line per case and one for each requirement without cases."""
        project, team, _, _ = world
        defect_report(actor=project.manager, project=project, title="Tax", cases=["pay::tax"])
        text = traceability_csv(user=team["viewer"], project=project)
        rows = list(csv.DictReader(io.StringIO(text)))
        assert list(rows[0]) == CSV_COLUMNS
        assert [(r["requirement"], r["test_case"]) for r in rows] == [
            ("REQ-1", "auth::login"),
            ("REQ-2", "pay::run"),
            ("REQ-2", "pay::tax"),
            ("REQ-3", ""),
            ("REQ-4", ""),
        ]
        tax = rows[2]
        assert (tax["latest_outcome"], tax["latest_run"], tax["open_defects"]) == (
            "failed",
            "Run 1",
            "DEF-1",
        )
        assert (tax["covered"], tax["verified"]) == ("yes", "no")
        assert rows[3]["latest_outcome"] == "not linked"

    def test_text_with_commas_and_quotes_round_trips(self, world):
        """The csv module quotes awkward text."""
        project, team, _, _ = world
        RequirementFactory(project=project, ref="REQ-9", text='Say "hello", then\nleave')
        rows = list(
            csv.DictReader(io.StringIO(traceability_csv(user=team["viewer"], project=project)))
        )
        assert rows[-1]["requirement_text"] == 'Say "hello", then\nleave'

    def test_formula_like_text_is_exported_as_text(self, world):
        """Text a spreadsheet would run as a formula gets a leading apostrophe; other text not."""
        project, team, _, _ = world
        RequirementFactory(project=project, ref="REQ-8", text='=HYPERLINK("http://x","y")')
        RequirementFactory(project=project, ref="REQ-9", text="-5 % cost, @risk")
        rows = {
            row["requirement"]: row
            for row in csv.DictReader(
                io.StringIO(traceability_csv(user=team["viewer"], project=project))
            )
        }
        assert rows["REQ-8"]["requirement_text"] == '\'=HYPERLINK("http://x","y")'
        assert rows["REQ-9"]["requirement_text"] == "'-5 % cost, @risk"
        assert rows["REQ-1"]["requirement_text"] == "Users log in"
