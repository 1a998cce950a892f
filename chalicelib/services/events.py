"""Building outbox events and timeline entries for a case change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.case import Case, TimelineEntry, Visibility
from chalicelib.domain.ids import new_ulid
from chalicelib.domain.outbox import (
    EventKind,
    MetricsPayload,
    NotifyPayload,
    OutboxEvent,
    SchedulePayload,
    SendHeldPayload,
    Subject,
)
from chalicelib.domain.schedule import ScheduleCommand
from chalicelib.domain.timefmt import to_rfc3339


def notify(
    case: Case,
    name: str,
    now: datetime,
    params: dict[str, Any] | None = None,
    *,
    audience: str = "customer",
    key: str | None = None,
    to: dict[str, Any] | None = None,
) -> OutboxEvent:
    """A message to send about `case`. `key` distinguishes repeats of one event (e.g. the n-th
    periodic update); with it, (case, key, channel) is the exactly-once identity of a message."""
    event_key = key or name
    return OutboxEvent(
        subject=Subject.case(case.case_id),
        event_id=f"v{case.version:06d}:notify:{event_key}",
        kind=EventKind.NOTIFY,
        name=name,
        payload=NotifyPayload(audience, event_key, params or {}, to or None),
        created_at=now,
    )


def notify_merchant(
    merchant_id: str,
    subject: Subject,
    name: str,
    params: dict[str, Any],
    now: datetime,
    key: str,
) -> OutboxEvent:
    """A message to a merchant about something that is not (yet) a case, e.g. its query."""
    return OutboxEvent(
        subject=subject,
        event_id=f"{key}:notify:{name}",
        kind=EventKind.NOTIFY,
        name=name,
        payload=NotifyPayload("merchant", key, params, {"merchant_id": merchant_id}),
        created_at=now,
    )


def schedule(case: Case, command: ScheduleCommand, now: datetime) -> OutboxEvent:
    return OutboxEvent(
        subject=Subject.case(case.case_id),
        event_id=f"v{case.version:06d}:schedule",
        kind=EventKind.SCHEDULE,
        name=command.action.value,
        payload=SchedulePayload(
            action=command.action.value,
            gen=command.gen,
            epoch=command.epoch,
            at=to_rfc3339(command.at) if command.at else None,
            timer=command.timer,
            due_at=to_rfc3339(command.due_at) if command.due_at else None,
        ),
        created_at=now,
    )


def send_held(case: Case, now: datetime) -> OutboxEvent:
    """Send the case's held messages that are due (its wake-up fired for them)."""
    return OutboxEvent(
        subject=Subject.case(case.case_id),
        event_id=f"v{case.version:06d}:send_held",
        kind=EventKind.SEND_HELD,
        name="send_held",
        payload=SendHeldPayload(),
        created_at=now,
    )


def metrics(case: Case, delta: dict[str, Any], now: datetime) -> OutboxEvent:
    return OutboxEvent(
        subject=Subject.case(case.case_id),
        event_id=f"v{case.version:06d}:metrics",
        kind=EventKind.METRICS,
        name="metrics",
        payload=MetricsPayload(delta),
        created_at=now,
    )


def entry(
    case: Case,
    type_: str,
    now: datetime,
    *,
    actor: str = "system",
    visibility: Visibility = Visibility.PUBLIC,
    text: str | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    return TimelineEntry(
        case_id=case.case_id,
        entry_id=new_ulid(now),
        at=now,
        type=type_,
        actor=actor,
        visibility=visibility,
        text=text,
        data=data or {},
    )
