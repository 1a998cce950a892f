"""The hotline desk's one search box: GET /v1/admin/search?q=.

A caller gives a case number, a phone (any usual spelling), an email, a transaction id or an
order id; each is answered by a key or an index, never a scan. Phones and emails are looked up
by a keyed hash (HMAC-SHA256 with the search key, derived from the server's token key), so the
search index holds no phone number or address a reader of the table could use.

Every search is counted against the member's hourly allowance in the same conditional write
that appends it to the audit trail (who, when, which kind, the query masked); a search past the
allowance is refused (429) and the refusal is recorded too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import limits
from chalicelib.domain import validation as v
from chalicelib.domain.case import Case
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import InvalidContact, normalize_email, normalize_phone
from chalicelib.domain.errors import RateLimited
from chalicelib.services import audit, cursors, keys
from chalicelib.services.changes import Changes, KeyCount, Lookup
from chalicelib.services.desk_ports import SearchIndex
from chalicelib.services.entities import StaffMember
from chalicelib.services.ports import KeyReads, LimitReached, Transactions

KINDS = ("case_number", "phone", "email", "transaction_id", "order_id")
SEARCHES_PER_HOUR = 100  # per staff member; a desk agent takes a few calls an hour
_CASE_NUMBER = re.compile(r"PC[0-9]{8}-[0-9A-HJKMNP-TV-Z]{6}")
_PHONE_LIKE = re.compile(r"\+?[0-9][0-9 ().\-]{5,}")


def search_key(token_key: bytes) -> bytes:
    """The key of the search index's hashes, derived from the server's token key."""
    return hmac.new(token_key, b"search-index", hashlib.sha256).digest()


class SearchKeys:
    """The lookup keys of a case (written with it) and of a query (read with it)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _hash(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:40]

    def phone(self, e164: str) -> str:
        return f"phone#{self._hash(e164)}"

    def email(self, address: str) -> str:
        return f"email#{self._hash(address.lower())}"

    @staticmethod
    def order(order_id: str) -> str:
        return f"order#{order_id}"

    def of(self, case: Case) -> list[Lookup]:
        """What the search index holds for `case` (none for its case number and transaction,
        which are found through keys and indexes of their own)."""
        found = []
        if case.contact.phone:
            found.append(self.phone(case.contact.phone))
        if case.contact.email:
            found.append(self.email(case.contact.email))
        if case.payment and case.payment.order_id:
            found.append(self.order(case.payment.order_id))
        return [Lookup(k, case.case_id, case.created_at) for k in found]


@dataclass(frozen=True)
class Query:
    """What a search box's text was read as: its kinds in the order they are tried."""

    text: str
    kinds: tuple[str, ...]
    value: str  # normalised (E.164 phone, lower-case email, upper-case case number)


def read_query(raw: str) -> Query:
    text = raw.strip()
    upper = text.upper()
    if _CASE_NUMBER.fullmatch(upper):
        return Query(text, ("case_number",), upper)
    if "@" in text:
        try:
            return Query(text, ("email",), normalize_email(text).lower())
        except InvalidContact:
            pass  # an order id may hold an @
    if _PHONE_LIKE.fullmatch(text):
        try:
            return Query(text, ("phone",), normalize_phone(text))
        except InvalidContact:
            pass  # a long run of digits may be a transaction or order id
    return Query(text, ("transaction_id", "order_id"), text)


class CaseSearch:
    def __init__(
        self,
        store: Transactions,
        key_reads: KeyReads,
        index: SearchIndex,
        clock: Clock,
        keys_: SearchKeys,
        present: Any,
    ) -> None:
        self._store = store
        self._key_reads = key_reads
        self._index = index
        self._clock = clock
        self._keys = keys_
        self._present = present  # (cases) -> their queue items

    def search(self, member: StaffMember, params: Mapping[str, str | None]) -> dict[str, Any]:
        problems = v.Problems()
        raw = v.text(params, "q", problems, required=True, max_len=limits.EMAIL)
        limit = cursors.page_limit(params.get("limit"))
        problems.raise_if_any()
        assert raw is not None  # noqa: S101 - required above
        query = read_query(raw)
        self._count(member, query)
        matched, cases = None, []
        for kind in query.kinds:
            cases = self._find(kind, query.value, limit)
            if cases:
                matched = kind
                break
        if matched is None and len(query.kinds) == 1:
            matched = query.kinds[0]
        cases.sort(key=lambda c: (c.created_at, c.case_id), reverse=True)
        return {"items": self._present(cases), "matched": matched}

    def _count(self, member: StaffMember, query: Query) -> None:
        """Spend one of the member's searches this hour and record it, in one transaction;
        RateLimited (with the seconds until the next hour) once they are spent."""
        now = self._clock.now()
        hour = now.replace(minute=0, second=0, microsecond=0)
        next_hour = hour + timedelta(hours=1)
        kind = query.kinds[0] if len(query.kinds) == 1 else "id"
        detail = {"kind": kind, "query": audit.mask_query(kind, query.value)}
        rate = KeyCount(_rate_key(member.staff_id, hour), SEARCHES_PER_HOUR, next_hour)
        changes = Changes(now=now, counters=[rate])
        audit.record(changes, member.staff_id, "search", detail=detail)
        try:
            self._store.commit(changes)
        except LimitReached:
            refused = Changes(now=now)
            audit.record(refused, member.staff_id, "search_refused", detail=detail)
            self._store.commit(refused)
            wait = max(1, int((next_hour - now).total_seconds()))
            raise RateLimited(
                f"At most {SEARCHES_PER_HOUR} searches an hour; try again in {wait} seconds.",
                retry_after=wait,
            ) from None

    def _find(self, kind: str, value: str, limit: int) -> list[Case]:
        if kind == "case_number":
            held = self._key_reads.get_key(keys.case_number_key(value))
            ids = [str(held["case_id"])] if held and held.get("case_id") else []
        elif kind == "phone":
            ids = self._index.case_ids(self._keys.phone(value), limit)
        elif kind == "email":
            ids = self._index.case_ids(self._keys.email(value), limit)
        elif kind == "transaction_id":
            ids = self._index.case_ids_of_transaction(value, limit)
        else:
            ids = self._index.case_ids(self._keys.order(value), limit)
        return self._index.cases(ids)


def _rate_key(staff_id: str, hour: datetime) -> str:
    return f"search-rate#{staff_id}#{hour:%Y%m%d%H}"
