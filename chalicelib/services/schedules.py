"""Applying a case's schedule change to EventBridge Scheduler (an outbox consumer)."""

from __future__ import annotations

import contextlib

from chalicelib.domain.case import OutboxEvent
from chalicelib.domain.timefmt import parse_rfc3339
from chalicelib.services.ports import CaseStore, ScheduleExists, ScheduleMissing, Scheduler


def schedule_name(case_id: str, gen: int) -> str:
    return f"{case_id}-{gen}"


class ScheduleSync:
    def __init__(self, store: CaseStore, scheduler: Scheduler) -> None:
        self._store = store
        self._scheduler = scheduler

    def handle(self, event: OutboxEvent) -> str:
        """One Scheduler call in the usual case. Idempotent: a repeated or out-of-order event
        whose epoch is no longer the case's current one does nothing."""
        command = event.payload
        case = self._store.get_case(event.case_id)
        if case is None or case.schedule.epoch != command.get("epoch"):
            return "superseded"
        name = schedule_name(case.case_id, int(command["gen"]))
        action = command["action"]
        if action == "delete":
            with contextlib.suppress(ScheduleMissing):  # it fired and deleted itself
                self._scheduler.delete(name)
            return "deleted"
        at = parse_rfc3339(command["at"])
        payload = {
            "case_id": case.case_id,
            "timer": command["timer"],
            "due_at": command["due_at"],
            "clock_epoch": command["epoch"],
        }
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
