"""The fault layer itself: each kind does what it says, against moto, on every kind of client the
app makes (a boto3 client of the container, a PynamoDB model, the transaction Connection)."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends
from pynamodb.exceptions import GetError, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import wiring
from chalicelib.adapters.dynamo.models import KeyModel
from chalicelib.domain.clock import FixedClock
from tests.builders import MONDAY_10AM
from tests.faults.injector import FAULTS, FaultInjector, Kind
from tests.moto_stack import container_on

REGION = "ap-southeast-1"
PHONE = "+8613800138000"


@pytest.fixture
def container(moto_base: wiring.Container) -> wiring.Container:
    container = container_on(moto_base, FixedClock(MONDAY_10AM))
    _ = container.dynamodb  # binds the models
    return container


def sms_sent() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


ATTEMPTS = 4  # the clients below: the first attempt and 3 retries


def own(service: str) -> Any:
    """A boto3 client of the test's own, with botocore's standard retries (4 attempts), made
    after the layer went in, as every client of the app is."""
    return boto3.client(
        service,
        region_name=REGION,
        config=Config(retries={"mode": "standard", "total_max_attempts": ATTEMPTS}),
    )


def publish(container: wiring.Container, text: str = "hello") -> Any:
    return own("sns").publish(PhoneNumber=PHONE, Message=text)


def put_key(container: wiring.Container, key: str) -> None:
    """A one-item transaction on the container's transaction Connection (PynamoDB's own)."""
    with TransactWrite(connection=container.dynamodb) as tx:
        tx.save(KeyModel(key, value={"n": 1}))


def key_exists(key: str) -> bool:
    try:
        KeyModel.get(key, consistent_read=True)
    except KeyModel.DoesNotExist:
        return False
    return True


def cause(exc: BaseException) -> BaseException:
    """The botocore error under PynamoDB's wrapper."""
    return getattr(exc, "cause", None) or exc.__cause__ or exc


# -- what each kind looks like to the caller ------------------------------------------------


@pytest.mark.parametrize(
    ("service", "call", "code", "status"),
    [
        ("sns", lambda c: publish(c), "Throttling", 400),
        (
            "sesv2",
            lambda c: own("sesv2").get_account(),
            "TooManyRequestsException",
            429,
        ),
        (
            "scheduler",
            lambda c: own("scheduler").list_schedules(),
            "ThrottlingException",
            429,
        ),
        (
            "dynamodb",
            lambda c: own("dynamodb").describe_limits(),
            "ProvisionedThroughputExceededException",
            400,
        ),
    ],
    ids=["sns", "sesv2", "scheduler", "dynamodb"],
)
def test_throttle_is_the_services_own_error_parsed_by_botocore(
    faults: FaultInjector,
    container: wiring.Container,
    service: str,
    call: Any,
    code: str,
    status: int,
) -> None:
    # GIVEN every call to the service throttled
    faults.inject(Kind.THROTTLE, service, times=None)
    # WHEN the app's boto3 client calls it
    with pytest.raises(ClientError) as raised:
        call(container)
    # THEN botocore parsed the service's own code and status, after its own retries
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert [c.attempt for c in faults.calls] == [1, 2, 3, 4]


def test_throttle_reaches_pynamodb_models_as_dynamodbs_own_error(
    faults: FaultInjector, container: wiring.Container
) -> None:
    faults.inject(Kind.THROTTLE, "dynamodb", "GetItem", times=None)
    with pytest.raises(GetError) as raised:
        KeyModel.get("k", consistent_read=True)
    assert raised.value.cause_response_code == "ProvisionedThroughputExceededException"
    # PynamoDB's model connection: 1 + 3 retries, each one a throttled attempt
    # every attempt the model's connection made (its first and its retries) was throttled
    retries = KeyModel._get_connection().connection.client.meta.config.retries
    attempts = int(retries["total_max_attempts"])
    assert [(c.name, c.fault) for c in faults.calls] == [
        ("dynamodb.GetItem", Kind.THROTTLE)
    ] * attempts


def test_server_error_is_a_500_that_botocore_retries(
    faults: FaultInjector, container: wiring.Container
) -> None:
    # GIVEN one 500 on the first Publish
    faults.inject(Kind.SERVER_ERROR, "sns", "Publish", times=1)
    # WHEN the app publishes
    publish(container, "after a 500")
    # THEN botocore retried and the second attempt went through, once
    assert [(c.attempt, c.fault) for c in faults.calls] == [
        (1, Kind.SERVER_ERROR),
        (2, None),
    ]
    assert sms_sent() == [(PHONE, "after a 500")]


