"""The composition root's second layer: the parts most use cases are built on (the step
writer, the timers, idempotent replays, sending and receiving messages, and the metrics), on the
adapters of chalicelib/infrastructure.py. chalicelib/wiring.py builds the use cases on them.

Nothing here runs at import.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.infrastructure import Infrastructure

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.services.deliveries import DeliveryLog
    from chalicelib.services.holding import HeldMessages
    from chalicelib.services.idempotency import Replays
    from chalicelib.services.metrics import DeliveryCounts, MetricsRecorder, MetricsReport
    from chalicelib.services.notify import Dispatcher
    from chalicelib.services.ports import MetricsStore, SecretBox
    from chalicelib.services.receipts import Receipts
    from chalicelib.services.recipients import Recipients
    from chalicelib.services.sending import Sender
    from chalicelib.services.steps import StepWriter
    from chalicelib.services.timers import TimerService


class CoreParts(Infrastructure):
    """The step writer, timers, replays, message sending and metrics."""

    @cached_property
    def code_box(self) -> SecretBox:
        """Seals one-time codes on their way to the SMS sender, and idempotent answers that hold
        a secret (a key derived from the token key: no KMS call on those paths)."""
        import hashlib
        import hmac

        from chalicelib.adapters.secrets import LocalSecretBox

        derived = hmac.new(self.settings.token_key, b"one-time-codes", hashlib.sha256).digest()
        return LocalSecretBox(derived)

    @cached_property
    def replays(self) -> Replays:
        from chalicelib.services.idempotency import Replays

        return Replays(self.store, self.clock, self.code_box)

    @cached_property
    def metrics_store(self) -> MetricsStore:
        from chalicelib.adapters.dynamo.metrics import DynamoMetricsStore

        return DynamoMetricsStore(self.dynamodb, self.clock.now)

    @cached_property
    def metrics(self) -> MetricsRecorder:
        from chalicelib.services.metrics import MetricsRecorder

        return MetricsRecorder(self.metrics_store, self.store)

    @cached_property
    def metrics_report(self) -> MetricsReport:
        from chalicelib.services.metrics import MetricsReport

        return MetricsReport(self.metrics_store, self.clock)

    @cached_property
    def writer(self) -> StepWriter:
        from chalicelib.services.steps import StepWriter

        return StepWriter(self.store, self.clock, self.config.calendar)

    @cached_property
    def timers(self) -> TimerService:
        from chalicelib.services.timers import TimerService

        return TimerService(self.store, self.clock, self.writer)

    @cached_property
    def recipients(self) -> Recipients:
        from chalicelib.services.recipients import Recipients

        return Recipients(
            self.store,
            self.staff_directory,
            self.merchant_directory,
            self.clock,
            self.settings.intake.sms_countries,
        )

    @cached_property
    def delivery_counts(self) -> DeliveryCounts:
        from chalicelib.services.metrics import DeliveryCounts

        return DeliveryCounts(self.metrics_store, self.clock)

    @cached_property
    def sender(self) -> Sender:
        from chalicelib.notifications.render import TemplateRenderer
        from chalicelib.services.sending import Sender, ignore_sent

        return Sender(
            self.notifications,
            self.store,
            self.sms,
            self.email,
            TemplateRenderer(),
            self.code_box,
            self.recipients,
            self.delivery_counts,
            self.clock,
            self.pause,
            self._observer or ignore_sent,
        )

    @cached_property
    def held_messages(self) -> HeldMessages:
        from chalicelib.services.holding import HeldMessages

        return HeldMessages(self.notifications, self.writer)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        from chalicelib.services.notify import Dispatcher

        return Dispatcher(
            self.recipients, self.notifications, self.sender, self.held_messages, self.clock
        )

    @cached_property
    def receipts(self) -> Receipts:
        from chalicelib.services.receipts import Receipts

        return Receipts(self.notifications, self.held_messages, self.delivery_counts, self.clock)

    @cached_property
    def pause(self) -> Callable[[float], None]:
        """How the dispatcher waits between quick retries; tests pass their clock's `advance`."""
        import time

        return time.sleep

    @cached_property
    def deliveries(self) -> DeliveryLog:
        from chalicelib.services.deliveries import DeliveryLog

        return DeliveryLog(self.notifications, self.settings.token_key, self.store, self.clock)
