"""Web UI routes. Project pages live under /p/<KEY>/."""

from django.urls import path

from golive.web import views
from golive.web.views import (
    baselines,
    blockers,
    board,
    checkpoints,
    gantt,
    plan,
    plan_calendar,
    quality,
    quality_defects,
    quality_plans,
    quality_requirements,
    quality_runs,
    quality_signoffs,
    resources,
    resources_leveling,
    resources_work,
    rollout,
    rollout_comms,
    rollout_golive,
    rollout_migrations,
    rollout_runbooks,
    rollout_runs,
)

app_name = "web"

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("account/tokens/", views.token_list, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("p/<str:key>/", views.project_dashboard, name="project_dashboard"),
    path("p/<str:key>/settings/", views.project_settings, name="project_settings"),
    path("p/<str:key>/members/", views.members, name="members"),
    path("p/<str:key>/phase/", views.project_phase, name="project_phase"),
    path("p/<str:key>/success-criteria/", views.success_criteria, name="success_criteria"),
    path(
        "p/<str:key>/success-criteria/<int:criterion_id>/",
        views.success_criterion_edit,
        name="success_criterion_edit",
    ),
    path(
        "p/<str:key>/success-criteria/<int:criterion_id>/delete/",
        views.success_criterion_delete,
        name="success_criterion_delete",
    ),
    path("p/<str:key>/readiness/", views.readiness, name="readiness"),
    path("p/<str:key>/readiness/<int:item_id>/", views.readiness_item, name="readiness_item"),
    path(
        "p/<str:key>/readiness/<int:item_id>/evidence/",
        views.readiness_evidence,
        name="readiness_evidence",
    ),
    path("p/<str:key>/gates/<str:name>/", views.gate_detail, name="gate_detail"),
    path("p/<str:key>/decisions/", views.decision_list, name="decisions"),
    path("p/<str:key>/decisions/<int:decision_id>/", views.decision_detail, name="decision_detail"),
    path("p/<str:key>/activity/", views.activity, name="activity"),
    path("p/<str:key>/plan/gantt/", gantt.plan_gantt, name="plan_gantt"),
    path("p/<str:key>/plan/gantt/data/", gantt.plan_gantt_data, name="plan_gantt_data"),
    path("p/<str:key>/plan/gantt/move/", gantt.plan_gantt_move, name="plan_gantt_move"),
    path("p/<str:key>/plan/", plan.plan, name="plan"),
    path("p/<str:key>/plan/wp/<int:package_id>/", plan.plan_package, name="plan_package"),
    path(
        "p/<str:key>/plan/wp/<int:package_id>/delete/",
        plan.plan_package_delete,
        name="plan_package_delete",
    ),
    path(
        "p/<str:key>/plan/wp/<int:package_id>/dependencies/",
        plan.plan_dependency_add,
        name="plan_dependency_add",
    ),
    path(
        "p/<str:key>/plan/dependencies/<int:link_id>/delete/",
        plan.plan_dependency_delete,
        name="plan_dependency_delete",
    ),
    path("p/<str:key>/plan/board/", board.plan_board, name="plan_board"),
    path("p/<str:key>/plan/board/<int:package_id>/", board.plan_board_move, name="plan_board_move"),
    path("p/<str:key>/plan/burndown/", board.plan_burndown, name="plan_burndown"),
    path("p/<str:key>/plan/calendar/", plan_calendar.plan_calendar, name="plan_calendar"),
    path("p/<str:key>/blockers/", blockers.blockers, name="blockers"),
    path(
        "p/<str:key>/blockers/<int:blocker_id>/resolve/",
        blockers.blocker_resolve_view,
        name="blocker_resolve",
    ),
    path("p/<str:key>/blockers/escalation/", blockers.escalation_path_edit, name="escalation_path"),
    path("p/<str:key>/checkpoints/", checkpoints.checkpoints, name="checkpoints"),
    path(
        "p/<str:key>/checkpoints/actions/<int:action_id>/",
        checkpoints.checkpoint_action,
        name="checkpoint_action",
    ),
    path("p/<str:key>/baselines/", baselines.baselines, name="baselines"),
    path("p/<str:key>/quality/", quality.quality, name="quality"),
    path(
        "p/<str:key>/quality/requirements/",
        quality_requirements.quality_requirements,
        name="quality_requirements",
    ),
    path(
        "p/<str:key>/quality/requirements/<int:requirement_id>/",
        quality_requirements.quality_requirement,
        name="quality_requirement",
    ),
    path("p/<str:key>/quality/plans/", quality_plans.quality_plans, name="quality_plans"),
    path(
        "p/<str:key>/quality/plans/<int:plan_id>/",
        quality_plans.quality_plan,
        name="quality_plan",
    ),
    path(
        "p/<str:key>/quality/cases/<int:case_id>/", quality_plans.quality_case, name="quality_case"
    ),
    path("p/<str:key>/quality/runs/", quality_runs.quality_runs, name="quality_runs"),
    path("p/<str:key>/quality/runs/<int:run_id>/", quality_runs.quality_run, name="quality_run"),
    path(
        "p/<str:key>/quality/runs/<int:run_id>/execute/<int:case_id>/",
        quality_runs.quality_execute,
        name="quality_execute",
    ),
    path(
        "p/<str:key>/quality/results/<int:result_id>/evidence/",
        quality_runs.quality_evidence,
        name="quality_evidence",
    ),
    path("p/<str:key>/quality/defects/", quality_defects.quality_defects, name="quality_defects"),
    path(
        "p/<str:key>/quality/defects/<int:number>/",
        quality_defects.quality_defect,
        name="quality_defect",
    ),
    path(
        "p/<str:key>/quality/signoffs/", quality_signoffs.quality_signoffs, name="quality_signoffs"
    ),
    path(
        "p/<str:key>/quality/signoffs/<int:signoff_id>/",
        quality_signoffs.quality_signoff,
        name="quality_signoff",
    ),
    path(
        "p/<str:key>/quality/traceability/",
        quality.quality_traceability,
        name="quality_traceability",
    ),
    path(
        "p/<str:key>/quality/traceability.csv",
        quality.quality_traceability_csv,
        name="quality_traceability_csv",
    ),
    path("p/<str:key>/resources/", resources.resources, name="resources"),
    path("p/<str:key>/resources/<int:resource_id>/", resources.resource, name="resource"),
    path("p/<str:key>/resources/heatmap/", resources.resources_heatmap, name="resources_heatmap"),
    path(
        "p/<str:key>/resources/warnings/", resources.resources_warnings, name="resources_warnings"
    ),
    path(
        "p/<str:key>/resources/assignments/",
        resources_work.resources_assignments,
        name="resources_assignments",
    ),
    path(
        "p/<str:key>/resources/assignments/<int:assignment_id>/",
        resources_work.resources_assignment,
        name="resources_assignment",
    ),
    path(
        "p/<str:key>/resources/procurement/",
        resources_work.resources_procurement,
        name="resources_procurement",
    ),
    path(
        "p/<str:key>/resources/procurement/<int:item_id>/",
        resources_work.resources_procurement_item,
        name="resources_procurement_item",
    ),
    path(
        "p/<str:key>/resources/leveling/",
        resources_leveling.resources_leveling,
        name="resources_leveling",
    ),
    path(
        "p/<str:key>/resources/leveling/<int:run_id>/",
        resources_leveling.resources_leveling_run,
        name="resources_leveling_run",
    ),
    path("p/<str:key>/rollout/", rollout.rollout, name="rollout"),
    path("p/<str:key>/rollout/waves/<str:slug>/", rollout.rollout_wave, name="rollout_wave"),
    path(
        "p/<str:key>/rollout/runbooks/", rollout_runbooks.rollout_runbooks, name="rollout_runbooks"
    ),
    path(
        "p/<str:key>/rollout/runbooks/<str:name>/",
        rollout_runbooks.rollout_runbook,
        name="rollout_runbook",
    ),
    path(
        "p/<str:key>/rollout/runbooks/<str:name>/runs/<int:number>/",
        rollout_runs.rollout_run,
        name="rollout_run",
    ),
    path(
        "p/<str:key>/rollout/runbooks/<str:name>/runs/<int:number>/report/",
        rollout_runs.rollout_run_report,
        name="rollout_run_report",
    ),
    path(
        "p/<str:key>/rollout/migrations/",
        rollout_migrations.rollout_migrations,
        name="rollout_migrations",
    ),
    path(
        "p/<str:key>/rollout/migrations/<str:name>/",
        rollout_migrations.rollout_migration,
        name="rollout_migration",
    ),
    path(
        "p/<str:key>/rollout/migrations/<str:name>/results/<int:result_id>/",
        rollout_migrations.rollout_migration_result,
        name="rollout_migration_result",
    ),
    path("p/<str:key>/rollout/communications/", rollout_comms.rollout_comms, name="rollout_comms"),
    path(
        "p/<str:key>/rollout/communications/<str:name>/",
        rollout_comms.rollout_comm,
        name="rollout_comm",
    ),
    path("p/<str:key>/go-live/", rollout_golive.go_live, name="go_live"),
]
