"""API: rollout — the rollout plan and its waves, runbooks and their steps, runs (rehearsals and
live) with the live view, the report and the step actions, migration checks with their extracts
and results, communications, and the go-live checklist.

Everything sits under ``/projects/{key}/rollout/``. One router (`router`) carries every
endpoint; the modules below register theirs on it in this order.
"""

# isort: off
# Registration order is the order of the operations in the OpenAPI document.
from golive.rollout.api import (  # noqa: F401  (imported for their routes)
    plan,
    runbooks,
    runs,
    migrations,
    communications,
    golive,
)

# isort: on
from golive.rollout.api.base import router

__all__ = ["router"]
