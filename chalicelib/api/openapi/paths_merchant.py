"""Paths a merchant calls with signed requests (payment queries and the cases that name it),
and the payment platform's webhook."""

from __future__ import annotations

from chalicelib.api.openapi.auth_signed import MERCHANT, MERCHANT_CASE, WEBHOOK
from chalicelib.api.openapi.builders import Schema, ref
from chalicelib.api.openapi.operations import (
    CURSOR,
    LIMIT,
    WRITE_ERRORS,
    on_case,
    op,
    path_param,
)

QUERY_ID = path_param(
    "query_id",
    "The query's id (a ULID); an id that is not one is 404.",
    {"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"},
)
_ANSWER = ("200", ref("PaymentQuery"), "The query and its verdict")


def merchant_paths() -> dict[str, Schema]:
    base = "/v1/merchant/cases/{case_id}"
    return {
        "/v1/merchant/payment-queries": {"post": _ask()},
        "/v1/merchant/payment-queries/{query_id}": {
            "parameters": [QUERY_ID],
            "get": op(
                "A payment query and its verdict now",
                _ANSWER,
                (("404", "No such query, or another merchant's."), "503"),
                auth=MERCHANT,
            ),
        },
        "/v1/merchant/cases": {
            "get": op(
                "The cases that name this merchant",
                ("200", ref("MerchantCasePage"), "A page of cases"),
                (("400", "A bad limit or cursor."), "503"),
                auth=MERCHANT,
                params=[LIMIT, CURSOR],
            )
        },
        base: on_case(
            get=op(
                "A case that names this merchant",
                ("200", ref("MerchantCase"), "The case with the history a merchant may see"),
                ("503",),
                auth=MERCHANT_CASE,
            )
        ),
        f"{base}/responses": on_case(post=_respond()),
    }


def _ask() -> Schema:
    return op(
        "Ask whether a payment reached the merchant",
        _ANSWER,
        WRITE_ERRORS,
        body="PaymentQueryRequest",
        auth=MERCHANT,
        idempotent=True,
        description="Answered from the payment ledger at once; the answer's Location header "
        "names the query. Another merchant's payment is not_found. not_found and "
        "amount_mismatch open (or join) a merchant_settlement case and carry a `warning`: "
        "success screens can be forged. An `open` query is answered again (and the merchant "
        "emailed) when a later payment event changes its verdict.",
    )


def _respond() -> Schema:
    return op(
        "Answer a case that names this merchant",
        ("201", ref("MerchantCase"), "The case after the answer"),
        (*WRITE_ERRORS, ("409", "`invalid_transition`: the case is final.")),
        body="MerchantResponseRequest",
        auth=MERCHANT_CASE,
        idempotent=True,
        description="From waiting_merchant the case returns to investigating.",
    )


def webhook_paths() -> dict[str, Schema]:
    return {
        "/v1/webhooks/payment-events": {
            "post": op(
                "Record a payment-platform event",
                ("200", ref("PaymentEventReceived"), "Recorded, or already recorded"),
                (
                    "400",
                    "413",
                    ("409", "`version_conflict`: the payment kept changing; send it again."),
                    "503",
                ),
                body="PaymentEvent",
                auth=WEBHOOK,
                description="Recorded once by its `id`; a repeated id changes nothing and "
                "answers `duplicate: true`. The signature is checked before the body is parsed.",
            )
        }
    }
