"""Entry points that are not HTTP: the Scheduler target and the outbox consumers."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from chalicelib import observability, wiring

log = logging.getLogger(__name__)

# The stream and the Scheduler retry first; the sweeper only takes what is this overdue.
SWEEP_MIN_AGE = timedelta(minutes=5)


def sla_timer(event: Any) -> dict[str, str]:
    """EventBridge Scheduler target. Input: {case_id, timer, due_at, clock_epoch}."""
    payload = json.loads(event) if isinstance(event, str) else event
    if not isinstance(payload, dict):
        log.warning("sla_timer: input is not an object but %s", type(payload).__name__)
        return {"outcome": "invalid"}
    case_id = payload.get("case_id")
    correlation = payload.get("correlation_id")
    with observability.working_on(
        case_id=case_id if isinstance(case_id, str) else None,
        correlation=correlation if isinstance(correlation, str) else None,
    ):
        outcome = wiring.container().timers.fire(payload)
    return {"outcome": outcome.value}


# How many of a batch's subjects are worked on at once (each subject's events in order).
BATCH_WORKERS = 8
_pool: Any = None


def _workers() -> Any:
    """One pool for the container's life: its threads keep their AWS clients (PynamoDB makes
    one per thread), so a batch does not pay for making them again."""
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _pool = ThreadPoolExecutor(max_workers=BATCH_WORKERS, thread_name_prefix="outbox")
    return _pool


def use_batch_workers(workers: int) -> None:
    """Work on at most `workers` subjects of a batch at once from now on (the benchmark compares
    one with BATCH_WORKERS)."""
    global _pool, BATCH_WORKERS
    if _pool is not None:
        _pool.shutdown(wait=True)
    _pool, BATCH_WORKERS = None, workers


def outbox_records(records: Iterable[Any]) -> dict[str, list[dict[str, str]]]:
    """DynamoDB stream batch of the outbox table. The INSERTs of one subject (a case, a query)
    are handled in order, different subjects at the same time (their messages are sent
    concurrently). The earliest record that failed is reported (ReportBatchItemFailures), so
    Lambda retries from there; every consumer is idempotent, so records after it that did
    succeed may safely run again."""
    groups: dict[str, list[Any]] = {}
    for record in records:
        if record.event_name == "INSERT" and record.new_image:
            subject = str(record.new_image.get("case_id", {}).get("S", ""))
            groups.setdefault(subject, []).append(record)
    if not groups:
        return {"batchItemFailures": []}
    consumer = wiring.container().outbox
    failures = list(
        _workers().map(lambda group: _handle_in_order(consumer, group), groups.values())
    )
    failed = [seq for seq in failures if seq is not None]
    if not failed:
        return {"batchItemFailures": []}
    return {"batchItemFailures": [{"itemIdentifier": min(failed, key=int)}]}


def _handle_in_order(consumer: Any, records: list[Any]) -> str | None:
    """One subject's records in order; the sequence number of the first that failed."""
    from chalicelib.adapters.dynamo.mapping import event_from_model
    from chalicelib.adapters.dynamo.models import OutboxModel

    events = []
    for record in records:
        try:
            events.append(event_from_model(OutboxModel.from_raw_data(record.new_image)))
        except Exception:  # a record it cannot read: retried from there (and seen in the DLQ)
            log.exception("outbox: record %s cannot be read", record.sequence_number)
            break
    failed = consumer.attempt_in_order(events)
    if failed is not None:
        return str(records[failed].sequence_number)
    if len(events) < len(records):
        return str(records[len(events)].sequence_number)
    return None


def sweeper(remaining_ms: Callable[[], int] | None = None) -> dict[str, int]:
    """Every few minutes, the safety net: case timers whose schedule never fired, then outbox
    events the stream could not finish (its retries ran out), then asynchronous invocations
    whose retries ran out (the failure queues), then evidence uploads never completed and files
    waiting for their malware scan, each on its own guard and all
    within the function's time (`remaining_ms`, the Lambda context's clock): a long redrive
    never keeps deadlines from firing, and a sweep cut short resumes at the next run."""
    stop = _stopper(remaining_ms)
    container = wiring.container()
    return {
        "timers": container.timers.sweep(SWEEP_MIN_AGE, stop=stop),
        "events": container.outbox.redrive(SWEEP_MIN_AGE, stop=stop),
        "failures": container.failures.redrive(stop),
        "evidence": container.evidence.sweep(stop=stop),
    }


# What a sweep leaves of its function's time for the call it is in when it stops.
SWEEP_RESERVE_MS = 30_000


def _stopper(remaining_ms: Callable[[], int] | None) -> Callable[[], bool] | None:
    if remaining_ms is None:
        return None
    return lambda: remaining_ms() < SWEEP_RESERVE_MS


def sns_json(message: str) -> dict[str, Any] | None:
    try:
        data = json.loads(message)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def inbound_sms(message: str) -> dict[str, str]:
    """SNS two-way SMS: a customer's reply (TD opts out of SMS)."""
    data = sns_json(message)
    if data is None:
        log.warning("inbound sms: a message that is not JSON (%d characters)", len(message))
        return {"outcome": "ignored"}
    return {"outcome": wiring.container().inbound.sms_reply(data)}


def ses_events(message: str) -> dict[str, Any]:
    """SES events, published by the configuration set to SNS: bounces and complaints suppress
    the address; every event about a message we sent settles a send that had no answer."""
    data = sns_json(message)
    if data is None:
        log.warning("ses events: a message that is not JSON (%d characters)", len(message))
        return {"suppressed": 0, "receipt": "ignored"}
    from chalicelib.adapters.receipts import email_receipt

    container = wiring.container()
    suppressed = container.inbound.ses_event(data)
    receipt = email_receipt(data)
    settled = container.receipts.settle(receipt).value if receipt else "ignored"
    return {"suppressed": suppressed, "receipt": settled}


def sms_receipts(event: Any) -> dict[str, int]:
    """SNS SMS delivery-status records, handed over by a CloudWatch Logs subscription filter
    (asynchronously: a failure is retried, then goes to its dead-letter queue). Each record
    settles the SMS it is about, when one fits."""
    from chalicelib.adapters.receipts import log_records, sms_receipt

    receipts = wiring.container().receipts
    counts = {"records": 0, "settled": 0}
    for record in log_records(event):
        counts["records"] += 1
        receipt = sms_receipt(record)
        if receipt is None:
            log.warning(
                "sms receipts: a record that is not a delivery status (keys %s)",
                sorted(record) if isinstance(record, dict) else type(record).__name__,
            )
            continue
        if receipts.settle(receipt) == "settled":
            counts["settled"] += 1
    return counts
