"""Schemas of the merchant's signed calls: payment queries and the cases that name the
merchant."""

from __future__ import annotations

from chalicelib.api.openapi.builders import (
    BOOL,
    STR,
    TIME,
    Schema,
    anchored,
    array,
    enum,
    nullable,
    obj,
    page,
    ref,
    span,
    text,
)
from chalicelib.domain import limits as L
from chalicelib.domain.case import Status
from chalicelib.domain.complaint import REFERENCE
from chalicelib.domain.policy import Category
from chalicelib.domain.verdicts import OPENS_CASE, SETTLEMENT_DAYS, STILL_OPEN, Verdict
from chalicelib.services.merchant_texts import forgery_warning

_AMOUNT = span(L.AMOUNT_FEN)
_CASE_NUMBER: Schema = {"type": "string", "examples": ["PC20261122-7K3F9Q"]}


def _names(values: frozenset[Verdict]) -> str:
    return ", ".join(sorted(v.value for v in values))


def reference(pattern: str) -> Schema:
    """A payment reference (transaction, merchant, order or refund id)."""
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": L.REFERENCE,
        "pattern": anchored(pattern),
    }


def payment_query_schemas() -> dict[str, Schema]:
    ids = reference(REFERENCE.pattern)
    return {
        "PaymentQueryRequest": {
            **obj(
                {
                    "transaction_id": ids,
                    "order_id": ids,
                    "amount_fen": _AMOUNT,
                    "paid_at": TIME,
                    "note": text(L.PAYMENT_QUERY_NOTE, "Free text, may span lines."),
                },
                ["amount_fen"],
                closed=True,
                description="Needs a transaction_id or an order_id.",
            ),
            "anyOf": [{"required": ["transaction_id"]}, {"required": ["order_id"]}],
        },
        "PaymentQuery": _payment_query(),
        "PaymentWarning": obj(
            {
                "code": {"const": forgery_warning("en")["code"]},
                "message": {"type": "string", "description": "In the merchant's language."},
            },
            ["code", "message"],
            description=f"With {_names(OPENS_CASE)}: the payment could not be confirmed.",
        ),
    }


def _payment_query() -> Schema:
    properties = {
        "query_id": STR,
        "verdict": enum(
            (v.value for v in Verdict),
            f"{_names(OPENS_CASE)} open (or join) a merchant_settlement case that checks it.",
        ),
        "open": {
            **BOOL,
            "description": f"True while a later payment event may still change the verdict "
            f"({_names(STILL_OPEN)}); the merchant is emailed when it does.",
        },
        "transaction_id": nullable(STR),
        "order_id": nullable(STR),
        "amount_fen": _AMOUNT,
        "paid_at": nullable(TIME),
        "note": nullable(STR),
        "payment": nullable(ref("LedgerPayment")),
        "expected_settlement_by": {
            **nullable(TIME),
            "description": f"With pending_settlement: {SETTLEMENT_DAYS} working day(s) after "
            "the payment succeeded.",
        },
        "case_id": nullable(STR),
        "case_number": nullable(_CASE_NUMBER),
        "warning": nullable(ref("PaymentWarning")),
        "created_at": TIME,
        "updated_at": TIME,
    }
    return obj(properties, list(properties))


def merchant_case_schemas() -> dict[str, Schema]:
    summary = {
        "case_id": STR,
        "case_number": _CASE_NUMBER,
        "status": enum(s.value for s in Status),
        "category": enum(c.value for c in Category),
        "payment": nullable(ref("Payment")),
        "respond_by": {
            **nullable(TIME),
            "description": "While waiting_merchant: when the merchant's answer is due.",
        },
        "created_at": TIME,
        "updated_at": TIME,
    }
    entry = obj(
        {
            "at": TIME,
            "type": {
                "type": "string",
                "description": "submitted, accepted, status_changed, second_review_opened, "
                "second_review_decided, payment_found (a payment event answered the query "
                "behind the case), or merchant_response (this merchant's own answers).",
            },
            "status": {**enum(s.value for s in Status), "description": "The status moved to."},
            "verdict": {
                **enum(v.value for v in Verdict),
                "description": "With payment_found: what the payment platform reported.",
            },
            "text": {**STR, "description": "With merchant_response: the answer."},
        },
        ["at", "type"],
    )
    case = {**summary, "description": STR, "timeline": array(ref("MerchantTimelineEntry"))}
    return {
        "MerchantCaseSummary": obj(summary, list(summary)),
        "MerchantCase": obj(case, list(case)),
        "MerchantCasePage": page("MerchantCaseSummary"),
        "MerchantTimelineEntry": entry,
        "MerchantResponseRequest": obj(
            {"text": text(L.MESSAGE, "May span lines.")}, ["text"], closed=True
        ),
    }
