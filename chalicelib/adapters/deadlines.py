"""How long any AWS call may take, and how often botocore tries it: chosen so that an API
request always answers within API Gateway's 29 seconds, and a consumer's batch within its
function's timeout.

A DynamoDB call that keeps failing costs at most 3 attempts x (1 s to connect + 2 s to read)
plus botocore's back-off between them (at most 1 s, then 2 s): 12 s. A request stops at its
first failed call (it answers 503), so even a request whose earlier calls each took nearly
their whole read timeout answers well inside 29 s; the API function's own timeout is 28 s.

SMS and email sends are tried once by botocore: a send that timed out may have been delivered,
and only the dispatcher, which records each attempt first, may decide to try again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError


@dataclass(frozen=True)
class CallBudget:
    connect_seconds: int
    read_seconds: int
    attempts: int  # in all, the first one included

    def botocore_config(self) -> dict[str, object]:
        """Keyword arguments for botocore.config.Config."""
        return {
            "connect_timeout": self.connect_seconds,
            "read_timeout": self.read_seconds,
            "retries": {"mode": "standard", "total_max_attempts": self.attempts},
        }


DYNAMODB = CallBudget(connect_seconds=1, read_seconds=2, attempts=3)
# EventBridge Scheduler, KMS, SQS: small control-plane calls.
CONTROL = CallBudget(connect_seconds=1, read_seconds=3, attempts=3)
# SNS Publish and SES SendEmail: never repeated by botocore.
SEND = CallBudget(connect_seconds=1, read_seconds=5, attempts=1)
SEND_SERVICES = frozenset({"sns", "sesv2"})
# S3, for evidence files: a read of up to 10 MiB, or a copy of one, takes longer to answer.
STORAGE = CallBudget(connect_seconds=1, read_seconds=5, attempts=3)


def budget_for(service: str) -> CallBudget:
    if service == "dynamodb":
        return DYNAMODB
    if service == "s3":
        return STORAGE
    return SEND if service in SEND_SERVICES else CONTROL


# -- a request's own deadline --------------------------------------------------------------------
#
# The budgets above bound one call. A request that makes several calls, each slow but
# succeeding, could still add up past API Gateway's 29 s, so an API request also carries a
# deadline: an attempt that would start after it is refused at once (no send, no retry, no
# back-off), and the request answers 503. The worst case is then the deadline plus one attempt
# already under way (1 s + 3 s): inside 29 s.

REQUEST_SECONDS = 24.0
_deadline: ContextVar[float | None] = ContextVar("paycase_deadline", default=None)
_installed = False


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """AWS calls made inside (on this thread or context) start only while `seconds` last."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def install() -> None:
    """Have every botocore client made from now on check the deadline before each attempt
    (PynamoDB makes its clients itself, per model and thread, so this goes to botocore's own
    handlers, as moto's does)."""
    global _installed
    if _installed:
        return
    import botocore.handlers

    botocore.handlers.BUILTIN_HANDLERS.insert(0, ("before-send", _refuse_after_deadline))
    _installed = True


class DeadlinePassed(BotoCoreError):  # type: ignore[misc]
    """Raised instead of an attempt that would start after the request's deadline (a
    BotoCoreError outside botocore's retried kinds: it is not tried again)."""

    fmt = "The request's time to answer is up; no further AWS call is made."


def _refuse_after_deadline(**kwargs: object) -> None:
    left = remaining()
    if left is not None and left <= 0:
        raise DeadlinePassed()
