"""The staff directory through the API: who am I, the list of members, deactivation and token
rotation, each role allowed and refused, and the old credential refused at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error_of
from tests.api.desk import ROLES, Desk
from tests.botocore_faults import BotocoreFaults


def _audit(desk: Desk, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    response = desk.api.get(f"/v1/admin/audit?{query}", desk.staff("admin"))
    assert response.status_code == 200, response.body
    return list(response.json_body["items"])


@pytest.mark.parametrize("role", ROLES)
def test_me_answers_every_role_with_its_own_member(desk: Desk, role: str) -> None:
    token = desk.staff(role, name=f"员工{role}")
    response = desk.api.get("/v1/admin/me", token)
    assert response.status_code == 200
    assert response.json_body == {
        "staff_id": desk.staff_ids[f"员工{role}"],
        "name": f"员工{role}",
        "role": role,
        "team": None,
        "active": True,
    }


def test_me_refuses_customer_and_missing_tokens(desk: Desk) -> None:
    case = desk.file()
    assert desk.api.get("/v1/admin/me", case["access_token"]).status_code == 401
    assert desk.api.get("/v1/admin/me").status_code == 401


@pytest.mark.parametrize(("role", "status"), [("agent", 403), ("reviewer", 403)])
def test_staff_list_refuses_agents_and_reviewers(desk: Desk, role: str, status: int) -> None:
    response = desk.api.get("/v1/admin/staff", desk.staff(role))
    assert response.status_code == status
    assert error_of(response)["code"] == "forbidden"


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_staff_list_shows_supervisors_and_admins_every_member(desk: Desk, role: str) -> None:
    # GIVEN one member of each role
    for r in ROLES:
        desk.staff(r)
    # WHEN the list is read
    response = desk.api.get("/v1/admin/staff", desk.staff(role))
    # THEN each member is there with their staff_id, by role order
    assert response.status_code == 200
    items = response.json_body["items"]
    assert [(i["role"], i["staff_id"]) for i in items] == [
        (r, desk.staff_ids[r]) for r in ("agent", "supervisor", "reviewer", "admin")
    ]
    assert response.json_body["next_cursor"] is None


def test_staff_list_filters_by_role_and_active_and_pages(desk: Desk) -> None:
    admin = desk.staff("admin")
    for name in ("甲", "乙", "丙"):
        desk.staff("agent", name=name)
    gone = desk.post(f"/v1/admin/staff/{desk.staff_ids['乙']}/deactivate", {}, admin)
    assert gone.status_code == 200
    agents = desk.api.get("/v1/admin/staff?role=agent&active=true", admin).json_body["items"]
    assert sorted(i["name"] for i in agents) == sorted(["甲", "丙"])
    inactive = desk.api.get("/v1/admin/staff?active=false", admin).json_body["items"]
    assert [(i["name"], i["active"]) for i in inactive] == [("乙", False)]
    first = desk.api.get("/v1/admin/staff?role=agent&limit=2", admin).json_body
    rest = desk.api.get(f"/v1/admin/staff?role=agent&limit=2&cursor={first['next_cursor']}", admin)
    names = [i["name"] for i in first["items"] + rest.json_body["items"]]
    assert sorted(names) == sorted(["甲", "乙", "丙"]) and rest.json_body["next_cursor"] is None
    for bad in ("role=boss", "active=yes", "limit=0", "cursor=forged"):
        assert desk.api.get(f"/v1/admin/staff?{bad}", admin).status_code == 400, bad


def test_deactivated_token_answers_401_at_once_and_cases_wait_for_reassignment(
    desk: Desk,
) -> None:
    # GIVEN an agent who holds an open case
    agent = desk.staff("agent", name="李雷")
    agent_id = desk.staff_ids["李雷"]
    case = desk.file()
    taken = desk.post(f"/v1/admin/cases/{case['case_id']}/assign", {"assignee": agent_id}, agent)
    assert taken.status_code == 200
    # WHEN an admin deactivates them, with a reason
    admin = desk.staff("admin")
    path = f"/v1/admin/staff/{agent_id}/deactivate"
    response = desk.post(path, {"reason": "离职"}, admin)
    # THEN the answer is the member, inactive, and their token is refused from now on
    assert response.status_code == 200
    assert response.json_body == {
        "staff_id": agent_id,
        "name": "李雷",
        "role": "agent",
        "team": None,
        "active": False,
    }
    assert desk.api.get("/v1/admin/me", agent).status_code == 401
    assert desk.api.get("/v1/admin/cases", agent).status_code == 401
    # AND their open case is still theirs, listed under ?assignee= and marked inactive
    queue = desk.api.get(f"/v1/admin/cases?assignee={agent_id}", admin).json_body["items"]
    assert [(i["case_id"], i["assignee_active"]) for i in queue] == [(case["case_id"], False)]
    # AND nobody can hand them a new case
    other = desk.file(payment={"transaction_id": "TXN-OTHER-1", "amount_fen": 100})
    supervisor = desk.staff("supervisor")
    refused = desk.post(
        f"/v1/admin/cases/{other['case_id']}/assign", {"assignee": agent_id}, supervisor
    )
    assert refused.status_code == 400
    assert error_of(refused)["fields"] == {"assignee": "is deactivated"}
    # AND doing it again changes nothing and answers the same
    assert desk.post(path, {}, admin).json_body == response.json_body
    # AND the audit trail names who did it and why
    [entry] = [e for e in _audit(desk) if e["action"] == "staff_deactivated"]
    assert (entry["actor"], entry["target"], entry["detail"]) == (
        desk.staff_ids["admin"],
        agent_id,
        {"reason": "离职"},
    )


def test_queue_marks_active_assignees_and_unassigned_cases(desk: Desk) -> None:
    agent = desk.staff("agent")
    held = desk.file()
    desk.post(
        f"/v1/admin/cases/{held['case_id']}/assign", {"assignee": desk.staff_ids["agent"]}, agent
    )
    free = desk.file(payment={"transaction_id": "TXN-FREE-1", "amount_fen": 100})
    items = {i["case_id"]: i for i in desk.api.get("/v1/admin/cases", agent).json_body["items"]}
    assert items[held["case_id"]]["assignee_active"] is True
    assert items[free["case_id"]]["assignee_active"] is None


@pytest.mark.parametrize("role", ["agent", "supervisor", "reviewer"])
def test_deactivation_is_for_admins_only(desk: Desk, role: str) -> None:
    target = desk.staff("agent", name="目标")
    path = f"/v1/admin/staff/{desk.staff_ids['目标']}/deactivate"
    response = desk.post(path, {}, desk.staff(role))
    assert response.status_code == 403
    assert desk.api.get("/v1/admin/me", target).status_code == 200


def test_deactivation_refuses_oneself_unknown_members_and_bad_bodies(desk: Desk) -> None:
    admin = desk.staff("admin")
    own = desk.post(f"/v1/admin/staff/{desk.staff_ids['admin']}/deactivate", {}, admin)
    assert (own.status_code, error_of(own)["code"]) == (409, "invalid_transition")
    assert desk.post("/v1/admin/staff/stf_nobody/deactivate", {}, admin).status_code == 404
    desk.staff("agent")
    path = f"/v1/admin/staff/{desk.staff_ids['agent']}/deactivate"
    bad = desk.post(path, {"reason": "x", "extra": 1}, admin)
    assert bad.status_code == 400 and "extra" in error_of(bad)["fields"]
    # a request without any body is a deactivation without a reason
    bare = desk.api.client.http.post(path, headers={"Authorization": f"Bearer {admin}"})
    assert bare.status_code == 200 and bare.json_body["active"] is False


def test_member_rotates_their_own_token_and_the_old_one_stops_at_once(desk: Desk) -> None:
    # GIVEN an agent
    old = desk.staff("agent")
    staff_id = desk.staff_ids["agent"]
    path = f"/v1/admin/staff/{staff_id}/token"
    key = {"Idempotency-Key": "rotate-1"}
    # WHEN they ask for a new token
    response = desk.api.post(path, {}, {**desk.auth(old), **key})
    # THEN it is a new staff token that works, and the old one answers 401
    assert response.status_code == 201
    new = response.json_body["token"]
    assert new.startswith("st_") and new != old
    assert response.json_body["staff_id"] == staff_id
    assert desk.api.get("/v1/admin/me", new).json_body["staff_id"] == staff_id
    assert desk.api.get("/v1/admin/me", old).status_code == 401
    # AND a retry with the same key and the old token (its answer was lost) gets the same
    # token, not a lock-out and not a third token
    again = desk.api.post(path, {}, {**desk.auth(old), **key})
    assert (again.status_code, again.json_body["token"]) == (201, new)
    assert desk.api.get("/v1/admin/me", new).status_code == 200
    # AND without the key the old token is simply refused
    assert desk.api.post(path, {}, desk.auth(old)).status_code == 401
    # AND the trail records one rotation, by the member themself
    rotations = [e for e in _audit(desk, actor=staff_id) if e["action"] == "token_rotated"]
    assert [(e["actor"], e["target"]) for e in rotations] == [(staff_id, staff_id)]


def test_admin_rotates_anyones_token_but_others_may_not(desk: Desk) -> None:
    target = desk.staff("agent", name="王五")
    target_id = desk.staff_ids["王五"]
    path = f"/v1/admin/staff/{target_id}/token"
    for role in ("agent", "supervisor", "reviewer"):
        refused = desk.post(path, {}, desk.staff(role))
        assert refused.status_code == 403, role
    assert desk.api.get("/v1/admin/me", target).status_code == 200
    rotated = desk.post(path, {}, desk.staff("admin"))
    assert rotated.status_code == 201
    assert desk.api.get("/v1/admin/me", target).status_code == 401
    assert desk.api.get("/v1/admin/me", rotated.json_body["token"]).json_body["name"] == "王五"


def test_token_rotation_refuses_unknown_and_deactivated_members(desk: Desk) -> None:
    admin = desk.staff("admin")
    assert desk.post("/v1/admin/staff/stf_nobody/token", {}, admin).status_code == 404
    desk.staff("agent")
    staff_id = desk.staff_ids["agent"]
    assert desk.post(f"/v1/admin/staff/{staff_id}/deactivate", {}, admin).status_code == 200
    response = desk.post(f"/v1/admin/staff/{staff_id}/token", {}, admin)
    assert (response.status_code, error_of(response)["code"]) == (409, "invalid_transition")
    assert desk.api.post(f"/v1/admin/staff/{staff_id}/token", {}).status_code == 401


def test_token_rotation_when_dynamodb_is_down_is_503_and_the_old_token_still_works(
    desk: Desk, api: Api
) -> None:
    # GIVEN an agent, and DynamoDB refusing every transaction
    old = desk.staff("agent")
    path = f"/v1/admin/staff/{desk.staff_ids['agent']}/token"
    client = api.container.dynamodb.client
    with BotocoreFaults(client) as faults:
        faults.throttle("TransactWriteItems", times=10)
        response = desk.api.post(path, {}, {**desk.auth(old), "Idempotency-Key": "r-503"})
    # THEN the answer is 503 with Retry-After, and nothing changed
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert desk.api.get("/v1/admin/me", old).status_code == 200
    # AND the retry with the same key does the work once
    retry = desk.api.post(path, {}, {**desk.auth(old), "Idempotency-Key": "r-503"})
    assert retry.status_code == 201
    assert desk.api.get("/v1/admin/me", retry.json_body["token"]).status_code == 200
