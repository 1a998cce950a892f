"""The fault proxy in front of DynamoDB Local (devstack/faultproxy.py): what each rule does to a
botocore client, and the control endpoint that switches rules while it runs."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from devstack.faultproxy import FaultProxy, Rule, RuleError, State

TABLE = "faultproxy-items"


def client(url: str, **config: Any) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="ap-southeast-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


@pytest.fixture(scope="module")
def table(dynamodb_local: str) -> str:
    db = client(dynamodb_local)
    existing = db.list_tables()["TableNames"]
    if TABLE not in existing:
        db.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    return TABLE


@pytest.fixture
def proxy(dynamodb_local: str, table: str) -> Iterator[FaultProxy]:
    server = FaultProxy(dynamodb_local, state=State(seed=7)).start()
    try:
        yield server
    finally:
        server.stop()


def control(proxy: FaultProxy, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{proxy.url}/_faults", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def put(db: Any, key: str) -> Any:
    return db.put_item(TableName=TABLE, Item={"k": {"S": key}})


def stored(dynamodb_local: str, key: str) -> bool:
    return "Item" in client(dynamodb_local).get_item(TableName=TABLE, Key={"k": {"S": key}})


def test_without_rules_it_forwards_every_call(proxy: FaultProxy, dynamodb_local: str) -> None:
    db = client(proxy.url)
    put(db, "plain")
    assert db.get_item(TableName=TABLE, Key={"k": {"S": "plain"}})["Item"]["k"]["S"] == "plain"
    _, report = control(proxy)
    assert report["counts"]["forwarded"] == report["counts"]["requests"] == 2
    assert report["counts"]["op:PutItem"] == 1


def test_throttle_is_dynamodbs_own_400_and_writes_nothing(
    proxy: FaultProxy, dynamodb_local: str
) -> None:
    control(proxy, "PUT", {"rules": [{"kind": "throttle", "rate": 1}]})
    with pytest.raises(ClientError) as raised:
        put(client(proxy.url), "throttled")
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert not stored(dynamodb_local, "throttled")


def test_error_is_a_500(proxy: FaultProxy, dynamodb_local: str) -> None:
    control(proxy, "PUT", {"rules": [{"kind": "error", "rate": 1}]})
    with pytest.raises(ClientError) as raised:
        put(client(proxy.url), "failed")
    assert raised.value.response["Error"]["Code"] == "InternalServerError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert not stored(dynamodb_local, "failed")


def test_drop_applies_the_request_and_closes_without_answering(
    proxy: FaultProxy, dynamodb_local: str
) -> None:
    control(proxy, "PUT", {"rules": [{"kind": "drop", "rate": 1, "operations": ["PutItem"]}]})
    with pytest.raises(ConnectionClosedError):
        put(client(proxy.url), "dropped")
    assert stored(dynamodb_local, "dropped")  # the write happened; its answer was lost


def test_stall_holds_the_connection_until_the_client_gives_up(
    proxy: FaultProxy, dynamodb_local: str
) -> None:
    control(proxy, "PUT", {"rules": [{"kind": "stall", "rate": 1, "seconds": 3}]})
    with pytest.raises(ReadTimeoutError):
        put(client(proxy.url, read_timeout=0.5, connect_timeout=0.5), "stalled")
    assert not stored(dynamodb_local, "stalled")


def test_rules_apply_to_the_operations_they_name(proxy: FaultProxy) -> None:
    control(proxy, "PUT", {"rules": [{"kind": "throttle", "rate": 1, "operations": ["GetItem"]}]})
    db = client(proxy.url)
    put(db, "named")  # PutItem passes
    with pytest.raises(ClientError):
        db.get_item(TableName=TABLE, Key={"k": {"S": "named"}})
    _, report = control(proxy)
    assert report["counts"]["throttle:GetItem"] == 1
    assert "throttle:PutItem" not in report["counts"]


def test_a_rate_injects_about_that_share_of_calls(proxy: FaultProxy) -> None:
    control(proxy, "PUT", {"rules": [{"kind": "throttle", "rate": 0.3}]})
    db = client(proxy.url)
    throttled = 0
    for n in range(200):
        try:
            db.get_item(TableName=TABLE, Key={"k": {"S": f"r{n}"}})
        except ClientError:
            throttled += 1
    assert 35 <= throttled <= 85  # 60 expected; the seeded choices keep it repeatable
    assert control(proxy)[1]["counts"]["throttle"] == throttled


def test_control_switches_rules_off_at_run_time(proxy: FaultProxy, dynamodb_local: str) -> None:
    db = client(proxy.url)
    status, report = control(proxy, "PUT", {"rules": [{"kind": "error", "rate": 1}]})
    assert (status, report["rules"]) == (200, [{"kind": "error", "rate": 1.0}])
    with pytest.raises(ClientError):
        put(db, "first")
    status, report = control(proxy, "DELETE")
    assert (status, report["rules"]) == (200, [])
    put(db, "second")  # the same client, at once
    assert stored(dynamodb_local, "second")


def test_control_refuses_a_rule_it_cannot_follow(proxy: FaultProxy) -> None:
    status, body = control(proxy, "PUT", {"rules": [{"kind": "explode", "rate": 1}]})
    assert status == 400
    assert "kind must be one of" in body["error"]
    assert control(proxy)[1]["rules"] == []


@pytest.mark.parametrize(
    ("flag", "rule"),
    [
        ("throttle:0.05", Rule("throttle", 0.05)),
        (
            "drop:0.5:TransactWriteItems,PutItem",
            Rule("drop", 0.5, frozenset({"TransactWriteItems", "PutItem"})),
        ),
    ],
)
def test_rules_read_from_the_command_line(flag: str, rule: Rule) -> None:
    assert Rule.from_flag(flag) == rule


@pytest.mark.parametrize("data", [{"kind": "drop", "rate": 2}, {"kind": "drop", "operations": "X"}])
def test_rules_out_of_range_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(RuleError):
        Rule.parse(data)
