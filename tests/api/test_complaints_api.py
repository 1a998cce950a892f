"""POST /v1/complaints and GET /v1/cases/{case_id} through the HTTP API."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.api.conftest import Api, error_of
from tests.builders import complaint


def test_complaint_post_returns_the_documented_answer(api: Api) -> None:
    # WHEN a customer files a complaint
    response = api.file()
    # THEN 201 with the contract's fields, the token only here, and where to read the case
    assert response.status_code == 201
    body = response.json_body
    assert {
        "case_id",
        "case_number",
        "status",
        "category",
        "access_token",
        "deadlines",
        "faq",
    } <= set(body)
    assert body["status"] == "submitted"
    assert body["case_number"].startswith("PC20261123-")
    assert response.headers["Location"] == f"/v1/cases/{body['case_id']}"
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_complaint_case_view_shows_chinese_text_and_masks_contact(api: Api) -> None:
    # GIVEN a complaint in Chinese with an emoji
    filed = api.file(complaint(description="钱扣了订单没付款 😡🙏")).json_body
    # WHEN the customer reads it with the access token
    response = api.get(f"/v1/cases/{filed['case_id']}", filed["access_token"])
    # THEN the case shows its status, deadlines, sla state and public timeline, contact masked
    assert response.status_code == 200
    view = response.json_body
    assert view["status"] == "submitted" and view["sla"] == {"state": "on_track"}
    assert view["deadlines"] == filed["deadlines"]
    assert view["contact"]["phone"] == "138****8000"
    assert view["contact"]["email"] == "z***@example.com"
    assert [entry["type"] for entry in view["timeline"]] == ["submitted"]
    assert filed["case_number"] in view["timeline"][0]["summary"]
    assert "13800138000" not in response.body.decode()


def test_complaint_other_tokens_get_404(api: Api) -> None:
    # GIVEN two cases
    first = api.file().json_body
    second = api.file(complaint(payment=None)).json_body
    path = f"/v1/cases/{first['case_id']}"
    # THEN another case's token, a made-up token and a staff token all see nothing
    for token in (second["access_token"], "ct_made-up", api.staff_token()):
        response = api.get(path, token)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    # AND no credentials at all is 401; a malformed id is 404
    assert api.get(path).status_code == 401
    assert api.get("/v1/cases/..%2F..%2Fetc", first["access_token"]).status_code == 404


def test_complaint_repeated_idempotency_key_gives_one_case_one_sms_one_email(api: Api) -> None:
    # WHEN the same request is sent three times with one Idempotency-Key
    responses = [api.file(key="retry-7f1c") for _ in range(3)]
    api.drain()
    # THEN every answer is the first one
    assert {r.status_code for r in responses} == {201}
    assert len({r.body for r in responses}) == 1
    assert [r.headers.get("Idempotent-Replayed") for r in responses] == [None, "true", "true"]
    case = responses[0].json_body
    # AND there is one open case (a new complaint about the transaction is a duplicate)
    duplicate = api.file()
    assert duplicate.status_code == 409
    assert error_of(duplicate)["case_number"] == case["case_number"]
    # AND the customer got exactly one SMS and one email
    assert len(api.sms_about(case["case_number"])) == 1
    assert len(api.emails_about(case["case_number"])) == 1


def test_complaint_key_reused_with_another_body_is_422(api: Api) -> None:
    api.file(key="k-1")
    response = api.file(complaint(description="不同的描述"), key="k-1")
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"


def test_complaint_filed_before_national_day_skips_the_holidays(api: Api) -> None:
    # GIVEN 2026-09-30 10:00 in Beijing, the day before the National Day holidays
    api.clock.set(datetime(2026, 9, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    # WHEN a payment anomaly is filed
    deadlines = api.file().json_body["deadlines"]
    # THEN the first response is due 18:00 on 10-08, the first working day after 10-01..10-07
    assert deadlines["first_response_due"] == "2026-10-08T10:00:00Z"
    assert deadlines["resolution_due"] == "2026-10-09T10:00:00Z"
    assert deadlines["provisional"] is False


def test_complaint_acknowledgement_reaches_sms_and_email(api: Api) -> None:
    case = api.file().json_body
    api.drain()
    [sms] = api.sms_about(case["case_number"])
    assert sms.startswith("【PayCase】") and "支付异常" in sms and "2026年11月25日" in sms
    log = api.get(f"/v1/admin/notifications?case_id={case['case_id']}", api.staff_token("agent"))
    assert log.status_code == 200
    items = log.json_body["items"]
    assert {(i["channel"], i["status"], i["event"]) for i in items} == {
        ("sms", "sent", "case_received"),
        ("email", "sent", "case_received"),
    }
    assert {i["recipient"] for i in items} == {"138****8000", "z***@example.com"}
