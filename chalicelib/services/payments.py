"""Payment-platform events: the ledger they keep, and who hears about them.

`PaymentEvents.ingest` (the webhook) records an event once, by its id, in one transaction with
the outbox event of what changed. `PaymentEffects` (an outbox consumer) then tells the customers
whose open cases are about the payment, reopens a case whose refund failed, resolves a
merchant-settlement case the settlement answered, and answers merchants' open queries.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib import observability
from chalicelib.domain import lifecycle
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Case, Visibility
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import ValidationFailed, VersionConflict
from chalicelib.domain.ledger import Payment, PaymentEvent, fold, parse_event
from chalicelib.domain.lifecycle import Entry, Notice, Step
from chalicelib.domain.outbox import EventKind, OutboxEvent, PaymentPayload, Subject
from chalicelib.domain.policy import Category
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.domain.verdicts import (
    STILL_OPEN,
    PaymentQuery,
    Verdict,
    expected_settlement,
    payment_refs,
    verdict,
)
from chalicelib.services import events, keys
from chalicelib.services.changes import Changes, KeyClaim, PaymentRecord
from chalicelib.services.ports import DeskStore, KeyTaken, PaymentStore
from chalicelib.services.signatures import WebhookSignatures
from chalicelib.services.steps import StepWriter

EVENT_KEY_TTL = timedelta(days=90)
# A fact that answers merchants' queries but tells a complaining customer nothing new.
_MERCHANT_FACTS = frozenset({"payment_settled"})
# Facts the customer's timeline shows without a message of their own.
_TIMELINE_ONLY = frozenset({"payment_failed"})
_ATTEMPTS = 3


def facts(before: Payment | None, after: Payment) -> list[str]:
    """What an event changed that someone must hear about."""
    out = []
    was_paid = before is not None and before.succeeded_at is not None
    if after.succeeded_at is not None and not was_paid:
        out.append("payment_confirmed")
    if after.settled_at is not None and (before is None or before.settled_at is None):
        out.append("payment_settled")
    if after.failed_at is not None and (before is None or before.failed_at is None):
        out.append("payment_failed")
    if after.reversed_at is not None and (before is None or before.reversed_at is None):
        out.append("payment_reversed")
    seen = {(r.refund_id, r.succeeded) for r in (before.refunds if before else ())}
    for refund in after.refunds:
        if (refund.refund_id, refund.succeeded) not in seen:
            state = "succeeded" if refund.succeeded else "failed"
            out.append(f"refund_{state}:{refund.refund_id}")
    return out


class PaymentEvents:
    def __init__(
        self, store: DeskStore, payments: PaymentStore, signatures: WebhookSignatures, clock: Clock
    ) -> None:
        self._store = store
        self._payments = payments
        self._signatures = signatures
        self._clock = clock

    def ingest(self, signature: str | None, raw: bytes) -> dict[str, Any]:
        """Verify, parse and record one webhook call. A repeated event id changes nothing."""
        self._signatures.verify(signature, raw)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ValidationFailed({"body": "is not valid JSON"}) from None
        event = parse_event(body)
        for _ in range(_ATTEMPTS):
            try:
                return {"received": True, "duplicate": not self.record(event)}
            except VersionConflict:
                continue  # another event of the payment landed first; fold again
        raise VersionConflict("The payment kept changing; send the event again.")

    def record(self, event: PaymentEvent) -> bool:
        """Add a verified event to its payment's ledger; False when it was already there.
        Raises VersionConflict when another event of the payment landed first."""
        record = self._payments.get_payment(event.transaction_id)
        known = record.events if record else ()
        if any(e.event_id == event.event_id for e in known):
            return False
        before = fold(known) if known else None
        after = fold((*known, event))
        now = self._clock.now()
        changes = Changes(
            now=now,
            claims=[
                KeyClaim(
                    keys.payment_event_key(event.event_id),
                    {"transaction_id": event.transaction_id},
                    now + EVENT_KEY_TTL,
                )
            ],
            payments=[
                PaymentRecord(
                    event.transaction_id, (*known, event), record.version if record else 0
                )
            ],
        )
        changed = facts(before, after)
        if changed:
            changes.events.append(
                OutboxEvent(
                    subject=Subject.payment(event.transaction_id),
                    event_id=f"{event.event_id}:payment",
                    kind=EventKind.PAYMENT,
                    name="payment_changed",
                    payload=PaymentPayload(event.transaction_id, tuple(changed), event.event_id),
                    created_at=now,
                )
            )
        try:
            self._store.commit(changes)
        except KeyTaken:
            return False
        observability.count("WebhookEvents", type=event.type)
        return True


def customer_facts(changed: list[str]) -> list[str]:
    """The facts a customer hears of, each once: a refund or a reversal reported of a payment
    not yet known to have succeeded implies that it did, but the customer is told of the refund
    (or reversal) alone, not also, in a second message, that the payment was confirmed."""
    told = [f for f in changed if f not in _MERCHANT_FACTS]
    if any(f.startswith("refund_") or f == "payment_reversed" for f in told):
        told = [f for f in told if f != "payment_confirmed"]
    return told


def _customer_notice(
    fact: str,
    case: Case,
    payment: Payment,
    merchant_name: str | None,
    calendar: WorkingCalendar,
) -> Notice:
    """What the customer is told of a fact about their payment: what is known, no more (a
    payment that succeeded is not yet settled: the merchant receives it by the T+1 date)."""
    base = {"case_number": case.case_number, "category": case.category.value}
    kind, _, refund_id = fact.partition(":")
    if kind.startswith("refund_"):
        refund = next(r for r in payment.refunds if r.refund_id == refund_id)
        return Notice(
            kind,
            {
                **base,
                "amount_fen": refund.amount_fen,
                "refund_id": refund_id,
                "failure_reason": refund.failure_reason,
            },
        )
    if kind == "payment_reversed":
        return Notice("payment_reversed", {**base, "amount_fen": payment.amount_fen})
    if kind == "payment_failed":
        return Notice(
            "payment_failed",
            {**base, "amount_fen": payment.amount_fen, "failure_reason": payment.failure_reason},
        )
    expected = expected_settlement(payment, calendar)
    return Notice(
        "payment_confirmed",
        {
            **base,
            "amount_fen": payment.amount_fen,
            "merchant_name": merchant_name,
            "transaction_id": payment.transaction_id,
            "settled": payment.settled_at is not None,
            "expected_settlement_by": to_rfc3339(expected) if expected else None,
        },
    )


def _timeline_entry(notice: Notice) -> Entry:
    """The fact on the customer's timeline, once (the same facts as the message)."""
    keep = ("amount_fen", "refund_id", "settled", "expected_settlement_by", "failure_reason")
    data = {k: notice.params[k] for k in keep if notice.params.get(k) is not None}
    return Entry(notice.event, Visibility.PUBLIC, "system", None, data)


