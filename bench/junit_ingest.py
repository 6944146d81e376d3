"""Benchmark: ingesting a 100,000-case JUnit report through the junit_import service.

Usage: python bench/junit_ingest.py [--cases 100000] [--repeat 3] [--profile]

Writes a seeded report (suites nested three deep: project / module / class; 5 % failures with a
message and a stack trace, 2 % skipped, system-out on every tenth case) into a temporary
directory, migrates a fresh SQLite database in a temporary GOLIVE_HOME, then measures:
- the floor: a bare ``lxml.etree.iterparse`` loop over the same file that only clears each
  element (what any importer built on lxml must at least spend);
- junit_import() into a new run (the first import also creates the 100,000 cases; later ones
  match them), the median over the repeats;
- junit_import() into an existing run, replacing every result.
Prints wall-clock medians (and CPU-time medians, which other load on the machine does not
inflate), results per hour and the ratio to the floor. The budget is 10 s per import.
"""

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

STACK = "".join(
    f"\tat com.example.module.Service.method{depth}(Service.java:{100 + depth})\n"
    for depth in range(12)
)
BUDGET = 10.0


def write_report(path: Path, cases: int, seed: int = 20261201) -> tuple[int, int]:
    """Write ``cases`` cases into ``path``; return how many fail and how many are skipped."""
    rng = random.Random(seed)
    failures = skipped = 0
    per_class, classes_per_module = 50, 20
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
            draw = rng.random()
            if draw < 0.05:
                failures += 1
                out.write(
                    f'<failure message="expected &lt;{index}&gt; but was &lt;{index + 1}&gt;"'
                    ' type="java.lang.AssertionError">java.lang.AssertionError: expected'
                    f" &lt;{index}&gt; but was &lt;{index + 1}&gt;\n{STACK}</failure>"
                )
            elif draw < 0.07:
                skipped += 1
                out.write('<skipped message="not on this platform"/>')
            if index % 10 == 0:
                out.write(f"<system-out><![CDATA[setup {index}\nrunning\nteardown]]></system-out>")
            out.write("</testcase>\n")
        out.write("</testsuite>\n</testsuite>\n</testsuite>\n</testsuites>\n")
    return failures, skipped


def floor(path: Path) -> int:
    """Parse ``path`` with a bare iterparse loop that only clears elements; return the count."""
    from lxml import etree

    count = 0
    for _, element in etree.iterparse(str(path), events=("end",)):
        element.clear()
        count += 1
    return count


CPU: list[float] = []


def timed(run: Callable[[], object]) -> float:
    """Return the wall-clock seconds `run` takes; note its CPU seconds in CPU."""
    started, cpu = time.perf_counter(), time.process_time()
    run()
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="Profile one new-run import.")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="golive-bench-")
    os.environ["GOLIVE_HOME"] = home
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "golive.config.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from golive.accounts.models import User
    from golive.projects.services import project_create
    from golive.quality.models import TestCase, TestResult
    from golive.quality.services.junit_import import junit_import

    user = User.objects.create_user("bench", password="bench-Password-1")
    project = project_create(actor=user, key="BENCH", name="Benchmark")
    path = Path(home) / "junit.xml"
    failures, skipped = write_report(path, args.cases)
    print(
        f"report: {args.cases:,} cases, {failures:,} failing, {skipped:,} skipped, "
        f"{path.stat().st_size / 1e6:.1f} MB, suites nested three deep"
    )

    def ingest(run: str) -> None:
        summary = junit_import(actor=user, project=project, run_name=run, sources=[path])
        assert summary.tests == args.cases and summary.failed == failures, summary
        assert summary.skipped == skipped, summary

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(ingest, "profiled")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)

    first = timed(lambda: ingest("run-0"))
    new_runs = [first] + [timed(lambda i=i: ingest(f"run-{i}")) for i in range(1, args.repeat)]
    new_cpu = statistics.median(CPU)
    CPU.clear()
    again = [timed(lambda: ingest("run-0")) for _ in range(args.repeat)]
    again_cpu = statistics.median(CPU)
    CPU.clear()
    reference = statistics.median(timed(lambda: floor(path)) for _ in range(args.repeat))
    floor_cpu = statistics.median(CPU)
    assert TestCase.objects.filter(project=project).count() == args.cases
    assert TestResult.objects.filter(run__name="run-0").count() == args.cases

    new_median = statistics.median(new_runs)
    again_median = statistics.median(again)
    print(f"first import (creates the cases):        {first:.3f} s")
    print(f"import into a new run, median of {args.repeat}:    {new_median:.3f} s")
    print(f"re-import into an existing run, median of {args.repeat}: {again_median:.3f} s")
    print(f"bare lxml iterparse floor, median of {args.repeat}: {reference:.3f} s")
    print(
        f"CPU seconds, medians: new run {new_cpu:.3f}, re-import {again_cpu:.3f}, "
        f"floor {floor_cpu:.3f} (wall-clock above is longer when the machine is shared)"
    )
    print(f"ratio new-run import / floor:   {new_median / reference:.1f}")
    print(f"ratio re-import / floor:        {again_median / reference:.1f}")
    print(f"results per hour (new run):     {args.cases / new_median * 3600:,.0f}")
    print(f"results per hour (re-import):   {args.cases / again_median * 3600:,.0f}")
    slowest = max(first, new_median, again_median)
    verdict = "within" if slowest < BUDGET else "OVER"
    print(f"budget {BUDGET:.0f} s per import: {verdict} (slowest {slowest:.3f} s)")


if __name__ == "__main__":
    main()
