"""API tests: the readiness checklist, its status changes, approvals and evidence files."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from golive.config.tests.support import (
    ApiClient,
    Endpoint,
    assert_problem,
    db_state,
    matrix_cases,
    media_files,
    queries_for,
    run_matrix,
)
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.readiness.models import ReadinessItem
from golive.readiness.services import (
    readiness_item_attach,
    readiness_item_create,
    readiness_item_set_status,
    readiness_item_update,
)


def _first(project) -> ReadinessItem:
    return project.readiness_items.order_by("position").first()


def _item(project, callers):
    return {"item": _first(project).pk}


def _with_evidence(project, callers):
    item = readiness_item_update(
        actor=project.manager, item=_first(project), evidence_note="Plan signed on 1 March."
    )
    return {"item": item.pk}


def _ready(project, callers):
    item = readiness_item_update(
        actor=project.manager, item=_first(project), evidence_note="Plan signed on 1 March."
    )
    readiness_item_set_status(actor=project.manager, item=item, status="ready")
    return {"item": item.pk}


def _with_file(project, callers):
    item = readiness_item_attach(
        actor=project.manager,
        item=_first(project),
        upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.4 plan", content_type="application/pdf"),
    )
    return {"item": item.pk}


ITEM = "/projects/{key}/readiness-items/{item}"
ENDPOINTS = [
    Endpoint("items-list", "GET", "/projects/{key}/readiness-items"),
    Endpoint(
        "items-create",
        "POST",
        "/projects/{key}/readiness-items",
        min_role="contributor",
        body={"title": "Data migration rehearsed", "owner": "{user_contributor}"},
        ok=201,
    ),
    Endpoint("items-get", "GET", ITEM, setup=_item),
    Endpoint(
        "items-update",
        "PATCH",
        ITEM,
        min_role="contributor",
        body={"version": 1, "evidence_note": "Plan signed."},
        setup=_item,
    ),
    Endpoint(
        "items-mark-ready",
        "POST",
        ITEM + "/status",
        min_role="contributor",
        body={"status": "ready"},
        setup=_with_evidence,
    ),
    Endpoint(
        "items-waive",
        "POST",
        ITEM + "/status",
        min_role="approver",
        body={"status": "waived", "reason": "Covered by the vendor contract."},
        setup=_item,
    ),
    Endpoint(
        "items-reopen",
        "POST",
        ITEM + "/status",
        min_role="contributor",
        body={"status": "open"},
        setup=_ready,
    ),
    Endpoint(
        "items-approve", "POST", ITEM + "/approve", min_role="approver", body={}, setup=_ready
    ),
    Endpoint(
        "evidence-upload",
        "POST",
        ITEM + "/evidence",
        min_role="contributor",
        setup=_item,
        upload=True,
    ),
    Endpoint("evidence-download", "GET", ITEM + "/evidence", setup=_with_file),
    Endpoint("items-delete", "DELETE", ITEM, min_role="manager", setup=_with_file, ok=204),
]


@pytest.mark.django_db
class ReadinessAccessMatrixTests:
    @pytest.mark.parametrize(("endpoint", "caller"), matrix_cases(ENDPOINTS))
    def test_caller_gets_expected_status(self, endpoint, caller):
        """Each caller gets 401/404/403 or success, and a refusal writes nothing."""
        run_matrix(endpoint, caller)


@pytest.fixture
def project():
    return ProjectFactory(key="ERP", manager=UserFactory(username="pm"))


@pytest.fixture
def team(project):
    return team_for(project)


@pytest.fixture
def item(project):
    return _first(project)


def _url(item, suffix: str = "") -> str:
    return f"/projects/{item.project.key}/readiness-items/{item.pk}{suffix}"


def _upload(name: str = "proof.txt", content: bytes = b"signed off") -> dict:
    return {"file": SimpleUploadedFile(name, content, content_type="text/plain")}


@pytest.mark.django_db
class ReadinessListTests:
    def test_new_project_lists_the_seven_template_items(self, project, team):
        """A new project's checklist holds the seven template items, open, owned by the manager."""
        body = ApiClient(team["viewer"]).get("/projects/ERP/readiness-items").json()
        assert body["count"] == 7
        assert {i["status"] for i in body["items"]} == {"open"}
        assert {i["owner"] for i in body["items"]} == {"pm"}
        assert body["items"][0]["category"] == "plan"

    def test_pagination_honours_page_and_page_size(self, project, team):
        """page and page_size select a slice; count stays the total."""
        body = (
            ApiClient(team["viewer"])
            .get("/projects/ERP/readiness-items", {"page": 2, "page_size": 5})
            .json()
        )
        assert body["count"] == 7
        assert len(body["items"]) == 2
        assert body["items"][-1]["category"] == "metrics"

    @pytest.mark.parametrize("params", [{"page": 0}, {"page_size": 0}, {"page": "two"}])
    def test_invalid_page_parameters_are_refused(self, project, team, params):
        """A page below 1, a page_size below 1 or a non-number is refused with 422."""
        response = ApiClient(team["viewer"]).get("/projects/ERP/readiness-items", params)
        body = assert_problem(response, 422)
        assert next(iter(params)) in body["detail"]

    def test_list_queries_do_not_grow(self, project, team, django_assert_max_num_queries):
        """Listing 30 items runs no more queries than listing 7."""
        api = ApiClient(team["viewer"])
        api.get("/projects/ERP/readiness-items")
        baseline = queries_for(api, "/projects/ERP/readiness-items")
        for n in range(23):
            item = readiness_item_create(
                actor=project.manager, project=project, title=f"Item {n}", owner=team["approver"]
            )
            readiness_item_set_status(
                actor=team["approver"], item=item, status="waived", reason="x"
            )
        with django_assert_max_num_queries(baseline):
            body = api.get("/projects/ERP/readiness-items").json()
        assert body["count"] == 30

    def test_item_of_another_project_is_not_found(self, project, team):
        """An item id from another project is 404 under this project."""
        other = ProjectFactory(key="OTHER", manager=project.manager)
        response = ApiClient(team["viewer"]).get(
            f"/projects/ERP/readiness-items/{_first(other).pk}"
        )
        assert_problem(response, 404)


