"""JUnit imports through the service: real reports, hostile input, re-imports, all or nothing."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from golive.audit.models import AuditEvent
from golive.errors import Conflict, NotFound
from golive.projects.tests.factories import ProjectFactory, UserFactory, team_for
from golive.quality.models import TestCase, TestResult, TestRun
from golive.quality.services import junit_import as junit_module
from golive.quality.services.junit_import import junit_import
from golive.quality.services.testing import test_result_record
from golive.quality.tests import test_junit as reader_tests
from golive.quality.tests.factories import TestCaseFactory, TestResultFactory, TestRunFactory

# Reports with the same key more than once: only the last result of such a case is stored.
DUPLICATES = {"mocha__enrico_latex-utensils.xml": 8}


def report(*cases: str, root: str = "testsuites") -> bytes:
    body = "".join(cases)
    return f'<?xml version="1.0"?><{root}><testsuite name="s">{body}</testsuite></{root}>'.encode()


def case(name: str, inner: str = "", classname: str = "pkg.T") -> str:
    return f'<testcase classname="{classname}" name="{name}" time="0.5">{inner}</testcase>'


FAIL = '<failure message="boom" type="AssertionError">trace</failure>'


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/xml")


@pytest.fixture
def qa(db):
    project = ProjectFactory(key="JU")
    return project, team_for(project)


def push(qa, *sources, run="nightly", **kwargs):
    project, team = qa
    return junit_import(
        actor=team["contributor"], project=project, run_name=run, sources=sources, **kwargs
    )


def nothing_stored():
    assert not TestRun.objects.exists()
    assert not TestCase.objects.exists()
    assert not TestResult.objects.exists()
    assert not AuditEvent.objects.filter(action="test_run.junit_import").exists()


@pytest.mark.django_db
class JUnitFixtureImportTests:
    @pytest.mark.parametrize("name", sorted(reader_tests.FIXTURE_COUNTS))
    def test_fixture_imported_with_its_counts(self, qa, name):
        """Each real-world report is stored with the reader's counts, per outcome and flaky."""
        path: Path = reader_tests.fixture(name)
        (tests, passed, failed, errors, skipped, flaky), _suites = reader_tests.FIXTURE_COUNTS[name]
        duplicates = DUPLICATES.get(name, 0)
        summary = push(qa, path, run=name)
        assert summary.duplicates == duplicates
        assert (
            summary.tests,
            summary.passed + duplicates,
            summary.failed,
            summary.errors,
            summary.skipped,
            summary.flaky,
        ) == (tests - duplicates, passed, failed, errors, skipped, flaky)
        assert summary.created_cases == summary.tests and summary.created_run
        results = TestResult.objects.filter(run=summary.run)
        assert results.count() == summary.tests
        assert results.filter(outcome="failed").count() == failed
        assert results.filter(outcome="error").count() == errors
        assert results.filter(outcome="skipped").count() == skipped
        assert results.filter(flaky=True).count() == flaky
        assert summary.run.source == "junit"
        assert set(TestCase.objects.values_list("automated", "type").distinct()) == {
            (True, "functional")
        }

    def test_all_fixtures_in_one_import(self, qa):
        """Every fixture pushed at once lands in one run with one audit event naming the files."""
        paths = [reader_tests.fixture(name) for name in sorted(reader_tests.FIXTURE_COUNTS)]
        summary = push(qa, *paths, test_type="regression", build="1.2.3", environment="ci")
        reported = sum(counts[0][0] for counts in reader_tests.FIXTURE_COUNTS.values())
        assert summary.tests + summary.duplicates == reported
        assert TestResult.objects.filter(run=summary.run).count() == summary.tests
        (event,) = AuditEvent.objects.filter(action="test_run.junit_import")
        stored = event.changes["import"][1]
        assert stored["files"] == [str(p) for p in paths]
        assert stored["tests"] == summary.tests and stored["created_cases"] == summary.tests
        assert event.changes["build"] == [None, "1.2.3"]
        assert set(TestCase.objects.values_list("type", flat=True)) == {"regression"}


