"""moto's response serializer, with the keys it tries remembered.

moto 5.2 serializes every response through the service's botocore model, and for each member
of each structure it asks six alias providers which keys to try on the result object. For
DynamoDB that is every member of every attribute value of every item: about a quarter of the
API tier's time went there. For a plain dict the keys it tries depend only on the member's
shape and name, so they are worked out once per shape and member, and looked up in the same
order. The answers are the ones moto gives (tests/adapters/test_moto_speed.py compares
them); objects other than plain dicts take moto's own path.

Applied by the test suite's moto (tests/moto_stack.py) and the local stack's moto server
(devstack/moto_server.py).
"""

from __future__ import annotations

from typing import Any

_applied = False
# moto's own `XFormedAttributePicker.__call__`, kept for the comparison test
original: Any = None


def apply() -> None:
    global _applied, original
    if _applied:
        return
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
