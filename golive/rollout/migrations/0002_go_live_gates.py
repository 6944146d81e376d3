"""Give every existing project the go-live gate that new projects get from project_create.

Historical models only: the gate and its locked criteria are written as
golive.rollout.services.golive_gate.gate_create_go_live would write them (no audit events: this
is a schema-level backfill, not a user's write).
"""

from django.db import migrations

CRITERIA = [
    ("readiness-decided", "gates.gate_approved", "Readiness decided", {"gate": "readiness"}),
    (
        "rollback-rehearsed",
        "rollout.rollback_rehearsed",
        "Rollback rehearsed within RTO",
        {"runbook": "", "days": 30},
    ),
    (
        "migration-checks",
        "rollout.migration_checks_passed",
        "Migration checks passed",
        {"set": "", "after": None},
    ),
    ("no-blocking-defects", "quality.no_open_defects", "No blocking defects", {"severity": "high"}),
    ("signoffs", "quality.signoffs_complete", "Required sign-offs complete", {}),
    ("communications", "rollout.communications_sent", "Communications sent", {"name": ""}),
]
APPROVER_ROLE = 30


def add_go_live_gates(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    Membership = apps.get_model("projects", "Membership")
    Gate = apps.get_model("gates", "Gate")
    Criterion = apps.get_model("gates", "Criterion")
    for project in Project.objects.exclude(gates__name="go-live").iterator():
        rollout_taken = Gate.objects.filter(project=project, opens_phase="rollout").exists()
        gate = Gate.objects.create(
            project=project,
            name="go-live",
            title="Go-live",
            description=(
                "The solution may go live: readiness decided, rollback rehearsed, data migration "
                "verified, no blocking defects, sign-offs complete, users informed."
            ),
            opens_phase="" if rollout_taken else "rollout",
            quorum=1,
            is_system=True,
        )
        candidates = {project.manager_id, project.sponsor_id} - {None}
        approver_ids = Membership.objects.filter(
            project=project, user_id__in=candidates, role__gte=APPROVER_ROLE
        ).values_list("user_id", flat=True)
        gate.approvers.set(list(approver_ids))
        for position, (key, type_key, label, params) in enumerate(CRITERIA, start=1):
            Criterion.objects.create(
                gate=gate,
                key=key,
                label=label,
                type_key=type_key,
                params=params,
                position=position,
                locked=True,
            )


def remove_go_live_gates(apps, schema_editor):
    Gate = apps.get_model("gates", "Gate")
    Gate.objects.filter(name="go-live", is_system=True, decisions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0001_waves_runbooks_runs_checks_communications"),
        ("gates", "0001_initial"),
        ("projects", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_go_live_gates, remove_go_live_gates)]
