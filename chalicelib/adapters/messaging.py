"""Sending SMS through SNS and email through SES v2.

Neither service takes an idempotency key, so a request that may have been delivered is never
retried here or by botocore (the composition root gives both clients a single attempt): it is
reported as DeliveryUnknown, and the dispatcher decides. A request that certainly was not
accepted (throttled, or no connection made) is DeliveryFailed for now; a refusal that will not
change is DeliveryFailed for good.
"""

from __future__ import annotations

import base64
import logging
import re
from typing import Any

from chalicelib import observability
from chalicelib.adapters.errors import error_code, http_status
from chalicelib.services.ports import DeliveryFailed, DeliveryUnknown

log = logging.getLogger(__name__)

# Answered before the message was accepted: another try later is safe.
_REFUSED_FOR_NOW = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "KMSThrottlingException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
# SES answers these for a message that will never be accepted as it is.
_SES_PERMANENT = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "BadRequestException",
        "NotFoundException",
    }
)
_SNS_PERMANENT = frozenset({"InvalidParameter", "InvalidParameterValue", "OptedOut"})

# The SES message tag that carries a message's notification id (its events echo it back).
EMAIL_TAG = "notification"
# The tag that carries the correlation id of the request that led to the message, so SES's
# events for it can be found from the complaint's POST (SNS SMS takes no tags: its delivery
# logs are found by the message id, which the send's log line names beside the correlation id).
CORRELATION_TAG = "correlation_id"
_TAG_LIMIT = 256
_TAG_VALUE = re.compile(r"[A-Za-z0-9_.@-]{1,256}")


def email_tag(notification_id: str) -> str | None:
    """The id as an SES tag value may hold it (letters, digits, `-` and `_`): unpadded
    URL-safe base64. None when it would be too long for a tag."""
    value = base64.urlsafe_b64encode(notification_id.encode()).decode().rstrip("=")
    return value if len(value) <= _TAG_LIMIT else None


def notification_of_tag(value: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def _never_sent(exc: Exception) -> bool:
    """No connection was made (refused, DNS, TLS, connect timeout): the request never left."""
    from botocore.exceptions import ConnectionError as BotoConnectionError

    return isinstance(exc, BotoConnectionError)


def _maybe_sent(exc: Exception) -> bool:
    """The request went out and no usable answer came back: a read timeout, a connection
    closed mid-answer, or a server error."""
    from botocore.exceptions import HTTPClientError

    if isinstance(exc, HTTPClientError):
        return True
    code = error_code(exc) or ""
    return (http_status(exc) or 0) >= 500 or code.startswith("Internal")


def _failure(exc: Exception, permanent_codes: frozenset[str]) -> Exception:
    code = error_code(exc)
    if code in _REFUSED_FOR_NOW or _never_sent(exc):
        return DeliveryFailed(
            f"{code or 'no connection'}: try again", permanent=False, refused_for_now=True
        )
    if code in permanent_codes:
        return DeliveryFailed(f"{code}: {exc}", permanent=True)
    if _maybe_sent(exc):
        return DeliveryUnknown(code or exc.__class__.__name__)
    return DeliveryFailed(f"{code or exc.__class__.__name__}: {exc}", permanent=False)


class SnsSms:
    def __init__(self, client: Any, sender_id: str | None = None) -> None:
        self._client = client
        self._attributes: dict[str, Any] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
        }
        if sender_id:
            self._attributes["AWS.SNS.SMS.SenderID"] = {
                "DataType": "String",
                "StringValue": sender_id,
            }

    def send_sms(self, phone: str, text: str) -> str:
        try:
            response = self._client.publish(
                PhoneNumber=phone, Message=text, MessageAttributes=self._attributes
            )
        except Exception as exc:
            raise _failure(exc, _SNS_PERMANENT) from exc
        return str(response["MessageId"])


class SesEmail:
    def __init__(self, client: Any, sender: str, configuration_set: str | None = None) -> None:
        self._client = client
        self._sender = sender
        self._configuration_set = configuration_set

    def send_email(self, to: str, subject: str, text: str, html: str, *, reference: str) -> str:
        request: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": text, "Charset": "UTF-8"},
                        "Html": {"Data": html, "Charset": "UTF-8"},
                    },
                }
            },
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        tags = []
        tag = email_tag(reference)
        if tag is not None:
            tags.append({"Name": EMAIL_TAG, "Value": tag})
        else:
            log.warning("email: %s is too long to tag; its events cannot settle it", reference)
        correlation = observability.correlation_id()
        if correlation and _TAG_VALUE.fullmatch(correlation):
            tags.append({"Name": CORRELATION_TAG, "Value": correlation})
        if tags:
            request["EmailTags"] = tags
        try:
            response = self._client.send_email(**request)
        except Exception as exc:
            raise _failure(exc, _SES_PERMANENT) from exc
        return str(response["MessageId"])
