"""Tests for golive.scheduling.calendar: working periods, exceptions, DST and the offset axis."""

import pickle
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golive.scheduling.calendar import END_OF_DAY, CalendarError, WorkCalendar, WorkingPeriod

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)


def p(text: str) -> WorkingPeriod:
    """Return the period written as HH:MM-HH:MM."""
    return WorkingPeriod.parse(text)


def utc(*args: int) -> datetime:
    """Return a UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def berlin(*args: int) -> datetime:
    """Return a Europe/Berlin datetime."""
    return datetime(*args, tzinfo=BERLIN)


def new_york(*args: int) -> datetime:
    """Return an America/New_York datetime."""
    return datetime(*args, tzinfo=NEW_YORK)


def around_the_clock(time_zone: str) -> WorkCalendar:
    """Return a calendar in which every minute of every day is working time."""
    return WorkCalendar(time_zone, {weekday: (p("00:00-24:00"),) for weekday in range(7)})


def holidays(first: date, count: int, every: int) -> dict[date, tuple[WorkingPeriod, ...]]:
    """Return ``count`` holidays, one on every ``every``-th weekday from ``first``."""
    result: dict[date, tuple[WorkingPeriod, ...]] = {}
    day, weekdays = first, 0
    while len(result) < count:
        if day.weekday() < 5:
            if weekdays % every == 0:
                result[day] = ()
            weekdays += 1
        day += timedelta(days=1)
    return result


# Monday 2025-01-06 is the first working day of the standard calendars below.
STANDARD = WorkCalendar.standard("UTC", origin=utc(2025, 1, 6))
BERLIN_STANDARD = WorkCalendar.standard(
    "Europe/Berlin",
    exceptions={**holidays(date(2025, 1, 1), 100, 12), date(2025, 6, 7): (p("09:00-13:00"),)},
    origin=berlin(2025, 1, 1),
)
BERLIN_ALWAYS = around_the_clock("Europe/Berlin").with_origin(berlin(2024, 12, 30))
# Boundaries avoid New York's repeated hour (01:00-02:00) so the wall-clock oracle applies.
NEW_YORK_SHIFTS = WorkCalendar(
    "America/New_York",
    {
        0: (p("07:30-11:45"), p("12:15-19:00")),
        2: (p("00:00-03:00"), p("22:00-24:00")),
        4: (p("07:30-11:45"),),
        6: (p("00:00-00:30"), p("02:30-05:00"), p("23:00-24:00")),
    },
    exceptions={date(2025, 3, 10): (), date(2025, 11, 8): (p("10:00-12:00"),)},
    origin=new_york(2025, 1, 1),
)
# Boundaries avoid Berlin's repeated hour (02:00-03:00) so the wall-clock oracle applies.
BERLIN_NIGHTS = WorkCalendar(
    "Europe/Berlin",
    {
        5: (p("20:00-24:00"),),
        6: (p("00:00-02:00"), p("03:00-06:00"), p("22:00-24:00")),
        0: (p("01:00-04:00"), p("08:00-16:00")),
    },
    origin=berlin(2025, 1, 1),
)
PROPERTY_CALENDARS = [STANDARD, BERLIN_STANDARD, BERLIN_ALWAYS, NEW_YORK_SHIFTS, BERLIN_NIGHTS]


def reference_minutes(calendar: WorkCalendar, a: datetime, b: datetime) -> int:
    """Count working minutes in [a, b) one minute at a time from the wall clock (a, b aligned)."""
    zone = ZoneInfo(calendar.time_zone)
    count = 0
    instant = a.astimezone(UTC)
    while instant < b:
        local = instant.astimezone(zone)
        periods = calendar.exceptions.get(local.date(), calendar.week.get(local.weekday(), ()))
        wall = local.time()
        count += any(period.start <= wall < period.end for period in periods)
        instant += MINUTE
    return count


class WorkingPeriodTests:
    """A working period is a validated span of wall-clock time within a day."""

    def test_parse_reads_hours_and_midnight(self) -> None:
        """Parse HH:MM-HH:MM, with 24:00 meaning the midnight that ends the day."""
        period = p("22:00-24:00")
        assert period == WorkingPeriod(time(22), END_OF_DAY)
        assert period.minutes == 120
        assert str(period) == "22:00-24:00"

    def test_start_must_precede_end(self) -> None:
        """Reject a period whose start is not before its end, naming it."""
        with pytest.raises(CalendarError, match="Working period 17:00-08:00: start must be before"):
            WorkingPeriod(time(17), time(8))

    def test_midnight_as_end_is_rejected(self) -> None:
        """Reject time(0, 0) as an end: midnight at the end of a day is END_OF_DAY."""
        with pytest.raises(CalendarError, match="END_OF_DAY"):
            WorkingPeriod(time(22), time(0))

    def test_part_minutes_are_rejected(self) -> None:
        """Reject times with seconds, keeping working time in whole minutes."""
        with pytest.raises(CalendarError, match="not a whole minute"):
            WorkingPeriod(time(8, 0, 30), time(12))

    def test_aware_times_are_rejected(self) -> None:
        """Reject times carrying a tzinfo: periods are wall-clock times of the calendar."""
        with pytest.raises(CalendarError, match="has a tzinfo"):
            WorkingPeriod(time(8, tzinfo=UTC), time(12))

    def test_parse_rejects_malformed_text(self) -> None:
        """Reject text that is not HH:MM-HH:MM or lies outside the day."""
        with pytest.raises(CalendarError, match="not of the form HH:MM-HH:MM"):
            p("8 to 12")
        with pytest.raises(CalendarError, match="outside 00:00-24:00"):
            p("08:00-25:00")


class CalendarValidationTests:
    """An invalid calendar or argument raises CalendarError saying what and where."""

    def test_error_is_a_value_error(self) -> None:
        """Let callers catch calendar errors as ValueError."""
        assert issubclass(CalendarError, ValueError)

    def test_unknown_time_zone(self) -> None:
        """Name the unknown time zone."""
        with pytest.raises(CalendarError, match="Unknown time zone 'Mars/Olympus_Mons'"):
            WorkCalendar.standard("Mars/Olympus_Mons")

    def test_overlapping_periods(self) -> None:
        """Name the weekday and the two overlapping periods."""
        with pytest.raises(
            CalendarError, match="Tuesday: periods 09:00-13:00 and 12:00-17:00 overlap"
        ):
            WorkCalendar("UTC", {1: (p("09:00-13:00"), p("12:00-17:00"))})

    def test_unordered_periods(self) -> None:
        """Name the weekday and the periods listed out of order."""
        with pytest.raises(
            CalendarError, match="Tuesday: periods 13:00-17:00 and 08:00-12:00 are out of order"
        ):
            WorkCalendar("UTC", {1: (p("13:00-17:00"), p("08:00-12:00"))})

    def test_touching_periods_are_allowed(self) -> None:
        """Accept a period starting where the previous one ends."""
        calendar = WorkCalendar("UTC", {0: (p("08:00-12:00"), p("12:00-13:00"))})
        assert calendar.working_minutes_on(date(2025, 1, 6)) == 300

    def test_weekday_out_of_range(self) -> None:
        """Name a weekday outside 0..6."""
        with pytest.raises(CalendarError, match=r"Weekday 7 is outside 0\.\.6"):
            WorkCalendar("UTC", {7: (p("08:00-12:00"),)})

    def test_week_without_working_time(self) -> None:
        """Reject a week in which no weekday has a working period."""
        with pytest.raises(CalendarError, match="The week has no working time"):
            WorkCalendar("UTC", {0: (), 1: ()})
        with pytest.raises(CalendarError, match="The week has no working time"):
            WorkCalendar("UTC", {})

    def test_overlapping_exception_periods(self) -> None:
        """Name the exception date whose periods overlap."""
        with pytest.raises(CalendarError, match=r"2025-12-24 \(exception\): periods 08:00-12:00"):
            WorkCalendar.standard(
                exceptions={date(2025, 12, 24): (p("08:00-12:00"), p("11:00-13:00"))}
            )

    def test_exception_keyed_by_datetime(self) -> None:
        """Reject an exception keyed by a datetime rather than a date."""
        with pytest.raises(CalendarError, match=r"must be a datetime\.date"):
            WorkCalendar.standard(exceptions={datetime(2025, 12, 24): ()})

    def test_single_period_instead_of_sequence(self) -> None:
        """Reject a bare period where a sequence of periods belongs."""
        with pytest.raises(CalendarError, match="Monday: give a sequence of WorkingPeriod"):
            WorkCalendar("UTC", {0: p("08:00-12:00")})  # type: ignore[dict-item]

    def test_naive_origin(self) -> None:
        """Reject a naive origin, showing it."""
        with pytest.raises(CalendarError, match="origin 2025-01-06T08:00:00 is naive"):
            WorkCalendar.standard(origin=datetime(2025, 1, 6, 8))

    def test_naive_arguments(self) -> None:
        """Reject naive datetimes passed to any method."""
        naive = datetime(2025, 1, 6, 9)
        with pytest.raises(CalendarError, match="dt 2025-01-06T09:00:00 is naive"):
            STANDARD.is_working(naive)
        with pytest.raises(CalendarError, match="is naive"):
            STANDARD.add_working_minutes(naive, 5)
        with pytest.raises(CalendarError, match="b 2025-01-06T09:00:00 is naive"):
            STANDARD.working_minutes_between(utc(2025, 1, 6), naive)

    def test_offsets_need_an_origin(self) -> None:
        """Raise when converting offsets on a calendar without an origin."""
        calendar = WorkCalendar.standard()
        with pytest.raises(CalendarError, match="has no origin"):
            calendar.offset_of(utc(2025, 1, 6, 9))
        with pytest.raises(CalendarError, match="has no origin"):
            calendar.instant_at(10)

    def test_offsets_beyond_the_supported_years(self) -> None:
        """Raise rather than overflow for an offset beyond the year 9998."""
        with pytest.raises(CalendarError, match="outside the years 2-9998"):
            STANDARD.instant_at(10**12)

    def test_minutes_must_be_integers(self) -> None:
        """Reject fractional minutes and offsets."""
        with pytest.raises(CalendarError, match="minutes must be an int"):
            STANDARD.add_working_minutes(utc(2025, 1, 6, 9), 1.5)  # type: ignore[arg-type]
        with pytest.raises(CalendarError, match="offset must be an int"):
            STANDARD.instant_at(2.0)  # type: ignore[arg-type]


class StandardCalendarTests:
    """The standard calendar works Monday to Friday, 08:00-12:00 and 13:00-17:00."""

    def test_weekly_minutes_come_from_the_periods(self) -> None:
        """Count the regular week's minutes from the periods, not from an assumed day length."""
        assert STANDARD.weekly_minutes == 2400
        short = WorkCalendar.standard(hours=("07:30-11:45",), weekdays=(0, 2))
        assert short.weekly_minutes == 510

    def test_is_working(self) -> None:
        """Treat period starts as working and period ends, lunch and weekends as not."""
        assert STANDARD.is_working(utc(2025, 1, 6, 8))
        assert STANDARD.is_working(utc(2025, 1, 6, 16, 59))
        assert not STANDARD.is_working(utc(2025, 1, 6, 12))
        assert not STANDARD.is_working(utc(2025, 1, 6, 17))
        assert not STANDARD.is_working(utc(2025, 1, 11, 10))

    def test_next_working_instant(self) -> None:
        """Return working instants unchanged and move others to the next period start."""
        assert STANDARD.next_working_instant(utc(2025, 1, 6, 9, 30)) == utc(2025, 1, 6, 9, 30)
        assert STANDARD.next_working_instant(utc(2025, 1, 6, 12, 10)) == utc(2025, 1, 6, 13)
        assert STANDARD.next_working_instant(utc(2025, 1, 10, 17)) == utc(2025, 1, 13, 8)
        assert STANDARD.next_working_instant(utc(2025, 1, 11, 23)) == utc(2025, 1, 13, 8)

    def test_add_working_minutes_forward(self) -> None:
        """Skip lunch and weekends when adding minutes."""
        assert STANDARD.add_working_minutes(utc(2025, 1, 6, 11), 120) == utc(2025, 1, 6, 14)
        assert STANDARD.add_working_minutes(utc(2025, 1, 10, 16), 61) == utc(2025, 1, 13, 8, 1)
        assert STANDARD.add_working_minutes(utc(2025, 1, 6, 8), 2400 * 52) == utc(2026, 1, 2, 17)

    def test_add_zero_moves_to_the_next_working_instant(self) -> None:
        """Move a non-working instant to the next period start when adding 0."""
        assert STANDARD.add_working_minutes(utc(2025, 1, 11, 10), 0) == utc(2025, 1, 13, 8)

    def test_add_working_minutes_backward(self) -> None:
        """Move backward for negative minutes, landing on period starts."""
        assert STANDARD.add_working_minutes(utc(2025, 1, 13, 9), -60) == utc(2025, 1, 13, 8)
        assert STANDARD.add_working_minutes(utc(2025, 1, 13, 8), -60) == utc(2025, 1, 10, 16)
        assert STANDARD.add_working_minutes(utc(2025, 1, 6, 13), -1) == utc(2025, 1, 6, 11, 59)
        assert STANDARD.add_working_minutes(utc(2025, 1, 12, 10), -2400) == utc(2025, 1, 6, 8)

    def test_working_minutes_between(self) -> None:
        """Count working minutes between instants, negative when the second is earlier."""
        monday, friday_close = utc(2025, 1, 6, 8), utc(2025, 1, 10, 17)
        assert STANDARD.working_minutes_between(monday, friday_close) == 2400
        assert STANDARD.working_minutes_between(friday_close, monday) == -2400
        assert STANDARD.working_minutes_between(utc(2025, 1, 11), utc(2025, 1, 12)) == 0

    def test_part_minutes_are_truncated(self) -> None:
        """Count only whole working minutes between instants with seconds."""
        start = utc(2025, 1, 6, 8, 0, 30)
        assert STANDARD.working_minutes_between(start, utc(2025, 1, 6, 8, 2)) == 1
        assert STANDARD.working_minutes_between(utc(2025, 1, 6, 8, 2), start) == -1
        assert STANDARD.add_working_minutes(start, 1) == utc(2025, 1, 6, 8, 1, 30)

    def test_origin_moves_to_the_first_working_instant(self) -> None:
        """Place offset 0 at the first working instant at or after the given origin."""
        calendar = STANDARD.with_origin(utc(2025, 1, 4, 12))
        assert calendar.origin == utc(2025, 1, 6, 8)
        assert calendar.instant_at(0) == utc(2025, 1, 6, 8)
        assert calendar.offset_of(utc(2025, 1, 6, 8)) == 0

    def test_offsets_before_the_origin_are_negative(self) -> None:
        """Convert offsets and instants before the origin as negative numbers."""
        assert STANDARD.offset_of(utc(2025, 1, 3, 16)) == -60
        assert STANDARD.instant_at(-60) == utc(2025, 1, 3, 16)

    def test_results_are_in_the_calendar_zone(self) -> None:
        """Accept aware datetimes in any zone and answer in the calendar's zone."""
        result = BERLIN_STANDARD.add_working_minutes(utc(2025, 1, 6, 7), 60)
        assert result == berlin(2025, 1, 6, 9)
        assert result.tzinfo == BERLIN
        assert BERLIN_STANDARD.instant_at(0).tzinfo == BERLIN

    def test_equal_definitions_are_equal_hashable_and_picklable(self) -> None:
        """Compare and hash calendars by definition, and survive pickling."""
        again = WorkCalendar.standard("UTC", origin=utc(2025, 1, 6, 7))
        assert again == STANDARD
        assert hash(again) == hash(STANDARD)
        restored = pickle.loads(pickle.dumps(BERLIN_STANDARD))
        assert restored == BERLIN_STANDARD
        assert restored.instant_at(12345) == BERLIN_STANDARD.instant_at(12345)

    def test_definition_is_read_only(self) -> None:
        """Refuse changes to the week after construction."""
        with pytest.raises(TypeError):
            STANDARD.week[5] = (p("08:00-12:00"),)  # type: ignore[index]


