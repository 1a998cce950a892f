"""Delivering the messages an outbox event asks for, exactly once per (case, event, channel).

A message is created once under its deterministic id (services/recipients.py), already
claimed by the sender that made it, and sent under that claim (services/sending.py); a repeated
outbox record, stream batch or wake-up finds it made and can only claim it as any other
sender would, so nothing is sent twice. What cannot go now is held, and the case's one wake-up
schedule is pointed at the earliest of it (services/holding.py); when it fires, the case's due
messages are sent.
"""

from __future__ import annotations

import logging

from chalicelib.domain import delivery as rules
from chalicelib.domain.clock import Clock
from chalicelib.domain.delivery import DeliveryStatus, Notification
from chalicelib.domain.outbox import OutboxEvent, Resend, SendHeldPayload
from chalicelib.services.holding import HeldMessages
from chalicelib.services.ports import NotificationLog
from chalicelib.services.recipients import Recipients
from chalicelib.services.sending import Sender

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        recipients: Recipients,
        notifications: NotificationLog,
        sender: Sender,
        held: HeldMessages,
        clock: Clock,
    ) -> None:
        self._recipients = recipients
        self._log = notifications
        self._sender = sender
        self._held = held
        self._clock = clock

    def handle(self, event: OutboxEvent) -> bool:
        """Send every message `event` asks for. True when nothing is left to the event: every
        message is final, or held with the case's wake-up pointed at it."""
        made = self._sender.deliver_new(self._recipients.of(event))
        held = [n for n in made if n.status not in rules.FINAL]
        return self._held.hold(event.subject, held)

    def send_held(self, event: OutboxEvent) -> bool:
        """The case's wake-up fired, or staff asked for a message to be sent again: send every
        held message of the case that is due."""
        resend = event.payload_as(SendHeldPayload).resend
        if resend is not None:
            self._requeue(resend)
        held: list[Notification] = []
        for notification in self._held.waiting(event.subject):
            held += self._unfinished(notification)
        return self._held.hold(event.subject, held)

    def _requeue(self, resend: Resend) -> None:
        """Queue the message staff asked to send again, if it still stands as they saw it (a
        repeated request, or one made after it moved on, changes nothing)."""
        try:
            status = DeliveryStatus(resend.status)
        except ValueError:
            log.warning("notify: ignoring a malformed resend %r", resend)
            return
        self._log.reset(resend.notification_id, self._clock.now(), status, resend.attempts)

    def _unfinished(self, notification: Notification) -> list[Notification]:
        return [n for n in self._sender.deliver(notification) if n.status not in rules.FINAL]
