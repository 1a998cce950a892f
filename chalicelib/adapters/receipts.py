"""Reading the providers' delivery receipts into the domain's Receipt.

SMS: with delivery-status logging on (infra/resources.json), SNS writes one JSON record per SMS
to the log groups `sns/<region>/<account>/DirectPublishToPhoneNumber` (delivered) and
`.../Failure`; a subscription filter hands them to `sms_receipts` as a CloudWatch Logs event
(`{"awslogs": {"data": <base64 of gzipped JSON>}}`). A record looks like:

    {"notification": {"messageId": "34d9b400-...", "timestamp": "2016-06-28 00:40:34.558"},
     "delivery": {"destination": "+1XXX5550100", "providerResponse": "Message has been
                  accepted by phone carrier", "smsType": "Transactional", ...},
     "status": "SUCCESS"}

`timestamp` is when SNS accepted the Publish (UTC), `destination` the phone with digits
masked. Email: the configuration set publishes SES events to SNS; each names the message's
tags under `mail.tags`, where the message's notification id travels (adapters/messaging.py).
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
from datetime import UTC, datetime
from typing import Any

from chalicelib.adapters.messaging import EMAIL_TAG, notification_of_tag
from chalicelib.domain.receipts import Receipt
from chalicelib.domain.timefmt import parse_rfc3339

log = logging.getLogger(__name__)

# SNS's words for an SMS that will never be delivered to that phone.
_SMS_PERMANENT = ("opted out", "invalid phone number", "not a valid phone number")
# SES events that mean SES accepted the message (a bounce or complaint came after it was sent).
_EMAIL_ACCEPTED = frozenset({"Send", "Delivery", "Bounce", "Complaint", "DeliveryDelay"})
_EMAIL_REFUSED = frozenset({"Reject", "Rendering Failure", "RenderingFailure"})


def log_records(event: Any) -> list[dict[str, Any]]:
    """The log records of a CloudWatch Logs subscription event (none for its test message)."""
    data = (event or {}).get("awslogs", {}).get("data") if isinstance(event, dict) else None
    if not isinstance(data, str):
        raise ValueError("not a CloudWatch Logs subscription event")
    payload = json.loads(gzip.decompress(base64.b64decode(data)))
    if payload.get("messageType") != "DATA_MESSAGE":
        return []
    records = []
    for entry in payload.get("logEvents", []):
        try:
            record = json.loads(entry.get("message", ""))
        except ValueError:
            log.warning("sms receipts: a log line that is not JSON")
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def sms_receipt(record: dict[str, Any]) -> Receipt | None:
    """One SNS SMS delivery-status record; None when it is not one."""
    notification = record.get("notification") or {}
    delivery = record.get("delivery") or {}
    message_id, stamp = notification.get("messageId"), notification.get("timestamp")
    status = str(record.get("status", "")).upper()
    if not message_id or not stamp or status not in ("SUCCESS", "FAILURE"):
        return None
    try:
        at = datetime.strptime(str(stamp), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    except ValueError:
        return None
    detail = str(delivery.get("providerResponse") or status.lower())
    return Receipt(
        channel="sms",
        message_id=str(message_id),
        at=at,
        delivered=status == "SUCCESS",
        detail=detail,
        permanent=status == "FAILURE" and any(w in detail.lower() for w in _SMS_PERMANENT),
        destination=str(delivery.get("destination") or "") or None,
    )


def email_receipt(message: dict[str, Any]) -> Receipt | None:
    """One SES event published by the configuration set; None for an event type that says
    nothing about whether the message went, or a message without our tag."""
    kind = str(message.get("eventType") or "")
    mail = message.get("mail") or {}
    tags = mail.get("tags") or {}
    values = tags.get(EMAIL_TAG) or []
    notification_id = notification_of_tag(str(values[0])) if values else None
    if notification_id is None or not mail.get("messageId"):
        return None
    if kind not in _EMAIL_ACCEPTED | _EMAIL_REFUSED:
        return None
    try:
        at = parse_rfc3339(str(mail.get("timestamp")))
    except ValueError:
        log.warning("ses events: %s has no readable timestamp", mail.get("messageId"))
        return None
    reason = (message.get("reject") or {}).get("reason") or ""
    return Receipt(
        channel="email",
        message_id=str(mail["messageId"]),
        at=at,
        delivered=kind in _EMAIL_ACCEPTED,
        detail=f"SES {kind}" + (f": {reason}" if reason else ""),
        permanent=kind in _EMAIL_REFUSED,
        notification_id=notification_id,
    )
