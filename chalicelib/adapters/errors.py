"""The one place AWS errors become domain errors.

Every adapter runs its AWS calls inside `aws_call()`: throttling, overload, a service's own
5xx, a transaction conflict, a connection that failed or dropped, and a call that timed out,
from botocore and from PynamoDB (which wraps botocore's errors) alike, become `Unavailable`
(HTTP 503 with Retry-After). Anything else is a bug or a condition the adapter handles itself
(a failed condition check, a missing item) and is left alone.

A timeout or a dropped connection does not mean nothing happened: the request may have been
applied. So the answer says so, and tells the client to retry with the same Idempotency-Key
(which makes the retry safe).

botocore is imported only when an error is being read, never at module load (cold start).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.domain.errors import Unavailable

log = logging.getLogger(__name__)

# Error codes that mean "the service is busy or failed for now", across the services we call.
TRANSIENT_CODES = frozenset(
    {
        # throttling and overload, every service
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalServerException",
        "KMSThrottlingException",
        "KMSInternalException",
        # DynamoDB
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "TransactionConflictException",
        "LimitExceededException",
    }
)
# How long a client should wait before its retry, in seconds.
RETRY_AFTER = 2
MAY_HAVE_HAPPENED = (
    "The service is busy or did not answer in time; your change may already have been made. "
    "Retry the same request with the same Idempotency-Key: it will not be done twice."
)


def _response_of(exc: BaseException) -> dict[str, Any]:
    response = getattr(exc, "response", None)
    return response if isinstance(response, dict) else {}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps: PynamoDB's `cause`, then Python's chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "cause", None)
        if not isinstance(wrapped, BaseException):
            wrapped = current.__cause__ or current.__context__
        current = wrapped


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, or of the one a PynamoDB error wraps.
    Never raises (PynamoDB's own `cause_response_code` does, for a timeout)."""
    for link in _causes(exc):
        code = _response_of(link).get("Error", {}).get("Code")
        if code:
            return str(code)
    return None


def http_status(exc: BaseException) -> int | None:
    for link in _causes(exc):
        status = _response_of(link).get("ResponseMetadata", {}).get("HTTPStatusCode")
        if isinstance(status, int):
            return status
    return None


def is_network_error(exc: BaseException) -> bool:
    """Connection failures, dropped connections and timeouts (botocore's, however wrapped)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    kinds = (BotoConnectionError, HTTPClientError, TimeoutError, ConnectionError)
    return any(isinstance(link, kinds) for link in _causes(exc))


def is_transient(exc: BaseException) -> bool:
    """Worth another try later: busy, failed for now, unreachable or too slow (a request whose
    own deadline passed included)."""
    from chalicelib.adapters.deadlines import DeadlinePassed

    if any(isinstance(link, DeadlinePassed) for link in _causes(exc)):
        return True
    code = error_code(exc)
    if code in TRANSIENT_CODES:
        return True
    if (http_status(exc) or 0) >= 500:  # the service's own failure, whatever its code
        return True
    return is_network_error(exc)


def unavailable(exc: BaseException, service: str) -> Unavailable:
    """The client's answer for a transient AWS error; the cause is chained for the logs."""
    log.warning("%s unavailable: %s", service, error_code(exc) or exc.__class__.__name__)
    return Unavailable(MAY_HAVE_HAPPENED, retry_after=RETRY_AFTER)


@contextmanager
def aws_call(service: str) -> Iterator[None]:
    """Run AWS calls, turning every transient AWS error into Unavailable."""
    try:
        yield
    except Unavailable:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise unavailable(exc, service) from exc
        raise
