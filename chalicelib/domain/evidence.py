"""Evidence: files customers, merchants and staff attach to a case (screenshots of a payment,
bank statements, delivery proof).

A file is first asked for (`pending_upload`: the client uploads it straight to storage, PayCase
never sees the bytes), then completed: PayCase checks the stored object itself (its size, its
first bytes against the declared type, its SHA-256 when one was declared) and the file becomes
`available`, or `rejected` with a reason. Where files are scanned for malware, a file that
passed the checks waits in `pending_scan` until the scan says it is clean. An upload never
completed is rejected as `expired` once its time is up.

Who sees a file: staff every one; the customer their own and those staff share with the
customer; the merchant its own and those staff share with the merchant. Nobody else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from . import limits
from . import validation as v
from .errors import EvidenceLimit, ValidationFailed

# What a file's first bytes are, for each type a client may declare.
MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
}
CONTENT_TYPES = tuple(MAGIC)
HEAD_BYTES = max(len(m) for ms in MAGIC.values() for m in ms)

UPLOAD_WINDOW = timedelta(minutes=5)  # how long a presigned upload is valid
DOWNLOAD_WINDOW = timedelta(minutes=5)  # how long a presigned download is valid
# An upload not completed this long after its window closed is rejected as expired (a client
# that uploaded at the last second still has time to call complete).
EXPIRY_GRACE = timedelta(hours=1)
# How often a file waiting for its malware scan is looked at again, and for how long.
SCAN_RECHECK = timedelta(minutes=5)
SCAN_GIVE_UP = timedelta(days=1)
# A rejected file whose objects could not be deleted at once is deleted by the sweeper this long
# after it was rejected (and again every sweep until it is).
REMOVAL_RETRY = timedelta(minutes=5)

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
# No path separators or control characters: the name is shown and offered as a download name.
_FILENAME = re.compile(r"[^/\\\x00-\x1f\x7f]+")


class EvidenceStatus(StrEnum):
    PENDING_UPLOAD = "pending_upload"
    PENDING_SCAN = "pending_scan"
    AVAILABLE = "available"
    REJECTED = "rejected"


# Files that count against a case's limits: everything not rejected.
HELD = frozenset(
    {EvidenceStatus.PENDING_UPLOAD, EvidenceStatus.PENDING_SCAN, EvidenceStatus.AVAILABLE}
)


class Scan(StrEnum):
    NOT_SCANNED = "not_scanned"  # scanning is off (the local stack, or a stack without it)
    PENDING = "pending"
    NO_THREATS_FOUND = "no_threats_found"
    THREATS_FOUND = "threats_found"
    FAILED = "failed"  # the scanner could not scan it (unsupported, denied, failed)


class Reason(StrEnum):
    """Why a file was rejected."""

    NOT_UPLOADED = "not_uploaded"  # nothing was stored under its key
    SIZE_MISMATCH = "size_mismatch"  # the stored size is not the declared one
    TYPE_MISMATCH = "type_mismatch"  # its first bytes are not of the declared type
    SHA256_MISMATCH = "sha256_mismatch"
    THREATS_FOUND = "threats_found"  # the malware scan found something
    SCAN_FAILED = "scan_failed"  # no clean scan result within a day
    EXPIRED = "expired"  # never completed


@dataclass(frozen=True)
class UploadRequest:
    filename: str
    content_type: str
    size_bytes: int
    sha256: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Evidence:
    case_id: str
    evidence_id: str
    filename: str
    content_type: str
    size_bytes: int
    uploaded_by: str  # "customer", "merchant" or "staff"
    actor: str  # "customer", "merchant:<id>", "staff:<id>"
    status: EvidenceStatus
    created_at: datetime
    upload_expires_at: datetime
    sha256: str | None = None
    note: str | None = None
    reason: Reason | None = None
    scan: Scan = Scan.NOT_SCANNED
    completed_at: datetime | None = None
    checked_at: datetime | None = None  # the scan result last read
    # When a rejected file's objects (its upload and its kept copy) were deleted: until then
    # the sweeper tries again, so a failed delete never leaves a rejected (say, infected) file
    # stored.
    removed_at: datetime | None = None
    share_with_customer: bool = False
    share_with_merchant: bool = False

    @property
    def upload_key(self) -> str:
        """Where the client uploads it (a lifecycle rule removes what stays there)."""
        return f"uploads/{self.case_id}/{self.evidence_id}"

    @property
    def file_key(self) -> str:
        """Where a file that passed its checks is kept, for as long as the case."""
        return f"cases/{self.case_id}/{self.evidence_id}"

    @property
    def sweep_at(self) -> datetime | None:
        """When the sweeper next looks at it: an upload whose time is up, a scan to read, a
        rejected file's objects still to delete."""
        if self.status is EvidenceStatus.PENDING_UPLOAD:
            return self.upload_expires_at + EXPIRY_GRACE
        if self.status is EvidenceStatus.PENDING_SCAN:
            return (self.checked_at or self.completed_at or self.created_at) + SCAN_RECHECK
        if self.status is EvidenceStatus.REJECTED and self.removed_at is None:
            return (self.checked_at or self.completed_at or self.created_at) + REMOVAL_RETRY
        return None

    def evolve(self, **changes: Any) -> Evidence:
        return replace(self, **changes)


