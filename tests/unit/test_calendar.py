"""China mainland working days and working-time arithmetic (docs/domain.md,
"Working days")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.calendar import BusinessHours, WorkingCalendar, YearCalendar
from chalicelib.domain.clocks import ClockRun

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar.shipped()


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


HOLIDAYS_2026 = (
    days(date(2026, 2, 15), date(2026, 2, 23))  # Spring Festival
    + days(date(2026, 5, 1), date(2026, 5, 5))  # Labour Day
    + days(date(2026, 10, 1), date(2026, 10, 7))  # National Day
)
MAKEUP_WORKDAYS_2026 = [
    date(2026, m, d) for m, d in ((1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10))
]
FIXED_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))


# -- working days: the official 2026 calendar ---------------------------------------------------


@pytest.mark.parametrize("day", HOLIDAYS_2026, ids=str)
def test_is_working_day_2026_statutory_holiday_is_off(day: date) -> None:
    # GIVEN a day of the 2026 Spring Festival, Labour Day or National Day break
    # WHEN / THEN it is not a working day
    assert CAL.is_working_day(day) is False


@pytest.mark.parametrize("day", MAKEUP_WORKDAYS_2026, ids=str)
def test_is_working_day_2026_makeup_weekend_is_working(day: date) -> None:
    # GIVEN an official make-up workday, which falls on a weekend
    assert day.weekday() >= 5
    # WHEN / THEN it is a working day
    assert CAL.is_working_day(day) is True


@pytest.mark.parametrize(
    "day", [date(2026, 3, 7), date(2026, 3, 8), date(2026, 7, 11), date(2026, 11, 22)], ids=str
)
def test_is_working_day_ordinary_weekend_is_off(day: date) -> None:
    # GIVEN an ordinary Saturday or Sunday
    # WHEN / THEN it is not a working day
    assert CAL.is_working_day(day) is False


@pytest.mark.parametrize(
    "day", [date(2026, 3, 2), date(2026, 9, 30), date(2026, 10, 8), date(2026, 2, 24)], ids=str
)
def test_is_working_day_ordinary_weekday_is_working(day: date) -> None:
    # GIVEN a weekday outside any holiday
    # WHEN / THEN it is a working day
    assert CAL.is_working_day(day) is True


@pytest.mark.parametrize("year", [2025, 2026])
def test_shipped_calendar_matches_chinese_calendar_package(year: int) -> None:
    # GIVEN every day of an official year
    # WHEN comparing the shipped data with the chinese_calendar package
    mismatches = [
        d
        for d in days(date(year, 1, 1), date(year, 12, 31))
        if CAL.is_working_day(d) != chinese_calendar.is_workday(d)
    ]
    # THEN they agree on every day
    assert mismatches == []
    assert CAL.is_provisional(date(year, 6, 1)) is False


# -- deadlines in working days ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, sh(2026, 10, 8, 18)), (2, sh(2026, 10, 9, 18)), (3, sh(2026, 10, 10, 18))],
)
def test_add_working_days_skips_national_day(n: int, expected: datetime) -> None:
    # GIVEN a complaint filed on 2026-09-30 10:00, the day before National Day
    filed = sh(2026, 9, 30, 10)
    # WHEN the deadline is n working days
    due = CAL.add_working_days(filed, n)
    # THEN it ends 18:00 on the n-th working day, skipping the break (10-10 is a make-up Saturday)
    assert due == expected
    assert due.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "filed", [sh(2026, 3, 2, 17, 59, 59), sh(2026, 3, 2, 8), sh(2026, 3, 2, 0, 0, 1)], ids=str
)
def test_add_working_days_before_1800_counts_from_same_day(filed: datetime) -> None:
    # GIVEN a submission before 18:00 on a working day (Monday 2026-03-02)
    # WHEN / THEN one working day ends on the next working day
    assert CAL.add_working_days(filed, 1) == sh(2026, 3, 3, 18)


@pytest.mark.parametrize(
    "filed", [sh(2026, 3, 2, 18), sh(2026, 3, 2, 18, 0, 1), sh(2026, 3, 2, 23, 59)], ids=str
)
def test_add_working_days_from_1800_counts_from_next_day(filed: datetime) -> None:
    # GIVEN a submission at or after 18:00 on a working day
    # WHEN / THEN it counts from the next working day
    assert CAL.add_working_days(filed, 1) == sh(2026, 3, 4, 18)


def test_add_working_days_accepts_utc_input_around_1800_local() -> None:
    # GIVEN the same instants in UTC: 09:59:59Z is 17:59:59 and 10:00Z is 18:00 in Shanghai
    before, after = (
        datetime(2026, 3, 2, 9, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 2, 10, tzinfo=UTC),
    )
    # WHEN / THEN the 18:00 rule applies to Shanghai local time
    assert CAL.add_working_days(before, 1) == sh(2026, 3, 3, 18)
    assert CAL.add_working_days(after, 1) == sh(2026, 3, 4, 18)


@pytest.mark.parametrize(
    ("filed", "expected"),
    [
        (sh(2026, 3, 7, 10), sh(2026, 3, 10, 18)),  # Saturday: counts from Monday 03-09
        (sh(2026, 10, 3, 10), sh(2026, 10, 9, 18)),  # National Day: counts from 10-08
        (sh(2026, 2, 13, 19), sh(2026, 2, 24, 18)),  # Fri evening: counts from make-up Sat 02-14
    ],
    ids=str,
)
def test_add_working_days_from_non_working_time(filed: datetime, expected: datetime) -> None:
    # GIVEN a submission on a non-working day or after hours
    # WHEN / THEN it counts from the next working day
    assert CAL.add_working_days(filed, 1) == expected


def test_add_working_days_zero_is_end_of_counting_day() -> None:
    # GIVEN a submission on a Saturday
    # WHEN / THEN zero working days ends at 18:00 of the Monday it counts from
    assert CAL.add_working_days(sh(2026, 3, 7, 10), 0) == sh(2026, 3, 9, 18)


def test_add_working_days_negative_raises() -> None:
    # GIVEN / WHEN a negative number of days / THEN it is refused
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(sh(2026, 3, 2, 10), -1)


def test_add_working_days_naive_datetime_raises() -> None:
    # GIVEN a naive datetime / WHEN / THEN it is refused
    with pytest.raises(ValueError, match="aware"):
        CAL.add_working_days(datetime(2026, 3, 2, 10), 1)


# -- working time in business hours -------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (sh(2026, 3, 2, 17), sh(2026, 3, 3, 12)),  # 1h today, 3h tomorrow
        (sh(2026, 9, 30, 17), sh(2026, 10, 8, 12)),  # across National Day
        (sh(2026, 3, 2, 7), sh(2026, 3, 2, 13)),  # before opening: starts at 09:00
        (sh(2026, 3, 7, 10), sh(2026, 3, 9, 13)),  # Saturday: starts Monday 09:00
        (sh(2026, 3, 2, 14), sh(2026, 3, 2, 18)),  # exactly the end of the day
    ],
    ids=str,
)
def test_business_deadline_four_business_hours(start: datetime, expected: datetime) -> None:
    # GIVEN a 4 business-hour target (security_fraud first response)
    # WHEN computing the deadline
    due = CAL.business_deadline(start, hours=4)
    # THEN only time inside 09:00-18:00 on working days counts
    assert due == expected


def test_business_deadline_days_and_hours_together_raises() -> None:
    # GIVEN / WHEN both days and hours / THEN it is refused
    with pytest.raises(ValueError, match="not both"):
        CAL.business_deadline(sh(2026, 3, 2, 10), days=1, hours=4)


def test_working_seconds_between_counts_only_business_hours() -> None:
    # GIVEN spans over an evening and over the National Day break
    # WHEN / THEN only business time counts, and a reversed span is zero
    assert CAL.working_seconds_between(sh(2026, 3, 2, 17), sh(2026, 3, 3, 12)) == 4 * 3600
    assert CAL.working_seconds_between(sh(2026, 9, 30, 17), sh(2026, 10, 8, 10)) == 2 * 3600
    assert CAL.working_seconds_between(sh(2026, 3, 3, 12), sh(2026, 3, 2, 17)) == 0


def test_business_hours_custom_window() -> None:
    # GIVEN business hours 08:30-17:30
    hours = BusinessHours.parse("08:30-17:30")
    cal = WorkingCalendar.shipped(hours)
    # WHEN / THEN a working-day deadline ends at 17:30 and a day holds 9 hours
    assert hours.seconds_per_day == 9 * 3600
    assert cal.add_working_days(sh(2026, 3, 2, 17), 1) == sh(2026, 3, 3, 17, 30)
    with pytest.raises(ValueError, match="start before"):
        BusinessHours.parse("18:00-09:00")


# -- provisional years --------------------------------------------------------------------------


def test_provisional_year_2027_has_fixed_holidays_only() -> None:
    # GIVEN 2027, for which no official data is shipped
    year = CAL.year(2027)
    # WHEN / THEN it is provisional: fixed-date holidays, no make-up days
    assert CAL.is_provisional(date(2027, 3, 1)) is True
    assert year.official is False
    assert year.holidays == {date(2027, m, d) for m, d in FIXED_HOLIDAYS}
    assert year.workdays == frozenset()
    assert CAL.is_working_day(date(2027, 1, 1)) is False  # Friday
    assert CAL.is_working_day(date(2027, 10, 1)) is False  # Friday


def test_provisional_year_working_days_are_weekdays_minus_fixed_holidays() -> None:
    # GIVEN every day of provisional 2027
    fixed = {date(2027, m, d) for m, d in FIXED_HOLIDAYS}
    # WHEN / THEN working exactly on weekdays that are not fixed holidays (no weekend make-ups)
    wrong = [
        d
        for d in days(date(2027, 1, 1), date(2027, 12, 31))
        if CAL.is_working_day(d) != (d.weekday() < 5 and d not in fixed)
    ]
    assert wrong == []


def test_provisional_year_fixed_holidays_on_weekdays_are_off() -> None:
    # GIVEN 2029, where all six fixed-date holidays fall on weekdays
    # WHEN / THEN none of them is a working day, while the day after 10-03 is
    assert [CAL.is_working_day(date(2029, m, d)) for m, d in FIXED_HOLIDAYS] == [False] * 6
    assert CAL.is_working_day(date(2029, 10, 4)) is True


def test_spans_provisional_only_when_reaching_unofficial_year() -> None:
    # GIVEN spans inside 2026 and spans reaching into 2027
    # WHEN / THEN only the latter are provisional
    assert CAL.spans_provisional(sh(2026, 1, 1), sh(2026, 12, 31, 23, 59)) is False
    assert CAL.spans_provisional(sh(2026, 12, 30, 10), sh(2027, 1, 5, 18)) is True
    assert CAL.spans_provisional(sh(2027, 3, 1), sh(2027, 3, 2)) is True


def test_with_year_official_data_replaces_provisional() -> None:
    # GIVEN staff load an official 2027 with a make-up Saturday
    official = YearCalendar.from_iso(2027, ["2027-02-08"], ["2027-02-06"])
    cal = CAL.with_year(official)
    # WHEN / THEN the new calendar uses it and the shipped one is unchanged
    assert cal.is_provisional(date(2027, 2, 6)) is False
    assert cal.is_working_day(date(2027, 2, 6)) is True
    assert cal.is_working_day(date(2027, 2, 8)) is False
    assert cal.is_working_day(date(2027, 1, 1)) is True  # no longer a provisional holiday
    assert CAL.is_provisional(date(2027, 2, 6)) is True


# -- properties ---------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2025, 1, 1),  # hypothesis attaches the zone
    max_value=datetime(2027, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([SH, UTC]),
)
durations = st.floats(min_value=0, max_value=200 * 3600, allow_nan=False, allow_infinity=False)


@given(start=starts, seconds=durations)
def test_add_working_time_lands_inside_business_hours(start: datetime, seconds: float) -> None:
    # GIVEN any start and working duration / WHEN adding working time
    local = CAL.add_working_time(start, seconds).astimezone(SH)
    # THEN the result is on a working day between 09:00 and 18:00 inclusive
    assert CAL.is_working_day(local.date())
    assert time(9) <= local.time() <= time(18)


@given(start=starts, a=durations, b=durations)
def test_add_working_time_is_monotonic(start: datetime, a: float, b: float) -> None:
    # GIVEN two durations, shorter first
    short, long_ = sorted((a, b))
    # WHEN / THEN the longer one never ends earlier
    assert CAL.add_working_time(start, short) <= CAL.add_working_time(start, long_)


@given(start=starts, seconds=durations)
def test_add_working_time_round_trips_working_seconds(start: datetime, seconds: float) -> None:
    # GIVEN any start and duration / WHEN adding then measuring working time
    end = CAL.add_working_time(start, seconds)
    # THEN the measured working time is the duration
    assert CAL.working_seconds_between(start, end) == pytest.approx(seconds, abs=1)


@given(start=starts, n=st.integers(min_value=1, max_value=40))
def test_add_working_days_ends_1800_on_working_day_increasing(start: datetime, n: int) -> None:
    # GIVEN any start and n >= 1 working days / WHEN computing n and n+1 days
    due, later = CAL.add_working_days(start, n), CAL.add_working_days(start, n + 1)
    # THEN it ends 18:00 local on a working day after the start, and grows with n
    local = due.astimezone(SH)
    assert local.time() == time(18)
    assert CAL.is_working_day(local.date())
    assert start < due < later


@given(
    start=starts,
    budget=st.floats(min_value=3600, max_value=120 * 3600),
    pause_after=durations,
    pause_for=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
)
def test_pause_then_resume_never_shortens_a_clock(
    start: datetime, budget: float, pause_after: float, pause_for: timedelta
) -> None:
    # GIVEN a clock of `budget` working seconds started at `start`
    run = ClockRun(budget, 0.0, start)
    due = run.due(CAL)
    assert due is not None
    # WHEN it pauses at some moment and resumes any time later
    paused_at = CAL.add_working_time(start, min(pause_after, budget))
    paused = run.paused(paused_at, CAL)
    resumed = paused.resumed(paused_at + pause_for)
    later = resumed.due(CAL)
    # THEN the working time used is kept, nothing runs while paused, and the clock ends no
    # earlier than it would have without the pause
    assert paused.due(CAL) is None
    assert paused.used == pytest.approx(CAL.working_seconds_between(start, paused_at), abs=1)
    assert later is not None and later >= due - timedelta(seconds=1)
    assert CAL.working_seconds_between(start, paused_at) + CAL.working_seconds_between(
        paused_at + pause_for, later
    ) == pytest.approx(budget, abs=2)


def test_a_clock_paused_after_it_ran_out_resumes_breached() -> None:
    # GIVEN a one-day clock from Monday 09:00, paused on Wednesday (after it ran out)
    start = datetime(2026, 11, 23, 9, tzinfo=SH)
    run = ClockRun.until(start, CAL.add_working_days(start, 1), CAL)
    paused = run.paused(datetime(2026, 11, 25, 10, tzinfo=SH), CAL)
    # WHEN it resumes on Thursday
    resumed = paused.resumed(datetime(2026, 11, 26, 10, tzinfo=SH))
    # THEN it is due at once, not lost
    assert resumed.due(CAL) == datetime(2026, 11, 26, 10, tzinfo=SH)
