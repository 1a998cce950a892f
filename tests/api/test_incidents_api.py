"""Incidents through the HTTP API: declaring one links the matching open cases and every
matching case filed while it is open; its updates reach each customer once; its resolution
resolves the linked cases in the background; who may do what."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error_of
from tests.api.desk import Desk
from tests.api.test_sessions_api import sent_codes
from tests.builders import complaint

INCIDENTS = "/v1/admin/incidents"
SUMMARY = {
    "zh-CN": "工商银行网关故障，期间扣款的订单可能显示未支付，款项将在3个工作日内退回。",
    "en": "The ICBC gateway failed; orders paid meanwhile may show as unpaid. The money is "
    "returned within 3 working days.",
}
NEWS = {"zh-CN": "网关已恢复，退款已开始处理。", "en": "The gateway is back; refunds have started."}
FIXED = {"zh-CN": "故障已修复，款项已全部退回。", "en": "Fixed: every payment was returned."}


def file_case(desk: Desk, n: int, **changes: Any) -> dict[str, Any]:
    """The n-th customer's complaint (each its own phone, email and payment)."""
    body = complaint(
        contact={
            "phone": f"1390000{n:04d}",
            "email": f"customer{n}@example.com",
            **changes.pop("contact", {}),
        },
        payment={
            "transaction_id": f"TXN-INC-{n:04d}",
            "merchant_id": changes.pop("merchant_id", "M100001"),
            "amount_fen": 3880,
        },
        **changes,
    )
    response = desk.api.file(body)
    assert response.status_code == 201, response.body
    return dict(response.json_body)


def declaration(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "ICBC gateway outage",
        "summary": SUMMARY,
        "started_at": "2026-11-23T00:00:00Z",
        "match": {"categories": ["payment_anomaly"], "merchant_id": "M100001"},
    }
    body.update(changes)
    return body


def declare(desk: Desk, key: str | None = None, **changes: Any) -> Any:
    headers = {"Authorization": f"Bearer {desk.staff('supervisor')}"}
    if key:
        headers["Idempotency-Key"] = key
    return desk.api.post(INCIDENTS, declaration(**changes), headers)


