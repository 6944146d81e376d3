"""The go-live gate: on every project, six locked criteria, the checklist, and the data migration."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from golive.errors import NotFound
from golive.gates.models import Gate
from golive.gates.services import (
    criterion_remove,
    decision_open,
    decision_vote,
    gate_create,
    gate_evaluate,
)
from golive.projects.models import Phase
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.projects.tests.test_services import add_criterion, complete_checklist
from golive.quality.models import SignOff
from golive.rollout.models import MigrationResult
from golive.rollout.selectors.golive_gate import go_live_checklist
from golive.rollout.services.golive_gate import gate_create_go_live
from golive.rollout.tests.factories import (
    CommunicationFactory,
    MigrationCheckFactory,
    RollbackPlanFactory,
    RunFactory,
)

KEYS = [
    "readiness-decided",
    "rollback-rehearsed",
    "migration-checks",
    "no-blocking-defects",
    "signoffs",
    "communications",
]


def rehearse(plan, minutes):
    ended = timezone.now() - timedelta(hours=2)
    return RunFactory(
        runbook=plan,
        kind="rehearsal",
        status="succeeded",
        planned_start=ended - timedelta(minutes=minutes),
        started_at=ended - timedelta(minutes=minutes),
        ended_at=ended,
    )


def results(project):
    gate = project.gates.get(name="go-live")
    return {c.key: c for c in gate_evaluate(gate=gate).criteria}


@pytest.mark.django_db
class GoLiveGateTests:
    def test_new_project_gets_the_gate_with_six_locked_criteria(self):
        """The system gate opens the rollout phase; manager and sponsor approve, quorum 1."""
        sponsor = UserFactory(username="sponsor")
        manager = UserFactory(username="pm")
        project = ProjectFactory(manager=manager, sponsor=sponsor)
        gate = project.gates.get(name="go-live")
        assert gate.title == "Go-live" and gate.is_system
        assert gate.opens_phase == Phase.ROLLOUT and gate.quorum == 1
        assert {u.username for u in gate.approvers.all()} == {"pm", "sponsor"}
        criteria = list(gate.criteria.all())
        assert [c.key for c in criteria] == KEYS
        assert all(c.locked for c in criteria)
        assert [c.type_key for c in criteria] == [
            "gates.gate_approved",
            "rollout.rollback_rehearsed",
            "rollout.migration_checks_passed",
            "quality.no_open_defects",
            "quality.signoffs_complete",
            "rollout.communications_sent",
        ]
        assert criteria[0].params == {"gate": "readiness"}
        with pytest.raises(ValidationError, match="waive it"):
            criterion_remove(actor=manager, criterion=criteria[1])

    def test_fresh_project_fails_with_each_reason(self):
        """Each missing piece of evidence is named; no defects is the only pass."""
        project = ProjectFactory()
        verdicts = results(project)
        assert not gate_evaluate(gate=project.gates.get(name="go-live")).passed
        assert (
            verdicts["readiness-decided"].detail == "The Readiness gate has not been decided yet."
        )
        assert verdicts["rollback-rehearsed"].detail == "No rollback plan exists."
        assert verdicts["migration-checks"].detail == "No migration check is defined."
        assert verdicts["signoffs"].detail == "No sign-off has been opened."
        assert (
            verdicts["communications"].detail == "No communication required for go-live is planned."
        )
        assert verdicts["no-blocking-defects"].passed
        assert [k for k, v in verdicts.items() if not v.passed] == [
            k for k in KEYS if k != "no-blocking-defects"
        ]

    def test_rollback_rehearsal_too_slow_fails_the_gate(self):
        """A rehearsal over its RTO makes the go-live gate fail with that reason."""
        project = ProjectFactory()
        plan = RollbackPlanFactory(project=project, name="db-restore", rto_minutes=60)
        rehearse(plan, minutes=75)
        verdict = results(project)["rollback-rehearsed"]
        assert not verdict.passed
        assert "'db-restore'" in verdict.detail
        assert "took 75 min, over its RTO of 60 min" in verdict.detail
        assert verdict.evidence[0]["url"].startswith(
            f"/p/{project.key}/rollout/runbooks/db-restore/runs/"
        )
        with pytest.raises(ValidationError, match="over its RTO"):
            decision_open(actor=project.manager, gate=project.gates.get(name="go-live"))

    def test_another_gate_opening_rollout_keeps_it(self):
        """When a gate of the project already opens the rollout phase, the go-live gate does not."""
        project = ProjectFactory()
        Gate.objects.filter(project=project, name="go-live").delete()
        gate_create(
            actor=project.manager,
            project=project,
            name="launch",
            title="Launch",
            approvers=[project.manager],
            opens_phase=Phase.ROLLOUT,
        )
        gate = gate_create_go_live(actor=project.manager, project=project)
        assert gate.opens_phase == ""

    def test_evidence_complete_go_live_decision_opens_rollout(self):
        """Readiness approved and all evidence present: the sponsor's approval starts rollout."""
        sponsor = UserFactory(username="sponsor2")
        project = ProjectFactory(sponsor=sponsor)
        add_criterion(project)
        complete_checklist(project, project.manager)
        readiness = decision_open(actor=project.manager, gate=project.gates.get(name="readiness"))
        decision_vote(actor=project.manager, decision=readiness, approve=True)
        rehearse(RollbackPlanFactory(project=project, rto_minutes=60), minutes=40)
        check = MigrationCheckFactory(project=project)
        MigrationResult.objects.create(
            check_obj=check, passed=True, summary="ok", started_at=timezone.now()
        )
        SignOff.objects.create(
            project=project,
            name="UAT",
            created_by=project.manager,
            created_at=timezone.now(),
            status="complete",
            completed_at=timezone.now(),
        )
        CommunicationFactory(project=project, status="sent", sent_at=timezone.now())
        gate = project.gates.get(name="go-live")
        assert gate_evaluate(gate=gate).passed
        decision = decision_open(actor=project.manager, gate=gate)
        checklist = go_live_checklist(user=project.manager, project=project)
        assert checklist["pending"]["id"] == decision.pk
        assert checklist["pending"]["approved"] == 0
        decision_vote(actor=sponsor, decision=decision, approve=True, comment="Go")
        project.refresh_from_db()
        assert project.phase == Phase.ROLLOUT
        checklist = go_live_checklist(user=project.manager, project=project)
        assert checklist["pending"] is None
        assert checklist["latest"]["status"] == "approved"
        assert checklist["latest"]["approvals"][0]["approver"] == "sponsor2"


