"""What the ports hand back that is not a case: staff members, merchants, queued failures (the
delivery log's `Notification` lives in chalicelib.domain.delivery)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    name: str
    role: str
    team: str | None = None
    email: str | None = None  # where SLA warnings, escalations and assignments go


@dataclass(frozen=True)
class Merchant:
    merchant_id: str
    name: str
    email: str | None
    phone: str | None
    sealed_secret: str
    created_at: datetime
    language: str = "zh-CN"  # what the merchant reads: its emails and the API's texts


@dataclass(frozen=True)
class QueuedFailure:
    """A message in a failure queue: what an asynchronous invocation was given, once its
    retries ran out."""

    receipt: str
    body: str
