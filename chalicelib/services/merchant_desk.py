"""What a signed-in merchant can do: ask whether a payment reached it, and follow and answer the
cases that name it. A merchant sees only its own payments, queries and cases; anything else is
404, exactly as if it did not exist."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib import observability
from chalicelib.domain import lifecycle, limits
from chalicelib.domain import validation as v
from chalicelib.domain.case import Case, Status, TimelineEntry
from chalicelib.domain.clock import Clock
from chalicelib.domain.complaint import (
    MAX_AMOUNT_FEN,
    MERCHANT_QUERY_CHANNEL,
    REFERENCE,
    ComplaintRequest,
    PaymentRef,
)
from chalicelib.domain.contact import Contact, redact
from chalicelib.domain.errors import DuplicateOpenCase, NotFound, ValidationFailed
from chalicelib.domain.ids import is_ulid, new_ulid
from chalicelib.domain.ledger import Payment, fold
from chalicelib.domain.outbox import Subject
from chalicelib.domain.policy import Category
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.domain.verdicts import (
    OPENS_CASE,
    STILL_OPEN,
    PaymentQuery,
    Verdict,
    expected_settlement,
    verdict,
)
from chalicelib.services import cursors, events, presenters
from chalicelib.services.changes import Changes, PaymentRecord
from chalicelib.services.complaints import ComplaintService
from chalicelib.services.entities import Merchant
from chalicelib.services.idempotency import Once, extra_claims
from chalicelib.services.merchant_texts import case_description, forgery_warning
from chalicelib.services.ports import DeskStore, PaymentStore
from chalicelib.services.steps import StepWriter

# What a merchant may see of a case's history: its steps, and its own answers.
_MERCHANT_ENTRIES = frozenset(
    {
        "submitted",
        "accepted",
        "payment_found",
        "status_changed",
        "merchant_response",
        "second_review_opened",
        "second_review_decided",
    }
)


@dataclass(frozen=True)
class QueryRequest:
    transaction_id: str | None
    order_id: str | None
    amount_fen: int
    paid_at: datetime | None
    note: str | None


def parse_query(body: Any) -> QueryRequest:
    problems = v.Problems()
    data: Mapping[str, Any] = v.require_object(body, problems)
    v.reject_unknown(
        data, ("transaction_id", "order_id", "amount_fen", "paid_at", "note"), problems
    )
    transaction_id = v.text(
        data, "transaction_id", problems, max_len=limits.REFERENCE, pattern=REFERENCE
    )
    order_id = v.text(data, "order_id", problems, max_len=limits.REFERENCE, pattern=REFERENCE)
    amount = v.integer(
        data, "amount_fen", problems, required=True, minimum=1, maximum=MAX_AMOUNT_FEN
    )
    paid_at = v.timestamp(data, "paid_at", problems)
    note = v.text(data, "note", problems, max_len=limits.PAYMENT_QUERY_NOTE, multiline=True)
    if not transaction_id and not order_id and "transaction_id" not in problems.fields:
        problems.add("transaction_id", "or order_id is required")
    if problems or amount is None:
        raise ValidationFailed(problems.fields)
    return QueryRequest(transaction_id, order_id, amount, paid_at, note)


def _merchant_contact(merchant: Merchant) -> Contact:
    """A merchant-settlement case's contact: the merchant, in its own language."""
    return Contact(
        phone=merchant.phone,
        email=merchant.email,
        language=merchant.language,
        channels=("email", "sms"),
    )


