"""Ports: what the use cases need from the outside world, as small Protocols, and the errors
they raise.

Adapters in `chalicelib.adapters` implement them on AWS; `tests/fakes.py` implements them in
memory. Adapters translate AWS errors into the exceptions below or into domain errors. What a
change writes is in `changes.py`; the accounts and records the ports hand back in
`entities.py`; the ports of files, the audit trail and search in `desk_ports.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.case import Case, TimelineEntry
from chalicelib.domain.delivery import DeliveryStatus, Notification
from chalicelib.domain.outbox import OutboxEvent
from chalicelib.services.changes import CaseQuery, Changes, PaymentRecord
from chalicelib.services.entities import Merchant, QueuedFailure, StaffMember

if TYPE_CHECKING:  # the ledger loads with the first payment call, not at cold start
    from chalicelib.domain.verdicts import PaymentQuery


class KeyTaken(Exception):
    """A uniqueness or idempotency key is already held; `value` is what its holder stored."""

    def __init__(self, key: str, value: dict[str, Any] | None) -> None:
        super().__init__(key)
        self.key = key
        self.value = value or {}


class LimitReached(Exception):
    """A counter in a change reached its limit (rate limits, attempts)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class ScheduleExists(Exception):
    pass


class ScheduleMissing(Exception):
    pass


class ScheduleInPast(Exception):
    """Scheduler refused a one-time schedule because its time has passed."""


class DeliveryFailed(Exception):
    """A message was not accepted. `permanent` failures are not retried on the same channel;
    one `refused_for_now` (throttled for rate, or no connection made) never reached the provider
    as an attempt and does not use up the message's attempts."""

    def __init__(self, reason: str, *, permanent: bool, refused_for_now: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.refused_for_now = refused_for_now


class DeliveryUnknown(Exception):
    """The provider may have accepted the message: the request went out and no answer came
    back (a read timeout, a connection closed mid-answer, a server error). It must not be sent
    again blindly."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transactions(Protocol):
    """Writes a change as one transaction."""

    def commit(self, changes: Changes) -> None:
        """All or nothing. Raises KeyTaken for a held claim, LimitReached for a full counter,
        VersionConflict when a case changed since it was read (or a new case id exists),
        Unavailable when the store is overloaded."""
        ...


class CaseReads(Protocol):
    """Cases and their timelines, read through the table and its indexes."""

    def list_cases(self, query: CaseQuery) -> tuple[list[Case], dict[str, Any] | None]:
        """A page of cases matching `query`, most urgent first, read through an index. Without
        a status only open cases match; with one, that status's cases (closed and withdrawn
        ones are found this way). An SLA filter matches open cases only."""
        ...

    def cases_of_merchant(
        self, merchant_id: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Case], dict[str, Any] | None]:
        """Every case that names a merchant, open or finished: an open case ordered by its
        deadline, a finished one by when it ended."""
        ...

    def cases_of_contact(
        self, contact_key: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Case], dict[str, Any] | None]:
        """A contact's cases, newest first."""
        ...

    def get_case(self, case_id: str) -> Case | None: ...

    def cases_of_incident(
        self, incident_id: str, *, open_only: bool, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[str], dict[str, Any] | None]:
        """A page of the ids of an incident's linked cases, by id; `open_only`: those still
        waiting for an outcome (not resolved, unresolved, closed or withdrawn)."""
        ...

    def count_incident_cases(self, incident_id: str) -> tuple[int, int]:
        """(linked cases, those still waiting for an outcome), read through the index (it may
        lag a write by a moment)."""
        ...

    def timeline(self, case_id: str, *, include_internal: bool) -> list[TimelineEntry]: ...

    def due_wakeups(self, before: datetime, limit: int) -> list[tuple[str, datetime]]:
        """(case_id, wake-up time), soonest first, of the cases whose next wake-up is at or
        before `before`: open cases, and closed ones still holding messages (messages_due_at)
        that their wake-up releases."""
        ...


