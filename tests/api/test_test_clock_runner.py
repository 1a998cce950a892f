"""The local runner and the test clock: a jump of a week leaves the same history as the same
week walked an hour at a time (every timer, held message and periodic update handled at its
own due moment, in due order), with the real handlers on moto."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import app
from chalicelib import wiring
from chalicelib.domain import lifecycle
from chalicelib.domain.case import Status
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.proposal import ProposalTerms
from devstack.runner import Runner, SteppingClock
from tests.builders import complaint
from tests.moto_stack import MotoState, container_on

SH = ZoneInfo("Asia/Shanghai")
# Friday 2026-11-27 10:00 Beijing: three complaints are filed; one of them is resolved at
# 21:30 (its SMS waits out the quiet hours), then the week begins.
FILED = datetime(2026, 11, 27, 10, tzinfo=SH)
RESOLVED = datetime(2026, 11, 27, 21, 30, tzinfo=SH)
WEEK = timedelta(days=7)
# Data that differs between two runs of the same story (random ids and case numbers).
_RANDOM = ("proposal_id", "case_number", "assignee", "previous")


class Desk:
    """The local stack's runner over moto, on a test clock that only moves when told."""

    def __init__(self, base: wiring.Container) -> None:
        self.base_clock = FixedClock(FILED)
        self.clock = SteppingClock(self.base_clock)
        self.container = container_on(base, self.clock)
        wiring.use(self.container)
        self.runner = Runner(self.container, app, echo=False, clock=self.clock)
        self.cases: dict[str, str] = {}

    def settle(self) -> None:
        """Let the runner work until it is idle, as its loop does."""
        for _ in range(50):
            if not self.runner.turn():
                return
        raise AssertionError("the runner never became idle")

    def walk(self, until: datetime, step: timedelta) -> None:
        while self.base_clock.now() < until:
            self.base_clock.set(min(self.base_clock.now() + step, until))
            self.settle()

    def act(self, name: str, action: Callable[[Any, datetime], lifecycle.Step]) -> None:
        self.container.writer.apply(self.cases[name], action)
        self.settle()

    def history(self) -> dict[str, list[tuple[Any, ...]]]:
        """Each case's timeline (what, when, by whom, what it says) and its messages (which
        event, by which channel, how it ended, when it went)."""
        out = {}
        for name, case_id in self.cases.items():
            entries = self.container.store.timeline(case_id, include_internal=True)
            sent, _ = self.container.notifications.for_case(case_id, 200, None)
            out[f"{name} timeline"] = [
                (
                    e.type,
                    e.at,
                    e.actor.split(":")[0],
                    {k: v for k, v in e.data.items() if k not in _RANDOM},
                )
                for e in entries
            ]
            out[f"{name} messages"] = sorted(
                (n.event, n.channel, n.status, n.sent_at) for n in sent
            )
        return out


def _story(base: wiring.Container, state: MotoState, week: Callable[[Desk], None]) -> Desk:
    """The same three cases and Friday each time; the week then passes as `week` says."""
    state.restore()
    desk = Desk(base)
    member, _ = desk.container.staff.create({"name": "李娜", "role": "agent"})
    agent, calendar = member.staff_id, desk.container.calendar
    for name, category in (("ignored", "payment_anomaly"), ("waiting", "refund_delay")):
        body = complaint(category=category, payment=None)
        body["contact"] = {**body["contact"], "email": f"{name}@example.com"}
        desk.cases[name] = desk.container.complaints.file(body).body["case_id"]
    body = complaint(category="other", payment=None, contact={"phone": "13900139000"})
    desk.cases["resolved"] = desk.container.complaints.file(body).body["case_id"]
    desk.settle()
    for name in ("waiting", "resolved"):
        desk.act(
            name, lambda c, now: lifecycle.staff_move(c, Status.ACCEPTED, agent, now, calendar)
        )
    desk.act(
        "waiting",
        lambda c, now: lifecycle.staff_move(
            c, Status.WAITING_CUSTOMER, agent, now, calendar, "请提供退款申请截图的文字说明"
        ),
    )
    offer = ProposalTerms("explanation", "款项已于当日退回。", (), None, ())
    desk.act("resolved", lambda c, now: lifecycle.propose(c, offer, agent, now, calendar))
    desk.walk(RESOLVED, timedelta(hours=1))
    desk.act("resolved", lambda c, now: lifecycle.answer_proposal(c, True, None, now, calendar))
    week(desk)
    return desk


