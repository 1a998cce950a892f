"""The hotline desk's search box and the audit trail, through the API: every kind of query,
every staff role, refused credentials, the rate limit and what the trail keeps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.adapters.dynamo.models import LookupModel
from chalicelib.services.search import SEARCHES_PER_HOUR
from tests.api.conftest import error_of
from tests.api.desk import ROLES, Desk
from tests.api.merchants import Merchants
from tests.faults.injector import FAULTS, Kind, instant_retries


def _search(desk: Desk, q: str, token: str | None = None) -> Any:
    return desk.api.get(f"/v1/admin/search?q={quote(q)}", token or desk.staff("agent"))


def _found(desk: Desk, q: str) -> tuple[str | None, list[str]]:
    response = _search(desk, q)
    assert response.status_code == 200, response.body
    body = response.json_body
    return body["matched"], [i["case_id"] for i in body["items"]]


def _file(desk: Desk, txn: str, **contact: str) -> dict[str, Any]:
    desk.api.clock.advance(60)  # one minute apart: "newest first" has something to order
    payment = {
        "transaction_id": txn,
        "merchant_id": "M100001",
        "order_id": f"ORD-{txn}",
        "amount_fen": 3880,
    }
    return desk.file(contact=contact or {"phone": "13812345678"}, payment=payment)


def test_search_finds_a_phone_in_every_usual_spelling_newest_first(desk: Desk) -> None:
    # GIVEN two cases of one phone, and one of another
    first = _file(desk, "TXN-P1", phone="13812345678")
    second = _file(desk, "TXN-P2", phone="+86 138 1234 5678")
    _file(desk, "TXN-P3", phone="13900001111")
    # THEN each spelling finds both, newest first, read as a phone
    for spelling in ("13812345678", "138 1234 5678", "+86-138-1234-5678", "+8613812345678"):
        assert _found(desk, spelling) == ("phone", [second["case_id"], first["case_id"]])


def test_search_finds_an_email_in_any_case(desk: Desk) -> None:
    case = _file(desk, "TXN-E1", email="Li.Si@Example.com")
    for spelling in ("li.si@example.com", "LI.SI@EXAMPLE.COM", " Li.Si@Example.com "):
        assert _found(desk, spelling) == ("email", [case["case_id"]])
    assert _found(desk, "nobody@example.com") == ("email", [])


def test_search_finds_case_number_transaction_and_order(desk: Desk) -> None:
    case = _file(desk, "TXN-20261123-7788")
    assert _found(desk, case["case_number"]) == ("case_number", [case["case_id"]])
    assert _found(desk, case["case_number"].lower()) == ("case_number", [case["case_id"]])
    assert _found(desk, "TXN-20261123-7788") == ("transaction_id", [case["case_id"]])
    assert _found(desk, "ORD-TXN-20261123-7788") == ("order_id", [case["case_id"]])
    assert _found(desk, "PC20990101-ZZZZZZ") == ("case_number", [])
    assert _found(desk, "NOTHING-LIKE-IT") == (None, [])


def test_search_answers_summaries_of_the_queue(desk: Desk) -> None:
    case = _file(desk, "TXN-S1")
    [item] = _search(desk, case["case_number"]).json_body["items"]
    assert (item["case_number"], item["status"], item["assignee"], item["assignee_active"]) == (
        case["case_number"],
        "submitted",
        None,
        None,
    )


@pytest.mark.parametrize("role", ROLES)
def test_search_is_open_to_every_staff_role(desk: Desk, role: str) -> None:
    case = _file(desk, "TXN-R1")
    response = _search(desk, case["case_number"], desk.staff(role))
    assert response.status_code == 200
    assert [i["case_id"] for i in response.json_body["items"]] == [case["case_id"]]


def test_search_refuses_customer_merchant_and_missing_credentials(
    desk: Desk, merchants: Merchants
) -> None:
    case = _file(desk, "TXN-C1")
    path = f"/v1/admin/search?q={case['case_number']}"
    assert desk.api.get(path, case["access_token"]).status_code == 401
    assert desk.api.get(path).status_code == 401
    signed = merchants.headers("M100001", "GET", "/v1/admin/search", b"")
    assert desk.api.client.http.get(path, headers=signed).status_code == 401


def test_search_validates_its_query(desk: Desk) -> None:
    for query in ("", "q=", "q=%20", f"q={'a' * 255}", "q=x&limit=0"):
        response = desk.api.get(f"/v1/admin/search?{query}", desk.staff("agent"))
        assert response.status_code == 400, query
        assert "q" in error_of(response)["fields"] or "limit" in error_of(response)["fields"]


def test_search_index_holds_no_phone_or_email(desk: Desk) -> None:
    # GIVEN a case with a phone and an email
    _file(desk, "TXN-H1", phone="13812345678", email="wang.wu@example.com")
    # THEN the lookups table holds neither, in any form a reader could use
    keys = [item.lookup for item in LookupModel.scan()]
    assert keys and all(k.split("#", 1)[0] in ("phone", "email", "order") for k in keys)
    text = " ".join(keys)
    for plain in ("13812345678", "+8613812345678", "wang.wu", "example.com"):
        assert plain not in text


def test_every_search_is_in_the_audit_trail_with_its_query_masked(desk: Desk) -> None:
    _file(desk, "TXN-A1-0001", phone="13812345678", email="li.si@example.com")
    _search(desk, "138 1234 5678")
    _search(desk, "li.si@example.com")
    _search(desk, "TXN-A1-0001")
    agent_id = desk.staff_ids["agent"]
    response = desk.api.get(f"/v1/admin/audit?actor={agent_id}", desk.staff("admin"))
    assert response.status_code == 200
    searches = [e for e in response.json_body["items"] if e["action"] == "search"]
    assert [e["detail"] for e in searches] == [
        {"kind": "id", "query": "TX***0001"},
        {"kind": "email", "query": "l***@example.com"},
        {"kind": "phone", "query": "138****5678"},
    ]
    assert all(e["actor"] == agent_id and e["at"] for e in searches)


def test_search_rate_limit_refuses_with_429_and_the_trail_shows_it(desk: Desk) -> None:
    # GIVEN an agent who used this hour's searches
    agent = desk.staff("agent")
    for n in range(SEARCHES_PER_HOUR):
        assert _search(desk, f"ORD-{n}", agent).status_code == 200
    # WHEN they search once more
    refused = _search(desk, "13812345678", agent)
    # THEN it is 429 rate_limited, with the seconds to the next hour
    assert refused.status_code == 429
    assert error_of(refused)["code"] == "rate_limited"
    now = desk.api.clock.now()
    next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert int(refused.headers["Retry-After"]) == int((next_hour - now).total_seconds())
    # AND the trail shows the refusal; another member may still search
    admin = desk.staff("admin")
    trail = desk.api.get(f"/v1/admin/audit?actor={desk.staff_ids['agent']}&limit=1", admin)
    [entry] = trail.json_body["items"]
    assert (entry["action"], entry["detail"]) == (
        "search_refused",
        {"kind": "phone", "query": "138****5678"},
    )
    assert _search(desk, "13812345678", desk.staff("supervisor")).status_code == 200
    # AND the next hour the agent searches again
    desk.api.clock.set(next_hour)
    assert _search(desk, "13812345678", agent).status_code == 200


def test_staff_read_of_a_full_case_is_in_the_audit_trail(desk: Desk) -> None:
    case = _file(desk, "TXN-V1")
    desk.staff_view(case["case_id"], desk.staff("supervisor"))
    admin = desk.staff("admin")
    response = desk.api.get(f"/v1/admin/audit?case_id={case['case_id']}", admin)
    [entry] = response.json_body["items"]
    assert (entry["action"], entry["actor"], entry["case_id"]) == (
        "case_read",
        desk.staff_ids["supervisor"],
        case["case_id"],
    )
    # a customer reading their own case is not a staff read
    desk.customer_view(case)
    assert (
        len(desk.api.get(f"/v1/admin/audit?case_id={case['case_id']}", admin).json_body["items"])
        == 1
    )


@pytest.mark.parametrize("role", ["agent", "supervisor", "reviewer"])
def test_audit_trail_is_for_admins_only(desk: Desk, role: str) -> None:
    response = desk.api.get("/v1/admin/audit", desk.staff(role))
    assert (response.status_code, error_of(response)["code"]) == (403, "forbidden")


def test_audit_trail_lists_credential_changes_and_pages(desk: Desk, merchants: Merchants) -> None:
    admin = desk.staff("admin")
    created = desk.post("/v1/admin/staff", {"name": "新人", "role": "agent"}, admin)
    assert created.status_code == 201
    registered = desk.post(
        "/v1/admin/merchants",
        {"merchant_id": "M200002", "name": "二号店", "email": "shop2@example.com"},
        admin,
    )
    assert registered.status_code == 201
    first = desk.api.get("/v1/admin/audit?limit=1", admin).json_body
    second = desk.api.get(f"/v1/admin/audit?limit=1&cursor={first['next_cursor']}", admin)
    latest = [first["items"][0], second.json_body["items"][0]]
    assert [(e["action"], e["target"], e["actor"]) for e in latest] == [
        ("merchant_registered", "M200002", desk.staff_ids["admin"]),
        ("staff_created", created.json_body["staff_id"], desk.staff_ids["admin"]),
    ]
    for bad in ("limit=0", "cursor=forged"):
        assert desk.api.get(f"/v1/admin/audit?{bad}", admin).status_code == 400


@pytest.mark.parametrize(
    ("operation", "kind"),
    [
        ("TransactWriteItems", Kind.THROTTLE),
        ("Query", Kind.THROTTLE),
        ("Query", Kind.READ_TIMEOUT),
        ("Query", Kind.CONNECTION_ERROR),
    ],
)
def test_search_when_dynamodb_fails_is_503_and_the_retry_finds_the_case(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, operation: str, kind: Kind
) -> None:
    # GIVEN a case filed by a caller, and DynamoDB failing every attempt of the search's
    # transaction (its count and trail entry) or of its index read
    case = _file(desk, "T8801", phone="13812345678")
    agent = desk.staff("agent")
    with instant_retries(monkeypatch), FAULTS.engaged() as faults:
        faults.inject(kind, "dynamodb", operation, times=None)
        failed = _search(desk, "138 1234 5678", agent)
        assert any(c.name == f"dynamodb.{operation}" for c in faults.calls)
    # THEN the agent is told to try again, in the API's error format
    assert failed.status_code == 503, failed.body
    assert int(failed.headers["Retry-After"]) > 0
    assert error_of(failed)["code"] == "unavailable"
    # AND the search made again finds the caller's case
    assert _found(desk, "138 1234 5678") == ("phone", [case["case_id"]])
