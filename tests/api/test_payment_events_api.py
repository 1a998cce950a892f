"""What payment-platform events do, through the HTTP API: the merchant's answered query, the
customer's messages about their payment, and a failed refund reopening its case."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.desk import Desk, at_status
from tests.api.merchants import Merchants

QUERIES = "/v1/merchant/payment-queries"
TXN = "TXN-20261123-0001"
MERCHANT_EMAIL = "finance@m100001.example.com"


def _merchant_mail(api: Api, query_id: str) -> list[tuple[str, str]]:
    """(event, status) of the merchant's messages about a query."""
    for _ in range(5):
        if not api.drain():
            break
    items, _ = api.container.notifications.for_case(f"query#{query_id}", 50, None)
    return sorted((n.event, n.status) for n in items if n.recipient == MERCHANT_EMAIL)


def test_seed_story_success_screen_pending_then_settled(
    api: Api, merchants: Merchants, desk: Desk
) -> None:
    # GIVEN a customer whose wallet showed "payment successful" and who complains about it
    case = desk.file(category="payment_anomaly")
    assert merchants.event("payment.succeeded", event_id="evt_paid").status_code == 200
    assert "payment_confirmed" in desk.events_sent(case["case_id"])
    # WHEN the merchant, who sees nothing in its account, asks about the payment
    asked = merchants.ask("M100001", transaction_id=TXN, amount_fen=3880)
    assert asked.status_code == 200, asked.body
    query = asked.json_body
    # THEN it is paid and waiting for settlement, with the date the funds are due
    assert (query["verdict"], query["open"]) == ("pending_settlement", True)
    assert query["expected_settlement_by"] is not None and query["case_id"] is None
    # WHEN the settlement event arrives
    desk.advance(hours=20)
    assert merchants.event("payment.settled", event_id="evt_settled").status_code == 200
    # THEN the merchant is told (it had the first answer in writing too), and the query
    # answers "settled" from now on
    told = [("merchant_query_answered", "sent"), ("merchant_settlement_found", "sent")]
    assert _merchant_mail(api, query["query_id"]) == told
    later = merchants.get("M100001", f"{QUERIES}/{query['query_id']}").json_body
    assert (later["verdict"], later["open"]) == ("settled", False)
    assert later["payment"]["status"] == "settled" and later["expected_settlement_by"] is None
    # AND a repeated settlement event changes nothing and tells no one again
    again = merchants.event("payment.settled", event_id="evt_settled")
    assert again.json_body["duplicate"] is True
    assert _merchant_mail(api, query["query_id"]) == told


def test_a_settlement_answers_a_not_found_query_and_resolves_its_case(
    api: Api, merchants: Merchants, desk: Desk
) -> None:
    query = merchants.ask("M100001", transaction_id=TXN, amount_fen=3880).json_body
    assert query["verdict"] == "not_found"
    merchants.event("payment.succeeded")
    merchants.event("payment.settled")
    _merchant_mail(api, query["query_id"])  # drains the outbox
    assert desk.staff_view(query["case_id"])["status"] == "resolved"
    mail = _merchant_mail(api, query["query_id"])
    assert ("merchant_settlement_found", "sent") in mail
    view = merchants.get("M100001", f"/v1/merchant/cases/{query['case_id']}").json_body
    assert view["status"] == "resolved"
    # AND the merchant, the settlement case's contact, hears of the outcome in a text written
    # for merchants, and gets no customer payment messages
    sent = desk.events_sent(query["case_id"])
    assert "merchant_case_update" in sent
    assert not sent & {"case_resolved", "payment_confirmed", "refund_succeeded"}


def test_a_payment_found_but_not_settled_leaves_the_case_open_until_it_settles(
    api: Api, merchants: Merchants, desk: Desk
) -> None:
    # GIVEN a not_found query with its case
    query = merchants.ask("M100001", transaction_id=TXN, amount_fen=3880).json_body
    cid = query["case_id"]
    # WHEN the payment appears, paid but not yet settled
    merchants.event("payment.succeeded")
    mail = _merchant_mail(api, query["query_id"])
    # THEN the merchant is told, the case records the finding and stays open: no money yet
    assert ("merchant_query_answered", "sent") in mail
    view = merchants.get("M100001", f"/v1/merchant/cases/{cid}").json_body
    assert view["status"] == "submitted"
    found = [e["verdict"] for e in view["timeline"] if e["type"] == "payment_found"]
    assert found == ["pending_settlement"]
    staff = desk.staff_view(cid)["timeline"]
    assert [e["summary"] for e in staff if e["type"] == "payment_found"] == [
        "支付平台查到该笔支付：已支付，待结算。"
    ]
    # WHEN the settlement arrives, the case resolves itself
    merchants.event("payment.settled")
    _merchant_mail(api, query["query_id"])
    assert desk.staff_view(cid)["status"] == "resolved"