@pytest.mark.django_db
class ReadinessEditTests:
    def test_create_appends_item_with_member_owner(self, project, team):
        """A contributor adds an item at the end, owned by a member."""
        response = ApiClient(team["contributor"]).post(
            "/projects/ERP/readiness-items",
            {"title": "Cutover rehearsed", "owner": "erp-approver", "category": "risk"},
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["owner"], body["category"], body["status"]) == ("erp-approver", "risk", "open")
        assert ReadinessItem.objects.get(pk=body["id"]).position == 8

    def test_create_with_bad_owner_or_category_is_refused(self, project, team):
        """A non-member owner or an unknown category is refused with 422 naming the field."""
        UserFactory(username="stranger")
        api = ApiClient(team["contributor"])
        body = assert_problem(
            api.post("/projects/ERP/readiness-items", {"title": "T", "owner": "stranger"}), 422
        )
        assert [e["field"] for e in body["errors"]] == ["owner"]
        body = assert_problem(
            api.post(
                "/projects/ERP/readiness-items",
                {"title": "T", "owner": "pm", "category": "vibes"},
            ),
            422,
        )
        assert [e["field"] for e in body["errors"]] == ["category"]
        assert project.readiness_items.count() == 7

    def test_stale_version_is_a_conflict(self, item, team):
        """An edit from an old version answers 409 with the current version and changes nothing."""
        api = ApiClient(team["contributor"])
        assert api.patch(_url(item), {"version": 1, "evidence_note": "a"}).status_code == 200
        before = db_state()
        body = assert_problem(api.patch(_url(item), {"version": 1, "evidence_note": "b"}), 409)
        assert body["current"]["version"] == 2
        assert db_state() == before

    def test_bad_evidence_link_is_refused(self, item, team):
        """An evidence link that is not a URL is refused with 422 naming it."""
        body = assert_problem(
            ApiClient(team["contributor"]).patch(
                _url(item), {"version": 1, "evidence_link": "not a url"}
            ),
            422,
        )
        assert [e["field"] for e in body["errors"]] == ["evidence_link"]

    def test_ready_needs_evidence(self, item, team):
        """Marking an item without evidence ready is refused with 422 on status."""
        body = assert_problem(
            ApiClient(team["contributor"]).post(_url(item, "/status"), {"status": "ready"}), 422
        )
        assert [e["field"] for e in body["errors"]] == ["status"]
        item.refresh_from_db()
        assert item.status == "open"

    def test_waive_needs_a_reason(self, item, team):
        """Waiving without a reason is refused with 422 on reason."""
        body = assert_problem(
            ApiClient(team["approver"]).post(_url(item, "/status"), {"status": "waived"}), 422
        )
        assert [e["field"] for e in body["errors"]] == ["reason"]

    def test_unknown_status_is_refused(self, item, team):
        """An unknown status is refused with 422 on status."""
        body = assert_problem(
            ApiClient(team["approver"]).post(_url(item, "/status"), {"status": "done"}), 422
        )
        assert [e["field"] for e in body["errors"]] == ["status"]

    def test_mark_ready_approve_then_changed_evidence_clears_approval(self, item, team):
        """Evidence, ready, approve; changing the evidence afterwards drops the approval."""
        contributor = ApiClient(team["contributor"])
        approver = ApiClient(team["approver"])
        contributor.patch(_url(item), {"version": 1, "evidence_note": "Signed."})
        assert contributor.post(_url(item, "/status"), {"status": "ready"}).json()["status"] == (
            "ready"
        )
        body = approver.post(_url(item, "/approve"), {}).json()
        assert (body["approved"], body["approved_by"]) == (True, "erp-approver")
        changed = contributor.patch(
            _url(item), {"version": body["version"], "evidence_note": "Signed again."}
        ).json()
        assert (changed["approved"], changed["approved_by"], changed["status"]) == (
            False,
            None,
            "ready",
        )

    def test_approve_an_open_item_is_refused(self, item, team):
        """Only a ready item can be approved: an open one answers 422."""
        assert_problem(ApiClient(team["approver"]).post(_url(item, "/approve"), {}), 422)

    def test_delete_removes_item_and_its_file(self, item, team, django_capture_on_commit_callbacks):
        """A manager deletes an item; its evidence file is removed once the delete commits."""
        _with_file(item.project, None)
        assert media_files()
        with django_capture_on_commit_callbacks(execute=True):
            response = ApiClient(team["manager"]).delete(_url(item))
        assert response.status_code == 204
        assert not ReadinessItem.objects.filter(pk=item.pk).exists()
        assert media_files() == []


