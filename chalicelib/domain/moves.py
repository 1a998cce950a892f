"""The case's moves: which exist, who may make them, and what arriving in a status sets,
records and tells. `lifecycle` gathers these with the negotiation and the other desk actions.

    submitted -> accepted -> investigating -> negotiating -> resolved | unresolved -> closed
    waiting_customer (resolution clock paused), waiting_merchant, second_review, withdrawn
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from .calendar import WorkingCalendar
from .case import FINAL_STATUSES, Case, CustomerWait, SecondReview, Status, Visibility
from .clocks import ClockRun
from .errors import Forbidden, InvalidTransition, ValidationFailed
from .policy import Target, regulatory_due
from .progress import promise
from .proposal import Proposal, ProposalStatus
from .step import Entry, Notice, Step
from .timefmt import to_rfc3339

S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.SUBMITTED: frozenset({S.ACCEPTED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset(
        {S.INVESTIGATING, S.WAITING_CUSTOMER, S.WAITING_MERCHANT, S.NEGOTIATING, S.WITHDRAWN}
    ),
    S.INVESTIGATING: frozenset(
        {S.WAITING_CUSTOMER, S.WAITING_MERCHANT, S.NEGOTIATING, S.WITHDRAWN}
    ),
    S.WAITING_CUSTOMER: frozenset({S.INVESTIGATING, S.CLOSED, S.WITHDRAWN}),
    S.WAITING_MERCHANT: frozenset({S.INVESTIGATING, S.WITHDRAWN}),
    S.NEGOTIATING: frozenset({S.INVESTIGATING, S.RESOLVED, S.UNRESOLVED, S.WITHDRAWN}),
    S.RESOLVED: frozenset({S.SECOND_REVIEW, S.CLOSED}),
    S.UNRESOLVED: frozenset({S.SECOND_REVIEW, S.CLOSED}),
    S.SECOND_REVIEW: frozenset({S.RESOLVED, S.UNRESOLVED, S.WITHDRAWN}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
# The moves staff make with POST /v1/admin/cases/{id}/transitions. The others belong to the
# customer (accept, reject, object, withdraw), to proposals, or happen by themselves.
STAFF_MOVES: frozenset[tuple[Status, Status]] = frozenset(
    {
        (S.SUBMITTED, S.ACCEPTED),
        (S.ACCEPTED, S.INVESTIGATING),
        (S.ACCEPTED, S.WAITING_CUSTOMER),
        (S.INVESTIGATING, S.WAITING_CUSTOMER),
        (S.ACCEPTED, S.WAITING_MERCHANT),
        (S.INVESTIGATING, S.WAITING_MERCHANT),
        (S.WAITING_CUSTOMER, S.INVESTIGATING),
        (S.WAITING_MERCHANT, S.INVESTIGATING),
        (S.NEGOTIATING, S.INVESTIGATING),  # take the offer back to rework it
        (S.NEGOTIATING, S.UNRESOLVED),  # negotiation failed
        (S.SECOND_REVIEW, S.RESOLVED),  # the final decision
        (S.SECOND_REVIEW, S.UNRESOLVED),
    }
)
_WHY_NOT_STAFF = {
    S.NEGOTIATING: "make a proposal instead (POST .../proposals)",
    S.RESOLVED: "in round 1 a case is resolved when the customer accepts a proposal",
    S.SECOND_REVIEW: "a second review opens when the customer objects",
    S.CLOSED: "cases close by themselves when their waiting or objection time runs out",
    S.WITHDRAWN: "only the customer can withdraw a complaint",
}
# Moves only the system makes, on evidence from the payment platform: a merchant-settlement case
# resolves itself when the settlement arrives, and a failed refund reopens the investigation.
EVIDENCE_RESOLVES = frozenset(
    {S.SUBMITTED, S.ACCEPTED, S.INVESTIGATING, S.WAITING_MERCHANT, S.NEGOTIATING}
)
REFUND_FAILURE_REOPENS = frozenset(
    {S.ACCEPTED, S.WAITING_MERCHANT, S.NEGOTIATING, S.RESOLVED, S.SECOND_REVIEW}
)
SYSTEM_MOVES: frozenset[tuple[Status, Status]] = frozenset(
    {(frm, S.RESOLVED) for frm in EVIDENCE_RESOLVES}
    | {(frm, S.INVESTIGATING) for frm in REFUND_FAILURE_REOPENS}
)
OBJECTION_WINDOW = timedelta(days=15)
CUSTOMER_REMINDER_DAYS = 3
CUSTOMER_TIMEOUT_DAYS = 5
MERCHANT_RESPONSE_DAYS = 2
SECOND_REVIEW_FIRST_RESPONSE = Target(days=3)
SECOND_REVIEW_RESOLUTION = Target(days=20)
PROPOSAL_STATUSES = frozenset({S.ACCEPTED, S.INVESTIGATING, S.NEGOTIATING, S.SECOND_REVIEW})
# Why the system moved a case: messages and timelines render each in their reader's language.
REASONS = frozenset(
    {"no_agreement_by_limit", "no_reply", "payment_settled", "refund_failed", "incident_resolved"}
)


def staff_actor(staff_id: str) -> str:
    return f"staff:{staff_id}"


def objection_deadline(case: Case) -> datetime | None:
    """Until when the customer may object (15 days after the outcome, round 1 only)."""
    if case.round != 1 or case.resolved_at is None:
        return None
    return case.resolved_at + OBJECTION_WINDOW


def case_base(case: Case) -> dict[str, Any]:
    return {"case_number": case.case_number, "category": case.category.value}


def handled_by(case: Case, staff_id: str, responded_at: datetime | None = None) -> Case:
    """Round 1 remembers who handled the case (for recusal); in round 2 the first action that
    answers the customer (`responded_at`) is the second review's first response."""
    if case.round == 2:
        review = case.second_review
        if responded_at is None or review is None or review.first_response_at is not None:
            return case
        return replace(case, second_review=replace(review, first_response_at=responded_at))
    if staff_id in case.handlers:
        return case
    return replace(case, handlers=case.handlers | {staff_id})


