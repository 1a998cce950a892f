"""Working-time clocks that can pause: the resolution clock stops while the customer owes us
information and resumes with the working time it had left.

A run is a budget of working seconds, the part of it already used, and the moment it has been
running since (None while paused). Its due time and its warning points follow from those, so a
pause shifts all of them alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .calendar import WorkingCalendar


@dataclass(frozen=True)
class ClockRun:
    budget: float  # working seconds the clock allows
    used: float = 0.0  # working seconds used before `since`
    since: datetime | None = None  # running since; None while paused

    @classmethod
    def until(cls, start: datetime, due: datetime, calendar: WorkingCalendar) -> ClockRun:
        """A clock started at `start` that runs out at `due`."""
        return cls(calendar.working_seconds_between(start, due), 0.0, start)

    @property
    def running(self) -> bool:
        return self.since is not None

    def used_at(self, now: datetime, calendar: WorkingCalendar) -> float:
        if self.since is None:
            return self.used
        return self.used + calendar.working_seconds_between(self.since, now)

    def due(self, calendar: WorkingCalendar) -> datetime | None:
        """When the budget runs out; None while paused. A clock that ran out before its last
        pause is due from the moment it resumed: it stays breached."""
        if self.since is not None and self.used >= self.budget:
            return self.since
        return self.point(1.0, calendar)

    def point(self, fraction: float, calendar: WorkingCalendar) -> datetime | None:
        """When `fraction` of the budget will have been used; None while paused or when that
        point passed before the last pause."""
        if self.since is None:
            return None
        remaining = fraction * self.budget - self.used
        if remaining < 0:
            return None
        return calendar.add_working_time(self.since, remaining)

    def paused(self, now: datetime, calendar: WorkingCalendar) -> ClockRun:
        if self.since is None:
            return self
        return replace(self, used=self.used_at(now, calendar), since=None)

    def resumed(self, now: datetime) -> ClockRun:
        return self if self.since is not None else replace(self, since=now)

    def with_budget(self, budget: float) -> ClockRun:
        return replace(self, budget=budget)

    def within(self, limit: datetime, calendar: WorkingCalendar) -> ClockRun:
        """A running clock cut short so that it runs out no later than `limit` (the outer
        limit a resolution target may not pass); a paused one, or one due in time, as it is."""
        if self.since is None:
            return self
        due = self.due(calendar)
        if due is None or due <= limit:
            return self
        left = calendar.working_seconds_between(self.since, limit)
        return replace(self, budget=self.used + left)
