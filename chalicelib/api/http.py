"""Request reading and the one place where errors become HTTP answers.

Chalice turns an exception escaping a view into its own 500 before middleware sees it, so every
view is registered through `endpoint()`, which maps PayCaseError subclasses to the API's error
format and never lets a client's input become a 500.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.domain import limits
from chalicelib.domain.errors import (
    MethodNotAllowed,
    PayCaseError,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from chalicelib.observability import count, working_on

log = logging.getLogger(__name__)

MAX_BODY_BYTES = limits.BODY_BYTES
_JSON = "application/json; charset=utf-8"
STATUS = {
    "validation_failed": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "invalid_transition": 409,
    "version_conflict": 409,
    "duplicate_open_case": 409,
    "already_rated": 409,
    "evidence_limit": 409,
    "idempotency_key_reused": 422,
    "rate_limited": 429,
    "unavailable": 503,
}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(
        body=text, status_code=status, headers={"Content-Type": _JSON, **(headers or {})}
    )


def error_response(error: PayCaseError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if isinstance(error, ValidationFailed):
        body["fields"] = error.fields
    body.update({k: v for k, v in error.details.items() if k not in body})
    headers = {}
    if isinstance(error, Unavailable):
        headers["Retry-After"] = str(error.retry_after)
        count("Unavailable503")
    if isinstance(error, RateLimited):
        if error.retry_after is not None:
            headers["Retry-After"] = str(error.retry_after)
        count("RateLimited429")
    if error.code == "unauthorized":
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    return json_response({"error": body}, STATUS.get(error.code, 400), headers)


def endpoint(
    bp: Blueprint, path: str, methods: list[str] | None = None, **kwargs: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view whose PayCaseErrors become the API's error answers."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **view_kwargs: Any) -> Any:
            try:
                with working_on(case_id=view_kwargs.get("case_id")):
                    return view(*args, **view_kwargs)
            except PayCaseError as error:
                return error_response(error)
            except Exception as exc:
                if _is_aws_error(exc):  # an adapter that missed one: still a 503, never a 500
                    from chalicelib.adapters.errors import unavailable

                    log.exception("untranslated AWS error in %s", path)
                    return error_response(unavailable(exc, "aws"))
                log.exception("unhandled error in %s", path)
                return json_response(
                    {
                        "error": {
                            "code": "internal_error",
                            "message": "Something went wrong on "
                            "our side; nothing you sent was lost. Please try again.",
                        }
                    },
                    500,
                )

        # Content negotiation happens in read_json, so a wrong type gets our error format.
        bp.route(path, methods=methods or ["GET"], content_types=["*/*"], **kwargs)(guarded)
        return view

    return register


def _is_aws_error(exc: BaseException) -> bool:
    """A transient error from botocore or PynamoDB (read without importing either here)."""
    if not type(exc).__module__.startswith(("botocore", "pynamodb", "urllib3")):
        return False
    from chalicelib.adapters.errors import is_transient

    return is_transient(exc)


def read_json(request: Any) -> Any:
    """The request body as JSON: at most limits.BODY_BYTES, UTF-8, application/json (or none
    given)."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    content_type = (request.headers.get("content-type") or "application/json").lower()
    media = content_type.split(";", 1)[0].strip()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType()
    if not raw.strip():
        raise ValidationFailed({"body": "is empty; send a JSON object"})
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ValidationFailed({"body": "is not UTF-8"}) from None
    except (ValueError, RecursionError) as exc:
        raise ValidationFailed({"body": f"is not valid JSON ({_short(exc)})"}) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _short(exc: Exception) -> str:
    return str(exc).split("\n", 1)[0][:120] or exc.__class__.__name__


def query_param(request: Any, name: str) -> str | None:
    params = request.query_params or {}
    value = params.get(name)
    return str(value) if value is not None else None
