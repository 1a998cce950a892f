"""The answer to a merchant's "the customer shows success, but did I get paid?"
(docs/domain.md, "Merchant payment queries")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .calendar import WorkingCalendar
from .complaint import order_ref
from .ledger import Payment, PaymentStatus

SETTLEMENT_DAYS = 1  # T+1 working day (ours)


class Verdict(StrEnum):
    SETTLED = "settled"
    PENDING_SETTLEMENT = "pending_settlement"
    FAILED = "failed"
    REFUNDED = "refunded"
    AMOUNT_MISMATCH = "amount_mismatch"
    NOT_FOUND = "not_found"


OPENS_CASE = frozenset({Verdict.AMOUNT_MISMATCH, Verdict.NOT_FOUND})
# Verdicts a later payment event can still change, so the query stays open.
STILL_OPEN = frozenset({Verdict.PENDING_SETTLEMENT, Verdict.AMOUNT_MISMATCH, Verdict.NOT_FOUND})


def verdict(payment: Payment | None, amount_fen: int) -> Verdict:
    if payment is None:
        return Verdict.NOT_FOUND
    if payment.amount_fen != amount_fen:
        return Verdict.AMOUNT_MISMATCH
    status = payment.status
    if status in (PaymentStatus.REFUNDED, PaymentStatus.REVERSED):
        return Verdict.REFUNDED
    if status is PaymentStatus.FAILED:
        return Verdict.FAILED
    if status is PaymentStatus.SETTLED:
        return Verdict.SETTLED
    return Verdict.PENDING_SETTLEMENT


def expected_settlement(payment: Payment, calendar: WorkingCalendar) -> datetime | None:
    """When a paid payment should reach the merchant: T+1, the end of the first working day
    after the day it was paid, whatever the hour it was paid at."""
    if payment.succeeded_at is None or payment.settled_at is not None:
        return None
    return calendar.end_of_working_days_after_date(payment.succeeded_at, SETTLEMENT_DAYS)


@dataclass(frozen=True)
class PaymentQuery:
    """A merchant's question about a payment, and the answer it got."""

    query_id: str
    merchant_id: str
    transaction_id: str | None
    order_id: str | None
    amount_fen: int
    paid_at: datetime | None
    note: str | None
    verdict: Verdict
    created_at: datetime
    updated_at: datetime
    case_id: str | None = None
    case_number: str | None = None
    open: bool = False  # a later payment event may still answer it

    @property
    def refs(self) -> list[str]:
        """How a payment event finds this query."""
        return payment_refs(self.merchant_id, self.transaction_id, self.order_id)


def payment_refs(merchant_id: str, transaction_id: str | None, order_id: str | None) -> list[str]:
    """The references a payment and the queries about it share: its transaction, then the
    merchant's order."""
    out = []
    if transaction_id:
        out.append(f"txn#{transaction_id}")
    if order_id:
        out.append(f"order#{order_ref(merchant_id, order_id)}")
    return out
