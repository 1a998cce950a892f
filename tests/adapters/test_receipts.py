"""Reading the providers' delivery receipts: SNS SMS delivery-status records as a CloudWatch
Logs subscription delivers them, and SES events as the configuration set publishes them."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.receipts import email_receipt, log_records, sms_receipt
from devstack.provider_events import logs_event, ses_event, sms_status_record

AT = datetime(2026, 11, 23, 2, 0, 0, 123000, tzinfo=UTC)
PHONE = "+8613800138000"
NOTIFICATION_ID = "01M8227EWWW73KQHMQKKVMVN3N:case_received:email"


def test_subscription_event_yields_each_logged_record() -> None:
    records = [sms_status_record("m1", PHONE, AT), sms_status_record("m2", PHONE, AT)]
    assert log_records(logs_event(records)) == records


def test_subscription_test_message_yields_nothing() -> None:
    control = {"messageType": "CONTROL_MESSAGE", "logEvents": [{"id": "1", "message": "CWL"}]}
    data = base64.b64encode(gzip.compress(json.dumps(control).encode())).decode()
    assert log_records({"awslogs": {"data": data}}) == []


def test_subscription_event_skips_lines_that_are_not_json() -> None:
    payload = {"messageType": "DATA_MESSAGE", "logEvents": [{"id": "1", "message": "oops"}]}
    data = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    assert log_records({"awslogs": {"data": data}}) == []


def test_anything_else_is_not_a_subscription_event() -> None:
    with pytest.raises(ValueError, match="CloudWatch Logs"):
        log_records({"Records": []})


def test_delivered_sms_record_reads_as_a_delivered_receipt() -> None:
    receipt = sms_receipt(sms_status_record("34d9b400-c6dd", PHONE, AT))
    assert receipt is not None
    assert (receipt.channel, receipt.message_id, receipt.at) == ("sms", "34d9b400-c6dd", AT)
    assert (receipt.delivered, receipt.permanent) == (True, False)
    assert receipt.destination == "+86XXX00138000"
    assert receipt.detail == "Message has been accepted by phone carrier"


@pytest.mark.parametrize(
    ("response", "permanent"),
    [
        ("Unknown error attempting to reach phone", False),
        ("Phone is currently unreachable/unavailable", False),
        ("Phone has opted out", True),
        ("Invalid phone number", True),
    ],
)
def test_failed_sms_record_says_whether_it_can_ever_arrive(response: str, permanent: bool) -> None:
    record = sms_status_record("m1", PHONE, AT, delivered=False, response=response)
    receipt = sms_receipt(record)
    assert receipt is not None
    assert (receipt.delivered, receipt.permanent, receipt.detail) == (False, permanent, response)


def test_record_without_id_time_or_status_is_not_a_receipt() -> None:
    record = sms_status_record("m1", PHONE, AT)
    assert sms_receipt({**record, "status": "PENDING"}) is None
    assert sms_receipt({**record, "notification": {"messageId": "m1"}}) is None
    assert sms_receipt({**record, "notification": {"timestamp": "yesterday"}}) is None


@pytest.mark.parametrize(
    ("kind", "delivered", "permanent"),
    [
        ("Send", True, False),
        ("Delivery", True, False),
        ("Bounce", True, False),  # SES accepted it; the address is another matter
        ("Reject", False, True),
    ],
)
def test_ses_event_about_our_message_reads_as_a_receipt(
    kind: str, delivered: bool, permanent: bool
) -> None:
    receipt = email_receipt(ses_event(kind, "ses-1", NOTIFICATION_ID, AT))
    assert receipt is not None
    assert (receipt.notification_id, receipt.message_id) == (NOTIFICATION_ID, "ses-1")
    assert (receipt.delivered, receipt.permanent) == (delivered, permanent)
    assert receipt.detail.startswith(f"SES {kind}")


def test_ses_event_without_our_tag_or_about_opens_is_not_a_receipt() -> None:
    assert email_receipt(ses_event("Send", "ses-1", None, AT)) is None
    assert email_receipt(ses_event("Open", "ses-1", NOTIFICATION_ID, AT)) is None
    assert email_receipt({"notificationType": "Bounce", "bounce": {}}) is None