def test_a_failed_payment_answers_the_query_and_leaves_its_case_with_staff(
    api: Api, merchants: Merchants, desk: Desk
) -> None:
    query = merchants.ask("M100001", transaction_id=TXN, amount_fen=3880).json_body
    merchants.event("payment.failed")
    _merchant_mail(api, query["query_id"])
    later = merchants.get("M100001", f"{QUERIES}/{query['query_id']}").json_body
    assert (later["verdict"], later["open"]) == ("failed", False)
    view = desk.staff_view(query["case_id"])
    assert view["status"] == "submitted"
    assert [e["summary"] for e in view["timeline"] if e["type"] == "payment_found"] == [
        "支付平台查到该笔支付：支付失败。"
    ]


def test_customer_hears_of_a_refund_that_succeeded(merchants: Merchants, desk: Desk) -> None:
    case = at_status(desk, "investigating")
    merchants.event("payment.succeeded")
    merchants.event("refund.succeeded", refund_id="RF-1", refund_amount_fen=3880)
    assert {"payment_confirmed", "refund_succeeded"} <= desk.events_sent(case["case_id"])
    assert desk.staff_view(case["case_id"])["status"] == "investigating"


def test_customer_who_named_only_the_order_hears_of_the_payment(
    merchants: Merchants, desk: Desk
) -> None:
    # GIVEN a complaint that names the payment by the merchant's order, not the transaction
    payment = {"merchant_id": "M100001", "order_id": "ORD-1", "amount_fen": 3880}
    case = desk.file(payment=payment)
    # WHEN the platform confirms the payment of that order, and of another merchant's ORD-1
    merchants.event("payment.succeeded", merchant_id="M200002", transaction_id="TXN-OTHER")
    assert "payment_confirmed" not in desk.events_sent(case["case_id"])
    merchants.event("payment.succeeded")
    # THEN the customer is told
    assert "payment_confirmed" in desk.events_sent(case["case_id"])


def test_customer_hears_of_a_reversal(merchants: Merchants, desk: Desk) -> None:
    case = desk.file()
    merchants.event("payment.reversed")
    assert "payment_reversed" in desk.events_sent(case["case_id"])


def test_a_failed_refund_reopens_the_case_and_alerts_the_assignee(
    api: Api, merchants: Merchants, desk: Desk
) -> None:
    # GIVEN a case resolved with a refund and handled by an agent with an email address
    case = at_status(desk, "resolved")
    cid = case["case_id"]
    desk.staff("agent", "王五", email="wang.wu@desk.example.com")
    supervisor = desk.staff("supervisor")
    assign = desk.post(
        f"/v1/admin/cases/{cid}/assign", {"assignee": desk.staff_ids["王五"]}, supervisor
    )
    assert assign.status_code == 200, assign.body
    # WHEN the platform reports that the refund failed
    merchants.event("payment.succeeded")
    failed = merchants.event(
        "refund.failed", refund_id="RF-9", refund_amount_fen=3880, failure_reason="收款账户已注销"
    )
    assert failed.status_code == 200
    sent = desk.sent(cid)
    # THEN the investigation is reopened, the customer is told and the assignee alerted
    view = desk.staff_view(cid)
    assert view["status"] == "investigating"
    assert ("refund_failed", "sms", "sent") in sent
    alerts = [
        n
        for n in api.container.notifications.for_case(cid, 100, None)[0]
        if n.event == "refund_failed_alert"
    ]
    assert [n.recipient for n in alerts] == ["wang.wu@desk.example.com"]
    assert any("收款账户已注销" in (e.get("summary") or "") for e in view["timeline"])


def test_payment_events_about_final_cases_tell_no_one(merchants: Merchants, desk: Desk) -> None:
    case = at_status(desk, "withdrawn")
    before = desk.events_sent(case["case_id"])
    merchants.event("refund.succeeded", refund_id="RF-1", refund_amount_fen=3880)
    assert desk.events_sent(case["case_id"]) == before


