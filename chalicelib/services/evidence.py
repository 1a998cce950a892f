"""Evidence files on a case, for customers, merchants and staff: asking for an upload,
completing it, listing and downloading what the caller may see, staff sharing a file.

The bytes never pass through PayCase: a client uploads to a presigned POST and downloads from a
presigned GET. `complete` checks the stored object itself (size, first bytes, SHA-256), since a
presigned policy alone is not a check (and local storage does not enforce one). Every change to
a file is a step of its case, committed with the case's version, so the per-case limits hold
however many uploads race; the case's Idempotency-Key protocol covers asking for an upload, and
`complete` is idempotent by the file's own state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain import evidence_steps as steps
from chalicelib.domain import validation as v
from chalicelib.domain.case import Case
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import NotFound, Unavailable
from chalicelib.domain.evidence import (
    DOWNLOAD_WINDOW,
    HEAD_BYTES,
    UPLOAD_WINDOW,
    Evidence,
    EvidenceStatus,
    judge,
    parse_upload,
    scan_outcome,
    uploaded_by_caller,
    visible_to,
)
from chalicelib.domain.ids import is_ulid, new_ulid
from chalicelib.domain.lifecycle import Step
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services import cursors
from chalicelib.services.changes import Changes
from chalicelib.services.desk_ports import EvidenceReads, EvidenceStorage
from chalicelib.services.evidence_audit import DownloadAudit
from chalicelib.services.idempotency import Once
from chalicelib.services.steps import StepWriter

E = EvidenceStatus
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Who asks, as the evidence rules see them: the audience and the actor it records."""

    audience: str  # "customer", "merchant", "staff"
    actor: str  # "customer", "merchant:<id>", "staff:<id>"
    merchant_id: str | None = None

    @classmethod
    def customer(cls) -> Caller:
        return cls("customer", "customer")

    @classmethod
    def merchant(cls, merchant_id: str) -> Caller:
        return cls("merchant", f"merchant:{merchant_id}", merchant_id)

    @classmethod
    def staff(cls, staff_id: str) -> Caller:
        return cls("staff", f"staff:{staff_id}")

    def sees(self, evidence: Evidence) -> bool:
        return visible_to(evidence, self.audience, self.merchant_id)