class PaymentEffects:
    def __init__(
        self,
        store: DeskStore,
        payments: PaymentStore,
        writer: StepWriter,
        clock: Clock,
        merchant_name: Callable[[str], str | None],
    ) -> None:
        self._store = store
        self._payments = payments
        self._writer = writer
        self._clock = clock
        self._merchant_name = merchant_name

    def handle(self, event: OutboxEvent) -> None:
        payload = event.payload_as(PaymentPayload)
        record = self._payments.get_payment(payload.transaction_id)
        if record is None:
            return
        payment = fold(record.events)
        changed = list(payload.facts)
        marker = f"payment@{payload.event_id or event.event_id}"
        name = self._merchant_name(payment.merchant_id)
        cases = self._payments.cases_of_payment(
            payment.transaction_id, payment.merchant_id, payment.order_id
        )
        for case in cases:
            # A merchant-settlement case's contact is the merchant: its query answers it.
            if case.is_open and case.category is not Category.MERCHANT_SETTLEMENT:
                self._writer.apply(case.case_id, self._step(payment, changed, marker, name))
        self._answer_queries(payment)

    def _step(
        self, payment: Payment, changed: list[str], marker: str, name: str | None
    ) -> Callable[[Case, datetime], Step]:
        """Tell the customer what changed; a failed refund also reopens the investigation."""

        def act(case: Case, now: datetime) -> Step:
            if marker in case.sla_fired:  # a repeated delivery of this event: already told
                return Step(case)
            step = Step(replace(case, sla_fired=case.sla_fired | {marker}))
            for fact in customer_facts(changed):
                notice = _customer_notice(fact, case, payment, name, self._writer.calendar)
                entries = (*step.entries, _timeline_entry(notice))
                notices = step.notices if fact in _TIMELINE_ONLY else (*step.notices, notice)
                step = Step(step.case, entries, notices)
                kind, _, refund_id = fact.partition(":")
                if kind == "refund_failed":
                    refund = next(r for r in payment.refunds if r.refund_id == refund_id)
                    step = step.then(
                        lifecycle.reopen_after_failed_refund(
                            step.case, refund_id, refund.failure_reason, now, self._writer.calendar
                        )
                    )
            return step

        return act

    def _answer_queries(self, payment: Payment) -> None:
        for ref in payment_refs(payment.merchant_id, payment.transaction_id, payment.order_id):
            for query in self._payments.open_queries(ref):
                self._answer(query, payment)

    def _answer(self, query: PaymentQuery, payment: Payment) -> None:
        if query.merchant_id != payment.merchant_id:
            return  # never tell one merchant about another's payment
        now = self._clock.now()
        answer = verdict(payment, query.amount_fen)
        if answer == query.verdict:
            return
        updated = replace(query, verdict=answer, open=answer in STILL_OPEN, updated_at=now)
        expected = (
            expected_settlement(payment, self._writer.calendar)
            if answer is Verdict.PENDING_SETTLEMENT
            else None
        )
        params = {
            "query_id": query.query_id,
            "transaction_id": payment.transaction_id,
            "order_id": payment.order_id,
            "amount_fen": payment.amount_fen,
            "case_number": query.case_number,
            "verdict": answer.value,
            "expected_settlement_by": to_rfc3339(expected) if expected else None,
        }
        notice = events.notify_merchant(
            query.merchant_id,
            Subject.query(query.query_id),
            "merchant_settlement_found" if answer is Verdict.SETTLED else "merchant_query_answered",
            params,
            now,
            key=f"{query.query_id}:{answer.value}",
        )
        if query.case_id:  # first, so a retry after a failed commit still reaches the case
            marker = f"query@{query.query_id}:{answer.value}"
            self._writer.apply(
                query.case_id,
                lambda c, at: lifecycle.payment_found(
                    c, answer.value, marker, at, self._writer.calendar
                ),
            )
        self._store.commit(Changes(now=now, queries=[updated], events=[notice]))