def test_server_error_is_the_services_500(
    faults: FaultInjector, container: wiring.Container
) -> None:
    faults.inject(Kind.SERVER_ERROR, "sesv2", times=None)
    with pytest.raises(ClientError) as raised:
        own("sesv2").get_account()
    assert raised.value.response["Error"]["Code"] == "InternalServiceError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_server_error_that_lasts_surfaces_as_internal_error(
    faults: FaultInjector, container: wiring.Container
) -> None:
    faults.inject(Kind.SERVER_ERROR, "dynamodb", "TransactWriteItems", times=None)
    with pytest.raises(TransactWriteError) as raised:
        put_key(container, "k500")
    error = cause(raised.value)
    assert isinstance(error, ClientError)
    assert error.response["Error"]["Code"] == "InternalServerError"
    assert not key_exists("k500")


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        (Kind.READ_TIMEOUT, ReadTimeoutError),
        (Kind.CONNECT_TIMEOUT, ConnectTimeoutError),
        (Kind.CONNECTION_ERROR, EndpointConnectionError),
    ],
)
def test_network_faults_raise_botocores_error_and_apply_nothing(
    faults: FaultInjector, container: wiring.Container, kind: Kind, error: type[Exception]
) -> None:
    faults.inject(kind, "sns", "Publish", times=None)
    with pytest.raises(error):
        publish(container, "never sent")
    assert sms_sent() == []
    assert len(faults.calls) == ATTEMPTS  # botocore retried each


def test_network_fault_before_sending_a_model_write_applies_nothing(
    faults: FaultInjector, container: wiring.Container
) -> None:
    faults.inject(Kind.READ_TIMEOUT, "dynamodb", "PutItem", times=None)
    with pytest.raises(PutError) as raised:
        KeyModel("never").save()
    assert isinstance(cause(raised.value), ReadTimeoutError)
    faults.clear()
    assert not key_exists("never")


def test_lost_answer_applies_the_request_then_times_out(
    faults: FaultInjector, container: wiring.Container
) -> None:
    # GIVEN Publish's answer lost on every attempt
    faults.inject(Kind.LOST_ANSWER, "sns", "Publish", times=None)
    # WHEN the app publishes
    with pytest.raises(ReadTimeoutError):
        publish(container, "sent, answer lost")
    # THEN SNS took every attempt: botocore's retries sent the SMS four times
    assert sms_sent() == [(PHONE, "sent, answer lost")] * ATTEMPTS


def test_lost_answer_on_a_model_write_leaves_the_item_written(
    faults: FaultInjector, container: wiring.Container
) -> None:
    faults.inject(Kind.LOST_ANSWER, "dynamodb", "PutItem", times=None)
    with pytest.raises(PutError) as raised:
        KeyModel("written").save()
    assert isinstance(cause(raised.value), ReadTimeoutError)
    faults.clear()
    assert key_exists("written")


# -- which calls a rule hits ---------------------------------------------------------------


def test_nth_counts_calls_of_the_operation_and_times_counts_attempts(
    faults: FaultInjector, container: wiring.Container
) -> None:
    # GIVEN the second Publish throttled once
    faults.inject(Kind.THROTTLE, "sns", "Publish", nth=2, times=1)
    # WHEN three messages go
    for text in ("one", "two", "three"):
        publish(container, text)
    # THEN only the second call's first attempt failed; botocore's retry carried it
    assert [(c.attempt, c.fault) for c in faults.calls] == [
        (1, None),
        (1, Kind.THROTTLE),
        (2, None),
        (1, None),
    ]
    assert [text for _, text in sms_sent()] == ["one", "two", "three"]


def test_whole_call_fails_every_attempt_of_that_call_only(
    faults: FaultInjector, container: wiring.Container
) -> None:
    faults.inject(Kind.SERVER_ERROR, "sns", "Publish", nth=1, whole_call=True)
    with pytest.raises(ClientError):
        publish(container, "lost")
    publish(container, "next")
    assert [c.fault for c in faults.calls] == [Kind.SERVER_ERROR] * ATTEMPTS + [None]
    assert sms_sent() == [(PHONE, "next")]


def test_until_cleared_fails_every_later_call_and_clear_ends_it(
    faults: FaultInjector, container: wiring.Container
) -> None:
    faults.inject(Kind.CONNECTION_ERROR, "sns", "Publish", times=None)
    for _ in range(2):
        with pytest.raises(EndpointConnectionError):
            publish(container)
    faults.clear()
    publish(container, "back")
    assert sms_sent() == [(PHONE, "back")]