class EvidenceService:
    def __init__(
        self,
        writer: StepWriter,
        files: EvidenceReads,
        storage: EvidenceStorage,
        audit: DownloadAudit,
        clock: Clock,
        cursor_key: bytes,
        *,
        scanning: bool = False,
    ) -> None:
        self._writer = writer
        self._files = files
        self._storage = storage
        self._audit = audit
        self._clock = clock
        self._cursor_key = cursor_key
        self._scanning = scanning

    # -- asking for an upload, completing it ---------------------------------------------------

    def request(self, caller: Caller, case_id: str, body: Any, once: Once | None) -> dict[str, Any]:
        """A pending file and its presigned upload; a repeat under the same `once` answers the
        first upload again."""
        self._case(caller, case_id)
        upload = parse_upload(body)

        def act(case: Case, now: datetime) -> Step:
            existing = self._files.evidence_of(case.case_id)
            return steps.request_upload(case, existing, upload, new_ulid(now), caller.actor, now)

        def respond(case: Case, changes: Changes) -> dict[str, Any]:
            evidence = changes.evidence[0]
            posted = self._storage.presign_upload(
                evidence.upload_key, evidence.content_type, int(UPLOAD_WINDOW.total_seconds())
            )
            return {
                **present(evidence, caller),
                "upload": {**posted, "expires_at": to_rfc3339(evidence.upload_expires_at)},
            }

        _, answer = self._writer.apply(case_id, act, idempotency=once, respond=respond)
        return answer

    def complete(self, caller: Caller, case_id: str, evidence_id: str) -> dict[str, Any]:
        """Check the uploaded object and mark the file available or rejected (a rejected
        object is deleted). A file no longer pending is answered as it is."""
        self._case(caller, case_id)
        evidence = self._file(caller, case_id, evidence_id)
        if not uploaded_by_caller(evidence, caller.audience, caller.merchant_id):
            raise NotFound()
        if evidence.status is E.PENDING_UPLOAD:
            evidence = self._check_upload(evidence)
        elif evidence.status is E.PENDING_SCAN:
            evidence = self._check_scan(evidence)
        elif evidence.status is E.REJECTED and evidence.removed_at is None:
            evidence = self._remove_again(evidence)
        return present(evidence, caller)

    def _check_upload(self, evidence: Evidence) -> Evidence:
        stored = self._storage.inspect(
            evidence.upload_key, HEAD_BYTES, digest=evidence.sha256 is not None
        )
        if judge(evidence, stored) is None:
            self._storage.promote(evidence.upload_key, evidence.file_key)
        calendar = self._writer.calendar
        after = self._change(
            evidence,
            lambda case, now, current: steps.complete(
                case, current, stored, self._scanning, now, calendar
            ),
        )
        if after.status is E.REJECTED:
            self._remove(after)  # must go: a failure is a 503, and the next complete retries
        else:
            self._tidy(evidence)
        return after

    def _tidy(self, evidence: Evidence) -> None:
        """Remove the upload of a file that was kept: its copy is what counts now, so a storage
        failure here does not fail the request (the lifecycle rule removes it within a day)."""
        try:
            self._storage.delete(evidence.upload_key)
        except Unavailable:
            log.warning("evidence %s: upload left for the lifecycle rule", evidence.evidence_id)

    def _check_scan(self, evidence: Evidence) -> Evidence:
        scan = scan_outcome(self._storage.scan_tag(evidence.file_key))
        calendar = self._writer.calendar
        after = self._change(
            evidence,
            lambda case, now, current: steps.scan_result(case, current, scan, now, calendar),
        )
        if after.status is E.REJECTED:
            self._remove(after)
        return after

    def _remove(self, evidence: Evidence) -> None:
        """Delete a rejected file's objects, then note that they are gone. A failure leaves it
        for the sweeper (its `sweep_at`) or the next `complete`."""
        self._storage.delete(evidence.upload_key)
        self._storage.delete(evidence.file_key)
        self._change(evidence, lambda case, now, current: steps.removed(case, current, now))

    def _change(
        self, evidence: Evidence, rule: Callable[[Case, datetime, Evidence], Step]
    ) -> Evidence:
        """Apply `rule` to the file as stored when its case is read (a concurrent change runs
        it again on both); returns the file as it is afterwards."""
        case_id, evidence_id = evidence.case_id, evidence.evidence_id

        def act(case: Case, now: datetime) -> Step:
            current = self._files.get_evidence(case_id, evidence_id)
            return rule(case, now, current) if current is not None else Step(case)

        self._writer.apply(case_id, act)
        after = self._files.get_evidence(case_id, evidence_id)
        return after if after is not None else evidence

    # -- reading -------------------------------------------------------------------------------

    def list(self, caller: Caller, case_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
        """The files the caller may see, oldest first, a page at a time."""
        self._case(caller, case_id)
        scope = f"evidence:{caller.actor}:{case_id}"
        after = (cursors.decode(cursor, self._cursor_key, scope) or {}).get("evidence_id", "")
        seen = [
            e
            for e in self._files.evidence_of(case_id)
            if caller.sees(e) and e.evidence_id > str(after)
        ]
        page = seen[:limit]
        last = {"evidence_id": page[-1].evidence_id} if len(seen) > limit else None
        return {
            "items": [present(e, caller) for e in page],
            "next_cursor": cursors.encode(last, self._cursor_key, scope),
        }

    def get(self, caller: Caller, case_id: str, evidence_id: str) -> dict[str, Any]:
        """One file, with a download link valid 5 minutes once it is available; a staff
        member's download is recorded before the link is given."""
        case = self._case(caller, case_id)
        evidence = self._file(caller, case_id, evidence_id)
        out = present(evidence, caller)
        out["download_url"] = None
        out["download_expires_at"] = None
        if evidence.status is E.AVAILABLE:
            if caller.audience == "staff":
                self._audit.staff_downloaded(caller.actor.split(":", 1)[1], case, evidence)
            seconds = int(DOWNLOAD_WINDOW.total_seconds())
            out["download_url"] = self._storage.presign_download(
                evidence.file_key, evidence.filename, evidence.content_type, seconds
            )
            out["download_expires_at"] = to_rfc3339(self._clock.now() + DOWNLOAD_WINDOW)
        return out

    # -- staff ---------------------------------------------------------------------------------

    def share(
        self, staff_id: str, case_id: str, evidence_id: str, body: Any, once: Once | None
    ) -> dict[str, Any]:
        """PATCH: share a file with the customer or the merchant, or stop sharing it."""
        caller = Caller.staff(staff_id)
        self._case(caller, case_id)
        problems = v.Problems()
        data = v.require_object(body, problems)
        v.reject_unknown(data, ("share_with_customer", "share_with_merchant"), problems)
        customer = v.boolean(data, "share_with_customer", problems)
        merchant = v.boolean(data, "share_with_merchant", problems)
        if not problems and customer is None and merchant is None:
            problems.add("body", "give share_with_customer or share_with_merchant")
        problems.raise_if_any()
        evidence = self._file(caller, case_id, evidence_id)

        def act(case: Case, now: datetime) -> Step:
            current = self._files.get_evidence(case_id, evidence_id) or evidence
            return steps.share(case, current, staff_id, now, customer, merchant)

        def respond(case: Case, changes: Changes) -> dict[str, Any]:
            shared = changes.evidence[0] if changes.evidence else evidence
            return present(shared, caller)

        _, answer = self._writer.apply(case_id, act, idempotency=once, respond=respond)
        return answer

    # -- the sweeper ---------------------------------------------------------------------------

    def sweep(self, limit: int = 100, stop: Callable[[], bool] | None = None) -> int:
        """Uploads never completed are rejected as expired (their objects deleted, as the
        bucket's lifecycle rule would a day later); files waiting for their malware scan read
        its result; rejected files whose objects an earlier delete left are deleted. Returns
        how many files it looked at."""
        now = self._clock.now()
        done = 0
        for evidence in self._files.evidence_due(now, limit):
            if stop is not None and stop():
                break
            try:
                self._sweep_one(evidence)
            except Exception:  # one file's fault never keeps the others from their sweep
                log.exception("evidence sweep: %s failed", evidence.evidence_id)
            done += 1
        return done

    def _sweep_one(self, evidence: Evidence) -> None:
        if evidence.status is E.PENDING_UPLOAD:
            after = self._change(
                evidence, lambda case, at, current: steps.expire(case, current, at)
            )
            if after.status is E.REJECTED:
                self._remove(after)
        elif evidence.status is E.PENDING_SCAN:
            self._check_scan(evidence)
        elif evidence.status is E.REJECTED and evidence.removed_at is None:
            self._remove_again(evidence)

    def _remove_again(self, evidence: Evidence) -> Evidence:
        """A rejected file whose objects an earlier delete could not remove."""
        self._remove(evidence)
        return self._files.get_evidence(evidence.case_id, evidence.evidence_id) or evidence

    # -- access --------------------------------------------------------------------------------

    def _case(self, caller: Caller, case_id: str) -> Case:
        """The case, if the caller may see it (the view resolved a customer's or staff
        member's access already; a merchant sees the cases that name it)."""
        case = self._writer.load(case_id)
        if caller.audience == "merchant" and case.merchant_id != caller.merchant_id:
            raise NotFound()
        return case

    def _file(self, caller: Caller, case_id: str, evidence_id: str) -> Evidence:
        evidence = self._files.get_evidence(case_id, evidence_id) if is_ulid(evidence_id) else None
        if evidence is None or not caller.sees(evidence):
            raise NotFound()
        return evidence


def present(evidence: Evidence, caller: Caller) -> dict[str, Any]:
    """A file as the caller sees it: staff also see its note, checksum and sharing."""
    out: dict[str, Any] = {
        "evidence_id": evidence.evidence_id,
        "filename": evidence.filename,
        "content_type": evidence.content_type,
        "size_bytes": evidence.size_bytes,
        "status": evidence.status.value,
        "reason": evidence.reason.value if evidence.reason else None,
        "scan": evidence.scan.value,
        "uploaded_by": evidence.uploaded_by,
        "at": to_rfc3339(evidence.created_at),
    }
    own = uploaded_by_caller(evidence, caller.audience, caller.merchant_id)
    if caller.audience == "staff" or own:
        out["note"] = evidence.note
        out["sha256"] = evidence.sha256
    if caller.audience == "staff":
        out["uploader"] = evidence.actor
        out["share_with_customer"] = evidence.share_with_customer
        out["share_with_merchant"] = evidence.share_with_merchant
    return out
