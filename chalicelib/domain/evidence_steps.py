"""What a file does to its case: asking for an upload, completing it, a scan result, sharing it,
a staff member reading it, an upload that expired. Each returns a Step (the case, its timeline
entries, its messages and the file as it is after), committed with the case's own version, so
the limits of a case hold however many uploads race.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .actions import customer_answers
from .alerts import activity
from .calendar import WorkingCalendar
from .case import Case, Visibility
from .errors import InvalidTransition
from .evidence import (
    SCAN_GIVE_UP,
    UPLOAD_WINDOW,
    Evidence,
    EvidenceStatus,
    Reason,
    Scan,
    StoredObject,
    UploadRequest,
    check_room,
    judge,
    visible_to,
)
from .step import Entry, Step

E = EvidenceStatus


def request_upload(
    case: Case,
    existing: list[Evidence],
    request: UploadRequest,
    evidence_id: str,
    actor: str,
    now: datetime,
) -> Step:
    """A new file, pending its upload, if the case is open and has room for it."""
    if not case.is_open:
        raise InvalidTransition("The case is closed; it takes no more files.")
    check_room(existing, request)
    uploaded_by = actor.split(":", 1)[0]
    evidence = Evidence(
        case_id=case.case_id,
        evidence_id=evidence_id,
        filename=request.filename,
        content_type=request.content_type,
        size_bytes=request.size_bytes,
        uploaded_by=uploaded_by,
        actor=actor,
        status=E.PENDING_UPLOAD,
        created_at=now,
        upload_expires_at=now + UPLOAD_WINDOW,
        sha256=request.sha256,
        note=request.note,
    )
    return Step(case, evidence=(evidence,))


def complete(
    case: Case,
    evidence: Evidence,
    stored: StoredObject | None,
    scanned: bool,
    now: datetime,
    calendar: WorkingCalendar,
) -> Step:
    """Judge the stored object of a pending upload: rejected with its reason, or passed (then
    available, or waiting for its malware scan where files are scanned). Anything but a pending
    upload is left as it is: a second `complete` changes nothing."""
    if evidence.status is not E.PENDING_UPLOAD:
        return Step(case)
    reason = judge(evidence, stored)
    if reason is not None:
        return reject(case, evidence, reason, now)
    if scanned:
        passed = evidence.evolve(status=E.PENDING_SCAN, scan=Scan.PENDING, completed_at=now)
        return Step(case, evidence=(passed,))
    return _available(case, evidence.evolve(completed_at=now), now, calendar)


def scan_result(
    case: Case, evidence: Evidence, scan: Scan, now: datetime, calendar: WorkingCalendar
) -> Step:
    """A file waiting for its scan: available once it is clean, rejected (and deleted) when it
    is not, or when no result came within a day; else it waits on."""
    if evidence.status is not E.PENDING_SCAN:
        return Step(case)
    if scan is Scan.NO_THREATS_FOUND:
        return _available(case, evidence.evolve(scan=scan), now, calendar)
    if scan is Scan.THREATS_FOUND:
        return reject(case, evidence.evolve(scan=scan), Reason.THREATS_FOUND, now)
    started = evidence.completed_at or evidence.created_at
    if scan is Scan.FAILED or now - started >= SCAN_GIVE_UP:
        return reject(case, evidence.evolve(scan=Scan.FAILED), Reason.SCAN_FAILED, now)
    # Looked at again later: its sweep time moves on with the check.
    return Step(case, evidence=(evidence.evolve(checked_at=now),))


def reject(case: Case, evidence: Evidence, reason: Reason, now: datetime) -> Step:
    rejected = evidence.evolve(status=E.REJECTED, reason=reason, completed_at=now)
    entry = Entry(
        "evidence_rejected",
        Visibility.INTERNAL,
        "system",
        None,
        {**_facts(evidence), "reason": reason.value},
    )
    return Step(case, (entry,), evidence=(rejected,))


def expire(case: Case, evidence: Evidence, now: datetime) -> Step:
    """An upload whose time is up and that nobody completed."""
    if evidence.status is not E.PENDING_UPLOAD or now < evidence.upload_expires_at:
        return Step(case)
    expired = evidence.evolve(status=E.REJECTED, reason=Reason.EXPIRED, completed_at=now)
    return Step(case, evidence=(expired,))


def removed(case: Case, evidence: Evidence, now: datetime) -> Step:
    """A rejected file's objects are gone: the sweeper need not look at it again."""
    if evidence.status is not E.REJECTED or evidence.removed_at is not None:
        return Step(case)
    return Step(case, evidence=(evidence.evolve(removed_at=now),))


def _available(case: Case, evidence: Evidence, now: datetime, calendar: WorkingCalendar) -> Step:
    """The file is there for whoever may see it: its `evidence_added` entry (public when the
    customer can see it), its holder told of a customer's or merchant's file, and a case that
    waited for the customer's information investigated again."""
    available = evidence.evolve(status=E.AVAILABLE)
    public = visible_to(available, "customer")
    entry = Entry(
        "evidence_added",
        Visibility.PUBLIC if public else Visibility.INTERNAL,
        evidence.actor,
        None,
        {**_facts(evidence), "round": case.round},
    )
    step = Step(replace(case, updated_at=now), (entry,), evidence=(available,))
    if evidence.uploaded_by == "customer":
        step, answered = customer_answers(step, now, calendar)
        told = activity(step.case, "customer_evidence", _described(evidence), resumed=answered)
        return replace(step, notices=(*step.notices, told))
    if evidence.uploaded_by == "merchant":
        told = activity(step.case, "merchant_evidence", _described(evidence))
        return replace(step, notices=(*step.notices, told))
    return step


def share(
    case: Case,
    evidence: Evidence,
    staff_id: str,
    now: datetime,
    with_customer: bool | None,
    with_merchant: bool | None,
) -> Step:
    """Staff share a file with the customer or the merchant (or stop sharing it). A file newly
    shown to the customer gets a public entry on their timeline."""
    if evidence.status is E.REJECTED:
        raise InvalidTransition("A rejected file cannot be shared.")
    changed = evidence.evolve(
        share_with_customer=evidence.share_with_customer
        if with_customer is None
        else with_customer,
        share_with_merchant=evidence.share_with_merchant
        if with_merchant is None
        else with_merchant,
    )
    if changed == evidence:
        return Step(case)
    newly_public = visible_to(changed, "customer") and not visible_to(evidence, "customer")
    entry = Entry(
        "evidence_shared",
        Visibility.PUBLIC if newly_public else Visibility.INTERNAL,
        f"staff:{staff_id}",
        None,
        {
            **_facts(evidence),
            "share_with_customer": changed.share_with_customer,
            "share_with_merchant": changed.share_with_merchant,
        },
    )
    return Step(case, (entry,), evidence=(changed,))


def downloaded_by_staff(evidence: Evidence, staff_id: str) -> Entry:
    """The internal record of a staff member reading a file."""
    return Entry(
        "evidence_downloaded", Visibility.INTERNAL, f"staff:{staff_id}", None, _facts(evidence)
    )


def _facts(evidence: Evidence) -> dict[str, object]:
    return {
        "evidence_id": evidence.evidence_id,
        "filename": evidence.filename,
        "content_type": evidence.content_type,
        "size_bytes": evidence.size_bytes,
        "uploaded_by": evidence.uploaded_by,
    }


def _described(evidence: Evidence) -> str:
    return f"{evidence.filename}\n{evidence.note}" if evidence.note else evidence.filename
