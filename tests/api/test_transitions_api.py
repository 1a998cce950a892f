"""POST /v1/admin/cases/{id}/transitions: every move staff may make, and every other refused."""

from __future__ import annotations

import pytest

from chalicelib.domain.case import Status
from chalicelib.domain.lifecycle import STAFF_MOVES
from tests.api.conftest import error_of
from tests.api.desk import Desk, at_status

STATUSES = [s.value for s in Status]
NOTES = {"waiting_customer": "请补充付款截图和银行流水"}


def _token_for(desk: Desk, start: str) -> str:
    # A second review is decided by a reviewer who did not handle round 1.
    return desk.staff("reviewer") if start == "second_review" else desk.staff("agent")


@pytest.mark.parametrize("start", STATUSES)
def test_transition_every_other_move_is_refused(desk: Desk, start: str) -> None:
    # GIVEN a case in `start`
    case = at_status(desk, start)
    before = desk.staff_view(case["case_id"])
    allowed = {to.value for (frm, to) in STAFF_MOVES if frm.value == start}
    # WHEN staff try every move they may not make
    for to in sorted(set(STATUSES) - allowed):
        response = desk.move(case["case_id"], to, _token_for(desk, start), NOTES.get(to))
        # THEN each is 409 invalid_transition and the case is untouched
        assert response.status_code == 409, (start, to, response.body)
        assert error_of(response)["code"] == "invalid_transition"
    after = desk.staff_view(case["case_id"])
    assert (after["status"], after["version"]) == (before["status"], before["version"])


@pytest.mark.parametrize(
    ("start", "to"), sorted((frm.value, to.value) for frm, to in STAFF_MOVES), ids=str
)
def test_transition_each_staff_move_is_allowed(desk: Desk, start: str, to: str) -> None:
    # GIVEN a case in `start`
    case = at_status(desk, start)
    version = desk.staff_view(case["case_id"])["version"]
    # WHEN staff make the move with the version they saw
    response = desk.move(case["case_id"], to, _token_for(desk, start), NOTES.get(to), version)
    # THEN it is made, the version moves on and the customer's timeline shows it
    assert response.status_code == 200, response.body
    assert (response.json_body["status"], response.json_body["version"]) == (to, version + 1)
    assert desk.customer_view(case)["status"] == to


def test_transition_with_a_stale_version_is_a_conflict(desk: Desk) -> None:
    case = desk.file()
    version = desk.staff_view(case["case_id"])["version"]
    desk.must_move(case["case_id"], "accepted")
    response = desk.move(case["case_id"], "investigating", version=version)
    assert response.status_code == 409
    assert error_of(response)["code"] == "version_conflict"
    assert desk.staff_view(case["case_id"])["status"] == "accepted"


@pytest.mark.parametrize(
    "body",
    [
        {"to": "accepted"},
        {"to": "accepted", "expected_version": "1"},
        {"to": "accepted", "expected_version": 0},
        {"to": "done", "expected_version": 1},
        {"expected_version": 1},
        {"to": "accepted", "expected_version": 1, "by": "me"},
    ],
)
def test_transition_bad_bodies_are_400(desk: Desk, body: dict[str, object]) -> None:
    case = desk.file()
    response = desk.post(
        f"/v1/admin/cases/{case['case_id']}/transitions", body, desk.staff("agent")
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_failed"


def test_transition_to_waiting_customer_needs_a_note(desk: Desk) -> None:
    case = at_status(desk, "accepted")
    response = desk.move(case["case_id"], "waiting_customer")
    assert response.status_code == 400
    assert "note" in error_of(response)["fields"]


def test_transition_accepting_tells_the_customer_and_stops_the_first_response_clock(
    desk: Desk,
) -> None:
    case = desk.file()
    view = desk.must_move(case["case_id"], "accepted")
    desk.api.drain()
    assert view["accepted_at"] is not None
    assert "case_accepted" in desk.events_sent(case["case_id"])
    timeline = [e["type"] for e in desk.customer_view(case)["timeline"]]
    assert timeline == ["submitted", "accepted"]


def test_every_staff_write_answers_with_the_case_new_version(desk: Desk) -> None:
    # GIVEN an accepted case and an agent who works it with expected_version throughout
    case = desk.file()
    cid, token = case["case_id"], desk.staff("agent")
    supervisor = desk.staff("supervisor")
    desk.staff("agent", name="李四")
    version = desk.must_move(cid, "accepted")["version"]
    writes = [
        ("notes", {"text": "先核对银行流水"}, token, 201),
        ("calls", {"summary": "致电客户核实订单号", "outcome": "客户补充了订单号"}, token, 201),
        ("messages", {"text": "我们正在联系商户核实。"}, token, 201),
        ("assign", {"assignee": desk.staff_ids["李四"]}, supervisor, 200),
        ("transitions", {"to": "investigating"}, token, 200),
        ("extensions", {"days": 5, "reason": "需向银行调取记录"}, supervisor, 200),
        ("proposals", {"kind": "explanation", "text": "款项已原路退回。"}, token, 201),
    ]
    for action, body, who, status in writes:
        # WHEN each write names the version the previous answer gave
        response = desk.post(
            f"/v1/admin/cases/{cid}/{action}", {**body, "expected_version": version}, who
        )
        # THEN it succeeds, and its answer carries the case's new version (never a stale one)
        assert response.status_code == status, (action, response.body)
        assert response.json_body["version"] == version + 1, action
        version = response.json_body["version"]
        assert desk.staff_view(cid)["version"] == version
    # AND an agent's next transition after a note of their own does not conflict
    note = desk.post(f"/v1/admin/cases/{cid}/notes", {"text": "等待客户答复"}, token)
    assert note.json_body["case_id"] == cid
    moved = desk.move(cid, "investigating", token, version=note.json_body["version"])
    assert moved.status_code == 200, moved.body
