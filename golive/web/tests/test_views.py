"""The web UI through Django's test client: access per role, writes, refusals and htmx partials."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from golive.accounts.models import ApiToken
from golive.accounts.services import token_create
from golive.audit.models import AuditEvent
from golive.gates.models import Decision
from golive.gates.services import waiver_create
from golive.projects.models import Membership, Project, Role, SuccessCriterion
from golive.projects.services import project_update, success_criterion_create
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.readiness.models import ReadinessItem
from golive.readiness.services import (
    readiness_item_approve,
    readiness_item_create,
    readiness_item_set_status,
    readiness_item_update,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def project(db):
    return ProjectFactory(key="ERP", name="ERP rollout")


@pytest.fixture
def team(project):
    return team_for(project)


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


def criterion_for(project) -> SuccessCriterion:
    return success_criterion_create(
        actor=project.manager,
        project=project,
        metric="Availability",
        target="99.9",
        unit="%",
        direction="at_least",
        owner=project.manager,
    )


def waiver_for(project) -> Decision:
    gate = project.gates.get(name="readiness")
    return waiver_create(
        actor=project.manager, gate=gate, criterion_key="success-criteria", reason="Agreed later."
    )


def make_gate_pass(project) -> None:
    """Give every checklist item evidence, mark it ready, approve it; define a criterion."""
    manager = project.manager
    for item in project.readiness_items.all():
        item = readiness_item_update(actor=manager, item=item, evidence_note="Signed off.")
        item = readiness_item_set_status(actor=manager, item=item, status="ready")
        readiness_item_approve(actor=manager, item=item)
    criterion_for(project)


def first_item(project) -> ReadinessItem:
    return project.readiness_items.order_by("position").first()


def queries_for(client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def url(view: str, project, **kwargs) -> str:
    return reverse(f"web:{view}", kwargs={"key": project.key, **kwargs})


# (url name, the lowest role that may open it, a role below it or None)
PROJECT_PAGES = [
    ("project_dashboard", "viewer", None),
    ("project_settings", "manager", "approver"),
    ("members", "viewer", None),
    ("success_criteria", "viewer", None),
    ("success_criterion_edit", "manager", "approver"),
    ("readiness", "viewer", None),
    ("gate_detail", "viewer", None),
    ("decisions", "viewer", None),
    ("decision_detail", "viewer", None),
    ("activity", "viewer", None),
]


def page_url(name: str, project) -> str:
    if name == "success_criterion_edit":
        return url(name, project, criterion_id=criterion_for(project).pk)
    if name == "gate_detail":
        return url(name, project, name="readiness")
    if name == "decision_detail":
        return url(name, project, decision_id=waiver_for(project).pk)
    return url(name, project)


@pytest.mark.django_db
class ProjectPageAccessTests:
    @pytest.mark.parametrize(("name", "allowed", "below"), PROJECT_PAGES)
    def test_renders_for_allowed_role(self, client, project, team, name, allowed, below):
        """Each project page renders for the lowest role allowed to open it."""
        address = page_url(name, project)
        client.force_login(team[allowed])
        response = client.get(address)
        assert response.status_code == 200
        assert b"<html" in response.content
        assert b"ERP rollout" in response.content

    @pytest.mark.parametrize(("name", "allowed", "below"), PROJECT_PAGES)
    def test_not_found_for_outsider(self, client, project, outsider, name, allowed, below):
        """A user who is not a member gets 404, so the project's existence does not leak."""
        address = page_url(name, project)
        client.force_login(outsider)
        response = client.get(address)
        assert response.status_code == 404
        assert b"ERP rollout" not in response.content

    @pytest.mark.parametrize(("name", "allowed", "below"), PROJECT_PAGES)
    def test_anonymous_redirected_to_login(self, client, project, name, allowed, below):
        """Anonymous visitors are sent to the login page."""
        address = page_url(name, project)
        response = client.get(address)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    @pytest.mark.parametrize(
        ("name", "allowed", "below"), [p for p in PROJECT_PAGES if p[2] is not None]
    )
    def test_forbidden_for_lower_role(self, client, project, team, name, allowed, below):
        """A member whose role is too low gets the 403 page naming the role needed."""
        address = page_url(name, project)
        client.force_login(team[below])
        response = client.get(address)
        assert response.status_code == 403
        assert b"manager role" in response.content

    def test_unknown_project_is_not_found(self, client, team):
        """A project key that does not exist is a 404."""
        client.force_login(team["manager"])
        assert client.get(reverse("web:project_dashboard", args=["NOPE"])).status_code == 404


