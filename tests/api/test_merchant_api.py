"""The merchant API and the payment webhook through HTTP: signatures, verdicts, cases and the
effects of payment events on customers, merchants and staff."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.timefmt import parse_rfc3339
from clients.paycase_sign import sign_webhook
from tests.api.conftest import Api, error_of
from tests.api.desk import Desk, at_status
from tests.api.merchants import Merchants
from tests.builders import SHANGHAI

QUERIES = "/v1/merchant/payment-queries"
TXN = "TXN-20261123-0001"


def _query_body() -> bytes:
    return json.dumps({"transaction_id": TXN, "amount_fen": 3880}).encode()


# -- signatures -------------------------------------------------------------------------------


def test_a_request_signed_with_the_helper_is_answered(merchants: Merchants) -> None:
    response = merchants.ask("M100001", transaction_id=TXN, amount_fen=3880)
    assert response.status_code == 200, response.body
    assert response.json_body["verdict"] == "not_found"


def _refused(merchants: Merchants, headers: dict[str, str], raw: bytes | None = None) -> Any:
    body = _query_body() if raw is None else raw
    all_headers = {**headers, "Content-Type": "application/json"}
    return merchants.api.client.http.post(QUERIES, headers=all_headers, body=body)


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "stale", "future", "body_changed", "path_changed", "unknown_merchant"],
)
def test_bad_signatures_are_401_without_saying_why(merchants: Merchants, tamper: str) -> None:
    raw = _query_body()
    options: dict[str, Any] = {}
    merchant_id = "M100001"
    if tamper == "wrong_secret":
        options["secret"] = "msk_not-the-secret"
    elif tamper == "stale":
        options["timestamp"] = merchants.now() - 301
    elif tamper == "future":
        options["timestamp"] = merchants.now() + 301
    headers = merchants.headers(merchant_id, "POST", QUERIES, raw, **options)
    if tamper == "body_changed":
        raw = json.dumps({"transaction_id": TXN, "amount_fen": 1}).encode()
    elif tamper == "path_changed":
        headers = merchants.headers(merchant_id, "POST", "/v1/merchant/cases", raw)
    elif tamper == "unknown_merchant":
        headers["X-PayCase-Merchant"] = "M999999"
    response = _refused(merchants, headers, raw)
    assert response.status_code == 401
    assert error_of(response) == {
        "code": "unauthorized",
        "message": "The request signature is not valid.",
    }


@pytest.mark.parametrize(
    "header",
    ["X-PayCase-Merchant", "X-PayCase-Timestamp", "X-PayCase-Nonce", "X-PayCase-Signature"],
)
def test_a_missing_header_is_401(merchants: Merchants, header: str) -> None:
    headers = merchants.headers("M100001", "POST", QUERIES, _query_body())
    del headers[header]
    response = _refused(merchants, headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.parametrize("stamp", ["\u00b2", "\u0661\u0667\u0660\u0660", "1" * 13, "-1", " 1"])
def test_a_timestamp_that_is_not_ascii_digits_is_401(merchants: Merchants, stamp: str) -> None:
    headers = merchants.headers("M100001", "POST", QUERIES, _query_body())
    headers["X-PayCase-Timestamp"] = stamp
    response = _refused(merchants, headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_a_replayed_read_nonce_is_401(merchants: Merchants) -> None:
    # GIVEN a signed read that was answered
    headers = merchants.headers("M100001", "GET", "/v1/merchant/cases", b"")
    first = merchants.api.client.http.get("/v1/merchant/cases", headers=headers)
    assert first.status_code == 200
    # WHEN the same signed request comes again / THEN its spent nonce is refused
    again = merchants.api.client.http.get("/v1/merchant/cases", headers=headers)
    assert again.status_code == 401
    assert error_of(again)["message"] == "The request signature is not valid."


def test_a_replayed_signed_write_answers_once_and_does_nothing_again(
    api: Api, merchants: Merchants
) -> None:
    # GIVEN a signed payment query that was answered
    headers = merchants.headers("M100001", "POST", QUERIES, _query_body())
    first = _refused(merchants, headers)
    assert first.status_code == 200
    # WHEN the identical signed request comes again (a client retry after a lost answer, or
    # a replay) / THEN it gets the same answer and no second query or case is opened
    again = _refused(merchants, headers)
    assert (again.status_code, again.json_body) == (200, first.json_body)
    stored = api.container.payments.get_query(first.json_body["query_id"])
    assert stored is not None and stored.case_id == first.json_body["case_id"]
    cases = merchants.get("M100001", "/v1/merchant/cases").json_body["items"]
    assert [c["case_id"] for c in cases] == [first.json_body["case_id"]]


def test_a_spent_nonce_under_another_idempotency_key_is_401(merchants: Merchants) -> None:
    # GIVEN a signed query that was answered
    headers = merchants.headers("M100001", "POST", QUERIES, _query_body())
    assert _refused(merchants, headers).status_code == 200
    # WHEN its signature and nonce are sent with an Idempotency-Key it did not have
    # THEN the nonce is spent: refused like any bad signature
    again = _refused(merchants, {**headers, "Idempotency-Key": "another-key"})
    assert again.status_code == 401
    assert error_of(again)["message"] == "The request signature is not valid."


def test_a_get_is_signed_over_its_path_with_an_empty_body(merchants: Merchants) -> None:
    asked = merchants.ask("M100001", transaction_id=TXN, amount_fen=3880).json_body
    path = f"{QUERIES}/{asked['query_id']}"
    response = merchants.get("M100001", path)
    assert response.status_code == 200, response.body
    assert response.json_body["query_id"] == asked["query_id"]


def test_a_signed_bad_body_is_400_not_401(merchants: Merchants) -> None:
    response = merchants.ask("M100001", amount_fen=-5)
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"transaction_id", "amount_fen"}


# -- the webhook ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "paid_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1999-01-01T00:00:00Z"]
)
def test_a_query_paid_outside_the_supported_years_is_400(
    merchants: Merchants, paid_at: str
) -> None:
    response = merchants.ask("M100001", transaction_id=TXN, amount_fen=3880, paid_at=paid_at)
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"paid_at"}


def test_webhook_is_idempotent_by_event_id(api: Api, merchants: Merchants) -> None:
    first = merchants.event("payment.succeeded", event_id="evt_same")
    again = merchants.event("payment.succeeded", event_id="evt_same")
    assert first.status_code == again.status_code == 200
    assert first.json_body == {"received": True, "duplicate": False}
    assert again.json_body == {"received": True, "duplicate": True}
    record = api.container.payments.get_payment(TXN)
    assert record is not None and [e.event_id for e in record.events] == ["evt_same"]


@pytest.mark.parametrize(
    "problem",
    [
        "missing",
        "wrong_secret",
        "stale",
        "body_changed",
        "garbled",
        "superscript_time",
        "endless_time",
    ],
)
def test_webhook_signature_failures_are_401(api: Api, merchants: Merchants, problem: str) -> None:
    from tests.api.merchants import payment_event

    raw = json.dumps(payment_event("payment.succeeded", api.clock.now())).encode()
    secret = api.container.settings.webhook_secret
    assert secret is not None
    header = {
        "missing": "",
        "wrong_secret": sign_webhook(b"whsec_other", raw, timestamp=merchants.now()),
        "stale": sign_webhook(secret, raw, timestamp=merchants.now() - 301),
        "body_changed": sign_webhook(secret, raw + b" ", timestamp=merchants.now()),
        "garbled": "v1=abc,t=x",
        "superscript_time": "t=\u00b2,v1=" + "0" * 64,
        "endless_time": "t=" + "1" * 5000 + ",v1=" + "0" * 64,
    }[problem]
    response = merchants.webhook_raw(raw, header)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert api.container.payments.get_payment(TXN) is None  # nothing was recorded


def test_webhook_accepts_any_listed_signature_while_the_secret_rotates(
    api: Api, merchants: Merchants
) -> None:
    from tests.api.merchants import payment_event

    raw = json.dumps(payment_event("payment.succeeded", api.clock.now())).encode()
    secret = api.container.settings.webhook_secret
    assert secret is not None
    good = sign_webhook(secret, raw, timestamp=merchants.now())
    old = sign_webhook(b"whsec_old", raw, timestamp=merchants.now()).split(",")[1]
    response = merchants.webhook_raw(raw, f"{good},{old}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "occurred_at",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2201-01-01T00:00:00Z"],
)
def test_an_event_outside_the_supported_years_is_400(
    api: Api, merchants: Merchants, occurred_at: str
) -> None:
    from tests.api.merchants import payment_event

    event = {**payment_event("payment.succeeded", api.clock.now()), "occurred_at": occurred_at}
    response = merchants.webhook_raw(json.dumps(event).encode())
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"occurred_at"}
    assert api.container.payments.get_payment(TXN) is None


def test_a_signed_but_invalid_event_is_400_naming_the_fields(merchants: Merchants) -> None:
    response = merchants.event("refund.succeeded", amount_fen=0)
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert {"data.amount_fen", "data.refund_id", "data.refund_amount_fen"} <= set(fields)


# -- verdicts ---------------------------------------------------------------------------------


def test_pending_settlement_answers_with_the_next_working_day(
    api: Api, merchants: Merchants
) -> None:
    # GIVEN a payment on Friday 2026-11-27 15:00 in Beijing, not yet settled
    friday = api.clock.now() + timedelta(days=4, hours=5)
    api.clock.set(friday)
    assert merchants.event("payment.succeeded", at=friday).status_code == 200
    # WHEN the merchant asks about it
    answer = merchants.ask("M100001", transaction_id=TXN, amount_fen=3880).json_body
    # THEN it is paid but pending, due by the end of Monday (T+1 working day)
    assert answer["verdict"] == "pending_settlement"
    due = parse_rfc3339(answer["expected_settlement_by"]).astimezone(SHANGHAI)
    assert (due.date().isoformat(), due.weekday()) == ("2026-11-30", 0)
    assert answer["case_id"] is None and answer["warning"] is None
    assert answer["payment"]["status"] == "succeeded"


@pytest.mark.parametrize(
    ("events", "asked_fen", "verdict"),
    [
        (["payment.succeeded", "payment.settled"], 3880, "settled"),
        (["payment.failed"], 3880, "failed"),
        (["payment.succeeded", "refund.succeeded"], 3880, "refunded"),
        (["payment.succeeded", "payment.reversed"], 3880, "refunded"),
        (["payment.succeeded"], 9999, "amount_mismatch"),
        ([], 3880, "not_found"),
    ],
)
def test_every_verdict(
    api: Api, merchants: Merchants, events: list[str], asked_fen: int, verdict: str
) -> None:
    for kind in events:
        refund = {"refund_id": "RF-1", "refund_amount_fen": 3880} if "refund" in kind else {}
        assert merchants.event(kind, **refund).status_code == 200
    answer = merchants.ask("M100001", transaction_id=TXN, amount_fen=asked_fen).json_body
    assert answer["verdict"] == verdict
    opens_case = verdict in ("amount_mismatch", "not_found")
    assert (answer["case_number"] is not None) is opens_case
    assert (answer["warning"] is not None) is opens_case
    assert (answer["payment"] is None) is (verdict == "not_found")


def test_asking_by_order_id_finds_the_payment(merchants: Merchants) -> None:
    merchants.event("payment.succeeded", order_id="ORD-77")
    merchants.event("payment.settled", order_id="ORD-77")
    answer = merchants.ask("M100001", order_id="ORD-77", amount_fen=3880).json_body
    assert (answer["verdict"], answer["transaction_id"]) == ("settled", TXN)


def test_not_found_opens_one_merchant_settlement_case_with_the_warning(
    api: Api, merchants: Merchants, desk: Desk
) -> None:
    first = merchants.ask("M100001", transaction_id=TXN, amount_fen=3880, note="顾客出示了截图")
    second = merchants.ask("M100001", transaction_id=TXN, amount_fen=3880)
    a, b = first.json_body, second.json_body
    assert a["warning"]["code"] == "forged_success_screen_risk"
    assert b["case_id"] == a["case_id"]  # the open case is reused, not duplicated
    case = desk.staff_view(a["case_id"])
    assert (case["category"], case["merchant_id"]) == ("merchant_settlement", "M100001")
    assert "顾客出示了截图" in case["description"]
    # AND the merchant has the warning in writing
    desk.api.drain()
    mails = [
        m for m in _emails_to(api, "finance@m100001.example.com") if a["case_number"] in m.body
    ]
    assert any("伪造" in m.body for m in mails)


def _emails_to(api: Api, address: str) -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID]["ap-southeast-1"].sent_messages
    return [m for m in sent if address in str(getattr(m, "destinations", ""))]


# -- object-level authorisation ---------------------------------------------------------------


def test_merchant_b_gets_404_for_merchant_a_cases_and_queries(
    api: Api, merchants: Merchants, desk: Desk
) -> None:
    merchants.register("M200002")
    a_case = desk.file()  # a customer complaint naming M100001
    a_query = merchants.ask("M100001", transaction_id=TXN, amount_fen=3880).json_body
    for path in (
        f"/v1/merchant/cases/{a_case['case_id']}",
        f"/v1/merchant/cases/{a_query['case_id']}",
        f"{QUERIES}/{a_query['query_id']}",
    ):
        assert merchants.get("M100001", path).status_code == 200, path
        response = merchants.get("M200002", path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    answer = merchants.send(
        "M200002", "POST", f"/v1/merchant/cases/{a_case['case_id']}/responses", {"text": "x"}
    )
    assert answer.status_code == 404
    assert merchants.get("M200002", "/v1/merchant/cases").json_body["items"] == []
    assert desk.staff_view(a_case["case_id"])["timeline"][-1]["type"] != "merchant_response"


def test_merchant_b_learns_nothing_about_merchant_a_payments(merchants: Merchants) -> None:
    merchants.register("M200002")
    merchants.event("payment.succeeded")
    merchants.event("payment.settled")
    answer = merchants.ask("M200002", transaction_id=TXN, amount_fen=3880).json_body
    assert (answer["verdict"], answer["payment"]) == ("not_found", None)


def test_merchant_case_list_shows_own_cases_only(merchants: Merchants, desk: Desk) -> None:
    merchants.register("M200002")
    own = desk.file()
    other = desk.file(
        contact={"phone": "13800138001"},
        payment={"transaction_id": "TXN-B", "merchant_id": "M200002", "amount_fen": 100},
    )
    listed = merchants.get("M100001", "/v1/merchant/cases").json_body["items"]
    assert [c["case_id"] for c in listed] == [own["case_id"]]
    assert (
        "contact" not in merchants.get("M100001", f"/v1/merchant/cases/{own['case_id']}").json_body
    )
    b = merchants.get("M200002", "/v1/merchant/cases").json_body["items"]
    assert [c["case_id"] for c in b] == [other["case_id"]]


# -- merchant responses -----------------------------------------------------------------------


def test_merchant_answer_resumes_the_investigation(merchants: Merchants, desk: Desk) -> None:
    case = at_status(desk, "waiting_merchant")
    view = merchants.get("M100001", f"/v1/merchant/cases/{case['case_id']}").json_body
    assert view["status"] == "waiting_merchant" and view["respond_by"] is not None
    path = f"/v1/merchant/cases/{case['case_id']}/responses"
    response = merchants.send("M100001", "POST", path, {"text": "已核实，订单已发货。"})
    assert response.status_code == 201, response.body
    assert response.json_body["status"] == "investigating"
    assert response.json_body["timeline"][-2:][0]["text"] == "已核实，订单已发货。"
    staff = desk.staff_view(case["case_id"])
    assert staff["status"] == "investigating"
    assert any(e["type"] == "merchant_response" for e in staff["timeline"])


def test_a_repeated_merchant_answer_with_its_idempotency_key_is_recorded_once(
    merchants: Merchants, desk: Desk
) -> None:
    case = at_status(desk, "waiting_merchant")
    path = f"/v1/merchant/cases/{case['case_id']}/responses"

    def answer(text: str) -> Any:
        raw = json.dumps({"text": text}, ensure_ascii=False).encode()
        headers = {**merchants.headers("M100001", "POST", path, raw), "Idempotency-Key": "ans-1"}
        return merchants.send("M100001", "POST", path, {"text": text}, headers)

    first, again = answer("已发货"), answer("已发货")
    assert (first.status_code, again.status_code) == (201, 201)
    staff = desk.staff_view(case["case_id"])["timeline"]
    assert [e["type"] for e in staff].count("merchant_response") == 1
    reused = answer("另一个回答")
    assert reused.status_code == 422
    assert error_of(reused)["code"] == "idempotency_key_reused"


def test_merchant_answer_on_a_final_case_is_409(merchants: Merchants, desk: Desk) -> None:
    case = at_status(desk, "withdrawn")
    path = f"/v1/merchant/cases/{case['case_id']}/responses"
    response = merchants.send("M100001", "POST", path, {"text": "补充说明"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"


def test_merchant_answer_without_text_is_400(merchants: Merchants, desk: Desk) -> None:
    case = desk.file()
    path = f"/v1/merchant/cases/{case['case_id']}/responses"
    response = merchants.send("M100001", "POST", path, {"txt": "typo"})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"txt", "text"}


def test_signatures_are_judged_by_real_time_not_the_moved_application_clock(
    api: Api, merchants: Merchants
) -> None:
    # GIVEN a tester moved the application clock two days ahead
    api.clock.set(datetime.now(UTC) + timedelta(days=2))
    # THEN a request signed just now is fresh, and one signed with the moved time is stale
    assert merchants.ask("M100001", transaction_id=TXN, amount_fen=3880).status_code == 200
    moved = int(api.clock.now().timestamp())
    headers = merchants.headers("M100001", "POST", QUERIES, _query_body(), timestamp=moved)
    assert _refused(merchants, headers).status_code == 401


def test_registration_shows_the_secret_once_and_stores_it_sealed(api: Api, desk: Desk) -> None:
    admin = desk.auth(desk.staff("admin"))
    body = {"merchant_id": "M300003", "name": "三号商户", "email": "pay@m3.example.com"}
    response = api.post("/v1/admin/merchants", body, admin)
    assert response.status_code == 201, response.body
    secret = response.json_body["secret"]
    stored = api.container.merchant_directory.get("M300003")
    assert stored is not None and secret not in stored.sealed_secret
    assert api.container.merchants.secret(stored).decode() == secret
    no_email = api.post("/v1/admin/merchants", {"merchant_id": "M400004", "name": "四"}, admin)
    assert no_email.status_code == 400
    assert set(error_of(no_email)["fields"]) == {"email"}


def test_merchant_view_hides_the_payers_numbers_and_address(
    merchants: Merchants, desk: Desk
) -> None:
    words = "卡号6222021234567890123被扣款，手机13800138000，邮箱 zhang.san@example.com，订单12号"
    case = desk.file(description=words)
    view = merchants.get("M100001", f"/v1/merchant/cases/{case['case_id']}").json_body
    text = view["description"]
    for secret in ("6222021234567890123", "13800138000", "zhang.san@example.com"):
        assert secret not in text
    assert "622****0123" in text and "订单12号" in text  # short numbers are the order's own
    assert desk.staff_view(case["case_id"])["description"] == words  # staff see it all


def test_a_merchant_reads_the_warning_and_its_emails_in_its_own_language(
    api: Api, merchants: Merchants
) -> None:
    # GIVEN a merchant registered to read English, beside the Chinese default one
    merchants.register("M300001", language="en")
    # WHEN each asks about a payment nobody reported
    english = merchants.ask("M300001", transaction_id="TXN-NONE-EN", amount_fen=100).json_body
    chinese = merchants.ask("M100001", transaction_id="TXN-NONE-ZH", amount_fen=100).json_body
    # THEN each warning, and each email about the case it opened, is in its reader's language
    assert "forged" in english["warning"]["message"]
    assert "伪造" in chinese["warning"]["message"]
    api.drain()
    [mail] = _emails_to(api, "finance@m300001.example.com")
    assert "forged" in mail.body and "伪造" not in mail.body
