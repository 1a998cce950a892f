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
to send. Services commit a Step as one transaction; nothing here has side effects. The rules
live in `moves` (the table, and what arriving in a status does), `negotiation` and `actions`;
this module is where callers find them.
"""

from __future__ import annotations

from .actions import (
    assign,
    customer_message,
    extend,
    merchant_response,
    payment_found,
    rate,
    reopen_after_failed_refund,
    staff_entry,
    withdraw,
)
from .moves import (
    CUSTOMER_REMINDER_DAYS,
    CUSTOMER_TIMEOUT_DAYS,
    MERCHANT_RESPONSE_DAYS,
    OBJECTION_WINDOW,
    PROPOSAL_STATUSES,
    REASONS,
    SECOND_REVIEW_FIRST_RESPONSE,
    SECOND_REVIEW_RESOLUTION,
    STAFF_MOVES,
    SYSTEM_MOVES,
    TRANSITIONS,
    check_recusal,
    customer_wait,
    merchant_run,
    move,
    objection_deadline,
    second_review_due,
    staff_actor,
    staff_move,
)
from .negotiation import (
    answer_proposal,
    end_negotiation,
    negotiation_limit,
    object_to,
    propose,
)
from .proposal import ProposalTerms
from .step import Entry, Notice, Step

__all__ = [
    "CUSTOMER_REMINDER_DAYS",
    "CUSTOMER_TIMEOUT_DAYS",
    "MERCHANT_RESPONSE_DAYS",
    "OBJECTION_WINDOW",
    "PROPOSAL_STATUSES",
    "REASONS",
    "SECOND_REVIEW_FIRST_RESPONSE",
    "SECOND_REVIEW_RESOLUTION",
    "STAFF_MOVES",
    "SYSTEM_MOVES",
    "TRANSITIONS",
    "Entry",
    "Notice",
    "ProposalTerms",
    "Step",
    "answer_proposal",
    "assign",
    "check_recusal",
    "customer_message",
    "customer_wait",
    "end_negotiation",
    "extend",
    "merchant_response",
    "merchant_run",
    "move",
    "negotiation_limit",
    "object_to",
    "objection_deadline",
    "payment_found",
    "propose",
    "rate",
    "reopen_after_failed_refund",
    "second_review_due",
    "staff_actor",
    "staff_entry",
    "staff_move",
    "withdraw",
]
