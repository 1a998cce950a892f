"""Names of the uniqueness and idempotency keys the services hold (one place, so every writer
and releaser agrees)."""

from __future__ import annotations

from chalicelib.domain.contact import Contact
from chalicelib.domain.ids import fingerprint


def open_case_keys(contact: Contact, transaction_id: str | None) -> list[str]:
    """Held while a case is open, one per contact point, so the same person cannot open a second
    case about the same transaction; released when the case becomes final."""
    if not transaction_id:
        return []
    points = [p for p in (contact.phone, (contact.email or "").lower()) if p]
    return [f"open-case#{fingerprint(point, transaction_id)}" for point in points]


def case_number_key(case_number: str) -> str:
    return f"case-number#{case_number}"


def idempotency_key(scope: str, key: str) -> str:
    return f"idempotency#{scope}#{key}"
