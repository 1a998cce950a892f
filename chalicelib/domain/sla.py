"""SLA clocks and timers of a case: which are running, which timers are pending, what each does
when it falls due, and the case's `sla.state`.

Every working-time clock (first response, resolution, the second review's first response and
resolution, merchant response) warns the assignee at 50% and 80% of its working time, escalates
to supervisors when it runs out, and escalates again one working day later. The regulatory outer
limit of round 1 (calendar days, extensible) escalates the same way when it passes, without
warnings. Customers get a periodic update after 2 working days without news. A negotiation
still without agreement when its round's limit passes (round 1's outer limit, round 2's decision
deadline) ends unresolved by itself.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .alerts import clock_alert
from .calendar import WorkingCalendar
from .case import Case, Status, Visibility
from .clocks import ClockRun
from .lifecycle import (
    OBJECTION_WINDOW,
    TRANSITIONS,
    Entry,
    Notice,
    Step,
    end_negotiation,
    move,
    negotiation_limit,
)
from .progress import next_update_after, promise
from .schedule import ScheduleCommand, Timer, plan
from .timefmt import to_rfc3339

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
SECOND_REVIEW = "second_review"
SECOND_REVIEW_FIRST_RESPONSE = "second_review_first_response"
MERCHANT_RESPONSE = "merchant_response"
REGULATORY = "regulatory"
FIRST_RESPONSE_DUE = "first_response_due"
RESOLUTION_DUE = "resolution_due"
SECOND_REVIEW_DUE = "second_review_due"
REGULATORY_DUE = "regulatory_due"
CUSTOMER_REMINDER = "customer_reminder"
CUSTOMER_TIMEOUT = "customer_timeout"
OUTCOME_FINAL = "outcome_final"
PERIODIC_UPDATE = "periodic_update"
NEGOTIATION_LIMIT = "negotiation_limit"
HELD_MESSAGES = "messages"
WARNINGS = ((0.5, "warn50"), (0.8, "warn80"))

# Statuses in which the resolution clock has stopped for good.
_RESOLUTION_STOPPED = frozenset(
    {Status.RESOLVED, Status.UNRESOLVED, Status.CLOSED, Status.WITHDRAWN}
)
# Statuses in which the desk owes the customer progress (and so periodic updates).
_IN_PROGRESS = frozenset(
    {
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.INVESTIGATING,
        Status.WAITING_MERCHANT,
        Status.NEGOTIATING,
        Status.SECOND_REVIEW,
    }
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


# -- clocks ------------------------------------------------------------------------------------


def resolution_run(case: Case, calendar: WorkingCalendar) -> ClockRun:
    if case.resolution_run is not None:
        return case.resolution_run
    return ClockRun.until(case.created_at, case.deadlines.resolution_due, calendar)


def running_clocks(case: Case, calendar: WorkingCalendar) -> list[tuple[str, ClockRun, str]]:
    """(clock, run, occurrence) of every clock of an open case."""
    if not case.is_open:
        return []
    clocks: list[tuple[str, ClockRun, str]] = []
    if case.status is Status.SUBMITTED:
        run = ClockRun.until(case.created_at, case.deadlines.first_response_due, calendar)
        clocks.append((FIRST_RESPONSE, run, ""))
    if case.round == 1 and case.status not in _RESOLUTION_STOPPED:
        clocks.append((RESOLUTION, resolution_run(case, calendar), ""))
    review = case.second_review
    if case.round == 2 and case.status not in _RESOLUTION_STOPPED and review is not None:
        # Round 2 runs on its own clocks until the final decision, whatever the status.
        if review.first_response_at is None:
            run = ClockRun.until(review.opened_at, review.first_response_due, calendar)
            clocks.append((SECOND_REVIEW_FIRST_RESPONSE, run, ""))
        clocks.append(
            (SECOND_REVIEW, ClockRun.until(review.opened_at, review.resolution_due, calendar), "")
        )
    if case.status is Status.WAITING_MERCHANT and case.merchant_run is not None:
        since = case.merchant_run.since or case.updated_at
        clocks.append((MERCHANT_RESPONSE, case.merchant_run, to_rfc3339(since)))
    return clocks


def _clock_timers(
    clock: str, run: ClockRun, occurrence: str, calendar: WorkingCalendar
) -> list[Timer]:
    due = run.due(calendar)
    if due is None:
        return []  # paused
    suffix = f"@{occurrence}" if occurrence else ""
    timers = [
        Timer(f"{clock}_{stage}{suffix}", at)
        for fraction, stage in WARNINGS
        if (at := run.point(fraction, calendar)) is not None
    ]
    escalation = calendar.add_working_time(due, calendar.hours.seconds_per_day)
    timers += [
        Timer(f"{clock}_due{suffix}", due),
        Timer(f"{clock}_escalation{suffix}", escalation),
    ]
    return timers


# -- timers ------------------------------------------------------------------------------------


def pending_timers(case: Case, calendar: WorkingCalendar) -> list[Timer]:
    """Every timer of `case` that has not fired and still matters, earliest first."""
    if not case.is_open:
        if case.messages_due_at is not None:  # a closing message held for the morning
            at = case.messages_due_at
            return [Timer(f"{HELD_MESSAGES}@{to_rfc3339(at)}", at)]
        return []
    timers = []
    for clock, run, occurrence in running_clocks(case, calendar):
        timers += _clock_timers(clock, run, occurrence, calendar)
    status = case.status
    if case.round == 1 and status not in (Status.RESOLVED, Status.UNRESOLVED):
        # Named after the limit, so an extension arms a fresh breach and escalation.
        outer = case.deadlines.regulatory_due
        occurrence = to_rfc3339(outer)
        escalation = calendar.add_working_time(outer, calendar.hours.seconds_per_day)
        timers.append(Timer(f"{REGULATORY_DUE}@{occurrence}", outer))
        timers.append(Timer(f"{REGULATORY}_escalation@{occurrence}", escalation))
    limit = negotiation_limit(case)
    if limit is not None:
        # Named after the limit: an extension of the outer limit arms a fresh one. It sorts
        # before the limit's own breach, so a negotiation that ended on time is not breached.
        timers.append(Timer(f"{NEGOTIATION_LIMIT}@{to_rfc3339(limit)}", limit))
    if status is Status.WAITING_CUSTOMER and case.waiting is not None:
        occurrence = to_rfc3339(case.waiting.since)
        timers.append(Timer(f"{CUSTOMER_REMINDER}@{occurrence}", case.waiting.remind_at))
        timers.append(Timer(f"{CUSTOMER_TIMEOUT}@{occurrence}", case.waiting.close_at))
    if status in (Status.RESOLVED, Status.UNRESOLVED) and case.resolved_at is not None:
        # Round-1 outcomes wait out the objection window; final ones close the same way.
        at = case.resolved_at + OBJECTION_WINDOW
        timers.append(Timer(f"{OUTCOME_FINAL}@{to_rfc3339(case.resolved_at)}", at))
    if case.messages_due_at is not None:
        at = case.messages_due_at
        timers.append(Timer(f"{HELD_MESSAGES}@{to_rfc3339(at)}", at))
    if status in _IN_PROGRESS:
        last = case.last_public_update_at or case.created_at
        at = next_update_after(last, calendar)
        timers.append(Timer(f"{PERIODIC_UPDATE}@{to_rfc3339(last)}", at))
    return sorted(
        (t for t in timers if t.name not in case.sla_fired), key=lambda t: (t.due_at, t.name)
    )


def next_timer(case: Case, calendar: WorkingCalendar) -> Timer | None:
    timers = pending_timers(case, calendar)
    return timers[0] if timers else None


def due_timers(case: Case, now: datetime, calendar: WorkingCalendar) -> list[Timer]:
    """Timers that have fallen due by `now`, in due order (a late firing catches up on all)."""
    return [t for t in pending_timers(case, calendar) if t.due_at <= now]


def _base(case: Case) -> dict[str, Any]:
    return {"case_number": case.case_number, "category": case.category.value}


def on_timer(case: Case, timer: Timer, now: datetime, calendar: WorkingCalendar) -> Step:
    """What a due timer does. The timer is marked fired either way."""
    fired = replace(case, sla_fired=case.sla_fired | {timer.name})
    kind = kind_of(timer.name)
    due = to_rfc3339(timer.due_at)
    if kind == HELD_MESSAGES:
        return Step(replace(fired, messages_due_at=None), send_held_messages=True)
    if kind == NEGOTIATION_LIMIT:
        if negotiation_limit(case) != timer.due_at:
            return Step(fired)  # agreed, decided or extended meanwhile
        return end_negotiation(fired, now, calendar)
    if kind in (CUSTOMER_TIMEOUT, OUTCOME_FINAL):
        if Status.CLOSED not in TRANSITIONS[case.status]:
            return Step(fired)
        reason = "no_reply" if kind == CUSTOMER_TIMEOUT else None
        return move(fired, Status.CLOSED, "system", now, calendar, reason=reason)
    if kind == CUSTOMER_REMINDER and case.waiting is not None:
        params = {
            **_base(case),
            "request": case.waiting.request,
            "reply_by": to_rfc3339(case.waiting.close_at),
        }
        entry = Entry("reminder_sent", Visibility.INTERNAL, "system", None, {"due": due})
        return Step(fired, (entry,), (Notice("customer_reminder", params),))
    if kind == PERIODIC_UPDATE:
        # The resolution deadline (never the first response's), or, once it has passed, that
        # the case is late and when the customer hears next: never a date already past.
        promised = promise(case, now, calendar)
        data: dict[str, Any] = {"expected": promised["expected_by"]}
        if promised["late"]:
            data = {"late": True, "next_update": promised["next_update_by"]}
        entry = Entry("progress_update", Visibility.PUBLIC, "system", None, data)
        params = {**_base(case), **promised}
        return Step(fired, (entry,), (Notice("periodic_update", params),))
    clock, _, stage = kind.rpartition("_")
    occurrence = timer.name.partition("@")[2] if clock != REGULATORY else ""
    # The clock's own deadline, not the moment this timer fell due (a warning at 50%, an
    # escalation a working day after the breach).
    deadline = clock_deadline(case, clock, occurrence, calendar) or timer.due_at
    return Step(fired, *clock_alert(case, clock, stage, deadline, now, calendar))


def clock_deadline(
    case: Case, clock: str, occurrence: str, calendar: WorkingCalendar
) -> datetime | None:
    """The deadline of one of the case's clocks as it stands (None: not running)."""
    if clock == REGULATORY:
        return case.deadlines.regulatory_due
    for name, run, at in running_clocks(case, calendar):
        if name == clock and at == occurrence:
            return run.due(calendar)
    return None


