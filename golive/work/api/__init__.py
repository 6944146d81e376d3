"""API: plan and execute — work packages, links, calendar, baselines, checkpoints, blockers,
the escalation path, and the computed schedule, forecast and burn-down.

Durations, lags and float are working minutes on the project calendar throughout. One router
(`router`) carries every endpoint; the modules below register theirs on it in this order.
"""

# isort: off
# Registration order is the order of the operations in the OpenAPI document.
from golive.work.api import (  # noqa: F401  (imported for their routes)
    packages,
    links,
    calendar,
    baselines,
    checkpoints,
    blockers,
    schedule,
)

# isort: on
from golive.work.api.base import router

# The operation ids clients generate code from stay what they were before the split.
for _path_view in router.path_operations.values():
    for _operation in _path_view.operations:
        _operation.operation_id = _operation.operation_id or (
            f"golive_work_api_{_operation.view_func.__name__}"
        )

__all__ = ["router"]