def post(desk: Desk, path: str, body: Any, role: str = "supervisor", key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {desk.staff(role)}"}
    if key:
        headers["Idempotency-Key"] = key
    return desk.api.post(path, body, headers)


def incident(desk: Desk, incident_id: str) -> dict[str, Any]:
    desk.sent("-")  # let the outbox drain
    response = desk.api.get(f"{INCIDENTS}/{incident_id}", desk.staff("agent"))
    assert response.status_code == 200, response.body
    return dict(response.json_body)


def test_declaring_links_matching_open_cases_and_cases_filed_while_open(desk: Desk) -> None:
    # GIVEN two open complaints about the merchant's payments and one of another category
    first, second = file_case(desk, 1), file_case(desk, 2)
    other = file_case(desk, 3, category="refund_delay")
    # WHEN a supervisor declares the incident
    declared = declare(desk)
    # THEN it is open with the two matching cases linked
    assert declared.status_code == 201, declared.body
    body = declared.json_body
    assert (body["status"], body["linked"], body["open_linked"]) == ("open", 2, 2)
    # AND the staff see the incident on each linked case, in the queue and the case view
    seen = desk.staff_view(first["case_id"])["incident"]
    assert seen == {"incident_id": body["incident_id"], "title": "ICBC gateway outage"}
    queue = desk.api.get("/v1/admin/cases", desk.staff("agent")).json_body["items"]
    by_id = {item["case_id"]: item["incident"] for item in queue}
    assert by_id[second["case_id"]] == seen and by_id[other["case_id"]] is None
    # AND the customer sees what customers are told, in their language
    assert desk.customer_view(first)["incident"] == {"summary": SUMMARY["zh-CN"]}
    assert desk.customer_view(other)["incident"] is None
    # WHEN an English-speaking customer files a matching complaint while it is open
    late = file_case(desk, 4, contact={"language": "en"})
    # THEN it is linked at once, and its acknowledgement email tells the known cause
    assert desk.customer_view(late)["incident"] == {"summary": SUMMARY["en"]}
    assert incident(desk, body["incident_id"])["linked"] == 3
    (ack,) = desk.api.emails_about(late["case_number"])
    assert SUMMARY["en"] in ack.body


def test_declaring_twice_with_one_key_declares_one_incident(desk: Desk) -> None:
    file_case(desk, 1)
    first = declare(desk, key="incident-1")
    again = declare(desk, key="incident-1")
    assert first.status_code == again.status_code == 201
    assert first.json_body["incident_id"] == again.json_body["incident_id"]
    listed = desk.api.get(INCIDENTS, desk.staff("agent")).json_body["items"]
    assert [i["incident_id"] for i in listed] == [first.json_body["incident_id"]]
    other = declare(desk, key="incident-1", title="Another title")
    assert other.status_code == 422


def test_an_update_reaches_each_linked_customer_once_per_channel(desk: Desk) -> None:
    # GIVEN an incident with two linked cases, one of them English
    cases = [file_case(desk, 1), file_case(desk, 2, contact={"language": "en"})]
    incident_id = declare(desk).json_body["incident_id"]
    path = f"{INCIDENTS}/{incident_id}/updates"
    # WHEN the supervisor posts news, and the request is retried with the same key
    first = post(desk, path, {"text": NEWS}, key="update-1")
    again = post(desk, path, {"text": NEWS}, key="update-1")
    # THEN it is one update
    assert first.status_code == again.status_code == 201, first.body
    assert first.json_body == again.json_body and first.json_body["n"] == 1
    # AND each customer got one SMS and one email of it, and the news on their timeline
    desk.advance(minutes=5)  # the paced SMS go out
    for case, lang in zip(cases, ("zh-CN", "en"), strict=True):
        told = [s for s in desk.sent(case["case_id"]) if s[0] == "incident_update"]
        assert sorted(told) == [
            ("incident_update", "email", "sent"),
            ("incident_update", "sms", "sent"),
        ]
        timeline = desk.customer_view(case)["timeline"]
        news = [e["summary"] for e in timeline if e["type"] == "incident_update"]
        assert len(news) == 1 and news[0].endswith(NEWS[lang])
    assert len(incident(desk, incident_id)["updates"]) == 1


def test_an_update_during_quiet_hours_waits_for_the_morning(desk: Desk) -> None:
    # GIVEN a linked case, and the clock at 22:30 in Shanghai
    case = file_case(desk, 1)
    incident_id = declare(desk).json_body["incident_id"]
    desk.advance(hours=12, minutes=30)
    # WHEN news is posted
    post(desk, f"{INCIDENTS}/{incident_id}/updates", {"text": NEWS})
    # THEN the email goes now and the SMS waits
    told = {s[1]: s[2] for s in desk.sent(case["case_id"]) if s[0] == "incident_update"}
    assert (told["email"], told["sms"]) == ("sent", "deferred")
    # AND at 08:00 it goes
    desk.advance(hours=9, minutes=31)
    told = {s[1]: s[2] for s in desk.sent(case["case_id"]) if s[0] == "incident_update"}
    assert told["sms"] == "sent"


def test_resolving_resolves_the_linked_cases_and_lists_what_could_not_move(desk: Desk) -> None:
    # GIVEN three linked cases, one of them waiting for the customer
    cases = [file_case(desk, n) for n in range(1, 4)]
    waiting = cases[2]["case_id"]
    desk.must_move(waiting, "accepted")
    desk.must_move(waiting, "waiting_customer", note="请补充扣款截图")
    incident_id = declare(desk).json_body["incident_id"]
    # WHEN the supervisor resolves the incident (and retries with the same key)
    body = {"outcome": "resolved", "text": FIXED}
    started = post(desk, f"{INCIDENTS}/{incident_id}/resolve", body, key="resolve-1")
    again = post(desk, f"{INCIDENTS}/{incident_id}/resolve", body, key="resolve-1")
    assert started.status_code == again.status_code == 202, started.body
    assert started.json_body == {"incident_id": incident_id, "resolving": 3}
    # THEN in the background each resolvable case is resolved, as the supervisor did it
    done = incident(desk, incident_id)
    assert (done["status"], done["open_linked"], done["linked"]) == ("resolved", 1, 3)
    (unmoved,) = done["unmoved"]
    assert (unmoved["case_id"], unmoved["status"]) == (waiting, "waiting_customer")
    supervisor = desk.staff_ids["supervisor"]
    for case in cases[:2]:
        view = desk.staff_view(case["case_id"])
        assert view["status"] == "resolved" and view["resolved_at"] is not None
        moves = [e for e in view["timeline"] if e["type"] == "status_changed"]
        assert moves[-1]["actor"] == f"staff:{supervisor}"
        assert moves[-1]["summary"].endswith(FIXED["zh-CN"])
        told = [s for s in desk.sent(case["case_id"]) if s[0] == "case_resolved"]
        assert sorted(c for _, c, _ in told) == ["email", "sms"]
    # AND a resolved incident takes no more updates, links or resolutions
    for path, payload in (
        ("updates", {"text": NEWS}),
        ("resolve", body),
        ("cases", {"case_ids": [waiting]}),
    ):
        refused = post(desk, f"{INCIDENTS}/{incident_id}/{path}", payload)
        assert refused.status_code == 409, (path, refused.body)
    # AND a case filed now is not linked
    assert desk.customer_view(file_case(desk, 9))["incident"] is None


def test_cases_are_linked_and_unlinked_by_hand(desk: Desk) -> None:
    # GIVEN an incident about one merchant and a case about another
    incident_id = declare(desk, match={"merchant_id": "M100001"}).json_body["incident_id"]
    stray = file_case(desk, 1, merchant_id="M200002")
    path = f"{INCIDENTS}/{incident_id}/cases"
    # WHEN an agent links it, and names a case that does not exist
    missing = "01KJPQ5V3R8Z6W4X2Y0A1B2C3D"
    linked = post(desk, path, {"case_ids": [stray["case_id"], missing]}, role="agent")
    # THEN it is linked, and the missing one is refused with why
    assert linked.status_code == 200, linked.body
    assert linked.json_body["linked"] == 1
    assert [r["case_id"] for r in linked.json_body["refused"]] == [missing]
    # WHEN it is unlinked
    unlinked = post(desk, path, {"unlink": [stray["case_id"]]}, role="agent")
    assert unlinked.status_code == 200 and unlinked.json_body["linked"] == 0
    assert desk.staff_view(stray["case_id"])["incident"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"summary": {"zh-CN": "只有中文"}}, "summary.en"),
        ({"match": {}}, "match"),
        ({"match": {"categories": ["no_such"]}}, "match.categories"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"ended_at": "2026-11-22T00:00:00Z"}, "ended_at"),
        ({"title": ""}, "title"),
    ],
)
def test_a_bad_declaration_names_the_field(desk: Desk, body: dict[str, Any], field: str) -> None:
    response = declare(desk, **body)
    assert response.status_code == 400
    assert field in error_of(response)["fields"]