def test_a_rule_for_one_operation_leaves_the_others_alone(
    faults: FaultInjector, container: wiring.Container
) -> None:
    faults.inject(Kind.THROTTLE, "dynamodb", "PutItem", times=None)
    put_key(container, "by-transaction")  # TransactWriteItems
    assert key_exists("by-transaction")  # GetItem
    assert faults.names() == ["dynamodb.TransactWriteItems", "dynamodb.GetItem"]


def test_match_narrows_a_rule_to_requests_that_name_something(
    faults: FaultInjector, container: wiring.Container
) -> None:
    faults.inject(Kind.CONNECTION_ERROR, "sns", "Publish", times=None, match="poison")
    with pytest.raises(EndpointConnectionError):
        publish(container, "poison pill")
    publish(container, "harmless")
    assert sms_sent() == [(PHONE, "harmless")]


def test_nth_must_count_from_one(faults: FaultInjector) -> None:
    with pytest.raises(ValueError, match="from 1"):
        faults.inject(Kind.THROTTLE, "sns", nth=0)


# -- recording -----------------------------------------------------------------------------


def test_it_records_the_calls_of_every_client_the_app_makes(
    faults: FaultInjector, container: wiring.Container
) -> None:
    # WHEN a path touches the transaction Connection, a model and a boto3 client
    put_key(container, "seen")
    container.store.get_key("seen")
    container.client("sns").publish(PhoneNumber=PHONE, Message="the app's own client")
    container.client("scheduler").list_schedules()
    # THEN each call is listed, in order
    assert faults.names() == [
        "dynamodb.TransactWriteItems",
        "dynamodb.GetItem",
        "sns.Publish",
        "scheduler.ListSchedules",
    ]


def test_idle_it_records_nothing_and_moto_answers(container: wiring.Container) -> None:
    assert not FAULTS.engaged_now
    publish(container, "idle")
    assert FAULTS.calls == []
    assert sms_sent() == [(PHONE, "idle")]


# -- DynamoDB's request tokens on moto -----------------------------------------------------


def _transact_put(container: wiring.Container, key: str, token: str, value: int = 1) -> Any:
    client = own("dynamodb")
    table = KeyModel.Meta.table_name
    item = {"key": {"S": key}, "value": {"M": {"n": {"N": str(value)}}}}
    return client.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": table,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(#k)",
                    "ExpressionAttributeNames": {"#k": "key"},
                }
            }
        ],
        ClientRequestToken=token,
    )


def test_a_lost_transaction_retried_with_its_token_is_absorbed_as_dynamodb_does(
    faults: FaultInjector, container: wiring.Container
) -> None:
    # GIVEN the first attempt of a conditional transaction applied and its answer lost
    faults.inject(Kind.LOST_ANSWER, "dynamodb", "TransactWriteItems", times=1)
    # WHEN botocore retries it with the same ClientRequestToken
    _transact_put(container, "once", "token-1")
    # THEN the retry succeeds without running the put (whose condition would now fail)
    assert [(c.attempt, c.fault) for c in faults.calls] == [(1, Kind.LOST_ANSWER), (2, None)]
    assert key_exists("once")


def test_the_same_token_with_another_body_is_a_parameter_mismatch(
    faults: FaultInjector, container: wiring.Container
) -> None:
    _transact_put(container, "first", "token-2")
    with pytest.raises(ClientError) as raised:
        _transact_put(container, "first", "token-2", value=2)
    assert raised.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"


def test_without_a_token_match_a_repeat_runs_again(
    faults: FaultInjector, container: wiring.Container
) -> None:
    _transact_put(container, "twice", "token-3")
    with pytest.raises(ClientError) as raised:
        _transact_put(container, "twice", "token-4")
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"


def test_retry_back_off_is_asked_for_but_not_waited(
    faults: FaultInjector, container: wiring.Container
) -> None:
    # GIVEN two throttled attempts before one goes through
    faults.inject(Kind.THROTTLE, "sns", "Publish", times=2)
    started = time.monotonic()
    # WHEN the app publishes
    publish(container, "third time")
    # THEN botocore backed off twice (its standard mode waits up to a second or more) at no cost
    assert [c.attempt for c in faults.calls] == [1, 2, 3]
    assert len(faults.slept) == 2
    assert all(0 < seconds <= 20 for seconds in faults.slept)
    assert time.monotonic() - started < 0.5
    assert sms_sent() == [(PHONE, "third time")]
