"""Chalice middleware: every invocation, HTTP or not, logs with its Lambda context.

Powertools' `inject_lambda_context` is wired in as Chalice's documentation shows (through
`ConvertToMiddleware`); an HTTP request's correlation id is API Gateway's request id (Lambda's
own request id where there is none, as under `chalice local`). The local runner calls the
handlers with no Lambda context: then only the per-invocation keys are cleared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from chalice.app import ConvertToMiddleware, Request

from chalicelib.adapters.deadlines import REQUEST_SECONDS, within
from chalicelib.observability import logger


def request_seconds(context: Any) -> float:
    """How long the request's AWS calls may go on starting: the request budget, or less when
    the function has less time left (leaving an attempt's worth to answer)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    left = remaining() / 1000 - 4 if callable(remaining) else REQUEST_SECONDS
    return max(0.0, min(REQUEST_SECONDS, left))


_event = ConvertToMiddleware(logger.inject_lambda_context(clear_state=True))
_request = ConvertToMiddleware(
    logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
    )
)


def observe(event: Any, get_response: Callable[[Any], Any]) -> Any:
    is_request = isinstance(event, Request)
    context = event.lambda_context if is_request else getattr(event, "context", None)
    if context is None:
        logger.clear_state()
        return get_response(event)
    if not is_request:
        return _event(event, get_response)

    def respond(request: Any) -> Any:
        if not logger.get_correlation_id():
            logger.set_correlation_id(context.aws_request_id)
        with within(request_seconds(context)):
            return get_response(request)

    return _request(event, respond)