@pytest.mark.parametrize(
    ("role", "path", "allowed"),
    [
        ("agent", "", False),
        ("reviewer", "", False),
        ("supervisor", "", True),
        ("admin", "", True),
        ("agent", "/updates", False),
        ("supervisor", "/updates", True),
        ("agent", "/resolve", False),
        ("reviewer", "/cases", False),
        ("agent", "/cases", True),
    ],
)
def test_roles_allowed_and_refused(desk: Desk, role: str, path: str, allowed: bool) -> None:
    incident_id = declare(desk, key=None).json_body["incident_id"]
    bodies = {
        "": declaration(),
        "/updates": {"text": NEWS},
        "/resolve": {"outcome": "resolved", "text": FIXED},
        "/cases": {"case_ids": [file_case(desk, 1)["case_id"]]},
    }
    target = INCIDENTS if path == "" else f"{INCIDENTS}/{incident_id}{path}"
    response = post(desk, target, bodies[path], role=role)
    assert (response.status_code < 300) is allowed, response.body
    if not allowed:
        assert error_of(response)["code"] == "forbidden"


def test_reading_incidents_takes_a_staff_token(api: Api, desk: Desk) -> None:
    case = file_case(desk, 1)
    incident_id = declare(desk).json_body["incident_id"]
    for path in (INCIDENTS, f"{INCIDENTS}/{incident_id}"):
        assert api.get(path, desk.staff("reviewer")).status_code == 200
        assert api.get(path, case["access_token"]).status_code == 401
        assert api.get(path).status_code == 401
    assert api.get(f"{INCIDENTS}/inc_nope", desk.staff("agent")).status_code == 404
    token = {"Authorization": f"Bearer {case['access_token']}"}
    assert api.post(INCIDENTS, declaration(), token).status_code == 401


