"""Reads on resources: load and overload figures on known data, warnings, candidates, alerts."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from golive.errors import NotFound
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.resources import planning
from golive.resources.models import Assignment, Resource
from golive.resources.selectors import (
    assignment_candidates,
    assignment_list,
    critical_share_warnings,
    overloads,
    procurement_alerts,
    resource_list,
    resource_load,
)
from golive.resources.services import resource_settings_update, skill_set, time_off_add
from golive.resources.tests.alerts_reference import procurement_alerts_per_item
from golive.resources.tests.factories import (
    DAY,
    MONDAY,
    ProcurementItemFactory,
    ResourceFactory,
    link,
    package,
    procurement_plan,
    staffed_plan,
)
from golive.work.models import WorkPackage
from golive.work.services import calendar_update, work_package_update, work_reschedule

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def plan(db):
    return staffed_plan()


def row_of(load, name):
    return next(row for row in load.rows if row.resource.name == name)


@pytest.mark.django_db
class ResourceLoadTests:
    def test_figures_per_day_and_week(self, plan):
        """Ann is asked 16 h on Monday and Tuesday; Bob 8 h Wednesday to Friday."""
        project, team, _, _ = plan
        load = resource_load(user=team["viewer"], project=project, start=MONDAY, weeks=2)
        assert load.days[0] == MONDAY and load.end == MONDAY + timedelta(days=13)
        ann, bob = row_of(load, "Ann"), row_of(load, "Bob")
        assert [(d.capacity_hours, d.demand_hours) for d in ann.days[:7]] == [
            (8, 16),
            (8, 16),
            (8, 0),
            (8, 0),
            (8, 0),
            (0, 0),
            (0, 0),
        ]
        assert [d.overloaded for d in ann.days[:3]] == [True, True, False]
        assert ann.overloaded_days == 2 and bob.overloaded_days == 0
        week = ann.weeks[0]
        assert (week.capacity_hours, week.demand_hours, week.overloaded_days) == (40, 32, 2)
        assert week.percent == 80
        assert [d.demand_hours for d in bob.days[:5]] == [0, 0, 8, 8, 8]
        assert load.overloaded_days == 2

    def test_units_time_off_and_availability(self, plan):
        """Half units halve the demand; time off and the availability window zero capacity."""
        project, _, wps, people = plan
        a = Assignment.objects.get(resource=people["bob"], work_package=wps["Build"])
        Assignment.objects.filter(pk=a.pk).update(units=50)
        time_off_add(
            actor=project.manager,
            resource=people["bob"],
            start=date(2027, 3, 4),
            end=date(2027, 3, 4),
        )
        Resource.objects.filter(pk=people["bob"].pk).update(available_to=date(2027, 3, 4))
        load = resource_load(user=project.manager, project=project, start=MONDAY, weeks=1)
        bob = row_of(load, "Bob")
        assert [(d.capacity_hours, d.demand_hours, d.overloaded) for d in bob.days[2:5]] == [
            (8, 4, False),
            (0, 4, True),
            (0, 4, True),
        ]

    def test_part_days_count_their_share(self, plan):
        """A package starting at noon asks half of that day."""
        project, _, wps, _people = plan
        WorkPackage.objects.filter(pk=wps["Build"].pk).update(
            early_start=datetime(2027, 3, 3, 13, 0, tzinfo=BERLIN),
            early_finish=datetime(2027, 3, 4, 12, 0, tzinfo=BERLIN),
        )
        load = resource_load(user=project.manager, project=project, start=MONDAY, weeks=1)
        assert [d.demand_hours for d in row_of(load, "Bob").days[2:4]] == [4, 4]

    def test_query_count_does_not_grow_with_packages(self, plan, django_assert_max_num_queries):
        """The load reads a fixed number of queries however many packages and resources."""
        project, _, _, _ = plan
        with django_assert_max_num_queries(8):
            resource_load(user=project.manager, project=project, start=MONDAY, weeks=12)
        pm = project.manager
        created = WorkPackage.objects.bulk_create(
            [
                WorkPackage(
                    project=project,
                    name=f"Extra {i}",
                    owner=pm,
                    duration=DAY,
                    position=100 + i,
                    early_start=datetime(2027, 3, 1, 8, tzinfo=BERLIN) + timedelta(days=i % 20),
                    early_finish=datetime(2027, 3, 1, 17, tzinfo=BERLIN) + timedelta(days=i % 20),
                )
                for i in range(200)
            ]
        )
        extra = [ResourceFactory(project=project, name=f"R{i}") for i in range(5)]
        Assignment.objects.bulk_create(
            [
                Assignment(work_package=wp, resource=extra[i % 5], units=50)
                for i, wp in enumerate(created)
            ]
        )
        with django_assert_max_num_queries(8):
            load = resource_load(user=project.manager, project=project, start=MONDAY, weeks=12)
        assert len(load.rows) == 7 and len(load.days) == 84

    def test_access_and_bad_weeks(self, plan):
        """Outsiders are not told the project exists; weeks must be 1 to 104."""
        project, team, _, _ = plan
        with pytest.raises(NotFound):
            resource_load(user=UserFactory(), project=project)
        with pytest.raises(ValidationError):
            resource_load(user=team["viewer"], project=project, weeks=0)
        assert resource_list(user=team["viewer"], project=project).count() == 2
        assert assignment_list(user=team["viewer"], project=project).count() == 3

    def test_overloads_name_the_packages(self, plan):
        """The overload of Ann on Monday names Design and Docs."""
        project, _, _, _ = plan
        found = overloads(project=project, start=MONDAY, end=MONDAY + timedelta(days=6))
        assert [(o.resource.name, o.day) for o in found] == [
            ("Ann", date(2027, 3, 1)),
            ("Ann", date(2027, 3, 2)),
        ]
        assert sorted(found[0].packages) == ["1 Design", "4 Docs"]
        assert (found[0].capacity_hours, found[0].demand_hours) == (8, 16)


@pytest.mark.django_db
class CriticalShareTests:
    def test_person_over_the_share_is_warned(self, plan):
        """Bob builds 60 % of the critical path's work (3 of 5 days): above the default 50 %."""
        project, team, wps, _ = plan
        warnings = critical_share_warnings(user=team["viewer"], project=project)
        assert [(w.resource.name, w.share_percent, w.threshold_percent) for w in warnings] == [
            ("Bob", 60, 50)
        ]
        assert [wp.pk for wp in warnings[0].packages] == [wps["Build"].pk]
        resource_settings_update(actor=project.manager, project=project, critical_share_percent=30)
        warnings = critical_share_warnings(user=team["viewer"], project=project)
        assert [(w.resource.name, w.share_percent) for w in warnings] == [("Bob", 60), ("Ann", 40)]

    def test_equipment_is_not_warned(self, plan):
        """Only people are warned about: a machine on the path is no key-person risk."""
        project, _, _, people = plan
        Resource.objects.filter(pk=people["bob"].pk).update(kind="equipment", user=None)
        assert critical_share_warnings(user=project.manager, project=project) == []


