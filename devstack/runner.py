"""The local runner: plays EventBridge Scheduler and the outbox's DynamoDB stream.

Each turn it (1) hands pending outbox events to the same stream handler AWS would call,
(2) fires every schedule that fell due on the application clock, in due order, through the same
`sla_timer` handler, deleting it afterwards as ActionAfterCompletion DELETE asks, and (3) sweeps
case timers whose schedule is missing (moto keeps schedules in memory only) and evidence uploads
never completed, as the sweeper does in AWS; and it plays SNS's and SES's delivery receipts for
what moto accepted (devstack/delivery_log.py). It prints every SMS and email it sends.

When the test clock jumps ahead, the runner does not apply everything at the end of the jump:
its own clock steps through each due moment in turn (every schedule, held message and periodic
update falls due then), handling what is due at that moment before going on, so a jump of a
week leaves the same history as a week of real time.
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
from pathlib import Path
from types import FrameType
from typing import Any

from chalicelib import wiring
from chalicelib.adapters.dynamo.models import OUTBOX_SHARDS, OutboxModel
from chalicelib.adapters.errors import error_code
from chalicelib.domain.clock import Clock
from chalicelib.domain.delivery import Notification
from chalicelib.settings import Settings
from devstack.delivery_log import ReceiptFeed
from devstack.streams import stream_record

log = logging.getLogger("runner")
IDLE_SLEEP = 0.5
# Every schedule is created, moved and deleted by the outbox's consumers and the timers through
# the container's scheduler, or by the runner itself: the runner's listing follows those calls
# as they succeed. It is read in full (a request per 100 schedules) at the start, after a call
# that failed, and after this many seconds, for a change made elsewhere (another process on a
# shared moto).
LISTING_TTL = 5.0
# A week of a busy desk has a few thousand due moments; a bound keeps a bug from spinning.
MAX_STEPS_PER_TURN = 20_000
_sequence = count(1)


@dataclass
class DueSchedule:
    name: str
    at: datetime
    payload: dict[str, Any]
    delete_after: bool


def _due(name: str, definition: dict[str, Any]) -> DueSchedule | None:
    """A schedule as GetSchedule answers it (or as CreateSchedule and UpdateSchedule were
    asked): None unless it is an enabled one-time schedule."""
    at = parse_at(definition.get("ScheduleExpression", ""))
    if at is None or definition.get("State") == "DISABLED":
        return None
    payload = json.loads(definition["Target"].get("Input") or "{}")
    return DueSchedule(name, at, payload, definition.get("ActionAfterCompletion") == "DELETE")


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


class SteppingClock:
    """The runner's clock: the application clock, or, while the runner catches up with a jump,
    the due moment it is handling. It never goes back."""

    def __init__(self, base: Clock) -> None:
        self._base = base
        self._held: datetime | None = None

    def now(self) -> datetime:
        return self._held if self._held is not None else self._base.now()

    def target(self) -> datetime:
        """Where the application clock stands: how far the runner must catch up."""
        return self._base.now()

    def hold(self, at: datetime) -> None:
        self._held = at

    def release(self) -> None:
        self._held = None


class Runner:
    def __init__(
        self,
        container: wiring.Container,
        app_module: Any,
        echo: bool = True,
        clock: SteppingClock | None = None,
        receipts: ReceiptFeed | None = None,
    ) -> None:
        self._echo = echo
        self._container = container
        _ = container.dynamodb  # binds the models to the local tables
        self._app = app_module
        self._scheduler = container.client("scheduler")
        self._group = container.settings.schedule_group
        self._definitions: dict[str, tuple[Any, dict[str, Any]]] = {}
        # Without a stepping clock (the container's clock is the plain application clock) the
        # runner handles what is due at each turn's moment, as before.
        self._clock = clock
        self._receipts = receipts
        # name -> the schedule, or None for one that is not a one-time schedule or is disabled
        self._listing: dict[str, DueSchedule | None] | None = None
        self._listed_at = 0.0
        # The adapter's client (shared with other containers in tests) and the runner's own.
        clients = [self._scheduler, getattr(container.scheduler, "_client", None)]
        for client in {id(c): c for c in clients if c is not None}.values():
            events = client.meta.events
            events.register("before-parameter-build.scheduler", self._schedule_request)
            events.register("after-call.scheduler", self._schedule_answered)
            events.register("after-call-error.scheduler", self._schedule_failed)

    def _schedule_request(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["runner_schedule"] = dict(params)

    def _schedule_answered(
        self, event_name: str, http_response: Any, context: dict[str, Any], **_: Any
    ) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if operation in ("ListSchedules", "GetSchedule") or self._listing is None:
            return
        params = context.get("runner_schedule") or {}
        if http_response.status_code >= 300 or params.get("GroupName", "default") != self._group:
            self._listing = None  # read in full next time
        elif operation in ("CreateSchedule", "UpdateSchedule"):
            self._listing[params["Name"]] = _due(params["Name"], params)
        elif operation == "DeleteSchedule":
            self._listing.pop(params["Name"], None)
        else:
            self._listing = None

    def _schedule_failed(self, **_: Any) -> None:
        self._listing = None  # it may or may not have been applied

    def turn(self) -> int:
        """One pass; returns how much work it did (0 when idle). It first hands over the
        providers' receipts of what was sent since the last turn (as SNS's delivery-status logs
        and SES's events would) and, with a stepping clock, walks through every moment that
        fell due since the last pass, in order."""
        work = self._receipts.feed() if self._receipts is not None else 0
        if self._clock is not None:
            stepped, anything_due = self._catch_up()
            if not anything_due:
                # Nothing was due at the clock's time: a full pass would read the same indexes
                # and schedules again to find nothing (an idle stack's turns cost a sixth of a
                # core). Only uploads never completed are not among the due moments.
                return work + self._container.evidence.sweep()
            work += stepped
        return work + self._pass()

    def _pass(self) -> int:
        work = self.drain_outbox()
        work += self.fire_due_schedules()
        work += self._container.timers.sweep(timedelta(0))
        work += self._container.evidence.sweep()
        return work + self.drain_outbox()

    def _catch_up(self) -> tuple[int, bool]:
        """Hold the clock at each due moment up to the application clock's time, earliest first,
        and handle what is due then (which may arm later moments of the same walk). Returns the
        work done and whether anything was due at all."""
        assert self._clock is not None  # noqa: S101 - only called with one
        target = self._clock.target()
        work = 0
        held: datetime | None = None
        for _ in range(MAX_STEPS_PER_TURN):
            moment = self._next_due(target)
            if moment is None:
                break
            held = moment if held is None else max(moment, held)
            self._clock.hold(held)
            done = self._pass()
            work += done
            if not done and self._next_due(target) == moment:
                break  # something due cannot be handled now; the next turn tries again
        self._clock.release()
        return work, held is not None

    def _next_due(self, until: datetime) -> datetime | None:
        """The earliest moment at or before `until` when a schedule, a case wake-up whose
        schedule is missing, or an outbox event (one waiting out a retry back-off) falls due."""
        moments = [s.at for s in self._schedules() if s.at <= until]
        moments += [at for _, at in self._container.store.due_wakeups(until, 1)]
        for shard in range(OUTBOX_SHARDS):
            pending = OutboxModel.pending_index.query(
                f"p{shard}", OutboxModel.due_at <= until, limit=1
            )
            moments += [item.due_at for item in pending]
        return min(moments) if moments else None

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
        # Events still due (held back, or waiting for a retry) are not work done now: one read
        # of the pending index instead of one read per event.
        handed = {(m.case_id, m.event_id) for m in items}
        due = self._container.store.pending_events(now, len(items))
        still = {(e.subject.key, e.event_id) for e in due} & handed
        return len(items) - len(still)

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
        if self._listing is None or time.monotonic() - self._listed_at >= LISTING_TTL:
            self._listing, self._listed_at = self._list_all(), time.monotonic()
        return [s for s in self._listing.values() if s is not None]

    def _list_all(self) -> dict[str, DueSchedule | None]:
        out: dict[str, DueSchedule | None] = {}
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
            out[name] = _due(name, self._definitions[name][1])
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
    settings = Settings.from_env()
    probe = wiring.Container(settings)
    clock = SteppingClock(probe.clock)  # the application clock, shared with the API
    container = wiring.Container(settings, clock=clock, observer=print_message)
    wiring.use(container)
    import app  # the Chalice app: its handlers are what AWS would invoke

    receipts = None
    if settings.aws_endpoint and settings.clock_file:
        cursor = Path(settings.clock_file).with_name("delivery-log.json")
        receipts = ReceiptFeed(settings.aws_endpoint, app, cursor)
    runner = Runner(container, app, clock=clock, receipts=receipts)
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
