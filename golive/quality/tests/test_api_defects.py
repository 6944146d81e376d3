"""API tests: defects and their workflow, sign-offs, traceability (JSON and CSV), dashboard."""

import csv
import io

import pytest

from golive.config.tests.support import ApiClient, assert_problem, queries_for
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.quality.models import Defect, Signature, SignOff
from golive.quality.services.defects import defect_report, defect_transition
from golive.quality.services.signoffs import signoff_open, signoff_sign
from golive.quality.services.testing import (
    requirement_create,
    test_case_create,
    test_result_record,
    test_run_create,
)

Q = "/projects/ERP/quality"


@pytest.fixture
def project():
    return ProjectFactory(key="ERP", manager=UserFactory(username="pm"))


@pytest.fixture
def team(project):
    return team_for(project)


@pytest.fixture
def pm(project):
    return ApiClient(project.manager)


@pytest.fixture
def tester(team):
    return ApiClient(team["contributor"])


def _warm(api):
    """Make the token's first use (recorded once) happen before counting queries."""
    api.get(f"{Q}/runs")


def _case(project, key="auth::login", **fields):
    return test_case_create(
        actor=project.manager, project=project, key=key, title=key.split("::")[-1], **fields
    )


def _result(project, case, outcome, run_name):
    run = test_run_create(actor=project.manager, project=project, name=run_name)
    return test_result_record(actor=project.manager, run=run, case=case, outcome=outcome)


def _defect(project, title="Crash on save", **fields):
    return defect_report(actor=project.manager, project=project, title=title, **fields)


def _move(api, number, action, **fields):
    return api.post(f"{Q}/defects/{number}/transitions", {"action": action, **fields})