def test_a_redelivered_payment_event_is_told_once(
    api: Api, merchants: Merchants, desk: Desk
) -> None:
    case = desk.file()
    merchants.event("refund.succeeded", refund_id="RF-1", refund_amount_fen=3880)
    api.drain()
    (event,) = _payment_events(api)
    api.container.outbox.handle(event)  # the stream delivers it again
    refunds = [s for s in desk.sent(case["case_id"]) if s[0] == "refund_succeeded"]
    assert sorted(channel for _, channel, _ in refunds) == ["email", "sms"]


def _payment_events(api: Api) -> list[object]:
    from chalicelib.adapters.dynamo.mapping import event_from_model
    from chalicelib.adapters.dynamo.models import OutboxModel

    return [event_from_model(m) for m in OutboxModel.query(f"payment#{TXN}")]


def test_a_settlement_of_another_amount_leaves_the_mismatch_case_open(
    api: Api, merchants: Merchants, desk: Desk
) -> None:
    merchants.event("payment.succeeded")
    query = merchants.ask("M100001", transaction_id=TXN, amount_fen=9999).json_body
    assert query["verdict"] == "amount_mismatch"
    merchants.event("payment.settled")
    told = _merchant_mail(api, query["query_id"])
    assert desk.staff_view(query["case_id"])["status"] == "submitted"
    assert ("merchant_settlement_found", "sent") not in told
    later = merchants.get("M100001", f"{QUERIES}/{query['query_id']}").json_body
    assert (later["verdict"], later["open"]) == ("amount_mismatch", True)


def _public(desk: Desk, case: dict[str, object]) -> list[tuple[str, str]]:
    desk.sent(str(case["case_id"]))  # lets the outbox drain
    return [(e["type"], e["summary"]) for e in desk.customer_view(case)["timeline"]]


def test_a_refund_of_a_payment_not_yet_reported_tells_of_the_refund_alone(
    merchants: Merchants, desk: Desk
) -> None:
    # GIVEN a case about a payment the platform has not reported yet
    case = desk.file()
    # WHEN the first event about it is a refund (which implies the payment went through)
    merchants.event("refund.succeeded", refund_id="RF-1", refund_amount_fen=3880)
    # THEN the customer gets the refund's message on each channel, and no separate
    # "payment confirmed" one
    told = [(e, c) for e, c, _ in desk.sent(case["case_id"]) if e.startswith(("payment", "ref"))]
    assert sorted(told) == [("refund_succeeded", "email"), ("refund_succeeded", "sms")]
    # AND the public timeline shows the refund once, with its amount and id, in zh-CN
    timeline = [t for t in _public(desk, case) if t[0] != "submitted"]
    assert timeline == [("refund_succeeded", "退款 38.80元 已办理成功（退款单号 RF-1）。")]
    # AND the payment's own success, reported late, adds nothing more
    merchants.event("payment.succeeded")
    again = [t for t in _public(desk, case) if t[0] != "submitted"]
    assert again == timeline


def test_each_payment_event_shows_once_on_the_timeline_in_the_case_s_language(
    merchants: Merchants, desk: Desk
) -> None:
    # GIVEN an English-speaking customer's case about a payment
    contact = {"phone": "13800138000", "email": "li.si@example.com", "language": "en"}
    case = desk.file(contact=contact)
    # WHEN the payment succeeds, a refund of part of it fails, then a second one succeeds, and
    # the platform repeats one event
    merchants.event("payment.succeeded", event_id="evt_1")
    desk.advance(minutes=5)
    merchants.event(
        "refund.failed", refund_id="RF-1", refund_amount_fen=1000, failure_reason="closed"
    )
    desk.advance(minutes=5)
    merchants.event("refund.succeeded", refund_id="RF-2", refund_amount_fen=1000)
    merchants.event("payment.succeeded", event_id="evt_1")
    # THEN the timeline shows each event once, in English, with its amount
    types = [(t, s) for t, s in _public(desk, case) if t.startswith(("payment", "refund"))]
    assert [t for t, _ in types] == ["payment_confirmed", "refund_failed", "refund_succeeded"]
    assert "CNY 38.80 succeeded" in types[0][1]
    assert types[1][1] == "The refund of CNY 10.00 did not go through; we are handling it again."
    assert types[2][1] == "The refund of CNY 10.00 succeeded (refund RF-2)."


def test_a_failed_payment_shows_on_the_timeline_without_a_message(
    merchants: Merchants, desk: Desk
) -> None:
    case = desk.file()
    merchants.event("payment.failed", failure_reason="insufficient_funds")
    assert _public(desk, case)[-1] == ("payment_failed", "支付平台报告您的付款 38.80元 未成功。")
    assert not [e for e, _, _ in desk.sent(case["case_id"]) if e == "payment_failed"]
