"""Intake that cannot be turned into an SMS cannon: the SMS countries and the per-phone limits of
complaints filed without an SMS session (README, Limits on unverified intake)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

import app
from chalicelib import wiring
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.intake import IntakeLimits
from tests.api.conftest import REGION, Api, error_of
from tests.botocore_faults import BotocoreFaults
from tests.builders import MONDAY_10AM, complaint
from tests.moto_stack import SHARED
from tests.openapi_check import ContractClient

PHONE = "+8613800138000"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _sms_to(phone: str = PHONE) -> list[str]:
    messages = sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values()
    return [text for to, text in messages if to == phone]


def _filing(n: int, **contact: Any) -> dict[str, Any]:
    """The n-th complaint naming the phone (each about its own payment, so none is a
    duplicate of another)."""
    return complaint(
        contact={"phone": "13800138000", **contact},
        payment={"transaction_id": f"TXN-FLOOD-{n:03d}", "amount_fen": 100},
    )


@pytest.fixture
def roomy(moto_base: wiring.Container) -> Iterator[Api]:
    """The API with room for 25 complaints per phone (the SMS limit left at its 3)."""
    clock = FixedClock(MONDAY_10AM)
    settings = replace(moto_base.settings, intake=IntakeLimits(complaints_per_phone=25))
    shared = {name: getattr(moto_base, name) for name in SHARED}
    container = wiring.Container(settings, clock=clock, pause=clock.advance, **shared)
    wiring.use(container)
    try:
        with ContractClient(app.app, stage_name="local") as client:
            yield Api(client, container, clock)
    finally:
        wiring.use(None)


def _log(api: Api, case_id: str) -> list[dict[str, Any]]:
    token = api.staff_token("agent")
    response = api.get(f"/v1/admin/notifications?case_id={case_id}", token)
    assert response.status_code == 200, response.body
    return list(response.json_body["items"])


def _session(api: Api, phone: str = "13800138000") -> str:
    """Sign in by SMS code, as a customer does."""
    before = len(_sms_to())
    assert api.post("/v1/otp", {"phone": phone}).status_code == 202
    api.drain()
    (code,) = re.findall(r"验证码为(\d{6})", " ".join(_sms_to()[before:]))
    answer = api.post("/v1/sessions", {"phone": phone, "code": code})
    assert answer.status_code == 201, answer.body
    return str(answer.json_body["token"])


# -- per-phone limits ----------------------------------------------------------------------------


def test_twenty_complaints_naming_one_phone_send_at_most_three_sms_and_are_all_stored(
    roomy: Api,
) -> None:
    api = roomy
    sms_before = len(_sms_to())
    # WHEN 20 complaints without a session name one phone (and an email) within minutes
    filed = []
    for n in range(20):
        response = api.file(_filing(n, email="zhang.san@example.com"))
        assert response.status_code == 201, (n, response.body)
        filed.append(response.json_body)
        api.clock.advance(20)
    api.drain()
    # THEN the phone got three acknowledgement SMS, the first three complaints'
    texts = _sms_to()[sms_before:]
    assert len(texts) == 3
    for case, text in zip(filed[:3], texts, strict=True):
        assert case["case_number"] in text
    # AND every complaint is stored and acknowledged by email
    agent = api.staff_token("agent")
    for case in filed:
        assert api.get(f"/v1/admin/cases/{case['case_id']}", agent).status_code == 200
        assert len(api.emails_about(case["case_number"])) == 1
    # AND the delivery log shows each later SMS as suppressed, with the reason
    for case in filed[3:]:
        [sms] = [m for m in _log(api, case["case_id"]) if m["channel"] == "sms"]
        assert sms["status"] == "suppressed"
        assert sms["last_error"] == (
            "not sent: 3 acknowledgement SMS already went to this phone within 24 hours "
            "from complaints filed without a one-time code"
        )
    [first_sms] = [m for m in _log(api, filed[0]["case_id"]) if m["channel"] == "sms"]
    assert first_sms["status"] == "sent"


def test_staff_case_view_says_the_acknowledgement_sms_was_suppressed_and_why(desk: Any) -> None:
    api = desk.api
    # GIVEN three complaints from one phone without a session, then a fourth without an email
    for n in range(3):
        assert api.file(_filing(n)).status_code == 201
    fourth = api.file(_filing(3)).json_body
    without_email = api.file(_filing(4, language="en")).json_body
    # WHEN staff read the fourth case
    timeline = desk.staff_view(fourth["case_id"])["timeline"]
    # THEN an internal entry says the SMS was not sent, why, and that no email went either
    [entry] = [e for e in timeline if e["type"] == "acknowledgement_sms_suppressed"]
    assert entry["visibility"] == "internal"
    assert entry["summary"] == (
        "未发送受理短信：24 小时内未经验证码验证的投诉已向该手机号发送 3 条受理短信，"
        "客户未留邮箱，未收到受理通知。"
    )
    assert entry["data"]["window_ends"] == "2026-11-23T16:00:00Z"  # midnight in Beijing
    english = desk.staff_view(without_email["case_id"])["timeline"]
    [entry] = [e for e in english if e["type"] == "acknowledgement_sms_suppressed"]
    assert entry["summary"] == (
        "Acknowledgement SMS not sent: complaints filed without a one-time code already sent "
        "this phone 3 within 24 hours; no email given, so none was sent."
    )
    # AND the customer's own view does not show it
    customer = desk.customer_view(fourth)
    assert [e["type"] for e in customer["timeline"]] == ["submitted"]


def test_eleventh_complaint_without_a_session_is_429_with_retry_after(
    api: Api, capfd: pytest.CaptureFixture[str]
) -> None:
    # GIVEN ten complaints naming one phone today, the first one retried with its key
    first = api.file(_filing(0), key="flood-0")
    for _ in range(3):
        again = api.file(_filing(0), key="flood-0")
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json_body["case_id"] == first.json_body["case_id"]
    for n in range(1, 10):
        assert api.file(_filing(n)).status_code == 201, n
    # WHEN an eleventh names it
    response = api.file(_filing(10))
    # THEN it is refused with 429, and told when to come back: midnight in Beijing
    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "rate_limited"
    assert "10 complaints" in error["message"]
    midnight = datetime(2026, 11, 24, tzinfo=SHANGHAI)
    assert int(response.headers["Retry-After"]) == (midnight - MONDAY_10AM).total_seconds()
    # AND nothing was stored for it
    listed = api.get("/v1/admin/cases?limit=50", api.staff_token("agent")).json_body["items"]
    assert len(listed) == 10
    # AND the 429 is counted in the metrics
    names = [
        json.loads(line)["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]
        for line in capfd.readouterr().out.splitlines()
        if line.startswith("{") and '"_aws"' in line
    ]
    assert names.count("RateLimited429") == 1
    assert names.count("SmsSuppressed") == 7
    # AND the next day the phone may complain again
    api.clock.set(midnight + timedelta(seconds=1))
    assert api.file(_filing(10)).status_code == 201


def test_complaints_filed_with_an_sms_session_are_not_limited(api: Api) -> None:
    # GIVEN the customer signed in by SMS code
    token = _session(api)
    sms_before = len(_sms_to())
    # WHEN they file twelve complaints naming their own phone
    filed = []
    for n in range(12):
        response = api.file_with(_filing(n), token)
        assert response.status_code == 201, (n, response.body)
        filed.append(response.json_body)
    api.drain()
    # THEN none is refused and each is acknowledged by SMS
    texts = _sms_to()[sms_before:]
    assert len(texts) == 12
    assert all(any(c["case_number"] in t for t in texts) for c in filed)
    # AND a complaint naming another phone under the same session is limited as usual
    other = "13900139000"
    for n in range(10):
        assert (
            api.file_with(_filing(100 + n) | {"contact": {"phone": other}}, token).status_code
            == 201
        )
    refused = api.file_with(_filing(200) | {"contact": {"phone": other}}, token)
    assert refused.status_code == 429


def test_complaint_with_a_session_token_that_is_not_live_is_401(api: Api) -> None:
    response = api.file_with(_filing(0), "ss_not-a-session")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_a_complaint_aws_refused_counts_nothing_and_its_retry_counts_once(
    api: Api, moto_base: wiring.Container
) -> None:
    # GIVEN DynamoDB throttling the filing's transaction through every retry
    with BotocoreFaults(moto_base.dynamodb.client) as dynamodb:
        dynamodb.throttle_every_attempt("TransactWriteItems")
        response = api.file(_filing(0), key="retry-me")
    # THEN 503 with Retry-After, never a 500
    assert response.status_code == 503
    assert error_of(response)["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) > 0
    # WHEN the client retries with the same key, then a retry of that succeeds again
    assert api.file(_filing(0), key="retry-me").status_code == 201
    assert api.file(_filing(0), key="retry-me").headers.get("Idempotent-Replayed") == "true"
    # THEN that complaint counted once: nine more are accepted and the one after is not
    for n in range(1, 10):
        assert api.file(_filing(n)).status_code == 201, n
    assert api.file(_filing(10)).status_code == 429


# -- the SMS countries ---------------------------------------------------------------------------


def test_foreign_number_without_email_is_400_on_contact_phone(api: Api) -> None:
    response = api.file(complaint(contact={"phone": "+14155552671"}))
    assert response.status_code == 400
    error = error_of(response)
    assert error["fields"] == {
        "contact.phone": (
            "SMS goes only to +86 mobile numbers; give contact.email as well to be answered "
            "by email"
        )
    }
    # AND a one-time code cannot be sent there either
    otp = api.post("/v1/otp", {"phone": "+2348031234567"})
    assert otp.status_code == 400
    assert error_of(otp)["fields"] == {"phone": "codes go by SMS only to +86 mobile numbers"}


def test_foreign_number_with_email_opens_an_email_only_case(api: Api) -> None:
    # WHEN a complaint names a +1 number and an email, asking for SMS
    body = complaint(
        contact={"phone": "+14155552671", "email": "li.si@example.com", "channels": ["sms"]}
    )
    response = api.file(body)
    # THEN the case is opened
    assert response.status_code == 201, response.body
    case = response.json_body
    api.drain()
    # AND staff see the phone (to call), and the preferences say email only
    staff = api.get(f"/v1/admin/cases/{case['case_id']}", api.staff_token("agent")).json_body
    assert staff["contact"]["phone"] == "+14155552671"
    assert staff["contact"]["channels"] == ["email"]
    assert api.get(f"/v1/cases/{case['case_id']}", case["access_token"]).json_body["contact"][
        "channels"
    ] == ["email"]
    # AND the acknowledgement went by email, no SMS to the number
    assert len(api.emails_about(case["case_number"])) == 1
    assert _sms_to("+14155552671") == []
    assert [m["channel"] for m in _log(api, case["case_id"])] == ["email"]
    # AND the customer cannot turn SMS on for it
    turned = api.client.http.put(
        f"/v1/cases/{case['case_id']}/preferences",
        headers={
            "Authorization": f"Bearer {case['access_token']}",
            "Content-Type": "application/json",
        },
        body=json.dumps({"channels": ["sms", "email"]}),
    )
    assert turned.status_code == 400
    assert "+86" in error_of(turned)["fields"]["channels"]
