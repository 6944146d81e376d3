"""JUnit XML reader: real-world reports, robustness, hostile input, streaming memory, properties."""

from __future__ import annotations

import io
import math
import subprocess
import sys
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import skip_or_fail
from golive.quality.junit import MAX_TEXT, Case, JUnitError, Report, parse, read_all, summarize

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "junit"


def fixture(name: str) -> Path:
    """Return the path of a shared fixture, skipping (failing under CI=true) when absent."""
    if not FIXTURES.is_dir():
        skip_or_fail(
            f"JUnit fixtures not found at {FIXTURES} (../shared/fixtures/junit from the repo root)"
        )
    path = FIXTURES / name
    assert path.is_file(), f"fixture {name} is missing from {FIXTURES}"
    return path


def cases_by_key(name: str) -> dict[str, Case]:
    return {case.key: case for case in read_all(fixture(name))}


def counts(report: Report) -> tuple[int, int, int, int, int, int]:
    return (
        report.tests,
        report.passed,
        report.failed,
        report.errors,
        report.skipped,
        report.flaky,
    )


def xml(text: str) -> list[Case]:
    return read_all(io.BytesIO(text.encode()))


def refused(data: bytes) -> JUnitError:
    """Parse ``data`` in a worker thread and return the JUnitError it raised within 10 s."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(read_all, io.BytesIO(data))
        with pytest.raises(JUnitError) as caught:
            future.result(timeout=10)
    return caught.value


# (tests, passed, failed, errors, skipped, flaky), then the number of <testsuite> elements.
FIXTURE_COUNTS = {
    "catch2__mikepenz_report.xml": ((1, 0, 1, 0, 0, 0), 1),
    "edge__enrico_with-xml-entities.xml": ((4, 0, 1, 1, 2, 0), 1),
    "go-junit-report__001-report.xml": ((5, 2, 1, 0, 2, 0), 3),
    "gradle__enrico_TEST-CalculatorTest.xml": ((24, 24, 0, 0, 0, 0), 1),
    "jest-junit__dorny_jest-junit.xml": ((6, 1, 4, 0, 1, 0), 2),
    "mocha__enrico_latex-utensils.xml": ((109, 109, 0, 0, 0, 0), 1),
    "nested__mikepenz_nested-junit.xml": ((5, 2, 3, 0, 0, 0), 5),
    "phpunit__dorny_phpcheckstyle-phpunit.xml": ((30, 28, 2, 0, 0, 0), 14),
    "playwright__dorny_playwright-report.xml": ((60, 36, 4, 0, 20, 0), 7),
    "pytest__dorny_python-xunit-pytest.xml": ((10, 6, 2, 0, 2, 0), 1),
    "surefire__mikepenz_TEST-StringUtilsTest.xml": ((5, 2, 2, 0, 1, 0), 1),
    "surefire__mikepenz_flaky-surefire-report.xml": ((1, 1, 0, 0, 0, 1), 1),
}


class FixtureCountTests:
    @pytest.mark.parametrize("name", sorted(FIXTURE_COUNTS))
    def test_counts_match_the_report(self, name):
        """Every shared fixture yields exactly the counts read off the file by hand."""
        expected, suites = FIXTURE_COUNTS[name]
        report = summarize(fixture(name))
        assert counts(report) == expected
        assert report.suites == suites

    def test_every_fixture_is_covered(self):
        """A fixture added to the shared folder must get its counts here too."""
        fixture("SOURCE.md")
        assert {path.name for path in FIXTURES.glob("*.xml")} == set(FIXTURE_COUNTS)

    def test_file_object_and_path_forms_agree(self):
        """A str path, a Path and an open binary file give the same cases."""
        path = fixture("jest-junit__dorny_jest-junit.xml")
        with path.open("rb") as handle:
            from_file = read_all(handle)
        assert read_all(str(path)) == read_all(path) == from_file


class FixtureCaseTests:
    def test_pytest(self):
        """pytest: skip and xfail types, failure text with entities, per-case properties."""
        cases = cases_by_key("pytest__dorny_python-xunit-pytest.xml")
        skip = cases["tests.test_lib::test_always_skip"]
        assert (skip.outcome, skip.type, skip.message) == ("skipped", "pytest.skip", "skipped")
        assert skip.details.startswith("/Users/mike/Projects/python-test/tests/test_lib.py:20")
        assert skip.suite == ("pytest",)
        xfail = cases["tests.test_lib::test_expected_failure"]
        assert (xfail.outcome, xfail.type, xfail.message) == ("skipped", "pytest.xfail", None)
        fail = cases["tests.test_lib::test_always_fail"]
        assert (fail.outcome, fail.message) == ("failed", "assert False")
        assert "> assert False" in fail.details
        assert cases["tests.test_lib::test_error"].outcome == "failed"
        recorded = cases["tests.test_lib::test_with_record_property"]
        assert recorded.properties == {"example_key": "1"}
        custom = cases["custom_classname::test_with_record_xml_attribute"]
        assert (custom.outcome, custom.time, custom.line) == ("passed", 0.0, 40)

    def test_jest(self):
        """Jest: describe paths in classname, stack traces, an empty classname falls back."""
        cases = cases_by_key("jest-junit__dorny_jest-junit.xml")
        failing = cases["Test 1 \u203a Test 1.1::Failing test"]
        assert (failing.outcome, failing.message, failing.type) == ("failed", None, None)
        assert failing.details.startswith("Error: expect(received).toBeTruthy()\n\nReceived: false")
        assert "at Object.<anonymous> (C:\\Users\\Michal" in failing.details
        assert failing.suite == ("__tests__\\main.test.js",)
        timeout = cases["__tests__\\second.test.js::Timeout test"]
        assert (timeout.classname, timeout.outcome) == ("", "failed")
        skipped = cases["__tests__\\second.test.js::Skipped test"]
        assert (skipped.outcome, skipped.details) == ("skipped", None)
        assert cases["Test 1::Passing test"].time == 0.001

    def test_surefire(self):
        """Surefire: root <testsuite>, multi-line messages from &#10;, quotes and apostrophes."""
        cases = cases_by_key("surefire__mikepenz_TEST-StringUtilsTest.xml")
        group = "action.surefire.report.calc.StringUtilsTest"
        fail = cases[f"{group}::require_fail"]
        assert fail.outcome == "failed"
        assert fail.type == "java.lang.AssertionError"
        assert fail.message.startswith(
            "\nExpected: (an instance of java.lang.IllegalArgumentException"
        )
        assert "message was \"Input='' didn't match condition.\"\n" in fail.message
        assert fail.details.startswith("java.lang.AssertionError: \n\nExpected:")
        assert fail.suite == (group,)
        bare = cases[f"{group}::require"]
        assert (bare.outcome, bare.message, bare.type) == (
            "failed",
            None,
            "java.lang.AssertionError",
        )
        assert cases[f"{group}::require_fail_null"].outcome == "skipped"
        assert cases[f"{group}::require_failMsg"].outcome == "passed"

    def test_surefire_flaky(self):
        """A passed case with <flakyFailure> is flaky; its nested system-err is not the case's."""
        (case,) = read_all(fixture("surefire__mikepenz_flaky-surefire-report.xml"))
        assert (case.outcome, case.flaky) == ("passed", True)
        assert case.message == "\nExpected: <false>\n     but: was <true>"
        assert case.type == "java.lang.AssertionError"
        assert case.details.startswith("java.lang.AssertionError: \n\nExpected: <false>")
        assert "Some error output here" not in case.details
        assert case.system_err is None
        assert case.time == 0.683

    def test_go(self):
        """go-junit-report: one suite per package, CDATA output and failure text."""
        cases = cases_by_key("go-junit-report__001-report.xml")
        log = cases["package/pass::TestPassLog"]
        assert log.system_out.startswith("    pass_test.go:9: log line\n")
        assert log.suite == ("package/pass",)
        fail = cases["package/fail::TestOne"]
        assert (fail.outcome, fail.message) == ("failed", "Failed")
        assert fail.details.startswith("    fail_test.go:6: Error message")
        skip = cases["package/skip::TestSkipNow"]
        assert (skip.outcome, skip.message, skip.time) == ("skipped", "Skipped", 0.13)

    def test_gradle(self):
        """Gradle: parameterised names kept whole, empty suite-level output ignored."""
        cases = read_all(fixture("gradle__enrico_TEST-CalculatorTest.xml"))
        second = cases[1]
        assert second.key == "com.github.guenhter.junit.CalculatorTest::[1] 1, 2, 3"
        assert (second.time, second.line, second.properties) == (0.012, 5, {})
        assert all(case.system_out is None and case.system_err is None for case in cases)

    def test_nested(self):
        """Nested suites four deep; an empty classname keys on the innermost suite."""
        cases = read_all(fixture("nested__mikepenz_nested-junit.xml"))
        assert [(c.key, c.outcome) for c in cases] == [
            ("TestA::A", "failed"),
            ("TestA::B", "passed"),
            ("TestB::A", "passed"),
            ("TestB::B", "failed"),
            ("packet::A", "failed"),
        ]
        assert cases[0].suite == ("All tests", "tests", "packet", "TestA")
        assert cases[0].message == "failure"
        assert cases[4].suite == ("All tests", "tests", "packet")
        assert cases[4].time == 50.0

    def test_phpunit(self):
        """PHPUnit: three suite levels, file/line attributes as properties, per-case output."""
        cases = cases_by_key("phpunit__dorny_phpcheckstyle-phpunit.xml")
        other = cases["OtherTest::testOther"]
        assert other.suite == (
            "/workspace/phpcheckstyle/phpunit.xml",
            "PHPUnitTestSuite",
            "OtherTest",
        )
        assert other.outcome == "failed"
        assert other.type == "PHPUnit\\Framework\\ExpectationFailedException"
        assert other.details.startswith("OtherTest::testOther\nWe expect 20 warnings\n")
        assert "Boolean operators (&&) must be used" in other.system_out
        assert other.properties == {
            "file": "/workspace/phpcheckstyle/test/OtherTest.php",
            "line": "12",
        }
        assert cases["GoodTest::testGood"].system_out is None

    def test_playwright(self):
        """Playwright: no prolog, CDATA failures, attachments in system-out, repeated names."""
        cases = read_all(fixture("playwright__dorny_playwright-report.xml"))
        failed = [case for case in cases if case.outcome == "failed"]
        first = failed[0]
        assert first.message == (
            "grid.spec.ts:202:11 should display correct data when sorting by OFF FORM column"
        )
        assert first.type == "FAILURE"
        assert "Test timeout of 10000ms exceeded." in first.details
        assert "[[ATTACHMENT|test-results/" in first.system_out
        skipped = next(case for case in cases if case.outcome == "skipped")
        assert skipped.key == (
            'tests/analyze/load-video.spec.ts::record "Time to Video" when loading directly'
            " via URL \u203a using manual timings"
        )
        assert skipped.properties == {"skip": ""}

    def test_entities(self):
        """Predefined entities read as characters; an unnamed suite gives an empty group."""
        cases = read_all(fixture("edge__enrico_with-xml-entities.xml"))
        assert [(c.name, c.outcome, c.message, c.details) for c in cases] == [
            (
                'Test with "quotes" in the test name',
                "skipped",
                'A message with "quotes"',
                'Content with "quotes"',
            ),
            (
                "Test with 'apostrophe' in the test name",
                "failed",
                "A message with 'apostrophes'",
                "Content with 'apostrophes'",
            ),
            ("Test with & in the test name", "error", "A message with &", "Content with &"),
            (
                "Test with < and > in the test name",
                "skipped",
                "A message with < and >",
                "Content with < and >",
            ),
        ]
        assert cases[0].suite == ("",)
        assert cases[0].key == '::Test with "quotes" in the test name'

    def test_catch2(self):
        """Catch2: failure attributes and body, suite-level properties stay off the case."""
        (case,) = read_all(fixture("catch2__mikepenz_report.xml"))
        assert case.key == "ut_detail_utility_is_constant_evaluated::is constant evaluated"
        assert (case.outcome, case.type) == ("failed", "REQUIRE")
        assert case.message == "REQUIRE(v == 1) expands to 0 == 10"
        assert "REQUIRE( v == 1 )" in case.details
        assert case.properties == {}

    def test_mocha(self):
        """Mocha: root <testsuite> without prolog, RFC-1123 timestamp, 109 passes."""
        cases = read_all(fixture("mocha__enrico_latex-utensils.xml"))
        assert cases[0].key == "bibtexParser::parse a simple bib file"
        assert (cases[0].suite, cases[0].line, cases[0].time) == (("Mocha Tests",), 2, 0.003)


