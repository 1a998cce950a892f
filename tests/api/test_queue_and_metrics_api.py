"""The staff queue (most urgent first, filters, cursors) and the desk's metrics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.conftest import error_of
from tests.api.desk import Desk, at_status
from tests.builders import complaint


def _queue(desk: Desk, query: str = "", role: str = "agent") -> dict[str, Any]:
    response = desk.api.get(f"/v1/admin/cases{query}", desk.staff(role))
    assert response.status_code == 200, response.body
    return dict(response.json_body)


def _numbers(page: dict[str, Any]) -> list[str]:
    return [item["case_number"] for item in page["items"]]


def test_queue_puts_the_most_urgent_deadline_first(desk: Desk) -> None:
    # GIVEN an accepted "other" case (10 working days to resolve), a payment case awaiting its
    # first response (1 working day) and a fraud case (first response in 4 business hours)
    other = at_status(desk, "accepted", category="other", payment=None)
    payment = desk.file(category="payment_anomaly", payment=None)
    fraud = desk.file(category="security_fraud", payment=None)
    # WHEN staff read the queue THEN the fraud case comes first and the 'other' case last
    page = _queue(desk)
    assert _numbers(page) == [fraud["case_number"], payment["case_number"], other["case_number"]]
    first = page["items"][0]
    assert {"case_id", "status", "category", "assignee", "due_at", "sla", "version"} <= set(first)


def test_queue_filters(desk: Desk) -> None:
    a = desk.file(category="refund_delay", payment={"transaction_id": "T-A", "merchant_id": "M-A"})
    b = desk.file(category="refund_delay", payment={"transaction_id": "T-B", "merchant_id": "M-B"})
    c = desk.file(category="other", payment=None)
    agent = desk.staff("agent")
    desk.post(
        f"/v1/admin/cases/{b['case_id']}/assign", {"assignee": desk.staff_ids["agent"]}, agent
    )
    desk.must_move(c["case_id"], "accepted")
    assert set(_numbers(_queue(desk, "?category=refund_delay"))) == {
        a["case_number"],
        b["case_number"],
    }
    assert _numbers(_queue(desk, "?merchant_id=M-A")) == [a["case_number"]]
    assert _numbers(_queue(desk, f"?assignee={desk.staff_ids['agent']}")) == [b["case_number"]]
    assert _numbers(_queue(desk, "?status=accepted")) == [c["case_number"]]
    assert _numbers(_queue(desk, "?status=submitted&category=other")) == []
    assert _numbers(_queue(desk, "?category=refund_delay&merchant_id=M-B")) == [b["case_number"]]


def test_queue_sla_filters(desk: Desk) -> None:
    # GIVEN a fraud case (4 business hours) and a payment case (1 working day)
    fraud = desk.file(category="security_fraud", payment=None)
    payment = desk.file(category="payment_anomaly", payment=None)
    # WHEN 3.5 business hours pass THEN the fraud case is at risk, nothing is breached
    desk.api.clock.advance(timedelta(hours=3, minutes=30).total_seconds())
    assert _numbers(_queue(desk, "?sla=at_risk")) == [fraud["case_number"]]
    assert _numbers(_queue(desk, "?sla=breached")) == []
    # WHEN Tuesday 15:00 comes (80% of the payment case's 17 working hours are used at 14:36)
    # THEN the fraud case is breached and the payment case at risk
    desk.api.clock.advance(timedelta(hours=25, minutes=30).total_seconds())
    assert _numbers(_queue(desk, "?sla=breached")) == [fraud["case_number"]]
    assert _numbers(_queue(desk, "?sla=at_risk")) == [payment["case_number"]]


def test_queue_pages_with_tamper_evident_cursors(desk: Desk) -> None:
    filed = [desk.file(payment=None)["case_number"] for _ in range(5)]
    first = _queue(desk, "?limit=2")
    second = _queue(desk, f"?limit=2&cursor={first['next_cursor']}")
    third = _queue(desk, f"?limit=2&cursor={second['next_cursor']}")
    seen = _numbers(first) + _numbers(second) + _numbers(third)
    assert sorted(seen) == sorted(filed) and len(seen) == 5
    forged = first["next_cursor"][:-3] + "abc"
    response = desk.api.get(f"/v1/admin/cases?limit=2&cursor={forged}", desk.staff("agent"))
    assert response.status_code == 400
    assert "cursor" in error_of(response)["fields"]
    # a cursor from another filter is refused too
    other = desk.api.get(
        f"/v1/admin/cases?status=submitted&cursor={first['next_cursor']}", desk.staff("agent")
    )
    assert other.status_code == 400


@pytest.mark.parametrize("query", ["?status=lost", "?sla=late", "?limit=0", "?category=x"])
def test_queue_bad_filters_are_400(desk: Desk, query: str) -> None:
    assert desk.api.get(f"/v1/admin/cases{query}", desk.staff("agent")).status_code == 400


def test_closed_cases_leave_the_open_queue(desk: Desk) -> None:
    case = at_status(desk, "withdrawn")
    assert case["case_number"] not in _numbers(_queue(desk))
    assert _numbers(_queue(desk, "?status=withdrawn")) == [case["case_number"]]


def _assigned_refund_case(desk: Desk, n: int) -> dict[str, Any]:
    """A refund-delay case against merchant M-Q, assigned to the agent."""
    payment = {"transaction_id": f"T-Q{n}", "merchant_id": "M-Q", "amount_fen": 100}
    case = desk.file(category="refund_delay", payment=payment)
    body = {"assignee": desk.staff_ids["agent"]}
    response = desk.post(f"/v1/admin/cases/{case['case_id']}/assign", body, desk.staff("agent"))
    assert response.status_code == 200, response.body
    return case


def test_filtered_queues_list_open_cases_only_most_urgent_first(desk: Desk) -> None:
    # GIVEN one agent's refund-delay cases against one merchant: one closed when the customer
    # did not answer, five withdrawn, then an accepted case and a newly filed one
    desk.staff("agent")
    closed = _assigned_refund_case(desk, 0)
    desk.must_move(closed["case_id"], "accepted")
    desk.must_move(closed["case_id"], "waiting_customer", note="请提供银行流水截图")
    desk.advance(days=10)
    assert desk.staff_view(closed["case_id"])["status"] == "closed"
    withdrawn = [_assigned_refund_case(desk, n) for n in range(1, 6)]
    for case in withdrawn:
        assert desk.customer(case, "withdraw").status_code == 200
    accepted = _assigned_refund_case(desk, 6)
    desk.must_move(accepted["case_id"], "accepted")
    filed = _assigned_refund_case(desk, 7)
    open_cases = [filed["case_number"], accepted["case_number"]]  # first response is due first
    agent = desk.staff_ids["agent"]
    for narrowing in (
        f"assignee={agent}",
        "merchant_id=M-Q",
        "category=refund_delay",
        f"assignee={agent}&merchant_id=M-Q&category=refund_delay",
    ):
        # WHEN staff read the queue under the filter THEN only the open cases are listed,
        # the most urgent first, and a page of one is the most urgent one
        page = _queue(desk, f"?{narrowing}")
        assert (_numbers(page), page["next_cursor"]) == (open_cases, None), narrowing
        due = [item["due_at"] for item in page["items"]]
        assert due == sorted(due)
        assert _numbers(_queue(desk, f"?{narrowing}&limit=1")) == open_cases[:1], narrowing
        # AND the finished cases are found by their status
        assert _numbers(_queue(desk, f"?{narrowing}&status=closed")) == [closed["case_number"]]
        ended = _numbers(_queue(desk, f"?{narrowing}&status=withdrawn"))
        assert sorted(ended) == sorted(c["case_number"] for c in withdrawn), narrowing
    # WHEN the new case's first response is overdue THEN a page of one breached case is that
    # case, with no finished case read in its place
    desk.advance(days=2)
    for narrowing in (f"assignee={agent}", "merchant_id=M-Q", "category=refund_delay"):
        page = _queue(desk, f"?{narrowing}&sla=breached&limit=1")
        assert _numbers(page) == open_cases[:1], narrowing
    # AND an SLA filter on a final status is simply empty
    page = _queue(desk, "?status=withdrawn&sla=breached")
    assert (page["items"], page["next_cursor"]) == ([], None)


def test_metrics_follow_the_cases(desk: Desk) -> None:
    # GIVEN three complaints from two customers: one accepted and resolved and rated, one
    # withdrawn, and the same customer's second complaint (a repeat)
    first = desk.file(category="payment_anomaly")
    resolved = at_status(desk, "resolved", category="refund_delay", payment=None)
    desk.customer(resolved, "feedback", {"rating": 4})
    desk.file(category="other", payment=None, contact={"phone": "13900139000"})
    desk.customer(first, "withdraw")
    desk.api.drain()
    # WHEN a supervisor reads today's metrics
    report = _queue_metrics(desk)
    # THEN volumes, statuses, clocks, medians, satisfaction and repeats are counted
    assert report["volumes"]["filed"] == 3
    assert report["volumes"]["by_category"] == {"other": 1, "payment_anomaly": 1, "refund_delay": 1}
    assert report["volumes"]["by_status"] == {"resolved": 1, "submitted": 1, "withdrawn": 1}
    # (the first response: met by the resolved case, withdrawn before it for the first, and
    # still running for the third)
    assert report["sla"]["first_response"] == {
        "running": 1,
        "met": 1,
        "missed": 0,
        "cancelled": 1,
        "started": 3,
        "total": 1,
        "percent_met": 100.0,
    }
    assert report["sla"]["resolution"]["total"] == 1
    assert report["median_working_hours"]["first_response"] == 0.0
    assert report["csat"] == {
        "count": 1,
        "average": 4.0,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
    }
    assert report["repeat_complaint_rate"] == round(1 / 3, 3)


def test_metrics_count_each_change_once(desk: Desk) -> None:
    desk.file(payment=None)
    events = desk.api.container.store.pending_events(desk.api.clock.now(), 10)
    for event in events * 3:
        desk.api.container.outbox.handle(event)
    assert _queue_metrics(desk)["volumes"]["filed"] == 1


def _queue_metrics(desk: Desk) -> dict[str, Any]:
    response = desk.api.get("/v1/admin/metrics", desk.staff("supervisor"))
    assert response.status_code == 200, response.body
    return dict(response.json_body)


@pytest.mark.parametrize(
    "query",
    [
        "?from=2026-13-01",
        "?from=2026-11-30&to=2026-11-01",
        "?from=2020-01-01&to=2026-01-01",
        "?from=0001-01-01T00:00:00%2B01:00",
        "?to=9999-12-31T23:59:59-01:00",
        "?to=9999-12-31T23:00:00Z",
        "?to=0001-01-01",
        "?from=9999-12-31&to=9999-12-31",
        "?from=1999-12-31T00:00:00Z&to=2000-01-05",
    ],
)
def test_metrics_bad_ranges_are_400(desk: Desk, query: str) -> None:
    response = desk.api.get(f"/v1/admin/metrics{query}", desk.staff("supervisor"))
    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_failed"


def test_metrics_repeat_needs_the_same_contact(desk: Desk) -> None:
    desk.file(payment=None)
    desk.api.file(complaint(contact={"email": "someone@example.com"}, payment=None))
    desk.api.drain()
    assert _queue_metrics(desk)["repeat_complaint_rate"] == 0.0


def test_metrics_count_a_breached_clock_as_missed_before_it_stops(desk: Desk) -> None:
    # GIVEN two complaints filed Monday 10:00: one accepted at once, one left alone
    left_alone = desk.file(category="payment_anomaly")
    accepted = desk.file(category="other", payment=None, contact={"phone": "13900139000"})
    desk.must_move(accepted["case_id"], "accepted")
    desk.api.drain()
    before = _queue_metrics(desk)["sla"]["first_response"]
    assert (before["met"], before["missed"], before["running"]) == (1, 0, 1)
    # WHEN the first-response deadline (Tuesday 18:00) passes for the one left alone
    desk.advance(days=1, hours=8, minutes=1)
    # THEN the supervisor reads it as missed now, though its clock has not stopped: 50% met,
    # not 100%
    after = _queue_metrics(desk)["sla"]["first_response"]
    assert (after["met"], after["missed"], after["running"], after["total"]) == (1, 1, 0, 2)
    assert after["percent_met"] == 50.0
    assert desk.staff_view(left_alone["case_id"])["status"] == "submitted"
