"""API tests: criterion types, gates, evaluations, criteria, waivers and decisions."""

import pytest

from golive.config.tests.support import (
    ApiClient,
    Endpoint,
    assert_problem,
    db_state,
    gate_make_pass,
    matrix_cases,
    queries_for,
    run_matrix,
)
from golive.gates.models import Approval, Decision, Gate
from golive.gates.services import (
    criterion_add,
    decision_open,
    decision_withdraw,
    gate_create,
    gate_update,
    waiver_create,
)
from golive.projects.models import Project
from golive.projects.services import success_criterion_create
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.readiness.services import readiness_item_set_status


def _gate(project) -> Gate:
    return Gate.objects.get(project=project, name="readiness")


def _extra_criterion(project, callers):
    criterion_add(
        actor=project.manager,
        gate=_gate(project),
        key="extra",
        type_key="projects.success_criteria_defined",
        params={"minimum": 3},
    )
    return {}


def _waiver(project, callers):
    waiver = waiver_create(
        actor=project.manager,
        gate=_gate(project),
        criterion_key="success-criteria",
        reason="Agreed at the steering meeting.",
    )
    return {"decision": waiver.pk}


def _pending(project, callers):
    gate_make_pass(project)
    gate = _gate(project)
    approvers = [callers["approver"], callers["manager"], callers["admin"]]
    gate_update(actor=project.manager, gate=gate, approvers=approvers)
    decision = decision_open(actor=project.manager, gate=gate)
    return {"decision": decision.pk}


def _passing(project, callers):
    gate_make_pass(project)
    return {}


GATE = "/projects/{key}/gates/readiness"
ENDPOINTS = [
    Endpoint("criterion-types", "GET", "/criterion-types", min_role=None),
    Endpoint("gates-list", "GET", "/projects/{key}/gates"),
    Endpoint(
        "gates-create",
        "POST",
        "/projects/{key}/gates",
        min_role="manager",
        body={"name": "launch", "title": "Launch", "approvers": ["{user_approver}"]},
        ok=201,
    ),
    Endpoint("gates-get", "GET", GATE),
    Endpoint(
        "gates-update",
        "PATCH",
        GATE,
        min_role="manager",
        body={"version": 1, "title": "Ready to build"},
    ),
    Endpoint("gates-evaluate", "GET", GATE + "/evaluation"),
    Endpoint(
        "criteria-add",
        "POST",
        GATE + "/criteria",
        min_role="manager",
        body={"key": "more", "type": "projects.success_criteria_defined", "params": {"minimum": 2}},
        ok=201,
    ),
    Endpoint(
        "criteria-remove",
        "DELETE",
        GATE + "/criteria/extra",
        min_role="manager",
        setup=_extra_criterion,
        ok=204,
    ),
    Endpoint(
        "criteria-waive",
        "POST",
        GATE + "/criteria/success-criteria/waiver",
        min_role="manager",
        body={"reason": "Agreed at the steering meeting."},
        ok=201,
    ),
    Endpoint(
        "decisions-open",
        "POST",
        GATE + "/decisions",
        min_role="manager",
        body={"comment": "Ready to build."},
        setup=_passing,
        ok=201,
    ),
    Endpoint("decisions-list", "GET", "/projects/{key}/decisions", setup=_waiver),
    Endpoint("decisions-get", "GET", "/projects/{key}/decisions/{decision}", setup=_waiver),
    Endpoint(
        "decisions-vote",
        "POST",
        "/projects/{key}/decisions/{decision}/votes",
        min_role="approver",
        body={"approve": True},
        setup=_pending,
    ),
    Endpoint(
        "decisions-withdraw",
        "POST",
        "/projects/{key}/decisions/{decision}/withdraw",
        min_role="manager",
        body={"reason": "The evidence changed."},
        setup=_pending,
    ),
    Endpoint(
        "decisions-revoke",
        "POST",
        "/projects/{key}/decisions/{decision}/revoke",
        min_role="manager",
        body={"reason": "No longer agreed."},
        setup=_waiver,
        ok=201,
    ),
]


@pytest.mark.django_db
class GatesAccessMatrixTests:
    @pytest.mark.parametrize(("endpoint", "caller"), matrix_cases(ENDPOINTS))
    def test_caller_gets_expected_status(self, endpoint, caller):
        """Each caller gets 401/404/403 or success, and a refusal writes nothing."""
        run_matrix(endpoint, caller)


