"""What a customer may be promised about their case's progress: the resolution deadline while
it lies ahead, and once it has passed, that the case is late and when they will hear next. A
message never quotes a date already past."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .calendar import WorkingCalendar
from .case import Case
from .clocks import ClockRun
from .timefmt import to_rfc3339

# An open case with no customer-visible news for this many working days sends an update.
PERIODIC_DAYS = 2


def next_update_after(moment: datetime, calendar: WorkingCalendar) -> datetime:
    """When a case last updated publicly at `moment` sends its next periodic update."""
    return calendar.add_working_time(moment, PERIODIC_DAYS * calendar.hours.seconds_per_day)


def resolution_deadline(case: Case, calendar: WorkingCalendar) -> datetime:
    """The date the customer is working towards: the second review's decision deadline in
    round 2, the resolution clock's end (after any pause) in round 1."""
    if case.round == 2 and case.second_review is not None:
        return case.second_review.resolution_due
    run = case.resolution_run or ClockRun.until(
        case.created_at, case.deadlines.resolution_due, calendar
    )
    return run.due(calendar) or case.deadlines.resolution_due


def promise(case: Case, now: datetime, calendar: WorkingCalendar) -> dict[str, Any]:
    """Template values: `expected_by` (the resolution deadline, still ahead), or `late` with
    `next_update_by` (when the next periodic update will come) once the deadline has passed."""
    due = resolution_deadline(case, calendar)
    if due > now:
        return {"expected_by": to_rfc3339(due), "late": False, "next_update_by": None}
    return {
        "expected_by": None,
        "late": True,
        "next_update_by": to_rfc3339(next_update_after(now, calendar)),
    }