def check_recusal(case: Case, staff_id: str) -> None:
    """Second reviews are decided by someone who did not handle round 1."""
    if case.round == 2 and staff_id in case.handlers:
        raise Forbidden(
            "You handled this case before its second review; another reviewer must decide it."
        )


def move(
    case: Case,
    to: Status,
    actor: str,
    now: datetime,
    calendar: WorkingCalendar,
    note: str | None = None,
    reason: str | None = None,
) -> Step:
    """Any allowed move, with what it sets, records and tells. Raises InvalidTransition.
    `note` is what a person wrote, shown as written; `reason` is why the system moved the
    case, a code (one of REASONS) every message and timeline shows in its reader's language."""
    system_move = actor == "system" and (case.status, to) in SYSTEM_MOVES
    if to not in TRANSITIONS[case.status] and not system_move:
        allowed = ", ".join(sorted(TRANSITIONS[case.status])) or "nothing (the case is final)"
        raise InvalidTransition(
            f"A {case.status} case cannot become {to}; it can become: {allowed}."
        )
    changed = replace(case, status=to, updated_at=now)
    entry = Entry(
        "status_changed",
        Visibility.PUBLIC,
        actor,
        note,
        {
            "from": case.status.value,
            "to": to.value,
            "round": case.round,
            **({"reason": reason} if reason else {}),
        },
    )
    step = Step(changed, (entry,))
    return _ARRIVALS.get(to, _arrive_plain)(step, case, now, calendar, note)


def staff_move(
    case: Case,
    to: Status,
    staff_id: str,
    now: datetime,
    calendar: WorkingCalendar,
    note: str | None = None,
) -> Step:
    if to in TRANSITIONS[case.status] and (case.status, to) not in STAFF_MOVES:
        why = _WHY_NOT_STAFF.get(to, "this move is not made by staff")
        raise InvalidTransition(f"Staff cannot move a {case.status} case to {to}: {why}.")
    if to in TRANSITIONS[case.status] and to is S.WAITING_CUSTOMER and not note:
        raise ValidationFailed({"note": "say what the customer needs to provide"})
    if case.status is S.SECOND_REVIEW:
        check_recusal(case, staff_id)
    step = move(case, to, staff_actor(staff_id), now, calendar, note)
    return replace(step, case=handled_by(step.case, staff_id, now))


