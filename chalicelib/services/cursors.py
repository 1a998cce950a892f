"""Opaque, tamper-evident list cursors: a DynamoDB key, signed with the server key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

from chalicelib.domain import limits
from chalicelib.domain.errors import ValidationFailed

_MAC_BYTES = 16
# ASCII digits only: str.isdigit() also accepts "²" and other digits int() cannot read.
_LIMIT = re.compile(r"[0-9]{1,9}")


def encode(key: dict[str, Any] | None, secret: bytes, scope: str) -> str | None:
    if not key:
        return None
    body = json.dumps({"s": scope, "k": key}, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(secret, body, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(mac + body).rstrip(b"=").decode()


def decode(cursor: str | None, secret: bytes, scope: str) -> dict[str, Any] | None:
    """The key inside `cursor`; ValidationFailed for anything forged, altered or foreign."""
    if not cursor:
        return None
    bad = ValidationFailed({"cursor": "is not a cursor this list gave out"})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError):
        raise bad from None
    mac, body = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
    expected = hmac.new(secret, body, hashlib.sha256).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        raise bad
    data = json.loads(body)
    if data.get("s") != scope or not isinstance(data.get("k"), dict):
        raise bad
    key: dict[str, Any] = data["k"]
    return key


def page_limit(
    raw: str | None, default: int = limits.PAGE_DEFAULT, maximum: int = limits.PAGE.high
) -> int:
    """`?limit=` as a whole number from 1 to `maximum`; ValidationFailed for anything else."""
    if raw is None:
        return default
    low = limits.PAGE.low
    if not _LIMIT.fullmatch(raw) or not low <= int(raw) <= maximum:
        raise ValidationFailed({"limit": f"must be a whole number from {low} to {maximum}"})
    return int(raw)