class ExceptionTests:
    """Exceptions replace a date's periods: holidays, extra working days, shortened days."""

    def setup_method(self) -> None:
        """Build a calendar with a holiday, an extra Saturday and a shortened Friday."""
        self.calendar = WorkCalendar.standard(
            exceptions={
                date(2025, 1, 8): (),
                date(2025, 1, 11): (p("09:00-11:00"),),
                date(2025, 1, 17): (p("08:00-12:00"),),
                date(2025, 1, 20): (p("10:00-18:00"),),
            },
            origin=utc(2025, 1, 6),
        )

    def test_holiday_has_no_working_time(self) -> None:
        """Skip a holiday entirely."""
        assert not self.calendar.is_working(utc(2025, 1, 8, 10))
        assert self.calendar.add_working_minutes(utc(2025, 1, 7, 16), 120) == utc(2025, 1, 9, 9)
        assert self.calendar.instant_at(960) == utc(2025, 1, 9, 8)

    def test_extra_working_day(self) -> None:
        """Work on a weekend day that has exception periods."""
        assert self.calendar.is_working(utc(2025, 1, 11, 9))
        assert self.calendar.add_working_minutes(utc(2025, 1, 10, 16), 90) == utc(
            2025, 1, 11, 9, 30
        )
        assert self.calendar.working_minutes_on(date(2025, 1, 11)) == 120

    def test_shortened_day(self) -> None:
        """End a shortened day at its exception's close."""
        assert not self.calendar.is_working(utc(2025, 1, 17, 14))
        assert self.calendar.add_working_minutes(utc(2025, 1, 17, 11), 120) == utc(2025, 1, 20, 11)

    def test_same_length_different_hours(self) -> None:
        """Use an exception's hours even when its length equals the regular day's."""
        assert self.calendar.next_working_instant(utc(2025, 1, 20, 8)) == utc(2025, 1, 20, 10)
        assert self.calendar.working_minutes_between(utc(2025, 1, 20), utc(2025, 1, 21)) == 480

    def test_offsets_across_exceptions(self) -> None:
        """Count offsets through the holiday, the extra Saturday and the short Friday."""
        # Week 1: 4 days of 480 plus Saturday's 120; week 2: 4 x 480 plus Friday's 240.
        assert self.calendar.offset_of(utc(2025, 1, 13, 8)) == 2040
        assert self.calendar.offset_of(utc(2025, 1, 20, 10)) == 2040 + 2160
        assert self.calendar.instant_at(4200) == utc(2025, 1, 20, 10)