def test_metrics_count_complaints_per_incident_apart(desk: Desk) -> None:
    # GIVEN two complaints filed before an incident, one of them matching, and one filed during
    file_case(desk, 1)
    file_case(desk, 2, category="refund_delay")
    incident_id = declare(desk).json_body["incident_id"]
    late = file_case(desk, 3)
    # WHEN one linked case is unlinked again, and the metrics are read
    unlinked = post(
        desk, f"{INCIDENTS}/{incident_id}/cases", {"unlink": [late["case_id"]]}, "agent"
    )
    assert unlinked.json_body["refused"] == [], unlinked.body
    desk.sent("-")
    report = desk.api.get("/v1/admin/metrics", desk.staff("supervisor"))
    assert report.status_code == 200, report.body
    body = report.json_body
    # THEN the incident counts the one case still linked, apart from the other two
    assert body["incidents"] == {incident_id: 1}
    assert body["volumes"]["filed"] == 3
    assert (body["volumes"]["incident_linked"], body["volumes"]["not_incident_linked"]) == (1, 2)


@pytest.fixture
def dynamodb(moto_base: Any) -> Any:
    """Faults on the connection the store's transactions go through."""
    from tests.botocore_faults import BotocoreFaults

    with BotocoreFaults(moto_base.dynamodb.client) as faults:
        yield faults


def test_a_store_outage_is_a_503_and_the_retry_declares_once(desk: Desk, dynamodb: Any) -> None:
    # GIVEN a matching open case, and DynamoDB throttling the next transaction
    file_case(desk, 1)
    desk.staff("supervisor"), desk.staff("agent")
    dynamodb.throttle_every_attempt("TransactWriteItems")
    # WHEN the supervisor declares the incident
    refused = declare(desk, key="outage-1")
    # THEN the answer is 503 with Retry-After, and nothing was declared
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
    assert desk.api.get(INCIDENTS, desk.staff("agent")).json_body["items"] == []
    # WHEN the answer of the retry is lost (the declaration applied; botocore tries again and
    # meets its own Idempotency-Key) and the client sends it once more
    dynamodb.lose_answer("TransactWriteItems", times=1)
    lost = declare(desk, key="outage-1")
    again = declare(desk, key="outage-1")
    # THEN both answer with the one incident declared, whose case the outbox links
    assert (lost.status_code, again.status_code) == (201, 201), lost.body
    assert lost.json_body["incident_id"] == again.json_body["incident_id"]
    listed = desk.api.get(INCIDENTS, desk.staff("agent")).json_body["items"]
    assert [i["incident_id"] for i in listed] == [again.json_body["incident_id"]]
    assert incident(desk, again.json_body["incident_id"])["linked"] == 1


def test_an_update_whose_answer_was_lost_is_posted_once(desk: Desk, dynamodb: Any) -> None:
    case = file_case(desk, 1)
    incident_id = declare(desk).json_body["incident_id"]
    path = f"{INCIDENTS}/{incident_id}/updates"
    desk.sent("-")
    dynamodb.lose_answer("TransactWriteItems", times=1)
    assert post(desk, path, {"text": NEWS}, key="news-1").status_code in (201, 503)
    retried = post(desk, path, {"text": NEWS}, key="news-1")
    assert retried.status_code == 201 and retried.json_body["n"] == 1
    desk.advance(minutes=5)
    told = [s for s in desk.sent(case["case_id"]) if s[0] == "incident_update"]
    assert sorted(c for _, c, _ in told) == ["email", "sms"]
    assert len(incident(desk, incident_id)["updates"]) == 1


def test_resolving_with_an_offer_offers_each_case_its_own_full_refund(desk: Desk) -> None:
    # GIVEN two linked cases, one filed (not yet accepted), one under investigation
    cases = [file_case(desk, 1), file_case(desk, 2, contact={"language": "en"})]
    desk.must_move(cases[1]["case_id"], "accepted")
    desk.must_move(cases[1]["case_id"], "investigating")
    incident_id = declare(desk).json_body["incident_id"]
    # WHEN the incident is resolved with a full refund for each
    body = {"outcome": "resolved", "text": FIXED, "proposal": {"kind": "full_refund"}}
    started = post(desk, f"{INCIDENTS}/{incident_id}/resolve", body)
    assert started.status_code == 202, started.body
    # THEN each case is accepted if it was not, and offered its own paid amount back, with the
    # resolution's text in its customer's language
    done = incident(desk, incident_id)
    assert (done["status"], done["unmoved"]) == ("resolved", [])
    for case, lang in zip(cases, ("zh-CN", "en"), strict=True):
        view = desk.customer_view(case)
        assert view["status"] == "negotiating"
        assert view["proposal"]["kind"] == "full_refund"
        assert view["proposal"]["amount_fen"] == 3880
        assert view["proposal"]["text"] == FIXED[lang]
        told = {e for e, _, status in desk.sent(case["case_id"]) if status == "sent"}
        assert "proposal_made" in told
    # AND the cases wait for their customers: accepting resolves one
    assert done["open_linked"] == 2
    assert desk.customer(cases[0], "proposal/accept", {}).status_code == 200
    assert incident(desk, incident_id)["open_linked"] == 1


