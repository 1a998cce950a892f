"""How long an API request can take when every AWS call it makes is as slow as its client lets
it be, computed from the clients' own timeouts and retry counts (botocore's standard retry mode:
docs of `botocore.retries.standard`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

BACKOFF_CAP = 20.0  # botocore caps one back-off at 20 s
THROTTLE_BASE = 1.0  # a throttled attempt waits up to 1 s, doubling
OTHER_BASE = {"dynamodb": 0.025}  # any other retried error: 25 ms for DynamoDB, else 50 ms


def attempts(config: Any) -> int:
    retries = dict(config.retries or {})
    if "total_max_attempts" in retries:
        return int(retries["total_max_attempts"])
    if "max_attempts" in retries:
        return int(retries["max_attempts"]) + 1  # botocore counts the retries here
    return 3 if retries.get("mode") == "standard" else 5


def call_seconds(config: Any, service: str, succeeds: bool) -> float:
    """The longest one call can take: each attempt but the last either waits out its connect
    and read timeouts and a short back-off, or is throttled at once and backs off as long as
    botocore allows, whichever is longer; the last attempt answers just before its read timeout
    (`succeeds`) or times out after connecting slowly."""
    connect, read = float(config.connect_timeout), float(config.read_timeout)
    small = OTHER_BASE.get(service, 0.05)
    retried = sum(
        max(connect + read + min(small * 2**i, BACKOFF_CAP), min(THROTTLE_BASE * 2**i, BACKOFF_CAP))
        for i in range(attempts(config) - 1)
    )
    return retried + (read if succeeds else connect + read)


def _config(configs: Mapping[str, Any], call: str) -> Any:
    return configs.get(call) or configs[call.split(".", 1)[0]]


def overrun_seconds(config: Any) -> float:
    """How far one call can run past a request's deadline: no attempt starts after it, so at
    most one attempt already under way (its connect and read timeouts) or one back-off that
    began before it (the longest botocore allows at this attempt count)."""
    backoff = max(
        (min(THROTTLE_BASE * 2**i, BACKOFF_CAP) for i in range(attempts(config) - 1)), default=0.0
    )
    return max(float(config.connect_timeout) + float(config.read_timeout), backoff)


def request_seconds(
    calls: Sequence[str], configs: Mapping[str, Any], deadline: float | None = None
) -> float:
    """The longest a request making `calls` (`service.Operation`, in order) can take before it
    answers: every call before the one that fails succeeds on its last attempt. With a request
    `deadline`, no attempt starts after it: the request ends by the deadline plus the longest
    overrun of any of its calls, if that comes first."""

    def config(call: str) -> Any:
        return _config(configs, call)

    worst, before = 0.0, 0.0
    for call in calls:
        service = call.split(".", 1)[0]
        worst = max(worst, before + call_seconds(config(call), service, succeeds=False))
        before += call_seconds(config(call), service, succeeds=True)
    unbounded = max(worst, before)
    if deadline is None or not calls:
        return unbounded
    return min(unbounded, deadline + max(overrun_seconds(config(call)) for call in calls))
