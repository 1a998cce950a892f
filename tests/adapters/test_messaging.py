"""SNS SMS and SES v2 email adapters under moto, with AWS faults injected at the botocore layer
(tests/botocore_faults.py) or answered by botocore's Stubber."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib import observability, wiring
from chalicelib.adapters.messaging import (
    CORRELATION_TAG,
    EMAIL_TAG,
    SesEmail,
    SnsSms,
    email_tag,
    notification_of_tag,
)
from chalicelib.services.ports import DeliveryFailed, DeliveryUnknown
from tests.botocore_faults import BotocoreFaults

REGION = "ap-southeast-1"
NOTIFICATION_ID = "01M8227EWWW73KQHMQKKVMVN3N:case_received:email"
TAG_ALPHABET = set(string.ascii_letters + string.digits + "-_")  # what SES takes in a tag


def _sms_sent() -> dict[str, tuple[str, str]]:
    return dict(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages)


@pytest.fixture
def sns_faults(container: wiring.Container) -> Iterator[BotocoreFaults]:
    with BotocoreFaults(container.client("sns")) as faults:
        yield faults


@pytest.fixture
def ses_faults(container: wiring.Container) -> Iterator[BotocoreFaults]:
    with BotocoreFaults(container.client("sesv2")) as faults:
        yield faults


def test_sms_is_published_to_the_phone(container: wiring.Container) -> None:
    message_id = container.sms.send_sms("+8613800138000", "【PayCase】测试")
    assert _sms_sent()[message_id] == ("+8613800138000", "【PayCase】测试")


def test_email_is_sent_with_text_and_html(container: wiring.Container) -> None:
    message_id = container.email.send_email(
        "a@example.com", "主题", "正文", "<p>正文</p>", reference=NOTIFICATION_ID
    )
    sent = [m for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages if m.id == message_id]
    assert len(sent) == 1
    assert sent[0].destinations["ToAddresses"] == ["a@example.com"]


def test_email_carries_its_notification_id_as_a_tag(container: wiring.Container) -> None:
    # GIVEN a look at the request SES receives
    seen: list[Any] = []

    def capture(request: Any, **_: Any) -> None:
        seen.append(request)

    events = container.client("sesv2").meta.events
    events.register_first("before-send.sesv2.SendEmail", capture)
    try:
        email = SesEmail(container.client("sesv2"), "no-reply@paycase.example")
        email.send_email("a@example.com", "s", "t", "<p>t</p>", reference=NOTIFICATION_ID)
    finally:
        events.unregister("before-send.sesv2.SendEmail", capture)
    # THEN it is tagged with the id, in a form SES accepts and the receipt reads back
    [request] = seen
    [tag] = [t for t in json.loads(request.body)["EmailTags"] if t["Name"] == EMAIL_TAG]
    assert set(tag["Value"]) <= TAG_ALPHABET
    assert notification_of_tag(tag["Value"]) == NOTIFICATION_ID


def _tags_of_email_sent(container: wiring.Container, correlation: str | None) -> dict[str, str]:
    seen: list[Any] = []

    def capture(request: Any, **_: Any) -> None:
        seen.append(request)

    observability.logger.remove_keys(["correlation_id"])  # no request of an earlier test
    events = container.client("sesv2").meta.events
    events.register_first("before-send.sesv2.SendEmail", capture)
    try:
        email = SesEmail(container.client("sesv2"), "no-reply@paycase.example")
        with observability.working_on(correlation=correlation):
            email.send_email("a@example.com", "s", "t", "<p>t</p>", reference=NOTIFICATION_ID)
    finally:
        events.unregister("before-send.sesv2.SendEmail", capture)
    [request] = seen
    return {t["Name"]: t["Value"] for t in json.loads(request.body)["EmailTags"]}


def test_email_carries_the_correlation_id_of_the_work_that_sent_it(
    container: wiring.Container,
) -> None:
    # GIVEN a consumer working on an event of API Gateway request 0f3c...-a1
    request_id = "0f3c2a8e-5b1d-4c6e-9f7a-2d8b1e4c6a01"
    # WHEN it sends the email, THEN SES gets the request id as a tag beside the notification id
    tags = _tags_of_email_sent(container, request_id)
    assert tags[CORRELATION_TAG] == request_id
    assert notification_of_tag(tags[EMAIL_TAG]) == NOTIFICATION_ID


def test_email_leaves_out_a_correlation_id_ses_could_not_take(
    container: wiring.Container,
) -> None:
    # a client-chosen correlation id with characters SES refuses in a tag is left out, not sent
    assert CORRELATION_TAG not in _tags_of_email_sent(container, "trace id/with spaces")
    assert CORRELATION_TAG not in _tags_of_email_sent(container, None)


def test_email_tag_round_trips_every_id_shape() -> None:
    for notification_id in (
        "01M8227EWWW73KQHMQKKVMVN3N:periodic_update@v12.0:email",
        "01M8227EWWW73KQHMQKKVMVN3N:sla_warning@v3.1:email:stf_01M8227EWWW73KQHMQKKVMVN3P",
        "query#01M8227EWWW73KQHMQKKVMVN3N:01M8227EWWW73KQHMQKKVMVN3N:settled:email:merchant",
    ):
        tag = email_tag(notification_id)
        assert tag is not None and len(tag) <= 256
        assert notification_of_tag(tag) == notification_id
    assert email_tag("x" * 200) is None  # too long for a tag: sent untagged


def test_email_from_an_unverified_sender_fails_permanently(container: wiring.Container) -> None:
    email = SesEmail(container.client("sesv2"), "nobody@unverified.example")
    with pytest.raises(DeliveryFailed) as failed:
        email.send_email("a@example.com", "s", "t", "<p>t</p>", reference=NOTIFICATION_ID)
    assert failed.value.permanent
    assert "MessageRejected" in failed.value.reason


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("ThrottledException", "refused for now"),
        ("InvalidParameter", "refused for good"),
        ("InternalError", "unknown"),
        ("InternalErrorException", "unknown"),
    ],
)
def test_sms_faults_are_classified(container: wiring.Container, code: str, outcome: str) -> None:
    client = container.client("sns")
    with Stubber(client) as stub:
        stub.add_client_error("publish", code, http_status_code=500 if "Internal" in code else 400)
        assert _outcome(lambda: SnsSms(client).send_sms("+8613800138000", "x")) == outcome


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("TooManyRequestsException", "refused for now"),
        ("LimitExceededException", "refused for now"),
        ("MessageRejected", "refused for good"),
        ("AccountSuspendedException", "refused for now"),
    ],
)
def test_email_faults_are_classified(container: wiring.Container, code: str, outcome: str) -> None:
    client = container.client("sesv2")
    email = SesEmail(client, "no-reply@paycase.example")
    with Stubber(client) as stub:
        stub.add_client_error("send_email", code)
        sent = _outcome(lambda: email.send_email("a@example.com", "s", "t", "h", reference="n"))
    assert sent == outcome


def _outcome(send: Any) -> str:
    try:
        send()
    except DeliveryFailed as failure:
        return "refused for good" if failure.permanent else "refused for now"
    except DeliveryUnknown:
        return "unknown"
    return "sent"


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
    (EndpointConnectionError(endpoint_url="https://sns.ap-southeast-1.amazonaws.com/"), False),
    (ReadTimeoutError(endpoint_url="https://sns.ap-southeast-1.amazonaws.com/"), True),
]


@pytest.mark.parametrize(("error", "maybe_sent"), NETWORK_ERRORS, ids=["no-connection", "timeout"])
def test_sms_network_errors_say_whether_it_may_have_gone(
    error: Exception, maybe_sent: bool
) -> None:
    client = _unreachable("sns", "Publish", error)
    outcome = _outcome(lambda: SnsSms(client).send_sms("+8613800138000", "x"))
    assert outcome == ("unknown" if maybe_sent else "refused for now")


@pytest.mark.parametrize(("error", "maybe_sent"), NETWORK_ERRORS, ids=["no-connection", "timeout"])
def test_email_network_errors_say_whether_it_may_have_gone(
    error: Exception, maybe_sent: bool
) -> None:
    client = _unreachable("sesv2", "SendEmail", error)
    email = SesEmail(client, "no-reply@paycase.example")
    outcome = _outcome(lambda: email.send_email("a@example.com", "s", "t", "h", reference="n"))
    assert outcome == ("unknown" if maybe_sent else "refused for now")


def test_sms_whose_answer_was_lost_is_published_once(
    container: wiring.Container, sns_faults: BotocoreFaults
) -> None:
    # GIVEN SNS accepting every Publish and the answer getting lost on the way back
    sns_faults.lose_answer("Publish")
    # WHEN an SMS is sent through a client as the composition root makes it
    with pytest.raises(DeliveryUnknown):
        SnsSms(container.client("sns")).send_sms("+8613800138000", "【PayCase】一次")
    # THEN botocore did not retry it: the phone got one SMS
    assert sns_faults.calls["Publish"] == 1
    assert list(_sms_sent().values()) == [("+8613800138000", "【PayCase】一次")]


def test_email_whose_answer_was_lost_is_sent_once(
    container: wiring.Container, ses_faults: BotocoreFaults
) -> None:
    ses_faults.lose_answer("SendEmail")
    email = SesEmail(container.client("sesv2"), container.settings.email_from)
    with pytest.raises(DeliveryUnknown):
        email.send_email("a@example.com", "主题", "正文", "<p>正文</p>", reference="n")
    assert ses_faults.calls["SendEmail"] == 1
    assert len(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages) == 1


def test_throttled_sms_is_not_retried_by_botocore(
    container: wiring.Container, sns_faults: BotocoreFaults
) -> None:
    # GIVEN SNS throttling once (answered before accepting anything)
    sns_faults.throttle("Publish", times=1)
    # WHEN an SMS is sent THEN the refusal comes back at once, for the dispatcher to decide
    sms = SnsSms(container.client("sns"))
    assert _outcome(lambda: sms.send_sms("+8613800138000", "x")) == "refused for now"
    assert sns_faults.calls["Publish"] == 1 and _sms_sent() == {}