class RobustnessTests:
    @pytest.mark.parametrize(
        ("raw", "seconds"),
        [
            ("1.5", 1.5),
            ("1,234.5", 1234.5),
            ("12,345,678", 12345678.0),
            ("0,5", 0.5),
            (" 2 ", 2.0),
            ("1e3", 1000.0),
            ("abc", None),
            ("1,2,3", None),
            ("", None),
            ("-1", None),
            ("nan", None),
            ("inf", None),
        ],
    )
    def test_time_is_read_leniently(self, raw, seconds):
        """Durations with thousands separators or a decimal comma read; garbage gives None."""
        (case,) = xml(f'<testsuite><testcase name="t" time="{raw}"/></testsuite>')
        assert case.time == seconds

    def test_missing_attributes(self):
        """A case without any attribute still reads, with empty names and no time."""
        (case,) = xml("<testsuites><testsuite><testcase/></testsuite></testsuites>")
        assert (case.name, case.classname, case.key, case.time) == ("", "", "::", None)

    def test_case_outside_any_suite(self):
        """A case directly under <testsuites> has an empty suite path."""
        (case,) = xml('<testsuites><testcase classname="c" name="n"/></testsuites>')
        assert (case.suite, case.key) == ((), "c::n")

    def test_outcome_precedence(self):
        """With several outcome children, failed beats error beats skipped."""
        cases = xml(
            "<testsuite name='s'>"
            "<testcase name='a'><skipped/><error message='e'/><failure message='f'/></testcase>"
            "<testcase name='b'><skipped message='s'/><error message='e'/></testcase>"
            "<testcase name='c'><failure message='first'/><failure message='second'/></testcase>"
            "</testsuite>"
        )
        assert [(c.outcome, c.message) for c in cases] == [
            ("failed", "f"),
            ("error", "e"),
            ("failed", "first"),
        ]

    def test_reruns_on_a_failed_case_are_not_flaky(self):
        """Surefire reruns only make a passed case flaky; all four kinds count."""
        cases = xml(
            "<testsuite name='s'>"
            "<testcase name='a'><failure/><rerunFailure/></testcase>"
            "<testcase name='b'><flakyError message='boom'/></testcase>"
            "<testcase name='c'><rerunError/></testcase>"
            "<testcase name='d'><rerunFailure/></testcase>"
            "</testsuite>"
        )
        assert [(c.outcome, c.flaky) for c in cases] == [
            ("failed", False),
            ("passed", True),
            ("passed", True),
            ("passed", True),
        ]
        assert cases[1].message == "boom"

    def test_namespaces_are_ignored(self):
        """Default and prefixed namespaces do not change what is read."""
        cases = xml(
            '<j:testsuites xmlns:j="urn:junit"><j:testsuite name="s">'
            '<j:testcase name="a"><j:failure message="m"/></j:testcase>'
            '<testcase xmlns="urn:other" name="b"><skipped/></testcase>'
            "</j:testsuite></j:testsuites>"
        )
        assert [(c.key, c.outcome) for c in cases] == [("s::a", "failed"), ("s::b", "skipped")]

    def test_deep_nesting(self):
        """Suites nest to any depth and the path lists them outermost first."""
        depth = 200
        text = (
            "".join(f'<testsuite name="s{i}">' for i in range(depth))
            + '<testcase name="t"/>'
            + "</testsuite>" * depth
        )
        (case,) = xml(text)
        assert case.suite == tuple(f"s{i}" for i in range(depth))

    def test_encodings(self):
        """Latin-1 declared in the prolog, UTF-16 with BOM and UTF-8 with BOM all decode."""
        body = '<testsuite name="Café"><testcase name="déjà vu"/></testsuite>'
        latin = f'<?xml version="1.0" encoding="ISO-8859-1"?>\n{body}'.encode("latin-1")
        utf16 = f'<?xml version="1.0" encoding="UTF-16"?>\n{body}'.encode("utf-16")
        bom = b"\xef\xbb\xbf" + f'<?xml version="1.0"?>\n{body}'.encode()
        for data in (latin, utf16, bom):
            (case,) = read_all(io.BytesIO(data))
            assert case.key == "Café::déjà vu"

    def test_cdata_comments_and_character_references(self):
        """CDATA reads verbatim, comments vanish, character references decode."""
        (case,) = xml(
            '<testsuite name="s"><testcase name="a&#x2603;&#233;">'
            "<failure><![CDATA[<b>1 & 2</b>]]><!-- note --> tail</failure>"
            "<system-out>x</system-out><system-err>y</system-err>"
            "</testcase></testsuite>"
        )
        assert case.name == "a☃é"
        assert case.details == "<b>1 & 2</b> tail"
        assert (case.system_out, case.system_err) == ("x", "y")

    def test_long_texts_are_cut(self):
        """Details and output beyond MAX_TEXT are cut with a note of what was dropped."""
        long = "x" * (MAX_TEXT + 10)
        (case,) = xml(
            f'<testsuite><testcase name="a"><error message="{long}">{long}</error>'
            f"<system-out>{long}</system-out></testcase></testsuite>"
        )
        for text in (case.message, case.details, case.system_out):
            assert text.startswith("x" * MAX_TEXT)
            assert text.endswith("[... 10 more characters cut by golive]")

    def test_property_without_value_attribute(self):
        """A property may carry its value as text; a property beats a same-named attribute."""
        (case,) = xml(
            '<testsuite><testcase name="a" file="f.py" line="3">'
            '<properties><property name="k">text</property><property name="line" value="4"/>'
            "<property value='nameless'/></properties></testcase></testsuite>"
        )
        assert case.properties == {"file": "f.py", "k": "text", "line": "4"}

    def test_plain_doctype_is_accepted(self):
        """A DOCTYPE without declarations or external identifier is harmless."""
        (case,) = xml('<!DOCTYPE testsuite>\n<testsuite><testcase name="a"/></testsuite>')
        assert case.name == "a"

    def test_cases_are_hashable(self):
        """Cases can go into sets even though they carry a properties dict."""
        cases = xml('<testsuite><testcase name="a"/><testcase name="a"/></testsuite>')
        assert len(set(cases)) == 1


