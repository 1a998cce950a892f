"""The outbox on DynamoDB: which events are due, done, counted as failed or given up (the
events themselves are written by the desk store's transaction, with their change)."""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo.mapping import event_from_model, shard
from chalicelib.adapters.dynamo.models import OUTBOX_SHARDS, OutboxModel
from chalicelib.adapters.errors import aws_call, error_code
from chalicelib.domain.outbox import OutboxEvent

DONE_EVENT_RETENTION = timedelta(days=7)
MARKS_PER_WRITE = 100  # TransactWriteItems takes at most 100 items


def _done(at: datetime) -> list[Any]:
    return [
        OutboxModel.pending_shard.remove(),
        OutboxModel.done_at.set(at),
        OutboxModel.expires_at.set(at + DONE_EVENT_RETENTION),
    ]


class DynamoOutboxStore:
    _connection: Connection

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

    def mark_event_done(self, event: OutboxEvent, at: datetime) -> None:
        self._update_event(event, _done(at))

    def mark_events_done(self, events: list[OutboxEvent], at: datetime) -> None:
        """Up to 100 events a request, in one transaction. Marking done again is harmless, so
        a transaction cancelled (an event gone, another writer on one of them at that moment)
        is done event by event instead."""
        for start in range(0, len(events), MARKS_PER_WRITE):
            chunk = events[start : start + MARKS_PER_WRITE]
            if len(chunk) == 1:
                self.mark_event_done(chunk[0], at)
                continue
            try:
                with aws_call("dynamodb"), TransactWrite(connection=self._connection) as tx:
                    for event in chunk:
                        model = OutboxModel(event.subject.key, event.event_id)
                        tx.update(model, actions=_done(at), condition=OutboxModel.event_id.exists())
            except TransactWriteError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                for event in chunk:
                    self.mark_event_done(event, at)

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