class FinishSemanticsTests:
    """With end=True an offset on a boundary is the close of the previous period."""

    def test_friday_close(self) -> None:
        """Finish at Friday 17:00, and start at Monday 08:00, for a week's offset."""
        assert STANDARD.instant_at(2400, end=True) == utc(2025, 1, 10, 17)
        assert STANDARD.instant_at(2400) == utc(2025, 1, 13, 8)

    def test_lunch_boundary(self) -> None:
        """Finish at 12:00 and start at 13:00 for an offset at the lunch break."""
        assert STANDARD.instant_at(240, end=True) == utc(2025, 1, 6, 12)
        assert STANDARD.instant_at(240) == utc(2025, 1, 6, 13)

    def test_inside_a_period_both_agree(self) -> None:
        """Return the same instant either way for an offset inside a period."""
        assert (
            STANDARD.instant_at(100, end=True) == STANDARD.instant_at(100) == utc(2025, 1, 6, 9, 40)
        )

    def test_adding_to_a_start_lands_on_a_finish(self) -> None:
        """Finish at the close of the day when adding a duration that fills it."""
        assert STANDARD.add_working_minutes(utc(2025, 1, 10, 8), 480) == utc(2025, 1, 10, 17)

    def test_offset_zero_as_a_finish_is_the_previous_close(self) -> None:
        """Return the close before the origin for offset 0 as a finish."""
        assert STANDARD.instant_at(0, end=True) == utc(2025, 1, 3, 17)


