"""The web UI's views, one module per area; urls.py refers to them through this package."""

from golive.web.views.accounts import token_list, token_revoke
from golive.web.views.criteria import (
    success_criteria,
    success_criterion_delete,
    success_criterion_edit,
)
from golive.web.views.gates import decision_detail, decision_list, gate_detail
from golive.web.views.members import members
from golive.web.views.projects import (
    activity,
    project_create,
    project_dashboard,
    project_list,
    project_phase,
    project_settings,
)
from golive.web.views.readiness import readiness, readiness_evidence, readiness_item

__all__ = [
    "activity",
    "decision_detail",
    "decision_list",
    "gate_detail",
    "members",
    "project_create",
    "project_dashboard",
    "project_list",
    "project_phase",
    "project_settings",
    "readiness",
    "readiness_evidence",
    "readiness_item",
    "success_criteria",
    "success_criterion_delete",
    "success_criterion_edit",
    "token_list",
    "token_revoke",
]
