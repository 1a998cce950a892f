"""Reading botocore errors without importing botocore at module load."""

from __future__ import annotations

from typing import Any

THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "InternalServerException",
        "KMSThrottlingException",
    }
)


def error_code(exc: BaseException) -> str | None:
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def is_network_error(exc: BaseException) -> bool:
    """Connection resets, timeouts and endpoint failures: worth another try later."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError, ReadTimeoutError

    return isinstance(exc, BotoConnectionError | HTTPClientError | ReadTimeoutError)
