"""The payment ledger: the same events in any order, repeated or not, give the same payment; and
the merchant's verdict and expected settlement date from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.ledger import PaymentEvent, PaymentStatus, fold, parse_event
from chalicelib.domain.verdicts import Verdict, expected_settlement, verdict
from tests.builders import SHANGHAI

PAID = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def ev(kind: str, minutes: int, event_id: str | None = None, **extra: Any) -> PaymentEvent:
    return PaymentEvent(
        event_id=event_id or f"evt-{kind}-{minutes}-{extra.get('refund_id', '')}",
        type=kind,
        occurred_at=PAID + timedelta(minutes=minutes),
        transaction_id="TX1",
        merchant_id="M100001",
        order_id="ORD-1",
        amount_fen=10_000,
        **extra,
    )


# One payment's life, with everything that makes ordering hard: a settlement, a refund the
# platform reported twice under two event ids, a refund that failed and then went through on a
# retry, a partial refund that failed for good, and a reversal.
HISTORY = (
    ev("payment.succeeded", 0),
    ev("payment.settled", 60 * 24),
    ev("refund.succeeded", 60 * 30, refund_id="RF-1", refund_amount_fen=2_000),
    ev("refund.succeeded", 60 * 31, event_id="evt-dup", refund_id="RF-1", refund_amount_fen=2_000),
    ev("refund.failed", 60 * 32, refund_id="RF-2", refund_amount_fen=3_000, failure_reason="x"),
    ev("refund.succeeded", 60 * 33, refund_id="RF-2", refund_amount_fen=3_000),
    ev("refund.failed", 60 * 34, refund_id="RF-3", refund_amount_fen=500, failure_reason="y"),
    ev("payment.reversed", 60 * 40),
)


@given(
    st.lists(st.sampled_from(range(len(HISTORY))), min_size=1, max_size=20).flatmap(
        lambda picked: st.permutations(picked)
    )
)
def test_any_order_and_any_repeats_of_the_same_events_give_the_same_payment(
    order: list[int],
) -> None:
    # GIVEN some of one payment's events, arriving in any order, some of them more than once
    arrived = [HISTORY[i] for i in order]
    # WHEN they are folded as they arrive
    folded = fold(arrived)
    # THEN the payment is the one their set describes, whatever the order
    reference = fold(sorted(set(arrived), key=lambda e: e.order))
    assert folded == reference
    assert fold(reversed(arrived)) == reference


@given(st.permutations(list(HISTORY)))
def test_every_permutation_of_the_whole_history_ends_reversed(order: list[PaymentEvent]) -> None:
    payment = fold(order)
    assert payment.status is PaymentStatus.REVERSED
    assert payment.refunded_fen == 5_000  # RF-1 once, RF-2 on its retry, never RF-3
    assert payment.succeeded_at == PAID and payment.settled_at == PAID + timedelta(days=1)


def test_a_settlement_before_the_success_event_counts_as_paid() -> None:
    settled_first = fold([ev("payment.settled", 60 * 24)])
    assert settled_first.status is PaymentStatus.SETTLED
    both = fold([ev("payment.settled", 60 * 24), ev("payment.succeeded", 0)])
    assert (both.status, both.succeeded_at) == (PaymentStatus.SETTLED, PAID)


def test_a_duplicate_refund_is_counted_once() -> None:
    refund = {"refund_id": "RF-1", "refund_amount_fen": 10_000}
    payment = fold(
        [
            ev("payment.succeeded", 0),
            ev("refund.succeeded", 5, event_id="a", **refund),
            ev("refund.succeeded", 6, event_id="b", **refund),
        ]
    )
    assert payment.refunded_fen == 10_000 and len(payment.refunds) == 1
    assert payment.status is PaymentStatus.REFUNDED


def test_a_partial_refund_leaves_the_payment_settled() -> None:
    payment = fold(
        [
            ev("payment.succeeded", 0),
            ev("payment.settled", 60),
            ev("refund.succeeded", 90, refund_id="RF-1", refund_amount_fen=2_500),
        ]
    )
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.SETTLED, 2_500)


def test_a_reversal_after_settlement_wins() -> None:
    payment = fold(
        [ev("payment.reversed", 90), ev("payment.succeeded", 0), ev("payment.settled", 60)]
    )
    assert payment.status is PaymentStatus.REVERSED
    assert verdict(payment, 10_000) is Verdict.REFUNDED


def test_a_failed_payment_stays_failed_until_money_moves() -> None:
    failed = fold([ev("payment.failed", 0, failure_reason="余额不足")])
    assert (failed.status, failed.failure_reason) == (PaymentStatus.FAILED, "余额不足")
    assert verdict(failed, 10_000) is Verdict.FAILED
    retried = fold([ev("payment.failed", 0), ev("payment.succeeded", 5)])
    assert retried.status is PaymentStatus.SUCCEEDED


def test_fold_needs_an_event() -> None:
    with pytest.raises(ValueError, match="at least one event"):
        fold([])


# -- verdicts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "asked", "expected"),
    [
        ((), 10_000, Verdict.NOT_FOUND),
        (("payment.succeeded",), 10_000, Verdict.PENDING_SETTLEMENT),
        (("payment.succeeded", "payment.settled"), 10_000, Verdict.SETTLED),
        (("payment.succeeded", "payment.settled"), 9_999, Verdict.AMOUNT_MISMATCH),
        (("payment.failed",), 10_000, Verdict.FAILED),
        (("payment.succeeded", "payment.reversed"), 10_000, Verdict.REFUNDED),
    ],
)
def test_verdicts(events: tuple[str, ...], asked: int, expected: Verdict) -> None:
    payment = fold([ev(kind, n) for n, kind in enumerate(events)]) if events else None
    assert verdict(payment, asked) is expected


@pytest.mark.parametrize(
    ("paid_local", "due_date"),
    [
        (datetime(2026, 11, 27, 15, 0), "2026-11-30"),  # Friday -> Monday
        (datetime(2026, 9, 30, 11, 0), "2026-10-08"),  # before the National Day holiday
        (datetime(2026, 10, 9, 11, 0), "2026-10-10"),  # Saturday 10 October is a workday
        (datetime(2026, 11, 23, 20, 0), "2026-11-24"),  # paid after business hours: still T+1
        (datetime(2026, 11, 27, 19, 0), "2026-11-30"),  # Friday evening -> Monday
        (datetime(2026, 11, 28, 11, 0), "2026-11-30"),  # paid on a Saturday -> Monday
        (datetime(2026, 11, 24, 0, 30), "2026-11-25"),  # just after midnight: its own day is T
    ],
)
def test_expected_settlement_is_the_next_working_day(paid_local: datetime, due_date: str) -> None:
    paid = paid_local.replace(tzinfo=SHANGHAI).astimezone(UTC)
    payment = fold(
        [
            PaymentEvent("e1", "payment.succeeded", paid, "TX1", "M100001", None, 100),
        ]
    )
    due = expected_settlement(payment, WorkingCalendar.shipped())
    assert due is not None and due.astimezone(SHANGHAI).date().isoformat() == due_date
    settled = fold([ev("payment.settled", 0)])
    assert expected_settlement(settled, WorkingCalendar.shipped()) is None


# -- parsing ----------------------------------------------------------------------------------


def _body(**data: Any) -> dict[str, Any]:
    return {
        "id": "evt_1",
        "type": "payment.succeeded",
        "occurred_at": "2026-11-23T02:00:00Z",
        "data": {"transaction_id": "TX1", "merchant_id": "M100001", "amount_fen": 100, **data},
    }


def test_parse_event_reads_a_valid_body() -> None:
    event = parse_event(_body(order_id="ORD-1"))
    assert (event.event_id, event.type, event.order_id, event.currency) == (
        "evt_1",
        "payment.succeeded",
        "ORD-1",
        "CNY",
    )
    assert event.occurred_at == PAID


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "payment.maybe"}, "type"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"id": ""}, "id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_parse_event_names_bad_top_level_fields(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as failed:
        parse_event({**_body(), **change})
    assert field in failed.value.fields


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount_fen": 0}, "data.amount_fen"),
        ({"currency": "USD"}, "data.currency"),
        ({"transaction_id": "bad id with spaces"}, "data.transaction_id"),
        ({"surprise": True}, "data.surprise"),
    ],
)
def test_parse_event_names_bad_data_fields(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as failed:
        parse_event(_body(**data))
    assert field in failed.value.fields


def test_a_refund_event_needs_its_refund_fields() -> None:
    with pytest.raises(ValidationFailed) as failed:
        parse_event({**_body(), "type": "refund.failed"})
    assert {"data.refund_id", "data.refund_amount_fen"} <= set(failed.value.fields)
