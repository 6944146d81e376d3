"""API: quality — requirements, test plans and cases, runs and results (manual and JUnit),
flaky cases, defects and their workflow, sign-offs, traceability and the QA dashboard.

Everything sits under ``/projects/{key}/quality/``. One router (`router`) carries every
endpoint; the modules below register theirs on it in this order.
"""

# isort: off
# Registration order is the order of the operations in the OpenAPI document.
from golive.quality.api import (  # noqa: F401  (imported for their routes)
    requirements,
    plans,
    cases,
    runs,
    defects,
    signoffs,
    reports,
)

# isort: on
from golive.quality.api.base import router

__all__ = ["router"]