class RefusalTests:
    LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)).replace(
        "&lol0;", "lol"
    )

    def test_billion_laughs_in_text(self):
        """An entity bomb is refused with the line of its first declaration, quickly."""
        error = refused(
            f'<?xml version="1.0"?>\n<!DOCTYPE testsuites [\n{self.LAUGHS}\n]>\n'
            '<testsuites><testsuite><testcase name="a">&lol9;</testcase></testsuite></testsuites>'.encode()
        )
        assert error.line == 3
        assert str(error) == (
            "line 3: the report declares XML entities (<!ENTITY lol1 ...> at line 3);"
            " golive refuses them for safety"
        )

    def test_billion_laughs_in_root_attribute(self):
        """A bomb used before the first suite is refused for the same reason."""
        error = refused(
            f'<!DOCTYPE testsuites [\n{self.LAUGHS}\n]>\n<testsuites name="&lol9;"/>'.encode()
        )
        assert (error.line, "declares XML entities" in str(error)) == (2, True)

    def test_billion_laughs_with_a_foreign_root(self):
        """The classic <lolz> bomb is refused for its entities, not just its root."""
        error = refused(f"<!DOCTYPE lolz [\n{self.LAUGHS}\n]>\n<lolz>&lol9;</lolz>".encode())
        assert "declares XML entities" in str(error)

    def test_external_entity(self):
        """An external entity to a local file is refused and the file is never read."""
        error = refused(
            b'<?xml version="1.0"?>\n<!DOCTYPE testsuites [\n'
            b'  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
            b'<testsuites><testsuite><testcase name="a"><failure>&xxe;</failure>'
            b"</testcase></testsuite></testsuites>"
        )
        assert error.line == 3
        assert "<!ENTITY xxe ...> at line 3" in str(error)
        assert "root:" not in str(error)

    def test_external_parameter_entity(self):
        """A parameter entity pulling in a remote DTD is refused."""
        error = refused(
            b'<!DOCTYPE testsuites [\n<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd">\n'
            b"%remote;\n]>\n<testsuites/>"
        )
        assert (error.line, "<!ENTITY remote ...>" in str(error)) == (2, True)

    @pytest.mark.parametrize("url", ["file:///etc/passwd", "http://127.0.0.1:9/junit.dtd"])
    def test_external_dtd(self, url):
        """A DOCTYPE with an external identifier is refused without loading it."""
        error = refused(
            f'<?xml version="1.0"?>\n<!DOCTYPE testsuites SYSTEM "{url}">\n'
            '<testsuites><testsuite><testcase name="a"/></testsuite></testsuites>'.encode()
        )
        assert str(error) == (
            f"line 2: the report references an external DTD ({url}); golive refuses it for safety"
        )

    def test_truncated_file(self):
        """A file cut short is refused at its last line, after the complete cases were read."""
        data = (
            b'<testsuites>\n<testsuite name="s">\n<testcase name="a"/>\n'
            b'<testcase name="b">\n<failure>'
        )
        error = refused(data)
        assert error.line == 5
        assert str(error).startswith("line 5: Premature end of data")
        stream = parse(io.BytesIO(data))
        assert next(stream).key == "s::a"
        with pytest.raises(JUnitError):
            next(stream)

    def test_mismatched_tags(self):
        """Mismatched tags are refused with the line of the closing tag."""
        error = refused(b"<testsuites>\n<testsuite>\n<testcase>\n</testsuite>\n</testsuites>")
        assert error.line == 4
        assert "Opening and ending tag mismatch: testcase line 3 and testsuite" in str(error)

    def test_wrong_root(self):
        """A document of another kind is refused, naming its root element."""
        error = refused(b'<?xml version="1.0"?>\n<checkstyle><file name="x"/></checkstyle>')
        assert (
            str(error)
            == "line 2: root element is <checkstyle>, expected <testsuites> or <testsuite>"
        )
        error = refused(b"<html>\n<testsuite><testcase/></testsuite></html>")
        assert error.line == 1

    def test_bytes_contradicting_the_declared_encoding(self):
        """Latin-1 bytes in a file that declares UTF-8 are refused with the line."""
        error = refused(
            b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
            b'<testsuite name="caf\xe9"/>\n</testsuites>'
        )
        assert error.line == 3
        assert "the bytes do not match the encoding the report declares" in str(error)

    @pytest.mark.parametrize("data", [b"", b"  \n\t ", b"\xef\xbb\xbf"])
    def test_empty_file(self, data):
        """An empty or blank file is refused as empty."""
        assert str(refused(data)) == "line 1: the report is empty"

    def test_undefined_entity(self):
        """An HTML entity such as &nbsp; is undefined in XML and named in the refusal."""
        error = refused(b'<testsuites>\n<testsuite name="a&nbsp;b"/></testsuites>')
        assert (error.line, "Entity 'nbsp' not defined" in str(error)) == (2, True)

    def test_not_xml(self):
        """Plain text is refused with the parser's reason."""
        error = refused(b"PASS ok 12 tests\n")
        assert error.line == 1

    def test_error_is_a_value_error(self):
        """Callers catching ValueError also catch refusals."""
        assert issubclass(JUnitError, ValueError)


