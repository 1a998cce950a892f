"""What the providers send back about our messages, in their own formats: SNS SMS
delivery-status log records (through a CloudWatch Logs subscription) and SES events (through
SNS). Built from the documented shapes: the local runner feeds them to our handlers for what
moto's SNS and SES accepted (devstack/delivery_log.py), and tests feed them too."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.adapters.messaging import EMAIL_TAG, email_tag


def masked(phone: str) -> str:
    """The phone as SNS logs it, in the documented shape (`+1XXX5550100`): the calling code,
    three digits masked, the rest (a +86 number here)."""
    return phone[:3] + "XXX" + phone[6:]


def sms_status_record(
    message_id: str,
    phone: str,
    at: datetime,
    *,
    delivered: bool = True,
    response: str | None = None,
) -> dict[str, Any]:
    """One record of `sns/<region>/<account>/DirectPublishToPhoneNumber[/Failure]`."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return {
        "notification": {"messageId": message_id, "timestamp": stamp},
        "delivery": {
            "phoneCarrier": "China Mobile",
            "mnc": 0,
            "mcc": 460,
            "destination": masked(phone),
            "priceInUSD": 0.0174,
            "smsType": "Transactional",
            "providerResponse": response
            or (
                "Message has been accepted by phone carrier"
                if delivered
                else "Unknown error attempting to reach phone"
            ),
            "dwellTimeMs": 412,
            "dwellTimeMsUntilDeviceAck": 1893,
        },
        "status": "SUCCESS" if delivered else "FAILURE",
    }


def logs_event(records: list[dict[str, Any]], *, failures: bool = False) -> dict[str, Any]:
    """The event a CloudWatch Logs subscription filter invokes its function with."""
    group = "sns/ap-southeast-1/123456789012/DirectPublishToPhoneNumber"
    payload = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": group + ("/Failure" if failures else ""),
        "logStream": "2c3d2e04-0c1b-4a8e-a9d6-2d9c3e3a8a11",
        "subscriptionFilters": ["paycase-dev-sms-receipts"],
        "logEvents": [
            {"id": str(n), "timestamp": 1795000000000 + n, "message": json.dumps(record)}
            for n, record in enumerate(records)
        ],
    }
    data = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    return {"awslogs": {"data": data}}


def ses_event(
    kind: str, message_id: str, notification_id: str | None, at: datetime, **detail: Any
) -> dict[str, Any]:
    """An SES event as the configuration set publishes it to SNS (`eventType` `Send`,
    `Delivery`, `Reject`, `Bounce` ...), tagged as our sender tags the message."""
    tags: dict[str, list[str]] = {"ses:configuration-set": ["paycase-dev"]}
    if notification_id is not None:
        tags[EMAIL_TAG] = [email_tag(notification_id) or ""]
    return {
        "eventType": kind,
        "mail": {
            "timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "source": "no-reply@paycase.example",
            "messageId": message_id,
            "destination": ["li.si@example.com"],
            "tags": tags,
        },
        kind[0].lower() + kind[1:]: detail,
    }
