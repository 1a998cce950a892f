"""Test data: cases, complaint bodies and the containers the tiers run on."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Case, Status, TimelineEntry, Visibility
from chalicelib.domain.complaint import PaymentRef
from chalicelib.domain.contact import Contact
from chalicelib.domain.ids import hash_token, new_case_number, new_ulid
from chalicelib.domain.outbox import EventKind, NotifyPayload, OutboxEvent, Subject
from chalicelib.domain.policy import DEFAULT_POLICIES, Category, compute_deadlines
from chalicelib.domain.schedule import ScheduleState

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning in Beijing: an ordinary working day, far from any holiday.
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)

COMPLAINT = {
    "category": "payment_anomaly",
    "description": "扣款成功但订单仍显示待支付 😟 Charged but the order is unpaid.",
    "contact": {"phone": "13800138000", "email": "zhang.san@example.com"},
    "payment": {
        "transaction_id": "TXN-20261123-0001",
        "merchant_id": "M100001",
        "amount_fen": 3880,
    },
}


def complaint(**changes: Any) -> dict[str, Any]:
    """A valid complaint body; keyword arguments replace top-level fields (None removes)."""
    body = copy.deepcopy(COMPLAINT)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def caller(n: int) -> dict[str, str]:
    """The contact of the n-th of many different callers (a bulk of complaints from one phone
    meets the intake limits: the README, Limits on unverified intake)."""
    return {"phone": f"139{n:08d}", "email": f"caller{n}@example.com"}


def make_case(now: datetime = MONDAY_10AM, **changes: Any) -> Case:
    category = changes.pop("category", Category.PAYMENT_ANOMALY)
    case = Case(
        case_id=new_ulid(now),
        case_number=new_case_number(now),
        category=category,
        status=Status.SUBMITTED,
        description="测试 complaint",
        channel="web",
        contact=Contact(phone="+8613800138000", email="zhang.san@example.com"),
        payment=PaymentRef(transaction_id="TXN-1", merchant_id="M100001", amount_fen=100),
        created_at=now,
        updated_at=now,
        deadlines=compute_deadlines(DEFAULT_POLICIES[category], now, WorkingCalendar.shipped()),
        policy_version=1,
        access_token_hash=hash_token("ct_test"),
    )
    return case.evolve(**changes)


def make_entry(
    case: Case, at: datetime, visibility: Visibility, type_: str = "note"
) -> TimelineEntry:
    return TimelineEntry(
        case.case_id, new_ulid(at), at, type_, "system", visibility, None, {"n": 1}
    )


def make_event(case: Case, at: datetime, suffix: str = "notify:x") -> OutboxEvent:
    return OutboxEvent(
        Subject.case(case.case_id),
        f"v{case.version:06d}:{suffix}",
        EventKind.NOTIFY,
        "x",
        NotifyPayload("customer", "x", {"k": [1, "二"]}),
        at,
    )


def live(case: Case, at: datetime) -> Case:
    """The case with a live wake-up schedule at `at`."""
    return case.evolve(
        schedule=ScheduleState(
            epoch=1, gen=1, gen_epoch=1, live_at=at, timer="first_response_due", due_at=at
        )
    )


def later(at: datetime, **delta: float) -> datetime:
    return at + timedelta(**delta)


def full_case(now: datetime = MONDAY_10AM) -> Case:
    """A case with every optional field set, to prove a store keeps all of it."""
    from chalicelib.domain.case import CustomerWait, SecondReview
    from chalicelib.domain.clocks import ClockRun
    from chalicelib.domain.policy import SlaPolicy, Target
    from chalicelib.domain.proposal import Installment, Proposal, ProposalStatus
    from chalicelib.domain.schedule import ScheduleState

    later = now + timedelta(days=1)
    proposal = Proposal(
        proposal_id=new_ulid(now),
        round=2,
        kind="installment_plan",
        text="分两期",
        made_by="stf_r",
        made_at=now,
        also=("fee_waiver",),
        amount_fen=2000,
        installments=(
            Installment(datetime(2026, 12, 1).date(), 1000),
            Installment(datetime(2026, 12, 15).date(), 1000),
        ),
        status=ProposalStatus.REJECTED,
        answered_at=later,
        answer_reason="太少",
    )
    return make_case(now).evolve(
        status=Status.SECOND_REVIEW,
        assignee="stf_r",
        sla_fired=frozenset({"first_response_due", "resolution_warn50"}),
        schedule=ScheduleState(3, 2, 3, later, "second_review_warn50", later),
        last_public_update_at=later,
        resolved_at=later,
        accepted_at=now,
        closed_at=later,
        waiting=CustomerWait(now, later, later + timedelta(days=2), "请补充"),
        round=2,
        handlers=frozenset({"stf_a", "stf_b"}),
        proposal=proposal,
        second_review=SecondReview(now, "不服", later, later + timedelta(days=20), later),
        rating=4,
        due_at=later,
        at_risk_at=now + timedelta(hours=20),
        policy=SlaPolicy(Category.PAYMENT_ANOMALY, Target(hours=4), Target(days=3), 7),
        resolution_run=ClockRun(26 * 3600.0, 3600.5, None),
        merchant_run=ClockRun(18 * 3600.0, 0.0, now),
        regulatory_days=25,
        messages_due_at=later + timedelta(hours=3),
        incident_id="inc_01kjpq5v3r8z6w4x2y0a1b2c3d",
        incident_title="工商银行网关故障",
    )
