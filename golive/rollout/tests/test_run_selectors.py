"""Run reads: list and get, the live view (halted steps, predicted end), and the run report."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from golive.errors import NotFound
from golive.projects.tests.factories import ProjectFactory, team_for
from golive.rollout.models import Run, RunStep
from golive.rollout.selectors.runs import run_get, run_list, run_live, run_report
from golive.rollout.services.runs import (
    run_start,
    step_complete,
    step_fail,
    step_start,
)
from golive.rollout.tests.factories import RunbookFactory, StepFactory


@pytest.fixture
def world(db):
    """prepare (10) → migrate (20) → verify (30); notify (5) after prepare."""
    project = ProjectFactory(key="LIV")
    team = team_for(project)
    runbook = RunbookFactory(project=project, name="cutover")
    prepare = StepFactory(runbook=runbook, key="prepare", duration_minutes=10)
    migrate = StepFactory(runbook=runbook, key="migrate", duration_minutes=20, depends_on=[prepare])
    StepFactory(runbook=runbook, key="verify", duration_minutes=30, depends_on=[migrate])
    StepFactory(
        runbook=runbook,
        key="notify",
        duration_minutes=5,
        depends_on=[prepare],
        owner=team["viewer"],
    )
    return project, team, runbook


def step(run, key):
    return RunStep.objects.get(run=run, key=key)


def backdate(run, minutes, **steps):
    """Move the run's start (and T0) back; set steps' (started, finished) minutes ago."""
    now = timezone.now()
    Run.objects.filter(pk=run.pk).update(
        started_at=now - timedelta(minutes=minutes), planned_start=now - timedelta(minutes=minutes)
    )
    for key, (started, finished) in steps.items():
        RunStep.objects.filter(run=run, key=key).update(
            started_at=now - timedelta(minutes=started) if started is not None else None,
            finished_at=now - timedelta(minutes=finished) if finished is not None else None,
        )
    run.refresh_from_db()
    return now


@pytest.mark.django_db
class RunGetTests:
    def test_get_by_number_active_or_latest(self, world):
        """run_get finds a run by number, or the one in progress, or the latest."""
        project, team, runbook = world
        run = run_start(actor=team["manager"], runbook=runbook, kind="rehearsal")
        viewer = team["viewer"]
        assert run_get(user=viewer, project=project, runbook_name="cutover", number=1) == run
        assert run_get(user=viewer, project=project, runbook_name="cutover", number=None) == run
        assert list(run_list(user=viewer, runbook=runbook)) == [run]
        with pytest.raises(NotFound):
            run_get(user=viewer, project=project, runbook_name="cutover", number=7)

    def test_outsider_not_found(self, world):
        """An outsider cannot read runs."""
        project, team, runbook = world
        run = run_start(actor=team["manager"], runbook=runbook, kind="rehearsal")
        outsider = ProjectFactory(key="OUT").manager
        with pytest.raises(NotFound):
            run_get(user=outsider, project=project, runbook_name="cutover", number=1)
        with pytest.raises(NotFound):
            run_live(user=outsider, run=run)
        with pytest.raises(NotFound):
            run_report(user=outsider, run=run)


@pytest.mark.django_db
class RunLiveTests:
    def test_planned_actual_and_flags(self, world):
        """Each step shows planned times from T0, who works on it, and whether it can start."""
        _, team, runbook = world
        run = run_start(actor=team["manager"], runbook=runbook, kind="rehearsal")
        step_start(actor=team["contributor"], run_step=step(run, "prepare"))
        live = run_live(user=team["viewer"], run=run)
        rows = {r["key"]: r for r in live["steps"]}
        t0 = run.planned_start
        assert rows["migrate"]["planned_start"] == t0 + timedelta(minutes=10)
        assert rows["verify"]["planned_finish"] == t0 + timedelta(minutes=60)
        assert live["planned_end"] == t0 + timedelta(minutes=60)
        assert rows["prepare"]["assignee"] == team["contributor"].username
        assert rows["notify"]["owner"] == team["viewer"].username
        assert rows["prepare"]["actual_start"] is not None
        assert not rows["migrate"]["can_start"] and rows["migrate"]["waiting_for"] == ["prepare"]
        assert live["progress"]["in_progress"] == 1 and live["progress"]["total"] == 4
        assert live["status"] == "running"

    def test_halted_and_can_start(self, world):
        """A failed step halts what follows it; a step after finished work can start."""
        _, team, runbook = world
        run = run_start(actor=team["manager"], runbook=runbook, kind="rehearsal")
        step_start(actor=team["contributor"], run_step=step(run, "prepare"))
        step_complete(actor=team["contributor"], run_step=step(run, "prepare"))
        step_start(actor=team["contributor"], run_step=step(run, "migrate"))
        step_fail(actor=team["contributor"], run_step=step(run, "migrate"), note="Lock timeout")
        rows = {r["key"]: r for r in run_live(user=team["viewer"], run=run)["steps"]}
        assert rows["verify"]["halted"] and not rows["verify"]["can_start"]
        assert not rows["notify"]["halted"] and rows["notify"]["can_start"]
        assert rows["migrate"]["note"] == "Lock timeout"

    def test_predicted_end_from_now(self, world):
        """Done steps use their actual finish, a started one max(now, start+duration)."""
        _, team, runbook = world
        run = run_start(actor=team["manager"], runbook=runbook, kind="rehearsal")
        step_start(actor=team["contributor"], run_step=step(run, "prepare"))
        step_complete(actor=team["contributor"], run_step=step(run, "prepare"))
        step_start(actor=team["contributor"], run_step=step(run, "migrate"))
        now = backdate(run, 20, prepare=(20, 5), migrate=(5, None))
        live = run_live(user=team["viewer"], run=run)
        # migrate ends 15 minutes from now, verify 30 after that.
        assert abs((live["predicted_end"] - (now + timedelta(minutes=45))).total_seconds()) < 120
        assert live["critical_path"] == ["migrate", "verify"]
        rows = {r["key"]: r for r in live["steps"]}
        assert rows["prepare"]["actual_finish"] < now
        assert not rows["prepare"]["critical"] and rows["verify"]["critical"]

    def test_overrun_pushes_the_prediction(self, world):
        """A step running past its duration finishes no earlier than now."""
        _, team, runbook = world
        run = run_start(actor=team["manager"], runbook=runbook, kind="rehearsal")
        step_start(actor=team["contributor"], run_step=step(run, "prepare"))
        now = backdate(run, 40, prepare=(40, None))
        live = run_live(user=team["viewer"], run=run)
        # prepare (10 min) is 30 minutes late: 20 + 30 more after now.
        assert abs((live["predicted_end"] - (now + timedelta(minutes=50))).total_seconds()) < 120
        assert live["planned_end"] < live["predicted_end"]

    def test_marker_changes_with_every_write(self, world):
        """The version marker moves on each step action."""
        _, team, runbook = world
        run = run_start(actor=team["manager"], runbook=runbook, kind="rehearsal")
        before = run_live(user=team["viewer"], run=run)
        step_start(actor=team["contributor"], run_step=step(run, "prepare"))
        after = run_live(user=team["viewer"], run=run)
        assert after["version"] > before["version"]
        assert after["updated_at"] >= before["updated_at"]

    def test_queries_do_not_grow_with_steps(self, world):
        """The live view runs the same number of queries for 4 steps and for 12."""
        project, team, runbook = world
        small = run_start(actor=team["manager"], runbook=runbook, kind="rehearsal")
        big_book = RunbookFactory(project=project, name="big")
        previous = None
        for n in range(12):
            previous = StepFactory(
                runbook=big_book,
                key=f"s{n}",
                owner=team["contributor"],
                depends_on=[previous] if previous else [],
            )
        big = run_start(actor=team["manager"], runbook=big_book, kind="rehearsal")
        for s in big.steps.all()[:3]:
            RunStep.objects.filter(pk=s.pk).update(assignee=team["contributor"])
        counts = []
        for run in (small, big):
            viewer = team["viewer"]
            run = Run.objects.select_related("runbook__project").get(pk=run.pk)
            run_live(user=viewer, run=run)  # warm the role cache
            with CaptureQueriesContext(connection) as ctx:
                run_live(user=viewer, run=run)
            counts.append(len(ctx))
        assert counts[0] == counts[1] <= 2


def finish_all(run, actor):
    for key in ("prepare", "migrate", "verify", "notify"):
        step_start(actor=actor, run_step=step(run, key))
        step_complete(actor=actor, run_step=step(run, key))


@pytest.mark.django_db
class RunReportTests:
    def test_planned_vs_actual_and_earlier_rehearsals(self, world):
        """The report compares each step with its plan and the run with earlier rehearsals."""
        _, team, runbook = world
        first = run_start(actor=team["manager"], runbook=runbook, kind="rehearsal")
        finish_all(first, team["contributor"])
        now = timezone.now()
        RunStep.objects.filter(run=first, key="migrate").update(
            started_at=now - timedelta(minutes=45), finished_at=now - timedelta(minutes=10)
        )
        Run.objects.filter(pk=first.pk).update(started_at=now - timedelta(minutes=60))
        second = run_start(actor=team["manager"], runbook=runbook, kind="live")
        step_start(actor=team["contributor"], run_step=step(second, "prepare"))
        step_complete(actor=team["contributor"], run_step=step(second, "prepare"), note="Slow VPN")
        report = run_report(user=team["viewer"], run=second)
        rows = {r["key"]: r for r in report["steps"]}
        assert rows["prepare"]["planned_duration_minutes"] == 10
        assert rows["prepare"]["actual_duration_minutes"] is not None
        assert rows["prepare"]["note"] == "Slow VPN"
        assert rows["migrate"]["actual_duration_minutes"] is None
        assert report["planned_minutes"] == 60
        assert report["run"]["kind"] == "live"
        [earlier] = report["rehearsals"]
        assert (earlier["number"], earlier["kind"], earlier["status"]) == (
            1,
            "rehearsal",
            "succeeded",
        )
        assert earlier["steps"]["migrate"] == 35.0
        assert earlier["duration_minutes"] is not None and earlier["duration_minutes"] >= 59

    def test_start_delay_and_rto(self, world):
        """A late start shows as a delay; a rollback plan's run is judged against its RTO."""
        project, team, _ = world
        plan = RunbookFactory(project=project, name="restore", kind="rollback", rto_minutes=30)
        StepFactory(runbook=plan, key="restore-db", duration_minutes=20)
        run = run_start(actor=team["manager"], runbook=plan, kind="rehearsal")
        Run.objects.filter(pk=run.pk).update(
            planned_start=run.planned_start - timedelta(minutes=10),
            started_at=run.started_at - timedelta(minutes=10),
        )
        run.refresh_from_db()
        step_start(actor=team["contributor"], run_step=step(run, "restore-db"))
        step_complete(actor=team["contributor"], run_step=step(run, "restore-db"))
        run.refresh_from_db()
        report = run_report(user=team["viewer"], run=run)
        assert report["steps"][0]["start_delay_minutes"] >= 9.9
        assert report["rto_minutes"] == 30 and report["within_rto"] is True
        assert report["finished"] and report["rehearsals"] == []
