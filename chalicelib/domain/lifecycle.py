"""The case lifecycle: which moves exist, who may make them, what each records and who is told.

    submitted -> accepted -> investigating -> negotiating -> resolved | unresolved -> closed
    waiting_customer (resolution clock paused), waiting_merchant, second_review, withdrawn

Negotiation: staff propose; the customer accepts (resolved) or rejects. A rejection keeps the
case negotiating: staff make another offer (a counter-offer), or decide that no agreement is
possible (negotiating -> unresolved); when the outer limit passes without agreement, the case
becomes unresolved by itself, and the customer may object within 15 days. The second review
works the same way inside `second_review`, against its decision deadline, and ends with the
reviewer's final decision.

Every function returns a Step: the changed case, the timeline entries to write and the messages
to send. Services commit a Step as one transaction; nothing here has side effects.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from .alerts import activity, case_facts, holder
from .calendar import WorkingCalendar
from .case import FINAL_STATUSES, Case, CustomerWait, SecondReview, Status, Visibility
from .clocks import ClockRun
from .errors import AlreadyRated, Forbidden, InvalidTransition, ValidationFailed
from .ids import new_ulid
from .policy import REGULATORY_MAX_DAYS, Category, Target, regulatory_due
from .progress import promise
from .proposal import Proposal, ProposalStatus, ProposalTerms
from .step import Entry as Entry  # re-exported: every caller builds Steps from here
from .step import Notice as Notice
from .step import Step as Step
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
_EVIDENCE_RESOLVES = frozenset(
    {S.SUBMITTED, S.ACCEPTED, S.INVESTIGATING, S.WAITING_MERCHANT, S.NEGOTIATING}
)
_REFUND_FAILURE_REOPENS = frozenset(
    {S.ACCEPTED, S.WAITING_MERCHANT, S.NEGOTIATING, S.RESOLVED, S.SECOND_REVIEW}
)
SYSTEM_MOVES: frozenset[tuple[Status, Status]] = frozenset(
    {(frm, S.RESOLVED) for frm in _EVIDENCE_RESOLVES}
    | {(frm, S.INVESTIGATING) for frm in _REFUND_FAILURE_REOPENS}
)
OBJECTION_WINDOW = timedelta(days=15)
CUSTOMER_REMINDER_DAYS = 3
CUSTOMER_TIMEOUT_DAYS = 5
MERCHANT_RESPONSE_DAYS = 2
SECOND_REVIEW_FIRST_RESPONSE = Target(days=3)
SECOND_REVIEW_RESOLUTION = Target(days=20)
PROPOSAL_STATUSES = frozenset({S.ACCEPTED, S.INVESTIGATING, S.NEGOTIATING, S.SECOND_REVIEW})
# Why the system moved a case: messages and timelines render each in their reader's language.
REASONS = frozenset({"no_agreement_by_limit", "no_reply", "payment_settled", "refund_failed"})


def staff_actor(staff_id: str) -> str:
    return f"staff:{staff_id}"


def objection_deadline(case: Case) -> datetime | None:
    """Until when the customer may object (15 days after the outcome, round 1 only)."""
    if case.round != 1 or case.resolved_at is None:
        return None
    return case.resolved_at + OBJECTION_WINDOW


def _base(case: Case) -> dict[str, Any]:
    return {"case_number": case.case_number, "category": case.category.value}


def _handled_by(case: Case, staff_id: str, responded_at: datetime | None = None) -> Case:
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
    return replace(step, case=_handled_by(step.case, staff_id, now))


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
    params = {**_base(case), **promise(case, now, calendar)}
    entry = replace(step.entries[0], type="accepted")
    return Step(case, (entry,), (Notice("case_accepted", params),))


def _arrive_waiting_customer(
    step: Step, before: Case, now: datetime, calendar: WorkingCalendar, note: str | None
) -> Step:
    wait = CustomerWait(
        since=now,
        remind_at=calendar.add_working_days(now, CUSTOMER_REMINDER_DAYS),
        close_at=calendar.add_working_days(now, CUSTOMER_TIMEOUT_DAYS),
        request=note or "",
    )
    case = replace(step.case, waiting=wait)
    if case.round == 1:  # the resolution clock stops while the customer owes us information
        run = case.resolution_run or ClockRun.until(
            case.created_at, case.deadlines.resolution_due, calendar
        )
        case = replace(case, resolution_run=run.paused(now, calendar))
    params = {**_base(case), "request": wait.request, "reply_by": to_rfc3339(wait.close_at)}
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
    due = calendar.add_working_days(now, MERCHANT_RESPONSE_DAYS)
    case = replace(step.case, merchant_run=ClockRun.until(now, due, calendar))
    params = {**_base(case), "respond_by": to_rfc3339(due), "merchant_id": case.merchant_id}
    notices = (Notice("merchant_case_opened", params, "merchant"),) if case.merchant_id else ()
    return Step(case, step.entries, notices)


def _arrive_resolution(
    step: Step, before: Case, now: datetime, calendar: WorkingCalendar, note: str | None
) -> Step:
    case = _arrive_plain(step, before, now, calendar, note).case
    case = replace(case, resolved_at=now)
    params: dict[str, Any] = {
        **_base(case),
        "outcome": case.status.value,
        "note": note or "",
        "reason": step.entries[0].data.get("reason"),
        **_accepted_terms(case),
    }
    if before.status is S.SECOND_REVIEW:
        entry = replace(step.entries[0], type="second_review_decided")
        return Step(case, (entry,), (Notice("second_review_decided", params),))
    deadline = objection_deadline(case)
    params["object_by"] = to_rfc3339(deadline) if deadline else None
    event = "case_resolved" if case.status is S.RESOLVED else "case_unresolved"
    return Step(case, step.entries, (Notice(event, params),))


def _terms(proposal: Proposal) -> dict[str, Any]:
    """An offer's terms as messages show them: the remedies, the amount and each instalment."""
    return {
        "kinds": list(proposal.kinds),
        "amount_fen": proposal.amount_fen,
        "installments": [
            {"due_date": i.due_date.isoformat(), "amount_fen": i.amount_fen}
            for i in proposal.installments
        ],
    }


