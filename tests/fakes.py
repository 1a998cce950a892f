"""In-memory fakes of the ports. They record what was sent instead of mocking calls, and keep
the same contracts as the AWS adapters (tests/contracts.py runs against both)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.case import Case, TimelineEntry, Visibility
from chalicelib.domain.complaint import PaymentRef
from chalicelib.domain.delivery import CLAIMABLE, DeliveryStatus, Notification
from chalicelib.domain.errors import VersionConflict
from chalicelib.domain.evidence import Evidence
from chalicelib.domain.outbox import OutboxEvent
from chalicelib.domain.verdicts import PaymentQuery
from chalicelib.services.changes import CaseQuery, Changes, PaymentRecord
from chalicelib.services.entities import AuditEntry, Merchant, QueuedFailure, StaffMember
from chalicelib.services.ports import (
    DeliveryUnknown,
    KeyTaken,
    LimitReached,
    ScheduleExists,
    ScheduleMissing,
)


class FakeStore:
    """All-or-nothing commits with the same conditions as the DynamoDB transaction."""

    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}
        self.timelines: dict[str, list[TimelineEntry]] = {}
        self.events: dict[tuple[str, str], tuple[OutboxEvent, datetime | None]] = {}
        self.keys: dict[str, tuple[dict[str, Any], datetime | None]] = {}
        self.counters: dict[str, int] = {}
        self.payments: dict[str, PaymentRecord] = {}
        self.queries: dict[str, PaymentQuery] = {}
        self.staff: dict[str, tuple[StaffMember, str]] = {}  # by staff_id: (member, token hash)
        self.merchants: dict[str, Merchant] = {}
        self.audit: list[AuditEntry] = []
        self.lookups: dict[tuple[str, str], datetime] = {}  # (lookup key, case_id)
        # Outbox state beside `events` (event, done_at): when each is due, and given-up ones.
        self.due: dict[tuple[str, str], datetime] = {}
        self.failed: dict[tuple[str, str], datetime] = {}
        self.evidence: dict[tuple[str, str], Evidence] = {}
        self.commits = 0

    def commit(self, changes: Changes) -> None:
        self._check(changes)
        self._apply(changes)

    def _check(self, changes: Changes) -> None:
        for counter in changes.counters:
            held = self.counters.get(counter.key, 0)
            if held >= counter.limit:
                raise LimitReached(counter.key)
        for claim in changes.claims:
            held = self.keys.get(claim.key)
            if held is not None and (held[1] is None or held[1] >= changes.now):
                raise KeyTaken(claim.key, copy.deepcopy(held[0]))
        for key in changes.absent:
            if key in self.keys:
                raise KeyTaken(key, {})
        for merchant in changes.merchants:
            if merchant.merchant_id in self.merchants:
                raise KeyTaken(f"merchant#{merchant.merchant_id}", {})
        self._check_accounts(changes)
        self._check_versions(changes)

    def _check_accounts(self, changes: Changes) -> None:
        for update in changes.staff_updates:
            held = self.staff.get(update.member.staff_id)
            if held is None or held[1] != update.old_token_hash:
                raise VersionConflict()
        for rotation in changes.merchant_secrets:
            stored = self.merchants.get(rotation.merchant.merchant_id)
            if stored is None or stored.sealed_secret != rotation.replaced_sealed_secret:
                raise VersionConflict()

    def _check_versions(self, changes: Changes) -> None:
        for case in changes.new_cases:
            if case.case_id in self.cases:
                raise VersionConflict()
        for case, read_version in changes.updated_cases:
            stored = self.cases.get(case.case_id)
            if stored is None or stored.version != read_version:
                raise VersionConflict()
        for record in changes.payments:
            held = self.payments.get(record.transaction_id)
            if (held.version if held else 0) != record.version:
                raise VersionConflict()

    def _apply(self, changes: Changes) -> None:
        self.commits += 1
        self._apply_counts(changes)
        for put in changes.key_puts:
            self.keys[put.key] = (copy.deepcopy(put.value), put.expires_at)
        for key in changes.releases:
            self.keys.pop(key, None)
        for claim in changes.claims:
            self.keys[claim.key] = (copy.deepcopy(claim.value), claim.expires_at)
        for case in changes.new_cases:
            self.cases[case.case_id] = replace(case, version=1)
        for case, read_version in changes.updated_cases:
            self.cases[case.case_id] = replace(case, version=read_version + 1)
        for entry in changes.timeline:
            self.timelines.setdefault(entry.case_id, []).append(entry)
        for event in changes.events:
            self.events[(event.subject.key, event.event_id)] = (event, None)
            self.due[(event.subject.key, event.event_id)] = event.created_at
        self._apply_ledger(changes)
        self._apply_accounts(changes)
        for evidence in changes.evidence:
            self.evidence[(evidence.case_id, evidence.evidence_id)] = evidence

    def _apply_counts(self, changes: Changes) -> None:
        for counter in changes.counters:
            self.counters[counter.key] = self.counters.get(counter.key, 0) + 1
        for append in changes.appends:
            value, expires = self.keys.get(append.key, ({}, None))
            entries = [*value.get("entries", []), copy.deepcopy(append.entry)]
            self.keys[append.key] = ({**value, "entries": entries}, append.expires_at or expires)

    def _apply_accounts(self, changes: Changes) -> None:
        for new in changes.staff:
            self.staff[new.member.staff_id] = (new.member, new.token_hash)
        for update in changes.staff_updates:
            self.staff[update.member.staff_id] = (
                update.member,
                update.new_token_hash or update.old_token_hash,
            )
        for merchant in changes.merchants:
            self.merchants[merchant.merchant_id] = merchant
        for rotation in changes.merchant_secrets:
            self.merchants[rotation.merchant.merchant_id] = rotation.merchant
        self.audit += changes.audit
        for lookup in changes.lookups:
            self.lookups[(lookup.key, lookup.case_id)] = lookup.created_at

    def _apply_ledger(self, changes: Changes) -> None:
        for record in changes.payments:
            self.payments[record.transaction_id] = replace(record, version=record.version + 1)
        for query in changes.queries:
            self.queries[query.query_id] = query

    def get_case(self, case_id: str) -> Case | None:
        return self.cases.get(case_id)

    # -- EvidenceReads -------------------------------------------------------------------------

    def evidence_of(self, case_id: str) -> list[Evidence]:
        return sorted(
            (e for (cid, _), e in self.evidence.items() if cid == case_id),
            key=lambda e: e.evidence_id,
        )

    def get_evidence(self, case_id: str, evidence_id: str) -> Evidence | None:
        return self.evidence.get((case_id, evidence_id))

    def evidence_due(self, before: datetime, limit: int) -> list[Evidence]:
        due = [e for e in self.evidence.values() if e.sweep_at is not None and e.sweep_at <= before]
        return sorted(due, key=lambda e: e.sweep_at or before)[:limit]

    def timeline(self, case_id: str, *, include_internal: bool) -> list[TimelineEntry]:
        entries = sorted(self.timelines.get(case_id, []), key=lambda e: e.entry_id)
        if include_internal:
            return entries
        return [e for e in entries if e.visibility is Visibility.PUBLIC]

    def get_key(self, key: str) -> dict[str, Any] | None:
        held = self.keys.get(key)
        return copy.deepcopy(held[0]) if held else None

    def get_keys(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        return {k: copy.deepcopy(self.keys[k][0]) for k in keys if k in self.keys}

    def _pending(self, key: tuple[str, str]) -> bool:
        return key in self.events and self.events[key][1] is None and key not in self.failed

    def pending_events(self, due_by: datetime, limit: int) -> list[OutboxEvent]:
        due = [(self.due[k], k) for k in self.events if self._pending(k) and self.due[k] <= due_by]
        return [self.events[k][0] for _, k in sorted(due)][:limit]

    def mark_event_done(self, event: OutboxEvent, at: datetime) -> None:
        key = (event.subject.key, event.event_id)
        if key in self.events:
            self.events[key] = (self.events[key][0], at)

    def mark_events_done(self, events: list[OutboxEvent], at: datetime) -> None:
        for event in events:
            self.mark_event_done(event, at)

    def count_event_failure(self, event: OutboxEvent, error: str) -> int:
        key = (event.subject.key, event.event_id)
        if not self._pending(key):
            return 0
        stored = self.events[key][0]
        failed = replace(stored, attempts=stored.attempts + 1, last_error=error[:500])
        self.events[key] = (failed, None)
        return failed.attempts

    def give_up_event(self, event: OutboxEvent, at: datetime) -> None:
        key = (event.subject.key, event.event_id)
        if self._pending(key):
            self.failed[key] = at

    def postpone_event(self, event: OutboxEvent, until: datetime) -> None:
        key = (event.subject.key, event.event_id)
        if self._pending(key):
            self.due[key] = until

    def failed_events(
        self, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[OutboxEvent], dict[str, Any] | None]:
        keys = sorted(self.failed, key=lambda k: (self.failed[k], k), reverse=True)
        return _offset_page([self.events[k][0] for k in keys], limit, start)

    def retry_failed_event(self, case_id: str, event_id: str, at: datetime) -> OutboxEvent | None:
        key = (case_id, event_id)
        if key not in self.failed:
            return None
        del self.failed[key]
        event = replace(self.events[key][0], attempts=0)
        self.events[key], self.due[key] = (event, None), at
        return event

    def list_cases(self, query: CaseQuery) -> tuple[list[Case], dict[str, Any] | None]:
        def matches(c: Case) -> bool:
            wanted = (
                (query.status, c.status.value),
                (query.category, c.category.value),
                (query.assignee, c.assignee),
                (query.merchant_id, c.merchant_id),
            )
            if any(want is not None and want != have for want, have in wanted):
                return False
            if not query.status and not c.is_open:
                return False  # without a status, the queue holds open cases only
            if query.sla and query.now is not None:
                if not c.is_open or c.due_at is None:
                    return False
                if query.sla == "breached":
                    return c.due_at < query.now
                return (
                    c.due_at >= query.now and c.at_risk_at is not None and c.at_risk_at <= query.now
                )
            return True

        found = sorted((c for c in self.cases.values() if matches(c)), key=_index_order)
        return _offset_page(found, query.limit, query.start)

    def cases_of_merchant(
        self, merchant_id: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Case], dict[str, Any] | None]:
        found = [c for c in self.cases.values() if c.merchant_id == merchant_id]
        return _offset_page(sorted(found, key=_index_order), limit, start)

    def cases_of_contact(
        self, contact_key: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Case], dict[str, Any] | None]:
        from chalicelib.domain.contact import contact_key as key_of

        found = [c for c in self.cases.values() if key_of(c.contact) == contact_key]
        found.sort(key=lambda c: c.created_at, reverse=True)
        return _offset_page(found, limit, start)

    def cases_of_incident(
        self, incident_id: str, *, open_only: bool, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[str], dict[str, Any] | None]:
        from chalicelib.domain.incident import OUTCOME_STATUSES

        found = sorted(
            c.case_id
            for c in self.cases.values()
            if c.incident_id == incident_id
            and not (open_only and c.status in OUTCOME_STATUSES)
            and (start is None or c.case_id > start["after"])
        )
        # Keyed by the last id, as DynamoDB's is: cases leaving the open set skip nothing.
        page = found[:limit]
        return page, ({"after": page[-1]} if len(found) > limit else None)

    def count_incident_cases(self, incident_id: str) -> tuple[int, int]:
        linked, _ = self.cases_of_incident(incident_id, open_only=False, limit=10**6, start=None)
        waiting, _ = self.cases_of_incident(incident_id, open_only=True, limit=10**6, start=None)
        return len(linked), len(waiting)

    def due_wakeups(self, before: datetime, limit: int) -> list[tuple[str, datetime]]:
        due = [
            (c.case_id, c.schedule.live_at)
            for c in self.cases.values()
            # A closed case still wakes to release the messages it holds (quiet hours).
            if (c.is_open or c.messages_due_at is not None)
            and c.schedule.live_at is not None
            and c.schedule.live_at <= before
        ]
        return sorted(due, key=lambda item: item[1])[:limit]  # type: ignore[arg-type,return-value]


class FakePaymentStore:
    """Reads the payment ledger and the queries a FakeStore's commits wrote."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self._store = store or FakeStore()

    def get_payment(self, transaction_id: str) -> PaymentRecord | None:
        return self._store.payments.get(transaction_id)

    def payment_by_order(self, merchant_id: str, order_id: str) -> PaymentRecord | None:
        for record in self._store.payments.values():
            first = record.events[0]
            if first.merchant_id == merchant_id and any(
                e.order_id == order_id for e in record.events
            ):
                return record
        return None

    def cases_of_payment(
        self, transaction_id: str, merchant_id: str, order_id: str | None
    ) -> list[Case]:
        def names_it(p: PaymentRef | None) -> bool:
            if p is None:
                return False
            if p.transaction_id:
                return p.transaction_id == transaction_id
            return bool(order_id) and (p.merchant_id, p.order_id) == (merchant_id, order_id)

        cases = sorted(self._store.cases.values(), key=lambda c: c.case_id)
        return [c for c in cases if names_it(c.payment)]

    def get_query(self, query_id: str) -> PaymentQuery | None:
        return self._store.queries.get(query_id)

    def open_queries(self, ref: str) -> list[PaymentQuery]:
        return [
            q
            for q in sorted(self._store.queries.values(), key=lambda q: q.query_id)
            if q.open and q.refs[:1] == [ref]
        ]


