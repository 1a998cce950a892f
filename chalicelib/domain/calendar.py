"""The China mainland working-day calendar and working-time arithmetic.

A working day is a weekday that is not a statutory holiday, or an official make-up workday (调休)
that falls on a weekend. Working time runs inside business hours (09:00-18:00 Asia/Shanghai by
default) on working days only. Years without official data are *provisional*: weekends plus the
fixed-date holidays, flagged so deadlines computed on them can be recomputed later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .timefmt import SHANGHAI

# Gregorian-fixed statutory holidays (New Year's Day, Labour Day, National Day); the lunar ones
# (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) are unknown until the official notice.
_FIXED_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))
# A search for the next working day never needs to look further than this (the longest official
# break is 9 days); the bound turns a corrupt calendar into an error instead of a hang.
_MAX_SEARCH_DAYS = 60


@dataclass(frozen=True)
class YearCalendar:
    year: int
    official: bool
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def provisional(cls, year: int) -> YearCalendar:
        return cls(
            year=year,
            official=False,
            holidays=frozenset(date(year, m, d) for m, d in _FIXED_HOLIDAYS),
        )

    @classmethod
    def from_iso(
        cls, year: int, holidays: Iterable[str], workdays: Iterable[str], official: bool = True
    ) -> YearCalendar:
        return cls(
            year=year,
            official=official,
            holidays=frozenset(date.fromisoformat(d) for d in holidays),
            workdays=frozenset(date.fromisoformat(d) for d in workdays),
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


@dataclass(frozen=True)
class BusinessHours:
    start: time = time(9, 0)
    end: time = time(18, 0)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("business hours must start before they end")

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """`"09:00-18:00"`."""
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-", 1))
        return cls(start, end)

    @property
    def seconds_per_day(self) -> int:
        return (self.end.hour * 3600 + self.end.minute * 60) - (
            self.start.hour * 3600 + self.start.minute * 60
        )


class WorkingCalendar:
    """Working days and working time. Every method takes and returns aware datetimes (UTC out)."""

    def __init__(
        self,
        years: Mapping[int, YearCalendar] | None = None,
        hours: BusinessHours | None = None,
        tz: ZoneInfo = SHANGHAI,
    ) -> None:
        self._years = dict(years or {})
        self.hours = hours or BusinessHours()
        self.tz = tz

    @classmethod
    def shipped(cls, hours: BusinessHours | None = None) -> WorkingCalendar:
        """The calendar with the official years shipped in `calendar_data`."""
        from .calendar_data import OFFICIAL_YEARS

        years = {
            year: YearCalendar.from_iso(year, data["holidays"], data["workdays"])
            for year, data in OFFICIAL_YEARS.items()
        }
        return cls(years, hours)

    def with_year(self, year: YearCalendar) -> WorkingCalendar:
        """A copy with one year replaced (e.g. an official year loaded by staff)."""
        years = dict(self._years)
        years[year.year] = year
        return WorkingCalendar(years, self.hours, self.tz)

    # -- days ------------------------------------------------------------------------------

    def year(self, year: int) -> YearCalendar:
        return self._years.get(year) or YearCalendar.provisional(year)

    def is_working_day(self, day: date) -> bool:
        return self.year(day.year).is_working_day(day)

    def is_provisional(self, day: date) -> bool:
        return not self.year(day.year).official

    def spans_provisional(self, start: datetime, end: datetime) -> bool:
        """True when any day from `start` to `end` lies in a year without official data."""
        first, last = self._local(start).year, self._local(end).year
        return any(self.is_provisional(date(y, 1, 1)) for y in range(first, last + 1))

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for offset in range(1, _MAX_SEARCH_DAYS + 1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days after {day}")

    # -- deadlines in working days -----------------------------------------------------------

    def counting_day(self, moment: datetime) -> date:
        """The day a submission at `moment` counts from: its own day when that is a working day
        and business hours have not ended, otherwise the next working day."""
        local = self._local(moment)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.hours.end:
            return day
        return self.next_working_day(day)

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        """End of business on the `days`-th working day after the counting day of `moment`."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = self.counting_day(moment)
        for _ in range(days):
            day = self.next_working_day(day)
        return self._at(day, self.hours.end)

    def end_of_working_days_after_date(self, moment: datetime, days: int) -> datetime:
        """End of business on the `days`-th working day after the local date of `moment`
        (T+n): unlike a complaint's deadline, the hour and the kind of day do not matter."""
        if days < 1:
            raise ValueError("days must be at least 1")
        day = self._local(moment).date()
        for _ in range(days):
            day = self.next_working_day(day)
        return self._at(day, self.hours.end)

    # -- working time --------------------------------------------------------------------------

    def add_working_time(self, moment: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `moment`. Never lands outside business
        hours except exactly at a day's end; zero returns the next moment working time runs."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        remaining = timedelta(seconds=seconds)
        cursor = self._local(moment)
        while True:
            window = self._window(cursor)
            if window is None:
                cursor = self._day_start(self.next_working_day(cursor.date()))
                continue
            start, end = window
            cursor = max(cursor, start)
            if cursor + remaining <= end:
                return (cursor + remaining).astimezone(UTC)
            remaining -= end - cursor
            cursor = self._day_start(self.next_working_day(cursor.date()))

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Working time in [start, end); 0 when end is not after start."""
        if end <= start:
            return 0.0
        cursor, stop = self._local(start), self._local(end)
        total = timedelta()
        day = cursor.date()
        while day <= stop.date():
            window = self._window(self._day_start(day)) if self.is_working_day(day) else None
            if window is not None:
                lo, hi = max(window[0], cursor), min(window[1], stop)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total.total_seconds()

    def business_deadline(self, moment: datetime, *, days: int = 0, hours: float = 0) -> datetime:
        """A target given in working days (end of business) or in business hours."""
        if days and hours:
            raise ValueError("give days or hours, not both")
        if hours:
            return self.add_working_time(moment, hours * 3600)
        return self.add_working_days(moment, days)

    # -- helpers ---------------------------------------------------------------------------------

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("aware datetimes only")
        return moment.astimezone(self.tz)

    def _at(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz).astimezone(UTC)

    def _day_start(self, day: date) -> datetime:
        return datetime.combine(day, self.hours.start, tzinfo=self.tz)

    def _window(self, cursor: datetime) -> tuple[datetime, datetime] | None:
        """Today's business window if working time can still run today at or after `cursor`."""
        day = cursor.date()
        if not self.is_working_day(day):
            return None
        start = datetime.combine(day, self.hours.start, tzinfo=self.tz)
        end = datetime.combine(day, self.hours.end, tzinfo=self.tz)
        if cursor >= end:
            return None
        return start, end
