"""Real credentials and ids on the fuzz tier's local stack, chosen per operation from what the
served document says of it: a case's access token or an SMS session for customer calls, a token
of a role the operation admits (and now and then one it does not) for staff calls, a merchant's
HMAC signature over the body actually sent, and the payment platform's webhook signature."""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from clients.paycase_sign import sign_request, sign_webhook
from tests.builders import complaint
from tests.local_stack import Stack, wait_for

PHONE = "13912345678"  # every case filed here has it, so one SMS session opens them all
MERCHANT_SCHEMES = {"merchantId", "merchantTimestamp", "merchantNonce", "merchantSignature"}
_OTP = re.compile(r"\| otp_code\n(?P<text>.*?)\n----", re.S)


class MerchantSignature(requests.auth.AuthBase):
    """Signs the prepared request: its method, path (no query), and the exact body bytes."""

    def __init__(self, merchant: dict[str, str], clock: Callable[[], int]) -> None:
        self._merchant = merchant
        self._clock = clock

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else body
        path = (request.path_url or "/").split("?", 1)[0]
        merchant = self._merchant
        request.headers.update(
            sign_request(
                merchant["merchant_id"],
                merchant["secret"],
                request.method or "GET",
                path,
                raw,
                timestamp=self._clock(),
            )
        )
        return request


class WebhookSignature(requests.auth.AuthBase):
    def __init__(self, secret: str, clock: Callable[[], int]) -> None:
        self._secret = secret
        self._clock = clock

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else body
        signature = sign_webhook(self._secret, raw, timestamp=self._clock())
        request.headers["X-PayCase-Signature"] = signature
        return request


class Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@dataclass
class Credential:
    """What one call carries: its auth, and for a staff token the role and whether the
    operation admits it (None: any staff role may call it)."""

    auth: requests.auth.AuthBase | None
    role: str | None = None
    admitted: bool | None = None


@dataclass
class World:
    stack: Stack
    staff_tokens: dict[str, str]
    merchant: dict[str, str]
    webhook_secret: str
    session_token: str
    query_id: str
    notification_id: str
    incident_id: str
    # Accounts of their own for the calls that change credentials (deactivation, rotation),
    # so the demo staff's tokens and the demo merchant's secret keep working for the rest.
    staff_id: str = ""
    merchant_id: str = ""
    cases: dict[str, dict[str, str]] = field(default_factory=dict)
    calls: int = 0
    answers: dict[str, list[int]] = field(default_factory=dict)
    _random: random.Random = field(default_factory=lambda: random.Random(20261123))

    # -- cases --------------------------------------------------------------------------------

    def case_for(self, operation: str, *, merchant: bool) -> dict[str, str]:
        """A case of its own for each operation, so one operation's changes (a withdrawal, an
        outcome) leave the others' cases as they were; a merchant's names the merchant."""
        if operation not in self.cases:
            case = file_case(self.stack, f"FUZZ-{len(self.cases)}", merchant)
            if "{evidence_id}" in operation:
                case["evidence_id"] = self._file_on(case, operation)
            self.cases[operation] = case
        return self.cases[operation]

    def _file_on(self, case: dict[str, str], operation: str) -> str:
        """A file asked for on the case by the kind of caller the operation has (the merchant,
        staff or the customer), so it may complete it: pending its upload."""
        body = {"filename": "fuzz.png", "content_type": "image/png", "size_bytes": 64}
        if " /v1/merchant/" in operation:
            path = f"/v1/merchant/cases/{case['case_id']}/evidence"
            status, answer = self.stack.signed(self.merchant, "POST", path, body)
        elif " /v1/admin/" in operation:
            path = f"/v1/admin/cases/{case['case_id']}/evidence"
            token = self.staff_tokens["agent"]
            status, answer = self.stack.call("POST", path, body, token=token)
        else:
            path = f"/v1/cases/{case['case_id']}/evidence"
            status, answer = self.stack.call("POST", path, body, token=case["access_token"])
        assert status == 201, answer
        return str(answer["evidence_id"])

    # -- one call -----------------------------------------------------------------------------

    def prepare(self, case: Any) -> Credential:
        """Real ids in the path (most of the time) and the credential the operation takes."""
        self.calls += 1
        operation = case.operation
        path: str = operation.path
        merchant_path = path.startswith("/v1/merchant/")
        params = case.path_parameters if case.path_parameters is not None else {}
        real = self._random.random() < 0.9
        the_case = self.case_for(operation.label, merchant=merchant_path)
        if real and "case_id" in params:
            params["case_id"] = the_case["case_id"]
        if real and "query_id" in params:
            params["query_id"] = self.query_id
        if real and "notification_id" in params:
            params["notification_id"] = self.notification_id
        if real and "evidence_id" in params:
            params["evidence_id"] = the_case["evidence_id"]
        if real and "incident_id" in params:
            params["incident_id"] = self.incident_id
        if real and "staff_id" in params:
            params["staff_id"] = self.staff_id
        if real and "merchant_id" in params:
            params["merchant_id"] = self.merchant_id
        return self._credential(operation.definition.raw.get("security") or [], the_case)

    def _credential(
        self, security: list[dict[str, list[str]]], the_case: dict[str, str]
    ) -> Credential:
        schemes = {name for requirement in security for name in requirement}
        if not schemes:
            return Credential(None)
        if schemes == MERCHANT_SCHEMES:
            return Credential(MerchantSignature(self.merchant, _now))
        if schemes == {"webhookSignature"}:
            return Credential(WebhookSignature(self.webhook_secret, _now))
        if schemes == {"caseToken", "sessionToken"}:
            token = the_case["access_token"] if self.calls % 2 else self.session_token
            return Credential(Bearer(token))
        if schemes == {"sessionToken"}:
            return Credential(Bearer(self.session_token))
        if schemes == {"staffToken"}:
            return self._staff(security)
        raise AssertionError(f"no credential for the security requirement {security}")

    def _staff(self, security: list[dict[str, list[str]]]) -> Credential:
        named = [role for requirement in security for role in requirement["staffToken"]]
        if not named:
            role = sorted(self.staff_tokens)[self.calls % len(self.staff_tokens)]
            return Credential(Bearer(self.staff_tokens[role]), role, None)
        others = sorted(set(self.staff_tokens) - set(named))
        admitted = not others or self.calls % 5 != 0
        pool = named if admitted else others
        role = pool[self.calls % len(pool)]
        return Credential(Bearer(self.staff_tokens[role]), role, admitted)


