"""Resending dead messages, and what comes back through SNS: TD replies and SES bounces."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from chalicelib import wiring
from chalicelib.adapters.messaging import SesEmail
from tests.api.conftest import Api, error_of
from tests.builders import complaint
from tests.moto_stack import SHARED


def _with_email(api: Api, email: SesEmail) -> None:
    """The same API with another email adapter (injected, as the composition root would)."""
    shared = {name: getattr(api.container, name) for name in SHARED if name != "email"}
    api.container = wiring.Container(api.container.settings, clock=api.clock, email=email, **shared)
    wiring.use(api.container)


def test_a_dead_message_is_resent_on_request(api: Api) -> None:
    # GIVEN an acknowledgement email SES refused (an unverified sender, so: MessageRejected)
    case = api.file().json_body
    ses = api.container.client("sesv2")
    _with_email(api, SesEmail(ses, "nobody@unverified.example"))
    api.drain()
    token = api.staff_token("agent")
    log = api.get(f"/v1/admin/notifications?case_id={case['case_id']}", token).json_body["items"]
    [dead] = [n for n in log if n["status"] == "dead"]
    assert "MessageRejected" in dead["last_error"]
    # WHEN the sender is fixed and staff ask for a resend
    _with_email(api, SesEmail(ses, api.container.settings.email_from))
    headers = {"Authorization": f"Bearer {token}"}
    resend = api.post(f"/v1/admin/notifications/{dead['id']}/retry", {}, headers)
    assert resend.status_code == 202
    api.drain()
    # THEN it is sent, once; resending a sent message is refused
    log = api.get(f"/v1/admin/notifications?case_id={case['case_id']}", token).json_body["items"]
    assert {n["status"] for n in log} == {"sent"}
    assert len(api.emails_about(case["case_number"])) == 1
    again = api.post(f"/v1/admin/notifications/{dead['id']}/retry", {}, headers)
    assert (again.status_code, error_of(again)["code"]) == (409, "invalid_transition")
    missing = api.post("/v1/admin/notifications/nope/retry", {}, headers)
    assert missing.status_code == 404


def test_td_reply_through_sns_turns_sms_off(api: Api) -> None:
    case = api.file().json_body
    message = json.dumps({"originationNumber": "+8613800138000", "messageBody": "TD"})
    event = api.client.events.generate_sns_event(message=message)
    result = api.client.lambda_.invoke("inbound_sms", event)
    assert result.payload == {"outcome": "opted_out"}
    view = api.get(f"/v1/cases/{case['case_id']}", case["access_token"]).json_body
    assert view["contact"]["sms_opt_out"] is True
    garbage = api.client.events.generate_sns_event(message="not json")
    assert api.client.lambda_.invoke("inbound_sms", garbage).payload == {"outcome": "ignored"}


def test_sms_turned_back_on_after_td_reaches_the_phone_again(api: Api) -> None:
    # GIVEN a customer who replied TD through SNS
    case = api.file().json_body
    api.drain()
    message = json.dumps({"originationNumber": "+8613800138000", "messageBody": "TD"})
    api.client.lambda_.invoke("inbound_sms", api.client.events.generate_sns_event(message=message))
    # WHEN they turn SMS back on with their case's token
    changed = api.client.http.put(
        f"/v1/cases/{case['case_id']}/preferences",
        headers={
            "Authorization": f"Bearer {case['access_token']}",
            "Content-Type": "application/json",
        },
        body='{"sms_opt_out": false}',
    )
    assert (changed.status_code, changed.json_body["sms_opt_out"]) == (200, False)
    # AND staff then write to them
    staff = {"Authorization": f"Bearer {api.staff_token('agent')}"}
    path = f"/v1/admin/cases/{case['case_id']}/messages"
    assert api.post(path, {"text": "已联系商家"}, staff).status_code == 201
    api.drain()
    # THEN the message reaches the phone by SMS as well as the acknowledgement
    assert len(api.sms_about(case["case_number"])) == 2


def test_ses_bounce_through_sns_suppresses_the_address(api: Api) -> None:
    bounce = {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bouncedRecipients": [{"emailAddress": "zhang.san@example.com"}],
        },
    }
    event = api.client.events.generate_sns_event(message=json.dumps(bounce))
    answer = api.client.lambda_.invoke("ses_events", event).payload
    assert answer == {"suppressed": 1, "receipt": "ignored"}  # no message of ours is named
    case = api.file(complaint()).json_body
    api.drain()
    assert api.emails_about(case["case_number"]) == []
    assert len(api.sms_about(case["case_number"])) == 1


def _local_stack(api: Api, tmp_path: Any) -> None:
    """The API as `make run` wires it: a test clock, and the real senders behind the
    fail-next-send switch."""
    settings = dataclasses.replace(api.container.settings, clock_file=str(tmp_path / "clock"))
    shared = {n: getattr(api.container, n) for n in SHARED if n not in ("sms", "email")}
    api.container = wiring.Container(settings, clock=api.clock, **shared)
    wiring.use(api.container)


def test_the_local_switch_fails_the_next_send_so_it_can_be_sent_again(
    api: Api, tmp_path: Any
) -> None:
    # GIVEN the local stack, and an admin who marks the customer's phone to fail once
    _local_stack(api, tmp_path)
    admin = {"Authorization": f"Bearer {api.staff_token('admin')}"}
    marked = api.post("/v1/dev/fail-next-send", {"to": "138 0013 8000"}, admin)
    assert marked.status_code == 202
    assert marked.json_body == {"to": "+8613800138000", "channel": "sms", "fails": "the next send"}
    # WHEN a complaint from that phone is acknowledged
    case = api.file().json_body
    api.drain()
    # THEN its SMS is dead, saying why, and the email went
    path = f"/v1/admin/notifications?case_id={case['case_id']}"
    log = {n["channel"]: n for n in api.get(path, api.staff_token("agent")).json_body["items"]}
    assert log["sms"]["status"] == "dead" and "fail-next-send" in log["sms"]["last_error"]
    assert log["email"]["status"] == "sent"
    # AND "send again" sends it, once: the switch was used up
    resend = api.post(f"/v1/admin/notifications/{log['sms']['id']}/retry", {}, admin)
    assert resend.status_code == 202
    api.drain()
    log = {n["channel"]: n for n in api.get(path, api.staff_token("agent")).json_body["items"]}
    assert log["sms"]["status"] == "sent"
    assert len(api.sms_about(case["case_number"])) == 1


def test_the_fail_next_send_switch_needs_an_admin_and_an_address(api: Api, tmp_path: Any) -> None:
    _local_stack(api, tmp_path)
    agent = {"Authorization": f"Bearer {api.staff_token('agent')}"}
    admin = {"Authorization": f"Bearer {api.staff_token('admin')}"}
    assert api.post("/v1/dev/fail-next-send", {"to": "a@example.com"}, agent).status_code == 403
    bad = api.post("/v1/dev/fail-next-send", {"to": "not an address"}, admin)
    assert (bad.status_code, list(error_of(bad)["fields"])) == (400, ["to"])
    ok = api.post("/v1/dev/fail-next-send", {"to": "Li.Si@Example.com"}, admin)
    assert ok.json_body["channel"] == "email"


def test_the_fail_next_send_switch_is_absent_without_the_local_stack(api: Api) -> None:
    admin = {"Authorization": f"Bearer {api.staff_token('admin')}"}
    assert api.post("/v1/dev/fail-next-send", {"to": "a@example.com"}, admin).status_code == 404