def _index_order(c: Case) -> tuple[datetime, str]:
    """The indexes' order: an open case by its deadline, a finished one by when it ended."""
    at = c.due_at if c.is_open else (c.closed_at or c.updated_at)
    return (at or c.created_at, c.case_id)


def _offset_page(
    items: list[Any], limit: int, start: dict[str, Any] | None
) -> tuple[list[Any], dict[str, Any] | None]:
    offset = int(start["offset"]) if start else 0
    page = items[offset : offset + limit]
    more = offset + limit < len(items)
    return page, ({"offset": offset + limit} if more else None)


class FakeNotificationLog:
    """The delivery log with the DynamoDB adapter's conditions (tests/contracts.py)."""

    def __init__(self) -> None:
        self.items: dict[str, Notification] = {}

    def create(self, notification: Notification) -> Notification:
        if notification.notification_id not in self.items:
            self.items[notification.notification_id] = copy.deepcopy(notification)
        return copy.deepcopy(self.items[notification.notification_id])

    def create_claimed(self, notification: Notification) -> bool:
        if notification.notification_id in self.items:
            return False
        self.items[notification.notification_id] = copy.deepcopy(notification)
        return True

    def get(self, notification_id: str) -> Notification | None:
        item = self.items.get(notification_id)
        return copy.deepcopy(item) if item else None

    def claim(self, notification_id: str, now: datetime, lease_seconds: int) -> Notification | None:
        n = self.items.get(notification_id)
        if n is None:
            return None
        due = n.next_attempt_at is None or n.next_attempt_at <= now
        if not (n.status in CLAIMABLE and due):
            return None
        n.status, n.lease_until = DeliveryStatus.SENDING, now + timedelta(seconds=lease_seconds)
        n.attempts += 1
        n.attempted_at = n.updated_at = now
        return copy.deepcopy(n)

    def reset(
        self, notification_id: str, now: datetime, status: DeliveryStatus, attempts: int
    ) -> Notification | None:
        n = self.items.get(notification_id)
        if n is None or (n.status, n.attempts) != (status, attempts):
            return None
        n.status, n.attempts, n.updated_at = DeliveryStatus.QUEUED, 0, now
        n.next_attempt_at = n.lease_until = None
        return copy.deepcopy(n)

    def save_outcome(self, notification: Notification) -> bool:
        stored = self.items[notification.notification_id]
        under_claim = (
            stored.status == DeliveryStatus.SENDING
            and stored.lease_until == notification.lease_until
        )
        late_answer = (
            notification.status == DeliveryStatus.SENT
            and stored.status == DeliveryStatus.UNKNOWN
            and stored.attempts == notification.attempts
        )
        if not (under_claim or late_answer):
            return False
        self.items[notification.notification_id] = replace(
            copy.deepcopy(notification), lease_until=None
        )
        return True

    def replace(self, notification: Notification, expected: Notification) -> bool:
        stored = self.items[notification.notification_id]
        if (stored.status, stored.attempts, stored.lease_until) != (
            expected.status,
            expected.attempts,
            expected.lease_until,
        ):
            return False
        self.items[notification.notification_id] = copy.deepcopy(notification)
        return True

    def awaiting_receipt(
        self, receipt_key: str, start: datetime, end: datetime
    ) -> list[Notification]:
        return [
            copy.deepcopy(n)
            for n in self.items.values()
            if n.receipt_key == receipt_key
            and n.attempted_at is not None
            and start <= n.attempted_at <= end
        ]

    def for_case(
        self, case_id: str, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[Notification], dict[str, Any] | None]:
        items = sorted(
            (n for n in self.items.values() if n.case_id == case_id),
            key=lambda n: (n.created_at, n.notification_id),
        )
        return _page(items, limit, cursor)

    def by_status(
        self, status: str, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[Notification], dict[str, Any] | None]:
        items = sorted(
            (n for n in self.items.values() if n.status == status),
            key=lambda n: (n.created_at, n.notification_id),
            reverse=True,
        )
        return _page(items, limit, cursor)


