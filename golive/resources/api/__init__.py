"""API: resources — people, teams, equipment and vendors with their skills and time off,
assignments to work packages and candidates for them, procurement items and their alerts, load
per day and week, critical-share warnings, the resource settings, and leveling runs.

Everything sits under ``/projects/{key}/resources``. One router (`router`) carries every
endpoint; the modules below register theirs on it in this order.
"""

# isort: off
# Registration order is the order of the operations in the OpenAPI document.
from golive.resources.api import (  # noqa: F401  (imported for their routes)
    resources,
    assignments,
    procurement,
    load,
    leveling,
)

# isort: on
from golive.resources.api.base import router

__all__ = ["router"]
