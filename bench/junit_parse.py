"""Benchmark the JUnit XML reader on a generated 100,000-case report.

Run: ``.venv/bin/python bench/junit_parse.py [--cases 100000] [--repeat 3]``.

The report has suites nested three deep (project / module / class), 5 % failures with a message
and a stack trace, and system-out on every tenth case. The reference is a bare
``lxml.etree.iterparse`` loop over the same file that only clears each element, measured in the
same process: no reader built on lxml can beat it, so ``summarize() / floor`` says what reading
the cases costs on top of merely parsing the XML on this machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from golive.quality.junit import summarize

STACK = "".join(
    f"\tat com.example.module.Service.method{depth}(Service.java:{100 + depth})\n"
    for depth in range(12)
)


def write_report(path: Path, cases: int, seed: int = 5) -> int:
    """Write ``cases`` cases into ``path`` and return how many of them fail."""
    rng = random.Random(seed)
    failures = 0
    per_class = 50
    classes_per_module = 20
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">\n')
        out.write('<testsuite name="project">\n')
        for index in range(cases):
            module, rest = divmod(index, per_class * classes_per_module)
            klass, position = divmod(rest, per_class)
            if rest == 0:
                if index:
                    out.write("</testsuite>\n</testsuite>\n")
                out.write(f'<testsuite name="module{module}">\n')
            if position == 0:
                if rest:
                    out.write("</testsuite>\n")
                out.write(f'<testsuite name="com.example.module{module}.Class{klass}Test">\n')
            out.write(
                f'<testcase classname="com.example.module{module}.Class{klass}Test"'
                f' name="test_{index}[case-{rng.randrange(1000)}]"'
                f' time="{rng.random():.3f}">'
            )
            if rng.random() < 0.05:
                failures += 1
                out.write(
                    f'<failure message="expected &lt;{index}&gt; but was &lt;{index + 1}&gt;"'
                    ' type="java.lang.AssertionError">java.lang.AssertionError: expected'
                    f" &lt;{index}&gt; but was &lt;{index + 1}&gt;\n{STACK}</failure>"
                )
            if index % 10 == 0:
                out.write(f"<system-out><![CDATA[setup {index}\nrunning\nteardown]]></system-out>")
            out.write("</testcase>\n")
        out.write("</testsuite>\n</testsuite>\n</testsuite>\n</testsuites>\n")
    return failures


def floor(path: Path) -> int:
    """Parse ``path`` with a bare iterparse loop that only clears elements; return the count."""
    count = 0
    for _, element in etree.iterparse(str(path), events=("end",)):
        element.clear()
        count += 1
    return count


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "junit.xml"
        failures = write_report(path, args.cases)
        size = path.stat().st_size
        report = summarize(path)
        assert report.tests == args.cases and report.failed == failures, report
        print(f"report: {args.cases:,} cases, {failures:,} failing, {size / 1e6:.1f} MB")
        print(f"        {report.suites:,} suites, nested three deep")

        reader = median_seconds(lambda: summarize(path), args.repeat)
        reference = median_seconds(lambda: floor(path), args.repeat)
        print(f"summarize(), median of {args.repeat}:  {reader:.3f} s")
        print(f"bare iterparse floor, median of {args.repeat}: {reference:.3f} s")
        print(f"ratio summarize / floor: {reader / reference:.2f}")
        rate = args.cases / reader
        print(f"cases per second: {rate:,.0f}")
        print(f"cases per hour:   {rate * 3600:,.0f}")


if __name__ == "__main__":
    main()
