"""Where stories on the local test clock start: the clock runs at most MAX_AHEAD past real time,
so a story cannot pick a fixed far-off year and must find an ordinary week near today."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.calendar import WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def working_monday_10am(today: date | None = None) -> datetime:
    """10:00 Beijing time on the first Monday after `today` (default: today in Beijing) whose
    week, Monday to Friday, is all working days in the shipped calendar: no holiday and no
    make-up day moves the deadlines a story expects."""
    calendar = WorkingCalendar.shipped()
    day = today or datetime.now(UTC).astimezone(SHANGHAI).date()
    monday = day + timedelta(days=7 - day.weekday())
    while not all(calendar.is_working_day(monday + timedelta(days=n)) for n in range(5)):
        monday += timedelta(days=7)
    return datetime.combine(monday, time(10), SHANGHAI)