class DaylightSavingTests:
    """Periods are wall-clock times; a day with a clock change has more or fewer real minutes."""

    def test_berlin_standard_days_keep_their_hours_across_march(self) -> None:
        """Keep 08:00-17:00 on both sides of the March change in Berlin."""
        friday = berlin(2025, 3, 28, 16)
        assert BERLIN_STANDARD.add_working_minutes(friday, 120) == berlin(2025, 3, 31, 9)
        assert BERLIN_STANDARD.add_working_minutes(friday, 120).utcoffset() == timedelta(hours=2)
        assert (
            BERLIN_STANDARD.working_minutes_between(berlin(2025, 3, 28, 8), berlin(2025, 3, 31, 17))
            == 960
        )

    def test_berlin_standard_days_keep_their_hours_across_october(self) -> None:
        """Keep 08:00-17:00 on both sides of the October change in Berlin."""
        friday = berlin(2025, 10, 24, 16)
        assert BERLIN_STANDARD.add_working_minutes(friday, 120) == berlin(2025, 10, 27, 9)
        assert BERLIN_STANDARD.add_working_minutes(friday, 120).utcoffset() == timedelta(hours=1)

    def test_berlin_days_of_change_are_shorter_and_longer(self) -> None:
        """Give the March change day 23 real hours and the October one 25."""
        calendar = around_the_clock("Europe/Berlin")
        assert calendar.working_minutes_on(date(2025, 3, 30)) == 23 * 60
        assert calendar.working_minutes_on(date(2025, 10, 26)) == 25 * 60
        assert calendar.working_minutes_on(date(2025, 3, 31)) == 24 * 60

    def test_berlin_offsets_across_the_changes(self) -> None:
        """Convert offsets across both Berlin changes in real minutes."""
        march = around_the_clock("Europe/Berlin").with_origin(berlin(2025, 3, 30))
        assert march.instant_at(120) == berlin(2025, 3, 30, 3)
        assert march.offset_of(berlin(2025, 3, 31)) == 23 * 60
        october = around_the_clock("Europe/Berlin").with_origin(berlin(2025, 10, 26))
        second_two_oclock = october.instant_at(180)
        assert second_two_oclock == datetime(2025, 10, 26, 2, tzinfo=BERLIN, fold=1)
        assert second_two_oclock.utcoffset() == timedelta(hours=1)
        assert october.offset_of(berlin(2025, 10, 27)) == 25 * 60

    def test_night_period_spanning_the_change(self) -> None:
        """Give a 01:00-04:00 period two real hours in March and four in October."""
        calendar = WorkCalendar("Europe/Berlin", {6: (p("01:00-04:00"),)})
        assert calendar.working_minutes_on(date(2025, 3, 30)) == 120
        assert calendar.working_minutes_on(date(2025, 10, 26)) == 240
        assert calendar.working_minutes_on(date(2025, 4, 6)) == 180

    def test_period_inside_the_skipped_hour_is_empty(self) -> None:
        """Give a period that lies wholly in the skipped hour no working time."""
        calendar = WorkCalendar("Europe/Berlin", {6: (p("02:15-02:45"), p("05:00-06:00"))})
        assert calendar.working_minutes_on(date(2025, 3, 30)) == 60
        after_midnight = berlin(2025, 3, 30, 0, 30)
        assert calendar.next_working_instant(after_midnight) == berlin(2025, 3, 30, 5)

    def test_new_york_changes(self) -> None:
        """Handle the New York changes, which fall on other dates and at 02:00 local."""
        calendar = around_the_clock("America/New_York")
        assert calendar.working_minutes_on(date(2025, 3, 9)) == 23 * 60
        assert calendar.working_minutes_on(date(2025, 11, 2)) == 25 * 60
        standard = WorkCalendar.standard("America/New_York")
        friday = new_york(2025, 3, 7, 16)
        assert standard.add_working_minutes(friday, 120) == new_york(2025, 3, 10, 9)
        assert standard.add_working_minutes(friday, 120).utcoffset() == timedelta(hours=-4)

    def test_positions_do_not_depend_on_query_order(self) -> None:
        """Answer the same whichever years a calendar is asked about first."""
        forward = around_the_clock("Europe/Berlin").with_origin(berlin(2030, 1, 1))
        backward = around_the_clock("Europe/Berlin").with_origin(berlin(2030, 1, 1))
        backward.instant_at(-5_000_000)
        backward.instant_at(3_000_000)
        for offset in (-4_000_000, -1, 0, 1, 2_000_000):
            assert forward.instant_at(offset) == backward.instant_at(offset)
            assert backward.offset_of(forward.instant_at(offset)) == offset