@pytest.mark.django_db
class AccountPageAccessTests:
    @pytest.mark.parametrize("name", ["project_list", "project_create", "tokens"])
    def test_renders_for_signed_in_user(self, client, outsider, name):
        """Pages outside projects render for any signed-in user."""
        client.force_login(outsider)
        assert client.get(reverse(f"web:{name}")).status_code == 200

    @pytest.mark.parametrize("name", ["project_list", "project_create", "tokens"])
    def test_anonymous_redirected_to_login(self, client, name):
        """Anonymous visitors are sent to the login page."""
        response = client.get(reverse(f"web:{name}"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_login_page_renders(self, client):
        """The login page has labelled username and password fields."""
        response = client.get(reverse("login"))
        assert response.status_code == 200
        assert b'<label for="id_username"' in response.content
        assert b'<label for="id_password"' in response.content

    def test_password_change_page_renders(self, client, outsider):
        """The password change form renders for a signed-in user."""
        client.force_login(outsider)
        response = client.get(reverse("password_change"))
        assert response.status_code == 200
        assert b"id_new_password1" in response.content


@pytest.mark.django_db
class ListQueryCountTests:
    def test_checklist_queries_do_not_grow_with_items(self, client, project, team):
        """The checklist page costs the same queries for 7 items as for 12 approved ones."""
        client.force_login(team["viewer"])
        before = queries_for(client, url("readiness", project))
        for n in range(5):
            readiness_item_create(
                actor=project.manager, project=project, title=f"Extra {n}", owner=team["approver"]
            )
        make_gate_pass(project)
        assert queries_for(client, url("readiness", project)) == before

    def test_decision_history_queries_do_not_grow(self, client, project, team):
        """The decision history costs the same queries for one decision as for three."""
        gate = project.gates.get(name="readiness")
        waiver_for(project)
        client.force_login(team["viewer"])
        before = queries_for(client, url("decisions", project))
        waiver_create(actor=project.manager, gate=gate, criterion_key="checklist", reason="Pilot.")
        make_gate_pass(project)
        client.force_login(team["manager"])
        client.post(url("gate_detail", project, name="readiness"), {"op": "open"})
        client.force_login(team["viewer"])
        assert queries_for(client, url("decisions", project)) == before

    def test_activity_queries_do_not_grow_with_events(self, client, project, team):
        """The activity page costs the same queries however many users its events name."""
        client.force_login(team["viewer"])
        before = queries_for(client, url("activity", project))
        for role in ("viewer", "contributor", "approver"):
            item = first_item(project)
            readiness_item_update(actor=project.manager, item=item, owner=team[role])
        assert queries_for(client, url("activity", project)) == before


@pytest.mark.django_db
class ProjectListTests:
    def test_lists_only_my_projects_with_role(self, client, project, team):
        """The list shows the user's projects with their role, not other projects."""
        ProjectFactory(key="HIDDEN", name="Someone else's")
        client.force_login(team["contributor"])
        response = client.get(reverse("web:project_list"))
        assert b"ERP rollout" in response.content
        assert b"Contributor" in response.content
        assert b"HIDDEN" not in response.content

    def test_query_count_does_not_grow_with_projects(self, client, django_assert_max_num_queries):
        """The list costs a fixed number of queries, however many projects there are."""
        user = UserFactory()
        for n in range(5):
            ProjectFactory(key=f"Q{n}", manager=user)
        client.force_login(user)
        with django_assert_max_num_queries(6):
            response = client.get(reverse("web:project_list"))
        assert response.content.count(b"phase-readiness") == 5


@pytest.mark.django_db
class ProjectCreateTests:
    def test_creates_project_and_redirects_to_dashboard(self, client, outsider):
        """A valid form creates the project with the creator as manager."""
        client.force_login(outsider)
        response = client.post(
            reverse("web:project_create"),
            {
                "key": "crm",
                "name": "CRM",
                "time_zone": "Europe/Berlin",
                "planned_go_live": "2030-01-15",
            },
        )
        project = Project.objects.get(key="CRM")
        assert response.status_code == 302
        assert response.url == reverse("web:project_dashboard", args=["CRM"])
        assert project.manager == outsider
        assert project.planned_go_live == date(2030, 1, 15)
        assert project.readiness_items.count() == 7

    def test_duplicate_key_shows_field_error(self, client, project, outsider):
        """A key already in use is refused next to the key field, keeping the input."""
        client.force_login(outsider)
        response = client.post(
            reverse("web:project_create"), {"key": "ERP", "name": "Again", "time_zone": "UTC"}
        )
        assert response.status_code == 422
        assert b"A project with key ERP already exists." in response.content
        assert b'value="Again"' in response.content
        assert Project.objects.filter(key="ERP").count() == 1

    def test_bad_date_shows_field_error(self, client, outsider):
        """A date that is not a date is refused and nothing is created."""
        client.force_login(outsider)
        response = client.post(
            reverse("web:project_create"),
            {"key": "CRM", "name": "CRM", "time_zone": "UTC", "planned_go_live": "31/02/2030"},
        )
        assert response.status_code == 422
        assert b"Enter a valid date." in response.content
        assert not Project.objects.filter(key="CRM").exists()

    def test_unknown_sponsor_shows_field_error(self, client, outsider):
        """A sponsor username that does not exist is named in the error."""
        client.force_login(outsider)
        response = client.post(
            reverse("web:project_create"),
            {"key": "CRM", "name": "CRM", "time_zone": "UTC", "sponsor": "ghost"},
        )
        assert response.status_code == 422
        assert b"There is no active user called &#x27;ghost&#x27;." in response.content
        assert not Project.objects.filter(key="CRM").exists()

    def test_bad_key_shows_model_validation_message(self, client, outsider):
        """The service's key rule is shown next to the key field."""
        client.force_login(outsider)
        response = client.post(
            reverse("web:project_create"), {"key": "1x", "name": "CRM", "time_zone": "UTC"}
        )
        assert response.status_code == 422
        assert b"2 to 10 capital letters or digits" in response.content


@pytest.mark.django_db
class DashboardTests:
    def test_shows_phase_gate_and_checklist_progress(self, client, project, team):
        """The dashboard shows the phase stepper, the failing gate and checklist progress."""
        client.force_login(team["viewer"])
        response = client.get(url("project_dashboard", project))
        content = response.content.decode()
        assert 'aria-current="step"' in content
        assert "Fails" in content
        assert "No success criteria defined" in content
        assert "0</span> of 7 ready" in content
        assert "Move to execution" not in content

    def test_manager_sees_open_decision_when_gate_passes(self, client, project, team):
        """Once the gate passes a manager is offered to open a decision."""
        make_gate_pass(project)
        client.force_login(team["manager"])
        content = client.get(url("project_dashboard", project)).content.decode()
        assert "Passes" in content
        assert "Open decision" in content
        assert "7</span> of 7 ready" in content

    def test_shows_times_in_project_time_zone(self, client, project, team):
        """Recent activity is shown in the project's time zone."""
        client.force_login(team["viewer"])
        content = client.get(url("project_dashboard", project)).content.decode()
        assert "CET" in content or "CEST" in content


@pytest.mark.django_db
class ProjectPhaseTests:
    def test_refusal_lists_failing_criteria(self, client, project, team):
        """Moving to execution before the gate passes is refused with the failing criteria."""
        client.force_login(team["manager"])
        response = client.post(
            url("project_phase", project), {"to_phase": "execution", "version": project.version}
        )
        project.refresh_from_db()
        assert project.phase == "readiness"
        page = client.get(response.url).content.decode()
        assert "cannot move to execution" in page
        assert "Readiness checklist complete" in page
        assert "No success criteria defined" in page

    def test_lower_role_is_forbidden(self, client, project, team):
        """An approver may not move the project; nothing changes."""
        client.force_login(team["approver"])
        response = client.post(url("project_phase", project), {"to_phase": "execution"})
        assert response.status_code == 403
        project.refresh_from_db()
        assert project.phase == "readiness"


@pytest.mark.django_db
class ProjectSettingsTests:
    def data(self, project, **changes):
        return {
            "name": project.name,
            "description": project.description,
            "time_zone": project.time_zone,
            "planned_go_live": "",
            "sponsor": "",
            "manager": project.manager.username,
            "version": project.version,
            **changes,
        }

    def test_manager_saves_settings(self, client, project, team):
        """A manager's change is saved and the version goes up."""
        client.force_login(team["manager"])
        response = client.post(
            url("project_settings", project),
            self.data(project, name="ERP 2", sponsor=team["approver"].username),
        )
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.name == "ERP 2"
        assert project.sponsor == team["approver"]
        assert project.version == 2

    def test_lower_role_is_forbidden(self, client, project, team):
        """An approver's POST is refused with 403 and nothing changes."""
        client.force_login(team["approver"])
        response = client.post(url("project_settings", project), self.data(project, name="X"))
        assert response.status_code == 403
        project.refresh_from_db()
        assert project.name == "ERP rollout"

    def test_stale_version_shows_conflict_and_current_values(self, client, project, team):
        """A form read before someone else's change is refused and shows the current values."""
        stale = self.data(project, name="Mine")
        project_update(actor=project.manager, project=project, name="Theirs")
        client.force_login(team["manager"])
        response = client.post(url("project_settings", project), stale)
        content = response.content.decode()
        assert response.status_code == 409
        assert "changed by someone else" in content
        assert 'value="Theirs"' in content
        project.refresh_from_db()
        assert project.name == "Theirs"

    def test_bad_date_shows_field_error(self, client, project, team):
        """A malformed go-live date is refused next to its field."""
        client.force_login(team["manager"])
        response = client.post(
            url("project_settings", project), self.data(project, planned_go_live="soon")
        )
        assert response.status_code == 422
        assert b"Enter a valid date." in response.content


@pytest.mark.django_db
class MembersTests:
    def test_manager_adds_member(self, client, project, team, outsider):
        """A manager adds a user by username with a role."""
        client.force_login(team["manager"])
        response = client.post(
            url("members", project), {"op": "add", "user": "outsider", "role": Role.CONTRIBUTOR}
        )
        assert response.status_code == 302
        assert Membership.objects.get(project=project, user=outsider).role == Role.CONTRIBUTOR

    def test_unknown_user_shows_inline_error(self, client, project, team):
        """Adding a username that does not exist is refused next to the field."""
        client.force_login(team["manager"])
        response = client.post(
            url("members", project), {"op": "add", "user": "ghost", "role": Role.VIEWER}
        )
        assert response.status_code == 422
        assert b"There is no active user called &#x27;ghost&#x27;." in response.content
        assert project.memberships.count() == 4

    def test_manager_changes_role_and_removes(self, client, project, team):
        """A manager changes a member's role, then removes them."""
        client.force_login(team["manager"])
        viewer = team["viewer"]
        client.post(
            url("members", project), {"op": "role", "user": viewer.username, "role": Role.APPROVER}
        )
        assert Membership.objects.get(project=project, user=viewer).role == Role.APPROVER
        client.post(url("members", project), {"op": "remove", "user": viewer.username})
        assert not Membership.objects.filter(project=project, user=viewer).exists()

    def test_removing_the_manager_shows_error_in_row(self, client, project, team):
        """Removing the project's manager is refused with the reason in that member's row."""
        client.force_login(team["manager"])
        response = client.post(
            url("members", project), {"op": "remove", "user": project.manager.username}
        )
        assert response.status_code == 422
        assert b"assign someone else first" in response.content

    def test_lower_role_is_forbidden(self, client, project, team, outsider):
        """An approver may not add members; nothing changes."""
        client.force_login(team["approver"])
        response = client.post(
            url("members", project), {"op": "add", "user": "outsider", "role": Role.MANAGER}
        )
        assert response.status_code == 403
        assert not Membership.objects.filter(user=outsider).exists()

    def test_viewer_sees_no_controls(self, client, project, team):
        """Viewers see the list but no add, change or remove controls."""
        client.force_login(team["viewer"])
        content = client.get(url("members", project)).content.decode()
        assert team["approver"].username in content
        assert "Add a member" not in content
        assert 'value="remove"' not in content


@pytest.mark.django_db
class SuccessCriteriaTests:
    def data(self, owner, **changes):
        return {
            "metric": "Adoption",
            "direction": "at_least",
            "target": "80",
            "unit": "%",
            "due_date": "2030-06-30",
            "owner": owner.username,
            **changes,
        }

    def test_manager_adds_criterion(self, client, project, team):
        """A manager adds a success criterion owned by a member."""
        client.force_login(team["manager"])
        response = client.post(url("success_criteria", project), self.data(team["contributor"]))
        assert response.status_code == 302
        criterion = project.success_criteria.get()
        assert criterion.owner == team["contributor"]
        assert criterion.due_date == date(2030, 6, 30)

    def test_lower_role_is_forbidden(self, client, project, team):
        """An approver may not add criteria; nothing is created."""
        client.force_login(team["approver"])
        response = client.post(url("success_criteria", project), self.data(team["approver"]))
        assert response.status_code == 403
        assert not project.success_criteria.exists()

    def test_owner_must_be_a_member(self, client, project, team, outsider):
        """An owner who is not a member is refused next to the owner field."""
        client.force_login(team["manager"])
        response = client.post(url("success_criteria", project), self.data(outsider))
        assert response.status_code == 422
        assert b"Select a valid choice" in response.content
        assert not project.success_criteria.exists()

    def test_duplicate_metric_is_refused(self, client, project, team):
        """A second criterion for the same metric is refused with the model's message."""
        criterion_for(project)
        client.force_login(team["manager"])
        response = client.post(
            url("success_criteria", project), self.data(team["manager"], metric="Availability")
        )
        assert response.status_code == 422
        assert b"already has a success criterion for this metric" in response.content

    def test_edit_saves_with_version(self, client, project, team):
        """Editing a criterion saves the change."""
        criterion = criterion_for(project)
        client.force_login(team["manager"])
        response = client.post(
            url("success_criterion_edit", project, criterion_id=criterion.pk),
            self.data(team["manager"], target="99.5", version=criterion.version),
        )
        assert response.status_code == 302
        criterion.refresh_from_db()
        assert str(criterion.target.normalize()) == "99.5"

    def test_edit_with_stale_version_shows_conflict(self, client, project, team):
        """An edit made against an old version is refused with the conflict message."""
        criterion = criterion_for(project)
        client.force_login(team["manager"])
        response = client.post(
            url("success_criterion_edit", project, criterion_id=criterion.pk),
            self.data(team["manager"], version=criterion.version + 5),
        )
        assert response.status_code == 409
        assert b"changed by someone else" in response.content
        criterion.refresh_from_db()
        assert criterion.metric == "Availability"

    def test_delete_removes_criterion(self, client, project, team):
        """A manager deletes a criterion at its current version."""
        criterion = criterion_for(project)
        client.force_login(team["manager"])
        client.post(
            url("success_criterion_delete", project, criterion_id=criterion.pk),
            {"version": criterion.version},
        )
        assert not project.success_criteria.exists()

    def test_delete_with_stale_version_keeps_criterion(self, client, project, team):
        """A stale delete is refused with a message and the criterion stays."""
        criterion = criterion_for(project)
        client.force_login(team["manager"])
        response = client.post(
            url("success_criterion_delete", project, criterion_id=criterion.pk),
            {"version": criterion.version + 1},
            follow=True,
        )
        assert b"changed by someone else" in response.content
        assert project.success_criteria.exists()

    def test_delete_by_lower_role_is_forbidden(self, client, project, team):
        """An approver's delete is refused with 403."""
        criterion = criterion_for(project)
        client.force_login(team["approver"])
        response = client.post(
            url("success_criterion_delete", project, criterion_id=criterion.pk),
            {"version": criterion.version},
        )
        assert response.status_code == 403
        assert project.success_criteria.exists()


@pytest.mark.django_db
class ReadinessItemTests:
    def post(self, client, project, item, htmx=True, **data):
        extra = HTMX if htmx else {}
        return client.post(
            url("readiness_item", project, item_id=item.pk),
            {"version": item.version, **data},
            **extra,
        )

    def test_checklist_shows_progress_and_items(self, client, project, team):
        """The checklist lists every item and the progress."""
        client.force_login(team["viewer"])
        content = client.get(url("readiness", project)).content.decode()
        assert "0 of 7 ready" in content
        assert content.count('class="item status-open"') == 7
        assert "Mark ready" not in content

    def test_htmx_evidence_returns_item_partial(self, client, project, team):
        """An htmx edit answers with the item partial (no page layout) and saves the note."""
        item = first_item(project)
        client.force_login(team["contributor"])
        response = self.post(client, project, item, op="evidence", evidence_note="Plan v3.")
        content = response.content.decode()
        assert response.status_code == 200
        assert f'id="item-{item.pk}"' in content
        assert "<html" not in content
        assert "site-header" not in content
        assert 'id="progress"' in content and 'hx-swap-oob="true"' in content
        item.refresh_from_db()
        assert item.evidence_note == "Plan v3."

    def test_mark_ready_and_approve(self, client, project, team):
        """A contributor marks an item ready; an approver approves it."""
        item = first_item(project)
        readiness_item_update(actor=project.manager, item=item, evidence_note="Signed.")
        item.refresh_from_db()
        client.force_login(team["contributor"])
        self.post(client, project, item, op="ready")
        item.refresh_from_db()
        assert item.status == "ready"
        client.force_login(team["approver"])
        response = self.post(client, project, item, op="approve")
        item.refresh_from_db()
        assert item.approved_by == team["approver"]
        assert "Ready · approved" in response.content.decode()
        assert "1 of 7 ready" in response.content.decode()

    def test_mark_ready_without_evidence_shows_error_in_item(self, client, project, team):
        """Marking an item ready without evidence answers 422 with the reason inside the item."""
        item = first_item(project)
        client.force_login(team["contributor"])
        response = self.post(client, project, item, op="ready")
        content = response.content.decode()
        assert response.status_code == 422
        assert f'id="item-{item.pk}"' in content
        assert "has no evidence yet" in content
        item.refresh_from_db()
        assert item.status == "open"

    def test_lower_role_gets_403_partial(self, client, project, team):
        """A contributor's approval is refused (403) with the message inside the item."""
        item = first_item(project)
        readiness_item_update(actor=project.manager, item=item, evidence_note="Signed.")
        item = readiness_item_set_status(actor=project.manager, item=item, status="ready")
        client.force_login(team["contributor"])
        response = self.post(client, project, item, op="approve")
        assert response.status_code == 403
        assert "you need the approver role" in response.content.decode()
        item.refresh_from_db()
        assert item.approved_by is None

    def test_viewer_without_htmx_gets_403_page(self, client, project, team):
        """Without htmx a refused action renders the 403 page."""
        item = first_item(project)
        client.force_login(team["viewer"])
        response = self.post(client, project, item, htmx=False, op="evidence", evidence_note="x")
        assert response.status_code == 403
        assert b"You may not do this" in response.content
        item.refresh_from_db()
        assert item.evidence_note == ""

    def test_stale_version_shows_conflict_in_item(self, client, project, team):
        """A write against an old version answers 409 with the conflict and the current state."""
        item = first_item(project)
        stale_version = item.version
        readiness_item_update(actor=project.manager, item=item, evidence_note="Theirs.")
        client.force_login(team["contributor"])
        response = client.post(
            url("readiness_item", project, item_id=item.pk),
            {"op": "evidence", "version": stale_version, "evidence_note": "Mine."},
            **HTMX,
        )
        content = response.content.decode()
        assert response.status_code == 409
        assert "changed by someone else" in content
        assert "Theirs." in content
        item.refresh_from_db()
        assert item.evidence_note == "Theirs."

    def test_invalid_link_keeps_draft_open(self, client, project, team):
        """An invalid evidence link is refused; the form stays open with what was typed."""
        item = first_item(project)
        client.force_login(team["contributor"])
        response = self.post(
            client, project, item, op="evidence", evidence_note="Draft.", evidence_link="nope"
        )
        content = response.content.decode()
        assert response.status_code == 422
        assert "Enter a valid URL." in content
        assert "<details open>" in content
        assert "Draft." in content

    def test_non_htmx_post_redirects_with_message(self, client, project, team):
        """Without JavaScript an action redirects back to the checklist with a message."""
        item = first_item(project)
        client.force_login(team["contributor"])
        response = self.post(client, project, item, htmx=False, op="evidence", evidence_note="N")
        assert response.status_code == 302
        assert response.url.endswith(f"#item-{item.pk}")
        page = client.get(response.url).content.decode()
        assert "Evidence of “" in page

    def test_non_htmx_error_redirects_with_message(self, client, project, team):
        """Without JavaScript a refusal comes back as an error message on the checklist."""
        item = first_item(project)
        client.force_login(team["contributor"])
        response = client.post(
            url("readiness_item", project, item_id=item.pk),
            {"op": "ready", "version": item.version},
            follow=True,
        )
        assert "has no evidence yet" in response.content.decode()

    def test_upload_and_download_evidence_file(self, client, project, team):
        """An uploaded file is stored and downloads as an attachment for members."""
        item = first_item(project)
        client.force_login(team["contributor"])
        upload = SimpleUploadedFile("plan.pdf", b"%PDF-1.4 plan", content_type="application/pdf")
        response = self.post(client, project, item, op="attach", file=upload)
        assert response.status_code == 200
        item.refresh_from_db()
        assert item.evidence_file_name == "plan.pdf"
        client.force_login(team["viewer"])
        download = client.get(url("readiness_evidence", project, item_id=item.pk))
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment")
        assert b"".join(download.streaming_content) == b"%PDF-1.4 plan"

    def test_download_is_not_found_for_outsider(self, client, project, outsider):
        """An outsider cannot download evidence: 404."""
        client.force_login(outsider)
        response = client.get(url("readiness_evidence", project, item_id=first_item(project).pk))
        assert response.status_code == 404

    def test_oversized_upload_is_refused(self, client, project, team, settings):
        """A file over GOLIVE_MAX_UPLOAD_BYTES is refused inside the item; nothing is stored."""
        settings.GOLIVE_MAX_UPLOAD_BYTES = 10
        item = first_item(project)
        client.force_login(team["contributor"])
        upload = SimpleUploadedFile("big.bin", b"x" * 100)
        response = self.post(client, project, item, op="attach", file=upload)
        assert response.status_code == 422
        assert "evidence files are limited to" in response.content.decode()
        item.refresh_from_db()
        assert not item.evidence_file

    def test_waive_needs_reason(self, client, project, team):
        """Waiving without a reason is refused; with one the item is waived."""
        item = first_item(project)
        client.force_login(team["approver"])
        response = self.post(client, project, item, op="waive", reason="")
        assert response.status_code == 422
        assert "Say why this item is waived." in response.content.decode()
        self.post(client, project, item, op="waive", reason="Not needed for a pilot.")
        item.refresh_from_db()
        assert item.status == "waived"

    def test_change_owner_to_non_member_is_refused(self, client, project, team, outsider):
        """An owner who is not a member is refused with the service's message."""
        item = first_item(project)
        client.force_login(team["contributor"])
        response = self.post(client, project, item, op="owner", owner=outsider.username)
        assert response.status_code == 422
        assert "outsider is not a member of ERP." in response.content.decode()

    def test_manager_deletes_item(self, client, project, team):
        """A manager deletes an item; htmx gets only the updated progress."""
        item = first_item(project)
        client.force_login(team["manager"])
        response = self.post(client, project, item, op="delete")
        content = response.content.decode()
        assert response.status_code == 200
        assert "0 of 6 ready" in content
        assert f'id="item-{item.pk}"' not in content
        assert not ReadinessItem.objects.filter(pk=item.pk).exists()

    def test_unknown_op_is_bad_request(self, client, project, team):
        """An unknown action is answered with 400."""
        client.force_login(team["manager"])
        response = self.post(client, project, first_item(project), op="explode")
        assert response.status_code == 400


@pytest.mark.django_db
class ReadinessAddItemTests:
    def test_htmx_add_returns_new_item(self, client, project, team):
        """Adding an item with htmx answers with the new item, the progress and a fresh form."""
        client.force_login(team["contributor"])
        response = client.post(
            url("readiness", project),
            {"title": "Data migration plan", "category": "plan", "owner": "erp-contributor"},
            **HTMX,
        )
        content = response.content.decode()
        item = project.readiness_items.get(title="Data migration plan")
        assert response.status_code == 200
        assert f'id="item-{item.pk}"' in content
        assert "0 of 8 ready" in content
        assert item.owner == team["contributor"]

    def test_htmx_add_error_retargets_form(self, client, project, team):
        """A refused add answers 422 with the form, retargeted to replace the add form."""
        client.force_login(team["contributor"])
        response = client.post(
            url("readiness", project),
            {"title": "", "category": "plan", "owner": "erp-contributor"},
            **HTMX,
        )
        assert response.status_code == 422
        assert response["HX-Retarget"] == "#add-item"
        assert "This field is required." in response.content.decode()
        assert project.readiness_items.count() == 7

    def test_add_without_htmx_redirects(self, client, project, team):
        """Without JavaScript the add form redirects back to the new item."""
        client.force_login(team["contributor"])
        response = client.post(
            url("readiness", project),
            {"title": "Cutover plan", "category": "plan", "owner": "erp-contributor"},
        )
        item = project.readiness_items.get(title="Cutover plan")
        assert response.status_code == 302
        assert response.url.endswith(f"#item-{item.pk}")

    def test_add_error_without_htmx_renders_page(self, client, project, team):
        """Without JavaScript a refused add renders the checklist with the form's errors."""
        client.force_login(team["contributor"])
        response = client.post(
            url("readiness", project), {"title": "", "category": "plan", "owner": "erp-viewer"}
        )
        assert response.status_code == 422
        assert b"<html" in response.content
        assert b"This field is required." in response.content

    def test_viewer_htmx_add_gets_403_form(self, client, project, team):
        """A viewer's htmx add answers 403 with the refusal inside the add form."""
        client.force_login(team["viewer"])
        response = client.post(
            url("readiness", project),
            {"title": "X", "category": "plan", "owner": "erp-viewer"},
            **HTMX,
        )
        assert response.status_code == 403
        assert "you need the contributor role" in response.content.decode()
        assert project.readiness_items.count() == 7

    def test_viewer_may_not_add(self, client, project, team):
        """A viewer's add is refused with 403."""
        client.force_login(team["viewer"])
        response = client.post(
            url("readiness", project), {"title": "X", "category": "plan", "owner": "erp-viewer"}
        )
        assert response.status_code == 403
        assert project.readiness_items.count() == 7


@pytest.mark.django_db
class GateDetailTests:
    def post(self, client, project, **data):
        return client.post(url("gate_detail", project, name="readiness"), data)

    def test_evaluation_table_lists_criteria(self, client, project, team):
        """The gate page shows every criterion with verdict, detail and evidence links."""
        client.force_login(team["viewer"])
        content = client.get(url("gate_detail", project, name="readiness")).content.decode()
        assert "Readiness checklist complete" in content
        assert "Success criteria defined" in content
        assert url("success_criteria", project) in content
        assert "Change approvers and quorum" not in content

    def test_open_decision_refused_while_gate_fails(self, client, project, team):
        """Opening a decision on a failing gate shows why and records nothing."""
        client.force_login(team["manager"])
        response = self.post(client, project, op="open")
        assert response.status_code == 422
        assert b"The Readiness gate does not pass." in response.content
        assert not Decision.objects.exists()

    def test_open_and_approve_moves_project_to_execution(self, client, project, team):
        """A decision opened on a passing gate and approved moves the project to execution."""
        make_gate_pass(project)
        client.force_login(team["manager"])
        self.post(client, project, op="open", comment="Ready to go.")
        decision = Decision.objects.get(kind="go")
        assert decision.status == "pending"
        response = self.post(client, project, op="vote", decision=decision.pk, verdict="approve")
        assert response.status_code == 302
        decision.refresh_from_db()
        project.refresh_from_db()
        assert decision.status == "approved"
        assert project.phase == "execution"

    def test_reject_needs_comment(self, client, project, team):
        """Rejecting without a comment is refused next to the vote form."""
        make_gate_pass(project)
        client.force_login(team["manager"])
        self.post(client, project, op="open")
        decision = Decision.objects.get(kind="go")
        response = self.post(client, project, op="vote", decision=decision.pk, verdict="reject")
        assert response.status_code == 422
        assert b"Say why you reject the decision." in response.content
        assert not decision.approvals.exists()

    def test_non_approver_may_not_vote(self, client, project, team):
        """A member who is not a named approver is refused with 403."""
        make_gate_pass(project)
        client.force_login(team["manager"])
        self.post(client, project, op="open")
        decision = Decision.objects.get(kind="go")
        client.force_login(team["contributor"])
        response = self.post(client, project, op="vote", decision=decision.pk, verdict="approve")
        assert response.status_code == 403
        assert not decision.approvals.exists()

    def test_withdraw_pending_decision(self, client, project, team):
        """A manager withdraws a pending decision with a reason."""
        make_gate_pass(project)
        client.force_login(team["manager"])
        self.post(client, project, op="open")
        decision = Decision.objects.get(kind="go")
        self.post(client, project, op="withdraw", decision=decision.pk, reason="Scope changed.")
        decision.refresh_from_db()
        assert decision.status == "withdrawn"

    def test_viewer_may_not_open_decision(self, client, project, team):
        """A viewer's attempt to open a decision is refused with 403."""
        make_gate_pass(project)
        client.force_login(team["viewer"])
        response = self.post(client, project, op="open")
        assert response.status_code == 403
        assert not Decision.objects.exists()

    def test_waive_and_revoke_criterion(self, client, project, team):
        """A manager waives a failing criterion with a reason, then revokes the waiver."""
        client.force_login(team["manager"])
        response = self.post(client, project, op="waive", criterion="success-criteria", reason="")
        assert response.status_code == 422
        assert b"A waiver needs a reason." in response.content
        self.post(client, project, op="waive", criterion="success-criteria", reason="Later.")
        waiver = Decision.objects.get(kind="waiver")
        self.post(client, project, op="revoke", waiver=waiver.pk, reason="Needed after all.")
        assert Decision.objects.filter(kind="waiver_revocation", revokes=waiver).exists()

    def test_update_approvers_and_quorum(self, client, project, team):
        """A manager names approvers and sets the quorum."""
        gate = project.gates.get(name="readiness")
        client.force_login(team["manager"])
        self.post(
            client,
            project,
            op="approvers",
            approvers=[project.manager.username, team["approver"].username],
            quorum=2,
            version=gate.version,
        )
        gate.refresh_from_db()
        assert gate.quorum == 2
        assert set(gate.approvers.values_list("username", flat=True)) == {
            project.manager.username,
            team["approver"].username,
        }

    def test_quorum_above_approvers_is_refused(self, client, project, team):
        """A quorum larger than the number of approvers is refused next to the field."""
        gate = project.gates.get(name="readiness")
        client.force_login(team["manager"])
        response = self.post(
            client,
            project,
            op="approvers",
            approvers=[project.manager.username],
            quorum=3,
            version=gate.version,
        )
        assert response.status_code == 422
        assert b"A quorum of 3 needs at least 3 named approvers" in response.content

    def test_stale_approvers_form_shows_conflict(self, client, project, team):
        """Saving approvers against an old gate version shows the conflict and current values."""
        gate = project.gates.get(name="readiness")
        client.force_login(team["manager"])
        response = self.post(
            client,
            project,
            op="approvers",
            approvers=[project.manager.username],
            quorum=1,
            version=gate.version + 1,
        )
        assert response.status_code == 409
        assert b"changed by someone else" in response.content

    def test_add_and_remove_criterion(self, client, project, team):
        """A manager adds a criterion of a registered type and removes it again."""
        gate = project.gates.get(name="readiness")
        client.force_login(team["manager"])
        self.post(
            client,
            project,
            op="criterion_add",
            key="two-criteria",
            type="projects.success_criteria_defined",
            params='{"minimum": 2}',
        )
        criterion = gate.criteria.get(key="two-criteria")
        assert criterion.params == {"minimum": 2}
        self.post(client, project, op="criterion_remove", criterion="two-criteria")
        assert not gate.criteria.filter(key="two-criteria").exists()

    def test_add_criterion_with_bad_params_is_refused(self, client, project, team):
        """Parameters the type does not accept are refused with the type's message."""
        gate = project.gates.get(name="readiness")
        client.force_login(team["manager"])
        response = self.post(
            client,
            project,
            op="criterion_add",
            key="bad",
            type="projects.success_criteria_defined",
            params='{"minimum": 0}',
        )
        assert response.status_code == 422
        assert b"minimum" in response.content
        assert not gate.criteria.filter(key="bad").exists()

    def test_add_criterion_with_invalid_json_is_refused(self, client, project, team):
        """Parameters that are not JSON are refused next to the field."""
        client.force_login(team["manager"])
        response = self.post(
            client,
            project,
            op="criterion_add",
            key="bad",
            type="projects.success_criteria_defined",
            params="{minimum: 2",
        )
        assert response.status_code == 422
        assert b"Enter a valid JSON." in response.content

    def test_locked_criterion_cannot_be_removed(self, client, project, team):
        """A criterion that is part of the gate's definition is not removed."""
        client.force_login(team["manager"])
        response = self.post(client, project, op="criterion_remove", criterion="checklist")
        assert response.status_code == 422
        assert b"cannot be removed" in response.content


@pytest.mark.django_db
class DecisionPagesTests:
    def test_history_and_detail_show_snapshot(self, client, project, team):
        """The history lists a decision; its page shows the frozen snapshot and approvals."""
        make_gate_pass(project)
        client.force_login(team["manager"])
        gate_url = url("gate_detail", project, name="readiness")
        client.post(gate_url, {"op": "open", "comment": "All green."})
        decision = Decision.objects.get(kind="go")
        client.post(gate_url, {"op": "vote", "decision": decision.pk, "verdict": "approve"})
        client.force_login(team["viewer"])
        history = client.get(url("decisions", project)).content.decode()
        assert f"#{decision.pk}" in history
        assert "1 / 1" in history
        detail = client.get(url("decision_detail", project, decision_id=decision.pk))
        content = detail.content.decode()
        assert "All 7 items are ready" in content
        assert "All green." in content
        assert "Approved" in content

    def test_waiver_links_to_its_revocation(self, client, project, team):
        """A revoked waiver's page links to the revocation and back."""
        waiver = waiver_for(project)
        client.force_login(team["manager"])
        client.post(
            url("gate_detail", project, name="readiness"),
            {"op": "revoke", "waiver": waiver.pk, "reason": "No."},
        )
        revocation = Decision.objects.get(kind="waiver_revocation")
        content = client.get(url("decision_detail", project, decision_id=waiver.pk)).content
        assert url("decision_detail", project, decision_id=revocation.pk).encode() in content


@pytest.mark.django_db
class ActivityTests:
    def test_paginates_fifty_per_page(self, client, project, team):
        """The feed shows 50 events per page with a link to older ones."""
        for n in range(50):
            project_update(actor=project.manager, project=project, description=f"v{n}")
        client.force_login(team["viewer"])
        first = client.get(url("activity", project)).content.decode()
        assert first.count("<tr>") == 51
        assert "Older →" in first
        total = AuditEvent.objects.filter(project_id=project.pk).count()
        last = client.get(url("activity", project) + "?page=2").content.decode()
        assert last.count("<tr>") == total - 50 + 1

    def test_changes_render_before_and_after(self, client, project, team):
        """Each change is rendered as field: before → after."""
        project_update(actor=project.manager, project=project, name="ERP 2")
        client.force_login(team["viewer"])
        content = client.get(url("activity", project)).content.decode()
        assert "<strong>name</strong>: ERP rollout" in content
        assert "ERP 2" in content


@pytest.mark.django_db
class TokenTests:
    def test_create_shows_raw_token_once(self, client, outsider):
        """A new token's secret is on the response page and never stored or shown again."""
        client.force_login(outsider)
        response = client.post(reverse("web:tokens"), {"name": "ci", "days": 30})
        content = response.content.decode()
        token = ApiToken.objects.get(user=outsider)
        assert response.status_code == 200
        assert f"glv_{token.prefix}_" in content
        assert "shown only this once" in content
        assert "no-store" in response["Cache-Control"]
        again = client.get(reverse("web:tokens")).content.decode()
        assert f"glv_{token.prefix}_" not in again
        assert f"glv_{token.prefix}…" in again

    def test_bad_days_shows_field_error(self, client, outsider, settings):
        """A lifetime above the maximum is refused next to the days field."""
        settings.GOLIVE_TOKEN_MAX_DAYS = 10
        client.force_login(outsider)
        response = client.post(reverse("web:tokens"), {"name": "ci", "days": 30})
        assert response.status_code == 422
        assert b"A token lives between 1 and 10 days" in response.content
        assert not ApiToken.objects.exists()

    def test_revoke_own_token(self, client, outsider):
        """Revoking a token marks it revoked."""
        issued = token_create(user=outsider, name="ci")
        client.force_login(outsider)
        response = client.post(reverse("web:token_revoke", args=[issued.token.pk]))
        assert response.status_code == 302
        issued.token.refresh_from_db()
        assert issued.token.revoked_at is not None

    def test_cannot_revoke_someone_elses_token(self, client, outsider):
        """Another user's token is not found and stays active."""
        issued = token_create(user=UserFactory(), name="ci")
        client.force_login(outsider)
        response = client.post(reverse("web:token_revoke", args=[issued.token.pk]))
        assert response.status_code == 404
        issued.token.refresh_from_db()
        assert issued.token.revoked_at is None


@pytest.mark.django_db
class LayoutTests:
    def test_base_layout_has_csrf_header_skip_link_and_htmx_config(self, client, project, team):
        """Pages carry the CSRF header for htmx, a skip link and the 4xx swap configuration."""
        client.force_login(team["manager"])
        content = client.get(url("readiness", project)).content.decode()
        assert 'hx-headers=\'{"X-CSRFToken": "' in content
        assert 'href="#content"' in content
        assert "htmx-config" in content and "422" in content
        assert 'action="/logout/"' in content

    def test_settings_tab_only_for_managers(self, client, project, team):
        """The project navigation shows Settings to managers only."""
        client.force_login(team["approver"])
        assert (
            url("project_settings", project)
            not in client.get(url("readiness", project)).content.decode()
        )
        client.force_login(team["manager"])
        assert (
            url("project_settings", project)
            in client.get(url("readiness", project)).content.decode()
        )

    def test_admin_link_only_for_superusers(self, client, project, team):
        """The account menu links to the admin for superusers only."""
        client.force_login(team["manager"])
        assert b"/admin/" not in client.get(reverse("web:project_list")).content
        admin = UserFactory(username="root", is_superuser=True, is_staff=True)
        client.force_login(admin)
        assert b"/admin/" in client.get(reverse("web:project_list")).content
