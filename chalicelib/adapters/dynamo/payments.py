"""The payment ledger and merchants' payment queries on DynamoDB."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.dynamo.mapping import case_from_model, plain
from chalicelib.adapters.dynamo.models import CaseModel, PaymentModel, QueryModel
from chalicelib.adapters.errors import aws_call
from chalicelib.domain.case import Case
from chalicelib.domain.complaint import order_ref
from chalicelib.domain.ledger import PaymentEvent, fold
from chalicelib.domain.timefmt import parse_rfc3339, to_rfc3339
from chalicelib.domain.verdicts import PaymentQuery, Verdict
from chalicelib.services.changes import PaymentRecord


def event_to_map(event: PaymentEvent) -> dict[str, Any]:
    data = asdict(event)
    data["occurred_at"] = to_rfc3339(event.occurred_at)
    return {k: v for k, v in data.items() if v is not None}


def event_from_map(data: dict[str, Any]) -> PaymentEvent:
    refund_amount = data.get("refund_amount_fen")
    return PaymentEvent(
        event_id=data["event_id"],
        type=data["type"],
        occurred_at=parse_rfc3339(data["occurred_at"]),
        transaction_id=data["transaction_id"],
        merchant_id=data["merchant_id"],
        order_id=data.get("order_id"),
        amount_fen=int(data["amount_fen"]),
        currency=data.get("currency", "CNY"),
        refund_id=data.get("refund_id"),
        refund_amount_fen=int(refund_amount) if refund_amount is not None else None,
        failure_reason=data.get("failure_reason"),
    )


def payment_to_model(record: PaymentRecord) -> PaymentModel:
    payment = fold(record.events)
    model = PaymentModel(
        record.transaction_id,
        merchant_id=payment.merchant_id,
        order_ref=order_ref(payment.merchant_id, payment.order_id) if payment.order_id else None,
        events=[event_to_map(e) for e in record.events],
        status=payment.status.value,
        updated_at=max(e.occurred_at for e in record.events),
    )
    if record.version:
        model.version = record.version  # PynamoDB checks it and writes the next one
    return model


def payment_from_model(model: PaymentModel) -> PaymentRecord:
    events = tuple(event_from_map(plain(e)) for e in model.events)
    return PaymentRecord(model.transaction_id, events, int(model.version or 0))


def query_to_model(query: PaymentQuery) -> QueryModel:
    refs = query.refs
    return QueryModel(
        query.query_id,
        merchant_id=query.merchant_id,
        transaction_id=query.transaction_id,
        order_id=query.order_id,
        amount_fen=query.amount_fen,
        paid_at=query.paid_at,
        note=query.note,
        verdict=query.verdict.value,
        created_at=query.created_at,
        updated_at=query.updated_at,
        case_id=query.case_id,
        case_number=query.case_number,
        open_ref=refs[0] if query.open and refs else None,
    )


def query_from_model(m: QueryModel) -> PaymentQuery:
    return PaymentQuery(
        query_id=m.query_id,
        merchant_id=m.merchant_id,
        transaction_id=m.transaction_id,
        order_id=m.order_id,
        amount_fen=int(m.amount_fen),
        paid_at=m.paid_at,
        note=m.note,
        verdict=Verdict(m.verdict),
        created_at=m.created_at,
        updated_at=m.updated_at,
        case_id=m.case_id,
        case_number=m.case_number,
        open=m.open_ref is not None,
    )


class DynamoPaymentStore:
    """The payment ledger and merchants' queries: reads (their writes go through the desk
    store's one transaction, with the change they belong to)."""

    def get_payment(self, transaction_id: str) -> PaymentRecord | None:
        try:
            with aws_call("dynamodb"):
                model = PaymentModel.get(transaction_id, consistent_read=True)
        except DoesNotExist:
            return None
        return payment_from_model(model)

    def payment_by_order(self, merchant_id: str, order_id: str) -> PaymentRecord | None:
        with aws_call("dynamodb"):
            hits = list(PaymentModel.order_index.query(order_ref(merchant_id, order_id), limit=1))
        return self.get_payment(hits[0].transaction_id) if hits else None

    def cases_of_payment(
        self, transaction_id: str, merchant_id: str, order_id: str | None
    ) -> list[Case]:
        with aws_call("dynamodb"):
            ids = [hit.case_id for hit in CaseModel.transaction_index.query(transaction_id)]
            if order_id:
                by_order = CaseModel.order_ref_index.query(order_ref(merchant_id, order_id))
                ids = sorted({*ids, *(hit.case_id for hit in by_order)})
            found = []
            for case_id in ids:
                try:
                    found.append(case_from_model(CaseModel.get(case_id, consistent_read=True)))
                except DoesNotExist:
                    continue
        return found

    def get_query(self, query_id: str) -> PaymentQuery | None:
        try:
            with aws_call("dynamodb"):
                model = QueryModel.get(query_id, consistent_read=True)
        except DoesNotExist:
            return None
        return query_from_model(model)

    def open_queries(self, ref: str) -> list[PaymentQuery]:
        with aws_call("dynamodb"):
            return [query_from_model(m) for m in QueryModel.open_index.query(ref)]
