"""Routing outbox events to their consumers (the DynamoDB stream handler and the redrive)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from chalicelib.domain.case import OutboxEvent
from chalicelib.domain.clock import Clock
from chalicelib.services.metrics import MetricsRecorder
from chalicelib.services.notify import Dispatcher
from chalicelib.services.ports import CaseStore
from chalicelib.services.schedules import ScheduleSync

log = logging.getLogger(__name__)


class OutboxConsumer:
    def __init__(
        self,
        store: CaseStore,
        dispatcher: Dispatcher,
        schedules: ScheduleSync,
        metrics: MetricsRecorder,
        clock: Clock,
        maintenance: Callable[[], Any] | None = None,
        payments: Callable[[], Any] | None = None,
    ) -> None:
        self._maintenance = maintenance
        self._payments = payments
        self._store = store
        self._dispatcher = dispatcher
        self._schedules = schedules
        self._metrics = metrics
        self._clock = clock

    def handle(self, event: OutboxEvent) -> bool:
        """Run the event's effects; mark it done once nothing is left to retry. Safe to call
        any number of times for the same event."""
        if event.kind == "notify":
            done = self._dispatcher.handle(event)
        elif event.kind == "release":
            done = self._dispatcher.release(event)
        elif event.kind == "schedule":
            self._schedules.handle(event)
            done = True
        elif event.kind == "metrics":
            self._metrics.handle(event)
            done = True
        elif event.kind == "maintenance" and self._maintenance is not None:
            self._maintenance().handle(event)
            done = True
        elif event.kind == "payment" and self._payments is not None:
            self._payments().handle(event)
            done = True
        else:
            log.error("outbox: unknown event kind %r (%s)", event.kind, event.event_id)
            done = True
        if done:
            self._store.mark_event_done(event, self._clock.now())
        return done

    def redrive(self, min_age: timedelta = timedelta(0), limit: int = 100) -> int:
        """Handle events still pending after `min_age`: the safety net for stream records that
        failed past their retries, and the local runner's way of draining the outbox."""
        handled = 0
        for event in self._store.pending_events(self._clock.now() - min_age, limit):
            try:
                self.handle(event)
            except Exception:
                log.exception("outbox: redrive of %s failed; will retry", event.event_id)
            handled += 1
        return handled
