"""Applying a case's schedule change to EventBridge Scheduler (an outbox consumer).

A wake-up whose time has already passed when its change is applied (the outbox ran late) is not
sent to Scheduler at all: a one-time `at()` schedule in the past is either refused or accepted
and never run, and neither may lose a deadline. The timer is fired here instead, at once. A
schedule Scheduler refuses as being in the past (its time went by on the way) is fired the same
way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.domain.clock import Clock
from chalicelib.domain.outbox import OutboxEvent, SchedulePayload
from chalicelib.domain.timefmt import parse_rfc3339
from chalicelib.services.ports import (
    DeskStore,
    ScheduleExists,
    ScheduleInPast,
    ScheduleMissing,
    Scheduler,
)

FireNow = Callable[[Mapping[str, Any]], Any]


def schedule_name(case_id: str, gen: int) -> str:
    return f"{case_id}-{gen}"


class ScheduleSync:
    def __init__(
        self, store: DeskStore, scheduler: Scheduler, clock: Clock, fire_now: FireNow
    ) -> None:
        self._store = store
        self._scheduler = scheduler
        self._clock = clock
        self._fire_now = fire_now

    def handle(self, event: OutboxEvent) -> str:
        """One Scheduler call in the usual case. Idempotent: a repeated or out-of-order event
        whose epoch is no longer the case's current one does nothing."""
        command = event.payload_as(SchedulePayload)
        case = self._store.get_case(event.subject.id)
        if case is None or case.schedule.epoch != command.epoch:
            return "superseded"
        name = schedule_name(case.case_id, command.gen)
        action = command.action
        if action == "delete":
            with contextlib.suppress(ScheduleMissing):  # it fired and deleted itself
                self._scheduler.delete(name)
            return "deleted"
        if command.at is None:
            return "invalid"
        at = parse_rfc3339(command.at)
        payload = {
            "case_id": case.case_id,
            "timer": command.timer,
            "due_at": command.due_at,
            "clock_epoch": command.epoch,
            **({"correlation_id": event.correlation_id} if event.correlation_id else {}),
        }
        if at <= self._clock.now():
            return self._fired_late(name, payload)
        try:
            return self._apply(action, name, at, payload)
        except ScheduleInPast:
            return self._fired_late(name, payload)

    def _apply(self, action: str, name: str, at: Any, payload: dict[str, Any]) -> str:
        if action == "create":
            try:
                self._scheduler.create(name, at, payload)
            except ScheduleExists:
                self._scheduler.update(name, at, payload)  # a repeated delivery
            return "created"
        try:
            self._scheduler.update(name, at, payload)
        except ScheduleMissing:
            self._scheduler.create(name, at, payload)  # it fired before the update arrived
        return "updated"

    def _fired_late(self, name: str, payload: dict[str, Any]) -> str:
        """Its time passed: fire it now (and drop an older schedule of the same name, which
        would otherwise fire again later to no effect)."""
        with contextlib.suppress(ScheduleMissing):
            self._scheduler.delete(name)
        self._fire_now(payload)
        return "fired"