@pytest.mark.django_db
class EvidenceTests:
    def test_upload_stores_file_and_viewer_downloads_it(self, item, team):
        """An uploaded file is stored, named on the item, and a viewer downloads the same bytes."""
        response = ApiClient(team["contributor"]).post(
            _url(item, "/evidence"), {}, files=_upload("signed plan.txt", b"plan v1")
        )
        assert response.status_code == 200, response.content
        assert response.json()["evidence_file"] == "signed_plan.txt"
        assert response.json()["version"] == 2
        download = ApiClient(team["viewer"]).get(_url(item, "/evidence"))
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == b"plan v1"
        assert 'filename="signed_plan.txt"' in download["Content-Disposition"]
        assert download["Content-Disposition"].startswith("attachment")

    def test_outsider_cannot_download(self, item, team):
        """Someone outside the project gets 404 for the evidence file."""
        _with_file(item.project, None)
        outsider = ProjectFactory(key="OTHER").manager
        assert_problem(ApiClient(outsider).get(_url(item, "/evidence")), 404)

    def test_download_without_file_is_not_found(self, item, team):
        """An item without an evidence file answers 404."""
        assert_problem(ApiClient(team["viewer"]).get(_url(item, "/evidence")), 404)

    def test_oversized_upload_is_refused_and_not_stored(self, item, team, settings):
        """A file above GOLIVE_MAX_UPLOAD_BYTES is refused with 422 and nothing is stored."""
        settings.GOLIVE_MAX_UPLOAD_BYTES = 10
        api = ApiClient(team["contributor"])
        before = db_state()
        response = api.post(_url(item, "/evidence"), {}, files=_upload(content=b"x" * 11))
        body = assert_problem(response, 422)
        assert [e["field"] for e in body["errors"]] == ["file"]
        assert media_files() == []
        assert db_state() == before

    def test_upload_at_the_limit_is_accepted(self, item, team, settings):
        """A file of exactly GOLIVE_MAX_UPLOAD_BYTES is accepted."""
        settings.GOLIVE_MAX_UPLOAD_BYTES = 10
        response = ApiClient(team["contributor"]).post(
            _url(item, "/evidence"), {}, files=_upload(content=b"x" * 10)
        )
        assert response.status_code == 200, response.content

    def test_empty_upload_is_refused(self, item, team):
        """An empty file is refused with 422 on file and nothing is stored."""
        api = ApiClient(team["contributor"])
        before = db_state()
        body = assert_problem(
            api.post(_url(item, "/evidence"), {}, files=_upload(content=b"")), 422
        )
        assert [e["field"] for e in body["errors"]] == ["file"]
        assert media_files() == []
        assert db_state() == before

    def test_missing_file_is_refused(self, item, team):
        """A multipart request without a file part is refused with 422 naming file."""
        api = ApiClient(team["contributor"])
        body = assert_problem(api.post(_url(item, "/evidence"), {}, files={}), 422)
        assert "file" in body["detail"]

    def test_stale_version_upload_is_a_conflict_and_not_stored(self, item, team):
        """An upload against an old version answers 409 and stores no file."""
        api = ApiClient(team["contributor"])
        before = db_state()
        body = assert_problem(
            api.post(_url(item, "/evidence"), {"version": "7"}, files=_upload()), 409
        )
        assert body["current"]["version"] == 1
        assert db_state() == before

    def test_replacing_the_file_deletes_the_old_one_and_clears_approval(self, item, team):
        """A new upload replaces the stored file and drops the item's approval."""
        _ready(item.project, None)
        readiness_item_attach(
            actor=team["contributor"], item=item, upload=_upload("old.txt", b"old")["file"]
        )
        ApiClient(team["approver"]).post(_url(item, "/approve"), {})
        old_files = media_files()
        assert len(old_files) == 1
        response = ApiClient(team["contributor"]).post(
            _url(item, "/evidence"), {}, files=_upload("new.txt", b"new")
        )
        body = response.json()
        assert (body["evidence_file"], body["approved"]) == ("new.txt", False)
        files = media_files()
        assert len(files) == 1 and files[0].endswith("new.txt")

    def test_path_in_file_name_is_stripped(self, item, team):
        """A file name with directories is stored under the item's folder by its base name."""
        response = ApiClient(team["contributor"]).post(
            _url(item, "/evidence"), {}, files=_upload("../../etc/passwd", b"root")
        )
        assert response.status_code == 200
        assert response.json()["evidence_file"] == "passwd"
        [stored] = media_files()
        assert stored == f"readiness/{item.project_id}/{item.pk}/passwd"