@pytest.fixture
def project():
    return ProjectFactory(key="ERP", manager=UserFactory(username="pm"))


@pytest.fixture
def team(project):
    return team_for(project)


def _approvers(project, *users, quorum: int = 1) -> Gate:
    return gate_update(
        actor=project.manager, gate=_gate(project), approvers=list(users), quorum=quorum
    )


def _vote(user, decision_id: int, approve: bool = True, comment: str = ""):
    return ApiClient(user).post(
        f"/projects/ERP/decisions/{decision_id}/votes", {"approve": approve, "comment": comment}
    )


@pytest.mark.django_db
class CriterionTypesTests:
    def test_lists_registered_types_with_parameter_schema(self):
        """The registered criterion types are listed with their JSON parameter schema."""
        body = ApiClient(UserFactory()).get("/criterion-types").json()
        types = {t["key"]: t for t in body}
        assert set(types) >= {
            "projects.success_criteria_defined",
            "readiness.checklist_complete",
            "work.baseline_saved",
            "work.milestone_forecast",
            "work.no_old_blockers",
        }
        schema = types["projects.success_criteria_defined"]["params_schema"]
        assert "minimum" in schema["properties"]


@pytest.mark.django_db
class GateConfigTests:
    def test_readiness_gate_is_listed_with_its_criteria(self, project, team):
        """A new project has the system readiness gate with its two locked criteria."""
        body = ApiClient(team["viewer"]).get("/projects/ERP/gates").json()
        assert [g["name"] for g in body["items"]] == ["readiness", "go-live"]
        gate = body["items"][0]
        assert (gate["name"], gate["opens_phase"], gate["is_system"]) == (
            "readiness",
            "execution",
            True,
        )
        assert gate["approvers"] == ["pm"]
        assert [(c["key"], c["locked"]) for c in gate["criteria"]] == [
            ("checklist", True),
            ("success-criteria", True),
        ]

    def test_create_gate_with_named_approvers(self, project, team):
        """A manager creates a gate naming approvers and a quorum."""
        response = ApiClient(team["manager"]).post(
            "/projects/ERP/gates",
            {
                "name": "launch",
                "title": "Launch",
                "approvers": ["erp-approver", "pm"],
                "quorum": 2,
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["approvers"], body["quorum"], body["is_system"]) == (
            ["erp-approver", "pm"],
            2,
            False,
        )

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"name": "launch", "title": "G", "approvers": ["erp-contributor"]}, "approvers"),
            ({"name": "launch", "title": "G", "approvers": ["pm"], "quorum": 2}, "quorum"),
            ({"name": "launch", "title": "G", "approvers": ["pm"], "quorum": 0}, "quorum"),
            ({"name": "Go Live!", "title": "G", "approvers": ["pm"]}, "name"),
            ({"name": "launch", "title": "G", "approvers": ["ghost"]}, "approvers"),
        ],
    )
    def test_invalid_gate_is_refused_naming_the_field(self, project, team, payload, field):
        """Low-role or unknown approvers, an impossible quorum or a bad name give 422 on the field."""
        body = assert_problem(ApiClient(team["manager"]).post("/projects/ERP/gates", payload), 422)
        assert field in {e["field"] for e in body["errors"]}
        assert Gate.objects.filter(project=project).count() == 2  # readiness and go-live

    def test_duplicate_gate_name_is_refused(self, project, team):
        """A second gate called readiness is refused with 422."""
        payload = {"name": "readiness", "title": "Again", "approvers": ["pm"]}
        assert_problem(ApiClient(team["manager"]).post("/projects/ERP/gates", payload), 422)

    def test_update_changes_approvers_and_stale_version_conflicts(self, project, team):
        """PATCH changes approvers and quorum; a stale version then answers 409."""
        api = ApiClient(team["manager"])
        response = api.patch(
            "/projects/ERP/gates/readiness",
            {"version": 1, "approvers": ["erp-approver", "pm"], "quorum": 2},
        )
        assert response.status_code == 200, response.content
        assert (response.json()["approvers"], response.json()["version"]) == (
            ["erp-approver", "pm"],
            2,
        )
        before = db_state()
        body = assert_problem(
            api.patch("/projects/ERP/gates/readiness", {"version": 1, "quorum": 1}), 409
        )
        assert body["current"]["version"] == 2
        assert db_state() == before

    def test_unknown_gate_is_not_found(self, project, team):
        """A gate name the project does not have answers 404."""
        assert_problem(ApiClient(team["viewer"]).get("/projects/ERP/gates/nope"), 404)

    def test_add_criterion_with_bad_type_or_params_is_refused(self, project, team):
        """An unknown type or parameters the type rejects give 422 naming the field."""
        api = ApiClient(team["manager"])
        url = "/projects/ERP/gates/readiness/criteria"
        body = assert_problem(api.post(url, {"key": "x", "type": "nope.nothing"}), 422)
        assert [e["field"] for e in body["errors"]] == ["type"]
        body = assert_problem(
            api.post(
                url,
                {"key": "x", "type": "projects.success_criteria_defined", "params": {"minimum": 0}},
            ),
            422,
        )
        assert [e["field"] for e in body["errors"]] == ["params"]
        assert _gate(project).criteria.count() == 2

    def test_locked_criterion_cannot_be_removed(self, project, team):
        """Removing one of the readiness gate's own criteria is refused with 422."""
        api = ApiClient(team["manager"])
        before = db_state()
        assert_problem(api.delete("/projects/ERP/gates/readiness/criteria/checklist"), 422)
        assert db_state() == before

    def test_unknown_criterion_removal_is_not_found(self, project, team):
        """Removing a criterion the gate does not have answers 404."""
        response = ApiClient(team["manager"]).delete("/projects/ERP/gates/readiness/criteria/nope")
        assert_problem(response, 404)

    def test_list_queries_do_not_grow(self, project, team, django_assert_max_num_queries):
        """Listing 20 gates runs no more queries than listing 2 (readiness and go-live)."""
        api = ApiClient(team["viewer"])
        api.get("/projects/ERP/gates")
        baseline = queries_for(api, "/projects/ERP/gates")
        for n in range(18):
            gate = gate_create(
                actor=project.manager,
                project=project,
                name=f"g{n}",
                title=f"Gate {n}",
                approvers=[team["approver"], project.manager],
            )
            criterion_add(
                actor=project.manager,
                gate=gate,
                key="sc",
                type_key="projects.success_criteria_defined",
            )
        with django_assert_max_num_queries(baseline):
            assert api.get("/projects/ERP/gates").json()["count"] == 20


