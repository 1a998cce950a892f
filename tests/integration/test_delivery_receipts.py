"""The local stack's receipts: moto behind the delivery log (devstack/delivery_log.py), the local
runner feeding what moto accepted to the `sms_receipts` and `ses_events` handlers, and a send
whose answer was lost settled by its receipt instead of being sent again after its window."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.server import ThreadedMotoServer
from moto.sns.models import sns_backends

from chalicelib import wiring
from chalicelib.adapters.messaging import EMAIL_TAG, email_tag
from chalicelib.adapters.receipts import email_receipt, log_records, sms_receipt
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.receipts import destination_matches
from devstack.delivery_log import ReceiptFeed, ThreadedServer
from devstack.engines import free_port
from devstack.runner import Runner
from tests.botocore_faults import BotocoreFaults
from tests.builders import MONDAY_10AM, caller, complaint

REGION = "ap-southeast-1"


class Handlers:
    """Stands in for the app module: what the feed handed to each handler."""

    def __init__(self) -> None:
        self.sms: list[Any] = []
        self.email: list[Any] = []

    def sms_receipts(self, event: Any, context: Any) -> None:
        self.sms += [sms_receipt(record) for record in log_records(event)]

    def ses_events(self, event: Any, context: Any) -> None:
        self.email.append(email_receipt(json.loads(event["Records"][0]["Sns"]["Message"])))


@pytest.fixture
def logged_moto() -> Iterator[tuple[str, FixedClock]]:
    """moto's server behind the delivery log, on a clock of its own."""
    clock, port = FixedClock(MONDAY_10AM), free_port()
    server = ThreadedServer("127.0.0.1", port, clock)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}", clock
    finally:
        server.stop()


def _client(service: str, url: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION)


def test_the_feed_reports_each_accepted_message_once_as_its_provider_would(
    logged_moto: tuple[str, FixedClock], tmp_path: Path
) -> None:
    url, clock = logged_moto
    # GIVEN an SMS and a tagged email that moto accepted
    sms_id = _client("sns", url).publish(PhoneNumber="+8613900000001", Message="hi")["MessageId"]
    ses = _client("sesv2", url)
    ses.create_email_identity(EmailIdentity="no-reply@paycase.example")
    email_id = ses.send_email(
        FromEmailAddress="no-reply@paycase.example",
        Destination={"ToAddresses": ["li.si@example.com"]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
        EmailTags=[{"Name": EMAIL_TAG, "Value": email_tag("case#01J:case_received:email")}],
    )["MessageId"]
    handlers, cursor = Handlers(), tmp_path / "cursor.json"
    # WHEN the runner's feed reads the log
    assert ReceiptFeed(url, handlers, cursor).feed() == 2
    # THEN the SMS's receipt is SNS's record of that message, delivered, at the clock's time
    [sms] = handlers.sms
    assert (sms.message_id, sms.delivered, sms.at) == (sms_id, True, MONDAY_10AM)
    assert sms.destination is not None and destination_matches("+8613900000001", sms.destination)
    # AND the email's is SES's Delivery event of that message, carrying its tag
    [email] = handlers.email
    assert (email.message_id, email.delivered) == (email_id, True)
    assert email.notification_id == "case#01J:case_received:email"
    # AND nothing is reported twice, also by a feed that starts again from the saved place
    assert ReceiptFeed(url, handlers, cursor).feed() == 0
    clock.advance(60)
    _client("sns", url).publish(PhoneNumber="+8613900000002", Message="again")
    assert ReceiptFeed(url, handlers, cursor).feed() == 1
    assert [r.at for r in handlers.sms] == [MONDAY_10AM, clock.now()]


def test_a_moto_without_the_log_feeds_nothing(tmp_path: Path) -> None:
    port = free_port()
    plain = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    plain.start()
    try:
        url, handlers = f"http://127.0.0.1:{port}", Handlers()
        _client("sns", url).publish(PhoneNumber="+8613900000003", Message="hi")
        feed = ReceiptFeed(url, handlers, tmp_path / "cursor.json")
        assert feed.feed() == 0 and feed.feed() == 0
        assert handlers.sms == [] and not (tmp_path / "cursor.json").exists()
    finally:
        plain.stop()


def _sms_to(phone: str) -> list[str]:
    messages = sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages
    return [text for to, text in messages.values() if to == phone]


@pytest.mark.parametrize("with_receipts", [True, False], ids=["receipts", "no-receipts"])
def test_an_sms_whose_answer_was_lost_is_settled_by_its_receipt_not_sent_again(
    container: wiring.Container,
    logged_moto: tuple[str, FixedClock],
    tmp_path: Path,
    with_receipts: bool,
) -> None:
    import app

    url, clock = logged_moto
    clock.set(container.clock.now())
    local = wiring.Container(replace(container.settings, aws_endpoint=url), clock=clock)
    wiring.use(local)
    feed = ReceiptFeed(url, app, tmp_path / "cursor.json") if with_receipts else None
    runner = Runner(local, app, echo=False, receipts=feed)
    contact = caller(70 + with_receipts)
    phone = "+86" + contact["phone"]
    try:
        with BotocoreFaults(local.client("sns")) as sns:
            # GIVEN SNS accepting the acknowledgement and its answer lost on the way back
            sns.lose_answer("Publish", times=1)
            case = local.complaints.file(complaint(contact=contact)).body
            runner.turn()
        assert len(_sms_to(phone)) == 1
        # WHEN the runner goes on, and the case's time passes the SMS's receipt window
        for _ in range(3):
            runner.turn()
            clock.advance(30 * 60)
        runner.turn()
        # THEN with SNS's receipt the SMS is sent, once; without one it went a second time
        messages = local.notifications.for_case(case["case_id"], 20, None)[0]
        [sms] = [n for n in messages if n.channel == "sms" and n.event == "case_received"]
        if with_receipts:
            assert sms.status.value == "sent" and len(_sms_to(phone)) == 1
            assert sms.receipt is not None and sms.receipt.startswith("delivered")
        else:
            assert len(_sms_to(phone)) == 2
    finally:
        wiring.use(None)
