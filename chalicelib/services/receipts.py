"""Settling messages from the providers' delivery receipts: SNS's SMS delivery-status records
(read from its CloudWatch Logs) and SES's events (published through SNS).

A send whose answer was lost is `unknown`; its receipt says whether it went. An email finds its
message by the id it was tagged with; an SMS receipt names only the message id SNS gave (which
a lost answer never told us), the phone (partly masked) and the time, so it is matched to the
one unanswered send to that phone at that time (chalicelib/domain/delivery.py).
"""

from __future__ import annotations

import logging
from enum import StrEnum

from chalicelib.domain import delivery as rules
from chalicelib.domain import receipts
from chalicelib.domain.clock import Clock
from chalicelib.domain.delivery import Notification
from chalicelib.domain.outbox import Subject
from chalicelib.domain.receipts import Receipt
from chalicelib.services.holding import HeldMessages
from chalicelib.services.metrics import DeliveryCounts
from chalicelib.services.ports import NotificationLog

log = logging.getLogger(__name__)
_ATTEMPTS = 3


class Settled(StrEnum):
    SETTLED = "settled"  # the message's status changed
    NOTED = "noted"  # the receipt was recorded, the status stands
    KNOWN = "known"  # nothing new: the message was already sent
    UNMATCHED = "unmatched"  # no message (or more than one) fits the receipt


class Receipts:
    def __init__(
        self,
        notifications: NotificationLog,
        held: HeldMessages,
        counts: DeliveryCounts,
        clock: Clock,
    ) -> None:
        self._log = notifications
        self._held = held
        self._counts = counts
        self._clock = clock

    def settle(self, receipt: Receipt) -> Settled:
        """Apply one receipt; the same receipt twice changes nothing more."""
        for _ in range(_ATTEMPTS):
            message = self._find(receipt)
            if message is None:
                log.info("receipts: no message fits %s %s", receipt.channel, receipt.message_id)
                return Settled.UNMATCHED
            after = receipts.settle(message, receipt, self._clock.now())
            if after is None:
                return Settled.KNOWN
            if self._log.replace(after, message):
                if after.status not in rules.FINAL:
                    # Not delivered: it goes again after its back-off, on the case's wake-up.
                    self._held.hold(Subject.parse(after.case_id), [after])
                return self._settled(message, after)
            # It changed while we read it (a sender recorded an outcome): read it again.
        log.warning("receipts: %s kept changing; receipt left", receipt.message_id)
        return Settled.UNMATCHED

    def _find(self, receipt: Receipt) -> Notification | None:
        if receipt.channel == "email":
            if receipt.notification_id is None:
                return None
            return self._log.get(receipt.notification_id)
        key = receipts.receipt_key("sms", receipt.destination or "")
        if key is None:
            return None
        start, end = receipts.receipt_search_range(receipt)
        return receipts.match_sms_receipt(self._log.awaiting_receipt(key, start, end), receipt)

    def _settled(self, before: Notification, after: Notification) -> Settled:
        if receipts.settles_ambiguity(before, after):
            if before.unanswered:
                self._counts.add("settled", f"{after.notification_id}:{after.attempts}")
            log.info("receipts: %s settled %s", after.notification_id, after.status)
            return Settled.SETTLED
        return Settled.SETTLED if after.status != before.status else Settled.NOTED
