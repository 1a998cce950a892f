"""Routing outbox events to their consumers (the DynamoDB stream handler and the redrive), and
what happens when a consumer fails.

Every event is handled at least once and every consumer is idempotent by the event's
deterministic id, so running one again is always safe. A consumer that raises counts an
attempt on the event: it is due again after a back-off (30 s, doubling, at most an hour), and an
event whose consumer keeps failing for a reason other than a dependency being unavailable (a bug,
data it cannot handle) is given up after MAX_ATTEMPTS: it leaves the redrive (so it cannot
crowd out newer events), raises the `failed outbox events` alarm, and waits in the failed list
(`GET /v1/admin/outbox`) for staff to send it again. An event failing only because AWS is
unavailable keeps being retried, an hour apart at most: the outage's own alarms speak for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from chalicelib import observability
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import Unavailable
from chalicelib.domain.outbox import EventKind, OutboxEvent
from chalicelib.services.ports import DeskStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A redrive marks the events it finished done this many at a time (one request each time).
REDRIVE_MARKS = 25
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
# Tells a redrive when to stop (the sweeper's remaining Lambda time); never stops by default.
Stop = Callable[[], bool]
# Runs an event's effects; True when nothing is left to retry (the event is then done), or
# when the event is due again: False for "behind every event due longer", a time for "not
# before then" (an hour's digest waits for its hour to end).
Consumer = Callable[[OutboxEvent], bool | datetime]


def finishes(effect: Callable[[OutboxEvent], object]) -> Consumer:
    """A consumer whose effect, once it returns, leaves nothing to retry."""

    def consume(event: OutboxEvent) -> bool:
        effect(event)
        return True

    return consume


def event_backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: 30 s, 1 min, 2 min, ... at most an hour."""
    delay: timedelta = BACKOFF_BASE * 2 ** max(attempts - 1, 0)
    return min(delay, BACKOFF_CAP)


def _describe(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:500]


class OutboxConsumer:
    def __init__(
        self, store: DeskStore, clock: Clock, consumers: Mapping[EventKind, Consumer]
    ) -> None:
        missing = set(EventKind) - set(consumers)
        if missing:
            raise ValueError(f"no consumer for outbox event kinds {sorted(missing)}")
        self._store = store
        self._clock = clock
        self._consumers = consumers

    def handle(self, event: OutboxEvent, *, mark_done: bool = True) -> bool | datetime:
        """Run the event's effects; mark it done once nothing is left to retry (unless the
        caller marks it, `mark_done=False`). Safe to call any number of times for the same
        event. Raises what its consumer raised."""
        case_id = event.subject.id if event.subject.is_case else None
        with observability.working_on(case_id=case_id, correlation=event.correlation_id):
            done = self._consumers[event.kind](event)
        if done is True and mark_done:
            self._store.mark_event_done(event, self._clock.now())
        return done

    def attempt(self, event: OutboxEvent, *, mark_done: bool = True) -> bool:
        """`handle`, counting a failure on the event (then raising it, so the stream retries
        too). An event left pending on purpose (messages held without a wake-up of their own)
        goes to the back of the redrive, behind every event due longer."""
        try:
            done = self.handle(event, mark_done=mark_done)
        except Exception as exc:
            self._record_failure(event, exc)
            raise
        if done is True:
            return True
        now = self._clock.now()
        self._store.postpone_event(event, max(done, now) if isinstance(done, datetime) else now)
        return False

    def _record_failure(self, event: OutboxEvent, exc: BaseException) -> None:
        now = self._clock.now()
        try:
            attempts = self._store.count_event_failure(event, _describe(exc))
            if attempts and not isinstance(exc, Unavailable) and attempts >= MAX_ATTEMPTS:
                log.error(
                    "outbox: event %s/%s failed %d times and is given up: %s",
                    event.subject,
                    event.event_id,
                    attempts,
                    _describe(exc),
                )
                self._store.give_up_event(event, now)
                observability.count("OutboxEventsFailed")  # its alarm pages
            elif attempts:
                self._store.postpone_event(event, now + event_backoff(attempts))
        except Exception:  # the store is down too: the event stays pending as it was
            log.exception("outbox: could not record the failure of %s", event.event_id)

    def attempt_in_order(self, events: list[OutboxEvent]) -> int | None:
        """`attempt` each of one subject's events in order (a stream batch's), up to the first
        that fails; those done are marked so together, after the last. Returns the index of
        the first event to deliver again, or None: the one that failed, or the first of those
        done if they could not be marked (running them again is safe)."""
        done: list[int] = []
        failed = None
        for index, event in enumerate(events):
            try:
                if self.attempt(event, mark_done=False):
                    done.append(index)
            except Exception:
                log.exception("outbox: %s/%s failed", event.subject, event.event_id)
                failed = index
                break
        if not self._mark_done([events[i] for i in done]):
            return done[0]
        return failed

    def redrive(
        self, min_age: timedelta = timedelta(0), limit: int = 100, stop: Stop | None = None
    ) -> int:
        """Handle events due at least `min_age` ago: the safety net for stream records that
        failed past their retries, and the local runner's way of draining the outbox. Each event
        on its own: one that fails is counted and the rest still run. Those finished are
        marked done REDRIVE_MARKS at a time (a redrive stopped in between runs them again)."""
        handled = 0
        done: list[OutboxEvent] = []
        try:
            for event in self._store.pending_events(self._clock.now() - min_age, limit):
                if stop is not None and stop():
                    break
                try:
                    if self.attempt(event, mark_done=False):
                        done.append(event)
                except Exception:
                    log.exception("outbox: redrive of %s failed; will retry", event.event_id)
                handled += 1
                if len(done) >= REDRIVE_MARKS:
                    self._mark_done(done)
        finally:
            self._mark_done(done)
        return handled

    def _mark_done(self, done: list[OutboxEvent]) -> bool:
        """Mark the events done together (and forget them); False when they could not be, and
        are simply run again later."""
        if not done:
            return True
        try:
            self._store.mark_events_done(list(done), self._clock.now())
        except Exception:
            log.exception("outbox: could not mark %d event(s) done; they will run again", len(done))
            return False
        finally:
            done.clear()
        return True

    def retry_failed(self, case_id: str, event_id: str) -> OutboxEvent | None:
        """Send a given-up event again, with fresh attempts; None if it is not failed."""
        return self._store.retry_failed_event(case_id, event_id, self._clock.now())

    def failed(
        self, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[OutboxEvent], dict[str, Any] | None]:
        return self._store.failed_events(limit, start)
