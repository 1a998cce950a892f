"""The case store on DynamoDB: one TransactWriteItems per state change."""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo.mapping import (
    OPEN_QUEUE,
    case_from_model,
    case_to_model,
    entry_from_model,
    entry_to_model,
    event_from_model,
    event_to_model,
    plain,
    shard,
)
from chalicelib.adapters.dynamo.merchants import merchant_to_model
from chalicelib.adapters.dynamo.models import (
    OUTBOX_SHARDS,
    WAKE_SHARDS,
    CaseModel,
    KeyModel,
    MerchantModel,
    OutboxModel,
    StaffModel,
    TimelineModel,
)
from chalicelib.adapters.dynamo.payments import payment_to_model, query_to_model
from chalicelib.adapters.dynamo.staff import staff_models
from chalicelib.adapters.errors import aws_call, error_code, is_transient, unavailable
from chalicelib.domain.case import (
    FINAL_STATUSES,
    Case,
    Status,
    TimelineEntry,
    Visibility,
)
from chalicelib.domain.errors import VersionConflict
from chalicelib.domain.outbox import OutboxEvent
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services.changes import CaseQuery, Changes, KeyClaim
from chalicelib.services.keys import merchant_key
from chalicelib.services.ports import KeyTaken, LimitReached

log = logging.getLogger(__name__)

DONE_EVENT_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class _Item:
    """What one transaction item was, to read its cancellation reason."""

    kind: str  # "claim" | "case" | "counter" | "merchant" | "other"
    claim: KeyClaim | None = None
    key: str | None = None


