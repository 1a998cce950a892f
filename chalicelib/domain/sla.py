"""SLA clocks of a case: which timers are pending, which fell due, and the case's `sla.state`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from .calendar import WorkingCalendar
from .case import Case, Status
from .schedule import ScheduleCommand, Timer, plan

FIRST_RESPONSE_DUE = "first_response_due"
RESOLUTION_DUE = "resolution_due"

# Statuses in which the resolution clock has stopped for good.
_RESOLUTION_STOPPED = frozenset(
    {Status.RESOLVED, Status.UNRESOLVED, Status.CLOSED, Status.WITHDRAWN}
)
AT_RISK_FRACTION = 0.8


class SlaState(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"


def pending_timers(case: Case) -> list[Timer]:
    """Every timer of `case` that has not fired and still matters, earliest first."""
    if not case.is_open:
        return []
    timers = []
    if case.status is Status.SUBMITTED:
        timers.append(Timer(FIRST_RESPONSE_DUE, case.deadlines.first_response_due))
    if case.status not in _RESOLUTION_STOPPED:
        timers.append(Timer(RESOLUTION_DUE, case.deadlines.resolution_due))
    return sorted(
        (t for t in timers if t.name not in case.sla_fired), key=lambda t: (t.due_at, t.name)
    )


def next_timer(case: Case) -> Timer | None:
    timers = pending_timers(case)
    return timers[0] if timers else None


def due_timers(case: Case, now: datetime) -> list[Timer]:
    """Timers that have fallen due by `now`, in due order (a late firing catches up on all)."""
    return [t for t in pending_timers(case) if t.due_at <= now]


def sla_state(case: Case, now: datetime, calendar: WorkingCalendar) -> SlaState:
    """The state of the clock that currently matters to the customer."""
    if case.status is Status.WAITING_CUSTOMER:
        return SlaState.PAUSED
    if case.status in _RESOLUTION_STOPPED:
        stopped = case.resolved_at or case.updated_at
        return SlaState.MET if stopped <= case.deadlines.resolution_due else SlaState.BREACHED
    due = (
        case.deadlines.first_response_due
        if case.status is Status.SUBMITTED
        else case.deadlines.resolution_due
    )
    if now >= due:
        return SlaState.BREACHED
    total = calendar.working_seconds_between(case.created_at, due)
    used = calendar.working_seconds_between(case.created_at, now)
    if total and used / total >= AT_RISK_FRACTION:
        return SlaState.AT_RISK
    return SlaState.ON_TRACK


def rearm(case: Case, now: datetime) -> tuple[Case, ScheduleCommand | None]:
    """Point the case's wake-up schedule at its next pending timer (or at nothing)."""
    state, command = plan(case.schedule, next_timer(case), now)
    return case.evolve(schedule=state), command
