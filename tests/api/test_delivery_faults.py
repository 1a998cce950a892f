"""Sending each message once when AWS fails in the middle, through the public surface: the
API, the Lambda handlers AWS invokes (the sweeper, `sms_receipts`, `ses_events`), and faults
injected at the botocore layer of the real clients (tests/botocore_faults.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib import handlers, wiring
from chalicelib.adapters.messaging import EMAIL_TAG, SesEmail, notification_of_tag
from chalicelib.domain import delivery as rules
from devstack.provider_events import logs_event, ses_event, sms_status_record
from tests.api.conftest import REGION, Api, error_of
from tests.api.desk import Desk
from tests.botocore_faults import BotocoreFaults
from tests.moto_stack import SHARED

PHONE = "+8613800138000"


@pytest.fixture
def sns(moto_base: wiring.Container) -> Iterator[BotocoreFaults]:
    """Faults on the SNS client the API's SMS sender uses."""
    with BotocoreFaults(moto_base.client("sns")) as faults:
        yield faults


@pytest.fixture
def ses(moto_base: wiring.Container) -> Iterator[BotocoreFaults]:
    with BotocoreFaults(moto_base.client("sesv2")) as faults:
        yield faults


@pytest.fixture
def dynamodb(moto_base: wiring.Container) -> Iterator[BotocoreFaults]:
    """Faults on the connection the store's transactions (and so the outbox) go through."""
    with BotocoreFaults(moto_base.dynamodb.client) as faults:
        yield faults


def _log(api: Api, query: str) -> list[dict[str, Any]]:
    token = api.staff_token("agent")
    return list(api.get(f"/v1/admin/notifications?{query}", token).json_body["items"])


def _message(api: Api, case_id: str, channel: str) -> dict[str, Any]:
    [item] = [
        n
        for n in _log(api, f"case_id={case_id}")
        if (n["event"], n["channel"]) == ("case_received", channel)
    ]
    return item


def _with_email(api: Api, email: SesEmail) -> None:
    """The same API with another email adapter (injected, as the composition root would)."""
    shared = {name: getattr(api.container, name) for name in SHARED if name != "email"}
    api.container = wiring.Container(
        api.container.settings, clock=api.clock, email=email, pause=api.clock.advance, **shared
    )
    wiring.use(api.container)


def _sweep(api: Api) -> Any:
    """What the scheduled `sweeper` function runs (without its Lambda clock: the local stage's
    30 s timeout would stop it at once)."""
    return handlers.sweeper()


def _sms_to(phone: str) -> list[tuple[str, str]]:
    messages = sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages
    return [(mid, text) for mid, (to, text) in messages.items() if to == phone]


def test_sms_accepted_whose_answer_was_lost_is_sent_once_and_settled_by_its_receipt(
    api: Api, desk: Desk, sns: BotocoreFaults
) -> None:
    # GIVEN SNS applying the acknowledgement's Publish and its answer getting lost
    sns.lose_answer("Publish", times=1)
    case = api.file().json_body
    published_at = api.clock.now()
    api.drain()
    # THEN the phone got one SMS (botocore did not retry) and the log shows it unknown
    [(message_id, text)] = _sms_to(PHONE)
    assert case["case_number"] in text and sns.calls["Publish"] == 1
    sms = _message(api, case["case_id"], "sms")
    assert (sms["status"], sms["unanswered_attempts"]) == ("unknown", 1)
    assert any(n["id"] == sms["id"] for n in _log(api, "status=unknown"))
    # WHEN the sweeper runs later, and the case's wake-ups fire
    desk.advance(minutes=10)
    _sweep(api)
    # THEN it is not sent again
    assert len(_sms_to(PHONE)) == 1
    # WHEN SNS's delivery-status record reaches `sms_receipts` through the log subscription
    record = sms_status_record(message_id, PHONE, published_at)
    answer = api.client.lambda_.invoke("sms_receipts", logs_event([record])).payload
    # THEN it settles the message as sent, with SNS's id, and nothing more goes later
    assert answer == {"records": 1, "settled": 1}
    sms = _message(api, case["case_id"], "sms")
    assert (sms["status"], sms["receipt"]) == (
        "sent",
        "delivered: Message has been accepted by phone carrier",
    )
    desk.advance(hours=2)
    _sweep(api)
    assert len(_sms_to(PHONE)) == 1
    # AND the desk metrics count it
    metrics = api.get("/v1/admin/metrics", api.staff_token("supervisor")).json_body
    assert metrics["deliveries"] == {"unanswered": 1, "settled": 1, "resent_unanswered": 0}


def test_sms_throttled_more_often_than_its_attempts_is_still_sent_once(
    api: Api, desk: Desk, sns: BotocoreFaults
) -> None:
    # GIVEN SNS refusing the acknowledgement for rate more times than a message has attempts
    refusals = rules.MAX_ATTEMPTS + 2
    sns.throttle("Publish", times=refusals)
    case = api.file().json_body
    api.drain()
    assert _message(api, case["case_id"], "sms")["status"] == "failed"
    # WHEN the sweeper comes back every ten minutes for two hours
    for _ in range(12):
        desk.advance(minutes=10)
        _sweep(api)
    # THEN the SMS went once, after the refusals, which used up none of its attempts
    [(_, text)] = _sms_to(PHONE)
    assert case["case_number"] in text
    assert sns.calls["Publish"] == refusals  # every refusal was met (the layer counts faults)
    sms = _message(api, case["case_id"], "sms")
    assert (sms["status"], sms["attempts"]) == ("sent", 1)


