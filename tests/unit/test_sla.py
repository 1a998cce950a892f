"""SLA clocks of a case: pending and due timers, and the case's sla.state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Case, Status
from chalicelib.domain.contact import Contact
from chalicelib.domain.policy import DEFAULT_POLICIES, Category, compute_deadlines
from chalicelib.domain.schedule import ScheduleAction
from chalicelib.domain.sla import (
    FIRST_RESPONSE_DUE,
    RESOLUTION_DUE,
    SlaState,
    due_timers,
    next_timer,
    pending_timers,
    rearm,
    sla_state,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar.shipped()


def sh(d: int, hh: int, mm: int = 0, m: int = 3) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=SH)


CREATED = sh(2, 10)  # Monday 2026-03-02 10:00
# payment_anomaly filed at CREATED: first response 03-03 18:00, resolution 03-04 18:00.
FIRST_DUE, RESOLUTION_DUE_AT = sh(3, 18), sh(4, 18)


def make_case(
    status: Status = Status.SUBMITTED,
    category: Category = Category.PAYMENT_ANOMALY,
    **changes: Any,
) -> Case:
    case = Case(
        case_id="01KJPQ5V3R8Z6W4X2Y0A1B2C3D",
        case_number="PC20260302-7K3F9Q",
        category=category,
        status=status,
        description="扣款成功但订单未支付",
        channel="web",
        contact=Contact(phone="+8613800138000", email="zhang.san@example.com"),
        payment=None,
        created_at=CREATED,
        updated_at=CREATED,
        deadlines=compute_deadlines(DEFAULT_POLICIES[category], CREATED, CAL),
        policy_version=1,
        access_token_hash="0" * 64,
    )
    return case.evolve(**changes)


def names(timers: list) -> list[str]:
    return [t.name for t in timers]


def deadlines(timers: list) -> list:
    """Only the clocks' own deadlines (the engine also plans warnings, escalations, the
    regulatory limit and periodic updates; tests/unit/test_sla_engine.py covers those)."""
    return [t for t in timers if t.name in (FIRST_RESPONSE_DUE, RESOLUTION_DUE)]


# -- timers -------------------------------------------------------------------------------------


def test_pending_timers_submitted_case_has_both_earliest_first() -> None:
    # GIVEN a submitted case / WHEN listing its pending timers
    timers = pending_timers(make_case(Status.SUBMITTED), CAL)
    # THEN first response then resolution, at their deadlines, and the earliest comes next
    assert [(t.name, t.due_at) for t in deadlines(timers)] == [
        (FIRST_RESPONSE_DUE, FIRST_DUE),
        (RESOLUTION_DUE, RESOLUTION_DUE_AT),
    ]
    assert next_timer(make_case(Status.SUBMITTED), CAL) == timers[0]
    assert timers == sorted(timers, key=lambda t: (t.due_at, t.name))


@pytest.mark.parametrize(
    "status", [Status.ACCEPTED, Status.INVESTIGATING, Status.NEGOTIATING], ids=str
)
def test_pending_timers_accepted_case_has_only_resolution(status: Status) -> None:
    # GIVEN a case past its first response / WHEN listing its timers
    case = make_case(status)
    # THEN only the resolution clock remains
    assert [(t.name, t.due_at) for t in deadlines(pending_timers(case, CAL))] == [
        (RESOLUTION_DUE, RESOLUTION_DUE_AT)
    ]
    assert next_timer(case, CAL) == pending_timers(case, CAL)[0]


@pytest.mark.parametrize(
    "status", [Status.CLOSED, Status.WITHDRAWN, Status.RESOLVED, Status.UNRESOLVED], ids=str
)
def test_pending_timers_finished_case_has_none(status: Status) -> None:
    # GIVEN a case whose clocks have stopped / WHEN / THEN no timer is pending
    case = make_case(status)
    assert pending_timers(case, CAL) == []
    assert next_timer(case, CAL) is None
    assert due_timers(case, sh(30, 12), CAL) == []


def test_pending_timers_skips_fired_timers() -> None:
    # GIVEN a submitted case whose first-response timer already fired
    case = make_case(Status.SUBMITTED, sla_fired=frozenset({FIRST_RESPONSE_DUE}))
    # WHEN / THEN only resolution is pending; with both fired nothing is
    assert names(deadlines(pending_timers(case, CAL))) == [RESOLUTION_DUE]
    both = case.evolve(sla_fired=frozenset({FIRST_RESPONSE_DUE, RESOLUTION_DUE}))
    assert deadlines(pending_timers(both, CAL)) == []


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (sh(3, 17, 59), []),
        (FIRST_DUE, [FIRST_RESPONSE_DUE]),
        (sh(4, 12), [FIRST_RESPONSE_DUE]),
        (RESOLUTION_DUE_AT, [FIRST_RESPONSE_DUE, RESOLUTION_DUE]),
        (sh(9, 10), [FIRST_RESPONSE_DUE, RESOLUTION_DUE]),
    ],
    ids=str,
)
def test_due_timers_submitted_case(now: datetime, expected: list[str]) -> None:
    # GIVEN a submitted case / WHEN asking what fell due by `now`
    # THEN every timer at or before now, in due order (a late firing catches up)
    assert names(deadlines(due_timers(make_case(Status.SUBMITTED), now, CAL))) == expected


def test_due_timers_skips_fired_timer() -> None:
    # GIVEN both deadlines passed but first response already handled
    case = make_case(Status.SUBMITTED, sla_fired=frozenset({FIRST_RESPONSE_DUE}))
    # WHEN / THEN only resolution is due
    assert names(deadlines(due_timers(case, sh(9, 10), CAL))) == [RESOLUTION_DUE]


def test_rearm_submitted_case_creates_schedule_for_first_response() -> None:
    # GIVEN a new submitted case without a schedule
    # WHEN re-arming it
    case, command = rearm(make_case(Status.SUBMITTED), CREATED, CAL)
    # THEN one schedule is created for its earliest timer
    first = pending_timers(make_case(Status.SUBMITTED), CAL)[0]
    assert command is not None
    assert (command.action, command.timer, command.at) == (
        ScheduleAction.CREATE,
        first.name,
        first.due_at,
    )
    assert case.schedule.live_at == first.due_at
    # AND closing it later deletes that schedule
    _, delete = rearm(case.evolve(status=Status.CLOSED), sh(3, 10), CAL)
    assert delete is not None
    assert delete.action is ScheduleAction.DELETE


# -- sla_state ----------------------------------------------------------------------------------
# An accepted payment_anomaly filed Mon 10:00 has 8 + 9 + 9 = 26 working hours to Wed 18:00;
# 80% is 20.8 h, used up at Wed 12:48.


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (sh(3, 10), SlaState.ON_TRACK),
        (sh(4, 12, 47), SlaState.ON_TRACK),
        (sh(4, 12, 48), SlaState.AT_RISK),
        (sh(4, 17, 59), SlaState.AT_RISK),
        (RESOLUTION_DUE_AT, SlaState.BREACHED),
        (sh(5, 9), SlaState.BREACHED),
    ],
    ids=str,
)
def test_sla_state_accepted_case_follows_resolution(now: datetime, expected: SlaState) -> None:
    # GIVEN an accepted case / WHEN / THEN its state follows the resolution clock
    assert sla_state(make_case(Status.ACCEPTED), now, CAL) is expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (sh(2, 13, 11), SlaState.ON_TRACK),
        (sh(2, 13, 12), SlaState.AT_RISK),  # 3.2 of 4 business hours
        (sh(2, 14), SlaState.BREACHED),
    ],
    ids=str,
)
def test_sla_state_submitted_case_follows_first_response(now: datetime, expected: SlaState) -> None:
    # GIVEN a submitted security_fraud case (first response within 4 business hours: 14:00)
    case = make_case(Status.SUBMITTED, Category.SECURITY_FRAUD)
    assert case.deadlines.first_response_due == sh(2, 14)
    # WHEN / THEN its state follows the first-response clock
    assert sla_state(case, now, CAL) is expected


def test_sla_state_waiting_customer_is_paused_even_past_due() -> None:
    # GIVEN a case waiting for the customer
    case = make_case(Status.WAITING_CUSTOMER)
    # WHEN / THEN it is paused before and after the deadline
    assert sla_state(case, sh(3, 10), CAL) is SlaState.PAUSED
    assert sla_state(case, sh(9, 10), CAL) is SlaState.PAUSED


def test_sla_state_resolved_in_time_is_met_late_is_breached() -> None:
    # GIVEN cases resolved before and after the resolution deadline
    on_time = make_case(Status.RESOLVED, updated_at=sh(4, 11), resolved_at=sh(4, 11))
    late = make_case(Status.RESOLVED, updated_at=sh(5, 11), resolved_at=sh(5, 11))
    # WHEN / THEN met and breached, whenever asked
    assert sla_state(on_time, sh(20, 10), CAL) is SlaState.MET
    assert sla_state(late, sh(20, 10), CAL) is SlaState.BREACHED


def test_sla_state_resolved_in_time_then_closed_later_stays_met() -> None:
    # GIVEN a case resolved on time, closed automatically when the objection window passed
    resolved = make_case(Status.RESOLVED, updated_at=sh(4, 11), resolved_at=sh(4, 11))
    closed = resolved.evolve(status=Status.CLOSED, updated_at=sh(4, 11) + timedelta(days=15))
    # WHEN / THEN the SLA was met
    assert sla_state(closed, sh(25, 10), CAL) is SlaState.MET