def _now() -> int:
    """Signatures are checked against real time, whatever the local test clock says."""
    return int(time.time())


def file_case(stack: Stack, transaction_id: str, merchant: bool) -> dict[str, str]:
    payment: dict[str, Any] = {"transaction_id": transaction_id, "amount_fen": 3880}
    if merchant:
        payment["merchant_id"] = stack.credentials()["merchants"][0]["merchant_id"]
    body = complaint(contact={"phone": PHONE, "email": "fuzz@example.com"}, payment=payment)
    status, case = stack.call("POST", "/v1/complaints", body)
    assert status == 201, case
    return {"case_id": case["case_id"], "access_token": case["access_token"]}


def open_session(stack: Stack) -> str:
    """Ask for a code by SMS, read it where the local runner prints the SMS, and trade it."""
    status, answer = stack.call("POST", "/v1/otp", {"phone": PHONE})
    assert status == 202, answer
    wait_for(lambda: _OTP.search(stack.text()) is not None, 30, stack.text)
    match = _OTP.search(stack.text())
    assert match is not None
    (code,) = re.findall(r"(?<!\d)\d{6}(?!\d)", match["text"])
    status, session = stack.call("POST", "/v1/sessions", {"phone": PHONE, "code": code})
    assert status == 201, session
    return str(session["token"])


def build_world(stack: Stack) -> World:
    credentials = stack.credentials()
    merchant = credentials["merchants"][0]
    tokens = credentials["staff_tokens"]
    # A case, a message in the delivery log, and a payment query to point path ids at.
    seed = file_case(stack, "FUZZ-SEED", merchant=True)
    log = f"/v1/admin/notifications?case_id={seed['case_id']}"

    def logged() -> list[dict[str, Any]]:
        return list(stack.call("GET", log, token=tokens["admin"])[1]["items"])

    wait_for(lambda: bool(logged()), 30, stack.text)
    notification_id = logged()[0]["id"]
    ask = {"transaction_id": "FUZZ-SEED", "amount_fen": 3880}
    status, query = stack.signed(merchant, "POST", "/v1/merchant/payment-queries", ask)
    assert status == 200, query
    # An incident that matches no case, so resolving it leaves the other operations' cases be.
    declare = {
        "title": "fuzz",
        "summary": {"zh-CN": "测试", "en": "test"},
        "started_at": "2026-01-01T00:00:00Z",
        "match": {"merchant_id": "FUZZ-NOBODY"},
    }
    status, incident = stack.call("POST", "/v1/admin/incidents", declare, token=tokens["admin"])
    assert status == 201, incident
    member = {"name": "Fuzz Member", "role": "agent"}
    status, created = stack.call("POST", "/v1/admin/staff", member, token=tokens["admin"])
    assert status == 201, created
    shop = {"merchant_id": "MFUZZ01", "name": "Fuzz Shop", "email": "fuzz.shop@example.com"}
    status, registered = stack.call("POST", "/v1/admin/merchants", shop, token=tokens["admin"])
    assert status == 201, registered
    world = World(
        stack=stack,
        staff_tokens=tokens,
        merchant=merchant,
        webhook_secret=credentials["webhook_secret"],
        session_token=open_session(stack),
        query_id=query["query_id"],
        notification_id=notification_id,
        incident_id=incident["incident_id"],
        staff_id=created["staff_id"],
        merchant_id=registered["merchant_id"],
    )
    return world


def describe(response: Any) -> str:
    try:
        return json.dumps(response.json(), ensure_ascii=False)[:600]
    except ValueError:
        return str(response.text)[:600]