@pytest.mark.django_db
class EvaluationTests:
    def test_new_project_fails_with_reasons_and_evidence_links(self, project, team):
        """A new project's readiness gate fails on both criteria, each with a reason and a link."""
        body = ApiClient(team["viewer"]).get("/projects/ERP/gates/readiness/evaluation").json()
        assert body["passed"] is False
        results = {c["key"]: c for c in body["criteria"]}
        assert results["checklist"]["passed"] is False
        assert "7 of 7 items not ready" in results["checklist"]["detail"]
        assert results["success-criteria"]["passed"] is False
        assert results["success-criteria"]["evidence"][0]["url"] == "/p/ERP/success-criteria/"
        assert not any(c["waived"] for c in body["criteria"])

    def test_passing_gate_evaluates_as_passed(self, project, team):
        """With criteria met the evaluation passes."""
        gate_make_pass(project)
        body = ApiClient(team["viewer"]).get("/projects/ERP/gates/readiness/evaluation").json()
        assert body["passed"] is True
        assert all(c["passed"] and not c["waived"] for c in body["criteria"])


@pytest.mark.django_db
class FullFlowTests:
    def test_readiness_to_execution_over_the_api(self):
        """Create, define success, complete the checklist, pass the gate, decide: execution."""
        lead = UserFactory(username="lead")
        lead_api = ApiClient(lead)
        assert lead_api.post("/projects", {"key": "ERP", "name": "ERP"}).status_code == 201
        project = Project.objects.get(key="ERP")
        team = team_for(project)
        approver_api = ApiClient(team["approver"])
        contributor_api = ApiClient(team["contributor"])
        response = lead_api.post(
            "/projects/ERP/success-criteria",
            {
                "metric": "Order entry time",
                "target": "90",
                "unit": "s",
                "direction": "at_most",
                "owner": "erp-contributor",
            },
        )
        assert response.status_code == 201, response.content
        items = lead_api.get("/projects/ERP/readiness-items").json()["items"]
        assert len(items) == 7
        for item in items:
            url = f"/projects/ERP/readiness-items/{item['id']}"
            patched = contributor_api.patch(
                url, {"version": item["version"], "evidence_note": f"Done: {item['title']}"}
            )
            assert patched.status_code == 200, patched.content
            ready = contributor_api.post(
                url + "/status", {"status": "ready", "version": patched.json()["version"]}
            )
            assert ready.status_code == 200, ready.content
            approved = approver_api.post(url + "/approve", {"version": ready.json()["version"]})
            assert approved.status_code == 200, approved.content
            assert approved.json()["approved_by"] == "erp-approver"
        evaluation = lead_api.get("/projects/ERP/gates/readiness/evaluation").json()
        assert evaluation["passed"] is True, evaluation
        opened = lead_api.post("/projects/ERP/gates/readiness/decisions", {"comment": "Go?"})
        assert opened.status_code == 201, opened.content
        decision = opened.json()
        assert (decision["status"], decision["approvers"], decision["quorum"]) == (
            "pending",
            ["lead"],
            1,
        )
        assert decision["snapshot"]["passed"] is True
        voted = _vote(lead, decision["id"], comment="Go.")
        assert voted.status_code == 200, voted.content
        assert voted.json()["status"] == "approved"
        assert [a["approver"] for a in voted.json()["approvals"]] == ["lead"]
        assert lead_api.get("/projects/ERP").json()["phase"] == "execution"
        actions = [e["action"] for e in lead_api.get("/projects/ERP/activity").json()["items"]]
        assert actions[:3] == ["project.phase", "decision.approved", "decision.approve"]


