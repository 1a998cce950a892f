"""The test suite's and the local stack's moto remember which keys its serializer tries
(devstack/moto_speed.py): its responses must be the ones moto's own path gives."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import boto3
from moto import mock_aws
from moto.core import serialize

from devstack import moto_speed

EVERY_TYPE = {
    "pk": {"S": "case#1"},
    "n": {"N": "12.50"},
    "b": {"B": b"\x00\x01sealed"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"x", b"y"]},
    "m": {"M": {"inner": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}]}}},
    "empty": {"M": {}},
    "amount": {"N": "0"},
}


@contextmanager
def _moto_own_path() -> Iterator[None]:
    picker = serialize.XFormedAttributePicker
    fast = picker.__call__
    picker.__call__ = moto_speed.original  # type: ignore[method-assign]
    try:
        yield
    finally:
        picker.__call__ = fast  # type: ignore[method-assign]


def _responses() -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName="t", Item=EVERY_TYPE)
    key = {"pk": {"S": "case#1"}}
    got = client.get_item(TableName="t", Key=key, ReturnConsumedCapacity="TOTAL")
    queried = client.query(
        TableName="t",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "case#1"}},
    )
    described = client.describe_table(TableName="t")["Table"]
    client.delete_table(TableName="t")
    for answer in (got, queried):
        answer.pop("ResponseMetadata")
    return [got, queried, {k: v for k, v in described.items() if k != "CreationDateTime"}]


def _plain(value: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, bytes):
            return base64.b64encode(o).decode()
        if isinstance(o, set | frozenset):
            return sorted(o)
        if isinstance(o, Decimal):
            return str(o)
        return str(o)

    return json.dumps(value, default=default, sort_keys=True)


def test_remembered_keys_give_moto_s_own_answers() -> None:
    moto_speed.apply()
    assert serialize.XFormedAttributePicker.__call__ is not moto_speed.original
    with mock_aws():
        fast = _responses()
    with mock_aws(), _moto_own_path():
        own = _responses()
    assert _plain(fast) == _plain(own)
    # AND every attribute came back as it was put
    assert fast[0]["Item"] == EVERY_TYPE
    assert fast[1]["Items"] == [EVERY_TYPE] and fast[1]["Count"] == 1


@contextmanager
def _moto_own_transactions() -> Iterator[None]:
    from moto.dynamodb import models

    backend = models.DynamoDBBackend
    fast, shim = backend.transact_write_items, models.copy
    backend.transact_write_items = moto_speed.original_transact  # type: ignore[method-assign]
    models.copy = copy  # type: ignore[assignment]
    try:
        yield
    finally:
        backend.transact_write_items = fast  # type: ignore[method-assign]
        models.copy = shim  # type: ignore[assignment]


def _tables_after_transactions() -> list[Any]:
    """Two tables (one with a sort key), then transactions that moto applies or cancels: a
    failed condition after writes to both tables, an item named twice, a good one."""
    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    for name, keys in (("plain", ["pk"]), ("sorted", ["pk", "sk"])):
        client.create_table(
            TableName=name,
            KeySchema=[
                {"AttributeName": k, "KeyType": t}
                for k, t in zip(keys, ["HASH", "RANGE"][: len(keys)], strict=True)
            ],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
            BillingMode="PAY_PER_REQUEST",
        )
    client.put_item(TableName="plain", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    client.put_item(TableName="sorted", Item={"pk": {"S": "c"}, "sk": {"S": "1"}})

    def update(table: str, key: dict[str, Any], n: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": table,
                "Key": key,
                "UpdateExpression": "SET n = :n",
                "ExpressionAttributeValues": {":n": {"N": n}},
            }
        }

    a, new = {"pk": {"S": "a"}}, {"pk": {"S": "b"}, "n": {"N": "7"}}
    c = {"pk": {"S": "c"}, "sk": {"S": "1"}}
    refused = {
        "ConditionCheck": {
            "TableName": "plain",
            "Key": {"pk": {"S": "missing"}},
            "ConditionExpression": "attribute_exists(pk)",
        }
    }
    attempts = [
        [update("plain", a, "2"), {"Put": {"TableName": "plain", "Item": new}}, refused],
        [update("sorted", c, "5"), {"Delete": {"TableName": "plain", "Key": a}}, refused],
        [update("plain", a, "3"), update("plain", a, "4")],
        [update("plain", a, "9"), {"Put": {"TableName": "sorted", "Item": {**c, "x": a["pk"]}}}],
    ]
    outcomes = []
    for items in attempts:
        try:
            client.transact_write_items(TransactItems=items)
            outcomes.append("applied")
        except client.exceptions.ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
        outcomes.append([client.scan(TableName=t)["Items"] for t in ("plain", "sorted")])
    for name in ("plain", "sorted"):
        client.delete_table(TableName=name)
    return outcomes


def test_cancelled_transactions_leave_the_tables_moto_s_own_path_leaves() -> None:
    moto_speed.apply()
    with mock_aws():
        fast = _tables_after_transactions()
    with mock_aws(), _moto_own_transactions():
        own = _tables_after_transactions()
    assert _plain(fast) == _plain(own)
    # AND the cancelled ones changed nothing; the last one was applied
    assert fast[0] == fast[2] == "TransactionCanceledException"
    assert (
        fast[1]
        == fast[3]
        == [[{"pk": {"S": "a"}, "n": {"N": "1"}}], [{"pk": {"S": "c"}, "sk": {"S": "1"}}]]
    )
    assert fast[4] == "ValidationException" and fast[5] == fast[1]
    assert fast[6] == "applied" and fast[7][0] == [{"pk": {"S": "a"}, "n": {"N": "9"}}]