@pytest.mark.django_db
class CandidateTests:
    def test_ranked_by_free_capacity_then_level_then_cost(self, plan):
        """For Docs (Mon-Tue) Bob is free, Ann is busy on Design; Carl's level is too low."""
        project, team, wps, people = plan
        pm = project.manager
        carl = ResourceFactory(project=project, name="Carl")
        dana = ResourceFactory(project=project, name="Dana", cost_rate=50)
        erin = ResourceFactory(project=project, name="Erin", cost_rate=40)
        for resource, level in ((people["ann"], 4), (people["bob"], 3), (carl, 1)):
            skill_set(actor=pm, resource=resource, skill="ABAP", level=level)
        for resource in (dana, erin):
            skill_set(actor=pm, resource=resource, skill="ABAP", level=3)
        found = assignment_candidates(
            user=team["viewer"], package=wps["Docs"], skill="abap", level=2
        )
        assert [(c.resource.name, c.level, c.free_hours) for c in found] == [
            ("Bob", 3, 16),
            ("Erin", 3, 16),
            ("Dana", 3, 16),
            ("Ann", 4, 0),
        ]
        assert found[-1].assigned and not found[0].assigned
        everyone = assignment_candidates(user=team["viewer"], package=wps["Docs"])
        assert {c.resource.name for c in everyone} == {"Ann", "Bob", "Carl", "Dana", "Erin"}
        time_off_add(actor=pm, resource=people["bob"], start=MONDAY, end=MONDAY)
        found = assignment_candidates(user=team["viewer"], package=wps["Docs"], skill="ABAP")
        assert found[0].resource.name == "Erin"
        assert next(c for c in found if c.resource.name == "Bob").free_hours == 8


