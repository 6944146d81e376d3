"""Web UI routes. Project pages live under /p/<KEY>/."""

from django.urls import path

from golive.web import views
from golive.web.views import gantt

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
]