class _TokenedWrite(TransactWrite):
    """A transaction whose ClientRequestToken is derived from its own content: the same change
    sent again (botocore's retry of a call whose answer was lost, or the same change committed
    again within 10 minutes) carries the same token, and DynamoDB applies it once, answering the
    repeat with success instead of a failed condition; other content gets another token, so a
    token never refuses a different change.

    Not for a transaction that counts (ADD to a counter): two tries of a one-time code in the
    same second are two tries even when their items are byte for byte the same, so a counting
    transaction keeps botocore's own token, made once per call (its retries reuse it)."""

    def __init__(self, *, counts: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._counts = counts

    def _commit(self) -> Any:
        if self._client_request_token is None and not self._counts:
            content = [
                self._condition_check_items,
                self._delete_items,
                self._put_items,
                self._update_items,
            ]
            raw = json.dumps(content, sort_keys=True, default=str).encode()
            self._client_request_token = hashlib.sha256(raw).hexdigest()[:36]
        return super()._commit()


class DynamoDeskStore:
    """Cases, their timelines and outbox, keys, and the payment ledger: everything one change
    writes goes through `commit`, in one transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # -- writes ------------------------------------------------------------------------------

    def commit(self, changes: Changes) -> None:
        # PynamoDB sends deletes before puts; cancellation reasons come back in that order.
        deletes = [(KeyModel(key), _Item("other")) for key in changes.releases]
        puts: list[tuple[Any, Any, _Item]] = []
        # Claims go first among the puts so the first held key in claim order is reported.
        for claim in changes.claims:
            puts.append(
                (_claim_model(claim, changes.now), _claimable(changes.now), _Item("claim", claim))
            )
        for case in changes.new_cases:
            puts.append((case_to_model(case), CaseModel.case_id.does_not_exist(), _Item("case")))
        for case, read_version in changes.updated_cases:
            model = case_to_model(case)
            model.version = read_version  # PynamoDB checks it and writes read_version + 1
            puts.append((model, None, _Item("case")))
        puts += [(entry_to_model(e), None, _Item("other")) for e in changes.timeline]
        puts += [(event_to_model(e), None, _Item("other")) for e in changes.events]
        puts += [(_claim_model(k, changes.now), None, _Item("other")) for k in changes.key_puts]
        puts += [(payment_to_model(p), None, _Item("case")) for p in changes.payments]
        puts += [(query_to_model(q), None, _Item("other")) for q in changes.queries]
        for new in changes.staff:
            staff, token = staff_models(new, changes.now)
            puts.append((staff, StaffModel.staff_id.does_not_exist(), _Item("other")))
            puts.append((token, KeyModel.key.does_not_exist(), _Item("other")))
        for merchant in changes.merchants:
            puts.append(
                (
                    merchant_to_model(merchant),
                    MerchantModel.merchant_id.does_not_exist(),
                    _Item("merchant", key=merchant_key(merchant.merchant_id)),
                )
            )
        try:
            with _TokenedWrite(connection=self._connection, counts=bool(changes.counters)) as tx:
                for key_model, _ in deletes:
                    tx.delete(key_model)
                for put_model, condition, item in puts:
                    tx.save(
                        put_model,
                        condition=condition,
                        return_values="ALL_OLD" if item.kind == "claim" else None,
                    )
                for counter in changes.counters:
                    tx.update(
                        KeyModel(counter.key),
                        actions=[
                            KeyModel.counter.add(1),
                            KeyModel.expires_at.set(counter.expires_at),
                        ]
                        if counter.expires_at
                        else [KeyModel.counter.add(1)],
                        condition=KeyModel.counter.does_not_exist()
                        | (KeyModel.counter < counter.limit),
                    )
        except TransactWriteError as exc:
            counters = [_Item("counter", key=c.key) for c in changes.counters]
            items = [item for _, item in deletes] + [item for *_, item in puts] + counters
            self._raise_for(exc, items)

    def _raise_for(self, exc: TransactWriteError, items: list[_Item]) -> None:
        code = error_code(exc)
        if code != "TransactionCanceledException":
            if is_transient(exc):
                raise unavailable(exc, "dynamodb") from exc
            raise exc
        reasons = exc.cancellation_reasons
        failed = [(item, r) for item, r in zip(items, reasons, strict=False) if r is not None]
        for item, reason in failed:
            if item.kind == "claim" and reason.code == "ConditionalCheckFailed":
                assert item.claim is not None  # noqa: S101
                held = KeyModel.from_raw_data(reason.raw_item) if reason.raw_item else None
                value = plain(held.value) if held else self.get_key(item.claim.key)
                raise KeyTaken(item.claim.key, value) from exc
        for item, reason in failed:
            if item.kind == "counter" and reason.code == "ConditionalCheckFailed":
                raise LimitReached(str(item.key)) from exc
            if item.kind == "merchant" and reason.code == "ConditionalCheckFailed":
                raise KeyTaken(str(item.key), {}) from exc
        for item, reason in failed:
            if item.kind == "case" and reason.code in (
                "ConditionalCheckFailed",
                "TransactionConflict",
            ):
                raise VersionConflict() from exc
        log.warning("transaction cancelled: %s", [r.code for _, r in failed])
        raise unavailable(exc, "dynamodb") from exc

    def mark_event_done(self, event: OutboxEvent, at: datetime) -> None:
        self._update_event(
            event,
            [
                OutboxModel.pending_shard.remove(),
                OutboxModel.done_at.set(at),
                OutboxModel.expires_at.set(at + DONE_EVENT_RETENTION),
            ],
        )

    def count_event_failure(self, event: OutboxEvent, error: str) -> int:
        m = OutboxModel
        model = self._update_event(
            event, [m.attempts.add(1), m.last_error.set(error[:500])], m.pending_shard.exists()
        )
        return int(model.attempts or 0) if model is not None else 0

    def give_up_event(self, event: OutboxEvent, at: datetime) -> None:
        m = OutboxModel
        actions = [m.pending_shard.remove(), m.failed_flag.set("failed"), m.failed_at.set(at)]
        self._update_event(event, actions, m.pending_shard.exists())

    def postpone_event(self, event: OutboxEvent, until: datetime) -> None:
        m = OutboxModel
        self._update_event(event, [m.due_at.set(until)], m.pending_shard.exists())

    def retry_failed_event(self, case_id: str, event_id: str, at: datetime) -> OutboxEvent | None:
        m = OutboxModel
        model = OutboxModel(case_id, event_id)
        try:
            with aws_call("dynamodb"):
                model.update(
                    actions=[
                        m.pending_shard.set(shard(f"{case_id}:{event_id}", OUTBOX_SHARDS, "p")),
                        m.due_at.set(at),
                        m.attempts.set(0),
                        m.failed_flag.remove(),
                        m.failed_at.remove(),
                    ],
                    condition=m.failed_flag.exists(),
                )
        except PynamoDBException as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise
        return event_from_model(model)

    def failed_events(
        self, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[OutboxEvent], dict[str, Any] | None]:
        with aws_call("dynamodb"):
            result = OutboxModel.failed_index.query(
                "failed",
                scan_index_forward=False,
                limit=limit,
                page_size=limit,
                last_evaluated_key=start,
            )
            events = [event_from_model(m) for m in result]
            return events, result.last_evaluated_key if len(events) == limit else None

    def _update_event(
        self, event: OutboxEvent, actions: list[Any], condition: Any = None
    ) -> OutboxModel | None:
        """Change an outbox item that exists (and matches `condition`), returning it as it is
        now; None (a no-op) when it does not, e.g. a repeat that finds it already changed."""
        model = OutboxModel(event.subject.key, event.event_id)
        exists = OutboxModel.event_id.exists()
        try:
            with aws_call("dynamodb"):
                model.update(
                    actions=actions, condition=exists if condition is None else exists & condition
                )
        except PynamoDBException as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return None
        return model

    # -- reads -------------------------------------------------------------------------------

    def get_case(self, case_id: str) -> Case | None:
        try:
            with aws_call("dynamodb"):
                return case_from_model(CaseModel.get(case_id, consistent_read=True))
        except DoesNotExist:
            return None

    def timeline(self, case_id: str, *, include_internal: bool) -> list[TimelineEntry]:
        condition = None if include_internal else TimelineModel.visibility == Visibility.PUBLIC
        with aws_call("dynamodb"):
            return [
                entry_from_model(m)
                for m in TimelineModel.query(
                    case_id, filter_condition=condition, consistent_read=True
                )
            ]

    def get_key(self, key: str) -> dict[str, Any] | None:
        try:
            with aws_call("dynamodb"):
                model = KeyModel.get(key, consistent_read=True)
        except DoesNotExist:
            return None
        value: dict[str, Any] = plain(model.value)
        return value

    def get_keys(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        with aws_call("dynamodb"):
            found = KeyModel.batch_get(keys, consistent_read=True)
            return {model.key: plain(model.value) for model in found}

    def pending_events(self, due_by: datetime, limit: int) -> list[OutboxEvent]:
        streams = []
        with aws_call("dynamodb"):
            for n in range(OUTBOX_SHARDS):
                query = OutboxModel.pending_index.query(
                    f"p{n}", OutboxModel.due_at <= due_by, limit=limit
                )
                streams.append([(m.due_at, event_from_model(m)) for m in query])
        merged = heapq.merge(*streams, key=lambda d: (d[0], d[1].subject.key, d[1].event_id))
        return [event for _, event in merged][:limit]

    def list_cases(self, query: CaseQuery) -> tuple[list[Case], dict[str, Any] | None]:
        plan = CaseIndexes.query(query)
        if plan is None:
            return [], None
        index, partition, range_condition, condition = plan
        with aws_call("dynamodb"):
            result = index.query(
                partition,
                range_condition,
                filter_condition=condition,
                page_size=query.limit,
                last_evaluated_key=query.start,
            )
            return _bounded_page(result.page_iter, query.limit)

    def cases_of_contact(
        self, contact_key: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Case], dict[str, Any] | None]:
        with aws_call("dynamodb"):
            result = CaseModel.contact_index.query(
                contact_key,
                scan_index_forward=False,
                limit=limit,
                page_size=limit,
                last_evaluated_key=start,
            )
            cases = [case_from_model(m) for m in result]
            return cases, result.last_evaluated_key if len(cases) == limit else None

    def cases_of_merchant(
        self, merchant_id: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Case], dict[str, Any] | None]:
        with aws_call("dynamodb"):
            result = CaseModel.merchant_index.query(
                merchant_id, limit=limit, page_size=limit, last_evaluated_key=start
            )
            cases = [case_from_model(m) for m in result]
            return cases, result.last_evaluated_key if len(cases) == limit else None

    def due_wakeups(self, before: datetime, limit: int) -> list[tuple[str, datetime]]:
        out: list[tuple[str, datetime]] = []
        with aws_call("dynamodb"):
            for n in range(WAKE_SHARDS):
                query = CaseModel.wake_index.query(
                    f"w{n}", CaseModel.wake_at <= before, limit=limit
                )
                out += [(m.case_id, m.wake_at) for m in query if m.wake_at is not None]
        return sorted(out, key=lambda item: item[1])[:limit]


# A filtered listing reads at most this many index pages per request and then hands the client
# a cursor, so a rare filter over a long queue costs the page, not the table.
MAX_PAGES_PER_LIST = 5


def _bounded_page(pages: Any, limit: int) -> tuple[list[Case], dict[str, Any] | None]:
    cases: list[Case] = []
    for read, page in enumerate(pages, start=1):
        for raw in page.get("Items", []):
            cases.append(case_from_model(CaseModel.from_raw_data(raw)))
            if len(cases) == limit:
                return cases, {name: raw[name] for name in pages.key_names}
        if pages.last_evaluated_key is None:
            return cases, None
        if read >= MAX_PAGES_PER_LIST:
            break
    return cases, pages.last_evaluated_key


def _claim_model(claim: KeyClaim, now: datetime) -> KeyModel:
    return KeyModel(claim.key, value=dict(claim.value), created_at=now, expires_at=claim.expires_at)


def _claimable(now: datetime) -> Any:
    # A key nobody holds, or one whose holder's time ran out (TTL deletion lags by hours).
    return KeyModel.key.does_not_exist() | (KeyModel.expires_at < now)


class CaseIndexes:
    """Chooses the index that serves a case query and turns the rest into filters.

    Without a status the query reads an index that holds open cases only; with one, the
    status index, which is where closed and withdrawn cases are found."""

    @staticmethod
    def query(q: CaseQuery) -> tuple[Any, str, Any, Any] | None:
        """(index, partition value, range condition, filter condition), or None when nothing
        can match: an SLA filter judges open cases, so it finds nothing in a final status."""
        m = CaseModel
        narrowing = [
            (q.assignee, m.assignee, m.open_assignee_index),
            (q.merchant_id, m.merchant_id, m.open_merchant_index),
            (q.category, m.category, m.open_category_index),
        ]
        given = [(value, attribute, index) for value, attribute, index in narrowing if value]
        if q.status:
            if q.sla and Status(q.status) in FINAL_STATUSES:
                return None
            index, partition, rest = m.status_index, q.status, given
        elif given:
            (partition, _, index), rest = given[0], given[1:]
        else:
            index, partition, rest = m.open_queue_index, OPEN_QUEUE, []
        filters = [attribute == value for value, attribute, _ in rest]
        range_condition = None
        if q.sla and q.now is not None:
            now_key = to_rfc3339(q.now)
            if q.sla == "breached":
                range_condition = m.due_key < now_key
            else:  # at_risk: not yet due, but 80% of the working time is used
                range_condition = m.due_key >= now_key
                filters.append(m.at_risk_at <= q.now)
        condition = None
        for f in filters:
            condition = f if condition is None else condition & f
        return index, partition, range_condition, condition
