"""Signed calls: a merchant's HMAC request signature and the payment platform's webhook
signature (schemes and who may call what), as chalicelib.services.signatures checks them."""

from __future__ import annotations

from chalicelib.api.openapi.auth import Auth
from chalicelib.api.openapi.builders import Schema
from chalicelib.domain import limits as L
from chalicelib.services.signatures import TOLERANCE_SECONDS

_MERCHANT_SCHEMES = ("merchantId", "merchantTimestamp", "merchantNonce", "merchantSignature")
_REFUSED = (
    "A header is missing or malformed, the timestamp is more than "
    f"{TOLERANCE_SECONDS} s away, the nonce was used before, the merchant is unknown or the "
    "signature does not verify; the answer never says which."
)

MERCHANT = Auth(
    _MERCHANT_SCHEMES,
    "Signed by a merchant: all four X-PayCase headers (see the merchantSignature scheme).",
    {"401": _REFUSED},
    together=True,
)
MERCHANT_CASE = Auth(
    _MERCHANT_SCHEMES,
    f"{MERCHANT.note} A case that does not name the signing merchant is 404, exactly like a "
    "case that does not exist.",
    {"401": _REFUSED, "404": "No such case, or it does not name this merchant."},
    together=True,
)
WEBHOOK = Auth(
    ("webhookSignature",),
    "Signed by the payment platform (see the webhookSignature scheme).",
    {
        "401": "The signature header is missing or malformed, its time is more than "
        f"{TOLERANCE_SECONDS} s away, or no v1 value verifies; the answer never says which."
    },
)


def _header(name: str, description: str) -> Schema:
    return {"type": "apiKey", "in": "header", "name": name, "description": description}


def signature_schemes() -> dict[str, Schema]:
    window = f"{TOLERANCE_SECONDS} s"
    return {
        "merchantId": _header(
            "X-PayCase-Merchant", f"The merchant's id (at most {L.REFERENCE} characters)."
        ),
        "merchantTimestamp": _header(
            "X-PayCase-Timestamp", f"Unix seconds; within {window} of the server's clock."
        ),
        "merchantNonce": _header(
            "X-PayCase-Nonce",
            "{}-{} characters of A-Z, a-z, 0-9, `_` and `-`; ".format(*L.NONCE)
            + "single use per merchant (a replayed request is 401).",
        ),
        "merchantSignature": _header(
            "X-PayCase-Signature",
            "Lowercase hex HMAC-SHA256, keyed with the merchant's secret (from POST "
            "/v1/admin/merchants), of the canonical string "
            "`METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(SHA256(body))`: the upper-case method, the "
            "request path with its parameters filled in and without the query string, the "
            "X-PayCase-Timestamp and X-PayCase-Nonce values, and the hex SHA-256 of the raw "
            "body (of the empty string when there is none). All four headers go together; "
            f"the timestamp must be within {window} and the nonce unused. Any failure is the "
            "same 401 `unauthorized`, which never says which part failed.",
        ),
        "webhookSignature": _header(
            "X-PayCase-Signature",
            '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with the '
            f"webhook secret; `t` within {window}. Several v1 values may be given while the "
            "secret is rotated; one must verify. Any failure is the same 401 `unauthorized`.",
        ),
    }
