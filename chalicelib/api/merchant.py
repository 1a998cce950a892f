"""Merchant endpoints (signed requests) and the payment platform's webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import MAX_BODY_BYTES, endpoint, json_response, query_param, read_json
from chalicelib.domain.errors import PayloadTooLarge

if TYPE_CHECKING:  # the ports pull in the domain model: not at cold start
    from chalicelib.services.ports import Merchant

bp = Blueprint(__name__)


def signed_path(request: Any) -> str:
    """The path a merchant signs: the route with its parameters filled in, as the merchant wrote
    it (no API Gateway stage prefix, no query string)."""
    path = str(request.context.get("resourcePath") or request.context.get("path") or "")
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "}", value)
    return path


def _raw() -> bytes:
    raw = bp.current_request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return raw


def merchant() -> Merchant:
    """The merchant who signed this request (401 for anything else)."""
    request = bp.current_request
    headers = {k.lower(): v for k, v in request.headers.items()}
    return wiring.container().merchant_signatures.verify(
        request.method, signed_path(request), headers, _raw()
    )


@endpoint(bp, "/v1/merchant/payment-queries", methods=["POST"])
def ask_about_payment() -> Any:
    signer = merchant()
    body = read_json(bp.current_request)
    container = wiring.container()
    answer, _ = container.replays.run(
        f"payment-queries:{signer.merchant_id}",
        bp.current_request.headers.get("idempotency-key"),
        body,
        lambda: container.merchant_desk.ask(signer, body),
    )
    return json_response(
        answer, 200, {"Location": f"/v1/merchant/payment-queries/{answer['query_id']}"}
    )


@endpoint(bp, "/v1/merchant/payment-queries/{query_id}")
def payment_query(query_id: str) -> Any:
    signer = merchant()
    return json_response(wiring.container().merchant_desk.query(signer, query_id))


@endpoint(bp, "/v1/merchant/cases")
def merchant_cases() -> Any:
    signer = merchant()
    request = bp.current_request
    params = {name: query_param(request, name) for name in ("limit", "cursor")}
    return json_response(wiring.container().merchant_desk.cases(signer, params))


@endpoint(bp, "/v1/merchant/cases/{case_id}")
def merchant_case(case_id: str) -> Any:
    signer = merchant()
    return json_response(wiring.container().merchant_desk.case(signer, case_id))


@endpoint(bp, "/v1/merchant/cases/{case_id}/responses", methods=["POST"])
def merchant_response(case_id: str) -> Any:
    signer = merchant()
    body = read_json(bp.current_request)
    key = bp.current_request.headers.get("idempotency-key")
    answer = wiring.container().merchant_desk.respond(signer, case_id, body, key)
    return json_response(answer, 201)


@endpoint(bp, "/v1/webhooks/payment-events", methods=["POST"])
def payment_event() -> Any:
    raw = _raw()
    signature = bp.current_request.headers.get("x-paycase-signature")
    return json_response(wiring.container().payment_events.ingest(signature, raw))
