"""Negotiation: staff propose; the customer accepts (resolved) or rejects. A rejection keeps
the case negotiating: staff make another offer (a counter-offer), or decide that no agreement
is possible (negotiating -> unresolved); when the outer limit passes without agreement, the
case becomes unresolved by itself, and the customer may object within 15 days. The second
review works the same way inside `second_review`, against its decision deadline, and ends with
the reviewer's final decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .alerts import activity
from .calendar import WorkingCalendar
from .case import Case, Status, Visibility
from .errors import InvalidTransition
from .ids import new_ulid
from .moves import (
    PROPOSAL_STATUSES,
    case_base,
    check_recusal,
    handled_by,
    move,
    objection_deadline,
    offer_terms,
    staff_actor,
)
from .proposal import Proposal, ProposalStatus, ProposalTerms
from .step import Entry, Notice, Step
from .timefmt import to_rfc3339

S = Status


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
    changed = handled_by(replace(step.case, proposal=proposal, updated_at=now), staff_id, now)
    entry = Entry(
        "proposal_made",
        Visibility.PUBLIC,
        staff_actor(staff_id),
        terms.text,
        {**proposal.public(), "round": case.round},
    )
    limit = negotiation_limit(changed)
    params = {
        **case_base(case),
        **offer_terms(proposal),
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
