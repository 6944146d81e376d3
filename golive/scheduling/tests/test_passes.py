"""The NumPy passes give exactly what the Python passes give, errors included."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, replace
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from golive.scheduling import passes
from golive.scheduling.cpm import schedule, topological_order
from golive.scheduling.errors import SchedulingError
from golive.scheduling.network import (
    Constraint,
    ConstraintKind,
    Dependency,
    DependencyType,
    Network,
    Task,
)


@contextmanager
def thresholds(**values: int) -> Iterator[None]:
    """Set the module's path-choice thresholds for the duration of the block."""
    saved = {name: getattr(passes, name) for name in values}
    for name, value in values.items():
        setattr(passes, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(passes, name, value)


def outcome(network: Network, status_date: int | None) -> tuple[Any, ...]:
    """Return everything schedule() and topological_order() say, or the error they raise."""
    try:
        result = schedule(network, status_date=status_date, near_critical=30)
        order = topological_order(network)
    except SchedulingError as error:
        return (type(error), str(error), getattr(error, "task_ids", None))
    return (
        result.finish,
        result.critical_path,
        result.critical_tasks,
        dict(result.tasks.items()),
        order,
    )


def both_paths(network: Network, status_date: int | None = None) -> tuple[Any, Any]:
    """Return the outcome of the Python passes and of the NumPy passes."""
    with thresholds(_NUMPY_MIN_NODES=10**9):
        python = outcome(network, status_date)
    with thresholds(_NUMPY_MIN_NODES=0, _NUMPY_MIN_WAVE=0):
        vectorised = outcome(network, status_date)
    return python, vectorised


@st.composite
def plans(draw: st.DrawFn, max_tasks: int = 14) -> tuple[Network, int | None]:
    """Draw a network with summaries, progress, constraints, a status date, maybe a cycle."""
    size = draw(st.integers(1, max_tasks))
    tasks = []
    for i in range(size):
        parent = draw(st.none() | st.integers(0, i - 1)) if i and draw(st.booleans()) else None
        kind = draw(st.sampled_from(["plain", "plain", "constraint", "started", "finished"]))
        named = f"T{parent}" if parent is not None else None
        task = Task(f"T{i}", draw(st.integers(0, 60)), parent=named)
        if kind == "constraint":
            constraint = st.builds(
                Constraint, st.sampled_from(list(ConstraintKind)), st.integers(0, 300)
            )
            task = replace(task, constraint=draw(constraint))
        elif kind == "started":
            remaining = draw(st.none() | st.integers(0, 60))
            task = replace(task, actual_start=draw(st.integers(0, 100)), remaining=remaining)
        elif kind == "finished":
            start = draw(st.integers(0, 100))
            task = replace(task, actual_start=start, actual_finish=start + draw(st.integers(0, 50)))
        tasks.append(task)
    # Parents must be summaries without constraints or progress: strip those from parents.
    parents = {task.parent for task in tasks if task.parent}
    tasks = [
        replace(t, constraint=None, actual_start=None, actual_finish=None, remaining=None)
        if t.id in parents
        else t
        for t in tasks
    ]
    backwards = draw(st.booleans()) and draw(st.booleans())
    pairs = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1))))
    dependencies = [
        Dependency(
            f"T{a if backwards else min(a, b)}",
            f"T{b if backwards else max(a, b)}",
            draw(st.sampled_from(list(DependencyType))),
            draw(st.integers(-40, 40)),
        )
        for a, b in pairs[: 2 * size]
        if a != b
    ]
    status_date = draw(st.none() | st.integers(-10, 150))
    try:
        network = Network(tasks, dependencies)
    except SchedulingError:
        network = Network(
            [replace(t, parent=None) for t in tasks],
            [d for d in dependencies if d.predecessor != d.successor],
        )
    return network, status_date


class NumpyPassesTests:
    @given(plans())
    @settings(max_examples=400, deadline=None)
    def test_same_schedule_or_error_as_python(self, plan: tuple[Network, int | None]) -> None:
        """Dates, float, critical path, order and errors agree between the two passes."""
        python, vectorised = both_paths(*plan)
        assert vectorised == python

    @given(plans())
    @settings(max_examples=100, deadline=None)
    def test_python_fallback_keeps_kahns_order(self, plan: tuple[Network, int | None]) -> None:
        """Waves begun in NumPy and finished in Python give the same order and schedule."""
        network, status_date = plan
        with thresholds(_NUMPY_MIN_NODES=10**9):
            python = outcome(network, status_date)
        with thresholds(_NUMPY_MIN_NODES=0, _NUMPY_TRIAL_WAVES=1, _NUMPY_MIN_WAVE=10**6):
            switched = outcome(network, status_date)
        assert switched == python

    def test_large_layered_network_takes_the_numpy_path(self) -> None:
        """A 6,000-task network goes through NumPy by default and agrees with Python."""
        rng = random.Random(7)
        kinds = list(DependencyType)
        tasks = [Task(f"T{i}", rng.choice((0, 60, 240, 480))) for i in range(6000)]
        dependencies = [
            Dependency(
                f"T{rng.randrange(max(0, i - i % 80 - 240), i - i % 80)}",
                f"T{i}",
                rng.choice(kinds),
                rng.choice((0, 0, 30, -30)),
            )
            for i in range(80, 6000)
            for _ in range(3)
        ]
        # Repeated pairs are allowed and must count once per link in both passes.
        network = Network(tasks, dependencies)
        assert passes.kahn(network.graph).waves is not None
        with thresholds(_NUMPY_MIN_NODES=10**9):
            python = outcome(network, None)
        assert outcome(network, None) == python
        entry = schedule(network).tasks["T5999"]
        assert [type(value) for value in astuple(entry)] == [int] * 6 + [bool] * 2
        result = schedule(network)
        column = result.tasks.column("late_start")
        assert column == [entry.late_start for entry in result.tasks.values()]
        assert all(type(value) is int for value in column)
        array = result.tasks.array("late_start")
        assert array.dtype == np.int64
        assert array.tolist() == column
        started = [
            replace(t, actual_start=i % 500) if i % 97 == 0 else t for i, t in enumerate(tasks)
        ]
        progress = Network(started, dependencies)
        python, vectorised = both_paths(progress, status_date=400)
        assert vectorised == python

    def test_columns_roll_up_summaries_like_the_entries(self) -> None:
        """column() and array() give a field of every task, summaries included, as the entries."""
        tasks = [
            Task("S"),
            Task("A", 30, parent="S"),
            Task("B", 50, parent="S"),
            Task("C", 20),
            Task("T"),
            Task("D", 10, parent="T"),
        ]
        links = [
            Dependency("A", "C", DependencyType.FS, 5),
            Dependency("S", "T", DependencyType.SS, 3),
            Dependency("C", "D", DependencyType.FF, -2),
        ]
        result = schedule(Network(tasks, links))
        for name in ("early_start", "early_finish", "late_start", "late_finish", "total_float"):
            expected = [getattr(entry, name) for entry in result.tasks.values()]
            assert result.tasks.column(name) == expected  # type: ignore[arg-type]
            assert result.tasks.array(name).tolist() == expected  # type: ignore[arg-type]

    def test_chain_takes_the_python_path(self) -> None:
        """A long chain falls back to Python after a few NumPy waves, with the same result."""
        tasks = [Task(f"T{i}", 60) for i in range(5000)]
        links = [Dependency(f"T{i}", f"T{i + 1}") for i in range(4999)]
        network = Network(tasks, links)
        assert passes.kahn(network.graph).waves is None
        assert schedule(network).finish == 5000 * 60