def visible_to(evidence: Evidence, audience: str, merchant_id: str | None = None) -> bool:
    """Whether `audience` ("staff", "customer", "merchant" `merchant_id`) may see the file."""
    if audience == "staff":
        return True
    if audience == "customer":
        return evidence.uploaded_by == "customer" or (
            evidence.share_with_customer and evidence.status is EvidenceStatus.AVAILABLE
        )
    if audience == "merchant":
        own = evidence.actor == f"merchant:{merchant_id}"
        shared = evidence.share_with_merchant and evidence.status is EvidenceStatus.AVAILABLE
        return own or shared
    return False


def uploaded_by_caller(evidence: Evidence, audience: str, merchant_id: str | None = None) -> bool:
    """Whether the caller is the file's uploader (who may complete it). Staff are one desk: any
    of them completes a file staff asked for."""
    if audience == "merchant":
        return evidence.actor == f"merchant:{merchant_id}"
    return evidence.uploaded_by == audience


def parse_upload(body: Any) -> UploadRequest:
    """An upload request; ValidationFailed (400) for a name, type or size a file may not have."""
    problems = v.Problems()
    data = v.require_object(body, problems)
    v.reject_unknown(data, ("filename", "content_type", "size_bytes", "sha256", "note"), problems)
    filename = v.text(
        data,
        "filename",
        problems,
        required=True,
        max_len=limits.EVIDENCE_FILENAME,
        pattern=_FILENAME,
    )
    content_type = v.choice(data, "content_type", CONTENT_TYPES, problems, required=True)
    low, high = limits.EVIDENCE_FILE_BYTES
    size = v.integer(data, "size_bytes", problems, required=True, minimum=low, maximum=high)
    sha256 = v.text(data, "sha256", problems, max_len=64, pattern=_SHA256)
    if sha256 is not None and len(sha256) != 64:
        problems.add("sha256", "must be 64 hexadecimal characters")
    note = v.text(data, "note", problems, max_len=limits.EVIDENCE_NOTE, multiline=True)
    if problems or filename is None or content_type is None or size is None:
        raise ValidationFailed(problems.fields)
    return UploadRequest(filename, content_type, size, sha256.lower() if sha256 else None, note)


def check_room(existing: list[Evidence], request: UploadRequest) -> None:
    """EvidenceLimit when the case cannot take one more file of this size."""
    held = [e for e in existing if e.status in HELD]
    if len(held) >= limits.EVIDENCE_FILES:
        raise EvidenceLimit(f"A case holds at most {limits.EVIDENCE_FILES} files.", limit="files")
    if sum(e.size_bytes for e in held) + request.size_bytes > limits.EVIDENCE_CASE_BYTES:
        mib = limits.EVIDENCE_CASE_BYTES // (1024 * 1024)
        raise EvidenceLimit(f"A case's files hold at most {mib} MiB in all.", limit="bytes")
    if len(existing) >= limits.EVIDENCE_RECORDS:
        raise EvidenceLimit(
            f"At most {limits.EVIDENCE_RECORDS} files may be asked for on one case.",
            limit="requests",
        )


@dataclass(frozen=True)
class StoredObject:
    """What storage holds under an upload's key: its size, its first bytes, and its SHA-256
    (read only when the upload declared one)."""

    size_bytes: int
    head: bytes
    sha256: str | None = None


def judge(evidence: Evidence, stored: StoredObject | None) -> Reason | None:
    """Why the stored object is not the file that was declared; None when it is."""
    if stored is None:
        return Reason.NOT_UPLOADED
    if stored.size_bytes != evidence.size_bytes:
        return Reason.SIZE_MISMATCH
    if not stored.head.startswith(MAGIC[evidence.content_type]):
        return Reason.TYPE_MISMATCH
    if evidence.sha256 is not None and stored.sha256 != evidence.sha256:
        return Reason.SHA256_MISMATCH
    return None


def scan_outcome(tag: str | None) -> Scan:
    """The scan result a storage tag states (GuardDuty's `GuardDutyMalwareScanStatus`)."""
    if tag == "NO_THREATS_FOUND":
        return Scan.NO_THREATS_FOUND
    if tag == "THREATS_FOUND":
        return Scan.THREATS_FOUND
    if tag in ("UNSUPPORTED", "ACCESS_DENIED", "FAILED"):
        return Scan.FAILED
    return Scan.PENDING
