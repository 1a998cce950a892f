"""Outbox events whose consumer fails: counted, backed off, given up after a bound, never in the
way of newer events; and the sweeper's guards."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.case import Case
from chalicelib.domain.errors import Unavailable
from chalicelib.domain.outbox import EventKind, NotifyPayload, OutboxEvent, Subject
from chalicelib.handlers import sweeper
from chalicelib.services.changes import Changes
from chalicelib.services.outbox import MAX_ATTEMPTS, event_backoff
from tests.builders import complaint
from tests.fakes import FakeScheduler, FakeStore
from tests.services.conftest import Desk, make_desk


def _poison(desk: Desk, n: int) -> OutboxEvent:
    """An event no consumer can handle: it names its staff recipients wrongly."""
    event = OutboxEvent(
        subject=Subject.case(f"broken-{n}"),
        event_id=f"{n:04d}:notify:bad",
        kind=EventKind.NOTIFY,
        name="sla_warning",
        payload=NotifyPayload("staff", "sla_warning", {}, {"staff_ids": 12345}),
        created_at=desk.clock.now(),
    )
    desk.store.commit(Changes(now=desk.clock.now(), events=[event]))
    return event


def _redrive_until_quiet(desk: Desk, rounds: int) -> None:
    """The sweeper's redrive, `rounds` times, each after every back-off has passed."""
    for _ in range(rounds):
        desk.container.outbox.redrive()
        desk.clock.advance(timedelta(hours=2).total_seconds())


def test_a_failing_event_is_counted_backed_off_then_given_up(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an event whose consumer raises
    event = _poison(desk, 1)
    # WHEN the redrive takes it once
    desk.container.outbox.redrive()
    # THEN the attempt is counted, with its error, and the event waits out its back-off
    [stored] = [e for e, _ in desk.store.events.values() if e.event_id == event.event_id]
    assert stored.attempts == 1 and "TypeError" in (stored.last_error or "")
    assert desk.store.pending_events(desk.clock.now(), 10) == []
    due = desk.clock.now() + event_backoff(1)
    assert [e.event_id for e in desk.store.pending_events(due, 10)] == [event.event_id]
    # WHEN it keeps failing / THEN after MAX_ATTEMPTS it is given up, out of the redrive
    _redrive_until_quiet(desk, MAX_ATTEMPTS + 2)
    failed, _ = desk.container.outbox.failed(10, None)
    assert [(e.event_id, e.attempts) for e in failed] == [(event.event_id, MAX_ATTEMPTS)]
    assert desk.store.pending_events(desk.clock.now() + timedelta(days=1), 10) == []
    # AND one `OutboxEventsFailed` metric was emitted for its alarm
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert [(m.get("OutboxEventsFailed"), m["service"]) for m in lines] == [([1.0], "paycase")]


def test_given_up_events_do_not_starve_a_new_acknowledgement() -> None:
    # GIVEN 100 poisoned events, older than everything else, that each failed once
    desk = make_desk()
    for n in range(100):
        _poison(desk, n)
    desk.container.outbox.redrive(limit=100)
    # WHEN a complaint is filed and the redrive takes its usual 100 due events
    desk.clock.advance(5)
    body = desk.file(complaint())
    desk.container.outbox.redrive(limit=100)
    # THEN its acknowledgement went out: the poisoned ones wait out their back-off
    assert any(body["case_number"] in text for _, text in desk.sms.sent)


class UnavailableScheduler(FakeScheduler):
    def create(self, name: str, at: Any, payload: dict[str, Any]) -> None:
        raise Unavailable("Scheduler is unavailable")


def test_an_event_failing_only_for_an_outage_is_never_given_up() -> None:
    # GIVEN a scheduler outage that outlasts every back-off
    desk = make_desk(scheduler=UnavailableScheduler())
    desk.file(complaint())
    # WHEN the redrive keeps trying / THEN the schedule event stays pending, never given up
    _redrive_until_quiet(desk, MAX_ATTEMPTS + 3)
    failed, _ = desk.container.outbox.failed(10, None)
    assert failed == []
    pending = desk.store.pending_events(desk.clock.now() + timedelta(days=1), 10)
    assert [e.kind for e in pending] == ["schedule"]
    assert pending[0].attempts == MAX_ATTEMPTS + 3


def test_a_given_up_event_is_sent_again_on_request(desk: Desk) -> None:
    # GIVEN an event that was given up
    event = _poison(desk, 7)
    _redrive_until_quiet(desk, MAX_ATTEMPTS)
    assert desk.container.outbox.failed(10, None)[0]
    # WHEN staff send it again / THEN it is pending with fresh attempts, and a second
    # request for the same event finds nothing to do
    again = desk.container.outbox.retry_failed(event.subject.key, event.event_id)
    assert again is not None and again.attempts == 0
    assert [e.event_id for e in desk.store.pending_events(desk.clock.now(), 10)] == [event.event_id]
    assert desk.container.outbox.retry_failed(event.subject.key, event.event_id) is None
    assert desk.container.outbox.failed(10, None)[0] == []


class CaseFailingStore(FakeStore):
    """A store that cannot read one case (its item is corrupt)."""

    broken: str | None = None

    def get_case(self, case_id: str) -> Case | None:
        if case_id == self.broken:
            raise RuntimeError("corrupt case item")
        return super().get_case(case_id)


def test_one_case_whose_timer_keeps_failing_does_not_stop_the_sweep() -> None:
    # GIVEN two cases whose schedules were lost, one of which cannot be read at all
    store = CaseFailingStore()
    desk = make_desk(store=store)
    first = desk.file(complaint())
    second = desk.file(complaint(payment={"transaction_id": "TXN-2", "amount_fen": 100}))
    desk.drain()
    desk.scheduler.schedules.clear()
    store.broken = first["case_id"]
    # WHEN the sweep runs after both timers were due
    desk.clock.advance(timedelta(days=2).total_seconds())
    fired = desk.container.timers.sweep(timedelta(minutes=5))
    # THEN the healthy case's timers fired; the broken one was skipped, to be retried
    assert fired == 1
    entries = desk.store.timeline(second["case_id"], include_internal=True)
    assert any(e.type == "sla_warning" for e in entries)


def test_the_sweeper_fires_timers_before_a_long_redrive_and_stops_in_time() -> None:
    # GIVEN a case whose schedule was lost and a backlog of poisoned events
    from chalicelib import wiring

    desk = make_desk()
    body = desk.file(complaint())
    desk.drain()
    desk.scheduler.schedules.clear()
    for n in range(30):
        _poison(desk, n)
    desk.clock.advance(timedelta(days=2).total_seconds())
    # WHEN the sweeper runs and its function's time runs short after three checks
    remaining = [60_000, 60_000, 60_000]

    def remaining_ms() -> int:
        return remaining.pop(0) if remaining else 10_000

    wiring.use(desk.container)
    try:
        result = sweeper(remaining_ms)
    finally:
        wiring.use(None)
    # THEN the timer fired first, and the redrive stopped once time ran short
    assert result == {"timers": 1, "events": 2, "failures": 0, "evidence": 0}
    entries = desk.store.timeline(body["case_id"], include_internal=True)
    assert any(e.type == "sla_warning" for e in entries)