def _page(
    items: list[Notification], limit: int, cursor: dict[str, Any] | None
) -> tuple[list[Notification], dict[str, Any] | None]:
    start = int(cursor["offset"]) if cursor else 0
    page = items[start : start + limit]
    more = start + limit < len(items)
    return [copy.deepcopy(n) for n in page], ({"offset": start + limit} if more else None)


class FakeScheduler:
    """Live schedules by name, and every call made."""

    def __init__(self) -> None:
        self.schedules: dict[str, tuple[datetime, dict[str, Any]]] = {}
        self.calls: list[tuple[str, str]] = []

    def create(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        self.calls.append(("create", name))
        if name in self.schedules:
            raise ScheduleExists(name)
        self.schedules[name] = (at, dict(payload))

    def update(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        self.calls.append(("update", name))
        if name not in self.schedules:
            raise ScheduleMissing(name)
        self.schedules[name] = (at, dict(payload))

    def delete(self, name: str) -> None:
        self.calls.append(("delete", name))
        if self.schedules.pop(name, None) is None:
            raise ScheduleMissing(name)

    def due(self, now: datetime) -> list[tuple[str, dict[str, Any]]]:
        items = sorted(self.schedules.items(), key=lambda item: item[1][0])
        return [(name, payload) for name, (at, payload) in items if at <= now]

    def fire_due(self, now: datetime, handler: Any) -> int:
        """What EventBridge does: invoke, then delete (ActionAfterCompletion DELETE)."""
        fired = 0
        for name, payload in self.due(now):
            handler(payload)
            self.schedules.pop(name, None)
            fired += 1
        return fired


class AnswerLost(DeliveryUnknown):
    """A send the provider accepted whose answer never came back: the fake records the message
    as sent, then raises (a DeliveryUnknown that is not AnswerLost sent nothing)."""

    def __init__(self, reason: str = "ReadTimeoutError") -> None:
        super().__init__(reason)


class FakeSms:
    """SNS SMS: what it accepted, in order. `failures` are raised by the next sends."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failures = list(failures or [])
        self.calls = 0

    def send_sms(self, phone: str, text: str) -> str:
        self.calls += 1
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None and not isinstance(failure, AnswerLost):
            raise failure
        self.sent.append((phone, text))
        if failure is not None:
            raise failure
        return f"sms-{len(self.sent)}"


class FakeEmail:
    """SES: what it accepted, with the reference each message was tagged with."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.sent: list[dict[str, str]] = []
        self.failures = list(failures or [])
        self.calls = 0

    def send_email(self, to: str, subject: str, text: str, html: str, *, reference: str) -> str:
        self.calls += 1
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None and not isinstance(failure, AnswerLost):
            raise failure
        message = {"to": to, "subject": subject, "text": text, "html": html}
        self.sent.append({**message, "reference": reference})
        if failure is not None:
            raise failure
        return f"email-{len(self.sent)}"


class FakeStaffDirectory:
    """Reads the staff members a FakeStore's commits created."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self._store = store or FakeStore()

    def _members(self) -> list[StaffMember]:
        return [member for member, _ in self._store.staff.values()]

    def by_token_hash(self, token_hash: str) -> StaffMember | None:
        # A deactivated member's token is gone, as the DynamoDB adapter deletes its key.
        for member, held in self._store.staff.values():
            if held == token_hash and member.active:
                return replace(member, active=True)
        return None

    def token_hash_of(self, staff_id: str) -> str | None:
        held = self._store.staff.get(staff_id)
        return held[1] if held else None

    def members(self, staff_ids: list[str]) -> dict[str, StaffMember]:
        return {i: self._store.staff[i][0] for i in staff_ids if i in self._store.staff}

    def get(self, staff_id: str) -> StaffMember | None:
        return next((m for m in self._members() if m.staff_id == staff_id), None)

    def by_role(self, role: str) -> list[StaffMember]:
        return sorted((m for m in self._members() if m.role == role), key=lambda m: m.staff_id)


class FakeMetricsStore:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.applied: set[str] = set()

    def apply(
        self, change_id: str, day: str, add: dict[str, int], samples: dict[str, list[float]]
    ) -> bool:
        if change_id in self.applied:
            return False
        self.applied.add(change_id)
        item = self.items.setdefault(day, {"day": day})
        for name, amount in add.items():
            item[name] = item.get(name, 0) + amount
        for name, values in samples.items():
            item[name] = [*item.get(name, []), *values]
        return True

    def days(self, days: list[str]) -> list[dict[str, Any]]:
        return [copy.deepcopy(self.items[d]) for d in sorted(days) if d in self.items]


class FakeMerchantDirectory:
    """Reads the merchants a FakeStore's commits registered."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self._store = store or FakeStore()

    def get(self, merchant_id: str) -> Merchant | None:
        return self._store.merchants.get(merchant_id)


class FakeFailureQueue:
    """A failure queue: messages stay until deleted."""

    def __init__(self, bodies: list[str] | None = None) -> None:
        self.messages: dict[str, str] = {str(n): b for n, b in enumerate(bodies or [])}

    def receive(self, limit: int) -> list[QueuedFailure]:
        return [QueuedFailure(k, v) for k, v in list(self.messages.items())[:limit]]

    def delete(self, failure: QueuedFailure) -> None:
        self.messages.pop(failure.receipt, None)


class FakeEvidenceStorage:
    """Evidence objects in memory, by key; presigned URLs that name the key and the rules."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str, dict[str, str]]] = {}  # data, type, tags

    def presign_upload(self, key: str, content_type: str, expires_in: int) -> dict[str, Any]:
        fields = {"key": key, "Content-Type": content_type, "policy": f"expires-in-{expires_in}"}
        return {"url": "https://evidence.invalid/", "fields": fields}

    def inspect(self, key: str, head_bytes: int, *, digest: bool) -> Any:
        import hashlib

        from chalicelib.domain.evidence import StoredObject

        if key not in self.objects:
            return None
        data = self.objects[key][0]
        sha = hashlib.sha256(data).hexdigest() if digest else None
        return StoredObject(len(data), data[:head_bytes], sha)

    def promote(self, source: str, target: str) -> None:
        data, content_type, _ = self.objects[source]
        self.objects[target] = (data, content_type, {})

    def scan_tag(self, key: str) -> str | None:
        held = self.objects.get(key)
        return held[2].get("GuardDutyMalwareScanStatus") if held else None

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def presign_download(self, key: str, filename: str, content_type: str, expires_in: int) -> str:
        return f"https://evidence.invalid/{key}?expires-in={expires_in}"


class FakeAuditLog:
    """Reads the audit entries a FakeStore's commits appended."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self._store = store or FakeStore()

    def entries(
        self,
        *,
        actor: str | None,
        case_id: str | None,
        now: datetime,
        limit: int,
        start: dict[str, Any] | None,
    ) -> tuple[list[AuditEntry], dict[str, Any] | None]:
        found = [
            e
            for e in self._store.audit
            if (actor is None or e.actor == actor) and (case_id is None or e.case_id == case_id)
        ]
        found.sort(key=lambda e: e.entry_id, reverse=True)
        return _offset_page(found, limit, start)


class FakeSearchIndex:
    """The search index a FakeStore's commits wrote, and its cases."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self._store = store or FakeStore()

    def case_ids(self, lookup: str, limit: int) -> list[str]:
        ids = [case_id for key, case_id in self._store.lookups if key == lookup]
        return sorted(ids, reverse=True)[:limit]

    def case_ids_of_transaction(self, transaction_id: str, limit: int) -> list[str]:
        ids = [
            c.case_id
            for c in self._store.cases.values()
            if c.payment is not None and c.payment.transaction_id == transaction_id
        ]
        return sorted(ids, reverse=True)[:limit]

    def cases(self, case_ids: list[str]) -> list[Case]:
        return [self._store.cases[i] for i in case_ids if i in self._store.cases]

    def every_case(
        self, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Case], dict[str, Any] | None]:
        return _offset_page(
            sorted(self._store.cases.values(), key=lambda c: c.case_id), limit, start
        )
