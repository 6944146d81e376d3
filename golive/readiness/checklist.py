"""The checklist every new project starts from: the guide's core inputs."""

from golive.readiness.models import Category

TEMPLATE: list[tuple[str, str, str]] = [
    (
        Category.PLAN,
        "Approved plan with milestones and owners",
        "The implementation plan is approved; every milestone has a date and an accountable owner.",
    ),
    (
        Category.REQUIREMENTS,
        "Finalized requirements",
        "Requirements are signed off, so the team does not build against shifting expectations.",
    ),
    (
        Category.SPECIFICATIONS,
        "Technical specifications",
        "Specifications for systems, integrations and infrastructure are complete and reviewed.",
    ),
    (
        Category.ROLES,
        "Roles and responsibilities",
        "Everyone knows who approves, executes, tests and supports (a RACI or equivalent).",
    ),
    (
        Category.BUDGET,
        "Budget and resources secured",
        "People, software, hardware, licences, vendors and contingency are funded and available.",
    ),
    (
        Category.RISK,
        "Risk controls in place",
        "Escalation paths, change control and rollback planning are agreed.",
    ),
    (
        Category.METRICS,
        "Success metrics defined",
        "Measurable outcomes (defects, deployment windows, adoption, availability) are agreed.",
    ),
]
