"""A wake-up whose time passed before Scheduler heard of it still fires, at once and once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.services.ports import ScheduleInPast
from tests.builders import complaint
from tests.fakes import FakeScheduler
from tests.services.conftest import Desk, make_desk


def _warnings(desk: Desk, case_id: str) -> list[str]:
    return [
        f"{e.data['clock']}:{e.data['percent']}%"
        for e in desk.store.timeline(case_id, include_internal=True)
        if e.type == "sla_warning"
    ]


def test_a_schedule_change_applied_after_its_time_fires_the_timer_itself(desk: Desk) -> None:
    # GIVEN a complaint whose schedule change waited in the outbox past the wake-up time
    # (its first warning is due Tuesday 09:30; the outbox is drained Tuesday 12:00)
    body = desk.file(complaint())
    desk.clock.advance(timedelta(hours=26).total_seconds())
    # WHEN the change is finally applied
    desk.fire_due()
    # THEN the schedule for 09:30 was never sent to Scheduler, and the timer fired here: the
    # warning was written once, and the next wake-up (the 14:00 warning) was armed
    created = [name for action, name in desk.scheduler.calls if action == "create"]
    assert f"{body['case_id']}-1" not in created
    assert _warnings(desk, body["case_id"]) == ["first_response:50%"]
    assert [p["timer"] for _, p in desk.scheduler.schedules.values()] == ["resolution_warn50"]


class RefusesThePast(FakeScheduler):
    """Scheduler refusing a time that passed on the way (a ValidationException)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    def create(self, name: str, at: Any, payload: dict[str, Any]) -> None:
        if not self.refused:
            self.refused += 1
            raise ScheduleInPast(name)
        super().create(name, at, payload)


def test_a_schedule_scheduler_refuses_as_past_is_fired_and_armed_again() -> None:
    # GIVEN a schedule for Tuesday 09:30 applied at 09:29:30, which Scheduler refuses as past
    scheduler = RefusesThePast()
    desk = make_desk(scheduler=scheduler)
    body = desk.file(complaint())
    desk.clock.advance(timedelta(hours=23, minutes=29, seconds=30).total_seconds())
    desk.fire_due()
    # THEN it fired here, found nothing due yet, and is armed again, a minute on
    assert scheduler.refused == 1 and _warnings(desk, body["case_id"]) == []
    [(at, payload)] = scheduler.schedules.values()
    assert payload["timer"] == "first_response_warn50"
    assert at == desk.clock.now() + timedelta(seconds=60)
    # WHEN that schedule fires / THEN the warning is written, once
    desk.clock.advance(90)
    desk.fire_due()
    assert _warnings(desk, body["case_id"]) == ["first_response:50%"]
