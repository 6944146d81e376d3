"""Web views (being built)."""


def _todo(*args, **kwargs):
    raise NotImplementedError


project_list = _todo
project_create = _todo
token_list = _todo
token_revoke = _todo
project_dashboard = _todo
project_settings = _todo
members = _todo
project_phase = _todo
success_criteria = _todo
success_criterion_edit = _todo
success_criterion_delete = _todo
readiness = _todo
readiness_item = _todo
readiness_evidence = _todo
gate_detail = _todo
decision_list = _todo
decision_detail = _todo
activity = _todo
