"""The SLA wake-up: what `sla_timer` does when a case's schedule fires."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any

from chalicelib.domain.case import Case, Visibility
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import VersionConflict
from chalicelib.domain.ids import is_ulid
from chalicelib.domain.schedule import Firing, classify_firing, fired
from chalicelib.domain.sla import due_timers, rearm
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services import events
from chalicelib.services.ports import CaseStore, Changes

log = logging.getLogger(__name__)
_ATTEMPTS = 3


class Outcome(StrEnum):
    HANDLED = "handled"
    NOTHING_DUE = "nothing_due"
    SUPERSEDED = "superseded"
    CLOSED = "closed"
    MISSING = "missing"
    INVALID = "invalid"


class TimerService:
    def __init__(self, store: CaseStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

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

    def sweep(self, min_age: timedelta, limit: int = 100) -> int:
        """Fire the timers of open cases whose schedule should have fired `min_age` ago but did
        not (a lost schedule, or a local scheduler that restarted empty). Returns how many."""
        cutoff = self._clock.now() - min_age
        fired_count = 0
        for case_id, _ in self._store.due_wakeups(cutoff, limit):
            case = self._store.get_case(case_id)  # the index may lag; the case decides
            live_at = case.schedule.live_at if case else None
            if case is None or live_at is None or live_at > cutoff:
                continue
            self.fire({"case_id": case_id, "clock_epoch": case.schedule.epoch})
            fired_count += 1
        return fired_count

    def _fire_once(self, case_id: str, epoch: int) -> Outcome:
        case = self._store.get_case(case_id)
        if case is None:
            return Outcome.MISSING
        if not case.is_open:
            return Outcome.CLOSED
        firing = classify_firing(case.schedule, epoch)
        if firing is Firing.SUPERSEDED:
            return Outcome.SUPERSEDED
        if firing is Firing.LOST:
            log.warning("sla_timer: case %s lost its schedule update; re-arming", case_id)
        now = self._clock.now()
        due = due_timers(case, now)
        changed = case.evolve(
            version=case.version + 1,
            schedule=fired(case.schedule),
            sla_fired=case.sla_fired | {t.name for t in due},
        )
        changed, command = rearm(changed, now)
        if not due and command is None and changed.schedule == case.schedule:
            return Outcome.NOTHING_DUE  # a repeat with nothing left to do: write nothing
        changes = Changes(now=now, updated_cases=[(changed, case.version)])
        changes.timeline += [self._entry(changed, t.name, to_rfc3339(t.due_at), now) for t in due]
        if command is not None:
            changes.events.append(events.schedule(changed, command, now))
        self._store.commit(changes)
        return Outcome.HANDLED if due else Outcome.NOTHING_DUE

    @staticmethod
    def _entry(case: Case, timer: str, due: str, now: Any) -> Any:
        clock = timer.removesuffix("_due")
        return events.entry(
            case,
            "sla_due",
            now,
            visibility=Visibility.INTERNAL,
            data={"timer": timer, "clock": clock, "due": due},
        )
