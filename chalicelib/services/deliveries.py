"""The delivery log staff read: GET /v1/admin/notifications."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.case import OutboxEvent
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import InvalidTransition, NotFound, ValidationFailed
from chalicelib.domain.ids import is_ulid
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services import cursors
from chalicelib.services.ports import CaseStore, Changes, Notification, NotificationLog

# Every status a message in the delivery log can have, in the order a message passes through
# them, with what it means to staff reading the log (the OpenAPI document shows these).
STATUS_MEANINGS = {
    "queued": "waiting for its first attempt",
    "deferred": "held until next_attempt_at, e.g. an SMS waiting out quiet hours",
    "sending": "being sent right now (if that sender stops, another takes it over)",
    "sent": "accepted by the SMS or email provider at sent_at",
    "failed": "an attempt failed (last_error); it is tried again at next_attempt_at",
    "dead": "given up after a permanent error or its last attempt; it can be retried",
}
STATUSES = tuple(STATUS_MEANINGS)


def present(n: Notification) -> dict[str, Any]:
    return {
        "id": n.notification_id,
        "case_id": n.case_id,
        "event": n.event,
        "channel": n.channel,
        "audience": n.audience,
        "recipient": n.recipient_masked,
        "language": n.language,
        "status": n.status,
        "attempts": n.attempts,
        "last_error": n.last_error,
        "created_at": to_rfc3339(n.created_at),
        "sent_at": to_rfc3339(n.sent_at) if n.sent_at else None,
        "next_attempt_at": to_rfc3339(n.next_attempt_at) if n.next_attempt_at else None,
    }


class DeliveryLog:
    def __init__(
        self,
        notifications: NotificationLog,
        cursor_key: bytes,
        store: CaseStore,
        clock: Clock,
    ) -> None:
        self._notifications = notifications
        self._key = cursor_key
        self._store = store
        self._clock = clock

    def retry(self, notification_id: str) -> dict[str, Any]:
        """Send a dead (or failed) message again, with fresh attempts, from the outbox."""
        now = self._clock.now()
        queued = self._notifications.reset(notification_id, now)
        if queued is None:
            if self._notifications.get(notification_id) is None:
                raise NotFound()
            raise InvalidTransition("Only a failed or dead message can be sent again.")
        event = OutboxEvent(
            queued.case_id,
            f"retry:{notification_id}:{now.timestamp():.0f}",
            "release",
            "release",
            {"retry": notification_id},
            now,
        )
        self._store.commit(Changes(now=now, events=[event]))
        return present(queued)

    def list(
        self,
        case_id: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> dict[str, Any]:
        if status is not None and status not in STATUSES:
            raise ValidationFailed({"status": "must be one of: " + ", ".join(STATUSES)})
        if case_id is None and status is None:
            raise ValidationFailed({"case_id": "give case_id or status"})
        if case_id is not None and not is_ulid(case_id):
            return {"items": [], "next_cursor": None}
        scope = f"notifications:{case_id}:{status}"
        start = cursors.decode(cursor, self._key, scope)
        if case_id is not None:
            items, last = self._notifications.for_case(case_id, limit, start)
            if status is not None:
                items = [n for n in items if n.status == status]
        else:
            assert status is not None  # noqa: S101
            items, last = self._notifications.by_status(status, limit, start)
        return {
            "items": [present(n) for n in items],
            "next_cursor": cursors.encode(last, self._key, scope),
        }