@pytest.mark.django_db
class DecisionTests:
    def test_open_on_failing_gate_lists_failing_criteria(self, project, team):
        """Opening a decision on a failing gate answers 422 naming the failing criteria."""
        api = ApiClient(team["manager"])
        before = db_state()
        body = assert_problem(api.post("/projects/ERP/gates/readiness/decisions", {}), 422)
        assert "Readiness checklist complete" in body["detail"]
        assert "Success criteria defined" in body["detail"]
        assert db_state() == before

    def test_second_open_while_pending_is_a_conflict(self, project, team):
        """A second decision while one is pending answers 409."""
        gate_make_pass(project)
        api = ApiClient(team["manager"])
        assert api.post("/projects/ERP/gates/readiness/decisions", {}).status_code == 201
        assert_problem(api.post("/projects/ERP/gates/readiness/decisions", {}), 409)
        assert Decision.objects.filter(kind="go").count() == 1

    def test_quorum_of_two_needs_both_approvals(self, project, team):
        """With quorum 2 one approval leaves the decision pending; the second approves it."""
        gate_make_pass(project)
        _approvers(project, team["approver"], team["manager"], quorum=2)
        decision = decision_open(actor=team["manager"], gate=_gate(project))
        first = _vote(team["approver"], decision.pk)
        assert first.status_code == 200, first.content
        assert first.json()["status"] == "pending"
        assert Project.objects.get(pk=project.pk).phase == "readiness"
        second = _vote(team["manager"], decision.pk)
        assert second.json()["status"] == "approved"
        assert second.json()["closed_at"] is not None
        assert Project.objects.get(pk=project.pk).phase == "execution"

    def test_gate_already_passed_cannot_be_decided_again(self, project, team):
        """Once the project is in execution, a new readiness decision is refused with 422."""
        gate_make_pass(project)
        decision = decision_open(actor=team["manager"], gate=_gate(project))
        assert _vote(team["manager"], decision.pk).json()["status"] == "approved"
        body = assert_problem(
            ApiClient(team["manager"]).post("/projects/ERP/gates/readiness/decisions", {}), 422
        )
        assert "execution" in body["detail"]

    def test_rejection_closes_when_quorum_is_unreachable(self, project, team):
        """With quorum 2 of 2 a single rejection rejects the decision; the phase stays."""
        gate_make_pass(project)
        _approvers(project, team["approver"], team["manager"], quorum=2)
        decision = decision_open(actor=team["manager"], gate=_gate(project))
        response = _vote(team["approver"], decision.pk, approve=False, comment="Not tested.")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "rejected"
        assert response.json()["approvals"][0]["verdict"] == "reject"
        assert_problem(_vote(team["manager"], decision.pk), 409)
        assert Project.objects.get(pk=project.pk).phase == "readiness"

    def test_rejection_keeps_pending_while_quorum_is_reachable(self, project, team):
        """With quorum 1 of 2 one rejection leaves the decision pending."""
        gate_make_pass(project)
        _approvers(project, team["approver"], team["manager"], quorum=1)
        decision = decision_open(actor=team["manager"], gate=_gate(project))
        response = _vote(team["approver"], decision.pk, approve=False, comment="Not yet.")
        assert response.json()["status"] == "pending"

    def test_rejection_needs_a_comment(self, project, team):
        """A rejection without a comment is refused with 422 on comment."""
        gate_make_pass(project)
        decision = decision_open(actor=team["manager"], gate=_gate(project))
        body = assert_problem(_vote(team["manager"], decision.pk, approve=False), 422)
        assert [e["field"] for e in body["errors"]] == ["comment"]
        assert not Approval.objects.exists()

    def test_non_named_approver_cannot_vote(self, project, team):
        """An approver who is not named on the decision gets 403 and nothing is recorded."""
        gate_make_pass(project)
        decision = decision_open(actor=team["manager"], gate=_gate(project))
        api = ApiClient(team["approver"])
        before = db_state()
        response = api.post(f"/projects/ERP/decisions/{decision.pk}/votes", {"approve": True})
        body = assert_problem(response, 403)
        assert "named approvers" in body["detail"]
        assert db_state() == before

    def test_voting_twice_is_a_conflict(self, project, team):
        """A named approver's second verdict answers 409."""
        gate_make_pass(project)
        _approvers(project, team["approver"], team["manager"], quorum=2)
        decision = decision_open(actor=team["manager"], gate=_gate(project))
        assert _vote(team["approver"], decision.pk).status_code == 200
        assert_problem(_vote(team["approver"], decision.pk), 409)
        assert Approval.objects.count() == 1

    def test_final_vote_on_a_gate_that_no_longer_passes_records_nothing(self, project, team):
        """If the evidence changed since opening, the deciding vote is refused and not recorded."""
        gate_make_pass(project)
        decision = decision_open(actor=team["manager"], gate=_gate(project))
        item = project.readiness_items.first()
        readiness_item_set_status(actor=team["manager"], item=item, status="open")
        api = ApiClient(team["manager"])
        before = db_state()
        body = assert_problem(
            api.post(f"/projects/ERP/decisions/{decision.pk}/votes", {"approve": True}), 422
        )
        assert "withdraw" in body["detail"]
        assert db_state() == before

    def test_withdraw_then_open_again(self, project, team):
        """A withdrawn decision closes with its reason recorded; a new one can then open."""
        gate_make_pass(project)
        decision = decision_open(actor=team["manager"], gate=_gate(project))
        api = ApiClient(team["manager"])
        url = f"/projects/ERP/decisions/{decision.pk}/withdraw"
        body = assert_problem(api.post(url, {"reason": " "}), 422)
        assert [e["field"] for e in body["errors"]] == ["reason"]
        response = api.post(url, {"reason": "Scope changed."})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "withdrawn"
        assert_problem(api.post(url, {"reason": "Again."}), 409)
        assert api.post("/projects/ERP/gates/readiness/decisions", {}).status_code == 201

    def test_decision_of_another_project_is_not_found(self, project, team):
        """A decision id of another project answers 404 under this project."""
        other = ProjectFactory(key="OTHER", manager=project.manager)
        waiver = _waiver(other, None)["decision"]
        assert_problem(ApiClient(team["viewer"]).get(f"/projects/ERP/decisions/{waiver}"), 404)

    def test_list_is_newest_first_and_paginated(self, project, team):
        """Decisions are listed newest first, with count and page_size honoured."""
        gate_make_pass(project)
        for n in range(3):
            decision = decision_open(actor=team["manager"], gate=_gate(project))
            decision_withdraw(actor=team["manager"], decision=decision, reason=f"take {n}")
        body = ApiClient(team["viewer"]).get("/projects/ERP/decisions", {"page_size": 2}).json()
        assert body["count"] == 3
        ids = [d["id"] for d in body["items"]]
        assert len(ids) == 2 and ids == sorted(ids, reverse=True)

    def test_list_queries_do_not_grow(self, project, team, django_assert_max_num_queries):
        """Listing 20 decisions runs no more queries than listing 2."""
        gate_make_pass(project)

        def cycle(n: int) -> None:
            decision = decision_open(actor=team["manager"], gate=_gate(project))
            decision_withdraw(actor=team["manager"], decision=decision, reason=f"take {n}")

        for n in range(2):
            cycle(n)
        api = ApiClient(team["viewer"])
        api.get("/projects/ERP/decisions")
        baseline = queries_for(api, "/projects/ERP/decisions")
        for n in range(2, 20):
            cycle(n)
        with django_assert_max_num_queries(baseline):
            assert api.get("/projects/ERP/decisions").json()["count"] == 20


