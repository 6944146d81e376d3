"""Convert between working minutes and timezone-aware datetimes.

A `WorkCalendar` knows when work happens: working periods per weekday in wall-clock time of an
IANA time zone, and exceptions per date (a holiday has no periods; an extra working day or a
shortened day has its own). The scheduling engine counts in working minutes from the calendar's
`origin`; `offset_of` and `instant_at` convert between that axis and datetimes.

Working time is real elapsed time. A period is the span from the instant the wall clock first
shows its start to the instant it first shows its end, so on a day when daylight saving time
changes a period spanning the change has an hour more or less than its wall-clock length. A
boundary that falls in the skipped hour moves to the instant the clocks jump; a boundary in the
repeated hour means its first occurrence.

Internally every position is an integer number of working microseconds, which keeps the
arithmetic exact for inputs with seconds. Positions of whole days come from the regular week
(whole weeks are skipped in one step) plus a sorted list of the days that differ from it:
exceptions, and days on which a daylight saving change alters a period's length. Those are found
year by year as queries reach them; lookups are a bisection in that list.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain, pairwise
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from golive.scheduling.errors import SchedulingError

__all__ = ["END_OF_DAY", "CalendarError", "WorkCalendar", "WorkingPeriod"]

END_OF_DAY = time.max
"""The end of a period that runs until midnight at the end of its day (24:00)."""

_US_PER_MINUTE = 60_000_000
_US_PER_DAY = 24 * 60 * _US_PER_MINUTE
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_UNSTEADY = np.iinfo(np.int64).min
_MOMENT_CACHE_LIMIT = 500_000
_ONE_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Any Monday serves as the origin of the regular week's arithmetic.
_REFERENCE_MONDAY = date(2001, 1, 1).toordinal()
_FIRST_YEAR = 2
_LAST_YEAR = 9998
_LAST_ORDINAL = date.max.toordinal()
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_CACHE_LIMIT = 200_000
_PERIOD_TEXT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# Offsets beyond these are far outside the supported years (and would overflow int64 arrays).
_MAX_OFFSET = 10**11
_MIN_OFFSET = -(10**11)

Interval = tuple[int, int]
IntArray = npt.NDArray[np.int64]


class CalendarError(SchedulingError, ValueError):
    """Report an invalid calendar definition or an invalid argument to a calendar method."""


def _wall_us(value: time) -> int:
    """Return a period boundary as microseconds after midnight (`END_OF_DAY` is 24:00)."""
    if value == END_OF_DAY:
        return _US_PER_DAY
    return (value.hour * 60 + value.minute) * _US_PER_MINUTE


def _hhmm(value: time) -> str:
    """Return ``value`` as HH:MM, with `END_OF_DAY` written as 24:00."""
    return "24:00" if value == END_OF_DAY else f"{value.hour:02d}:{value.minute:02d}"


@dataclass(frozen=True, order=True)
class WorkingPeriod:
    """Hold a span of working time within one day, in wall-clock time of the calendar's zone.

    The period runs from ``start`` (inclusive) to ``end`` (exclusive). Both are whole minutes;
    an ``end`` of `END_OF_DAY` (``time.max``) means 24:00, the midnight that ends the day.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        """Reject times that are not naive whole minutes, and empty or reversed periods."""
        for name, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, time):
                raise CalendarError(
                    f"Working period {name} must be a datetime.time, not {type(value).__name__}."
                )
            if value.tzinfo is not None:
                raise CalendarError(
                    f"Working period {name} {value} has a tzinfo: periods are wall-clock times "
                    "in the calendar's time zone."
                )
            whole_minute = value.second == 0 and value.microsecond == 0
            if not whole_minute and not (name == "end" and value == END_OF_DAY):
                raise CalendarError(
                    f"Working period {name} {value} is not a whole minute "
                    "(write 24:00 as END_OF_DAY)."
                )
        if self.start >= self.end:
            raise CalendarError(
                f"Working period {self}: start must be before end "
                "(a period ending at midnight ends at END_OF_DAY, 24:00)."
            )

    def __str__(self) -> str:
        """Return the period as HH:MM-HH:MM."""
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"

    @property
    def minutes(self) -> int:
        """Return the wall-clock length of the period in minutes."""
        end = 24 * 60 if self.end == END_OF_DAY else self.end.hour * 60 + self.end.minute
        return end - (self.start.hour * 60 + self.start.minute)

    @classmethod
    def parse(cls, text: str) -> WorkingPeriod:
        """Build a period from text such as ``"08:00-12:00"`` (``"24:00"`` ends at midnight)."""
        match = _PERIOD_TEXT.match(text)
        if match is None:
            raise CalendarError(f'Working period "{text}" is not of the form HH:MM-HH:MM.')
        start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
        if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
            raise CalendarError(f'Working period "{text}" has a time outside 00:00-24:00.')
        end = END_OF_DAY if end_h == 24 else time(end_h, end_m)
        return cls(time(start_h, start_m), end)