def _accepted_terms(case: Case) -> dict[str, Any]:
    """The terms the customer accepted in this round, which the outcome message confirms."""
    proposal = case.proposal
    accepted = proposal is not None and proposal.status is ProposalStatus.ACCEPTED
    if proposal is None or not accepted or proposal.round != case.round:
        return {"kinds": [], "amount_fen": None, "installments": []}
    return _terms(proposal)


def _arrive_second_review(
    step: Step, before: Case, now: datetime, calendar: WorkingCalendar, note: str | None
) -> Step:
    review = SecondReview(
        opened_at=now,
        reason=note or "",
        first_response_due=SECOND_REVIEW_FIRST_RESPONSE.due(calendar, now),
        resolution_due=SECOND_REVIEW_RESOLUTION.due(calendar, now),
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
    params = {**_base(case), "expected_by": to_rfc3339(review.resolution_due)}
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
    notices = (Notice("survey", _base(case)),) if surveyed else ()
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


# -- proposals --------------------------------------------------------------------------------


def propose(
    case: Case, terms: ProposalTerms, staff_id: str, now: datetime, calendar: WorkingCalendar
) -> Step:
    """A new offer; it replaces a pending one. Round 1 moves the case to negotiating."""
    if case.status not in PROPOSAL_STATUSES:
        raise InvalidTransition(f"A {case.status} case cannot receive a proposal.")
    check_recusal(case, staff_id)
    proposal = Proposal(
        proposal_id=new_ulid(now),
        round=case.round,
        kind=terms.kind,
        text=terms.text,
        made_by=staff_id,
        made_at=now,
        also=terms.also,
        amount_fen=terms.amount_fen,
        installments=terms.installments,
    )
    step = Step(case)
    if case.status in (S.ACCEPTED, S.INVESTIGATING):
        step = move(case, S.NEGOTIATING, staff_actor(staff_id), now, calendar)
    changed = _handled_by(replace(step.case, proposal=proposal, updated_at=now), staff_id, now)
    entry = Entry(
        "proposal_made",
        Visibility.PUBLIC,
        staff_actor(staff_id),
        terms.text,
        {**proposal.public(), "round": case.round},
    )
    limit = negotiation_limit(changed)
    params = {
        **_base(case),
        **_terms(proposal),
        "text": terms.text,
        "round": case.round,
        # Until when an agreement can be reached; after it an open negotiation is unresolved.
        "decide_by": to_rfc3339(limit) if limit else None,
    }
    return step.then(Step(changed, (entry,), (Notice("proposal_made", params),)))


def answer_proposal(
    case: Case, accept: bool, reason: str | None, now: datetime, calendar: WorkingCalendar
) -> Step:
    """The customer's answer: accepting resolves the case (in round 2, as the final decision).
    Rejecting keeps the negotiation open, in either round: staff (the reviewer in round 2) may
    make another offer or decide that no agreement is possible; when the round's limit passes
    without agreement, the case becomes unresolved by itself (NEGOTIATION_LIMIT in sla.py)."""
    proposal = case.proposal
    if proposal is None or proposal.status is not ProposalStatus.PENDING:
        raise InvalidTransition("There is no proposal waiting for an answer.")
    status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
    answered = replace(proposal, status=status, answered_at=now, answer_reason=reason)
    entry = Entry(
        "proposal_accepted" if accept else "proposal_rejected",
        Visibility.PUBLIC,
        "customer",
        reason,
        {"proposal_id": proposal.proposal_id, "round": case.round},
    )
    answered_case = replace(case, proposal=answered, updated_at=now)
    step = Step(answered_case, (entry,))
    if accept:
        step = step.then(move(answered_case, S.RESOLVED, "customer", now, calendar))
    limit = None if accept else negotiation_limit(answered_case)
    told = activity(
        step.case,
        "proposal_accepted" if accept else "proposal_rejected",
        reason,
        kinds=list(proposal.kinds),
        amount_fen=proposal.amount_fen,
        decide_by=to_rfc3339(limit) if limit else None,
    )
    return replace(step, notices=(*step.notices, told))


def negotiation_limit(case: Case) -> datetime | None:
    """When a negotiation still without agreement ends unresolved by itself: round 1's outer
    limit, round 2's decision deadline. None when no negotiation is under way, or when the
    offer on the table was made after the limit had passed (staff then decide, and the outer
    limit's escalation has already told supervisors)."""
    proposal = case.proposal
    if proposal is None or proposal.round != case.round:
        return None
    if case.round == 1 and case.status is S.NEGOTIATING:
        limit = case.deadlines.regulatory_due
    elif case.round == 2 and case.status is S.SECOND_REVIEW and case.second_review:
        limit = case.second_review.resolution_due
    else:
        return None
    return limit if proposal.made_at < limit else None


def end_negotiation(case: Case, now: datetime, calendar: WorkingCalendar) -> Step:
    """The round's limit passed without agreement: the case is unresolved (in round 1 the
    customer may still object within 15 days; in round 2 this is the final decision)."""
    return move(case, S.UNRESOLVED, "system", now, calendar, reason="no_agreement_by_limit")


def object_to(case: Case, reason: str, now: datetime, calendar: WorkingCalendar) -> Step:
    """The customer's objection to a round-1 outcome opens the second review."""
    deadline = objection_deadline(case)
    if case.status not in (S.RESOLVED, S.UNRESOLVED) or deadline is None:
        raise InvalidTransition("Only a first-round outcome can be objected to.")
    if now > deadline:
        raise InvalidTransition("The 15-day objection window has passed.")
    return move(case, S.SECOND_REVIEW, "customer", now, calendar, reason)


# -- conversation -----------------------------------------------------------------------------


def customer_message(case: Case, text: str, now: datetime, calendar: WorkingCalendar) -> Step:
    if not case.is_open:
        raise InvalidTransition("The case is closed; file a new complaint instead.")
    entry = Entry("customer_message", Visibility.PUBLIC, "customer", text, {"round": case.round})
    step = Step(replace(case, updated_at=now), (entry,))
    answered = case.status is S.WAITING_CUSTOMER
    if answered:
        step = step.then(move(step.case, S.INVESTIGATING, "customer", now, calendar))
    what = "customer_info" if answered else "customer_message"
    told = activity(step.case, what, text, resumed=answered)
    return replace(step, notices=(*step.notices, told))


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
    changed = _handled_by(replace(case, updated_at=now), staff_id, responded)
    notices = (
        (Notice("staff_message", {**_base(case), "text": text}),) if type_ == "message" else ()
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
    changed = _handled_by(
        _handled_by(replace(case, assignee=assignee, updated_at=now), assignee), by, now
    )
    due = to_rfc3339(case.due_at) if case.due_at else None
    params = {**_base(case), "staff_name": assignee_name, "due_at": due, "staff_id": assignee}
    notice = Notice("case_assigned", params, "staff", {"staff_ids": [assignee]})
    return Step(changed, (entry,), (notice,))


def rate(case: Case, rating: int, comment: str | None, now: datetime) -> Step:
    if not 1 <= rating <= 5:
        raise ValidationFailed({"rating": "must be a whole number from 1 to 5"})
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
    changed = _handled_by(
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
    params = {**_base(case), "regulatory_due": to_rfc3339(due), "reason": reason}
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
    if found == "settled" and case.status in _EVIDENCE_RESOLVES:
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
    if case.status in _REFUND_FAILURE_REOPENS:
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
