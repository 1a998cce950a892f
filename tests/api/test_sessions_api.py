"""Customer sign-in by SMS one-time code: /v1/otp, /v1/sessions, /v1/me/cases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from chalicelib.adapters.dynamo.models import KeyModel, NotificationModel, OutboxModel
from tests.api.conftest import Api, error_of
from tests.builders import complaint

PHONE = "+8613800138000"


def sent_codes(phone: str = PHONE) -> list[str]:
    messages = sns_backends[DEFAULT_ACCOUNT_ID]["ap-southeast-1"].sms_messages.values()
    found = [re.search(r"验证码为(\d{6})", text) for number, text in messages if number == phone]
    return [m.group(1) for m in found if m]


def _codes(api: Api, phone: str = PHONE) -> list[str]:
    """The codes sent to `phone` since the last look (moto keeps every SMS of the session)."""
    before = len(sent_codes(phone))
    api.drain()
    return sent_codes(phone)[before:]


def _request(api: Api, phone: str = "13800138000") -> int:
    """Ask for a code; the SMS is sent when the outbox drains (see _codes)."""
    return int(api.post("/v1/otp", {"phone": phone}).status_code)


def test_code_signs_in_and_lists_my_cases(api: Api) -> None:
    # GIVEN two cases of my phone and one of someone else
    mine = [api.file().json_body, api.file(complaint(payment=None)).json_body]
    api.file(complaint(contact={"phone": "13900139000"}, payment=None))
    # WHEN I ask for a code and sign in with it
    assert _request(api) == 202
    [code] = _codes(api)
    session = api.post("/v1/sessions", {"phone": "138 0013 8000", "code": code})
    assert session.status_code == 201
    token = session.json_body["token"]
    assert session.json_body["expires_at"] > api.clock.now().isoformat()[:19]
    # THEN my cases, newest first, and only mine
    listed = api.get("/v1/me/cases", token).json_body["items"]
    assert [c["case_id"] for c in listed] == [c["case_id"] for c in reversed(mine)]
    assert all("access_token" not in c and "contact" not in c for c in listed)


def test_code_is_used_once(api: Api) -> None:
    _request(api)
    [code] = _codes(api)
    assert api.post("/v1/sessions", {"phone": PHONE, "code": code}).status_code == 201
    assert api.post("/v1/sessions", {"phone": PHONE, "code": code}).status_code == 401


def test_code_allows_five_tries(api: Api) -> None:
    _request(api)
    [code] = _codes(api)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = [
        api.post("/v1/sessions", {"phone": PHONE, "code": wrong}).status_code for _ in range(5)
    ]
    assert answers == [401] * 5
    # even the right code is refused after five tries
    assert api.post("/v1/sessions", {"phone": PHONE, "code": code}).status_code == 401


def test_code_expires_after_five_minutes(api: Api) -> None:
    _request(api)
    [code] = _codes(api)
    api.clock.advance(timedelta(minutes=5, seconds=1).total_seconds())
    assert api.post("/v1/sessions", {"phone": PHONE, "code": code}).status_code == 401


def test_codes_are_rate_limited_per_phone(api: Api) -> None:
    # a minute between codes, and five an hour
    assert _request(api) == 202
    response = api.post("/v1/otp", {"phone": PHONE})
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    for _ in range(4):
        api.clock.advance(61)
        assert _request(api) == 202
    api.clock.advance(61)
    assert _request(api) == 429
    assert _request(api, "13900139000") == 202  # another phone is not affected


def test_a_retried_code_request_with_its_idempotency_key_sends_one_code(api: Api) -> None:
    # GIVEN a code request that the client sends again with the same Idempotency-Key
    key = {"Idempotency-Key": "otp-retry-1"}
    first = api.post("/v1/otp", {"phone": PHONE}, key)
    again = api.post("/v1/otp", {"phone": PHONE}, key)
    # THEN both get the first answer, not the resend cooldown, and one code is sent
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json_body == first.json_body
    assert len(_codes(api)) == 1
    # AND another body under the same key is refused
    other = api.post("/v1/otp", {"phone": "+8613900139000"}, key)
    assert (other.status_code, error_of(other)["code"]) == (422, "idempotency_key_reused")


def test_code_is_never_stored_readable(api: Api) -> None:
    _request(api)
    [code] = _codes(api)
    stored = [
        str(m.serialize())
        for model in (KeyModel, OutboxModel, NotificationModel)
        for m in model.scan()
    ]
    assert stored and not any(code in item for item in stored)


def test_session_expires(api: Api) -> None:
    _request(api)
    [code] = _codes(api)
    token = api.post("/v1/sessions", {"phone": PHONE, "code": code}).json_body["token"]
    api.clock.advance(timedelta(hours=12, seconds=1).total_seconds())
    assert api.get("/v1/me/cases", token).status_code == 401


@pytest.mark.parametrize(
    "body",
    [{}, {"phone": "123"}, {"phone": 13800138000}, {"phone": PHONE, "extra": 1}],
)
def test_bad_code_requests_are_400(api: Api, body: dict[str, object]) -> None:
    assert api.post("/v1/otp", body).status_code == 400


@pytest.mark.parametrize("code", ["12345", "abcdef", 123456, None])
def test_bad_sign_ins_are_400(api: Api, code: object) -> None:
    assert api.post("/v1/sessions", {"phone": PHONE, "code": code}).status_code == 400


def test_me_needs_a_session(api: Api) -> None:
    case = api.file().json_body
    assert api.get("/v1/me/cases").status_code == 401
    assert api.get("/v1/me/cases", case["access_token"]).status_code == 401
