"""What else happens on a case: the conversation (messages, notes, logged calls), assignment,
rating, withdrawal, extensions, a merchant's answer, and what the payment platform's evidence
does to a case."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from . import limits
from .alerts import activity, case_facts, holder
from .calendar import WorkingCalendar
from .case import FINAL_STATUSES, Case, Status, Visibility
from .errors import AlreadyRated, InvalidTransition, ValidationFailed
from .moves import (
    EVIDENCE_RESOLVES,
    REFUND_FAILURE_REOPENS,
    TRANSITIONS,
    case_base,
    check_recusal,
    handled_by,
    move,
    staff_actor,
)
from .policy import REGULATORY_MAX_DAYS, Category, regulatory_due
from .step import Entry, Notice, Step
from .timefmt import to_rfc3339

S = Status


def customer_message(case: Case, text: str, now: datetime, calendar: WorkingCalendar) -> Step:
    if not case.is_open:
        raise InvalidTransition("The case is closed; file a new complaint instead.")
    entry = Entry("customer_message", Visibility.PUBLIC, "customer", text, {"round": case.round})
    step, answered = customer_answers(Step(replace(case, updated_at=now), (entry,)), now, calendar)
    what = "customer_info" if answered else "customer_message"
    told = activity(step.case, what, text, resumed=answered)
    return replace(step, notices=(*step.notices, told))


def customer_answers(step: Step, now: datetime, calendar: WorkingCalendar) -> tuple[Step, bool]:
    """The customer gave the desk something (a message, a file): a case waiting for the
    customer returns to investigating. Returns the step and whether it did."""
    answered = step.case.status is S.WAITING_CUSTOMER
    if answered:
        step = step.then(move(step.case, S.INVESTIGATING, "customer", now, calendar))
    return step, answered


def staff_entry(
    case: Case,
    type_: str,
    staff_id: str,
    now: datetime,
    text: str,
    data: dict[str, Any] | None = None,
) -> Step:
    """A note (internal), a message to the customer, or a logged call or chat (both public)."""
    if case.status in FINAL_STATUSES and type_ != "note":
        raise InvalidTransition("The case is final; only internal notes can be added.")
    visibility = Visibility.INTERNAL if type_ == "note" else Visibility.PUBLIC
    entry = Entry(
        type_, visibility, staff_actor(staff_id), text, {**(data or {}), "round": case.round}
    )
    responded = None if type_ == "note" else now
    changed = handled_by(replace(case, updated_at=now), staff_id, responded)
    notices = (
        (Notice("staff_message", {**case_base(case), "text": text}),) if type_ == "message" else ()
    )
    return Step(changed, (entry,), notices)


def assign(case: Case, assignee: str, by: str, now: datetime, assignee_name: str = "") -> Step:
    if not case.is_open:
        raise InvalidTransition("A final case cannot be assigned.")
    check_recusal(case, assignee)
    entry = Entry(
        "assigned",
        Visibility.INTERNAL,
        staff_actor(by),
        None,
        {"assignee": assignee, "previous": case.assignee, "round": case.round},
    )
    # In round 2, handing the case to a reviewer is the second review's first response.
    changed = handled_by(
        handled_by(replace(case, assignee=assignee, updated_at=now), assignee), by, now
    )
    due = to_rfc3339(case.due_at) if case.due_at else None
    params = {**case_base(case), "staff_name": assignee_name, "due_at": due, "staff_id": assignee}
    notice = Notice("case_assigned", params, "staff", {"staff_ids": [assignee]})
    return Step(changed, (entry,), (notice,))


def rate(case: Case, rating: int, comment: str | None, now: datetime) -> Step:
    low, high = limits.RATING
    if not low <= rating <= high:
        raise ValidationFailed({"rating": f"must be a whole number from {low} to {high}"})
    if case.resolved_at is None or case.status is S.WITHDRAWN:
        raise InvalidTransition("A case can be rated once it has an outcome.")
    if case.rating is not None:
        raise AlreadyRated()
    entry = Entry("feedback", Visibility.PUBLIC, "customer", comment, {"rating": rating})
    return Step(replace(case, rating=rating), (entry,))


def withdraw(case: Case, reason: str | None, now: datetime, calendar: WorkingCalendar) -> Step:
    if S.WITHDRAWN not in TRANSITIONS[case.status]:
        raise InvalidTransition(f"A {case.status} case can no longer be withdrawn.")
    return move(case, S.WITHDRAWN, "customer", now, calendar, reason)


def extend(
    case: Case, days: int, reason: str, staff_id: str, now: datetime, calendar: WorkingCalendar
) -> Step:
    """A supervisor extends the outer limit (15 calendar days after acceptance) by `days`, up
    to 30 in all, with a reason the customer is told."""
    if not case.is_open or case.status in (S.RESOLVED, S.UNRESOLVED):
        raise InvalidTransition("Only a case still being decided can have its deadline extended.")
    total = case.regulatory_days + days
    if total > REGULATORY_MAX_DAYS:
        allowed = REGULATORY_MAX_DAYS - case.regulatory_days
        raise ValidationFailed({"days": f"at most {allowed} more days (30 in all)"})
    start = case.accepted_at or case.created_at
    due = regulatory_due(calendar, start, total)
    changed = handled_by(
        replace(
            case,
            regulatory_days=total,
            updated_at=now,
            deadlines=replace(case.deadlines, regulatory_due=due),
        ),
        staff_id,
    )
    entry = Entry(
        "regulatory_extended",
        Visibility.PUBLIC,
        staff_actor(staff_id),
        reason,
        {"regulatory_due": to_rfc3339(due), "days": total, "round": case.round},
    )
    params = {**case_base(case), "regulatory_due": to_rfc3339(due), "reason": reason}
    return Step(changed, (entry,), (Notice("regulatory_extended", params),))


def merchant_response(
    case: Case, merchant_id: str, text: str, now: datetime, calendar: WorkingCalendar
) -> Step:
    """The merchant answers a case that names it; an awaited answer resumes the investigation."""
    if not case.is_open:
        raise InvalidTransition("The case is closed.")
    entry = Entry(
        "merchant_response",
        Visibility.INTERNAL,
        f"merchant:{merchant_id}",
        text,
        {"round": case.round},
    )
    step = Step(replace(case, updated_at=now), (entry,))
    # A merchant-settlement case's contact is the merchant itself: its answer is the one a wait
    # for the contact's information is waiting for.
    contact_is_merchant = case.category is Category.MERCHANT_SETTLEMENT
    awaited = case.status is S.WAITING_MERCHANT or (
        case.status is S.WAITING_CUSTOMER and contact_is_merchant
    )
    if awaited:
        step = step.then(move(step.case, S.INVESTIGATING, f"merchant:{merchant_id}", now, calendar))
    told = activity(step.case, "merchant_response", text, resumed=awaited)
    return replace(step, notices=(*step.notices, told))


def payment_found(
    case: Case, found: str, marker: str, now: datetime, calendar: WorkingCalendar
) -> Step:
    """The payment platform answered what a merchant-settlement case asked, with the verdict
    `found`. Funds settled to the merchant resolve a case still in progress; any other finding
    is recorded for the merchant and staff. `marker` makes a repeated answer do nothing."""
    if not case.is_open or marker in case.sla_fired:
        return Step(case)
    case = replace(case, sla_fired=case.sla_fired | {marker})
    if found == "settled" and case.status in EVIDENCE_RESOLVES:
        return move(case, S.RESOLVED, "system", now, calendar, reason="payment_settled")
    entry = Entry("payment_found", Visibility.PUBLIC, "system", None, {"verdict": found})
    return Step(replace(case, updated_at=now), (entry,))


def reopen_after_failed_refund(
    case: Case, refund_id: str, reason: str | None, now: datetime, calendar: WorkingCalendar
) -> Step:
    """A refund the case relies on failed: its assignee (or the supervisors) is alerted, and a
    case that was past investigating is investigated again."""
    if not case.is_open:
        return Step(case)
    step = Step(case)
    if case.status in REFUND_FAILURE_REOPENS:
        step = move(case, S.INVESTIGATING, "system", now, calendar, reason, "refund_failed")
        if case.status is S.RESOLVED:
            step = replace(step, case=replace(step.case, resolved_at=None))
    alert = Notice(
        "refund_failed_alert",
        {**case_facts(step.case), "refund_id": refund_id, "failure_reason": reason},
        "staff",
        holder(case),
    )
    return replace(step, notices=(*step.notices, alert))
