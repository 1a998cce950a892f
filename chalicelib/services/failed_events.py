"""Outbox events that were given up (GET /v1/admin/outbox, and sending one again)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from chalicelib.domain.errors import InvalidTransition, NotFound, ValidationFailed
from chalicelib.domain.outbox import OutboxEvent
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services import cursors
from chalicelib.services.outbox import OutboxConsumer

_SCOPE = "failed-outbox-events"
_SEPARATOR = "\x1f"


def event_ref(event: OutboxEvent) -> str:
    """An event's id in the API: its subject and its event id, URL-safe."""
    raw = f"{event.subject}{_SEPARATOR}{event.event_id}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _parse_ref(ref: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(ref + "=" * (-len(ref) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise NotFound() from None
    subject, _, event_id = raw.partition(_SEPARATOR)
    if not subject or not event_id:
        raise NotFound()
    return subject, event_id


def present(event: OutboxEvent) -> dict[str, Any]:
    return {
        "id": event_ref(event),
        "subject": event.subject.key,
        "event_id": event.event_id,
        "kind": event.kind,
        "name": event.name,
        "attempts": event.attempts,
        "last_error": event.last_error,
        "created_at": to_rfc3339(event.created_at),
    }


class FailedEvents:
    def __init__(self, outbox: OutboxConsumer, cursor_key: bytes) -> None:
        self._outbox = outbox
        self._key = cursor_key

    def list(self, status: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
        if status != "failed":
            raise ValidationFailed({"status": "must be failed (the only state staff act on)"})
        events, last = self._outbox.failed(limit, cursors.decode(cursor, self._key, _SCOPE))
        return {
            "items": [present(e) for e in events],
            "next_cursor": cursors.encode(last, self._key, _SCOPE),
        }

    def retry(self, ref: str) -> dict[str, Any]:
        subject, event_id = _parse_ref(ref)
        event = self._outbox.retry_failed(subject, event_id)
        if event is None:
            raise InvalidTransition("Only an event that was given up can be sent again.")
        return present(event)
