"""The records of a change: everything one state change writes, committed by the store as ONE
DynamoDB transaction (`Changes`), and what a change claims, counts or queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.case import Case, TimelineEntry
from chalicelib.domain.evidence import Evidence
from chalicelib.domain.outbox import OutboxEvent
from chalicelib.services.entities import AuditEntry, Merchant, StaffMember

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
class StaffUpdate:
    """A member's token replaced (`new_token_hash`) or taken away (None, with `member.active`
    false), on condition that the token is still `old_token_hash`: the old token stops
    working in the same transaction, and two changes racing on one member cannot both win."""

    member: StaffMember
    old_token_hash: str
    new_token_hash: str | None


@dataclass(frozen=True)
class SecretRotation:
    """A merchant's signing secret replaced, on condition that it is still the one read; the
    previous secret stays valid until `merchant.previous_valid_until`."""

    merchant: Merchant
    replaced_sealed_secret: str


@dataclass(frozen=True)
class Lookup:
    """A case found by a search key (`phone#<keyed hash>`, `email#<keyed hash>`,
    `order#<order id>`): the search index, written with the case."""

    key: str
    case_id: str
    created_at: datetime


@dataclass(frozen=True)
class KeyCount:
    """Add one to a counter unless it already reached `limit`."""

    key: str
    limit: int
    expires_at: datetime | None = None


@dataclass(frozen=True)
class KeyAppend:
    """Add `entry` to the end of the list a key holds (its `entries`), making the key if it does
    not exist. Not in the same change as a claim or put of the same key."""

    key: str
    entry: dict[str, Any]
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
    # Keys that must not exist when the transaction commits, or it fails with KeyTaken: what
    # the change relied on is still current (a directory's next version was not written).
    absent: list[str] = field(default_factory=list)
    releases: list[str] = field(default_factory=list)
    key_puts: list[KeyClaim] = field(default_factory=list)  # written whether held or not
    counters: list[KeyCount] = field(default_factory=list)
    appends: list[KeyAppend] = field(default_factory=list)
    # A payment's new events, conditional on the version they were read at (0: new payment).
    payments: list[PaymentRecord] = field(default_factory=list)
    queries: list[PaymentQuery] = field(default_factory=list)
    # New accounts; a merchant id that exists is KeyTaken("merchant#<id>").
    staff: list[NewStaff] = field(default_factory=list)
    merchants: list[Merchant] = field(default_factory=list)
    # Files of a case as they are now (new or changed), written with the case's own change.
    evidence: list[Evidence] = field(default_factory=list)
    staff_updates: list[StaffUpdate] = field(default_factory=list)
    merchant_secrets: list[SecretRotation] = field(default_factory=list)
    lookups: list[Lookup] = field(default_factory=list)  # the search index (search.py)
    # Appended to the audit trail in the same transaction (chalicelib/services/audit.py).
    audit: list[AuditEntry] = field(default_factory=list)


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
