"""The audit trail: every staff search, every staff read of a full case or download of its
files, and every credential change, kept for three years and never changed once written.

A use case that changes something records its entry in the same transaction as the change
(`record(changes, ...)`), so a change without its entry, or an entry without its change, cannot
happen. A read records its entry before the answer goes out (`AuditTrail.write`): when the
trail cannot be written, the read answers 503 instead of going unrecorded.

Entries hold ids, never personal data: a search's query is kept masked (`mask_query`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import limits
from chalicelib.domain import validation as v
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import mask_email, mask_phone
from chalicelib.domain.ids import new_ulid
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services import cursors
from chalicelib.services.changes import Changes
from chalicelib.services.desk_ports import AuditLog
from chalicelib.services.entities import AuditEntry
from chalicelib.services.ports import Transactions

# Kept three years (DynamoDB TTL removes an entry once its time is up).
RETENTION = timedelta(days=3 * 365 + 1)
ACTIONS = (
    "search",  # detail: kind, query (masked), results
    "search_refused",  # the member's search rate limit was reached; detail: kind, query
    "case_read",  # a staff read of a full case (GET /v1/admin/cases/{case_id})
    "evidence_downloaded",  # a staff download of a file on a case; detail: evidence_id
    "staff_created",
    "staff_deactivated",
    "token_rotated",
    "merchant_registered",
    "secret_rotated",
)


def entry(
    actor: str,
    action: str,
    now: datetime,
    *,
    case_id: str | None = None,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEntry(new_ulid(now), now, actor, action, case_id, target, dict(detail or {}))


def record(
    changes: Changes,
    actor: str,
    action: str,
    *,
    case_id: str | None = None,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to `changes`, written with the change in its one transaction."""
    added = entry(actor, action, changes.now, case_id=case_id, target=target, detail=detail)
    changes.audit.append(added)
    return added


def expires_at(item: AuditEntry) -> datetime:
    return item.at + RETENTION


def mask_query(kind: str | None, query: str) -> str:
    """What the trail keeps of a search's query: a phone as `138****5678`, an email as
    `z***@example.com`; a case number, transaction or order id keeps its first 2 and last 4
    characters (enough to tell two searches apart, not enough to repeat them)."""
    if kind == "phone":
        return mask_phone(query) or "***"
    if kind == "email":
        return mask_email(query) or "***"
    if len(query) <= 6:
        return "*" * len(query)
    return f"{query[:2]}***{query[-4:]}"


def present(item: AuditEntry) -> dict[str, Any]:
    return {
        "id": item.entry_id,
        "at": to_rfc3339(item.at),
        "actor": item.actor,
        "action": item.action,
        "case_id": item.case_id,
        "target": item.target,
        "detail": dict(item.detail),
    }


class AuditTrail:
    """Writes entries for reads and lists the trail (admins)."""

    def __init__(self, store: Transactions, log: AuditLog, clock: Clock, cursor_key: bytes) -> None:
        self._store = store
        self._log = log
        self._clock = clock
        self._cursor_key = cursor_key

    def write(
        self,
        actor: str,
        action: str,
        *,
        case_id: str | None = None,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """One entry on its own (a read): Unavailable when it cannot be written."""
        changes = Changes(now=self._clock.now())
        added = record(changes, actor, action, case_id=case_id, target=target, detail=detail)
        self._store.commit(changes)
        return added

    def list(self, params: Mapping[str, str | None]) -> dict[str, Any]:
        """A page of entries, newest first, by actor, by case, or both (neither: all)."""
        problems = v.Problems()
        actor = v.text(params, "actor", problems, max_len=limits.STAFF_ID)
        case_id = v.text(params, "case_id", problems, max_len=limits.STAFF_ID)
        limit = cursors.page_limit(params.get("limit"))
        problems.raise_if_any()
        scope = f"audit:{actor or ''}:{case_id or ''}"
        start = cursors.decode(params.get("cursor"), self._cursor_key, scope)
        items, last = self._log.entries(
            actor=actor, case_id=case_id, now=self._clock.now(), limit=limit, start=start
        )
        return {
            "items": [present(i) for i in items],
            "next_cursor": cursors.encode(last, self._cursor_key, scope),
        }
