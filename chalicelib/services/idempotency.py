"""The one Idempotency-Key protocol, used by every call that changes something.

A request's key is scoped to its caller and endpoint and stored with the request body's
fingerprint. The claim is written IN THE SAME TRANSACTION as the work, holding the answer the
client was given: either the work happened and its answer is stored, or neither happened. So
there is no "in progress" state to expire, nothing to release when a request fails, and no
window in which a Lambda that died between the work and the answer could lock the key or let a
retry do the work twice.

- A repeat with the same key and body gets the stored answer and does nothing again; a repeat
  with another body is `IdempotencyKeyReused` (422).
- Two identical requests racing: both prepare, one transaction wins; the other's fails on the
  claim and answers with the winner's stored answer.
- A key is kept for 24 hours; after that a repeat is a new request (as Stripe does).
- Answers that hold a secret shown once (a staff token, a merchant secret, a session token) are
  stored sealed.

Services receive a `Once` (or `NO_KEY` when the caller sent no key), add `once.claims(...)` to
the one transaction that makes their effect, and let `Replays.run` (or the step writer) answer
repeats.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import limits
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import IdempotencyKeyReused, ValidationFailed
from chalicelib.domain.ids import fingerprint
from chalicelib.domain.timefmt import parse_rfc3339, to_rfc3339
from chalicelib.services import keys
from chalicelib.services.changes import KeyClaim
from chalicelib.services.ports import DeskStore, KeyTaken, SecretBox

KEY_PATTERN = re.compile(r"[\x21-\x7e]{{{},{}}}".format(*limits.IDEMPOTENCY_KEY))
KEY_RULE = limits.IDEMPOTENCY_KEY_RULE
TTL = timedelta(hours=24)


def body_fingerprint(body: Any) -> str:
    return fingerprint(json.dumps(body, sort_keys=True, ensure_ascii=False))


def check_header(header: str | None) -> None:
    """Raise ValidationFailed for an Idempotency-Key header that is present but malformed."""
    if header is not None and not KEY_PATTERN.fullmatch(header):
        raise ValidationFailed({"Idempotency-Key": KEY_RULE})


@dataclass(frozen=True)
class Once:
    """One request's Idempotency-Key: its store key, the body's fingerprint, and claims that
    must be written with it (a merchant's single-use nonce)."""

    key: str
    fingerprint: str
    also: tuple[KeyClaim, ...] = ()
    box: SecretBox | None = field(default=None, compare=False)

    @classmethod
    def of(
        cls,
        scope: str,
        header: str | None,
        body: Any,
        *,
        box: SecretBox | None = None,
        also: tuple[KeyClaim, ...] = (),
    ) -> Once | None:
        """None without a header; ValidationFailed for a malformed one."""
        if header is None:
            return None
        check_header(header)
        return cls(keys.idempotency_key(scope, header), body_fingerprint(body), also, box)

    def claims(self, answer: dict[str, Any], now: datetime) -> list[KeyClaim]:
        """What the work's transaction must also write: the key holding `answer`."""
        expires = now + TTL
        value: dict[str, Any] = {"fingerprint": self.fingerprint, "expires_at": to_rfc3339(expires)}
        if self.box is not None:
            raw = json.dumps(answer, ensure_ascii=False).encode()
            value["sealed"] = self.box.seal(raw, _context(self.key))
        else:
            value["response"] = answer
        return [KeyClaim(self.key, value, expires), *self.also]

    def stored(self, store: DeskStore, now: datetime) -> dict[str, Any] | None:
        """What a finished request with this key stored, unless its 24 hours are over (the
        store deletes expired keys only eventually; an expired key is claimable again)."""
        held = store.get_key(self.key)
        if held is None:
            return None
        expires = held.get("expires_at")
        if expires is not None and parse_rfc3339(str(expires)) <= now:
            return None
        return held

    def answer(self, stored: dict[str, Any]) -> dict[str, Any]:
        """The answer stored under this key; IdempotencyKeyReused for another body."""
        if stored.get("fingerprint") != self.fingerprint:
            raise IdempotencyKeyReused()
        sealed = stored.get("sealed")
        if sealed is not None:
            if self.box is None:  # pragma: no cover - a scope is always sealed or never
                raise ValueError("a sealed answer needs the box that sealed it")
            opened: dict[str, Any] = json.loads(self.box.open(str(sealed), _context(self.key)))
            return opened
        return dict(stored.get("response") or {})


def _context(key: str) -> dict[str, str]:
    return {"purpose": "idempotent-answer", "key": key}


def extra_claims(once: Once | None, answer: dict[str, Any], now: datetime) -> list[KeyClaim]:
    return once.claims(answer, now) if once is not None else []


Work = Callable[[Once | None], dict[str, Any]]


class Replays:
    """Runs a creating call under its Idempotency-Key: (answer, replayed)."""

    def __init__(self, store: DeskStore, clock: Clock, box: SecretBox) -> None:
        self._store = store
        self._clock = clock
        self._box = box

    def once(
        self,
        scope: str,
        header: str | None,
        body: Any,
        *,
        sealed: bool = False,
        also: tuple[KeyClaim, ...] = (),
    ) -> Once | None:
        return Once.of(scope, header, body, box=self._box if sealed else None, also=also)

    def run(self, once: Once | None, work: Work) -> tuple[dict[str, Any], bool]:
        """`work(once)` must write `once.claims(answer, now)` in the transaction that makes its
        effect, and return that answer."""
        if once is None:
            return work(None), False
        stored = once.stored(self._store, self._clock.now())
        if stored is not None:
            return once.answer(stored), True
        try:
            return work(once), False
        except KeyTaken as taken:
            if taken.key != once.key:
                raise
            return once.answer(taken.value), True  # an identical request won the race
