"""`golive gate evaluate PROJECT_KEY GATE_NAME [--json]` and `golive gate list PROJECT_KEY`."""

import json
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from golive.cli_support import cli_actor, domain_errors
from golive.gates.selectors import gate_get, gate_list
from golive.gates.services import gate_evaluate
from golive.projects.selectors import project_get_for_user


class Command(BaseCommand):
    help = "Gate commands: evaluate a gate, list a project's gates."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser(
            "evaluate", help="Evaluate a gate; exit 0 when it passes, 1 when it does not."
        )
        evaluate.add_argument("project_key")
        evaluate.add_argument("gate_name")
        evaluate.add_argument("--json", action="store_true", help="Print the result as JSON.")
        evaluate.add_argument("--user", help="Evaluate as this user (their access applies).")
        listing = sub.add_parser("list", help="List a project's gates.")
        listing.add_argument("project_key")
        listing.add_argument("--json", action="store_true")
        listing.add_argument("--user", help="List as this user (their access applies).")

    def handle(self, *args: Any, **options: Any) -> None:
        with domain_errors():
            actor = cli_actor(options.get("user"))
            project = project_get_for_user(user=actor, key=options["project_key"])
            if options["action"] == "list":
                self._list(actor, project, options["json"])
                return
            gate = gate_get(user=actor, project=project, name=options["gate_name"])
            evaluation = gate_evaluate(gate=gate)
        if options["json"]:
            # Links are site-relative in the app; a script needs them absolute.
            base = settings.GOLIVE_BASE_URL
            self.stdout.write(
                json.dumps(
                    {
                        "gate": gate.name,
                        "project": project.key,
                        "passed": evaluation.passed,
                        "evaluated_at": evaluation.evaluated_at.isoformat(),
                        "criteria": [
                            {
                                "key": c.key,
                                "label": c.label,
                                "type": c.type,
                                "passed": c.passed,
                                "waived": c.waived,
                                "detail": c.detail,
                                "evidence": [
                                    {"label": e["label"], "url": base + e["url"]}
                                    for e in c.evidence
                                ],
                            }
                            for c in evaluation.criteria
                        ],
                    }
                )
            )
        else:
            verdict = "PASSES" if evaluation.passed else "FAILS"
            self.stdout.write(f"{project.key} · {gate.title} gate {verdict}")
            for c in evaluation.criteria:
                mark = "waived" if c.waived else ("pass" if c.passed else "FAIL")
                self.stdout.write(f"  [{mark:>6}] {c.label}: {c.detail}")
        if not evaluation.passed:
            sys.exit(1)

    def _list(self, actor, project, as_json: bool) -> None:
        gates = list(gate_list(user=actor, project=project))
        if as_json:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "name": g.name,
                            "title": g.title,
                            "quorum": g.quorum,
                            "approvers": sorted(u.username for u in g.approvers.all()),
                            "criteria": [c.key for c in g.criteria.all()],
                        }
                        for g in gates
                    ]
                )
            )
            return
        for g in gates:
            self.stdout.write(f"{g.name:<20} {g.title} (quorum {g.quorum})")
