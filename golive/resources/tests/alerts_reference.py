"""The straightforward `procurement_alerts`: one plan per procurement item (the reference).

`golive.resources.selectors.procurement_alerts` must give exactly these alerts while computing
fewer plans; the tests and bench/procurement_alerts.py compare the two.
"""

from typing import Any

from golive.projects.models import Project
from golive.resources.access import resource_check
from golive.resources.planning import PROCUREMENT, delivery_instant
from golive.resources.selectors import ProcurementAlert, _today, procurement_item_list
from golive.work.models import ProjectCalendar, WorkPackage
from golive.work.planning import plan_compute, start_floors


def procurement_alerts_per_item(*, user: Any, project: Project) -> list[ProcurementAlert]:
    """Return the deliveries that are late or at risk, planning once without each item."""
    resource_check(user=user, project=project, action="view")
    items = [
        item
        for item in procurement_item_list(user=user, project=project)
        if item.actual_delivery is None and item.expected_delivery is not None
    ]
    if not items or not ProjectCalendar.objects.filter(project=project).exists():
        return []
    today = _today(project)
    packages = list(WorkPackage.objects.filter(project=project).order_by("position", "id"))
    floors = start_floors(project, [wp.pk for wp in packages])
    with_all = plan_compute(project, packages, floors=floors)
    cal = with_all.calendar
    alerts = []
    for item in items:
        expected = item.expected_delivery
        assert expected is not None
        needing = list(item.work_packages.all())
        if not needing:
            if expected < today:
                alerts.append(ProcurementAlert(item, "late", expected, None, [], None, None, 0))
            continue
        key = (PROCUREMENT, item.pk)
        without = plan_compute(
            project,
            packages,
            floors={pk: [f for f in found if f.key != key] for pk, found in floors.items()},
        )
        first = min(without.schedule.tasks[str(wp.pk)].early_start for wp in needing)
        needed_by = cal.instant_at(first)
        delivered = delivery_instant(expected, project.time_zone)
        late = expected < today
        holds_up = delivered > needed_by
        if not (late or holds_up):
            continue
        alerts.append(
            ProcurementAlert(
                item=item,
                state="late" if late else "at_risk",
                delivery=expected,
                needed_by=needed_by,
                packages=sorted(needing, key=lambda wp: (wp.position, wp.pk)),
                finish_with=with_all.finish(),
                finish_without=without.finish(),
                delay=with_all.schedule.finish - without.schedule.finish,
            )
        )
    alerts.sort(key=lambda a: (-a.delay, a.delivery, a.item.pk))
    return alerts
