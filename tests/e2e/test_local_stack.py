"""The whole local stack, as `make run` starts it: HTTP in, messages and timers out, Ctrl-C, and
a restart that keeps every case."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.bootstrap import DEMO_SCREENSHOT
from devstack.engines import free_port, port_free
from tests.builders import complaint
from tests.local_stack import Stack, wait_for
from tests.working_week import working_monday_10am

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    ports = {"PORT": free_port(), "DYNAMODB_PORT": free_port(), "MOTO_PORT": free_port()}
    s = Stack(tmp_path / "local", ports)
    try:
        yield s
    finally:
        s.stop()


def test_local_stack_serves_delivers_fires_and_keeps_cases_across_restart(stack: Stack) -> None:
    # GIVEN the local stack, started as `make run` starts it
    stack.start()
    credentials = stack.credentials()
    assert set(credentials) == {
        "api",
        "staff_tokens",
        "staff_ids",
        "merchants",
        "webhook_secret",
        "demo_case",
    }
    assert credentials["api"] == stack.api
    # AND the demo complaint opens with the access token the credentials file keeps
    demo = credentials["demo_case"]
    status, seen = stack.call("GET", f"/v1/cases/{demo['case_id']}", token=demo["access_token"])
    assert (status, seen["case_number"]) == (200, demo["case_number"])
    # AND it carries the customer's screenshot, downloadable from this machine
    files_path = f"/v1/cases/{demo['case_id']}/evidence"
    status, files = stack.call("GET", files_path, token=demo["access_token"])
    assert status == 200
    (screenshot,) = files["items"]
    assert (screenshot["content_type"], screenshot["status"]) == ("image/png", "available")
    path = f"{files_path}/{screenshot['evidence_id']}"
    status, one = stack.call("GET", path, token=demo["access_token"])
    with urllib.request.urlopen(one["download_url"], timeout=10) as got:
        assert got.read() == DEMO_SCREENSHOT.read_bytes()
        assert got.headers["Content-Disposition"].startswith("attachment;")
    assert set(credentials["staff_tokens"]) == {"admin", "supervisor", "agent", "reviewer"}
    admin = credentials["staff_tokens"]["admin"]
    # AND each demo member's staff_id is the one their token answers to (GET /v1/admin/me)
    for role, token in credentials["staff_tokens"].items():
        status, me = stack.call("GET", "/v1/admin/me", token=token)
        assert (status, me["staff_id"], me["role"]) == (200, credentials["staff_ids"][role], role)
    # AND its clock on a working-day morning, so the story does not depend on the hour the
    # suite runs (SMS wait out quiet hours): Monday 10:00 Beijing, in a week without holidays
    start = {"set": working_monday_10am().isoformat()}
    status, _ = stack.call("POST", "/v1/dev/clock", start, token=admin)
    assert status == 200
    status, clock = stack.call("GET", "/v1/dev/clock", token=admin)
    assert (status, clock["now"][:10]) == (200, start["set"][:10])

    # WHEN a customer files a complaint over HTTP
    status, case = stack.call(
        "POST", "/v1/complaints", complaint(), headers={"Idempotency-Key": "e2e-1"}
    )
    assert status == 201
    # THEN the runner sends the acknowledgement SMS and email, and prints them
    wait_for(lambda: stack.text().count(case["case_number"]) >= 2, 30, stack.text)
    assert "【PayCase】" in stack.text()
    log_path = f"/v1/admin/notifications?case_id={case['case_id']}"
    wait_for(
        lambda: (
            {i["status"] for i in stack.call("GET", log_path, token=admin)[1]["items"]} == {"sent"}
        ),
        30,
        stack.text,
    )

    # WHEN the payment platform reports the payment, the merchant asks about it, and the
    # settlement follows (the seed story, signed with the published helper)
    merchant = credentials["merchants"][0]
    txn = complaint()["payment"]["transaction_id"]
    paid = stack.webhook(credentials, "payment.succeeded", txn, merchant["merchant_id"])
    assert paid == (200, {"received": True, "duplicate": False})
    status, query = stack.signed(
        merchant,
        "POST",
        "/v1/merchant/payment-queries",
        {"transaction_id": txn, "amount_fen": complaint()["payment"]["amount_fen"]},
    )
    assert (status, query["verdict"]) == (200, "pending_settlement"), query
    settled = stack.webhook(credentials, "payment.settled", txn, merchant["merchant_id"])
    assert settled[0] == 200
    query_path = f"/v1/merchant/payment-queries/{query['query_id']}"
    # THEN the query answers "settled" and the runner sends the merchant its email
    wait_for(
        lambda: stack.signed(merchant, "GET", query_path)[1]["verdict"] == "settled",
        30,
        stack.text,
    )
    wait_for(lambda: "merchant_settlement_found" in stack.text(), 30, stack.text)
    # AND the demo payment the banner invites the merchant to ask about is paid, not settled
    assert "clients/paycase_sign.py --merchant M100001" in stack.text()
    demo = {"transaction_id": "DEMO-TXN-0001", "amount_fen": 3880}
    status, answer = stack.signed(merchant, "POST", "/v1/merchant/payment-queries", demo)
    assert (status, answer["verdict"]) == (200, "pending_settlement"), answer

    # WHEN the test clock moves three days ahead
    status, _ = stack.call("POST", "/v1/dev/clock", {"advance_seconds": 3 * 86400}, token=admin)
    assert status == 200
    # THEN the runner fires the case's schedule and the customer sees the breach
    wait_for(lambda: f"fired {case['case_id']}-1" in stack.text(), 30, stack.text)
    path = f"/v1/cases/{case['case_id']}"
    wait_for(
        lambda: (
            stack.call("GET", path, token=case["access_token"])[1]["sla"]["state"] == "breached"
        ),
        30,
        stack.text,
    )

    # WHEN Ctrl-C stops the stack THEN it exits cleanly and leaves nothing running
    assert stack.interrupt() == 0
    assert all(port_free(port) for port in stack.ports.values())

    # WHEN it starts again THEN the case, the credentials and the clock survived
    stack.start()
    status, view = stack.call("GET", path, token=case["access_token"])
    assert status == 200
    assert view["case_number"] == case["case_number"]
    assert stack.credentials()["staff_tokens"] == credentials["staff_tokens"]
    # AND the demo complaint, still open, keeps its access token in the credentials file
    assert stack.credentials()["demo_case"] == credentials["demo_case"]
    # AND, three test-clock days later (past the 24-hour idempotency window), the same request
    # is no longer a replay but is still recognised as the open case it duplicates
    status, again = stack.call(
        "POST", "/v1/complaints", complaint(), headers={"Idempotency-Key": "e2e-1"}
    )
    assert status == 409
    assert again["error"]["case_number"] == case["case_number"]
    assert stack.interrupt() == 0
