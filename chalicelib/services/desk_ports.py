"""Ports of the desk's files, audit trail and search: what the evidence, audit and search use
cases need from storage, as small Protocols (the rest of the ports: `ports.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.case import Case
from chalicelib.domain.evidence import Evidence, StoredObject
from chalicelib.services.entities import AuditEntry


class EvidenceReads(Protocol):
    """A case's files as stored (they are written through `Changes.evidence`)."""

    def evidence_of(self, case_id: str) -> list[Evidence]:
        """Every file asked for on the case (at most limits.EVIDENCE_RECORDS), oldest first."""
        ...

    def get_evidence(self, case_id: str, evidence_id: str) -> Evidence | None: ...

    def evidence_due(self, before: datetime, limit: int) -> list[Evidence]:
        """Files the sweeper should look at by `before`: uploads whose time is up, files
        waiting for their malware scan; soonest first."""
        ...


class EvidenceStorage(Protocol):
    """Where the bytes of files live (S3). Presigning is local; the rest are calls, and raise
    Unavailable when storage is unavailable."""

    def presign_upload(self, key: str, content_type: str, expires_in: int) -> dict[str, Any]:
        """{"url", "fields"} of a browser-style POST that stores exactly one object under `key`
        of `content_type`, encrypted with the stack's key, within `expires_in` seconds."""
        ...

    def inspect(self, key: str, head_bytes: int, *, digest: bool) -> StoredObject | None:
        """The object under `key` (its SHA-256 read only with `digest`); None if there is none."""
        ...

    def promote(self, source: str, target: str) -> None:
        """Copy the object under `source` to `target` (encrypted with the stack's key)."""
        ...

    def scan_tag(self, key: str) -> str | None:
        """The malware scanner's verdict tag on the object, if it has written one yet."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object under `key`; nothing there is no error."""
        ...

    def presign_download(self, key: str, filename: str, content_type: str, expires_in: int) -> str:
        """A GET URL valid `expires_in` seconds that downloads it as an attachment `filename`."""
        ...


class AuditLog(Protocol):
    """The audit trail as stored (entries are written through `Changes.audit`)."""

    def entries(
        self,
        *,
        actor: str | None,
        case_id: str | None,
        now: datetime,
        limit: int,
        start: dict[str, Any] | None,
    ) -> tuple[list[AuditEntry], dict[str, Any] | None]:
        """A page of entries, newest first: by actor, by case, both, or (neither) all of them."""
        ...


class SearchIndex(Protocol):
    """The staff search's reads: cases by a lookup key (`Changes.lookups`), by transaction, and
    cases by id; every one through a key or an index, never a scan."""

    def case_ids(self, lookup: str, limit: int) -> list[str]:
        """Ids of the cases filed under `lookup`, newest first."""
        ...

    def case_ids_of_transaction(self, transaction_id: str, limit: int) -> list[str]:
        """Ids of the cases that name the transaction, newest first."""
        ...

    def cases(self, case_ids: list[str]) -> list[Case]:
        """Those of the cases that exist, in the order given (one batched read)."""
        ...

    def every_case(
        self, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Case], dict[str, Any] | None]:
        """A page of all cases in no particular order, and where the next page starts (None at
        the end): a scan, for the search index's backfill only."""
        ...
