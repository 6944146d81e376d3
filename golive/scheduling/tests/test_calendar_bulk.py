"""WorkCalendar.instants_at converts many offsets exactly as instant_at converts each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golive.scheduling.calendar import CalendarError, WorkCalendar
from golive.scheduling.tests.test_calendar import PROPERTY_CALENDARS, berlin, new_york, p

# Boundaries inside the skipped and the repeated hour of Berlin and New York.
BERLIN_CHANGES = WorkCalendar(
    "Europe/Berlin",
    {6: (p("02:30-05:00"), p("23:00-24:00")), 0: (p("00:00-02:15"), p("02:45-09:00"))},
    exceptions={date(2025, 10, 26): (p("01:30-02:30"),), date(2025, 3, 30): (p("02:10-02:50"),)},
    origin=berlin(2025, 1, 1),
)
NEW_YORK_CHANGES = WorkCalendar(
    "America/New_York",
    {6: (p("01:30-02:30"), p("03:00-04:00")), 2: (p("08:00-12:00"),)},
    origin=new_york(2025, 1, 1),
)
# An origin inside working time but between whole seconds: instants keep their microseconds.
FRACTIONAL = WorkCalendar.standard(
    "Europe/Berlin", origin=berlin(2025, 1, 6, 9) + timedelta(microseconds=250_000)
)
CALENDARS = [*PROPERTY_CALENDARS, BERLIN_CHANGES, NEW_YORK_CHANGES, FRACTIONAL]


def fresh(calendar: WorkCalendar) -> WorkCalendar:
    """Return the same calendar with empty caches, so bulk and scalar lookups start alike."""
    return WorkCalendar(
        calendar.time_zone, dict(calendar.week), dict(calendar.exceptions), calendar.origin
    )


class InstantsAtTests:
    @given(
        st.sampled_from(CALENDARS),
        st.lists(st.integers(-600_000, 3_000_000), max_size=60),
        st.booleans(),
    )
    @settings(max_examples=200, deadline=None)
    def test_equals_instant_at(self, calendar: WorkCalendar, offsets: list[int], end: bool) -> None:
        """Return instant_at of every offset, in order, with the same zone and fold."""
        bulk = fresh(calendar).instants_at(offsets, end=end)
        single = [calendar.instant_at(offset, end=end) for offset in offsets]
        assert bulk == single
        assert [(d.utcoffset(), d.fold, d.tzinfo) for d in bulk] == [
            (d.utcoffset(), d.fold, d.tzinfo) for d in single
        ]

    @pytest.mark.parametrize("calendar", CALENDARS, ids=lambda c: c.time_zone)
    def test_every_boundary_of_a_year(self, calendar: WorkCalendar) -> None:
        """Agree on each quarter hour of a year and more, period boundaries included."""
        offsets = list(range(-30_000, 60 * 10_080, 15))
        for end in (False, True):
            bulk = fresh(calendar).instants_at(offsets, end=end)
            assert bulk == [calendar.instant_at(offset, end=end) for offset in offsets]

    def test_takes_integer_arrays(self) -> None:
        """Accept NumPy integer arrays of any width, as the same ints in a list."""
        calendar = PROPERTY_CALENDARS[1]
        offsets = [0, 479, 480, 481, 9_600, 123_457]
        expected = calendar.instants_at(offsets, end=True)
        for dtype in (np.int64, np.int32, np.uint32):
            assert calendar.instants_at(np.array(offsets, dtype=dtype), end=True) == expected
        assert calendar.instants_at(np.array([], dtype=np.int64)) == []

    def test_rejects_arrays_of_other_kinds(self) -> None:
        """Refuse float and boolean arrays, and offsets beyond the years in any dtype."""
        calendar = PROPERTY_CALENDARS[1]
        for values in (np.array([1.0]), np.array([True])):
            with pytest.raises(CalendarError, match="must be integers"):
                calendar.instants_at(values)
        for values in (np.array([10**13]), np.array([2**63 + 5], dtype=np.uint64)):
            with pytest.raises(CalendarError):
                calendar.instants_at(values)

    def test_equal_offsets_share_one_datetime(self) -> None:
        """Convert a repeated offset once and hand out the same object."""
        first, second = PROPERTY_CALENDARS[0].instants_at([480, 480])
        assert first is second

    def test_empty(self) -> None:
        """Return an empty list for no offsets."""
        assert PROPERTY_CALENDARS[0].instants_at([]) == []

    def test_rejects_what_instant_at_rejects(self) -> None:
        """Refuse non-integers, a calendar without origin and offsets beyond the years."""
        calendar = PROPERTY_CALENDARS[0]
        with pytest.raises(CalendarError, match="must be an int"):
            calendar.instants_at([1, True])
        with pytest.raises(CalendarError, match="must be an int"):
            calendar.instants_at([1, 2.0])  # type: ignore[list-item]
        with pytest.raises(CalendarError, match="no origin"):
            WorkCalendar.standard("UTC").instants_at([1])
        for offset in (10**9, 10**13):
            with pytest.raises(CalendarError):
                calendar.instants_at([0, offset])

    def test_results_are_in_the_calendar_zone(self) -> None:
        """Hand back aware datetimes in the calendar's zone, as instant_at does."""
        calendar = PROPERTY_CALENDARS[1]
        (moment,) = calendar.instants_at([0])
        assert moment == calendar.instant_at(0)
        assert str(moment.tzinfo) == "Europe/Berlin"
        assert moment.astimezone(UTC) == datetime(2025, 1, 2, 7, tzinfo=UTC)
