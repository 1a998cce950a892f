"""Domain errors. `chalicelib.api.http` maps each one to exactly one HTTP answer.

PayCaseError
├── ValidationFailed        400 validation_failed (with per-field reasons)
├── Unauthorized            401 unauthorized
├── Forbidden               403 forbidden
├── NotFound                404 not_found
├── MethodNotAllowed        405 method_not_allowed (Allow)
├── InvalidTransition       409 invalid_transition
├── VersionConflict         409 version_conflict
├── DuplicateOpenCase       409 duplicate_open_case
├── AlreadyRated            409 already_rated
├── EvidenceLimit           409 evidence_limit
├── IdempotencyKeyReused    422 idempotency_key_reused
├── PayloadTooLarge         413 payload_too_large
├── UnsupportedMediaType    415 unsupported_media_type
├── RateLimited             429 rate_limited
└── Unavailable             503 unavailable (Retry-After)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class PayCaseError(Exception):
    """Base of every error a caller may see. `code` is the API's snake_case error code."""

    code: ClassVar[str] = "error"
    default_message: ClassVar[str] = "The request could not be completed."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details: dict[str, Any] = details
        super().__init__(self.message)


class ValidationFailed(PayCaseError):
    code = "validation_failed"
    default_message = "The request is not valid."

    def __init__(self, fields: Mapping[str, str], message: str | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields)


class Unauthorized(PayCaseError):
    code = "unauthorized"
    default_message = "Missing or invalid credentials."


class Forbidden(PayCaseError):
    code = "forbidden"
    default_message = "Your role does not allow this."


class NotFound(PayCaseError):
    code = "not_found"
    default_message = "No such resource."


class MethodNotAllowed(PayCaseError):
    """A method the path does not take (the local stage; API Gateway answers it 404)."""

    code = "method_not_allowed"
    default_message = "This path does not take that method."

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(f"This path takes {', '.join(allowed)} only.")
        self.allowed = list(allowed)


class InvalidTransition(PayCaseError):
    code = "invalid_transition"
    default_message = "The case cannot make that change in its current state."


class VersionConflict(PayCaseError):
    code = "version_conflict"
    default_message = "The case was changed by someone else; reload it and try again."


class DuplicateOpenCase(PayCaseError):
    code = "duplicate_open_case"
    default_message = "An open case already exists for this contact and transaction."

    def __init__(self, case_number: str, case_id: str | None = None) -> None:
        super().__init__(
            f"An open case ({case_number}) already exists for this contact and transaction.",
            case_number=case_number,
        )
        self.case_number = case_number
        self.case_id = case_id  # for the service's own use; not part of the answer


class AlreadyRated(PayCaseError):
    code = "already_rated"
    default_message = "This case has already been rated; a case is rated once."


class EvidenceLimit(PayCaseError):
    """A case holds as many files, or as many bytes of them, as it may."""

    code = "evidence_limit"
    default_message = "This case holds as many files as it may."


class IdempotencyKeyReused(PayCaseError):
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used with a different request body."


class PayloadTooLarge(PayCaseError):
    code = "payload_too_large"
    default_message = "The request body is larger than 64 KiB."


class UnsupportedMediaType(PayCaseError):
    code = "unsupported_media_type"
    default_message = "Send the request body as application/json."


class RateLimited(PayCaseError):
    code = "rate_limited"
    default_message = "Too many requests; try again later."

    def __init__(self, message: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds, sent as Retry-After when known


class Unavailable(PayCaseError):
    code = "unavailable"
    default_message = "The service is busy; try again shortly."

    def __init__(self, message: str | None = None, retry_after: int = 2) -> None:
        super().__init__(message)
        self.retry_after = retry_after