@pytest.mark.django_db
class ProcurementAlertTests:
    def test_late_delivery_shows_its_impact_on_the_finish(self, plan):
        """Servers due on Monday 8 March hold Build (needed on the 3rd): the finish moves 3 days."""
        project, team, wps, _ = plan
        ProcurementItemFactory(
            project=project,
            name="Servers",
            expected_delivery=date(2027, 3, 8),
            work_packages=[wps["Build"]],
        )
        ProcurementItemFactory(
            project=project, name="Early licences", expected_delivery=date(2027, 2, 1)
        )
        ProcurementItemFactory(
            project=project,
            name="Docs tool",
            expected_delivery=date(2027, 3, 1),
            work_packages=[wps["Docs"]],
        )
        alerts = procurement_alerts(user=team["viewer"], project=project)
        assert [a.item.name for a in alerts] == ["Servers"]
        alert = alerts[0]
        assert alert.state == "at_risk" and alert.delay == 3 * DAY and alert.delay_days == 3
        assert alert.needed_by == datetime(2027, 3, 3, 8, tzinfo=BERLIN)
        assert alert.finish_with.astimezone(BERLIN) == datetime(2027, 3, 10, 17, tzinfo=BERLIN)
        assert alert.finish_without.astimezone(BERLIN) == datetime(2027, 3, 5, 17, tzinfo=BERLIN)
        assert [wp.pk for wp in alert.packages] == [wps["Build"].pk]

    def test_overdue_delivery_is_late(self, db):
        """A delivery expected before today and not recorded is late."""
        project, team, wps, _ = staffed_plan(key="LAT", start=date.today() - timedelta(days=30))
        ProcurementItemFactory(
            project=project,
            name="Switches",
            expected_delivery=date.today() - timedelta(days=3),
            work_packages=[wps["Go-live"]],
        )
        work_reschedule(project=project)
        alerts = procurement_alerts(user=team["viewer"], project=project)
        assert [(a.item.name, a.state) for a in alerts] == [("Switches", "late")]


def alert_rows(alerts):
    return [
        (
            a.item.name,
            a.state,
            a.delivery,
            a.needed_by,
            [wp.pk for wp in a.packages],
            a.finish_with,
            a.finish_without,
            a.delay,
        )
        for a in alerts
    ]


def plans_without_counted(monkeypatch):
    """Count the plans `DeliveryImpact` schedules without one item's delivery."""
    calls = []
    for name in ("schedule", "plan_compute"):
        compute = getattr(planning, name)

        def counting(*args, _compute=compute, **kwargs):
            calls.append(_compute.__name__)
            return _compute(*args, **kwargs)

        monkeypatch.setattr(planning, name, counting)
    return calls


