"""Running failed asynchronous invocations again: what the failure queues hold.

SNS delivers inbound SMS and SES events to their functions asynchronously, CloudWatch Logs its
SMS delivery-status records to `sms_receipts`, and EventBridge Scheduler invokes `sla_timer`
the same way; when an invocation's own retries run out (a long
throttle, say), what it was given lands in a queue instead of being lost: a Lambda on-failure
destination record (`requestContext`, `requestPayload`), or, from Scheduler's dead-letter queue,
the schedule's input itself. The sweeper hands each one to the same handler again (every handler
is idempotent) and deletes it once that succeeded; one that fails again stays for the next sweep,
and the queues' depth alarms say so.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.services.entities import QueuedFailure
from chalicelib.services.ports import FailureQueue

log = logging.getLogger(__name__)

# A handler for one function's input: the SNS message text, or the Scheduler input.
Handler = Callable[[Any], Any]
# Functions run again with the whole payload they were invoked with (not SNS records).
_WHOLE_PAYLOAD = frozenset({"sla_timer", "sms_receipts"})


def _function(record: Mapping[str, Any]) -> str:
    """`inbound_sms` from `arn:aws:lambda:...:function:paycase-dev-inbound_sms:$LATEST`."""
    arn = str(record.get("requestContext", {}).get("functionArn", ""))
    name = arn.split(":function:", 1)[-1].split(":", 1)[0]
    return name.rsplit("-", 1)[-1]


def inputs_of(body: str) -> tuple[str, list[Any]] | None:
    """(function, the inputs to run it with) for a queued failure; None if unreadable."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if "requestContext" not in data:
        # Scheduler's dead-letter queue holds the schedule's input as it is.
        return ("sla_timer", [data]) if "case_id" in data else None
    function, payload = _function(data), data.get("requestPayload")
    if function in _WHOLE_PAYLOAD:
        return function, [payload]
    records = payload.get("Records", []) if isinstance(payload, dict) else []
    messages = [r.get("Sns", {}).get("Message") for r in records if isinstance(r, dict)]
    return function, [m for m in messages if isinstance(m, str)]


class FailureRedrive:
    def __init__(self, queues: list[FailureQueue], handlers: Mapping[str, Handler]) -> None:
        self._queues = queues
        self._handlers = handlers

    def redrive(self, stop: Callable[[], bool] | None = None, limit: int = 50) -> int:
        """Run up to `limit` queued failures again; returns how many succeeded."""
        done = 0
        for queue in self._queues:
            for failure in queue.receive(limit):
                if stop is not None and stop():
                    return done
                if self._run(failure):
                    queue.delete(failure)
                    done += 1
        return done

    def _run(self, failure: QueuedFailure) -> bool:
        parsed = inputs_of(failure.body)
        handler = self._handlers.get(parsed[0]) if parsed else None
        if parsed is None or handler is None:
            log.error(
                "failures: a queued failure (%d characters) cannot be run again; left in its queue",
                len(failure.body),
            )
            return False
        try:
            for value in parsed[1]:
                handler(value)
        except Exception:
            log.exception("failures: %s failed again; the next sweep retries", parsed[0])
            return False
        return True
