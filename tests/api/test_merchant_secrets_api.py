"""Rotating a merchant's signing secret through the API: the new one signs at once, the old one
for a day more, the merchant is told by email (never the secret), admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.domain.timefmt import parse_rfc3339
from tests.api.conftest import REGION, error_of
from tests.api.desk import Desk
from tests.api.merchants import Merchants
from tests.botocore_faults import BotocoreFaults

PATH = "/v1/admin/merchants/M100001/secrets"


def _cases(merchants: Merchants, secret: str) -> int:
    raw = b""
    headers = merchants.headers("M100001", "GET", "/v1/merchant/cases", raw, secret=secret)
    return int(merchants.send("M100001", "GET", "/v1/merchant/cases", headers=headers).status_code)


def _rotation_emails() -> list[Any]:
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    return [m for m in sent if "M100001" in getattr(m, "subject", "")]


def test_rotated_secret_signs_at_once_and_the_old_one_still_does(
    desk: Desk, merchants: Merchants
) -> None:
    # GIVEN a merchant whose secret signs its calls
    old = merchants.secrets["M100001"]
    assert _cases(merchants, old) == 200
    # WHEN an admin rotates it
    before = datetime.now(UTC).replace(microsecond=0)
    response = desk.post(PATH, {}, desk.staff("admin", name="欧阳晓雯"))
    # THEN the answer holds a new secret, and until when the old one works: a day from now
    assert response.status_code == 201
    body = response.json_body
    assert body["merchant_id"] == "M100001"
    assert body["secret"].startswith("msk_") and body["secret"] != old
    until = parse_rfc3339(body["previous_valid_until"])
    assert before + timedelta(hours=24) <= until <= datetime.now(UTC) + timedelta(hours=24)
    # AND both secrets sign, the new one at once; a made-up one does not
    assert _cases(merchants, body["secret"]) == 200
    assert _cases(merchants, old) == 200
    assert _cases(merchants, "msk_" + "x" * 43) == 401


def test_rotation_emails_the_merchant_who_when_and_until_when_never_the_secret(
    desk: Desk, merchants: Merchants
) -> None:
    response = desk.post(PATH, {}, desk.staff("admin", name="欧阳晓雯"))
    desk.api.drain()
    [email] = _rotation_emails()
    text = email.body
    assert email.destinations["ToAddresses"] == ["finance@m100001.example.com"]
    assert "欧阳晓雯" in text and "原密钥有效至" in text
    until = parse_rfc3339(response.json_body["previous_valid_until"])
    assert f"{until.astimezone(desk_zone()):%Y年%m月%d日 %H:%M}" in text
    assert response.json_body["secret"] not in text


def desk_zone() -> Any:
    from chalicelib.domain.timefmt import SHANGHAI

    return SHANGHAI


def test_rotation_is_in_the_audit_trail(desk: Desk, merchants: Merchants) -> None:
    admin = desk.staff("admin")
    response = desk.post(PATH, {}, admin)
    trail = desk.api.get("/v1/admin/audit?limit=1", admin).json_body["items"]
    assert [(e["action"], e["target"], e["actor"], e["detail"]) for e in trail] == [
        (
            "secret_rotated",
            "M100001",
            desk.staff_ids["admin"],
            {"previous_valid_until": response.json_body["previous_valid_until"]},
        )
    ]


def test_a_second_rotation_drops_the_first_secret(desk: Desk, merchants: Merchants) -> None:
    first = merchants.secrets["M100001"]
    admin = desk.staff("admin")
    second = desk.post(PATH, {}, admin).json_body["secret"]
    third = desk.post(PATH, {}, admin).json_body["secret"]
    assert (_cases(merchants, third), _cases(merchants, second)) == (200, 200)
    assert _cases(merchants, first) == 401


def test_rotation_repeated_with_its_key_answers_the_same_secret_once(
    desk: Desk, merchants: Merchants
) -> None:
    admin = desk.staff("admin")
    headers = {**desk.auth(admin), "Idempotency-Key": "rotate-m-1"}
    first = desk.api.post(PATH, {}, headers)
    again = desk.api.post(PATH, {}, headers)
    assert first.status_code == again.status_code == 201
    assert first.json_body == again.json_body
    desk.api.drain()
    assert len(_rotation_emails()) == 1


@pytest.mark.parametrize("role", ["agent", "supervisor", "reviewer"])
def test_rotation_is_for_admins_only(desk: Desk, merchants: Merchants, role: str) -> None:
    response = desk.post(PATH, {}, desk.staff(role))
    assert (response.status_code, error_of(response)["code"]) == (403, "forbidden")
    assert _cases(merchants, merchants.secrets["M100001"]) == 200


def test_rotation_refuses_unknown_merchants_and_other_credentials(
    desk: Desk, merchants: Merchants
) -> None:
    admin = desk.staff("admin")
    assert desk.post("/v1/admin/merchants/M999999/secrets", {}, admin).status_code == 404
    assert desk.post("/v1/admin/merchants/bad%20id/secrets", {}, admin).status_code == 404
    case = desk.file()
    assert desk.post(PATH, {}, case["access_token"]).status_code == 401
    signed = merchants.headers("M100001", "POST", PATH, b"")
    assert desk.api.client.http.post(PATH, headers=signed).status_code == 401


def test_rotation_when_dynamodb_is_down_is_503_and_the_secret_unchanged(
    desk: Desk, merchants: Merchants
) -> None:
    admin = desk.staff("admin")
    headers = {**desk.auth(admin), "Idempotency-Key": "rotate-503"}
    with BotocoreFaults(desk.api.container.dynamodb.client) as faults:
        faults.throttle("TransactWriteItems", times=10)
        response = desk.api.post(PATH, {}, headers)
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    old = merchants.secrets["M100001"]
    retry = desk.api.post(PATH, {}, headers)
    assert retry.status_code == 201
    assert _cases(merchants, retry.json_body["secret"]) == 200
    assert _cases(merchants, old) == 200
