"""Sending SMS through SNS and email through SES v2."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.errors import error_code, is_transient
from chalicelib.services.ports import DeliveryFailed

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


def _failure(exc: Exception, permanent_codes: frozenset[str]) -> DeliveryFailed:
    code = error_code(exc)
    if is_transient(exc):
        return DeliveryFailed(f"{code or 'network error'}: try again", permanent=False)
    if code in permanent_codes:
        return DeliveryFailed(f"{code}: {exc}", permanent=True)
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

    def send_email(self, to: str, subject: str, text: str, html: str) -> str:
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
        try:
            response = self._client.send_email(**request)
        except Exception as exc:
            raise _failure(exc, _SES_PERMANENT) from exc
        return str(response["MessageId"])
