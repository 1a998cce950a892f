"""The local runner: plays EventBridge Scheduler and the outbox's DynamoDB stream.

Each turn it (1) hands pending outbox events to the same stream handler AWS would call,
(2) fires every schedule that fell due on the application clock, in due order, through the same
`sla_timer` handler, deleting it afterwards as ActionAfterCompletion DELETE asks, and (3) sweeps
case timers whose schedule is missing (moto keeps schedules in memory only). It prints every SMS
and email it sends.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from types import FrameType
from typing import Any

from chalicelib import wiring
from chalicelib.adapters.dynamo.models import OUTBOX_SHARDS, OutboxModel
from chalicelib.adapters.errors import error_code
from chalicelib.services.ports import Notification
from chalicelib.settings import Settings
from devstack.streams import stream_record

log = logging.getLogger("runner")
IDLE_SLEEP = 0.5
_sequence = count(1)


@dataclass
class DueSchedule:
    name: str
    at: datetime
    payload: dict[str, Any]
    delete_after: bool


def parse_at(expression: str) -> datetime | None:
    """`at(2026-10-08T10:00:00)` in UTC; None for other expressions."""
    if not expression.startswith("at(") or not expression.endswith(")"):
        return None
    return datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC)


def print_message(notification: Notification, rendered: Any) -> None:
    case_number = notification.params.get("case_number", notification.case_id)
    head = f"{notification.channel.upper()} to {notification.recipient_masked}"
    print(f"\n---- {head} | {case_number} | {notification.event}")
    if notification.channel == "sms":
        print(rendered)
    else:
        print(f"Subject: {rendered.subject}\n\n{rendered.text}", end="")
    print("----", flush=True)


class Runner:
    def __init__(self, container: wiring.Container, app_module: Any, echo: bool = True) -> None:
        self._echo = echo
        self._container = container
        _ = container.dynamodb  # binds the models to the local tables
        self._app = app_module
        self._scheduler = container.client("scheduler")
        self._group = container.settings.schedule_group
        self._definitions: dict[str, tuple[Any, dict[str, Any]]] = {}

    def turn(self) -> int:
        """One pass; returns how much work it did (0 when idle)."""
        work = self.drain_outbox()
        work += self.fire_due_schedules()
        work += self._container.timers.sweep(timedelta(0))
        return work

    def drain_outbox(self) -> int:
        now = self._container.clock.now()
        items: list[OutboxModel] = []
        for shard in range(OUTBOX_SHARDS):
            items += OutboxModel.pending_index.query(f"p{shard}", OutboxModel.due_at <= now)
        if not items:
            return 0
        items.sort(key=lambda m: (m.due_at, m.case_id, m.event_id))
        records = [stream_record(item, next(_sequence)) for item in items]
        result = self._app.outbox_consumer({"Records": records}, None)
        failures = result.get("batchItemFailures", []) if isinstance(result, dict) else []
        if failures:
            log.warning("outbox: %d record(s) will be retried", len(failures))
        # Events waiting for a retry back-off stay pending without being work done now.
        still = {(m.case_id, m.event_id) for m in self._still_pending(items)}
        return len(items) - len(still)

    def _still_pending(self, items: list[OutboxModel]) -> list[OutboxModel]:
        out = []
        for item in items:
            try:
                fresh = OutboxModel.get(item.case_id, item.event_id, consistent_read=True)
            except OutboxModel.DoesNotExist:
                continue
            if fresh.pending_shard is not None:
                out.append(fresh)
        return out

    def fire_due_schedules(self) -> int:
        now = self._container.clock.now()
        due = sorted((s for s in self._schedules() if s.at <= now), key=lambda s: s.at)
        for schedule in due:
            result = self._app.sla_timer(schedule.payload, None)
            outcome = result.get("outcome") if isinstance(result, dict) else result
            if self._echo:
                print(
                    f"[scheduler] fired {schedule.name} ({schedule.payload.get('timer')}, due "
                    f"{schedule.payload.get('due_at')}): {outcome}",
                    flush=True,
                )
            if schedule.delete_after:
                self._delete(schedule.name)
        return len(due)

    def _schedules(self) -> list[DueSchedule]:
        out = []
        pages = self._scheduler.get_paginator("list_schedules").paginate(GroupName=self._group)
        listed = {s["Name"]: s.get("LastModificationDate") for p in pages for s in p["Schedules"]}
        for name in list(self._definitions):
            if name not in listed:
                del self._definitions[name]
        for name, modified in listed.items():
            cached = self._definitions.get(name)
            if cached is None or cached[0] != modified:
                definition = self._scheduler.get_schedule(Name=name, GroupName=self._group)
                self._definitions[name] = (modified, definition)
            definition = self._definitions[name][1]
            at = parse_at(definition.get("ScheduleExpression", ""))
            if at is None or definition.get("State") == "DISABLED":
                continue
            payload = json.loads(definition["Target"].get("Input") or "{}")
            delete_after = definition.get("ActionAfterCompletion") == "DELETE"
            out.append(DueSchedule(name, at, payload, delete_after))
        return out

    def _delete(self, name: str) -> None:
        try:
            self._scheduler.delete_schedule(Name=name, GroupName=self._group)
        except Exception as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
        self._definitions.pop(name, None)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[runner] %(message)s", stream=sys.stdout)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _stop)
    container = wiring.Container(Settings.from_env(), observer=print_message)
    wiring.use(container)
    import app  # the Chalice app: its handlers are what AWS would invoke

    runner = Runner(container, app)
    print("[runner] firing schedules and draining the outbox", flush=True)
    try:
        while True:
            try:
                busy = runner.turn()
            except Exception:
                log.exception("turn failed; retrying")
                busy = 0
            if not busy:
                time.sleep(IDLE_SLEEP)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