# -- what arriving in a status does ----------------------------------------------------------


def _arrive_plain(
    step: Step, before: Case, now: datetime, calendar: WorkingCalendar, note: str | None
) -> Step:
    case = step.case
    if before.status is S.WAITING_CUSTOMER:
        case = _resume_resolution(replace(case, waiting=None), now, calendar)
    if before.status is S.WAITING_MERCHANT:
        case = replace(case, merchant_run=None)
    open_offer = case.proposal is not None and case.proposal.status is ProposalStatus.PENDING
    if open_offer and case.status not in (S.NEGOTIATING, S.SECOND_REVIEW) and case.proposal:
        case = replace(case, proposal=replace(case.proposal, status=ProposalStatus.WITHDRAWN))
    return replace(step, case=case)


def _arrive_accepted(
    step: Step, before: Case, now: datetime, calendar: WorkingCalendar, note: str | None
) -> Step:
    case = replace(step.case, accepted_at=now)
    outer = regulatory_due(calendar, now, case.regulatory_days)
    deadlines = replace(case.deadlines, regulatory_due=outer)
    case = replace(case, deadlines=deadlines)
    params = {**case_base(case), **promise(case, now, calendar)}
    entry = replace(step.entries[0], type="accepted")
    return Step(case, (entry,), (Notice("case_accepted", params),))


def customer_wait(since: datetime, request: str, calendar: WorkingCalendar) -> CustomerWait:
    """Waiting for the customer since `since`: remind after 3 working days, close after 5."""
    return CustomerWait(
        since=since,
        remind_at=calendar.add_working_days(since, CUSTOMER_REMINDER_DAYS),
        close_at=calendar.add_working_days(since, CUSTOMER_TIMEOUT_DAYS),
        request=request,
    )


def merchant_run(since: datetime, calendar: WorkingCalendar) -> ClockRun:
    """The merchant's response clock: 2 working days from `since`."""
    return ClockRun.until(since, calendar.add_working_days(since, MERCHANT_RESPONSE_DAYS), calendar)


def second_review_due(opened: datetime, calendar: WorkingCalendar) -> tuple[datetime, datetime]:
    """Round 2's first response and decision deadlines, from when it opened."""
    return (
        SECOND_REVIEW_FIRST_RESPONSE.due(calendar, opened),
        SECOND_REVIEW_RESOLUTION.due(calendar, opened),
    )


def _arrive_waiting_customer(
    step: Step, before: Case, now: datetime, calendar: WorkingCalendar, note: str | None
) -> Step:
    wait = customer_wait(now, note or "", calendar)
    case = replace(step.case, waiting=wait)
    if case.round == 1:  # the resolution clock stops while the customer owes us information
        run = case.resolution_run or ClockRun.until(
            case.created_at, case.deadlines.resolution_due, calendar
        )
        case = replace(case, resolution_run=run.paused(now, calendar))
    params = {**case_base(case), "request": wait.request, "reply_by": to_rfc3339(wait.close_at)}
    return Step(case, step.entries, (Notice("info_needed", params),))


def _resume_resolution(case: Case, now: datetime, calendar: WorkingCalendar) -> Case:
    """Restart a paused resolution clock with the working time it had left."""
    run = case.resolution_run
    if run is None or run.running or case.status in FINAL_STATUSES:
        return case
    # The working time the pause gave back never carries the target past the outer limit.
    limit = case.deadlines.regulatory_due
    resumed = run.resumed(now).within(limit, calendar)
    due = min(resumed.due(calendar) or case.deadlines.resolution_due, limit)
    provisional = calendar.spans_provisional(case.created_at, due)
    deadlines = replace(case.deadlines, resolution_due=due, provisional=provisional)
    return replace(case, resolution_run=resumed, deadlines=deadlines)


