"""Each role allowed and refused: agents work round 1, reviewers decide second reviews (with
recusal), supervisors assign and read metrics, admins create staff."""

from __future__ import annotations

import pytest

from tests.api.conftest import error_of
from tests.api.desk import EXPLANATION, Desk, at_status


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("agent", True), ("supervisor", True), ("admin", True), ("reviewer", False)],
)
def test_role_round_one_moves(desk: Desk, role: str, allowed: bool) -> None:
    case = desk.file()
    response = desk.move(case["case_id"], "accepted", desk.staff(role))
    assert response.status_code == (200 if allowed else 403), response.body


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("agent", False), ("supervisor", False), ("reviewer", True), ("admin", True)],
)
def test_role_second_review_decisions(desk: Desk, role: str, allowed: bool) -> None:
    case = at_status(desk, "second_review")
    response = desk.move(case["case_id"], "resolved", desk.staff(role, f"new {role}"))
    assert response.status_code == (200 if allowed else 403), response.body


def test_recusal_refuses_anyone_who_handled_round_one(desk: Desk) -> None:
    # GIVEN an admin who accepted the case in round 1, and its second review
    admin = desk.staff("admin", "round-one admin")
    case = desk.file()
    desk.must_move(case["case_id"], "accepted", admin)
    assert desk.propose(case["case_id"], EXPLANATION, admin).status_code == 201
    desk.customer(case, "proposal/reject")
    desk.must_move(case["case_id"], "unresolved", admin, note="无法达成一致")
    desk.customer(case, "objection", {"reason": "我不接受"})
    # WHEN that admin tries to decide, propose, or take the review
    attempts = [
        desk.move(case["case_id"], "resolved", admin),
        desk.propose(case["case_id"], EXPLANATION, admin),
        desk.post(
            f"/v1/admin/cases/{case['case_id']}/assign",
            {"assignee": desk.staff_ids["round-one admin"]},
            admin,
        ),
    ]
    # THEN every one is refused, and another reviewer may decide
    assert [r.status_code for r in attempts] == [403, 403, 403]
    assert "handled" in error_of(attempts[0])["message"]
    assert desk.move(case["case_id"], "unresolved", desk.staff("reviewer")).status_code == 200


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("agent", True), ("supervisor", True), ("admin", True), ("reviewer", False)],
)
def test_role_round_one_proposals(desk: Desk, role: str, allowed: bool) -> None:
    case = at_status(desk, "accepted")
    response = desk.propose(case["case_id"], EXPLANATION, desk.staff(role))
    assert response.status_code == (201 if allowed else 403), response.body


@pytest.mark.parametrize(("role", "allowed"), [("agent", False), ("reviewer", True)])
def test_role_second_review_proposals(desk: Desk, role: str, allowed: bool) -> None:
    case = at_status(desk, "second_review")
    response = desk.propose(case["case_id"], EXPLANATION, desk.staff(role, f"fresh {role}"))
    assert response.status_code == (201 if allowed else 403), response.body


def test_assignment_rules(desk: Desk) -> None:
    case = desk.file()
    path = f"/v1/admin/cases/{case['case_id']}/assign"
    agent, other = desk.staff("agent"), desk.staff("agent", "other agent")
    # an agent takes a case, but cannot hand it to a colleague; a supervisor can
    assert desk.post(path, {"assignee": desk.staff_ids["agent"]}, agent).status_code == 200
    handing = desk.post(path, {"assignee": desk.staff_ids["other agent"]}, agent)
    assert handing.status_code == 403
    supervisor = desk.staff("supervisor")
    given = desk.post(path, {"assignee": desk.staff_ids["other agent"]}, supervisor)
    assert (given.status_code, given.json_body["assignee"]) == (200, desk.staff_ids["other agent"])
    # round-1 cases do not go to reviewers; unknown staff are a validation error
    desk.staff("reviewer")
    assert desk.post(path, {"assignee": desk.staff_ids["reviewer"]}, supervisor).status_code == 400
    assert desk.post(path, {"assignee": "stf_nobody"}, supervisor).status_code == 400
    # the assignment is internal: staff see it, the customer does not
    assert "assigned" in [e["type"] for e in desk.staff_view(case["case_id"], other)["timeline"]]
    assert "assigned" not in [e["type"] for e in desk.customer_view(case)["timeline"]]


@pytest.mark.parametrize(
    ("role", "status"),
    [("agent", 403), ("reviewer", 403), ("supervisor", 200), ("admin", 200)],
)
def test_role_metrics(desk: Desk, role: str, status: int) -> None:
    assert desk.api.get("/v1/admin/metrics", desk.staff(role)).status_code == status


@pytest.mark.parametrize("role", ["agent", "supervisor", "reviewer", "admin"])
def test_every_role_reads_the_queue_and_writes_notes(desk: Desk, role: str) -> None:
    case = desk.file()
    token = desk.staff(role)
    assert desk.api.get("/v1/admin/cases", token).status_code == 200
    note = desk.post(f"/v1/admin/cases/{case['case_id']}/notes", {"text": "内部备注"}, token)
    assert note.status_code == 201


@pytest.mark.parametrize(
    ("role", "status"),
    [("agent", 403), ("supervisor", 403), ("reviewer", 403), ("admin", 201)],
)
def test_role_staff_creation(desk: Desk, role: str, status: int) -> None:
    body = {"name": "新同事", "role": "agent"}
    assert desk.post("/v1/admin/staff", body, desk.staff(role)).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [("agent", 403), ("supervisor", 403), ("reviewer", 403), ("admin", 201)],
)
def test_role_merchant_registration(desk: Desk, role: str, status: int) -> None:
    body = {"merchant_id": "M300003", "name": "小店", "email": "shop@m300003.example.com"}
    assert desk.post("/v1/admin/merchants", body, desk.staff(role)).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [("agent", 403), ("reviewer", 403), ("supervisor", 200), ("admin", 200)],
)
def test_role_extensions(desk: Desk, role: str, status: int) -> None:
    case = at_status(desk, "investigating")
    before = desk.staff_view(case["case_id"])["deadlines"]["regulatory_due"]
    body = {"days": 10, "reason": "需要银行协查"}
    answer = desk.post(f"/v1/admin/cases/{case['case_id']}/extensions", body, desk.staff(role))
    assert answer.status_code == status, answer.body
    after = desk.staff_view(case["case_id"])["deadlines"]["regulatory_due"]
    assert (after != before) is (status == 200)
    if status == 200:
        assert answer.json_body["deadlines"]["regulatory_due"] == after
        assert "regulatory_extended" in desk.events_sent(case["case_id"])


def test_extension_repeated_with_its_idempotency_key_extends_once(desk: Desk) -> None:
    # GIVEN an investigated case and a supervisor's extension by 5 days, sent with a key
    case = at_status(desk, "investigating")
    path = f"/v1/admin/cases/{case['case_id']}/extensions"
    headers = {**desk.auth(desk.staff("supervisor")), "Idempotency-Key": "ext-1"}
    body = {"days": 5, "reason": "需要银行协查"}
    first = desk.api.post(path, body, headers)
    # WHEN the same request is sent again (its answer was lost)
    again = desk.api.post(path, body, headers)
    # THEN the second answer is the first, and the outer limit moved once (20 days, not 25)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json_body["deadlines"] == first.json_body["deadlines"]
    timeline = desk.staff_view(case["case_id"])["timeline"]
    extended = [e for e in timeline if e["type"] == "regulatory_extended"]
    assert [e["data"]["days"] for e in extended] == [20]
