"""The case: a complaint's state, and the records a change to it produces."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .clocks import ClockRun
from .complaint import PaymentRef
from .contact import Contact
from .policy import REGULATORY_DAYS, Category, Deadlines, SlaPolicy
from .proposal import Proposal
from .schedule import ScheduleState


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    INVESTIGATING = "investigating"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_MERCHANT = "waiting_merchant"
    NEGOTIATING = "negotiating"
    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    SECOND_REVIEW = "second_review"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


FINAL_STATUSES = frozenset({Status.CLOSED, Status.WITHDRAWN})
OPEN_STATUSES = frozenset(Status) - FINAL_STATUSES


class Visibility(StrEnum):
    PUBLIC = "public"  # the customer sees it
    INTERNAL = "internal"  # staff only


@dataclass(frozen=True)
class TimelineEntry:
    """An immutable step in a case's history."""

    case_id: str
    entry_id: str  # ULID: sorts by time
    at: datetime
    type: str
    actor: str  # "customer", "system", "staff:<id>", "merchant:<id>"
    visibility: Visibility
    text: str | None = None  # free text written by a person, shown as-is
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerWait:
    """Asked for more information: remind after 3 working days, close after 5."""

    since: datetime
    remind_at: datetime
    close_at: datetime
    request: str


@dataclass(frozen=True)
class SecondReview:
    """Round 2 (二次协商): opened by the customer's objection, on its own clock."""

    opened_at: datetime
    reason: str
    first_response_due: datetime
    resolution_due: datetime
    first_response_at: datetime | None = None  # the reviewer's first action on round 2


@dataclass(frozen=True)
class Case:
    case_id: str
    case_number: str
    category: Category
    status: Status
    description: str
    channel: str
    contact: Contact
    payment: PaymentRef | None
    created_at: datetime
    updated_at: datetime
    deadlines: Deadlines
    policy_version: int
    access_token_hash: str
    version: int = 1
    assignee: str | None = None
    sla_fired: frozenset[str] = frozenset()
    schedule: ScheduleState = field(default_factory=ScheduleState)
    last_public_update_at: datetime | None = None
    # When the resolution clock stopped for good (resolved, unresolved or withdrawn).
    resolved_at: datetime | None = None
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    waiting: CustomerWait | None = None  # while in waiting_customer
    round: int = 1  # 2 once the customer objected: the second review
    # Staff who acted on the case in round 1; none of them may decide its second review.
    handlers: frozenset[str] = frozenset()
    proposal: Proposal | None = None  # the latest proposal, whatever became of it
    second_review: SecondReview | None = None
    rating: int | None = None
    # Derived for the staff queue on every write: the deadline that makes the case urgent, and
    # when 80% of that clock's working time is used.
    due_at: datetime | None = None
    at_risk_at: datetime | None = None
    # The SLA policy the case was opened under (a later edit does not move its deadlines).
    policy: SlaPolicy | None = None
    # The round-1 resolution clock, paused while waiting for the customer.
    resolution_run: ClockRun | None = None
    # The merchant's response clock while waiting for the merchant.
    merchant_run: ClockRun | None = None
    # The outer limit in calendar days after acceptance; supervisors may extend it to 30.
    regulatory_days: int = REGULATORY_DAYS
    # When messages held back (quiet hours, a retry after a fault) are next due to go out.
    messages_due_at: datetime | None = None
    # The incident the case is one of the complaints of (domain/incident.py), and its title.
    incident_id: str | None = None
    incident_title: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def merchant_id(self) -> str | None:
        return self.payment.merchant_id if self.payment else None

    def evolve(self, **changes: Any) -> Case:
        return replace(self, **changes)