class LongRangeTests:
    """A five-year calendar with 100 holidays agrees with a day-by-day count."""

    def test_every_day_of_five_years(self) -> None:
        """Match offsets and instants at each working day's start over five years."""
        calendar = BERLIN_STANDARD
        day, expected = date(2025, 1, 1), 0
        while day < date(2030, 1, 1):
            morning = berlin(day.year, day.month, day.day, 8)
            minutes = calendar.working_minutes_on(day)
            if day in calendar.exceptions:
                assert minutes == sum(period.minutes for period in calendar.exceptions[day])
            else:
                assert minutes == (480 if day.weekday() < 5 else 0)
            assert calendar.offset_of(berlin(day.year, day.month, day.day)) == expected
            if minutes and day not in calendar.exceptions:
                assert calendar.instant_at(expected) == morning
                assert calendar.offset_of(morning) == expected
            expected += minutes
            day += timedelta(days=1)
        assert calendar.instant_at(expected, end=True) == berlin(2029, 12, 31, 17)


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
)
calendars = st.sampled_from(PROPERTY_CALENDARS)
offsets = st.integers(min_value=0, max_value=3_000_000)


class CalendarPropertyTests:
    """Conversions are exact inverses of each other on every calendar."""

    @given(calendars, offsets, st.booleans())
    def test_offset_of_inverts_instant_at(self, calendar: WorkCalendar, n: int, end: bool) -> None:
        """Return n from offset_of(instant_at(n)) for starts and finishes."""
        assert calendar.offset_of(calendar.instant_at(n, end=end)) == n

    @given(calendars, st.integers(min_value=-500_000, max_value=500_000))
    def test_instant_at_is_working_for_starts(self, calendar: WorkCalendar, n: int) -> None:
        """Land starts on working instants and finishes no later than starts."""
        start = calendar.instant_at(n)
        assert calendar.is_working(start)
        assert calendar.instant_at(n, end=True) <= start

    @given(calendars, instants, st.integers(min_value=0, max_value=1_000_000))
    def test_adding_then_subtracting_returns(
        self, calendar: WorkCalendar, t: datetime, n: int
    ) -> None:
        """Return to next_working_instant(t) after adding and subtracting n minutes."""
        there = calendar.add_working_minutes(t, n)
        assert calendar.add_working_minutes(there, -n) == calendar.next_working_instant(t)

    @given(calendars, instants, st.integers(min_value=-1_000_000, max_value=1_000_000))
    def test_minutes_between_measures_an_addition(
        self, calendar: WorkCalendar, a: datetime, n: int
    ) -> None:
        """Count exactly n working minutes from a to add_working_minutes(a, n)."""
        assert calendar.working_minutes_between(a, calendar.add_working_minutes(a, n)) == n

    @given(calendars, instants, instants)
    def test_minutes_between_is_antisymmetric(
        self, calendar: WorkCalendar, a: datetime, b: datetime
    ) -> None:
        """Count the same minutes in both directions with opposite signs."""
        assert calendar.working_minutes_between(a, b) == -calendar.working_minutes_between(b, a)

    @settings(max_examples=40, deadline=None)
    @given(
        st.sampled_from([BERLIN_ALWAYS, NEW_YORK_SHIFTS, BERLIN_NIGHTS, BERLIN_STANDARD]),
        st.sampled_from(
            [
                utc(2025, 3, 28),
                utc(2025, 10, 24),
                utc(2025, 3, 7),
                utc(2025, 10, 31),
                utc(2026, 3, 27),
            ]
        ),
        st.integers(min_value=0, max_value=3 * 24 * 60),
        st.integers(min_value=0, max_value=2 * 24 * 60),
    )
    def test_minutes_between_matches_the_wall_clock(
        self, calendar: WorkCalendar, week_start: datetime, skip: int, span: int
    ) -> None:
        """Agree with a minute-by-minute wall-clock count around clock changes."""
        a = week_start + skip * MINUTE
        b = a + span * MINUTE
        assert calendar.working_minutes_between(a, b) == reference_minutes(calendar, a, b)
