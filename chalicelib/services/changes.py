"""The records of a change: everything one state change writes, committed by the store as ONE
DynamoDB transaction (`Changes`), and what a change claims, counts or queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.case import Case, TimelineEntry
from chalicelib.domain.evidence import Evidence
from chalicelib.domain.outbox import OutboxEvent
from chalicelib.services.entities import Merchant, StaffMember

if TYPE_CHECKING:  # the ledger loads with the first payment call, not at cold start
    from chalicelib.domain.ledger import PaymentEvent
    from chalicelib.domain.verdicts import PaymentQuery


@dataclass(frozen=True)
class KeyClaim:
    """Hold `key` (uniqueness, idempotency, dedup) unless someone holds it and it has not
    expired."""

    key: str
    value: dict[str, Any]
    expires_at: datetime | None = None


@dataclass(frozen=True)
class PaymentRecord:
    """A payment's events as stored, and the version they were read at."""

    transaction_id: str
    events: tuple[PaymentEvent, ...]
    version: int = 0


@dataclass(frozen=True)
class NewStaff:
    """A staff member to create, with the hash of their token (the token itself is shown once
    and never stored)."""

    member: StaffMember
    token_hash: str


@dataclass(frozen=True)
class KeyCount:
    """Add one to a counter unless it already reached `limit`."""

    key: str
    limit: int
    expires_at: datetime | None = None


@dataclass
class Changes:
    """Everything one state change writes, committed as ONE DynamoDB transaction."""

    now: datetime
    new_cases: list[Case] = field(default_factory=list)
    # (case with its new content, the version it was read at)
    updated_cases: list[tuple[Case, int]] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    events: list[OutboxEvent] = field(default_factory=list)
    claims: list[KeyClaim] = field(default_factory=list)
    releases: list[str] = field(default_factory=list)
    key_puts: list[KeyClaim] = field(default_factory=list)  # written whether held or not
    counters: list[KeyCount] = field(default_factory=list)
    # A payment's new events, conditional on the version they were read at (0: new payment).
    payments: list[PaymentRecord] = field(default_factory=list)
    queries: list[PaymentQuery] = field(default_factory=list)
    # New accounts; a merchant id that exists is KeyTaken("merchant#<id>").
    staff: list[NewStaff] = field(default_factory=list)
    merchants: list[Merchant] = field(default_factory=list)
    # Files of a case as they are now (new or changed), written with the case's own change.
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class CaseQuery:
    status: str | None = None
    category: str | None = None
    assignee: str | None = None
    merchant_id: str | None = None
    sla: str | None = None  # "at_risk" | "breached", judged at `now`
    now: datetime | None = None
    limit: int = 50
    start: dict[str, Any] | None = None