def write_report(path: Path, cases: int, *, output: int = 300) -> None:
    """Write a report of ``cases`` cases in suites of 500, every 20th failing."""
    noise = "log line with some text\n" * (output // 24)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')
        for index in range(cases):
            if index % 500 == 0:
                if index:
                    out.write("</testsuite>\n")
                out.write(f'<testsuite name="suite{index // 500}">\n')
            out.write(
                f'<testcase classname="pkg.Class{index % 97}" name="test_{index}" time="0.01">'
            )
            if index % 20 == 0:
                out.write('<failure message="assert 1 == 2" type="AssertionError">trace</failure>')
            out.write(f"<system-out>{noise}</system-out></testcase>\n")
        out.write("</testsuite>\n</testsuites>\n")


class StreamingTests:
    def test_memory_stays_flat(self, tmp_path):
        """A 50,000-case file of about 20 MB parses with a Python peak far below its size."""
        path = tmp_path / "big.xml"
        write_report(path, 50_000)
        size = path.stat().st_size
        assert size > 15_000_000
        tracemalloc.start()
        try:
            report = summarize(path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert (report.tests, report.failed, report.passed, report.suites) == (
            50_000,
            2_500,
            47_500,
            100,
        )
        assert peak < 50_000_000
        assert peak < size / 4

    def test_parsed_elements_are_freed(self, tmp_path):
        """libxml2's own memory (invisible to tracemalloc) stays flat too: the tree is pruned."""
        path = tmp_path / "big.xml"
        write_report(path, 50_000)
        # A fresh interpreter, so the peak resident size measures this parse alone. Without
        # pruning, the tree of this 20 MB file takes about 75 MB more.
        code = (
            "import resource, sys\n"
            "from golive.quality.junit import summarize\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "tests = summarize(sys.argv[1]).tests\n"
            "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "print(tests, (after - before) * 1024)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            cwd=Path(__file__).resolve().parents[3],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        tests, grown = map(int, result.stdout.split())
        assert tests == 50_000
        assert grown < 25_000_000


def report_strategy():
    name = st.text(
        st.characters(categories=("L", "N", "P", "S", "Zs")) | st.sampled_from("\n\t<>&\"'"),
        max_size=12,
    )
    case = st.tuples(
        name,
        name,
        st.sampled_from(["passed", "failed", "error", "skipped"]),
        st.booleans(),
        st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False),
    )
    suite = st.tuples(name, st.lists(case, max_size=8))
    return st.tuples(
        st.lists(suite, max_size=6), st.sampled_from(["UTF-8", "UTF-16", "ISO-8859-1"])
    )


class RoundTripTests:
    @settings(max_examples=150, deadline=None)
    @given(report_strategy())
    def test_generated_reports_round_trip(self, generated):
        """Cases written by lxml in any encoding read back with the same outcomes and counts."""
        suites, encoding = generated
        root = etree.Element("testsuites")
        expected = []
        for suite_name, cases in suites:
            suite = etree.SubElement(root, "testsuite", name=suite_name)
            for classname, name, outcome, flaky, seconds in cases:
                element = etree.SubElement(suite, "testcase", classname=classname, name=name)
                if seconds is not None:
                    element.set("time", repr(seconds))
                child = {"failed": "failure", "error": "error", "skipped": "skipped"}.get(outcome)
                if child:
                    etree.SubElement(element, child, message=name)
                if flaky:
                    etree.SubElement(element, "flakyFailure")
                group = classname or suite_name
                expected.append(
                    (f"{group}::{name}", outcome, flaky and outcome == "passed", seconds)
                )
        data = etree.tostring(root, encoding=encoding, xml_declaration=True)
        cases = read_all(io.BytesIO(data))
        assert [(c.key, c.outcome, c.flaky, c.time) for c in cases] == expected
        report = summarize(io.BytesIO(data))
        assert report.tests == len(expected)
        assert report.suites == len(suites)
        assert (report.passed, report.failed, report.errors, report.skipped) == tuple(
            sum(1 for _, outcome, _, _ in expected if outcome == wanted)
            for wanted in ("passed", "failed", "error", "skipped")
        )
        assert report.flaky == sum(1 for _, _, flaky, _ in expected if flaky)
        total = math.fsum(seconds or 0.0 for *_, seconds in expected)
        assert report.time == pytest.approx(total, rel=1e-9, abs=1e-6)
