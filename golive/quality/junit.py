"""Read JUnit XML test reports, streaming and safely.

The format has no single specification: Ant, Maven Surefire, Gradle, pytest, Jest, Go, PHPUnit,
Playwright, Catch2 and Mocha each write their own dialect. This reader takes what they share:

- The root is ``<testsuites>`` or ``<testsuite>``; suites nest to any depth; ``<testcase>`` elements
  may sit in any suite. Namespaces are ignored, missing attributes are tolerated.
- Counting rule: a ``<testcase>`` is *failed* if it has a ``<failure>`` child, *error* if it has an
  ``<error>`` child, *skipped* if it has a ``<skipped>`` child, else *passed*. When a case carries
  several of them, the first rule that applies wins: failed > error > skipped. Surefire's
  ``<flakyFailure>``, ``<flakyError>``, ``<rerunFailure>`` and ``<rerunError>`` on a passed case
  mark it flaky; it still counts as passed. The counts written in suite attributes are ignored:
  reporters get them wrong (the pytest fixture claims 15 tests and holds 10).
- Each case gets a match key, ``"<group>::<name>"``, where the group is the ``classname`` when it
  is non-empty, else the name of the innermost enclosing ``<testsuite>`` (empty outside any suite).

Safety: the report is parsed by libxml2 through ``lxml.etree.iterparse`` with entity resolution,
DTD loading and network access off and libxml2's size limits on (no ``huge_tree``; one text over
10,000,000 characters is refused). A report that declares entities or references an external DTD
is refused outright, so neither entity-expansion bombs nor external entities (``file://``,
``http://``) ever reach the parser's expansion code. The five predefined entities (``&amp;``
``&lt;`` ``&gt;`` ``&quot;`` ``&apos;``) and character references (``&#10;``) read as usual.

Streaming: :func:`parse` yields each case as soon as its ``</testcase>`` is read and frees the
parsed elements behind it, so memory stays flat however large the file. A defect found later in
the file (truncation, a bad byte) raises :class:`JUnitError` *after* the earlier cases were
yielded: a caller that stores results must consume the whole iterator inside its transaction and
roll back on the error, or use :func:`read_all`, which returns all cases or raises.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal

from lxml import etree

__all__ = [
    "MAX_TEXT",
    "Case",
    "JUnitError",
    "Outcome",
    "Report",
    "parse",
    "read_all",
    "summarize",
]

Outcome = Literal["passed", "failed", "error", "skipped"]

#: The longest message, details, system-out or system-err kept, in characters; longer texts are
#: cut and end with a note saying how much was dropped.
MAX_TEXT = 64 * 1024

# How much of the start of the file is kept to locate a DOCTYPE's declarations in error messages.
_HEAD_BYTES = 1024 * 1024

_SUITE = "testsuite"
_CASE = "testcase"
_RERUNS = frozenset({"flakyFailure", "flakyError", "rerunFailure", "rerunError"})
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_ENTITY_NAME = re.compile(rb"<!ENTITY\s+(?:%\s+)?([^\s>]{1,100})")
# Byte-order marks and the zero bytes of UTF-16 and UTF-32: what an empty file may still hold.
_BLANK = b"\x00\xef\xbb\xbf\xfe\xff"
_LOCATION = re.compile(r",? line \d+, column (\d+)$")


class JUnitError(ValueError):
    """A report that cannot be read: malformed XML, wrong root, bad encoding, unsafe content."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(reason if line is None else f"line {line}: {reason}")


@dataclasses.dataclass(frozen=True, slots=True)
class Case:
    """One ``<testcase>`` with its outcome.

    ``message``, ``type`` and ``details`` describe the ``<failure>``, ``<error>`` or ``<skipped>``
    element that decided the outcome (its attributes and its text); on a flaky pass they describe
    the first rerun failure instead, and on a plain pass they are ``None``. Texts that are empty or
    only whitespace are ``None``; long texts are cut at :data:`MAX_TEXT` characters.
    """

    suite: tuple[str, ...]
    """Names of the enclosing ``<testsuite>`` elements, outermost first (``""`` if unnamed)."""
    classname: str
    name: str
    key: str
    """Stable match key: ``classname`` or else the innermost suite name, ``"::"``, the name."""
    outcome: Outcome
    flaky: bool
    time: float | None
    """Duration in seconds, ``None`` when absent or unreadable."""
    message: str | None
    type: str | None
    details: str | None
    system_out: str | None
    system_err: str | None
    properties: dict[str, str] = dataclasses.field(hash=False)
    """The case's ``<property>`` elements, plus its ``file`` and ``line`` attributes if present
    (a ``<property>`` of the same name wins)."""
    line: int | None = None
    """Line of the ``<testcase>`` start tag in the file."""


