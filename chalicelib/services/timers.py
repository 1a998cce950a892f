"""The SLA wake-up: what `sla_timer` does when a case's schedule fires."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any

from chalicelib import observability
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import VersionConflict
from chalicelib.domain.ids import is_ulid
from chalicelib.domain.lifecycle import Step
from chalicelib.domain.schedule import Firing, classify_firing, fired
from chalicelib.domain.sla import due_timers, on_timer, rearm
from chalicelib.services.ports import DeskStore
from chalicelib.services.steps import StepWriter

log = logging.getLogger(__name__)
# What a timer's entries count as, by the clock they are about.
_ALERT_METRICS = {
    "sla_warning": "SlaWarnings",
    "sla_due": "SlaBreaches",
    "sla_escalated": "SlaEscalations",
}
_ATTEMPTS = 3


class Outcome(StrEnum):
    HANDLED = "handled"
    NOTHING_DUE = "nothing_due"
    SUPERSEDED = "superseded"
    CLOSED = "closed"
    MISSING = "missing"
    INVALID = "invalid"


class TimerService:
    def __init__(self, store: DeskStore, clock: Clock, writer: StepWriter) -> None:
        self._store = store
        self._clock = clock
        self._writer = writer

    def fire(self, payload: Mapping[str, Any]) -> Outcome:
        """Handle one delivery of a case's schedule. Deliveries are at least once and may come
        late, twice or after the case moved on: the case as stored decides what is due, and a
        superseded or repeated delivery changes nothing."""
        case_id, epoch = payload.get("case_id"), payload.get("clock_epoch")
        if not isinstance(case_id, str) or not is_ulid(case_id) or type(epoch) is not int:
            log.warning("sla_timer: ignoring malformed input %r", dict(payload))
            return Outcome.INVALID
        for _ in range(_ATTEMPTS):
            try:
                return self._fire_once(case_id, epoch)
            except VersionConflict:
                continue  # the case changed under us; look again
        raise VersionConflict("The case kept changing while its timer fired.")

    def sweep(
        self, min_age: timedelta, limit: int = 100, stop: Callable[[], bool] | None = None
    ) -> int:
        """Fire the timers of open cases whose schedule should have fired `min_age` ago but did
        not (a lost schedule, or a local scheduler that restarted empty). Each case on its own:
        one whose timer keeps failing is logged and the others still fire. Returns how many
        fired."""
        cutoff = self._clock.now() - min_age
        fired_count = 0
        for case_id, _ in self._store.due_wakeups(cutoff, limit):
            if stop is not None and stop():
                break
            try:
                case = self._store.get_case(case_id)  # the index may lag; the case decides
                live_at = case.schedule.live_at if case else None
                if case is None or live_at is None or live_at > cutoff:
                    continue
                self.fire({"case_id": case_id, "clock_epoch": case.schedule.epoch})
            except Exception:
                log.exception("sla_timer: sweep of case %s failed; the next sweep retries", case_id)
                continue
            fired_count += 1
        return fired_count

    def _fire_once(self, case_id: str, epoch: int) -> Outcome:
        case = self._store.get_case(case_id)
        if case is None:
            return Outcome.MISSING
        if not case.is_open and case.messages_due_at is None:
            return Outcome.CLOSED
        firing = classify_firing(case.schedule, epoch)
        if firing is Firing.SUPERSEDED:
            return Outcome.SUPERSEDED
        if firing is Firing.LOST:
            log.warning("sla_timer: case %s lost its schedule update; re-arming", case_id)
        now = self._clock.now()
        step = Step(case.evolve(schedule=fired(case.schedule)))
        handled = 0
        calendar = self._writer.calendar
        while due := due_timers(step.case, now, calendar):
            step = step.then(on_timer(step.case, due[0], now, calendar))
            handled += 1
        if not handled:
            _, command = rearm(step.case, now, calendar)
            if command is None and step.case.schedule == case.schedule:
                return Outcome.NOTHING_DUE  # a repeat with nothing left to do: write nothing
        self._writer.commit(case, step, now)
        for entry in step.entries:
            if entry.type in _ALERT_METRICS:
                observability.count(_ALERT_METRICS[entry.type], clock=str(entry.data.get("clock")))
        return Outcome.HANDLED if handled else Outcome.NOTHING_DUE
