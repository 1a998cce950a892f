"""Every bad input gets a clear 4xx in the API's error format, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Api, error_of
from tests.builders import complaint


def _post_raw(api: Api, raw: bytes | str, content_type: str = "application/json") -> Any:
    return api.client.http.post("/v1/complaints", headers={"Content-Type": content_type}, body=raw)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("{", "body"),
        ("", "body"),
        ("[]", "body"),
        ('"just a string"', "body"),
        ("null", "body"),
        ('{"category": NaN}', "body"),
        (b"\xff\xfe{}", "body"),
        ("[" * 5000 + "]" * 5000, "body"),
    ],
    ids=["truncated", "empty", "array", "string", "null", "nan", "not-utf8", "deep-nesting"],
)
def test_malformed_body_is_400(api: Api, raw: str | bytes, field: str) -> None:
    response = _post_raw(api, raw)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert field in error["fields"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"description": 42}, "description"),
        ({"description": ["a"]}, "description"),
        ({"contact": "13800138000"}, "contact"),
        ({"category": None}, "category"),
        ({"category": "unknown_problem"}, "category"),
        ({"category": 3}, "category"),
        ({"contact": {"phone": "12345"}}, "contact.phone"),
        ({"contact": {"phone": 13800138000}}, "contact.phone"),
        ({"contact": {"phone": "010-12345678"}}, "contact.phone"),
        ({"contact": {"email": "not-an-address"}}, "contact.email"),
        ({"contact": {"phone": "13800138000", "language": "fr"}}, "contact.language"),
        ({"payment": {"transaction_id": "T1", "amount_fen": "38.80"}}, "payment.amount_fen"),
        ({"payment": {"transaction_id": "T1", "amount_fen": 38.8}}, "payment.amount_fen"),
        ({"payment": {"transaction_id": "T1", "paid_at": "yesterday"}}, "payment.paid_at"),
        (
            {"payment": {"transaction_id": "T1", "paid_at": "0001-01-01T00:00:00+01:00"}},
            "payment.paid_at",
        ),
        (
            {"payment": {"transaction_id": "T1", "paid_at": "9999-12-31T23:59:59-01:00"}},
            "payment.paid_at",
        ),
        (
            {"payment": {"transaction_id": "T1", "paid_at": "1970-01-01T00:00:00Z"}},
            "payment.paid_at",
        ),
        ({"channel": "fax"}, "channel"),
        ({"description": "x" * 4001}, "description"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_wrong_fields_are_400_naming_the_field(
    api: Api, changes: dict[str, Any], field: str
) -> None:
    body = complaint()
    body.update(changes)
    response = api.file(body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert field in error["fields"], error["fields"]


def test_a_null_payment_is_no_payment(api: Api) -> None:
    # GIVEN a complaint that sends "payment": null, as it may for any optional field
    body = complaint()
    body["payment"] = None
    # WHEN filing it THEN it is accepted like one without a payment
    response = api.file(body)
    assert response.status_code == 201, response.json_body


@pytest.mark.parametrize(
    "start",
    [
        "0001-01-01T00:00:00%2B01:00",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59Z",
        "1999-12-31T00:00:00Z",
        "2201-01-01T00:00:00Z",
        "yesterday",
    ],
)
def test_deadline_preview_from_outside_the_supported_years_is_400(api: Api, start: str) -> None:
    path = f"/v1/admin/deadlines?category=refund_delay&from={start}"
    response = api.get(path, api.staff_token("agent"))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert "from" in error["fields"]


def test_a_70_kib_body_is_413(api: Api) -> None:
    body = complaint(description="长" * 24_000)  # about 72 KiB of UTF-8
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert len(raw) > 70 * 1024
    response = _post_raw(api, raw)
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_form_encoded_body_is_415(api: Api) -> None:
    response = _post_raw(api, "category=other", "application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_rejected_input_writes_nothing(api: Api) -> None:
    # GIVEN rejected attempts about a transaction
    for changes in ({"category": "nope"}, {"contact": {"phone": "1"}}):
        body = complaint()
        body.update(changes)
        assert api.file(body).status_code == 400
    # WHEN the valid complaint follows THEN it is accepted (no half-written duplicate guard)
    assert api.file().status_code == 201


def test_validation_reports_all_problems_at_once(api: Api) -> None:
    response = api.file({"category": "x", "contact": {"phone": "1", "email": "bad"}})
    fields = error_of(response)["fields"]
    assert {"category", "description", "contact.phone", "contact.email"} <= set(fields)


@pytest.mark.parametrize("key", ["", "x" * 256, "空格 key"])
def test_bad_idempotency_key_is_400(api: Api, key: str) -> None:
    response = api.post("/v1/complaints", complaint(), {"Idempotency-Key": key})
    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["fields"]


@pytest.mark.parametrize("path", ["/v1/admin/cases?", "/v1/admin/notifications?status=sent&"])
@pytest.mark.parametrize(
    "limit",
    ["%C2%B2", "%D9%A3", "%EF%BC%95", "1" * 5000, "0" * 400 + "5" * 10, "-1", "1.5", "+5", " 5"],
    ids=[
        "superscript-two",
        "arabic-three",
        "fullwidth-five",
        "5000-digits",
        "long",
        "neg",
        "frac",
        "plus",
        "space",
    ],
)
def test_a_limit_that_is_not_plain_ascii_digits_is_400(api: Api, path: str, limit: str) -> None:
    response = api.get(f"{path}limit={limit}", api.staff_token("agent"))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert "limit" in error["fields"]


@pytest.mark.parametrize("limit", ["1", "200", "007"])
def test_a_plain_limit_is_accepted(api: Api, limit: str) -> None:
    response = api.get(f"/v1/admin/cases?limit={limit}", api.staff_token("agent"))
    assert response.status_code == 200, response.json_body