def test_an_offer_is_checked_as_a_case_s_proposal(desk: Desk) -> None:
    incident_id = declare(desk).json_body["incident_id"]
    path = f"{INCIDENTS}/{incident_id}/resolve"
    bad = {"outcome": "resolved", "text": FIXED, "proposal": {"kind": "partial_refund"}}
    refused = post(desk, path, bad)
    assert refused.status_code == 400
    assert "proposal.amount_fen" in error_of(refused)["fields"]
    own_text = {**bad, "proposal": {"kind": "explanation", "text": "x"}}
    assert "proposal" in error_of(post(desk, path, own_text))["fields"]
    assert incident(desk, incident_id)["status"] == "open"


def test_the_customer_s_case_list_tells_the_incident_of_each_linked_case(desk: Desk) -> None:
    # GIVEN a customer with a complaint linked to an incident and one that is not
    linked = file_case(desk, 11)
    declared = declare(desk)
    assert declared.status_code == 201, declared.body
    unlinked = file_case(desk, 12, category="refund_delay", contact={"phone": "13900000011"})
    # WHEN they sign in with a code sent to their phone and list their cases
    api = desk.api
    before = len(sent_codes("+8613900000011"))
    assert api.post("/v1/otp", {"phone": "13900000011"}).status_code == 202
    api.drain()
    [code] = sent_codes("+8613900000011")[before:]
    session = api.post("/v1/sessions", {"phone": "13900000011", "code": code}).json_body["token"]
    items = {c["case_id"]: c for c in api.get("/v1/me/cases", session).json_body["items"]}
    # THEN the linked case says what customers are told of the incident; the other says nothing
    assert items[linked["case_id"]]["incident"] == {"summary": SUMMARY["zh-CN"]}
    assert items[unlinked["case_id"]]["incident"] is None


def test_staff_list_an_incident_s_linked_cases_page_by_page(desk: Desk) -> None:
    # GIVEN three linked cases, one of them withdrawn since, and one case not linked
    cases = [file_case(desk, n) for n in range(21, 24)]
    other = file_case(desk, 24, category="refund_delay")
    incident_id = declare(desk).json_body["incident_id"]
    done = cases[0]["case_id"]
    assert desk.customer(cases[0], "withdraw").status_code == 200
    path = f"{INCIDENTS}/{incident_id}/cases"
    agent = desk.staff("agent")
    # WHEN an agent lists the incident's cases, two a page
    first = desk.api.get(f"{path}?limit=2", agent)
    assert first.status_code == 200, first.body
    rest = desk.api.get(f"{path}?limit=2&cursor={first.json_body['next_cursor']}", agent)
    # THEN every linked case comes once, the one with its outcome first, as the queue shows them
    listed = [c["case_id"] for c in first.json_body["items"] + rest.json_body["items"]]
    assert listed[0] == done and sorted(listed) == sorted(c["case_id"] for c in cases)
    assert other["case_id"] not in listed and rest.json_body["next_cursor"] is None
    item = first.json_body["items"][0]
    assert (item["status"], item["incident"]["incident_id"]) == ("withdrawn", incident_id)
    # AND `open=true` lists only those still waiting for an outcome
    waiting = desk.api.get(f"{path}?open=true", agent).json_body["items"]
    assert sorted(c["case_id"] for c in waiting) == sorted(c["case_id"] for c in cases[1:])
    # AND a bad flag is a 400, an unknown incident a 404, a customer's token a 401
    assert error_of(desk.api.get(f"{path}?open=yes", agent))["code"] == "validation_failed"
    missing = desk.api.get(f"{INCIDENTS}/inc_unknown/cases", agent)
    assert missing.status_code == 404
    assert desk.api.get(path, cases[1]["access_token"]).status_code == 401