@pytest.mark.django_db
class DefectApiTests:
    def test_report_with_links(self, project, tester):
        """A report links the result it was found in, cases by key and requirements by ref."""
        requirement_create(actor=project.manager, project=project, ref="REQ-1", text="Save.")
        case = _case(project)
        result = _result(project, case, "failed", "R1")
        response = tester.post(
            f"{Q}/defects",
            {
                "title": "Save fails",
                "severity": "high",
                "priority": 2,
                "found_in": result.pk,
                "requirements": ["REQ-1"],
                "assignee": "erp-approver",
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["ref"], body["status"], body["severity"]) == ("DEF-1", "new", "high")
        assert (body["reporter"], body["assignee"]) == ("erp-contributor", "erp-approver")
        assert body["cases"] == ["auth::login"] and body["requirements"] == ["REQ-1"]
        assert body["found_in"] == result.pk
        assert body["blocks_go_live"] is False
        assert body["actions"] == ["triage", "close"]

    def test_critical_blocks_go_live_by_default(self, project, tester):
        """A critical defect blocks go-live until a manager says otherwise."""
        body = tester.post(f"{Q}/defects", {"title": "Data loss", "severity": "critical"}).json()
        assert body["blocks_go_live"] is True

    def test_bad_input_is_422(self, project, tester):
        """Unknown severity, priority out of range, unknown case or assignee are refused."""
        for payload in (
            {"title": "X", "severity": "urgent"},
            {"title": "X", "priority": 9},
            {"title": "X", "cases": ["a::nope"]},
            {"title": "X", "assignee": "nobody"},
        ):
            assert_problem(tester.post(f"{Q}/defects", payload), 422)
        assert not Defect.objects.exists()

    def test_full_workflow_closes_after_a_passing_retest(self, project, tester):
        """new → triaged → in progress → fixed → retest → closed with the passing retest."""
        case = _case(project)
        number = _defect(project, cases=[case]).number
        for action in ("triage", "start", "fix", "retest"):
            response = _move(tester, number, action)
            assert response.status_code == 200, response.content
        body = assert_problem(_move(tester, number, "close"), 422)
        assert "auth::login" in body["detail"]
        retest = _result(project, case, "passed", "Retest")
        closed = _move(tester, number, "close")
        assert closed.status_code == 200, closed.content
        body = closed.json()
        assert (body["status"], body["resolution"]) == ("closed", "fixed")
        assert body["retest_result"] == retest.pk
        assert body["actions"] == ["reopen"]

    def test_bad_transition_names_status_and_allowed_actions(self, project, tester):
        """Fixing a new defect is refused naming its status and what is allowed."""
        number = _defect(project).number
        body = assert_problem(_move(tester, number, "fix"), 422)
        assert "new" in body["detail"] and "triage" in body["detail"]
        body = assert_problem(_move(tester, number, "explode"), 422)
        assert "explode" in body["detail"]
        assert Defect.objects.get().status == "new"

    def test_reject_and_reopen_need_reasons(self, project, tester):
        """Closing as rejected and reopening both need a reason."""
        number = _defect(project).number
        assert_problem(_move(tester, number, "close", resolution="rejected"), 422)
        body = _move(tester, number, "close", resolution="rejected", reason="Works as designed.")
        assert body.json()["resolution"] == "rejected"
        assert_problem(_move(tester, number, "reopen"), 422)
        assert _move(tester, number, "reopen", reason="It does not.").json()["status"] == "reopened"

    def test_stale_version_is_409(self, project, tester):
        """A transition or patch against an outdated version is refused with the current state."""
        number = _defect(project).number
        assert _move(tester, number, "triage", version=1).json()["version"] == 2
        body = assert_problem(_move(tester, number, "start", version=1), 409)
        assert body["current"]["status"] == "triaged"
        assert_problem(tester.patch(f"{Q}/defects/{number}", {"version": 1, "priority": 1}), 409)
        changed = tester.patch(f"{Q}/defects/{number}", {"version": 2, "severity": "critical"})
        assert changed.json()["severity"] == "critical" and changed.json()["version"] == 3

    def test_flag_needs_manager_and_reason(self, project, pm, tester):
        """Only a manager changes the go-live flag, and only with a reason."""
        number = _defect(project, severity="critical").number
        path = f"{Q}/defects/{number}/flag"
        assert_problem(tester.post(path, {"blocks_go_live": False, "reason": "Minor."}), 403)
        assert_problem(pm.post(path, {"blocks_go_live": False, "reason": " "}), 422)
        body = pm.post(path, {"blocks_go_live": False, "reason": "Workaround agreed."}).json()
        assert (body["blocks_go_live"], body["block_reason"]) == (False, "Workaround agreed.")

    def test_get_by_number_or_ref(self, project, tester):
        """DEF-1 and 1 name the same defect; another project's number is 404."""
        _defect(project)
        assert tester.get(f"{Q}/defects/DEF-1").json()["number"] == 1
        assert tester.get(f"{Q}/defects/1").json()["ref"] == "DEF-1"
        assert_problem(tester.get(f"{Q}/defects/2"), 404)
        assert_problem(tester.get(f"{Q}/defects/nonsense"), 404)

    def test_filters(self, project, tester):
        """Status, minimum severity, open and blocking narrow the list."""
        _defect(project, "Low one", severity="low")
        high = _defect(project, "High one", severity="high")
        _defect(project, "Critical one", severity="critical")
        defect_transition(actor=project.manager, defect=high, action="triage")

        def titles(**params):
            return [d["title"] for d in tester.get(f"{Q}/defects", params).json()["items"]]

        assert titles() == ["Critical one", "High one", "Low one"]
        assert titles(status="triaged") == ["High one"]
        assert titles(status="new,triaged") == ["Critical one", "High one", "Low one"]
        assert titles(severity="high") == ["Critical one", "High one"]
        assert titles(blocking="true") == ["Critical one"]
        assert titles(open="false") == []
        body = assert_problem(tester.get(f"{Q}/defects", {"status": "lost"}), 422)
        assert "lost" in body["detail"]

    def test_list_query_count_is_constant(self, project, pm, team):
        """Listing 2 or 8 defects (assigned, found in results) costs the same queries."""
        case = _case(project)

        def add(start, stop):
            for i in range(start, stop):
                result = _result(project, case, "failed", f"R{i}")
                _defect(project, f"D{i}", found_in=result.pk, assignee=team["contributor"])

        add(0, 2)
        _warm(pm)
        few = queries_for(pm, f"{Q}/defects")
        add(2, 8)
        assert queries_for(pm, f"{Q}/defects") == few


def _signoff(project, team, quorum=2, **fields):
    return signoff_open(
        actor=project.manager,
        project=project,
        name=fields.pop("name", "UAT wave 1"),
        approvers=[team["approver"], project.manager],
        quorum=quorum,
        **fields,
    )


@pytest.mark.django_db
class SignOffApiTests:
    def test_open_freezes_a_snapshot(self, project, pm, team):
        """Opening a sign-off over a run records the run and a snapshot of its figures."""
        case = _case(project)
        result = _result(project, case, "passed", "UAT run")
        _defect(project, "Open issue")
        response = pm.post(
            f"{Q}/signoffs",
            {
                "name": "UAT",
                "approvers": ["erp-approver"],
                "runs": [result.run_id],
                "description": "Wave 1 users.",
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["status"], body["quorum"], body["signed"]) == ("open", 1, 0)
        assert body["approvers"] == ["erp-approver"] and body["runs"] == [result.run_id]
        assert body["snapshot"]["runs"][0]["name"] == "UAT run"
        assert [d["ref"] for d in body["snapshot"]["open_defects"]] == ["DEF-1"]
        assert body["signatures"] == []

    def test_approvers_must_be_approvers(self, project, pm, team):
        """A contributor cannot be named an approver; nothing is stored."""
        body = assert_problem(
            pm.post(f"{Q}/signoffs", {"name": "UAT", "approvers": ["erp-contributor"]}), 422
        )
        assert "erp-contributor" in body["detail"]
        assert not SignOff.objects.exists()

    def test_sign_to_quorum_withdraw_and_revoke(self, project, pm, team):
        """Two signatures complete it; a withdrawal reopens it; a revocation needs a reason."""
        signoff = _signoff(project, team)
        path = f"{Q}/signoffs/{signoff.pk}"
        approver = ApiClient(team["approver"])
        first = approver.post(path + "/sign", {"comment": "Looks good."}).json()
        assert (first["status"], first["signed"]) == ("open", 1)
        assert first["signatures"][0]["signer"] == "erp-approver"
        second = pm.post(path + "/sign", {}).json()
        assert (second["status"], second["signed"]) == ("complete", 2)
        assert second["completed_at"] is not None
        assert_problem(pm.post(path + "/sign", {}), 409)
        assert_problem(approver.post(path + "/withdraw", {"reason": ""}), 422)
        withdrawn = approver.post(path + "/withdraw", {"reason": "Found a bug."}).json()
        assert (withdrawn["status"], withdrawn["signed"]) == ("open", 1)
        assert withdrawn["signatures"][0]["withdraw_reason"] == "Found a bug."
        assert_problem(pm.post(path + "/revoke", {"reason": " "}), 422)
        revoked = pm.post(path + "/revoke", {"reason": "Scope changed."}).json()
        assert (revoked["status"], revoked["revoked_by"]) == ("revoked", "pm")
        assert_problem(pm.post(path + "/revoke", {"reason": "Again."}), 409)
        assert_problem(approver.post(path + "/sign", {}), 409)

    def test_approver_not_named_may_not_sign(self, project, team):
        """An approver of the project who is not named on the sign-off gets 403."""
        signoff = signoff_open(
            actor=project.manager, project=project, name="UAT", approvers=[project.manager]
        )
        response = ApiClient(team["approver"]).post(f"{Q}/signoffs/{signoff.pk}/sign", {})
        body = assert_problem(response, 403)
        assert "named" in body["detail"]
        assert not Signature.objects.exists()

    def test_list_filter_and_unknown(self, project, pm, team):
        """The list filters by status; an unknown id is 404."""
        _signoff(project, team, name="A")
        done = _signoff(project, team, name="B", quorum=1)
        signoff_sign(actor=project.manager, signoff=done)
        names = [s["name"] for s in pm.get(f"{Q}/signoffs", {"status": "complete"}).json()["items"]]
        assert names == ["B"]
        assert pm.get(f"{Q}/signoffs").json()["count"] == 2
        assert_problem(pm.get(f"{Q}/signoffs/999999"), 404)

    def test_list_query_count_is_constant(self, project, pm, team):
        """Listing 2 or 7 sign-offs with signatures costs the same queries."""

        def add(start, stop):
            for i in range(start, stop):
                signoff = _signoff(project, team, name=f"S{i}")
                signoff_sign(actor=team["approver"], signoff=signoff)

        add(0, 2)
        _warm(pm)
        few = queries_for(pm, f"{Q}/signoffs")
        add(2, 7)
        assert queries_for(pm, f"{Q}/signoffs") == few


@pytest.mark.django_db
class TraceabilityApiTests:
    def _world(self, project, n=2, start=0):
        for i in range(start, start + n):
            req = requirement_create(
                actor=project.manager, project=project, ref=f"REQ-{i:02}", text=f"Thing {i}."
            )
            case = _case(project, f"t::{i}", requirements=[req])
            _result(project, case, "passed" if i % 2 == 0 else "failed", f"R{i}")
            _defect(project, f"D{i}", cases=[case])
        requirement_create(
            actor=project.manager, project=project, ref=f"REQ-X{start}", text="Not tested yet."
        )

    def test_json_rows_and_coverage(self, project, pm):
        """Each requirement lists its cases with their latest result and open defects."""
        self._world(project)
        body = pm.get(f"{Q}/traceability").json()
        assert body["count"] == 3
        assert body["coverage"]["requirements"] == 3 and body["coverage"]["covered"] == 2
        assert body["coverage"]["verified"] == 1
        first = body["items"][0]
        assert first["ref"] == "REQ-00" and first["covered"] and first["verified"]
        assert first["cases"][0]["latest"]["outcome"] == "passed"
        assert [d["ref"] for d in first["defects"]] == ["DEF-1"]
        assert body["items"][2]["cases"] == [] and not body["items"][2]["covered"]

    def test_pagination(self, project, pm):
        """Rows come in pages; coverage stays that of the whole register."""
        self._world(project)
        body = pm.get(f"{Q}/traceability", {"page": 2, "page_size": 2}).json()
        assert (body["count"], len(body["items"]), body["items"][0]["ref"]) == (3, 1, "REQ-X0")
        assert body["coverage"]["requirements"] == 3
        assert_problem(pm.get(f"{Q}/traceability", {"page_size": 0}), 422)
        assert_problem(pm.get(f"{Q}/traceability", {"format": "xlsx"}), 422)

    def test_csv_download(self, project, pm):
        """?format=csv answers text/csv as a named attachment, one line per requirement and case."""
        self._world(project)
        response = pm.get(f"{Q}/traceability", {"format": "csv"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"] == 'attachment; filename="erp-traceability.csv"'
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0][0] == "requirement"
        assert [r[0] for r in rows[1:]] == ["REQ-00", "REQ-01", "REQ-X0"]

    def test_query_counts_are_constant(self, project, pm):
        """The matrix costs the same queries for 2 or 6 requirements, as JSON and as CSV."""
        self._world(project, 2)
        _warm(pm)
        json_few = queries_for(pm, f"{Q}/traceability")
        csv_few = queries_for(pm, f"{Q}/traceability", {"format": "csv"})
        self._world(project, 4, start=2)
        assert queries_for(pm, f"{Q}/traceability") == json_few
        assert queries_for(pm, f"{Q}/traceability", {"format": "csv"}) == csv_few


@pytest.mark.django_db
class DashboardApiTests:
    def test_figures(self, project, pm):
        """The dashboard reports pass rates per run and type, defects by severity, coverage."""
        case = _case(project, type="uat")
        _result(project, case, "passed", "R1")
        _result(project, case, "failed", "R2")
        defect = _defect(project, severity="high")
        for action in ("triage", "start", "fix"):
            defect_transition(actor=project.manager, defect=defect, action=action)
        body = pm.get(f"{Q}/dashboard").json()
        trend = body["pass_rate_trend"]
        assert [r["name"] for r in trend] == ["R1", "R2"]
        assert trend[0]["by_type"]["uat"]["pass_rate"] == 100.0
        assert trend[1]["counts"]["pass_rate"] == 0.0
        high = next(row for row in body["open_defects_by_age"] if row["severity"] == "high")
        assert high["total"] == 1
        assert body["mean_time_to_fix_hours"] is not None
        assert body["defect_trend"][-1]["open"] == 1
        assert body["coverage"]["requirements"] == 0

    def test_empty_project(self, project, pm):
        """A project without tests answers empty figures, not errors."""
        body = pm.get(f"{Q}/dashboard").json()
        assert body["pass_rate_trend"] == [] and body["defect_trend"] == []
        assert body["mean_time_to_fix_hours"] is None