class MerchantDesk:
    def __init__(
        self,
        store: DeskStore,
        payments: PaymentStore,
        complaints: ComplaintService,
        writer: StepWriter,
        clock: Clock,
        cursor_key: bytes,
    ) -> None:
        self._store = store
        self._payments = payments
        self._complaints = complaints
        self._writer = writer
        self._clock = clock
        self._cursor_key = cursor_key

    # -- payment confirmation queries ----------------------------------------------------------

    def ask(self, merchant: Merchant, body: Any, once: Once | None = None) -> dict[str, Any]:
        """Did this payment reach the merchant? Answered from the ledger at once; a query that a
        later event may still answer stays open, and a missing or different payment opens a
        merchant-settlement case. With `once`, the answer is stored in the query's own
        transaction."""
        request = parse_query(body)
        now = self._clock.now()
        payment = self._payment_of(merchant.merchant_id, request)
        answer = verdict(payment, request.amount_fen)
        query = PaymentQuery(
            query_id=new_ulid(now),
            merchant_id=merchant.merchant_id,
            transaction_id=request.transaction_id or (payment.transaction_id if payment else None),
            order_id=request.order_id or (payment.order_id if payment else None),
            amount_fen=request.amount_fen,
            paid_at=request.paid_at,
            note=request.note,
            verdict=answer,
            created_at=now,
            updated_at=now,
            open=answer in STILL_OPEN,
        )
        if answer in OPENS_CASE:
            query = self._with_case(merchant, query, payment, now, once)
            observability.count("PaymentQueries", verdict=answer.value)
            return self._present_query(query, payment, merchant.language)
        expected = self._expected(query, payment)
        notice = _answered_notice(query, now, expected)
        presented = self._present_query(query, payment, merchant.language)
        claims = extra_claims(once, presented, now)
        self._store.commit(Changes(now=now, queries=[query], events=[notice], claims=claims))
        observability.count("PaymentQueries", verdict=answer.value)
        return presented

    def query(self, merchant: Merchant, query_id: str) -> dict[str, Any]:
        query = self._payments.get_query(query_id) if is_ulid(query_id) else None
        if query is None or query.merchant_id != merchant.merchant_id:
            raise NotFound()
        payment = self._payment_of(
            merchant.merchant_id,
            QueryRequest(query.transaction_id, query.order_id, query.amount_fen, None, None),
        )
        return self._present_query(query, payment, merchant.language)

    def _payment_of(self, merchant_id: str, request: QueryRequest) -> Payment | None:
        """The merchant's own payment the query names; another merchant's does not exist."""
        record: PaymentRecord | None = None
        if request.transaction_id:
            record = self._payments.get_payment(request.transaction_id)
        elif request.order_id:
            record = self._payments.payment_by_order(merchant_id, request.order_id)
        if record is None or not record.events:
            return None
        payment = fold(record.events)
        if payment.merchant_id != merchant_id:
            return None
        if request.order_id and payment.order_id and payment.order_id != request.order_id:
            return None  # the transaction is not the order the merchant asked about
        return payment

    def _with_case(
        self,
        merchant: Merchant,
        query: PaymentQuery,
        payment: Payment | None,
        now: datetime,
        once: Once | None,
    ) -> PaymentQuery:
        """Save the query with the merchant-settlement case that checks it: a new one, or the
        open case of an earlier query about the same payment."""
        existing = self._open_case_for(query)
        if existing is not None:
            return self._save_with(query, payment, existing, now, once, merchant.language)
        request = ComplaintRequest(
            category=Category.MERCHANT_SETTLEMENT,
            description=case_description(query, payment, merchant.language),
            contact=_merchant_contact(merchant),
            payment=PaymentRef(
                transaction_id=query.transaction_id,
                merchant_id=merchant.merchant_id,
                order_id=query.order_id,
                amount_fen=query.amount_fen,
                paid_at=query.paid_at,
            ),
            channel=MERCHANT_QUERY_CHANNEL,
        )
        saved: list[PaymentQuery] = []

        def add_query(case: Case, changes: Changes) -> None:
            linked = replace(query, case_id=case.case_id, case_number=case.case_number)
            changes.queries.append(linked)
            changes.events.append(_answered_notice(linked, now))
            presented = self._present_query(linked, payment, merchant.language)
            changes.claims += extra_claims(once, presented, now)
            saved.append(linked)

        try:
            self._complaints.open_case(request, now, extra=add_query)
        except DuplicateOpenCase as duplicate:
            if duplicate.case_id is None:
                raise
            case = self._writer.load(duplicate.case_id)
            return self._save_with(query, payment, case, now, once, merchant.language)
        return saved[-1]

    def _open_case_for(self, query: PaymentQuery) -> Case | None:
        for ref in query.refs:
            for earlier in self._payments.open_queries(ref):
                if earlier.merchant_id != query.merchant_id or not earlier.case_id:
                    continue
                case = self._store.get_case(earlier.case_id)
                if case is not None and case.is_open:
                    return case
        return None

    def _save_with(
        self,
        query: PaymentQuery,
        payment: Payment | None,
        case: Case,
        now: datetime,
        once: Once | None,
        language: str,
    ) -> PaymentQuery:
        linked = replace(query, case_id=case.case_id, case_number=case.case_number)
        claims = extra_claims(once, self._present_query(linked, payment, language), now)
        notice = _answered_notice(linked, now)
        self._store.commit(Changes(now=now, queries=[linked], events=[notice], claims=claims))
        return linked

    def _expected(self, query: PaymentQuery, payment: Payment | None) -> datetime | None:
        if payment is None or query.verdict is not Verdict.PENDING_SETTLEMENT:
            return None
        return expected_settlement(payment, self._writer.calendar)

    def _present_query(
        self, query: PaymentQuery, payment: Payment | None, language: str
    ) -> dict[str, Any]:
        expected = self._expected(query, payment)
        return {
            "query_id": query.query_id,
            "verdict": query.verdict.value,
            "open": query.open,
            "transaction_id": query.transaction_id,
            "order_id": query.order_id,
            "amount_fen": query.amount_fen,
            "paid_at": to_rfc3339(query.paid_at) if query.paid_at else None,
            "note": query.note,
            "payment": payment.public() if payment is not None else None,
            "expected_settlement_by": to_rfc3339(expected) if expected else None,
            "case_id": query.case_id,
            "case_number": query.case_number,
            "warning": forgery_warning(language) if query.verdict in OPENS_CASE else None,
            "created_at": to_rfc3339(query.created_at),
            "updated_at": to_rfc3339(query.updated_at),
        }

    # -- cases that name the merchant ----------------------------------------------------------

    def cases(self, merchant: Merchant, params: Mapping[str, str | None]) -> dict[str, Any]:
        scope = f"merchant-cases:{merchant.merchant_id}"
        found, last = self._store.cases_of_merchant(
            merchant.merchant_id,
            cursors.page_limit(params.get("limit")),
            cursors.decode(params.get("cursor"), self._cursor_key, scope),
        )
        return {
            "items": [self._summary(c) for c in found if c.merchant_id == merchant.merchant_id],
            "next_cursor": cursors.encode(last, self._cursor_key, scope),
        }

    def case(self, merchant: Merchant, case_id: str) -> dict[str, Any]:
        case = self._own_case(merchant, case_id)
        return self._present_case(case)

    def respond(
        self, merchant: Merchant, case_id: str, body: Any, once: Once | None = None
    ) -> dict[str, Any]:
        """The merchant's answer; an awaited answer sends the case back to investigation. A
        repeat under the same `once` (its Idempotency-Key, or the signed request's nonce)
        records nothing again."""
        problems = v.Problems()
        data = v.require_object(body, problems)
        v.reject_unknown(data, ("text",), problems)
        text = v.text(data, "text", problems, required=True, max_len=limits.MESSAGE, multiline=True)
        if problems or text is None:
            raise ValidationFailed(problems.fields)
        self._own_case(merchant, case_id)
        merchant_id = merchant.merchant_id

        def act(case: Case, now: datetime) -> lifecycle.Step:
            return lifecycle.merchant_response(case, merchant_id, text, now, self._writer.calendar)

        case, _ = self._writer.apply(case_id, act, idempotency=once, respond=lambda c, ch: {})
        return self._present_case(case)

    def _own_case(self, merchant: Merchant, case_id: str) -> Case:
        case = self._writer.load(case_id)
        if case.merchant_id != merchant.merchant_id:
            raise NotFound()
        return case

    def _summary(self, case: Case) -> dict[str, Any]:
        respond_by = None
        if case.merchant_run is not None and case.status is Status.WAITING_MERCHANT:
            due = case.merchant_run.due(self._writer.calendar)
            respond_by = to_rfc3339(due) if due else None
        return {
            "case_id": case.case_id,
            "case_number": case.case_number,
            "status": case.status.value,
            "category": case.category.value,
            "payment": presenters.payment(case.payment),
            "respond_by": respond_by,
            "created_at": to_rfc3339(case.created_at),
            "updated_at": to_rfc3339(case.updated_at),
        }

    def _present_case(self, case: Case) -> dict[str, Any]:
        entries = self._store.timeline(case.case_id, include_internal=True)
        return {
            **self._summary(case),
            # A customer's card, account or phone numbers and addresses are not the merchant's
            # to read: "never expose a payer's payment details to others".
            "description": redact(case.description),
            "timeline": [
                _merchant_entry(e)
                for e in entries
                if e.type in _MERCHANT_ENTRIES
                and (e.type != "merchant_response" or e.actor == f"merchant:{case.merchant_id}")
            ],
        }


def _merchant_entry(entry: TimelineEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"at": to_rfc3339(entry.at), "type": entry.type}
    if "to" in entry.data:
        out["status"] = entry.data["to"]
    if "verdict" in entry.data:
        out["verdict"] = entry.data["verdict"]
    if entry.type == "merchant_response":
        out["text"] = entry.text
    return out


def _answered_notice(query: PaymentQuery, now: datetime, expected: datetime | None = None) -> Any:
    return events.notify_merchant(
        query.merchant_id,
        Subject.query(query.query_id),
        "merchant_query_answered",
        {
            "query_id": query.query_id,
            "verdict": query.verdict.value,
            "transaction_id": query.transaction_id,
            "order_id": query.order_id,
            "amount_fen": query.amount_fen,
            "case_number": query.case_number,
            "expected_settlement_by": to_rfc3339(expected) if expected else None,
        },
        now,
        key=f"{query.query_id}:{query.verdict.value}",
    )