@pytest.mark.django_db
class JUnitImportTests:
    def test_results_carry_outcome_message_and_duration(self, qa):
        """A failure keeps its type and message, details and duration; cases are keyed."""
        summary = push(qa, io.BytesIO(report(case("ok"), case("bad", FAIL))))
        bad = TestResult.objects.get(case__key="pkg.T::bad")
        assert bad.outcome == "failed" and bad.message == "AssertionError: boom"
        assert bad.details == "trace" and bad.duration == 0.5
        assert bad.executed_by == summary.run.created_by
        assert TestCase.objects.get(key="pkg.T::ok").title == "ok"

    def test_existing_cases_are_matched_not_duplicated(self, qa):
        """A case that already exists under the key gets the result; it is not recreated."""
        project, _team = qa
        existing = TestCaseFactory(project=project, key="pkg.T::ok", title="Manual title")
        summary = push(qa, io.BytesIO(report(case("ok"), case("new"))))
        assert summary.created_cases == 1
        assert TestResult.objects.get(case__key="pkg.T::ok").case_id == existing.pk
        existing.refresh_from_db()
        assert existing.title == "Manual title"

    def test_reimport_replaces_results_in_the_run(self, qa):
        """Importing into an existing run replaces each case's earlier result there."""
        first = push(qa, io.BytesIO(report(case("a", FAIL), case("b"))))
        kept = TestResult.objects.get(case__key="pkg.T::a").pk
        second = push(qa, io.BytesIO(report(case("a"), case("c", FAIL))))
        assert not second.created_run and second.run.pk == first.run.pk
        assert second.replaced == 1 and second.created_cases == 1
        results = {r.case.key: r for r in TestResult.objects.filter(run=first.run)}
        assert {k: r.outcome for k, r in results.items()} == {
            "pkg.T::a": "passed",
            "pkg.T::b": "passed",
            "pkg.T::c": "failed",
        }
        assert results["pkg.T::a"].pk == kept and results["pkg.T::a"].message == ""

    def test_reimport_replaces_a_manual_result(self, qa):
        """A JUnit result replaces a manual result of the same case in the run."""
        project, _team = qa
        run = TestRunFactory(project=project, name="mixed")
        TestResultFactory(
            run=run, case__key="pkg.T::a", outcome="blocked", evidence_note="checked by hand"
        )
        summary = push(qa, io.BytesIO(report(case("a"))), run="mixed")
        result = TestResult.objects.get(run=run)
        assert summary.replaced == 1 and result.outcome == "passed"
        assert result.evidence_note == ""

    def test_replaced_manual_evidence_file_is_deleted(self, qa, django_capture_on_commit_callbacks):
        """The evidence file of a manual result replaced by an import is removed after commit."""
        project, team = qa
        run = TestRunFactory(project=project, name="mixed")
        manual = test_result_record(
            actor=team["contributor"],
            run=run,
            case=TestCaseFactory(project=project, key="pkg.T::a"),
            outcome="failed",
            evidence_file=SimpleUploadedFile("shot.png", b"png"),
        )
        storage, name = manual.evidence_file.storage, manual.evidence_file.name
        assert storage.exists(name)
        with django_capture_on_commit_callbacks(execute=True):
            push(qa, io.BytesIO(report(case("a"))), run="mixed")
        assert not storage.exists(name)

    def test_concurrent_import_is_a_conflict(self, qa, monkeypatch):
        """A clash with an import that stored the same cases meanwhile is a Conflict; no trace."""
        project, _team = qa
        TestCaseFactory(project=project, key="pkg.T::a")
        # Pretend the case did not exist yet when this import looked, as in a race.
        monkeypatch.setattr(junit_module, "_case_ids", lambda project: {})
        with pytest.raises(Conflict, match="Push the reports again"):
            push(qa, io.BytesIO(report(case("a"))))
        assert not TestRun.objects.exists() and not TestResult.objects.exists()

    def test_case_seen_twice_the_last_wins(self, qa):
        """Of a case reported twice (one file or several), the last report is stored."""
        summary = push(
            qa,
            io.BytesIO(report(case("a"), case("a", FAIL))),
            io.BytesIO(report(case("b", FAIL))),
            io.BytesIO(report(case("b"))),
        )
        assert (summary.tests, summary.duplicates, summary.failed) == (2, 2, 1)
        outcomes = dict(TestResult.objects.values_list("case__key", "outcome"))
        assert outcomes == {"pkg.T::a": "failed", "pkg.T::b": "passed"}

    def test_flaky_results_are_flagged(self, qa):
        """A pass after a rerun failure is stored as a flaky pass."""
        rerun = '<flakyFailure message="timeout" type="Timeout"><stackTrace>t</stackTrace></flakyFailure>'
        summary = push(qa, io.BytesIO(report(case("a", rerun))))
        result = TestResult.objects.get()
        assert summary.flaky == 1 and result.flaky and result.outcome == "passed"
        assert result.message == "Timeout: timeout"

    def test_suite_name_keys_cases_without_classname(self, qa):
        """A case without classname is keyed by its innermost suite."""
        push(qa, io.BytesIO(report(case("x", classname=""))))
        assert TestCase.objects.get().key == "s::x"

    def test_long_keys_fit_and_stay_distinct(self, qa):
        """Keys longer than the column are shortened with a hash, so two long keys stay two."""
        long = "n" * 600
        summary = push(qa, io.BytesIO(report(case(long + "1"), case(long + "2"))))
        keys = list(TestCase.objects.values_list("key", flat=True))
        assert summary.tests == 2 and len(set(keys)) == 2
        assert all(len(key) <= 500 for key in keys)
        again = push(qa, io.BytesIO(report(case(long + "1"))))
        assert again.created_cases == 0

    def test_uploaded_files_and_paths(self, qa, tmp_path):
        """Sources may be paths, uploaded files or bytes, each named in the summary."""
        path = tmp_path / "a.xml"
        path.write_bytes(report(case("p")))
        summary = push(qa, str(path), upload("b.xml", report(case("u"))), report(case("x")))
        assert summary.files == (str(path), "b.xml", "file 3") and summary.tests == 3

    def test_no_per_row_queries(self, qa, django_assert_max_num_queries):
        """Importing 500 cases takes a handful of queries, not one per case."""
        data = report(*(case(f"t{i}", FAIL if i % 20 == 0 else "") for i in range(500)))
        with django_assert_max_num_queries(25):
            summary = push(qa, io.BytesIO(data))
        assert summary.tests == 500 and summary.failed == 25
        with django_assert_max_num_queries(25):
            push(qa, io.BytesIO(data))

    def test_bad_arguments(self, qa):
        """A missing run name, an unknown type or no file at all are field errors."""
        good = report(case("a"))
        with pytest.raises(ValidationError) as caught:
            push(qa, io.BytesIO(good), run=" ")
        assert "run_name" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            push(qa, io.BytesIO(good), test_type="smoke")
        assert "test_type" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            push(qa)
        assert "file" in caught.value.message_dict
        nothing_stored()