def _load_zone(name: str) -> ZoneInfo:
    """Return the IANA zone called ``name`` or raise a `CalendarError` naming it."""
    if not isinstance(name, str) or not name:
        raise CalendarError(
            f"Time zone must be an IANA name such as 'Europe/Berlin', not {name!r}."
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise CalendarError(f"Unknown time zone {name!r}.") from error


def _validated_periods(periods: object, where: str) -> tuple[WorkingPeriod, ...]:
    """Return ``periods`` as a tuple after checking they are ordered and do not overlap."""
    if isinstance(periods, WorkingPeriod | str) or not isinstance(periods, Sequence):
        raise CalendarError(f"{where}: give a sequence of WorkingPeriod, not {periods!r}.")
    result = tuple(periods)
    for period in result:
        if not isinstance(period, WorkingPeriod):
            raise CalendarError(f"{where}: {period!r} is not a WorkingPeriod.")
    for earlier, later in pairwise(result):
        if later.start < earlier.start:
            raise CalendarError(
                f"{where}: periods {earlier} and {later} are out of order (list them by start)."
            )
        if later.start < earlier.end:
            raise CalendarError(f"{where}: periods {earlier} and {later} overlap.")
    return result


def _validated_week(week: object) -> dict[int, tuple[WorkingPeriod, ...]]:
    """Return the weekly pattern keyed by weekday 0..6 (Monday = 0), checked."""
    if not isinstance(week, Mapping):
        raise CalendarError(f"The week must map weekdays 0..6 to periods, not {week!r}.")
    result: dict[int, tuple[WorkingPeriod, ...]] = {}
    for weekday in sorted(week, key=repr):
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise CalendarError(f"Weekday {weekday!r} is outside 0..6 (0 = Monday, 6 = Sunday).")
        result[weekday] = _validated_periods(week[weekday], _WEEKDAY_NAMES[weekday])
    if not any(result.values()):
        raise CalendarError(
            "The week has no working time: give at least one weekday a working period."
        )
    return dict(sorted(result.items()))


def _validated_exceptions(exceptions: object) -> dict[date, tuple[WorkingPeriod, ...]]:
    """Return the exceptions keyed by date, checked."""
    if not isinstance(exceptions, Mapping):
        raise CalendarError(f"Exceptions must map dates to periods, not {exceptions!r}.")
    result: dict[date, tuple[WorkingPeriod, ...]] = {}
    for day in exceptions:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise CalendarError(f"Exception key {day!r} must be a datetime.date.")
        if not _FIRST_YEAR <= day.year <= _LAST_YEAR:
            raise CalendarError(
                f"Exception {day.isoformat()} is outside the years {_FIRST_YEAR}-{_LAST_YEAR}."
            )
        result[day] = _validated_periods(exceptions[day], f"{day.isoformat()} (exception)")
    return dict(sorted(result.items()))


def _microseconds(value: object, name: str) -> int:
    """Return an aware datetime as microseconds since the Unix epoch; reject anything else."""
    if not isinstance(value, datetime):
        raise CalendarError(f"{name} must be a datetime, not {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(f"{name} {value.isoformat()} is naive: pass a timezone-aware datetime.")
    return (value - _EPOCH) // _ONE_US


class _Tables(NamedTuple):
    """Hold one consistent snapshot of the irregular days; replaced whole, never edited."""

    covered_lo: int
    """The first day scanned for clock changes (an ordinal)."""
    covered_hi: int
    """The day after the last one scanned."""
    days: list[int]
    """Ordinals of the days whose working time differs from the regular week, sorted."""
    deltas: list[int]
    """Each such day's working microseconds minus the regular week's for it."""
    prefix: list[int]
    """The sum of the deltas before each day (one more entry than ``days``)."""
    positions: list[int]
    """The position of the start of each such day."""


class _Engine:
    """Answer position queries for one validated calendar; hold its caches."""

    def __init__(
        self,
        zone: ZoneInfo,
        week: Mapping[int, tuple[WorkingPeriod, ...]],
        exceptions: Mapping[date, tuple[WorkingPeriod, ...]],
    ) -> None:
        self.zone = zone
        self.week = week
        self.exceptions = exceptions
        self.weekday_us = [
            sum(period.minutes for period in week.get(i, ())) * _US_PER_MINUTE for i in range(7)
        ]
        self.week_prefix = [0]
        for amount in self.weekday_us:
            self.week_prefix.append(self.week_prefix[-1] + amount)
        self.week_us = self.week_prefix[-1]
        # Each weekday's periods (Monday = 0) as microseconds after its local midnight.
        self.week_spans = [
            [(_wall_us(period.start), _wall_us(period.end)) for period in week.get(weekday, ())]
            for weekday in range(7)
        ]
        self.intervals_cache: dict[int, tuple[Interval, ...]] = {}
        self.steady: dict[int, int | None] = {}
        self.moments: dict[int, datetime] = {}
        self.exception_days = {day.toordinal() for day in exceptions}
        self.exception_deltas: dict[int, int] = {}
        for ordinal in self.exception_days:
            delta = self.day_total(ordinal) - self.regular_day(ordinal)
            if delta:
                self.exception_deltas[ordinal] = delta
        self.dst_deltas: dict[int, int] = {}
        self.anchor: int | None = None
        self.tables = _Tables(
            covered_lo=0, covered_hi=0, days=[], deltas=[], prefix=[0], positions=[]
        )
        # Readers use whichever snapshot of the tables they picked up; writers take the lock.
        self.lock = threading.Lock()
        self.origin_position: int | None = None

    def regular_day(self, ordinal: int) -> int:
        """Return the working microseconds the regular week gives the day ``ordinal``."""
        return self.weekday_us[(ordinal - _REFERENCE_MONDAY) % 7]

    def regular_position(self, ordinal: int) -> int:
        """Return the regular week's position of the start of day ``ordinal``."""
        weeks, weekday = divmod(ordinal - _REFERENCE_MONDAY, 7)
        return weeks * self.week_us + self.week_prefix[weekday]

    def wall_instant(self, day: date, wall: time) -> int:
        """Return the instant (epoch microseconds) at which the wall clock first shows ``wall``."""
        if wall == END_OF_DAY:
            day, wall = day + timedelta(days=1), time(0)
        local = datetime.combine(day, wall, tzinfo=self.zone)
        instant = (local - _EPOCH) // _ONE_US
        if local.utcoffset() == local.replace(fold=1).utcoffset():
            # Neither skipped nor repeated: the wall time names exactly one instant.
            return instant
        if (_EPOCH + instant * _ONE_US).astimezone(self.zone).replace(tzinfo=None) == local.replace(
            tzinfo=None
        ):
            return instant
        # The wall time was skipped: the boundary moves to the instant the clocks jumped.
        before = (local.replace(fold=1) - _EPOCH) // _ONE_US
        after = instant
        offset_after = self.to_datetime(after).utcoffset()
        low, high = before // 1_000_000, -(-after // 1_000_000)
        while high - low > 1:
            middle = (low + high) // 2
            if self.to_datetime(middle * 1_000_000).utcoffset() == offset_after:
                high = middle
            else:
                low = middle
        return high * 1_000_000

    def intervals(self, ordinal: int) -> tuple[Interval, ...]:
        """Return the working intervals of day ``ordinal`` as epoch microseconds."""
        cached = self.intervals_cache.get(ordinal)
        if cached is not None:
            return cached
        day = date.fromordinal(ordinal)
        periods = self.exceptions.get(day)
        if periods is None:
            periods = self.week.get(day.weekday(), ())
        spans = []
        for period in periods:
            start = self.wall_instant(day, period.start)
            end = self.wall_instant(day, period.end)
            if end > start:
                spans.append((start, end))
        result = tuple(spans)
        if len(self.intervals_cache) >= _DAY_CACHE_LIMIT:
            self.intervals_cache.clear()
        self.intervals_cache[ordinal] = result
        return result

    def steady_offsets(self, ordinals: list[int]) -> list[int | None]:
        """Return each day's UTC offset in microseconds, or None on a day the clocks change.

        A day whose offset is the same at both midnights has no wall time skipped or repeated
        (clocks change at most once a day, which `scan` relies on too).
        """
        steady = self.steady
        missing = [ordinal for ordinal in ordinals if ordinal not in steady]
        if missing:
            zone = self.zone
            midnights = {*missing, *(o + 1 for o in missing if o < _LAST_ORDINAL)}
            offset = {
                ordinal: zone.utcoffset(datetime.combine(date.fromordinal(ordinal), time(0)))
                for ordinal in midnights
            }
            if len(steady) >= _DAY_CACHE_LIMIT:
                steady.clear()
            for ordinal in missing:
                here = offset[ordinal]
                same = here is not None and here == offset.get(ordinal + 1)
                steady[ordinal] = here // _ONE_US if same and here is not None else None
        return [steady[ordinal] for ordinal in ordinals]

    def fill_intervals(self, ordinals: list[int], offsets: list[int | None]) -> None:
        """Compute and cache the working intervals of many days at once.

        On a day without a clock change (``offsets`` from `steady_offsets`) the periods are its
        midnight plus fixed amounts; other days and exceptions go through `intervals`.
        """
        cache = self.intervals_cache
        for ordinal, offset in zip(ordinals, offsets, strict=True):
            if ordinal in cache:
                continue
            if offset is None or ordinal in self.exception_days:
                self.intervals(ordinal)
                continue
            base = (ordinal - _EPOCH_ORDINAL) * _US_PER_DAY - offset
            if len(cache) >= _DAY_CACHE_LIMIT:
                cache.clear()
            cache[ordinal] = tuple(
                [
                    (base + start, base + end)
                    for start, end in self.week_spans[(ordinal - _REFERENCE_MONDAY) % 7]
                ]
            )

    def day_total(self, ordinal: int) -> int:
        """Return the working microseconds of day ``ordinal``."""
        return sum(end - start for start, end in self.intervals(ordinal))

    def ensure(self, ordinal: int) -> _Tables:
        """Return tables covering ``ordinal``, scanning more years for clock changes if needed."""
        tables = self.tables
        if tables.covered_lo <= ordinal < tables.covered_hi:
            return tables
        year = date.fromordinal(ordinal).year if 1 <= ordinal <= _LAST_ORDINAL else 0
        if not _FIRST_YEAR <= year <= _LAST_YEAR:
            raise CalendarError(
                f"The date falls outside the years {_FIRST_YEAR}-{_LAST_YEAR} this calendar handles."
            )
        low = date(year, 1, 1).toordinal()
        high = date(year + 1, 1, 1).toordinal()
        with self.lock:
            tables = self.tables
            if tables.covered_lo <= ordinal < tables.covered_hi:
                return tables
            if self.anchor is None:
                self.anchor = low
                self.scan(low, high)
                covered = (low, high)
            elif ordinal < tables.covered_lo:
                self.scan(low, tables.covered_lo)
                covered = (low, tables.covered_hi)
            else:
                self.scan(tables.covered_hi, high)
                covered = (tables.covered_lo, high)
            self.tables = self.build(*covered)
            return self.tables

    def scan(self, low: int, high: int) -> None:
        """Record the days in [low, high) whose working time a clock change alters."""
        zone = self.zone
        previous = datetime.combine(date.fromordinal(low), time(0), tzinfo=zone).utcoffset()
        for ordinal in range(low, high):
            following = datetime.combine(
                date.fromordinal(ordinal + 1), time(0), tzinfo=zone
            ).utcoffset()
            if following != previous and ordinal not in self.exception_days:
                delta = self.day_total(ordinal) - self.regular_day(ordinal)
                if delta:
                    self.dst_deltas[ordinal] = delta
            previous = following

    def build(self, covered_lo: int, covered_hi: int) -> _Tables:
        """Return tables of the irregular days and the positions of their starts."""
        deltas = {**self.dst_deltas, **self.exception_deltas}
        days = sorted(deltas)
        raw = [0]
        for day in days:
            raw.append(raw[-1] + deltas[day])
        # Positions count from the first scanned day, so they never move as coverage grows.
        assert self.anchor is not None
        base = raw[bisect_left(days, self.anchor)]
        prefix = [value - base for value in raw]
        return _Tables(
            covered_lo=covered_lo,
            covered_hi=covered_hi,
            days=days,
            deltas=[deltas[day] for day in days],
            prefix=prefix,
            positions=[
                self.regular_position(day) + prefix[index] for index, day in enumerate(days)
            ],
        )

    def local_ordinal(self, instant: int) -> int:
        """Return the ordinal of the calendar-zone date holding ``instant``."""
        return self.to_datetime(instant).toordinal()

    def position(self, instant: int) -> int:
        """Return the working microseconds from the anchor to ``instant``."""
        ordinal = self.local_ordinal(instant)
        tables = self.ensure(ordinal)
        within = 0
        for start, end in self.intervals(ordinal):
            if instant <= start:
                break
            within += min(instant, end) - start
        day_start = (
            self.regular_position(ordinal) + tables.prefix[bisect_left(tables.days, ordinal)]
        )
        return day_start + within

    def day_at(self, position: int, tables: _Tables) -> tuple[int, int]:
        """Return the day holding the working microsecond ``position`` and the offset into it."""
        index = bisect_right(tables.positions, position) - 1
        if index >= 0:
            day = tables.days[index]
            into = position - tables.positions[index]
            if into < self.regular_day(day) + tables.deltas[index]:
                return day, into
        weeks, rest = divmod(position - tables.prefix[index + 1], self.week_us)
        weekday = bisect_right(self.week_prefix, rest) - 1
        return _REFERENCE_MONDAY + 7 * weeks + weekday, rest - self.week_prefix[weekday]

    def instant(self, position: int) -> int:
        """Return the instant at which the working microsecond ``position`` starts."""
        tables = self.tables
        while True:
            ordinal, into = self.day_at(position, tables)
            if tables.covered_lo <= ordinal < tables.covered_hi:
                break
            # Irregular days beyond the scanned years may move the answer: scan and retry.
            tables = self.ensure(ordinal)
        for start, end in self.intervals(ordinal):
            if into < end - start:
                return start + into
            into -= end - start
        raise AssertionError(f"position {position} is not inside day {date.fromordinal(ordinal)}")

    def instants(self, positions: IntArray) -> tuple[IntArray, IntArray]:
        """Return `instant` of each of the ascending ``positions``, computed with NumPy.

        Also return the UTC offset (microseconds) of each one's day, `_UNSTEADY` on a day the
        clocks change.
        """
        # The scalar lookups scan the years the extremes need; coverage is one contiguous
        # range, so every day between the two is covered by the same tables.
        self.instant(int(positions[0]))
        self.instant(int(positions[-1]))
        tables = self.tables
        prefix = np.asarray(tables.prefix, np.int64)
        index = np.searchsorted(np.asarray(tables.positions, np.int64), positions, "right") - 1
        weeks, rest = np.divmod(positions - prefix[index + 1], self.week_us)
        week_prefix = np.asarray(self.week_prefix, np.int64)
        weekday = np.searchsorted(week_prefix, rest, "right") - 1
        day = _REFERENCE_MONDAY + 7 * weeks + weekday
        into = rest - week_prefix[weekday]
        if tables.days:
            # A position inside an irregular day belongs to that day, as in `day_at`.
            found = np.maximum(index, 0)
            irregular_day = np.asarray(tables.days, np.int64)[found]
            irregular_into = positions - np.asarray(tables.positions, np.int64)[found]
            length = (
                np.asarray(self.weekday_us, np.int64)[(irregular_day - _REFERENCE_MONDAY) % 7]
                + np.asarray(tables.deltas, np.int64)[found]
            )
            inside = (index >= 0) & (irregular_into < length)
            day = np.where(inside, irregular_day, day)
            into = np.where(inside, irregular_into, into)
        # Lay the working intervals of the days found end to end: a position's day and the
        # offset into it then name one point on that line, and a bisection finds its interval.
        new_day = np.empty(len(day), np.bool_)
        new_day[:1] = True
        np.not_equal(day[1:], day[:-1], out=new_day[1:])
        days = day[new_day].tolist()
        offsets = self.steady_offsets(days)
        self.fill_intervals(days, offsets)
        spans = list(map(self.intervals, days))
        counts = np.fromiter(map(len, spans), np.int64, len(spans))
        pairs = np.fromiter(chain.from_iterable(chain.from_iterable(spans)), np.int64)
        starts, ends = pairs[0::2], pairs[1::2]
        lengths = ends - starts
        interval_line = np.cumsum(lengths) - lengths
        day_line = interval_line[np.cumsum(counts) - counts]
        point = day_line[np.cumsum(new_day) - 1] + into
        interval = np.searchsorted(interval_line, point, "right") - 1
        result: IntArray = starts[interval] + (point - interval_line[interval])
        day_offset = np.asarray([_UNSTEADY if o is None else o for o in offsets], np.int64)
        return result, day_offset[np.cumsum(new_day) - 1]

    def datetimes(self, instants: IntArray, offsets: IntArray) -> list[datetime]:
        """Return `to_datetime` of each instant, given the UTC offset of its day (`instants`)."""
        steady = offsets != _UNSTEADY
        # The local wall time by arithmetic, made a datetime in C: on a day without a clock
        # change no wall time is ambiguous, so attaching the zone (fold 0) is exact.
        walls = (instants + np.where(steady, offsets, 0)).astype("datetime64[us]").astype(object)
        zone = self.zone
        return [
            wall.replace(tzinfo=zone) if plain else self.to_datetime(instant)
            for wall, plain, instant in zip(
                walls.tolist(), steady.tolist(), instants.tolist(), strict=True
            )
        ]

    def to_datetime(self, instant: int) -> datetime:
        """Return the epoch-microsecond ``instant`` as a datetime in the calendar's zone."""
        try:
            return (_EPOCH + instant * _ONE_US).astimezone(self.zone)
        except OverflowError as error:
            raise CalendarError("The result falls outside the supported range of dates.") from error


def _distinct(values: IntArray) -> tuple[IntArray, IntArray]:
    """Return the distinct values in ascending order and where each of ``values`` is among them.

    Schedule offsets are dense (many tasks share dates within a span not much wider than their
    number), so a table over the span replaces the sort that `np.unique` would do.
    """
    low = int(values.min())
    span = int(values.max()) - low + 1
    if span > 4 * len(values) + 1024:
        unique, inverse = np.unique(values, return_inverse=True)
        return unique, inverse
    shifted = values - low
    present = np.zeros(span, np.bool_)
    present[shifted] = True
    slot = np.cumsum(present) - 1
    return np.flatnonzero(present) + low, slot[shifted]


def _periods(hours: Iterable[WorkingPeriod | str]) -> tuple[WorkingPeriod, ...]:
    """Return ``hours`` as periods, parsing text such as ``"08:00-12:00"``."""
    return tuple(WorkingPeriod.parse(item) if isinstance(item, str) else item for item in hours)


@dataclass(frozen=True)
class WorkCalendar:
    """Say when work happens and convert between working minutes and datetimes.

    ``week`` maps weekdays (0 = Monday … 6 = Sunday) to ordered, non-overlapping periods; a
    missing weekday has no working time. ``exceptions`` maps dates to the periods that replace
    that day's (an empty sequence makes a holiday). ``origin``, if given, is moved to the first
    working instant at or after it and becomes offset 0 of `offset_of` and `instant_at`.
    Datetimes returned are aware, in ``time_zone``; arguments may be aware in any zone.
    """

    time_zone: str
    week: Mapping[int, Sequence[WorkingPeriod]]
    exceptions: Mapping[date, Sequence[WorkingPeriod]] = field(default_factory=dict)
    origin: datetime | None = None
    _engine: _Engine = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Validate the definition and prepare the lookups."""
        zone = _load_zone(self.time_zone)
        week = _validated_week(self.week)
        exceptions = _validated_exceptions(self.exceptions)
        object.__setattr__(self, "week", MappingProxyType(week))
        object.__setattr__(self, "exceptions", MappingProxyType(exceptions))
        engine = _Engine(zone, week, exceptions)
        object.__setattr__(self, "_engine", engine)
        if self.origin is not None:
            engine.origin_position = engine.position(_microseconds(self.origin, "origin"))
            start = engine.instant(engine.origin_position)
            object.__setattr__(self, "origin", engine.to_datetime(start))

    def __hash__(self) -> int:
        """Hash the definition (the caches take no part)."""
        return hash(
            (
                self.time_zone,
                tuple(self.week.items()),
                tuple(self.exceptions.items()),
                self.origin,
            )
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the definition only; the caches are rebuilt on demand."""
        return (
            WorkCalendar,
            (self.time_zone, dict(self.week), dict(self.exceptions), self.origin),
        )

    @classmethod
    def standard(
        cls,
        time_zone: str = "UTC",
        *,
        hours: Sequence[WorkingPeriod | str] = ("08:00-12:00", "13:00-17:00"),
        weekdays: Iterable[int] = range(5),
        exceptions: Mapping[date, Sequence[WorkingPeriod]] | None = None,
        origin: datetime | None = None,
    ) -> WorkCalendar:
        """Build a calendar with the same ``hours`` on each of ``weekdays`` (default Mon-Fri)."""
        periods = _periods(hours)
        return cls(
            time_zone=time_zone,
            week={weekday: periods for weekday in weekdays},
            exceptions={} if exceptions is None else exceptions,
            origin=origin,
        )

    def with_origin(self, start: datetime) -> WorkCalendar:
        """Return this calendar with offset 0 at the first working instant at or after ``start``."""
        return replace(self, origin=start)

    @property
    def weekly_minutes(self) -> int:
        """Return the wall-clock working minutes of a regular week."""
        return self._engine.week_us // _US_PER_MINUTE

    def working_minutes_on(self, day: date) -> int:
        """Return the working minutes of ``day`` (exceptions and clock changes included)."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise CalendarError(f"day must be a datetime.date, not {type(day).__name__}.")
        return self._engine.day_total(day.toordinal()) // _US_PER_MINUTE

    def is_working(self, dt: datetime) -> bool:
        """Return whether ``dt`` falls inside a working period (periods exclude their end)."""
        engine = self._engine
        instant = _microseconds(dt, "dt")
        return any(
            start <= instant < end for start, end in engine.intervals(engine.local_ordinal(instant))
        )

    def next_working_instant(self, dt: datetime) -> datetime:
        """Return ``dt`` if it is working time, else the start of the next working period."""
        engine = self._engine
        return engine.to_datetime(engine.instant(engine.position(_microseconds(dt, "dt"))))

    def add_working_minutes(self, dt: datetime, minutes: int) -> datetime:
        """Return the instant ``minutes`` working minutes after ``dt`` (before it if negative).

        Moving forward lands as a finish: at the close of a period rather than at the start of
        the next one. Moving backward, or by 0, lands as a start: at the beginning of a period
        rather than at the close of the previous one.
        """
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise CalendarError(f"minutes must be an int, not {type(minutes).__name__}.")
        engine = self._engine
        position = engine.position(_microseconds(dt, "dt")) + minutes * _US_PER_MINUTE
        if minutes > 0:
            return engine.to_datetime(engine.instant(position - 1) + 1)
        return engine.to_datetime(engine.instant(position))

    def working_minutes_between(self, a: datetime, b: datetime) -> int:
        """Return the whole working minutes from ``a`` to ``b`` (negative if ``b`` is earlier)."""
        engine = self._engine
        difference = engine.position(_microseconds(b, "b")) - engine.position(_microseconds(a, "a"))
        if difference >= 0:
            return difference // _US_PER_MINUTE
        return -(-difference // _US_PER_MINUTE)

    def _origin_position(self) -> int:
        """Return the origin's position or raise a `CalendarError` saying it is missing."""
        position = self._engine.origin_position
        if position is None:
            raise CalendarError(
                "This calendar has no origin: pass origin= or call with_origin(start) first."
            )
        return position

    def offset_of(self, dt: datetime) -> int:
        """Return the working minutes from the origin to ``dt`` (negative before the origin)."""
        origin = self._origin_position()
        difference = self._engine.position(_microseconds(dt, "dt")) - origin
        if difference >= 0:
            return difference // _US_PER_MINUTE
        return -(-difference // _US_PER_MINUTE)

    def instant_at(self, offset: int, *, end: bool = False) -> datetime:
        """Return the instant ``offset`` working minutes after the origin.

        With ``end=False`` an offset on a period boundary gives the start of the next working
        period (where an activity starts); with ``end=True`` it gives the close of the previous
        one (where an activity finishes: Friday 17:00, not Monday 08:00).
        """
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise CalendarError(f"offset must be an int, not {type(offset).__name__}.")
        engine = self._engine
        position = self._origin_position() + offset * _US_PER_MINUTE
        if end:
            return engine.to_datetime(engine.instant(position - 1) + 1)
        return engine.to_datetime(engine.instant(position))

    def instants_at(
        self, offsets: Iterable[int] | npt.NDArray[np.integer[Any]], *, end: bool = False
    ) -> list[datetime]:
        """Return ``[self.instant_at(offset, end=end) for offset in offsets]``, much faster.

        ``offsets`` are ints or a NumPy integer array (such as ``TaskSchedules.array``). Each
        distinct offset is converted once per calendar and the day lookups are vectorised, so a
        whole schedule's dates cost little more than building the datetimes. Equal offsets give
        the same datetime object.
        """
        values: list[int] | npt.NDArray[np.integer[Any]]
        if isinstance(offsets, np.ndarray):
            if offsets.dtype.kind not in "iu":
                raise CalendarError(f"offsets must be integers, not {offsets.dtype}.")
            if not offsets.size:
                return []
            values = offsets
            too_big = offsets.dtype.kind == "u" and offsets.max() > _MAX_OFFSET
            array = np.asarray([_MAX_OFFSET + 1]) if too_big else offsets.astype(np.int64)
        else:
            values = offsets if isinstance(offsets, list) else list(offsets)
            if not values:
                return []
            if set(map(type, values)) - {int}:
                bad = next(value for value in values if type(value) is not int)
                raise CalendarError(f"offset must be an int, not {type(bad).__name__}.")
            try:
                array = np.asarray(values, np.int64)
            except OverflowError:
                array = np.asarray([_MAX_OFFSET + 1])
        origin = self._origin_position()
        if not _MIN_OFFSET <= array.min() <= array.max() <= _MAX_OFFSET:
            # Far beyond the supported years: let the scalar path raise its error.
            scalars = values.tolist() if isinstance(values, np.ndarray) else values
            return [self.instant_at(value, end=end) for value in scalars]
        unique, inverse = _distinct(array)
        positions = origin + unique * _US_PER_MINUTE
        engine = self._engine
        # A finish is the instant after the last working microsecond before it (still on the
        # same day's offset: a steady day's offset holds at the next midnight too).
        instants, offset = engine.instants(positions - 1 if end else positions)
        if end:
            instants += 1
        # Building a datetime costs more than everything else here, and a schedule's columns
        # share most of their instants: each is built once per calendar.
        cache = engine.moments
        found: list[datetime | None] = list(map(cache.get, instants.tolist()))
        if None in found:
            todo = [at for at, moment in enumerate(found) if moment is None]
            if len(cache) + len(todo) > _MOMENT_CACHE_LIMIT:
                cache.clear()
            made = engine.datetimes(instants[todo], offset[todo])
            for at, moment in zip(todo, made, strict=True):
                found[at] = cache[int(instants[at])] = moment
        moments = np.empty(len(found), dtype=object)
        moments[:] = found
        result: list[datetime] = moments[inverse].tolist()
        return result
