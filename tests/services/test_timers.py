"""SLA wake-ups: one live schedule per open case, fired at least once, acted on once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.case import Status
from chalicelib.services.timers import Outcome
from tests.builders import complaint
from tests.services.conftest import Desk

SH = ZoneInfo("Asia/Shanghai")


def _internal_types(desk: Desk, case_id: str) -> list[str]:
    return [e.type for e in desk.store.timeline(case_id, include_internal=True)]


def _clock_steps(desk: Desk, case_id: str) -> list[str]:
    """What the SLA clocks did, in order: e.g. 'first_response:50%', 'first_response:breach'."""
    out = []
    for e in desk.store.timeline(case_id, include_internal=True):
        if e.type == "sla_warning":
            out.append(f"{e.data['clock']}:{e.data['percent']}%")
        elif e.type in ("sla_due", "sla_escalated"):
            out.append(f"{e.data['clock']}:level{e.data['level']}")
    return out


def test_timer_filing_arms_one_schedule_at_its_first_warning(desk: Desk) -> None:
    # WHEN a complaint is filed Monday 10:00 and its outbox drained
    body = desk.file(complaint())
    desk.drain()
    # THEN exactly one schedule exists, made with one Scheduler call, for the earliest timer:
    # half the first-response time (17 working hours to Tuesday 18:00) is used Tuesday 09:30
    assert desk.scheduler.calls == [("create", f"{body['case_id']}-1")]
    [(_, (_, payload))] = desk.scheduler.schedules.items()
    assert payload["timer"] == "first_response_warn50"
    assert payload["due_at"] == "2026-11-24T01:30:00Z"
    assert payload["clock_epoch"] == 1 and payload["case_id"] == body["case_id"]


def test_timer_first_response_warns_then_breaches(desk: Desk) -> None:
    # GIVEN a filed complaint
    body = desk.file(complaint())
    desk.drain()
    # WHEN time reaches the first-response deadline (Tuesday 18:00 Beijing) and timers fire
    desk.clock.set(desk.clock.now() + timedelta(days=1, hours=8))
    desk.fire_due()
    # THEN each clock warned at 50% and 80% of its working time, and the first-response clock
    # breached, each once and in time order: first response (17 working hours) 50% Tue 09:30,
    # resolution (26 working hours) 50% Tue 14:00, first response 80% Tue 14:36, breach 18:00
    steps = _clock_steps(desk, body["case_id"])
    assert steps == [
        "first_response:50%",
        "resolution:50%",
        "first_response:80%",
        "first_response:level1",
    ]
    # AND one live schedule points at the next timer
    [(name, _)] = list(desk.scheduler.schedules.items())[-1:]
    assert name.startswith(body["case_id"])
    # AND customers never see the internal entries
    public = [e.type for e in desk.store.timeline(body["case_id"], include_internal=False)]
    assert "sla_due" not in public and "sla_warning" not in public


def test_timer_delivered_three_times_has_one_effect(desk: Desk) -> None:
    # GIVEN the first-response schedule's payload at its due time
    body = desk.file(complaint())
    desk.drain()
    [(_, (_, payload))] = desk.scheduler.schedules.items()
    desk.clock.set(desk.clock.now() + timedelta(days=1, hours=8))
    # WHEN EventBridge delivers it three times
    outcomes = [desk.container.timers.fire(payload) for _ in range(3)]
    desk.drain()
    # THEN only the first acts: one timeline entry per timer, one new schedule
    assert outcomes == [Outcome.HANDLED, Outcome.SUPERSEDED, Outcome.SUPERSEDED]
    assert _internal_types(desk, body["case_id"]).count("sla_due") == 1
    assert _internal_types(desk, body["case_id"]).count("sla_warning") == 3
    assert [name for name in desk.scheduler.schedules] == [
        f"{body['case_id']}-1",  # the fired one; EventBridge deletes it after the invocation
        f"{body['case_id']}-2",
    ]


def test_timer_late_firing_catches_up_in_due_order(desk: Desk) -> None:
    # GIVEN a complaint whose schedule fires only after both deadlines passed
    body = desk.file(complaint())
    desk.drain()
    desk.clock.set(desk.clock.now() + timedelta(days=10))
    # WHEN it fires
    desk.fire_due()
    # THEN every clock step is recorded once, in due order (the first-response escalation and
    # the resolution breach share Wednesday 18:00)
    steps = _clock_steps(desk, body["case_id"])
    assert steps == [
        "first_response:50%",
        "resolution:50%",
        "first_response:80%",
        "first_response:level1",
        "resolution:80%",
        "first_response:level2",
        "resolution:level1",
        "resolution:level2",
    ]
    dues = [e.at for e in desk.store.timeline(body["case_id"], include_internal=True)]
    assert dues == sorted(dues)


def test_timer_for_a_closed_case_does_nothing(desk: Desk) -> None:
    body = desk.file(complaint())
    desk.drain()
    case = desk.store.get_case(body["case_id"])
    assert case is not None
    desk.store.cases[case.case_id] = case.evolve(status=Status.CLOSED)
    commits = desk.store.commits
    outcome = desk.container.timers.fire({"case_id": case.case_id, "clock_epoch": 1})
    assert outcome is Outcome.CLOSED and desk.store.commits == commits


def test_timer_malformed_or_unknown_input_is_ignored(desk: Desk) -> None:
    timers = desk.container.timers
    assert timers.fire({"case_id": "not-a-ulid", "clock_epoch": 1}) is Outcome.INVALID
    assert (
        timers.fire({"case_id": "01M8227EWWW73KQHMQKKVMVN3N", "clock_epoch": "1"})
        is Outcome.INVALID
    )
    assert (
        timers.fire({"case_id": "01M8227EWWW73KQHMQKKVMVN3N", "clock_epoch": 1}) is Outcome.MISSING
    )
    assert desk.store.commits == 0


def test_timer_lost_update_re_arms_a_fresh_generation(desk: Desk) -> None:
    # GIVEN a case whose live schedule (gen 1) was updated to epoch 2, but the update was lost:
    body = desk.file(complaint())
    desk.drain()
    case = desk.store.get_case(body["case_id"])
    assert case is not None
    desk.store.cases[case.case_id] = case.evolve(
        schedule=case.schedule.__class__(**{**case.schedule.__dict__, "epoch": 2})
    )
    desk.clock.set(desk.clock.now() + timedelta(days=1, hours=8))
    # WHEN gen 1 fires with its old epoch 1
    outcome = desk.container.timers.fire({"case_id": case.case_id, "clock_epoch": 1})
    desk.drain()
    # THEN the case acts on it and arms generation 2
    assert outcome is Outcome.HANDLED
    assert f"{case.case_id}-2" in desk.scheduler.schedules


def test_timer_sweep_fires_a_case_whose_schedule_vanished(desk: Desk) -> None:
    # GIVEN a filed complaint whose schedule was lost (e.g. a scheduler that restarted empty)
    body = desk.file(complaint())
    desk.drain()
    desk.scheduler.schedules.clear()
    desk.clock.set(desk.clock.now() + timedelta(days=1, hours=8))
    # WHEN the sweeper runs
    assert desk.container.timers.sweep(timedelta(0)) == 1
    desk.drain()
    # THEN what fell due is recorded and the next wake-up is armed again
    assert _clock_steps(desk, body["case_id"]) == [
        "first_response:50%",
        "resolution:50%",
        "first_response:80%",
        "first_response:level1",
    ]
    assert len(desk.scheduler.schedules) == 1
    # AND a second sweep finds nothing due
    assert desk.container.timers.sweep(timedelta(0)) == 0


def test_timer_repeated_schedule_event_leaves_one_schedule(desk: Desk) -> None:
    # GIVEN the filing's schedule event
    desk.file(complaint())
    [event] = [e for e in desk.store.pending_events(desk.clock.now(), 10) if e.kind == "schedule"]
    # WHEN the stream delivers it three times
    for _ in range(3):
        desk.container.outbox.handle(event)
    # THEN exactly one schedule exists
    assert len(desk.scheduler.schedules) == 1


def test_timer_sweep_releases_the_held_message_of_a_case_closed_at_night(desk: Desk) -> None:
    # GIVEN a case its customer withdrew at 22:30, whose SMS waits for 08:00 (quiet hours)
    evening = datetime(2026, 11, 23, 22, 30, tzinfo=SH)
    desk.clock.set(evening)
    body = desk.file(complaint())
    desk.drain()
    access = desk.container.customer_access.case(body["case_id"], f"Bearer {body['access_token']}")
    desk.container.cases.withdraw(access, {"reason": "已自行解决"})
    desk.drain()
    case = desk.store.get_case(body["case_id"])
    assert case is not None and case.status is Status.WITHDRAWN
    assert case.messages_due_at is not None
    sent_before = len(desk.sms.sent)
    # AND its wake-up schedule was lost
    desk.scheduler.schedules.clear()
    # WHEN the sweeper runs the next morning
    desk.clock.set(datetime(2026, 11, 24, 8, 5, tzinfo=SH))
    assert desk.container.timers.sweep(timedelta(0)) == 1
    desk.drain()
    # THEN the held acknowledgement SMS goes out, and nothing is held any more
    texts = [text for _, text in desk.sms.sent[sent_before:]]
    assert texts and all(text.startswith("【PayCase】") for text in texts)
    assert any(case.case_number in text for text in texts)
    released = desk.store.get_case(body["case_id"])
    assert released is not None and released.messages_due_at is None
    assert desk.container.timers.sweep(timedelta(0)) == 0
