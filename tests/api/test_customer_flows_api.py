"""The customer's side over time: waiting for information, the objection window, rating,
withdrawing, preferences, and staff messages."""

from __future__ import annotations

from tests.api.conftest import error_of
from tests.api.desk import EXPLANATION, Desk, at_status
from tests.builders import complaint


def test_waiting_customer_reminds_after_3_and_closes_after_5_working_days(desk: Desk) -> None:
    # GIVEN a case waiting for the customer since Monday 10:00
    case = at_status(desk, "waiting_customer")
    cid = case["case_id"]
    reply_by = desk.customer_view(case)["deadlines"]["reply_by"]
    assert reply_by == "2026-11-30T10:00:00Z"  # 18:00 Beijing, five working days later
    # WHEN two working days pass THEN nothing has happened yet
    desk.advance(days=2)
    assert "customer_reminder" not in desk.events_sent(cid)
    # WHEN the third working day ends (Thursday 18:00) THEN the customer is reminded
    desk.advance(days=1, hours=8)
    assert desk.events_sent(cid) >= {"info_needed", "customer_reminder"}
    # WHEN the fifth working day ends without a reply THEN the case closes (no outcome, so
    # no satisfaction survey)
    desk.advance(days=4)
    view = desk.customer_view(case)
    assert view["status"] == "closed"
    assert "survey" not in desk.events_sent(cid)
    reminders = [e for e in desk.sent(cid) if e[0] == "customer_reminder"]
    assert len(reminders) == 2  # one SMS, one email


def test_a_reply_stops_the_wait(desk: Desk) -> None:
    case = at_status(desk, "waiting_customer")
    assert desk.customer(case, "messages", {"text": "截图已补充"}).status_code == 201
    desk.advance(days=10)
    assert desk.customer_view(case)["status"] == "investigating"
    assert "customer_reminder" not in desk.events_sent(case["case_id"])


def test_outcome_closes_after_the_objection_window(desk: Desk) -> None:
    case = at_status(desk, "resolved")
    object_by = desk.customer_view(case)["deadlines"]["object_by"]
    assert object_by == "2026-12-08T02:00:00Z"  # 15 days after the outcome
    desk.advance(days=14)
    assert desk.customer_view(case)["status"] == "resolved"
    desk.advance(days=1, seconds=1)
    assert desk.customer_view(case)["status"] == "closed"
    late = desk.customer(case, "objection", {"reason": "太晚了"})
    assert late.status_code == 409


def test_objection_after_the_window_is_refused(desk: Desk) -> None:
    case = at_status(desk, "unresolved")
    desk.api.clock.set(desk.api.clock.now().replace(year=2026, month=12, day=9))
    response = desk.customer(case, "objection", {"reason": "不同意"})
    assert response.status_code == 409
    assert "window" in error_of(response)["message"]


def test_rating_once_and_only_after_an_outcome(desk: Desk) -> None:
    open_case = desk.file()
    early = desk.customer(open_case, "feedback", {"rating": 4})
    assert early.status_code == 409
    case = at_status(desk, "resolved", payment=None)
    assert desk.customer(case, "feedback", {"rating": 4}).status_code == 201
    again = desk.customer(case, "feedback", {"rating": 1})
    # THEN a second rating says what happened: the case was rated already
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_rated"
    assert error_of(early)["code"] == "invalid_transition"
    assert desk.customer_view(case)["rating"] == 4
    for bad in ({"rating": 0}, {"rating": 6}, {"rating": "5"}, {"rating": 4.5}, {}):
        assert desk.customer(case, "feedback", bad).status_code in (400, 409)


def test_feedback_with_idempotency_key_replays(desk: Desk) -> None:
    case = at_status(desk, "resolved")
    headers = {"Authorization": f"Bearer {case['access_token']}", "Idempotency-Key": "fb-1"}
    path = f"/v1/cases/{case['case_id']}/feedback"
    first = desk.api.post(path, {"rating": 5}, headers)
    second = desk.api.post(path, {"rating": 5}, headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json_body == second.json_body


def test_withdrawal_frees_the_transaction_for_a_new_complaint(desk: Desk) -> None:
    case = desk.file()
    assert desk.api.file().status_code == 409  # a duplicate while open
    withdrawn = desk.customer(case, "withdraw", {"reason": "商家已退款"})
    assert withdrawn.json_body["status"] == "withdrawn"
    assert desk.api.file().status_code == 201
    assert desk.customer(case, "withdraw").status_code == 409


def test_staff_message_reaches_the_customer_and_the_timeline(desk: Desk) -> None:
    case = desk.file()
    token = desk.staff("agent")
    sent = desk.post(f"/v1/admin/cases/{case['case_id']}/messages", {"text": "已联系商家"}, token)
    assert sent.status_code == 201
    assert sent.json_body["summary"] == "已联系商家"
    note = desk.post(f"/v1/admin/cases/{case['case_id']}/notes", {"text": "商家态度差"}, token)
    assert note.status_code == 201
    timeline = desk.customer_view(case)["timeline"]
    assert "已联系商家" in [e["summary"] for e in timeline]
    assert "商家态度差" not in [e["summary"] for e in timeline]
    assert "staff_message" in desk.events_sent(case["case_id"])


def test_preferences_change_the_channels_used(desk: Desk) -> None:
    case = desk.file()
    path = f"/v1/cases/{case['case_id']}/preferences"
    auth = {"Authorization": f"Bearer {case['access_token']}"}
    changed = desk.api.client.http.put(
        path,
        headers={**auth, "Content-Type": "application/json"},
        body='{"channels": ["email"], "language": "en"}',
    )
    assert changed.status_code == 200
    assert (changed.json_body["channels"], changed.json_body["language"]) == (["email"], "en")
    desk.must_move(case["case_id"], "accepted")
    accepted = [e for e in desk.sent(case["case_id"]) if e[0] == "case_accepted"]
    assert accepted == [("case_accepted", "email", "sent")]


def test_proposal_answers_need_a_pending_proposal(desk: Desk) -> None:
    case = desk.file()
    assert desk.customer(case, "proposal/accept").status_code == 409
    desk.must_move(case["case_id"], "accepted")
    assert desk.propose(case["case_id"], EXPLANATION).status_code == 201
    assert desk.customer(case, "proposal/accept").status_code == 200
    assert desk.customer(case, "proposal/reject").status_code == 409


def test_customer_view_shows_the_description_they_filed(desk: Desk) -> None:
    # GIVEN a complaint filed with a description
    filed = desk.file()
    # WHEN the customer opens their case
    view = desk.customer_view(filed)
    # THEN it shows what they wrote, as they wrote it
    assert view["description"] == complaint()["description"]
