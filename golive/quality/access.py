"""Who may do what with requirements, tests, results, defects and sign-offs."""

from typing import Any

from golive.projects.access import require_role
from golive.projects.models import Project, Role

QUALITY_RULES = {
    "view": Role.VIEWER,
    "edit": Role.CONTRIBUTOR,  # requirements, test plans, test cases
    "execute": Role.CONTRIBUTOR,  # runs, results, JUnit imports
    "report_defect": Role.CONTRIBUTOR,
    "work_defect": Role.CONTRIBUTOR,  # triage, start, fix, retest, close, reopen
    "flag_defect": Role.MANAGER,  # change whether a defect blocks go-live
    "delete": Role.MANAGER,
    "signoff_open": Role.MANAGER,
    "signoff_revoke": Role.MANAGER,
    "sign": Role.APPROVER,  # and named on the sign-off
}

QUALITY_ACTION_PHRASES = {
    "view": "see requirements, tests and defects",
    "edit": "edit requirements, test plans and test cases",
    "execute": "record test runs and results",
    "report_defect": "report defects",
    "work_defect": "work on defects",
    "flag_defect": "change whether a defect blocks go-live",
    "delete": "delete quality records",
    "signoff_open": "open sign-offs",
    "signoff_revoke": "revoke sign-offs",
    "sign": "sign sign-offs",
}


def quality_check(*, user: Any, project: Project, action: str) -> Role:
    """Authorize an action on a project's quality records."""
    return require_role(
        user=user,
        project=project,
        role=QUALITY_RULES[action],
        action=QUALITY_ACTION_PHRASES[action],
    )
