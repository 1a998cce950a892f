"""SLA clocks and timers of a case: which are pending, what each does when it falls due, and
the case's `sla.state`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from .calendar import WorkingCalendar
from .case import Case, Status, Visibility
from .lifecycle import OBJECTION_WINDOW, TRANSITIONS, Entry, Notice, Step, move
from .schedule import ScheduleCommand, Timer, plan
from .timefmt import to_rfc3339

FIRST_RESPONSE_DUE = "first_response_due"
RESOLUTION_DUE = "resolution_due"
SECOND_REVIEW_DUE = "second_review_due"
CUSTOMER_REMINDER = "customer_reminder"
CUSTOMER_TIMEOUT = "customer_timeout"
OUTCOME_FINAL = "outcome_final"
DEADLINES = (FIRST_RESPONSE_DUE, RESOLUTION_DUE, SECOND_REVIEW_DUE)

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


def kind_of(timer: str) -> str:
    """Timers that recur carry their occurrence after an `@` (e.g. each wait for the customer)."""
    return timer.split("@", 1)[0]


def pending_timers(case: Case) -> list[Timer]:
    """Every timer of `case` that has not fired and still matters, earliest first."""
    if not case.is_open:
        return []
    timers = []
    status = case.status
    if status is Status.SUBMITTED:
        timers.append(Timer(FIRST_RESPONSE_DUE, case.deadlines.first_response_due))
    if status not in _RESOLUTION_STOPPED and status is not Status.WAITING_CUSTOMER:
        if case.round == 1:
            timers.append(Timer(RESOLUTION_DUE, case.deadlines.resolution_due))
        elif case.second_review is not None:
            timers.append(Timer(SECOND_REVIEW_DUE, case.second_review.resolution_due))
    if status is Status.WAITING_CUSTOMER and case.waiting is not None:
        occurrence = to_rfc3339(case.waiting.since)
        timers.append(Timer(f"{CUSTOMER_REMINDER}@{occurrence}", case.waiting.remind_at))
        timers.append(Timer(f"{CUSTOMER_TIMEOUT}@{occurrence}", case.waiting.close_at))
    if status in (Status.RESOLVED, Status.UNRESOLVED) and case.resolved_at is not None:
        # Round 1 outcomes wait out the objection window; final outcomes close the same way.
        at = case.resolved_at + OBJECTION_WINDOW
        timers.append(Timer(f"{OUTCOME_FINAL}@{to_rfc3339(case.resolved_at)}", at))
    return sorted(
        (t for t in timers if t.name not in case.sla_fired), key=lambda t: (t.due_at, t.name)
    )


def next_timer(case: Case) -> Timer | None:
    timers = pending_timers(case)
    return timers[0] if timers else None


def due_timers(case: Case, now: datetime) -> list[Timer]:
    """Timers that have fallen due by `now`, in due order (a late firing catches up on all)."""
    return [t for t in pending_timers(case) if t.due_at <= now]


def on_timer(case: Case, timer: Timer, now: datetime, calendar: WorkingCalendar) -> Step:
    """What a due timer does. The timer is marked fired either way."""
    fired = replace(case, sla_fired=case.sla_fired | {timer.name})
    kind = kind_of(timer.name)
    due = to_rfc3339(timer.due_at)
    if kind in DEADLINES:
        clock = kind.removesuffix("_due")
        entry = Entry(
            "sla_due",
            Visibility.INTERNAL,
            "system",
            None,
            {"timer": timer.name, "clock": clock, "due": due},
        )
        return Step(fired, (entry,))
    if kind == CUSTOMER_REMINDER and case.waiting is not None:
        params = {
            "case_number": case.case_number,
            "category": case.category.value,
            "request": case.waiting.request,
            "reply_by": to_rfc3339(case.waiting.close_at),
        }
        entry = Entry("reminder_sent", Visibility.INTERNAL, "system", None, {"due": due})
        return Step(fired, (entry,), (Notice("customer_reminder", params),))
    if kind in (CUSTOMER_TIMEOUT, OUTCOME_FINAL) and Status.CLOSED in TRANSITIONS[case.status]:
        note = "no reply from the customer" if kind == CUSTOMER_TIMEOUT else None
        return move(fired, Status.CLOSED, "system", now, calendar, note)
    return Step(fired)


def rearm(case: Case, now: datetime) -> tuple[Case, ScheduleCommand | None]:
    """Point the case's wake-up schedule at its next pending timer (or at nothing)."""
    state, command = plan(case.schedule, next_timer(case), now)
    return case.evolve(schedule=state), command


def sla_state(case: Case, now: datetime, calendar: WorkingCalendar) -> SlaState:
    """The state of the clock that currently matters to the customer."""
    if case.status is Status.WAITING_CUSTOMER:
        return SlaState.PAUSED
    if case.status in _RESOLUTION_STOPPED:
        stopped = case.resolved_at or case.updated_at
        due = _resolution_due(case)
        return SlaState.MET if stopped <= due else SlaState.BREACHED
    due = _current_due(case)
    if now >= due:
        return SlaState.BREACHED
    start = _clock_start(case)
    total = calendar.working_seconds_between(start, due)
    used = calendar.working_seconds_between(start, now)
    if total and used / total >= AT_RISK_FRACTION:
        return SlaState.AT_RISK
    return SlaState.ON_TRACK


def _clock_start(case: Case) -> datetime:
    if case.round == 2 and case.second_review is not None:
        return case.second_review.opened_at
    return case.created_at


def _resolution_due(case: Case) -> datetime:
    if case.round == 2 and case.second_review is not None:
        return case.second_review.resolution_due
    return case.deadlines.resolution_due


def _current_due(case: Case) -> datetime:
    if case.status is Status.SUBMITTED:
        return case.deadlines.first_response_due
    return _resolution_due(case)


def urgency(case: Case, calendar: WorkingCalendar) -> tuple[datetime | None, datetime | None]:
    """(due, at-risk moment) that order the staff queue: the clock staff are racing, or, where
    staff owe nothing (waiting for the customer, an outcome's objection window), when the case
    will close by itself. None for a final case."""
    if not case.is_open:
        return None, None
    if case.status is Status.WAITING_CUSTOMER and case.waiting is not None:
        return case.waiting.close_at, None
    if case.status in (Status.RESOLVED, Status.UNRESOLVED) and case.resolved_at is not None:
        return case.resolved_at + OBJECTION_WINDOW, None
    due = _current_due(case)
    start = _clock_start(case)
    total = calendar.working_seconds_between(start, due)
    at_risk = calendar.add_working_time(start, total * AT_RISK_FRACTION) if total else due
    return due, min(at_risk, due)


def with_urgency(case: Case, calendar: WorkingCalendar) -> Case:
    due, at_risk = urgency(case, calendar)
    return replace(case, due_at=due, at_risk_at=at_risk)