@pytest.mark.django_db
class ProcurementAlertImpactTests:
    def test_same_alerts_as_one_plan_per_item_with_fewer_plans(self, db, monkeypatch):
        """Late items on one chain, on a summary, shadowed or slack: the per-item alerts."""
        today = date.today()
        start = today - timedelta(days=today.weekday() + 28)  # a Monday four weeks ago
        project = ProjectFactory(key="IMP", time_zone="Europe/Berlin")
        team = team_for(project)
        calendar_update(actor=project.manager, project=project, schedule_start=start)
        design = package(project, "Design", duration=2 * DAY)
        build = package(project, "Build", duration=3 * DAY)
        test = package(project, "Test", duration=2 * DAY)
        golive = package(project, "Go-live", duration=0, milestone=True)
        docs = package(project, "Docs", duration=2 * DAY)
        training = package(
            project,
            "Training",
            duration=DAY,
            constraint_kind="snet",
            constraint_date=datetime.combine(start + timedelta(days=11), time(8), BERLIN),
        )
        audit = package(
            project,
            "Audit",
            duration=DAY,
            constraint_kind="fnlt",
            constraint_date=datetime.combine(today + timedelta(days=300), time(17), BERLIN),
        )
        cutover = package(project, "Cutover", duration=0)
        cut_a = package(project, "Cut A", duration=DAY, parent=cutover)
        cut_b = package(project, "Cut B", duration=DAY, parent=cutover)
        for a, b in [(design, build), (build, test), (test, golive), (docs, golive)]:
            link(project, a, b)
        link(project, cut_a, cut_b)
        link(project, cut_b, golive)

        def item(name, days, *needing):
            ProcurementItemFactory(
                project=project,
                name=name,
                expected_delivery=start + timedelta(days=days),
                work_packages=list(needing),
            )

        item("Servers", 7, build)  # holds Build (due on the Wednesday) to the next Monday
        item("Test rig", 14, test)  # on the same chain: holds Test after Servers' delay
        item("Probes", 9, test)  # Test waits for the rig anyway: no floor of its own
        item("Switches", 15, golive)  # Go-live is later than that because of the rig
        item("Licences", 1)  # needed by nothing: late all the same
        item("Docs tool", 0, docs)  # arrives as Docs starts
        item("Rooms", 10, training)  # Training starts later by its own constraint
        item("Auditor", 3, audit)  # a deadline package: recomputed
        item("Tapes", 4, cutover)  # a summary's delivery holds its leaves
        item("Screens", 8, docs, training)
        work_reschedule(project=project)

        expected = alert_rows(procurement_alerts_per_item(user=team["viewer"], project=project))
        counted = plans_without_counted(monkeypatch)
        alerts = procurement_alerts(user=team["viewer"], project=project)

        assert alert_rows(alerts) == expected
        states = {a.item.name: a.state for a in alerts}
        assert states["Servers"] == states["Test rig"] == "late"
        assert {"Switches", "Licences", "Rooms", "Tapes"} <= set(states)
        delays = {a.item.name: a.delay for a in alerts}
        # The rig holds the finish; Servers' delay on the same chain is absorbed by it.
        assert delays["Test rig"] == DAY and delays["Servers"] == 0 and delays["Switches"] == 0
        # Ten items need packages; the per-item version computes ten plans.
        assert 0 < len(counted) < 10 and "plan_compute" not in counted

    def test_a_deadline_the_plan_without_a_delivery_misses_is_refused_as_before(self, db):
        """Without its floor a package's FNLT is checked again: both refuse, in the same words."""
        start = date.today() - timedelta(days=date.today().weekday() + 14)
        project = ProjectFactory(key="FNL", time_zone="Europe/Berlin")
        team = team_for(project)
        calendar_update(actor=project.manager, project=project, schedule_start=start)
        first = package(project, "Prepare", duration=5 * DAY)
        held = package(project, "Install", duration=DAY)
        ProcurementItemFactory(
            project=project,
            name="Servers",
            expected_delivery=start + timedelta(days=1),
            work_packages=[held],
        )
        # With the floor the deadline gives way to it (network_build), so the plan stands.
        work_package_update(
            actor=project.manager,
            package=held,
            constraint_kind="fnlt",
            constraint_date=datetime.combine(start + timedelta(days=3), time(17), BERLIN),
        )
        link(project, first, held)
        with pytest.raises(ValidationError) as reference:
            procurement_alerts_per_item(user=team["viewer"], project=project)
        with pytest.raises(ValidationError) as refused:
            procurement_alerts(user=team["viewer"], project=project)
        assert refused.value.messages == reference.value.messages
        assert "Install" in refused.value.messages[0]

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_random_plans_give_the_per_item_alerts(self, db, seed):
        """On random plans with summaries, constraints and shared packages, nothing differs."""
        today = date.today()
        project = ProjectFactory(key=f"RND{seed}", time_zone="Europe/Berlin")
        team = team_for(project)
        procurement_plan(
            project, packages=60, items=14, seed=seed, start=today - timedelta(days=30)
        )
        expected = alert_rows(procurement_alerts_per_item(user=team["viewer"], project=project))
        assert expected
        assert alert_rows(procurement_alerts(user=team["viewer"], project=project)) == expected

    def test_started_work_gives_the_per_item_alerts(self, db, monkeypatch):
        """With work begun (so planned from the status date), nothing differs either."""
        now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: now)  # one status date for every plan
        project = ProjectFactory(key="STA", time_zone="Europe/Berlin")
        team = team_for(project)
        procurement_plan(
            project,
            packages=40,
            items=12,
            seed=7,
            start=date.today() - timedelta(days=5),
            started=4,
        )
        expected = alert_rows(procurement_alerts_per_item(user=team["viewer"], project=project))
        assert alert_rows(procurement_alerts(user=team["viewer"], project=project)) == expected
