"""The two stories of the seed articles, replayed through the HTTP API end to end."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.timefmt import parse_rfc3339
from tests.api.conftest import error_of
from tests.api.desk import Desk

CALENDAR = WorkingCalendar.shipped()


def _working_days(start: str, end: str) -> float:
    return CALENDAR.working_seconds_between(parse_rfc3339(start), parse_rfc3339(end)) / (9 * 3600)


def test_story_charged_but_unshipped_settled_with_partial_refund_and_reshipment(desk: Desk) -> None:
    # GIVEN a customer charged 128.00 yuan for an order still "待发货"
    case = desk.file(
        category="payment_anomaly",
        description="付款成功了，但订单一直显示待发货，商家也联系不上。",
        payment={
            "transaction_id": "TX-2026-1123-88",
            "merchant_id": "M100001",
            "amount_fen": 12800,
        },
    )
    cid = case["case_id"]
    agent = desk.staff("agent", "王芳")
    # WHEN an agent takes the case, accepts it and investigates
    desk.post(f"/v1/admin/cases/{cid}/assign", {"assignee": desk.staff_ids["王芳"]}, agent)
    desk.must_move(cid, "accepted", agent)
    desk.advance(hours=3)
    desk.must_move(cid, "investigating", agent)
    call = desk.post(
        f"/v1/admin/cases/{cid}/calls",
        {"summary": "致电客户核实：已扣款，商家缺货未发货。", "outcome": "客户同意等待补发"},
        agent,
    )
    assert call.status_code == 201
    # AND offers part of the money back plus re-shipment
    desk.advance(days=1)
    offer = {
        "kind": "partial_refund",
        "also": ["reship"],
        "amount_fen": 2000,
        "text": "退还运费及补偿共20元，并由商家补发商品。",
    }
    assert desk.propose(cid, offer, agent).status_code == 201
    # AND the customer accepts and rates the service
    desk.advance(hours=20)
    accepted = desk.customer(case, "proposal/accept", {"reason": "可以接受"})
    assert accepted.status_code == 200
    assert accepted.json_body["status"] == "resolved"
    # THEN it was resolved within 5 working days, on time, and closes after the objection window
    view = desk.staff_view(cid)
    assert _working_days(view["created_at"], view["resolved_at"]) <= 5
    assert view["sla"]["state"] == "met"
    desk.advance(days=16)
    # AND the customer answers the survey that came with the closing
    assert desk.customer(case, "feedback", {"rating": 5, "comment": "处理很快"}).status_code == 201
    final = desk.customer_view(case)
    assert final["status"] == "closed"
    assert [e["type"] for e in final["timeline"]] == [
        "submitted",
        "accepted",
        "status_changed",
        "call_logged",
        "status_changed",
        "proposal_made",
        "proposal_accepted",
        "status_changed",
        "closed",
        "feedback",
    ]
    assert final["proposal"]["kind"] == "partial_refund" and final["proposal"]["also"] == ["reship"]
    # AND the customer heard about every step, by SMS and email
    for event in ("case_received", "case_accepted", "proposal_made", "case_resolved", "survey"):
        assert {(event, "sms", "sent"), (event, "email", "sent")} <= set(desk.sent(cid)), event


def test_story_repayment_negotiation_settled_by_instalments_after_a_second_review(
    desk: Desk,
) -> None:
    # GIVEN a borrower who cannot repay on time
    desk.api.clock.set(datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    case = desk.file(
        category="repayment_negotiation",
        description="失业后暂时无法按期还款，希望协商分期。",
        payment={"order_id": "LOAN-77120", "amount_fen": 600000},
        contact={"phone": "13912345678", "email": "borrower@example.com"},
    )
    cid = case["case_id"]
    agent = desk.staff("agent", "李强")
    # WHEN the agent asks for proof of income and the customer sends it
    desk.must_move(cid, "accepted", agent)
    desk.must_move(cid, "waiting_customer", agent, note="请上传近三个月的收入证明或失业证明。")
    desk.advance(days=1)
    reply = desk.customer(case, "messages", {"text": "已上传失业证明。"})
    assert reply.status_code == 201
    assert desk.staff_view(cid)["status"] == "investigating"
    # AND a deferral is offered, which the customer rejects
    deferral = {"kind": "deferral", "text": "可延期30天还款，免收延期期间利息。"}
    assert desk.propose(cid, deferral, agent).status_code == 201
    desk.advance(days=2)
    rejected = desk.customer(case, "proposal/reject", {"reason": "30天后仍无力一次还清"})
    # THEN the negotiation stays open: the agent may make another offer, or decide it failed
    assert rejected.json_body["status"] == "negotiating"
    assert "object_by" not in rejected.json_body["deadlines"]
    failed = desk.must_move(cid, "unresolved", agent, note="客户无法接受延期方案")
    assert "object_by" in failed["deadlines"]
    # AND objects, opening a second review decided by a reviewer who took no part in round 1
    desk.advance(days=1)
    review = desk.customer(case, "objection", {"reason": "希望能分期偿还"})
    assert (review.json_body["status"], review.json_body["round"]) == ("second_review", 2)
    assert desk.propose(cid, deferral, agent).status_code == 403
    reviewer = desk.staff("reviewer", "陈静")
    desk.post(f"/v1/admin/cases/{cid}/assign", {"assignee": desk.staff_ids["陈静"]}, reviewer)
    plan = {
        "kind": "installment_plan",
        "amount_fen": 600000,
        "installments": [
            {"due_date": "2026-12-15", "amount_fen": 200000},
            {"due_date": "2027-01-15", "amount_fen": 200000},
            {"due_date": "2027-02-15", "amount_fen": 200000},
        ],
        "text": "分三期偿还，每期2000元，免除逾期罚息。",
    }
    assert desk.propose(cid, plan, reviewer).status_code == 201
    desk.advance(days=2)
    settled = desk.customer(case, "proposal/accept", {})
    # THEN the second review's decision is final and recorded as round 2
    assert settled.json_body["status"] == "resolved"
    again = desk.customer(case, "objection", {"reason": "再议"})
    assert (again.status_code, error_of(again)["code"]) == (409, "invalid_transition")
    staff_view = desk.staff_view(cid)
    round_two = [e["type"] for e in staff_view["timeline"] if e["data"].get("round") == 2]
    assert round_two[0] == "second_review_opened"
    assert round_two[-1] == "second_review_decided"
    assert "proposal_made" in round_two
    assert _working_days(staff_view["created_at"], staff_view["resolved_at"]) <= 15
    for event in (
        "info_needed",
        "proposal_made",
        "case_unresolved",
        "second_review_opened",
        "second_review_decided",
    ):
        assert event in desk.events_sent(cid), event
