"""What the ports hand back that is not a case: staff members, merchants, queued failures (the
delivery log's `Notification` lives in chalicelib.domain.delivery)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    name: str
    role: str
    team: str | None = None
    email: str | None = None  # where SLA warnings, escalations and assignments go
    active: bool = True  # a deactivated member's token is gone; their cases stay assigned


@dataclass(frozen=True)
class Merchant:
    merchant_id: str
    name: str
    email: str | None
    phone: str | None
    sealed_secret: str
    created_at: datetime
    language: str = "zh-CN"  # what the merchant reads: its emails and the API's texts
    # After a rotation, the secret it replaced signs requests until `previous_valid_until`.
    previous_sealed_secret: str | None = None
    previous_valid_until: datetime | None = None


@dataclass(frozen=True)
class QueuedFailure:
    """A message in a failure queue: what an asynchronous invocation was given, once its
    retries ran out."""

    receipt: str
    body: str


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit trail: who did what, when, to which case or account. Written once,
    never changed; `detail` holds no personal data (a search's query is masked)."""

    entry_id: str  # a ULID: sorts by time
    at: datetime
    actor: str  # a staff_id
    action: str
    case_id: str | None = None
    target: str | None = None  # the staff member or merchant a credential change is about
    detail: dict[str, Any] = field(default_factory=dict)