@pytest.mark.django_db
class WaiverTests:
    def _waive(self, user, criterion: str, body: dict):
        api = user if isinstance(user, ApiClient) else ApiClient(user)
        return api.post(f"/projects/ERP/gates/readiness/criteria/{criterion}/waiver", body)

    @pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
    def test_waiver_needs_a_reason(self, project, team, body):
        """A waiver without a reason is refused with 422 on reason and records nothing."""
        api = ApiClient(team["manager"])
        before = db_state()
        problem = assert_problem(self._waive(api, "checklist", body), 422)
        assert [e["field"] for e in problem["errors"]] == ["reason"]
        assert db_state() == before

    def test_waiver_makes_the_gate_pass_and_revocation_undoes_it(self, project, team):
        """Waiving the failing checklist makes the gate pass (waived); revoking fails it again."""
        success_criterion_create(
            actor=team["manager"],
            project=project,
            metric="Uptime",
            target=99,
            direction="at_least",
            owner=team["manager"],
        )
        response = self._waive(team["manager"], "checklist", {"reason": "Pilot site only."})
        assert response.status_code == 201, response.content
        waiver = response.json()
        assert (waiver["kind"], waiver["status"], waiver["criterion_key"]) == (
            "waiver",
            "approved",
            "checklist",
        )
        api = ApiClient(team["viewer"])
        evaluation = api.get("/projects/ERP/gates/readiness/evaluation").json()
        assert evaluation["passed"] is True
        checklist = next(c for c in evaluation["criteria"] if c["key"] == "checklist")
        assert (checklist["passed"], checklist["waived"]) == (True, True)
        assert "Pilot site only." in checklist["detail"]
        revoked = ApiClient(team["manager"]).post(
            f"/projects/ERP/decisions/{waiver['id']}/revoke", {"reason": "Full rollout."}
        )
        assert revoked.status_code == 201, revoked.content
        assert (revoked.json()["kind"], revoked.json()["revokes"]) == (
            "waiver_revocation",
            waiver["id"],
        )
        evaluation = api.get("/projects/ERP/gates/readiness/evaluation").json()
        assert evaluation["passed"] is False
        checklist = next(c for c in evaluation["criteria"] if c["key"] == "checklist")
        assert (checklist["passed"], checklist["waived"]) == (False, False)

    def test_revoking_twice_is_a_conflict(self, project, team):
        """A waiver can be revoked once; the second revocation answers 409."""
        waiver = _waiver(project, None)["decision"]
        api = ApiClient(team["manager"])
        url = f"/projects/ERP/decisions/{waiver}/revoke"
        assert api.post(url, {"reason": "No."}).status_code == 201
        assert_problem(api.post(url, {"reason": "No again."}), 409)

    def test_revoke_needs_a_reason_and_a_waiver(self, project, team):
        """Revoking without a reason, or revoking a go decision, is refused with 422."""
        waiver = _waiver(project, None)["decision"]
        api = ApiClient(team["manager"])
        assert_problem(api.post(f"/projects/ERP/decisions/{waiver}/revoke", {"reason": ""}), 422)
        gate_make_pass(project)
        go = decision_open(actor=team["manager"], gate=_gate(project))
        body = assert_problem(
            api.post(f"/projects/ERP/decisions/{go.pk}/revoke", {"reason": "x"}), 422
        )
        assert [e["field"] for e in body["errors"]] == ["waiver"]

    def test_waiving_a_passing_or_unknown_criterion_is_refused(self, project, team):
        """Only an existing, failing criterion can be waived."""
        gate_make_pass(project)
        body = assert_problem(self._waive(team["manager"], "checklist", {"reason": "x"}), 422)
        assert [e["field"] for e in body["errors"]] == ["criterion"]
        body = assert_problem(self._waive(team["manager"], "nope", {"reason": "x"}), 422)
        assert [e["field"] for e in body["errors"]] == ["criterion"]

    def test_waiving_twice_is_a_conflict(self, project, team):
        """A criterion already waived cannot be waived again until revoked."""
        _waiver(project, None)
        assert_problem(self._waive(team["manager"], "success-criteria", {"reason": "Again."}), 409)