def test_email_accepted_whose_answer_was_lost_is_settled_by_its_tagged_ses_event(
    api: Api, desk: Desk, ses: BotocoreFaults
) -> None:
    # GIVEN SES applying the acknowledgement's SendEmail and its answer getting lost
    requests: list[Any] = []
    ses.lose_answer("SendEmail", times=1, on_lost=requests.append)
    case = api.file().json_body
    api.drain()
    # THEN one email went, tagged with its message's id, and the log shows it unknown
    assert len(api.emails_about(case["case_number"])) == 1 and ses.calls["SendEmail"] == 1
    email = _message(api, case["case_id"], "email")
    assert email["status"] == "unknown"
    [tag] = [
        t["Value"] for t in json.loads(requests[0].body)["EmailTags"] if t["Name"] == EMAIL_TAG
    ]
    assert notification_of_tag(tag) == email["id"]
    # WHEN the configuration set's Send event arrives through SNS
    ses_id = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages[-1].id
    message = json.dumps(ses_event("Send", ses_id, email["id"], api.clock.now()))
    event = api.client.events.generate_sns_event(message=message)
    answer = api.client.lambda_.invoke("ses_events", event).payload
    # THEN it settles the email as sent, and it is not sent again after its window
    assert answer == {"suppressed": 0, "receipt": "settled"}
    assert _message(api, case["case_id"], "email")["status"] == "sent"
    desk.advance(hours=1)
    _sweep(api)
    assert len(api.emails_about(case["case_number"])) == 1


def test_sms_whose_publish_timed_out_unapplied_goes_after_its_window(
    api: Api, desk: Desk, sns: BotocoreFaults
) -> None:
    # GIVEN SNS timing out on the acknowledgement's Publish without sending it
    sns.time_out("Publish", times=1)
    case = api.file().json_body
    api.drain()
    assert _sms_to(PHONE) == [] and _message(api, case["case_id"], "sms")["status"] == "unknown"
    # WHEN no receipt comes within the window THEN it is sent once, an hour later
    desk.advance(minutes=30)
    assert _sms_to(PHONE) == []
    desk.advance(seconds=rules.SMS_RECEIPT_WINDOW.total_seconds())
    assert len(_sms_to(PHONE)) == 1
    sms = _message(api, case["case_id"], "sms")
    assert (sms["status"], sms["attempts"], sms["unanswered_attempts"]) == ("sent", 2, 1)


def test_code_during_an_sns_outage_has_bounded_attempts_within_its_life(
    api: Api, sns: BotocoreFaults
) -> None:
    # GIVEN SNS accepting connections and never answering (each try costs the client's read
    # timeout, 5 s, on the test clock)
    sns.time_out("Publish", on_call=lambda: api.clock.advance(5))
    asked_at = api.clock.now()
    assert api.post("/v1/otp", {"phone": "13900139000"}).status_code == 202
    # WHEN the outbox consumer handles the code
    api.drain()
    # THEN it made three sends in under half a minute, and moved on
    assert sns.calls["Publish"] == 3
    assert api.clock.now() - asked_at <= timedelta(seconds=30)
    [code] = [n for n in _log(api, "status=unknown") if n["event"] == "otp_code"]
    assert code["attempts"] == 3
    # WHEN the sweeper comes back once the code's five minutes are over
    api.clock.advance(6 * 60)
    _sweep(api)
    # THEN the code is given up unsent: three attempts in all
    [dead] = [n for n in _log(api, "status=dead") if n["event"] == "otp_code"]
    assert dead["last_error"] == rules.EXPIRED
    assert sns.calls["Publish"] == 3


def test_send_again_whose_outbox_write_is_throttled_answers_503_and_a_retry_sends_once(
    api: Api, dynamodb: BotocoreFaults, moto_base: wiring.Container
) -> None:
    # GIVEN an acknowledgement email SES refused (an unverified sender)
    case = api.file().json_body
    ses_client = moto_base.client("sesv2")
    _with_email(api, SesEmail(ses_client, "nobody@unverified.example"))
    api.drain()
    dead = _message(api, case["case_id"], "email")
    assert dead["status"] == "dead"
    # AND the sender fixed
    _with_email(api, SesEmail(ses_client, api.container.settings.email_from))
    headers = {"Authorization": f"Bearer {api.staff_token('agent')}"}
    path = f"/v1/admin/notifications/{dead['id']}/retry"
    # WHEN staff ask to send it again while DynamoDB throttles the outbox write
    dynamodb.throttle_every_attempt("TransactWriteItems")
    refused = api.post(path, {}, headers)
    # THEN the answer is 503 with Retry-After, and the message is still dead (retryable)
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
    assert error_of(refused)["code"] == "unavailable"
    assert dynamodb.calls["TransactWriteItems"] == 1
    assert _message(api, case["case_id"], "email")["status"] == "dead"
    # WHEN they retry, twice (the first answer lost), and the outbox runs
    first = api.post(path, {}, headers)
    second = api.post(path, {}, headers)
    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json_body["status"] == "queued"
    api.drain()
    # THEN the email went once
    assert len(api.emails_about(case["case_number"])) == 1
    assert _message(api, case["case_id"], "email")["status"] == "sent"
