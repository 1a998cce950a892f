"""Schemas of the payment ledger: the platform's webhook events (as
chalicelib.domain.ledger.parse_event reads them) and a payment as its events tell it."""

from __future__ import annotations

from chalicelib.api.openapi.builders import (
    BOOL,
    FEN,
    INT,
    STR,
    TIME,
    Schema,
    array,
    enum,
    nullable,
    obj,
    text,
)
from chalicelib.api.openapi.schemas_merchant import reference
from chalicelib.domain import complaint, ledger
from chalicelib.domain import limits as L


def ledger_schemas() -> dict[str, Schema]:
    ref_id = reference(complaint.REFERENCE.pattern)
    data = obj(
        {
            "transaction_id": ref_id,
            "merchant_id": ref_id,
            "order_id": ref_id,
            "amount_fen": FEN,
            "currency": {**enum(["CNY"]), "default": "CNY"},
            "refund_id": {**ref_id, "description": "Required for refund.* events."},
            "refund_amount_fen": {**FEN, "description": "Required for refund.* events."},
            "failure_reason": text(L.FAILURE_REASON),
        },
        ["transaction_id", "merchant_id", "amount_fen"],
        closed=True,
    )
    event = obj(
        {
            "id": {
                **ref_id,
                "maxLength": L.EVENT_ID,
                "description": "A repeated id changes nothing.",
            },
            "type": enum(ledger.EVENT_TYPES),
            "occurred_at": TIME,
            "data": data,
        },
        ["id", "type", "occurred_at", "data"],
        closed=True,
        description="One payment-platform event; events may arrive late, twice or out of order.",
    )
    event["if"] = {"required": ["type"], "properties": {"type": {"pattern": "^refund\\."}}}
    event["then"] = {"properties": {"data": {"required": ["refund_id", "refund_amount_fen"]}}}
    received = obj(
        {"received": {"const": True}, "duplicate": {**BOOL, "description": "A repeated id."}},
        ["received", "duplicate"],
    )
    return {
        "PaymentEvent": event,
        "PaymentEventReceived": received,
        "LedgerPayment": _ledger_payment(),
    }


def _ledger_payment() -> Schema:
    refund = obj(
        {
            "refund_id": STR,
            "amount_fen": INT,
            "status": enum(["succeeded", "failed"]),
            "at": TIME,
        },
        ["refund_id", "amount_fen", "status", "at"],
    )
    when = nullable(TIME)
    properties = {
        "transaction_id": STR,
        "merchant_id": STR,
        "order_id": nullable(STR),
        "amount_fen": INT,
        "currency": {"const": "CNY"},
        "status": enum(s.value for s in ledger.PaymentStatus),
        "paid_at": when,
        "settled_at": when,
        "failed_at": when,
        "reversed_at": when,
        "refunded_fen": INT,
        "refunds": array(refund),
    }
    return obj(
        properties,
        list(properties),
        description="The payment as the payment platform's events tell it.",
    )
