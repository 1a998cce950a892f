"""Merchant endpoints (signed requests) and the payment platform's webhook."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import MAX_BODY_BYTES, endpoint, json_response, query_param, read_json
from chalicelib.domain.errors import PayloadTooLarge

if TYPE_CHECKING:  # the ports pull in the domain model: not at cold start
    from chalicelib.services.idempotency import Once
    from chalicelib.services.signatures import SignedRequest

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


def signed() -> SignedRequest:
    """The merchant who signed this request (401 for anything else), nonce not yet spent."""
    request = bp.current_request
    headers = {k.lower(): v for k, v in request.headers.items()}
    return wiring.container().merchant_signatures.verify(
        request.method, signed_path(request), headers, _raw()
    )


def _read(answer: Callable[[SignedRequest], Any]) -> Any:
    """A signed read: its nonce is spent once the answer is ready."""
    signature = signed()
    body = answer(signature)
    wiring.container().merchant_signatures.spend(signature)
    return json_response(body)


def _write_once(scope: str, signature: SignedRequest, body: Any) -> Once | None:
    """A signed write runs once: under its Idempotency-Key, or else under its nonce (the
    identical signed request sent again gets the first answer); the nonce is spent in the
    write's own transaction either way."""
    from chalicelib.services.idempotency import Once

    header = bp.current_request.headers.get("idempotency-key")
    key = header if header is not None else f"nonce:{signature.nonce}"
    return Once.of(scope, key, body, also=(signature.nonce_claim,))


@endpoint(bp, "/v1/merchant/payment-queries", methods=["POST"])
def ask_about_payment() -> Any:
    from chalicelib.services.ports import KeyTaken
    from chalicelib.services.signatures import refuse_spent_nonce

    signature = signed()
    signer = signature.merchant
    body = read_json(bp.current_request)
    container = wiring.container()
    once = _write_once(f"payment-queries:{signer.merchant_id}", signature, body)
    try:
        answer, _ = container.replays.run(
            once, lambda o: container.merchant_desk.ask(signer, body, o)
        )
    except KeyTaken as taken:
        refuse_spent_nonce(taken)
    return json_response(
        answer, 200, {"Location": f"/v1/merchant/payment-queries/{answer['query_id']}"}
    )


@endpoint(bp, "/v1/merchant/payment-queries/{query_id}")
def payment_query(query_id: str) -> Any:
    return _read(lambda s: wiring.container().merchant_desk.query(s.merchant, query_id))


@endpoint(bp, "/v1/merchant/cases")
def merchant_cases() -> Any:
    request = bp.current_request
    params = {name: query_param(request, name) for name in ("limit", "cursor")}
    return _read(lambda s: wiring.container().merchant_desk.cases(s.merchant, params))


@endpoint(bp, "/v1/merchant/cases/{case_id}")
def merchant_case(case_id: str) -> Any:
    return _read(lambda s: wiring.container().merchant_desk.case(s.merchant, case_id))


@endpoint(bp, "/v1/merchant/cases/{case_id}/responses", methods=["POST"])
def merchant_response(case_id: str) -> Any:
    from chalicelib.services.ports import KeyTaken
    from chalicelib.services.signatures import refuse_spent_nonce

    signature = signed()
    signer = signature.merchant
    body = read_json(bp.current_request)
    scope = f"merchant-responses:{signer.merchant_id}:{case_id}"
    once = _write_once(scope, signature, body)
    try:
        answer = wiring.container().merchant_desk.respond(signer, case_id, body, once)
    except KeyTaken as taken:
        refuse_spent_nonce(taken)
    return json_response(answer, 201)


# -- evidence: files on a case that names the merchant ---------------------------------------


def _caller(signature: SignedRequest) -> Any:
    from chalicelib.services.evidence import Caller

    return Caller.merchant(signature.merchant.merchant_id)


@endpoint(bp, "/v1/merchant/cases/{case_id}/evidence", methods=["POST"])
def request_evidence_upload(case_id: str) -> Any:
    from chalicelib.services.ports import KeyTaken
    from chalicelib.services.signatures import refuse_spent_nonce

    signature = signed()
    body = read_json(bp.current_request)
    scope = f"evidence:{signature.merchant.merchant_id}:{case_id}"
    once = _write_once(scope, signature, body)
    try:
        answer = wiring.container().evidence.request(_caller(signature), case_id, body, once)
    except KeyTaken as taken:
        refuse_spent_nonce(taken)
    return json_response(answer, 201)


@endpoint(bp, "/v1/merchant/cases/{case_id}/evidence/{evidence_id}/complete", methods=["POST"])
def complete_evidence(case_id: str, evidence_id: str) -> Any:
    # Idempotent by the file's own state: a signed read's single-use nonce is enough.
    return _read(lambda s: wiring.container().evidence.complete(_caller(s), case_id, evidence_id))


@endpoint(bp, "/v1/merchant/cases/{case_id}/evidence")
def list_evidence(case_id: str) -> Any:
    from chalicelib.services.cursors import page_limit

    request = bp.current_request
    limit = page_limit(query_param(request, "limit"))
    cursor = query_param(request, "cursor")
    return _read(lambda s: wiring.container().evidence.list(_caller(s), case_id, limit, cursor))


@endpoint(bp, "/v1/merchant/cases/{case_id}/evidence/{evidence_id}")
def get_evidence(case_id: str, evidence_id: str) -> Any:
    return _read(lambda s: wiring.container().evidence.get(_caller(s), case_id, evidence_id))


@endpoint(bp, "/v1/webhooks/payment-events", methods=["POST"])
def payment_event() -> Any:
    raw = _raw()
    signature = bp.current_request.headers.get("x-paycase-signature")
    return json_response(wiring.container().payment_events.ingest(signature, raw))
