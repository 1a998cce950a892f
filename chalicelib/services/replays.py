"""Idempotency-Key for creating POSTs that are not a change to a case (staff, merchants,
sessions). Their answers hold a secret shown once, so the stored answer is sealed.

The key is claimed before the work ("pending"), so two racing requests never both create; the
answer is recorded after it. A repeat of a finished request gets the first answer; a repeat
while the first is still running is told to come back shortly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import IdempotencyKeyReused, Unavailable
from chalicelib.services.ports import CaseStore, Changes, KeyClaim, KeyTaken, SecretBox
from chalicelib.services.steps import IDEMPOTENCY_TTL, Idempotency


def _context(key: str) -> dict[str, str]:
    return {"purpose": "idempotent-answer", "key": key}


class Replays:
    def __init__(self, store: CaseStore, clock: Clock, box: SecretBox) -> None:
        self._store = store
        self._clock = clock
        self._box = box

    def run(
        self, scope: str, header: str | None, body: Any, create: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """(answer, replayed)."""
        idem = Idempotency.of(scope, header, body)
        if idem is None:
            return create(), False
        now = self._clock.now()
        pending = {"fingerprint": idem.fingerprint, "state": "pending"}
        try:
            self._store.commit(
                Changes(now=now, claims=[KeyClaim(idem.key, pending, now + IDEMPOTENCY_TTL)])
            )
        except KeyTaken as taken:
            return self._replay(idem, taken.value), True
        try:
            answer = create()
        except Exception:
            self._store.commit(Changes(now=now, releases=[idem.key]))
            raise
        sealed = self._box.seal(json.dumps(answer).encode(), _context(idem.key))
        done = {"fingerprint": idem.fingerprint, "sealed": sealed}
        self._store.commit(
            Changes(now=now, key_puts=[KeyClaim(idem.key, done, now + IDEMPOTENCY_TTL)])
        )
        return answer, False

    def _replay(self, idem: Idempotency, stored: dict[str, Any]) -> dict[str, Any]:
        if stored.get("fingerprint") != idem.fingerprint:
            raise IdempotencyKeyReused()
        sealed = stored.get("sealed")
        if not sealed:
            raise Unavailable("The first request with this key is still running.", retry_after=2)
        answer: dict[str, Any] = json.loads(self._box.open(sealed, _context(idem.key)))
        return answer
