"""SNS SMS and SES v2 email adapters under moto (and botocore's Stubber for AWS faults)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib import wiring
from chalicelib.adapters.messaging import SesEmail, SnsSms
from chalicelib.services.ports import DeliveryFailed

REGION = "ap-southeast-1"


def test_sms_is_published_to_the_phone(container: wiring.Container) -> None:
    message_id = container.sms.send_sms("+8613800138000", "【PayCase】测试")
    sent = sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages
    assert sent[message_id] == ("+8613800138000", "【PayCase】测试")


def test_email_is_sent_with_text_and_html(container: wiring.Container) -> None:
    message_id = container.email.send_email("a@example.com", "主题", "正文", "<p>正文</p>")
    sent = [m for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages if m.id == message_id]
    assert len(sent) == 1
    assert sent[0].destinations["ToAddresses"] == ["a@example.com"]


def test_email_from_an_unverified_sender_fails_permanently(container: wiring.Container) -> None:
    email = SesEmail(container.client("sesv2"), "nobody@unverified.example")
    with pytest.raises(DeliveryFailed) as failed:
        email.send_email("a@example.com", "s", "t", "<p>t</p>")
    assert failed.value.permanent
    assert "MessageRejected" in failed.value.reason


@pytest.mark.parametrize(
    ("code", "permanent"),
    [("ThrottledException", False), ("InternalError", False), ("InvalidParameter", True)],
)
def test_sms_faults_are_classified(container: wiring.Container, code: str, permanent: bool) -> None:
    client = container.client("sns")
    with Stubber(client) as stub:
        stub.add_client_error("publish", code)
        with pytest.raises(DeliveryFailed) as failed:
            SnsSms(client).send_sms("+8613800138000", "x")
    assert failed.value.permanent is permanent


@pytest.mark.parametrize(
    ("code", "permanent"),
    [
        ("TooManyRequestsException", False),
        ("MessageRejected", True),
        ("AccountSuspendedException", False),
    ],
)
def test_email_faults_are_classified(
    container: wiring.Container, code: str, permanent: bool
) -> None:
    client = container.client("sesv2")
    with Stubber(client) as stub:
        stub.add_client_error("send_email", code)
        with pytest.raises(DeliveryFailed) as failed:
            SesEmail(client, "no-reply@paycase.example").send_email("a@example.com", "s", "t", "h")
    assert failed.value.permanent is permanent


def _unreachable(service: str, operation: str, error: Exception) -> Any:
    """A real client of `service` whose `operation` fails in the HTTP layer with `error`, as
    botocore raises it when the endpoint cannot be reached (no retries, so it surfaces at once)."""

    def fail(**_: Any) -> None:
        raise error

    client = boto3.client(
        service, region_name=REGION, config=Config(retries={"total_max_attempts": 1})
    )
    client.meta.events.register(f"before-send.{service}.{operation}", fail)
    return client


NETWORK_ERRORS = [
    EndpointConnectionError(endpoint_url="https://sns.ap-southeast-1.amazonaws.com/"),
    ReadTimeoutError(endpoint_url="https://sns.ap-southeast-1.amazonaws.com/"),
]


@pytest.mark.parametrize("error", NETWORK_ERRORS, ids=["endpoint-connection", "read-timeout"])
def test_sms_network_errors_are_retryable(error: Exception) -> None:
    client = _unreachable("sns", "Publish", error)
    with pytest.raises(DeliveryFailed) as failed:
        SnsSms(client).send_sms("+8613800138000", "x")
    assert failed.value.permanent is False
    assert failed.value.reason == "network error: try again"


@pytest.mark.parametrize("error", NETWORK_ERRORS, ids=["endpoint-connection", "read-timeout"])
def test_email_network_errors_are_retryable(error: Exception) -> None:
    client = _unreachable("sesv2", "SendEmail", error)
    with pytest.raises(DeliveryFailed) as failed:
        SesEmail(client, "no-reply@paycase.example").send_email("a@example.com", "s", "t", "h")
    assert failed.value.permanent is False
    assert failed.value.reason == "network error: try again"
