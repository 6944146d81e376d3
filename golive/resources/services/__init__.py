"""Writes on resources, skills, time off, assignments, procurement items and leveling.

One module per area: `resources` (resources, skills, time off, settings), `assignments`,
`procurement` and `leveling`. Every write runs in one transaction with its audit record.
Writes that change when work can start (procurement deliveries, leveling holds, effort-driven
assignments) reschedule the project in the same transaction, so a plan the change makes
impossible refuses the change.
"""

from golive.resources.planning import LEVELING
from golive.resources.services.assignments import (
    assignment_create,
    assignment_delete,
    assignment_update,
)
from golive.resources.services.leveling import (
    leveling_apply,
    leveling_discard,
    leveling_preview,
    leveling_undo,
    plan_fingerprint,
)
from golive.resources.services.procurement import (
    procurement_item_create,
    procurement_item_delete,
    procurement_item_update,
)
from golive.resources.services.resources import (
    resource_create,
    resource_delete,
    resource_settings_update,
    resource_update,
    skill_remove,
    skill_set,
    time_off_add,
    time_off_remove,
)

__all__ = [
    "LEVELING",
    "assignment_create",
    "assignment_delete",
    "assignment_update",
    "leveling_apply",
    "leveling_discard",
    "leveling_preview",
    "leveling_undo",
    "plan_fingerprint",
    "procurement_item_create",
    "procurement_item_delete",
    "procurement_item_update",
    "resource_create",
    "resource_delete",
    "resource_settings_update",
    "resource_update",
    "skill_remove",
    "skill_set",
    "time_off_add",
    "time_off_remove",
]