@pytest.mark.django_db
class GoLiveChecklistTests:
    def test_checklist_lists_each_criterion(self):
        """Viewers see each criterion's verdict, detail, evidence and waiver state."""
        project = ProjectFactory()
        team = team_for(project)
        checklist = go_live_checklist(user=team["viewer"], project=project)
        assert checklist["gate"].name == "go-live" and checklist["passed"] is False
        assert [c["key"] for c in checklist["criteria"]] == KEYS
        first = checklist["criteria"][0]
        assert set(first) >= {"passed", "detail", "evidence", "waived"}
        assert checklist["pending"] is None and checklist["latest"] is None
        assert checklist["approvers"] == [project.manager.username]

    def test_outsider_and_missing_gate(self):
        """An outsider gets NotFound; so does a project without the gate, clearly."""
        project = ProjectFactory()
        with pytest.raises(NotFound):
            go_live_checklist(user=ProjectFactory().manager, project=project)
        Gate.objects.filter(project=project, name="go-live").delete()
        with pytest.raises(NotFound, match="no go-live gate"):
            go_live_checklist(user=project.manager, project=project)


@pytest.mark.django_db
class GoLiveMigrationTests:
    def test_migration_adds_the_same_gate_to_projects_lacking_it(self):
        """The data migration writes the gate as the service does, once per project."""
        migration = importlib.import_module("golive.rollout.migrations.0002_go_live_gates")
        sponsor = UserFactory(username="sp")
        manager = UserFactory(username="pm3")
        reference = ProjectFactory(manager=manager, sponsor=sponsor)
        bare = ProjectFactory(manager=manager, sponsor=sponsor)
        Gate.objects.filter(project=bare, name="go-live").delete()
        migration.add_go_live_gates(apps, None)
        migration.add_go_live_gates(apps, None)
        assert Gate.objects.filter(name="go-live").count() == 2
        made, expected = (p.gates.get(name="go-live") for p in (bare, reference))

        def shape(gate):
            return (
                gate.title,
                gate.opens_phase,
                gate.quorum,
                gate.is_system,
                gate.description,
                sorted(gate.approvers.values_list("username", flat=True)),
                [
                    (c.key, c.label, c.type_key, c.params, c.position, c.locked)
                    for c in gate.criteria.all()
                ],
            )

        assert shape(made) == shape(expected)
