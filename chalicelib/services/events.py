"""Building outbox events and timeline entries for a case change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.case import Case, OutboxEvent, TimelineEntry, Visibility
from chalicelib.domain.ids import new_ulid
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
        case_id=case.case_id,
        event_id=f"v{case.version:06d}:notify:{event_key}",
        kind="notify",
        name=name,
        payload={
            "audience": audience,
            "key": event_key,
            "params": params or {},
            **({"to": to} if to else {}),
        },
        created_at=now,
    )


def notify_merchant(
    merchant_id: str,
    subject_id: str,
    name: str,
    params: dict[str, Any],
    now: datetime,
    key: str,
) -> OutboxEvent:
    """A message to a merchant about something that is not (yet) a case, e.g. its query."""
    return OutboxEvent(
        case_id=subject_id,
        event_id=f"{key}:notify:{name}",
        kind="notify",
        name=name,
        payload={
            "audience": "merchant",
            "key": key,
            "params": params,
            "to": {"merchant_id": merchant_id},
        },
        created_at=now,
    )


def schedule(case: Case, command: ScheduleCommand, now: datetime) -> OutboxEvent:
    return OutboxEvent(
        case_id=case.case_id,
        event_id=f"v{case.version:06d}:schedule",
        kind="schedule",
        name=command.action.value,
        payload={
            "action": command.action.value,
            "gen": command.gen,
            "epoch": command.epoch,
            "at": to_rfc3339(command.at) if command.at else None,
            "timer": command.timer,
            "due_at": to_rfc3339(command.due_at) if command.due_at else None,
        },
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