def test_a_week_jump_leaves_the_same_history_as_a_week_walked_hour_by_hour(
    moto_session: tuple[wiring.Container, MotoState],
) -> None:
    base, state = moto_session
    try:
        # GIVEN the same Friday twice: an ignored complaint, one waiting for its customer and
        # one resolved at 21:30
        # WHEN the test clock jumps a week at once / walks the same week an hour at a time
        jumped = _story(base, state, lambda d: d.walk(RESOLVED + WEEK, WEEK)).history()
        walked = _story(base, state, lambda d: d.walk(RESOLVED + WEEK, timedelta(hours=1)))
        # THEN every case has the same timeline (the same entries at the same times) and the
        # same messages, sent at the same times
        assert jumped == walked.history()
    finally:
        wiring.use(None)
    timeline = {step[0]: step[1] for step in jumped["waiting timeline"]}
    messages = jumped["resolved messages"]
    # AND the times are the due times, not the end of the jump: the wait was reminded on its
    # third working day and closed at the end of its fifth, not a week late and breached
    assert timeline["reminder_sent"] == datetime(2026, 12, 2, 18, tzinfo=SH)
    assert timeline["closed"] == datetime(2026, 12, 4, 18, tzinfo=SH)
    # AND the resolved case's SMS went at 08:00 on Saturday, when the quiet hours ended, not
    # again held because the jump ended at night
    [resolved_sms] = [m for m in messages if m[:2] == ("case_resolved", "sms")]
    assert resolved_sms[2:] == ("sent", datetime(2026, 11, 28, 8, tzinfo=SH))
    # AND the ignored case's 80% warning came before its breach
    steps = [(s[0], s[3].get("clock"), s[1]) for s in jumped["ignored timeline"]]
    warned = next(
        at for kind, clock, at in steps if kind == "sla_warning" and clock == "resolution"
    )
    breached = next(at for kind, clock, at in steps if kind == "sla_due" and clock == "resolution")
    assert warned < breached


def test_the_runner_fires_a_schedule_at_the_time_it_was_last_moved_to(
    moto_session: tuple[wiring.Container, MotoState],
) -> None:
    base, state = moto_session
    state.restore()
    desk = Desk(base)
    scheduler = desk.container.scheduler
    payload = {"case_id": "01KNOSUCHCASE0000000000000", "timer": "first_response"}
    try:
        # GIVEN a schedule an hour ahead, which the runner has listed
        scheduler.create("moved-1", FILED + timedelta(hours=1), payload)
        assert desk.runner.fire_due_schedules() == 0
        # WHEN it is moved two hours ahead (as a case's wake-up moves), then the clock passes
        # the first time
        scheduler.update("moved-1", FILED + timedelta(hours=2), payload)
        desk.base_clock.set(FILED + timedelta(hours=1, minutes=30))
        # THEN it does not fire at its old time, and fires once its new time came
        assert desk.runner.fire_due_schedules() == 0
        desk.base_clock.set(FILED + timedelta(hours=2))
        assert desk.runner.fire_due_schedules() == 1
        # AND a schedule deleted after it was listed never fires
        scheduler.create("gone-1", FILED + timedelta(hours=3), payload)
        assert desk.runner.fire_due_schedules() == 0
        scheduler.delete("gone-1")
        desk.base_clock.set(FILED + timedelta(hours=4))
        assert desk.runner.fire_due_schedules() == 0
    finally:
        wiring.use(None)
