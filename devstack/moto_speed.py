"""moto, faster where the test suite spends its time: its response serializer remembers the
keys it tries, and a DynamoDB transaction keeps copies of the items it touches, not of tables.

The serializer: moto 5.2 serializes every response through the service's botocore model, and for
each member of each structure it asks six alias providers which keys to try on the result
object. For DynamoDB that is every member of every attribute value of every item: about a
quarter of the API tier's time went there. For a plain dict the keys it tries depend only on the
member's shape and name, so they are worked out once per shape and member, and looked up in the
same order. The answers are the ones moto gives (tests/adapters/test_moto_speed.py compares
them); objects other than plain dicts take moto's own path.

Transactions: to roll back a cancelled `TransactWriteItems`, moto 5.2 deep-copies every table
it touches before it starts (a tenth of the API tier's time, growing with the table). Here the
items the transaction names are copied instead, and put back the same way when moto cancels
it; moto's own copy of each table is skipped (its rollback then puts back the very table it
changed, and the item copies restore it). The tables after a cancelled transaction are the ones
moto's own path leaves (tests/adapters/test_moto_speed.py compares them).

Applied by the test suite's moto (tests/moto_stack.py) and the local stack's moto server
(devstack/moto_server.py).
"""

from __future__ import annotations

import copy
from typing import Any

_applied = False
# moto's own `XFormedAttributePicker.__call__` and `DynamoDBBackend.transact_write_items`, kept
# for the comparison tests
original: Any = None
original_transact: Any = None


def apply() -> None:
    global _applied, original
    if _applied:
        return
    _copy_items_not_tables()
    from moto.core import serialize
    from moto.core.utils import get_value

    picker = serialize.XFormedAttributePicker
    original = original_call = picker.__call__
    keys_for: dict[tuple[Any, ...], tuple[str, ...]] = {}
    missing = serialize.MISSING

    def fast_call(self: Any, context: Any) -> Any:
        obj = context.obj
        if type(obj) is not dict or self.response_transformers:
            return original_call(self, context)
        # The shape object itself (identity-hashed, kept alive by the cache) carries its parent.
        cache_key = (context.key, context.shape, tuple(self.alias_providers))
        keys = keys_for.get(cache_key)
        if keys is None:
            keys = tuple(self.get_possible_keys(context))
            keys_for[cache_key] = keys
        for key in keys:
            value = obj.get(key, missing) if "." not in key else get_value(obj, key, missing)
            if value is not missing:
                return value
        return None

    picker.__call__ = fast_call  # type: ignore[method-assign]
    _applied = True


class _ItemsOnly:
    """moto's DynamoDB backend's `copy` module, except that a table is not copied."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        return obj if isinstance(obj, self._table_type) else copy.deepcopy(obj, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _copy_items_not_tables() -> None:
    global original_transact
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    original_transact = own = backend.transact_write_items
    models.copy = _ItemsOnly(Table)  # type: ignore[attr-defined]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before = []
        for entry in transact_items:
            op = next(iter(entry.values()), None)
            if not isinstance(op, dict) or op.get("TableName") not in self.tables:
                continue
            table = self.tables[op["TableName"]]
            try:
                hash_key, range_key = self.get_keys_value(table, op.get("Item") or op["Key"])
            except Exception:  # noqa: S112 - moto refuses the item itself, before any write
                continue
            item = table.get_item(hash_key, range_key)
            before.append((table, hash_key, range_key, copy.deepcopy(item)))
        try:
            own(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(before):
                _put_back(table, hash_key, range_key, item)
            raise

    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _put_back(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    """The item as it was before the transaction, or no item if there was none."""
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    if item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item
