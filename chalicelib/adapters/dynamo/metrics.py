"""Day buckets of metrics on DynamoDB, updated with ADD and list_append, exactly once per change."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.connection import Connection

from chalicelib.adapters.dynamo.models import KeyModel, MetricsModel
from chalicelib.adapters.errors import aws_call, error_code, is_transient, unavailable
from chalicelib.services.keys import metrics_applied_key

MARKER_TTL = timedelta(days=35)
_BATCH = 100  # BatchGetItem's limit


def _number(value: int | float) -> dict[str, str]:
    return {"N": str(value)}


def _plain(attribute: dict[str, Any]) -> Any:
    """DynamoDB JSON to Python for the types a metrics item holds."""
    (kind, value), *_ = attribute.items()
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "L":
        return [_plain(v) for v in value]
    return value


class DynamoMetricsStore:
    def __init__(self, connection: Connection, clock_now: Any) -> None:
        self._connection = connection
        self._now = clock_now

    def apply(
        self, change_id: str, day: str, add: dict[str, int], samples: dict[str, list[float]]
    ) -> bool:
        names: dict[str, str] = {}
        values: dict[str, Any] = {":empty": {"L": []}}
        adds, sets = [], []
        for n, (name, amount) in enumerate(sorted(add.items())):
            names[f"#c{n}"] = name
            values[f":c{n}"] = _number(amount)
            adds.append(f"#c{n} :c{n}")
        for n, (name, values_of) in enumerate(sorted(samples.items())):
            names[f"#s{n}"] = name
            values[f":s{n}"] = {"L": [_number(v) for v in values_of]}
            sets.append(f"#s{n} = list_append(if_not_exists(#s{n}, :empty), :s{n})")
        expression = " ".join(
            part
            for part in (
                ("ADD " + ", ".join(adds)) if adds else "",
                ("SET " + ", ".join(sets)) if sets else "",
            )
            if part
        )
        if not expression:
            return False
        if not sets:
            values.pop(":empty")
        now: datetime = self._now()
        marker = {
            "key": {"S": metrics_applied_key(change_id)},
            "created_at": {"S": now.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")},
            "expires_at": _number(int((now + MARKER_TTL).timestamp())),
        }
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": KeyModel.Meta.table_name,
                    "Item": marker,
                    "ConditionExpression": "attribute_not_exists(#k)",
                    "ExpressionAttributeNames": {"#k": "key"},
                }
            },
            {
                "Update": {
                    "TableName": MetricsModel.Meta.table_name,
                    "Key": {"day": {"S": day}},
                    "UpdateExpression": expression,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            },
        ]
        # The token covers what is sent: the SDK's retry of this very call is applied once by
        # DynamoDB itself, while the same change delivered again later (its marker written at
        # another time) is a new request, which the marker's condition answers as applied
        # before. A token of the change id alone made every later repeat within DynamoDB's ten
        # minutes an IdempotentParameterMismatch, i.e. a 503, instead of False.
        sent = json.dumps(items, sort_keys=True, separators=(",", ":"))
        token = hashlib.sha256(f"{change_id}\n{sent}".encode()).hexdigest()[:36]
        try:
            self._connection.client.transact_write_items(
                TransactItems=items, ClientRequestToken=token
            )
        except Exception as exc:
            if error_code(exc) == "TransactionCanceledException":
                reasons = getattr(exc, "response", {}).get("CancellationReasons", [])
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    return False  # applied before
                raise unavailable(exc, "dynamodb") from exc
            if is_transient(exc) or error_code(exc) == "IdempotentParameterMismatchException":
                raise unavailable(exc, "dynamodb") from exc
            raise
        return True

    def days(self, days: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        table = MetricsModel.Meta.table_name
        for start in range(0, len(days), _BATCH):
            request = {table: {"Keys": [{"day": {"S": d}} for d in days[start : start + _BATCH]]}}
            while request:
                with aws_call("dynamodb"):
                    response = self._connection.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(table, []):
                    out.append({name: _plain(value) for name, value in item.items()})
                request = response.get("UnprocessedKeys") or {}
        return sorted(out, key=lambda item: str(item["day"]))