HOSTILE = {
    "billion laughs": (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        b' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        b' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
        b'<testsuite><testcase name="&lol3;"/></testsuite>',
        "entities",
        3,
    ),
    "external entity": (
        b'<?xml version="1.0"?>\n<!DOCTYPE r [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
        b'<testsuite><testcase name="&xxe;"/></testsuite>',
        "entities",
        3,
    ),
    "external DTD": (
        b'<?xml version="1.0"?>\n<!DOCTYPE testsuite SYSTEM "http://evil.example/x.dtd">\n'
        b"<testsuite/>",
        "external DTD",
        2,
    ),
    "truncated": (
        b'<?xml version="1.0"?>\n<testsuite>\n<testcase name="a"/>\n<testcase name="b">',
        "end of data",
        4,
    ),
    "wrong root": (b'<?xml version="1.0"?>\n<html><body/></html>', "root element is <html>", 2),
    "not UTF-8": (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite>\n<testcase name="caf\xe9"/>'
        b"</testsuite>",
        "encoding",
        3,
    ),
    "empty": (b"", "empty", 1),
}


@pytest.mark.django_db
class JUnitRefusedTests:
    @pytest.mark.parametrize("kind", sorted(HOSTILE))
    def test_malformed_or_hostile_report_is_refused(self, qa, kind):
        """The error names the file, the line and the reason, and nothing is stored."""
        data, reason, line = HOSTILE[kind]
        with pytest.raises(ValidationError) as caught:
            push(qa, upload("evil.xml", data))
        (message,) = caught.value.message_dict["file"]
        assert message.startswith(f"evil.xml, line {line}: "), message
        assert reason in message and "Nothing was imported" in message
        nothing_stored()

    def test_one_bad_file_refuses_all(self, qa):
        """A good file followed by a bad one stores nothing of either."""
        good = upload("good.xml", report(case("a"), case("b", FAIL)))
        bad = upload("bad.xml", report(case("c"), root="html"))
        with pytest.raises(ValidationError, match=r"bad\.xml, line 1"):
            push(qa, good, bad)
        nothing_stored()

    def test_bad_file_leaves_an_existing_run_untouched(self, qa):
        """A refused re-import keeps the run's earlier results."""
        summary = push(qa, io.BytesIO(report(case("a", FAIL))))
        with pytest.raises(ValidationError):
            push(qa, io.BytesIO(report(case("a"))), upload("t.xml", b"<testsuite><testcase"))
        result = TestResult.objects.get(run=summary.run)
        assert result.outcome == "failed"
        assert AuditEvent.objects.filter(action="test_run.junit_import").count() == 1

    def test_missing_path_is_named(self, qa, tmp_path):
        """A path that cannot be read is named."""
        with pytest.raises(ValidationError, match=r"missing\.xml: cannot be read"):
            push(qa, str(tmp_path / "missing.xml"))
        nothing_stored()


@pytest.mark.django_db
class JUnitImportAccessTests:
    def test_viewer_is_refused(self, qa):
        """Viewers may not import results."""
        project, team = qa
        with pytest.raises(PermissionDenied):
            junit_import(
                actor=team["viewer"],
                project=project,
                run_name="r",
                sources=[io.BytesIO(report(case("a")))],
            )
        nothing_stored()

    def test_non_member_gets_not_found(self, qa):
        """Someone outside the project is told it does not exist, before any file is read."""
        project, _team = qa
        with pytest.raises(NotFound):
            junit_import(
                actor=UserFactory(),
                project=project,
                run_name="r",
                sources=[io.BytesIO(b"not even xml")],
            )
        nothing_stored()

    def test_run_of_another_project_is_not_reused(self, qa):
        """A run name is looked up in the importing project only."""
        project, _team = qa
        other = ProjectFactory(key="OTH")
        TestRunFactory(project=other, name="nightly")
        summary = push(qa, io.BytesIO(report(case("a"))))
        assert summary.created_run and summary.run.project_id == project.pk
