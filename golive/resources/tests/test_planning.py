"""The start-floor hook in the plan's network, and the providers resources register."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from golive.resources.tests.factories import DAY, ProcurementItemFactory, staffed_plan
from golive.scheduling.calendar import WorkCalendar
from golive.scheduling.network import ConstraintKind
from golive.work import planning
from golive.work.models import WorkPackage
from golive.work.planning import StartFloor, network_build, plan_compute, start_floor_provider

BERLIN = ZoneInfo("Europe/Berlin")
ORIGIN = datetime(2027, 3, 1, 0, 0, tzinfo=BERLIN)  # a Monday


def cal() -> WorkCalendar:
    return WorkCalendar.standard("Europe/Berlin", origin=ORIGIN)


def wp(pk, **fields) -> WorkPackage:
    fields.setdefault("duration", DAY)
    return WorkPackage(pk=pk, wbs=str(pk), name=f"Task {pk}", **fields)


def at(day, hour=8):
    return datetime(2027, 3, day, hour, 0, tzinfo=BERLIN)


def floor(day, source="a delivery"):
    return StartFloor(at(day, 0), source)


class NetworkFloorTests:
    def test_latest_floor_becomes_snet(self):
        """Of several floors the latest counts; it becomes a start-no-earlier-than."""
        network = network_build([wp(1)], [], cal(), floors={1: [floor(3), floor(5), floor(2)]})
        constraint = network.task("1").constraint
        assert constraint.kind is ConstraintKind.SNET and constraint.offset == 4 * DAY

    def test_later_own_snet_wins(self):
        """A package's own SNET after the floor is kept; an earlier one gives way."""
        own = wp(1, constraint_kind="snet", constraint_date=at(8))
        kept = network_build([own], [], cal(), floors={1: [floor(3)]}).task("1").constraint
        assert kept.offset == 5 * DAY
        early = wp(1, constraint_kind="snet", constraint_date=at(2))
        moved = network_build([early], [], cal(), floors={1: [floor(3)]}).task("1").constraint
        assert moved.offset == 2 * DAY

    def test_summary_floor_holds_for_its_leaves(self):
        """A floor on a summary goes to its sub-packages; the summary carries no constraint."""
        summary = wp(1)
        child = wp(2, parent_id=1)
        network = network_build([summary, child], [], cal(), floors={1: [floor(3)]})
        assert network.task("1").constraint is None
        assert network.task("2").constraint.offset == 2 * DAY

    def test_started_package_ignores_floors(self):
        """What already started is not held back by a floor."""
        started = wp(1, actual_start=at(1))
        network = network_build([started], [], cal(), floors={1: [floor(5)]})
        assert network.task("1").constraint is None

    def test_must_start_on_before_a_floor_is_refused(self):
        """An MSO earlier than a floor names the package, both dates and the floor's source."""
        mso = wp(1, constraint_kind="mso", constraint_date=at(2))
        with pytest.raises(ValidationError) as exc:
            network_build([mso], [], cal(), floors={1: [floor(4, "delivery of “Servers”")]})
        assert str(exc.value.message_dict["schedule"][0]) == (
            "1 Task 1 must start on 2027-03-02 08:00 but cannot start before 2027-03-04 08:00 "
            "(delivery of “Servers”)."
        )
        later = wp(1, constraint_kind="mso", constraint_date=at(5))
        assert network_build([later], [], cal(), floors={1: [floor(4)]}).task("1").constraint == (
            network_build([later], [], cal(), floors={}).task("1").constraint
        )

    def test_deadline_the_floor_makes_impossible_is_refused(self):
        """A finish-no-later-than before floor + duration is refused; one after it is kept."""
        tight = wp(1, constraint_kind="fnlt", constraint_date=at(4, 17))
        with pytest.raises(ValidationError) as exc:
            network_build(
                [wp(1, duration=2 * DAY, constraint_kind="fnlt", constraint_date=at(4, 17))],
                [],
                cal(),
                floors={1: [floor(4)]},
            )
        assert "must finish by 2027-03-04 17:00" in str(exc.value)
        ok = network_build([tight], [], cal(), floors={1: [floor(4)]}).task("1").constraint
        assert ok.kind is ConstraintKind.SNET and ok.offset == 3 * DAY


@pytest.mark.django_db
class ProviderTests:
    def test_registered_provider_moves_the_plan(self, monkeypatch):
        """A registered provider's bare datetime floors the package, with its source label."""
        project, _, wps, _ = staffed_plan()
        monkeypatch.setattr(planning, "_FLOOR_PROVIDERS", list(planning._FLOOR_PROVIDERS))
        docs = wps["Docs"].pk

        def audits(project, package_ids):
            return {docs: at(4, 0)} if docs in package_ids else {}

        assert start_floor_provider(audits, source="an audit") is audits
        start_floor_provider(audits)  # registering twice changes nothing
        assert sum(1 for fn, _ in planning._FLOOR_PROVIDERS if fn is audits) == 1
        floors = planning.start_floors(project, [docs])
        assert floors[docs] == [StartFloor(at(4, 0), "an audit")]
        result = plan_compute(project)
        assert result.schedule.tasks[str(docs)].early_start == 3 * DAY
        assert planning.start_floors(project, []) == {}

    def test_delivery_provider_uses_the_delivery_that_counts(self, db):
        """The actual delivery replaces the expected one; items without a date hold nothing."""
        project, _, wps, _ = staffed_plan()
        build = wps["Build"].pk
        ProcurementItemFactory(project=project, name="Undated", work_packages=[wps["Build"]])
        item = ProcurementItemFactory(
            project=project,
            name="Servers",
            expected_delivery=date(2027, 3, 10),
            actual_delivery=date(2027, 3, 4),
            work_packages=[wps["Build"]],
        )
        found = planning.start_floors(project, [build])[build]
        assert [(f.start, f.key) for f in found] == [(at(4, 0), ("procurement", item.pk))]
        start = WorkPackage.objects.get(pk=build).early_start
        assert timezone.localtime(start, BERLIN) == at(4)

    def test_network_without_explicit_floors_asks_the_providers(self, db):
        """network_build reads the registered floors itself (the forecast builds it that way)."""
        project, _, wps, _ = staffed_plan()
        ProcurementItemFactory(
            project=project,
            name="Servers",
            expected_delivery=date(2027, 3, 8),
            work_packages=[wps["Build"]],
        )
        packages = list(WorkPackage.objects.filter(project=project).order_by("position"))
        network = network_build(packages, [], cal())
        constraint = network.task(str(wps["Build"].pk)).constraint
        assert constraint.kind is ConstraintKind.SNET and constraint.offset == 5 * DAY
        assert network_build([], [], cal()).tasks == ()