def rearm(
    case: Case, now: datetime, calendar: WorkingCalendar
) -> tuple[Case, ScheduleCommand | None]:
    """Point the case's wake-up schedule at its next pending timer (or at nothing)."""
    state, command = plan(case.schedule, next_timer(case, calendar), now)
    return case.evolve(schedule=state), command


# -- state -------------------------------------------------------------------------------------


def _current(case: Case, calendar: WorkingCalendar) -> ClockRun:
    """The clock that matters to the customer now."""
    if case.status is Status.SUBMITTED:
        return ClockRun.until(case.created_at, case.deadlines.first_response_due, calendar)
    if case.round == 2 and case.second_review is not None:
        review = case.second_review
        return ClockRun.until(review.opened_at, review.resolution_due, calendar)
    return resolution_run(case, calendar)


def _resolution_due(case: Case) -> datetime:
    if case.round == 2 and case.second_review is not None:
        return case.second_review.resolution_due
    return case.deadlines.resolution_due


def sla_state(case: Case, now: datetime, calendar: WorkingCalendar) -> SlaState:
    """The state of the clock that currently matters to the customer."""
    if case.status is Status.WAITING_CUSTOMER and case.round == 1:
        return SlaState.PAUSED  # round 2's clock does not pause
    if case.status in _RESOLUTION_STOPPED:
        stopped = case.resolved_at or case.updated_at
        return SlaState.MET if stopped <= _resolution_due(case) else SlaState.BREACHED
    run = _current(case, calendar)
    due = run.due(calendar)
    if due is None:
        return SlaState.PAUSED
    if now >= due:
        return SlaState.BREACHED
    at_risk = run.point(AT_RISK_FRACTION, calendar)
    if at_risk is None or now >= at_risk:
        return SlaState.AT_RISK
    return SlaState.ON_TRACK


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
    run = _current(case, calendar)
    due = run.due(calendar) or case.deadlines.resolution_due
    at_risk = run.point(AT_RISK_FRACTION, calendar)
    return due, min(at_risk, due) if at_risk else due


def with_urgency(case: Case, calendar: WorkingCalendar) -> Case:
    due, at_risk = urgency(case, calendar)
    return replace(case, due_at=due, at_risk_at=at_risk)
