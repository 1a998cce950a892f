"""Identifiers: sortable case ids (ULID), human case numbers and secret tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from datetime import UTC, datetime, timedelta

from .timefmt import SHANGHAI

# Crockford's base32: no I, L, O or U, so numbers read aloud over the phone survive.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ulid_lock = threading.Lock()
_last_ulid = 0


def new_ulid(at: datetime) -> str:
    """A ULID (https://github.com/ulid/spec): 48-bit millisecond time + 80 random bits, 26 chars,
    lexicographically sortable by creation time. Monotonic within a process: ids made in the same
    millisecond (e.g. the timeline entries of one change) sort in the order they were made.
    Hand-written because the `python-ulid` import costs ~60 ms of Lambda cold start; tests check
    the format against that library."""
    global _last_ulid
    millis = (at - _EPOCH) // timedelta(milliseconds=1)  # exact; float timestamps round
    with _ulid_lock:
        value = (millis << 80) | secrets.randbits(80)
        if value >> 80 == _last_ulid >> 80 and value <= _last_ulid:
            value = _last_ulid + 1
        _last_ulid = value
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def is_ulid(text: str) -> bool:
    return len(text) == 26 and text[0] in "01234567" and all(c in _CROCKFORD for c in text)


def new_case_number(at: datetime) -> str:
    """`PC20261122-7K3F9Q`: the Asia/Shanghai filing date and six random Crockford characters."""
    suffix = "".join(secrets.choice(_CROCKFORD) for _ in range(6))
    return f"PC{at.astimezone(SHANGHAI):%Y%m%d}-{suffix}"


def new_token(prefix: str) -> str:
    """A bearer secret: a readable prefix and 256 random bits."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    """What we store instead of a token. Tokens carry 256 random bits, so a fast hash suffices."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)


def derive_token(key: bytes, prefix: str, subject: str) -> str:
    """A token recomputable from a server key, so an idempotent replay can return the same
    secret without the secret ever being stored."""
    digest = hmac.new(key, f"{prefix}:{subject}".encode(), hashlib.sha256).digest()
    return f"{prefix}_{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def fingerprint(*parts: str) -> str:
    """A stable, non-reversible key part (e.g. contact + transaction for duplicate detection)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
