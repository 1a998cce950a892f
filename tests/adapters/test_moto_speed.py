"""The test suite's and the local stack's moto remember which keys its serializer tries
(devstack/moto_speed.py): its responses must be the ones moto's own path gives."""

from __future__ import annotations

import base64
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