def _arrive_waiting_merchant(
    step: Step, before: Case, now: datetime, calendar: WorkingCalendar, note: str | None
) -> Step:
    run = merchant_run(now, calendar)
    case = replace(step.case, merchant_run=run)
    due = run.due(calendar)
    respond_by = to_rfc3339(due) if due else None
    params = {**case_base(case), "respond_by": respond_by, "merchant_id": case.merchant_id}
    notices = (Notice("merchant_case_opened", params, "merchant"),) if case.merchant_id else ()
    return Step(case, step.entries, notices)


def _arrive_resolution(
    step: Step, before: Case, now: datetime, calendar: WorkingCalendar, note: str | None
) -> Step:
    case = _arrive_plain(step, before, now, calendar, note).case
    case = replace(case, resolved_at=now)
    params: dict[str, Any] = {
        **case_base(case),
        "outcome": case.status.value,
        "note": note or "",
        "reason": step.entries[0].data.get("reason"),
        **accepted_terms(case),
    }
    if before.status is S.SECOND_REVIEW:
        entry = replace(step.entries[0], type="second_review_decided")
        return Step(case, (entry,), (Notice("second_review_decided", params),))
    deadline = objection_deadline(case)
    params["object_by"] = to_rfc3339(deadline) if deadline else None
    event = "case_resolved" if case.status is S.RESOLVED else "case_unresolved"
    return Step(case, step.entries, (Notice(event, params),))


def offer_terms(proposal: Proposal) -> dict[str, Any]:
    """An offer's terms as messages show them: the remedies, the amount and each instalment."""
    return {
        "kinds": list(proposal.kinds),
        "amount_fen": proposal.amount_fen,
        "installments": [
            {"due_date": i.due_date.isoformat(), "amount_fen": i.amount_fen}
            for i in proposal.installments
        ],
    }


def accepted_terms(case: Case) -> dict[str, Any]:
    """The terms the customer accepted in this round, which the outcome message confirms."""
    proposal = case.proposal
    accepted = proposal is not None and proposal.status is ProposalStatus.ACCEPTED
    if proposal is None or not accepted or proposal.round != case.round:
        return {"kinds": [], "amount_fen": None, "installments": []}
    return offer_terms(proposal)


def _arrive_second_review(
    step: Step, before: Case, now: datetime, calendar: WorkingCalendar, note: str | None
) -> Step:
    first_response_due, resolution_due = second_review_due(now, calendar)
    review = SecondReview(
        opened_at=now,
        reason=note or "",
        first_response_due=first_response_due,
        resolution_due=resolution_due,
    )
    case = replace(step.case, round=2, second_review=review, assignee=None, resolved_at=None)
    entry = replace(
        step.entries[0],
        type="second_review_opened",
        data={
            **step.entries[0].data,
            "round": 2,
            "resolution_due": to_rfc3339(review.resolution_due),
        },
    )
    params = {**case_base(case), "expected_by": to_rfc3339(review.resolution_due)}
    return Step(case, (entry,), (Notice("second_review_opened", params),))


def _arrive_final(
    step: Step, before: Case, now: datetime, calendar: WorkingCalendar, note: str | None
) -> Step:
    case = _arrive_plain(step, before, now, calendar, note).case
    case = replace(case, closed_at=now)
    if case.status is S.WITHDRAWN:
        entry = replace(step.entries[0], type="withdrawn")
        return Step(replace(case, resolved_at=case.resolved_at or now), (entry,))
    entry = replace(step.entries[0], type="closed")
    # Only a case with an outcome can be rated; one closed for want of a reply, or already
    # rated, gets no survey.
    surveyed = case.resolved_at is not None and case.rating is None
    notices = (Notice("survey", case_base(case)),) if surveyed else ()
    return Step(case, (entry,), notices)


_ARRIVALS = {
    S.ACCEPTED: _arrive_accepted,
    S.WAITING_CUSTOMER: _arrive_waiting_customer,
    S.WAITING_MERCHANT: _arrive_waiting_merchant,
    S.RESOLVED: _arrive_resolution,
    S.UNRESOLVED: _arrive_resolution,
    S.SECOND_REVIEW: _arrive_second_review,
    S.CLOSED: _arrive_final,
    S.WITHDRAWN: _arrive_final,
}
