"""The delivery log staff read: GET /v1/admin/notifications."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import delivery as rules
from chalicelib.domain.clock import Clock
from chalicelib.domain.delivery import DeliveryStatus, Notification
from chalicelib.domain.errors import InvalidTransition, NotFound, ValidationFailed
from chalicelib.domain.ids import is_ulid
from chalicelib.domain.outbox import EventKind, OutboxEvent, Resend, SendHeldPayload, Subject
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services import cursors
from chalicelib.services.changes import Changes
from chalicelib.services.ports import DeskStore, NotificationLog

# Every status a message in the delivery log can have, in the order a message passes through
# them, with what it means to staff reading the log (the OpenAPI document shows these).
STATUS_MEANINGS = {
    DeliveryStatus.QUEUED: "waiting for its first attempt",
    DeliveryStatus.DEFERRED: "held until next_attempt_at, e.g. an SMS waiting out quiet hours",
    DeliveryStatus.SENDING: (
        "being sent right now (if that sender stops, its attempt becomes unknown)"
    ),
    DeliveryStatus.UNKNOWN: (
        "an attempt had no answer, so the provider may have accepted it: settled by the "
        "provider's delivery receipt, or sent again at next_attempt_at if none came by then"
    ),
    DeliveryStatus.SENT: "accepted by the SMS or email provider at sent_at",
    DeliveryStatus.FAILED: "an attempt failed (last_error); it is tried again at next_attempt_at",
    DeliveryStatus.DEAD: "given up after a permanent error or its last attempt; it can be retried",
    DeliveryStatus.SUPPRESSED: (
        "never sent, on purpose: last_error says why (an SMS past the per-phone limit of "
        "complaints filed without a one-time code, or to a phone outside the SMS countries); "
        "it can be sent all the same with retry"
    ),
}
STATUSES = tuple(s.value for s in STATUS_MEANINGS)
assert set(STATUS_MEANINGS) == set(DeliveryStatus)  # noqa: S101 - every status is explained


def present(n: Notification) -> dict[str, Any]:
    return {
        "id": n.notification_id,
        "case_id": n.case_id,
        "event": n.event,
        "channel": n.channel,
        "audience": n.audience,
        "recipient": n.recipient_masked,
        "language": n.language,
        "status": str(n.status),
        "attempts": n.attempts,
        "unanswered_attempts": n.unanswered,
        "receipt": n.receipt,
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
        store: DeskStore,
        clock: Clock,
    ) -> None:
        self._notifications = notifications
        self._key = cursor_key
        self._store = store
        self._clock = clock

    def retry(self, notification_id: str) -> dict[str, Any]:
        """Send a dead, failed or unknown message again, with fresh attempts. One write: the
        outbox event that queues it (the dispatcher resets the message if it still stands as
        read here), so a failed write leaves it as it was (503, retry), and a repeat, or a
        retry of a request whose answer was lost, writes the same event and sends once."""
        n = self._notifications.get(notification_id)
        if n is None:
            raise NotFound()
        if n.status == DeliveryStatus.QUEUED:
            return present(n)  # already queued for its next attempt
        if n.status not in rules.RESENDABLE:
            raise InvalidTransition("Only a failed, dead or unknown message can be sent again.")
        now = self._clock.now()
        # Everything in the write follows from the message as read, so a repeat writes the
        # very same item (and DynamoDB absorbs a retried transaction: its token is derived
        # from its content).
        read_at = n.updated_at or n.created_at
        event_id = f"resend:{notification_id}:{n.status}:{n.attempts}:{to_rfc3339(read_at)}"
        event = OutboxEvent(
            subject=Subject.parse(n.case_id),
            event_id=event_id,
            kind=EventKind.SEND_HELD,
            name="resend",
            payload=SendHeldPayload(Resend(notification_id, str(n.status), n.attempts)),
            created_at=read_at,
        )
        self._store.commit(Changes(now=now, events=[event]))
        return present(rules.requeued(n, now))

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