class KeyReads(Protocol):
    """The keys changes claim or put: uniqueness, idempotency, sessions, one-time codes,
    nonces, opt-outs, policies and calendars."""

    def get_key(self, key: str) -> dict[str, Any] | None: ...

    def get_keys(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The values of those of `keys` that exist (one batched read)."""
        ...


class OutboxStore(Protocol):
    """The outbox's events: which are due, which are done, which failed."""

    def pending_events(self, due_by: datetime, limit: int) -> list[OutboxEvent]:
        """Outbox events not yet handled and due by `due_by` (created then, or at the end of
        their back-off), the longest due first."""
        ...

    def mark_event_done(self, event: OutboxEvent, at: datetime) -> None: ...

    def mark_events_done(self, events: list[OutboxEvent], at: datetime) -> None:
        """`mark_event_done` of each, in as few requests as the store can."""
        ...

    def count_event_failure(self, event: OutboxEvent, error: str) -> int:
        """Count a failed attempt of a pending event; returns its failed attempts so far (0 for
        an event no longer pending)."""
        ...

    def give_up_event(self, event: OutboxEvent, at: datetime) -> None:
        """Out of the pending events and into `failed_events`."""
        ...

    def postpone_event(self, event: OutboxEvent, until: datetime) -> None:
        """Due again at `until`, without counting an attempt."""
        ...

    def failed_events(
        self, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[OutboxEvent], dict[str, Any] | None]:
        """Events that were given up, the latest first."""
        ...

    def retry_failed_event(self, case_id: str, event_id: str, at: datetime) -> OutboxEvent | None:
        """Make a given-up event pending again with fresh attempts; None if it is not failed."""
        ...


class DeskStore(Transactions, CaseReads, KeyReads, OutboxStore, Protocol):
    """The desk's database: cases, timelines, the outbox and keys, written by one transaction
    per change (payments and accounts are written by it too; their reads are PaymentStore,
    StaffDirectory and MerchantDirectory)."""


class NotificationLog(Protocol):
    def create(self, notification: Notification) -> Notification:
        """Store it unless its id exists; returns the stored record either way."""
        ...

    def create_claimed(self, notification: Notification) -> bool:
        """Store it, already claimed (`rules.first_claim`), unless its id exists: True when
        stored, False (and nothing written) when the id existed."""
        ...

    def get(self, notification_id: str) -> Notification | None: ...

    def claim(self, notification_id: str, now: datetime, lease_seconds: int) -> Notification | None:
        """Take the right to send: only from queued, deferred, failed or unknown, once due
        (`next_attempt_at` passed or unset). The claim counts the attempt (`attempts` + 1) and
        records when it started (`attempted_at`) in the same conditional write. A message whose
        sender's lease ran out is not claimable: its attempt must first be recorded as
        unanswered (`save_outcome` under that lease)."""
        ...

    def save_outcome(self, notification: Notification) -> bool:
        """Record the result of an attempt made under the claim whose lease `notification`
        carries; False (and nothing written) once that claim is no longer the current one. A
        `sent` outcome is also recorded when the attempt was meanwhile marked unanswered and
        not claimed again (a late answer settles it)."""
        ...

    def replace(self, notification: Notification, expected: Notification) -> bool:
        """Write `notification` if the stored one still has `expected`'s status, attempts and
        lease; False otherwise."""
        ...

    def reset(
        self, notification_id: str, now: datetime, status: DeliveryStatus, attempts: int
    ) -> Notification | None:
        """Queue a message again with fresh attempts if it is still in `status` after
        `attempts` attempts; None otherwise."""
        ...

    def awaiting_receipt(
        self, receipt_key: str, start: datetime, end: datetime
    ) -> list[Notification]:
        """SMS that may still get a receipt, by `receipt_key`, whose latest attempt started
        between `start` and `end`."""
        ...

    def for_case(
        self, case_id: str, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[Notification], dict[str, Any] | None]: ...

    def by_status(
        self, status: str, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[Notification], dict[str, Any] | None]: ...


class Scheduler(Protocol):
    def create(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        """Raises ScheduleExists, or ScheduleInPast when `at` has passed."""
        ...

    def update(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        """Raises ScheduleMissing, or ScheduleInPast when `at` has passed."""
        ...

    def delete(self, name: str) -> None:
        """Raises ScheduleMissing."""
        ...


class FailureQueue(Protocol):
    def receive(self, limit: int) -> list[QueuedFailure]: ...

    def delete(self, failure: QueuedFailure) -> None: ...


class SmsSender(Protocol):
    def send_sms(self, phone: str, text: str) -> str:
        """Returns the provider's message id. Raises DeliveryFailed when the message was not
        accepted, DeliveryUnknown when it may have been. Never retries a request that may
        have been delivered."""
        ...


class EmailSender(Protocol):
    def send_email(self, to: str, subject: str, text: str, html: str, *, reference: str) -> str:
        """Returns the provider's message id; the message carries `reference` (its
        notification id) so the provider's events about it can be matched. Raises as
        SmsSender does."""
        ...


class StaffDirectory(Protocol):
    """Staff members as stored (they are created through `Changes.staff`)."""

    def by_token_hash(self, token_hash: str) -> StaffMember | None: ...

    def get(self, staff_id: str) -> StaffMember | None: ...

    def by_role(self, role: str) -> list[StaffMember]:
        """Every member of `role`, deactivated ones included (their `active` says so)."""
        ...

    def token_hash_of(self, staff_id: str) -> str | None:
        """The hash of the member's current token (what a change to it is conditional on)."""
        ...

    def members(self, staff_ids: list[str]) -> dict[str, StaffMember]:
        """Those of `staff_ids` that exist, by id (one batched read)."""
        ...


class PaymentStore(Protocol):
    def get_payment(self, transaction_id: str) -> PaymentRecord | None: ...

    def payment_by_order(self, merchant_id: str, order_id: str) -> PaymentRecord | None: ...

    def cases_of_payment(
        self, transaction_id: str, merchant_id: str, order_id: str | None
    ) -> list[Case]:
        """Cases that name the payment: by its transaction, or by the merchant's order alone."""
        ...

    def get_query(self, query_id: str) -> PaymentQuery | None: ...

    def open_queries(self, ref: str) -> list[PaymentQuery]:
        """Queries still waiting for an answer about `ref` (txn#... or order#merchant#...)."""
        ...


class MetricsStore(Protocol):
    def apply(
        self, change_id: str, day: str, add: dict[str, int], samples: dict[str, list[float]]
    ) -> bool:
        """Apply a change to a day's metrics once: False when `change_id` was applied before."""
        ...

    def days(self, days: list[str]) -> list[dict[str, Any]]:
        """The stored metrics of each day that has any."""
        ...


class SecretBox(Protocol):
    """Encryption at rest for secrets we must read back (merchant signing secrets)."""

    def seal(self, plaintext: bytes, context: dict[str, str]) -> str: ...

    def open(self, sealed: str, context: dict[str, str]) -> bytes: ...


class MerchantDirectory(Protocol):
    """Merchants as stored (they are registered through `Changes.merchants`)."""

    def get(self, merchant_id: str) -> Merchant | None: ...