@dataclasses.dataclass(frozen=True, slots=True)
class Report:
    """Counts over a whole report; ``time`` is the sum of the cases' durations in seconds."""

    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0
    suites: int = 0
    time: float = 0.0


def parse(source: BinaryIO | str | Path) -> Iterator[Case]:
    """Yield the test cases of a JUnit XML report in document order.

    ``source`` is a binary file object (read from its current position, left open) or the path
    of a file (a ``str`` is a path, not XML text). Raise :class:`JUnitError` when the report is
    malformed or unsafe, possibly after some cases were yielded (see the module docstring).
    """
    return _Reader(source).cases()


def read_all(source: BinaryIO | str | Path) -> list[Case]:
    """Return every case of the report, or raise :class:`JUnitError` having returned nothing."""
    return list(parse(source))


def summarize(source: BinaryIO | str | Path) -> Report:
    """Count the report's cases by outcome, its flaky cases and suites, and add up the time."""
    reader = _Reader(source)
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    flaky = 0
    total = 0.0
    for case in reader.cases():
        counts[case.outcome] += 1
        flaky += case.flaky
        if case.time is not None:
            total += case.time
    return Report(
        tests=sum(counts.values()),
        passed=counts["passed"],
        failed=counts["failed"],
        errors=counts["error"],
        skipped=counts["skipped"],
        flaky=flaky,
        suites=reader.suites,
        time=round(total, 6),
    )


class _Recorder:
    """Pass reads through to the parser, keeping the first bytes for error messages."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.head = bytearray()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if len(self.head) < _HEAD_BYTES:
            self.head += data[: _HEAD_BYTES - len(self.head)]
        self.size += len(data)
        return data


class _Reader:
    """One pass over one report; ``suites`` counts the ``<testsuite>`` elements seen so far."""

    def __init__(self, source: BinaryIO | str | Path) -> None:
        self._source = source
        self.suites = 0

    def cases(self) -> Iterator[Case]:
        if isinstance(self._source, str | Path):
            with open(self._source, "rb") as raw:
                yield from self._read(_Recorder(raw))
        else:
            yield from self._read(_Recorder(self._source))

    def _read(self, recorder: _Recorder) -> Iterator[Case]:
        events: Any = etree.iterparse(
            recorder,
            events=("start", "end"),
            tag=("{*}" + _SUITE, "{*}" + _CASE),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        path: tuple[str, ...] = ()
        checked = False
        try:
            for event, element in events:
                if not checked:
                    _check_document(element.getroottree(), recorder)
                    checked = True
                tag: str = element.tag
                if tag.endswith(_CASE):
                    if event == "end":
                        yield _case(element, path)
                        _release(element)
                elif event == "start":
                    path = (*path, element.get("name") or "")
                    self.suites += 1
                else:
                    path = path[:-1]
                    _release(element)
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(exc, events, recorder) from None
        if not checked:
            # No suite or case at all: the checks still say what is wrong with the document.
            _check_document(events.root.getroottree(), recorder)


def _check_document(tree: Any, recorder: _Recorder) -> None:
    """Refuse DTDs that declare entities or load external files, then a root of the wrong kind."""
    docinfo = tree.docinfo
    dtd = docinfo.internalDTD
    if dtd is not None:
        entities = list(dtd.entities())
        if entities:
            raise _entity_error(recorder, entities[0].name)
    if docinfo.system_url or docinfo.public_id:
        line = _line_of(recorder.head, b"<!DOCTYPE")
        raise JUnitError(
            f"the report references an external DTD ({docinfo.system_url or docinfo.public_id}); "
            "golive refuses it for safety",
            line,
        )
    root = _local(tree.getroot().tag)
    if root not in ("testsuites", _SUITE):
        raise JUnitError(
            f"root element is <{root}>, expected <testsuites> or <testsuite>",
            tree.getroot().sourceline,
        )


def _entity_error(recorder: _Recorder, name: str | None) -> JUnitError:
    line = _line_of(recorder.head, b"<!ENTITY")
    declared = _ENTITY_NAME.search(recorder.head)
    if name is None and declared is not None:
        name = declared.group(1).decode("utf-8", "replace")
    declaration = f"<!ENTITY {name} ...>" if name else "<!ENTITY ...>"
    where = f" at line {line}" if line is not None else ""
    return JUnitError(
        f"the report declares XML entities ({declaration}{where}); golive refuses them for safety",
        line,
    )


def _line_of(head: bytes | bytearray, needle: bytes) -> int | None:
    """Return the line of the first ``needle`` in ``head`` in UTF-8, UTF-16 or UTF-32."""
    for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        text = needle.decode("ascii").encode(codec)
        position = head.find(text)
        if position >= 0:
            return head.count("\n".encode(codec), 0, position) + 1
    return None


def _syntax_error(exc: Any, events: Any, recorder: _Recorder) -> JUnitError:
    """Turn libxml2's complaint into a :class:`JUnitError` with a line and a plain reason."""
    head = bytes(recorder.head)
    if _line_of(head, b"<!DOCTYPE") is not None and _line_of(head, b"<!ENTITY") is not None:
        # The parser stopped while the document declares entities: that is the real problem.
        return _entity_error(recorder, None)
    if not head.translate(None, _BLANK).strip():
        return JUnitError("the report is empty", 1)
    # The iterparse error log is the parser's own; the exception may carry a later, vaguer
    # message ("no element found", line 0) after an earlier error such as an undefined entity.
    last = events.error_log.last_error
    message: str = last.message if last is not None else str(exc.msg)
    line: int = last.line if last is not None else int(exc.lineno or 0)
    column: int | None = last.column if last is not None else None
    message = message.strip()
    match = _LOCATION.search(message)
    if match:
        column = column or int(match.group(1))
        message = message[: match.start()]
    if column:
        message += f" (column {column})"
    if message.startswith(("Invalid bytes", "Input is not proper")):
        message += (
            "; the bytes do not match the encoding the report declares"
            " (UTF-8 when it declares none)"
        )
    return JUnitError(message, max(line, 1))


