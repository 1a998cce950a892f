"""The payment ledger: what really happened to a payment, from the payment platform's events.

A payment's state is a function of the *set* of its events, never of their order: events arrive
late, twice and out of order (a settlement before the success, a duplicate refund, a reversal
after settlement), and every order ends in the same state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from . import limits
from . import validation as v
from .complaint import MAX_AMOUNT_FEN, REFERENCE
from .errors import ValidationFailed
from .timefmt import to_rfc3339

EVENT_TYPES = (
    "payment.succeeded",
    "payment.failed",
    "payment.settled",
    "payment.reversed",
    "refund.succeeded",
    "refund.failed",
)


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"  # paid, not yet settled to the merchant
    SETTLED = "settled"
    FAILED = "failed"
    REFUNDED = "refunded"  # refunded in full
    REVERSED = "reversed"


@dataclass(frozen=True)
class PaymentEvent:
    event_id: str
    type: str
    occurred_at: datetime
    transaction_id: str
    merchant_id: str
    order_id: str | None
    amount_fen: int
    currency: str = "CNY"
    refund_id: str | None = None
    refund_amount_fen: int | None = None
    failure_reason: str | None = None

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.occurred_at, self.event_id)


@dataclass(frozen=True)
class Refund:
    refund_id: str
    amount_fen: int
    succeeded: bool
    at: datetime
    failure_reason: str | None = None


@dataclass(frozen=True)
class Payment:
    transaction_id: str
    merchant_id: str
    order_id: str | None
    amount_fen: int
    currency: str
    succeeded_at: datetime | None
    settled_at: datetime | None
    failed_at: datetime | None
    reversed_at: datetime | None
    refunds: tuple[Refund, ...]
    failure_reason: str | None = None

    @property
    def refunded_fen(self) -> int:
        return sum(r.amount_fen for r in self.refunds if r.succeeded)

    @property
    def status(self) -> PaymentStatus:
        if self.reversed_at is not None:
            return PaymentStatus.REVERSED
        if self.refunded_fen >= self.amount_fen > 0:
            return PaymentStatus.REFUNDED
        if self.settled_at is not None:
            return PaymentStatus.SETTLED
        if self.succeeded_at is not None:
            return PaymentStatus.SUCCEEDED
        return PaymentStatus.FAILED

    def public(self) -> dict[str, Any]:
        def t(value: datetime | None) -> str | None:
            return to_rfc3339(value) if value else None

        return {
            "transaction_id": self.transaction_id,
            "merchant_id": self.merchant_id,
            "order_id": self.order_id,
            "amount_fen": self.amount_fen,
            "currency": self.currency,
            "status": self.status.value,
            "paid_at": t(self.succeeded_at),
            "settled_at": t(self.settled_at),
            "failed_at": t(self.failed_at),
            "reversed_at": t(self.reversed_at),
            "refunded_fen": self.refunded_fen,
            "refunds": [
                {
                    "refund_id": r.refund_id,
                    "amount_fen": r.amount_fen,
                    "status": "succeeded" if r.succeeded else "failed",
                    "at": t(r.at),
                }
                for r in self.refunds
            ],
        }


def _first(events: list[PaymentEvent], kind: str) -> datetime | None:
    times = [e.occurred_at for e in events if e.type == kind]
    return min(times) if times else None


def _refunds(events: list[PaymentEvent]) -> tuple[Refund, ...]:
    by_id: dict[str, list[PaymentEvent]] = {}
    for e in events:
        if e.type.startswith("refund.") and e.refund_id:
            by_id.setdefault(e.refund_id, []).append(e)
    refunds = []
    for refund_id, group in sorted(by_id.items()):
        done = sorted((e for e in group if e.type == "refund.succeeded"), key=lambda e: e.order)
        if done:  # a refund that succeeded once has succeeded, whatever failed before or after
            first = done[0]
            refunds.append(Refund(refund_id, first.refund_amount_fen or 0, True, first.occurred_at))
        else:
            last = max(group, key=lambda e: e.order)
            refunds.append(
                Refund(
                    refund_id,
                    last.refund_amount_fen or 0,
                    False,
                    last.occurred_at,
                    last.failure_reason,
                )
            )
    return tuple(refunds)


def fold(events: Iterable[PaymentEvent]) -> Payment:
    """The state of one payment from its events, in any order and with repeats."""
    unique = sorted({e.event_id: e for e in events}.values(), key=lambda e: e.order)
    if not unique:
        raise ValueError("a payment needs at least one event")
    first = unique[0]
    settled = _first(unique, "payment.settled")
    # Settlement, a refund or a reversal all imply the payment went through, even when its
    # success event has not arrived yet.
    evidence = [e.occurred_at for e in unique if e.type != "payment.failed"]
    succeeded = min(evidence) if evidence else None
    failures = [e for e in unique if e.type == "payment.failed"]
    return Payment(
        transaction_id=first.transaction_id,
        merchant_id=first.merchant_id,
        order_id=next((e.order_id for e in unique if e.order_id), None),
        amount_fen=first.amount_fen,
        currency=first.currency,
        succeeded_at=succeeded,
        settled_at=settled,
        failed_at=min((e.occurred_at for e in failures), default=None),
        reversed_at=_first(unique, "payment.reversed"),
        refunds=_refunds(unique),
        failure_reason=failures[0].failure_reason if failures else None,
    )


def parse_event(body: Any) -> PaymentEvent:
    """A payment-platform webhook body; ValidationFailed names every bad field."""
    problems = v.Problems()
    data: Mapping[str, Any] = v.require_object(body, problems)
    v.reject_unknown(data, ("id", "type", "occurred_at", "data"), problems)
    event_id = v.text(
        data, "id", problems, required=True, max_len=limits.EVENT_ID, pattern=REFERENCE
    )
    kind = v.choice(data, "type", EVENT_TYPES, problems, required=True)
    occurred = v.timestamp(data, "occurred_at", problems, required=True)
    inner = v.require_object(data.get("data"), problems, "data")
    allowed = (
        "transaction_id",
        "merchant_id",
        "order_id",
        "amount_fen",
        "currency",
        "refund_id",
        "refund_amount_fen",
        "failure_reason",
    )
    v.reject_unknown(inner, allowed, problems, "data.")
    refs = {
        key: v.text(
            inner,
            key,
            problems,
            field=f"data.{key}",
            required=key != "order_id",
            max_len=limits.REFERENCE,
            pattern=REFERENCE,
        )
        for key in ("transaction_id", "merchant_id", "order_id")
    }
    amount = v.integer(
        inner,
        "amount_fen",
        problems,
        field="data.amount_fen",
        required=True,
        minimum=1,
        maximum=MAX_AMOUNT_FEN,
    )
    currency = v.choice(inner, "currency", ("CNY",), problems, field="data.currency", default="CNY")
    is_refund = bool(kind and kind.startswith("refund."))
    refund_id = v.text(
        inner,
        "refund_id",
        problems,
        field="data.refund_id",
        required=is_refund,
        max_len=limits.REFERENCE,
        pattern=REFERENCE,
    )
    refund_amount = v.integer(
        inner,
        "refund_amount_fen",
        problems,
        field="data.refund_amount_fen",
        required=is_refund,
        minimum=1,
        maximum=MAX_AMOUNT_FEN,
    )
    reason = v.text(
        inner,
        "failure_reason",
        problems,
        field="data.failure_reason",
        max_len=limits.FAILURE_REASON,
    )
    if problems or not (event_id and kind and occurred and amount):
        raise ValidationFailed(problems.fields)
    return PaymentEvent(
        event_id=event_id,
        type=kind,
        occurred_at=occurred,
        transaction_id=str(refs["transaction_id"]),
        merchant_id=str(refs["merchant_id"]),
        order_id=refs["order_id"],
        amount_fen=amount,
        currency=currency or "CNY",
        refund_id=refund_id,
        refund_amount_fen=refund_amount,
        failure_reason=reason,
    )