def _release(element: Any) -> None:
    """Free a finished element and the finished siblings before it."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _local(tag: str) -> str:
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def _case(element: Any, suite: tuple[str, ...]) -> Case:
    failure = error = skipped = rerun = None
    system_out: str | None = None
    system_err: str | None = None
    properties: dict[str, str] = {}
    for attribute in ("file", "line"):
        value = element.get(attribute)
        if value is not None:
            properties[attribute] = value
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        tag = _local(tag)
        if tag == "failure":
            failure = failure if failure is not None else child
        elif tag == "error":
            error = error if error is not None else child
        elif tag == "skipped":
            skipped = skipped if skipped is not None else child
        elif tag in _RERUNS:
            rerun = rerun if rerun is not None else child
        elif tag == "system-out":
            system_out = _clip(_text(child))
        elif tag == "system-err":
            system_err = _clip(_text(child))
        elif tag == "properties":
            _read_properties(child, properties)

    outcome: Outcome
    if failure is not None:
        outcome, decisive = "failed", failure
    elif error is not None:
        outcome, decisive = "error", error
    elif skipped is not None:
        outcome, decisive = "skipped", skipped
    else:
        outcome, decisive = "passed", rerun
    message = type_ = details = None
    if decisive is not None:
        message = _clip(decisive.get("message") or None)
        type_ = decisive.get("type") or None
        details = _clip(_rerun_text(decisive) if decisive is rerun else _text(decisive))

    classname = element.get("classname") or ""
    name = element.get("name") or ""
    group = classname or (suite[-1] if suite else "")
    return Case(
        suite=suite,
        classname=classname,
        name=name,
        key=f"{group}::{name}",
        outcome=outcome,
        flaky=rerun is not None and outcome == "passed",
        time=_seconds(element.get("time")),
        message=message,
        type=type_,
        details=details,
        system_out=system_out,
        system_err=system_err,
        properties=properties,
        line=element.sourceline,
    )


def _read_properties(element: Any, into: dict[str, str]) -> None:
    for prop in element:
        if not isinstance(prop.tag, str) or _local(prop.tag) != "property":
            continue
        name = prop.get("name")
        if name is not None:
            value = prop.get("value")
            into[name] = value if value is not None else _text(prop) or ""


def _text(element: Any) -> str | None:
    if len(element):
        return "".join(element.itertext())
    text: str | None = element.text
    return text


def _rerun_text(element: Any) -> str | None:
    """Return a Surefire rerun element's stack trace, not its nested system-out and -err."""
    for child in element:
        if isinstance(child.tag, str) and _local(child.tag) == "stackTrace":
            return _text(child)
    text: str | None = element.text
    return text


def _clip(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    if len(text) > MAX_TEXT:
        return f"{text[:MAX_TEXT]}\n[... {len(text) - MAX_TEXT} more characters cut by golive]"
    return text


def _seconds(raw: str | None) -> float | None:
    """Read a duration: ``"1.5"``, ``"1,234.5"`` (thousands), ``"0,5"`` (decimal comma).

    Return ``None`` for anything else, for negative, infinite and not-a-number values.
    """
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        pass
    else:
        return value if value >= 0 and math.isfinite(value) else None
    text = raw.strip()
    if "," in text:
        if _THOUSANDS.fullmatch(text):
            text = text.replace(",", "")
        elif _DECIMAL_COMMA.fullmatch(text):
            text = text.replace(",", ".")
        else:
            return None
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value
