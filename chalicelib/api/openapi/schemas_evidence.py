"""Schemas of evidence: files on a case, their upload and their download."""

from __future__ import annotations

from chalicelib.api.openapi.builders import (
    BOOL,
    STR,
    TIME,
    Schema,
    answer,
    enum,
    nullable,
    obj,
    page,
    span,
    text,
)
from chalicelib.domain import limits as L
from chalicelib.domain.evidence import CONTENT_TYPES, EvidenceStatus, Reason, Scan

_ID: Schema = {"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"}
_SHA256: Schema = {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}
_MIB = 1024 * 1024


def evidence_schemas() -> dict[str, Schema]:
    low, high = L.EVIDENCE_FILE_BYTES
    item = {
        "evidence_id": _ID,
        "filename": STR,
        "content_type": enum(CONTENT_TYPES),
        "size_bytes": span(L.EVIDENCE_FILE_BYTES),
        "status": enum(
            [s.value for s in EvidenceStatus],
            "pending_upload: waiting for the upload and `complete`; pending_scan: passed the "
            "checks, waiting for the malware scan (stacks that scan); available; rejected.",
        ),
        "reason": nullable(
            enum([r.value for r in Reason], "Why a file was rejected (null otherwise).")
        ),
        "scan": enum(
            [s.value for s in Scan], "The malware scan: not_scanned where files are not scanned."
        ),
        "uploaded_by": enum(("customer", "merchant", "staff")),
        "at": TIME,
        "note": nullable(STR),
        "sha256": nullable(_SHA256),
        "uploader": {"type": "string", "description": "customer, merchant:<id> or staff:<id>."},
        "share_with_customer": BOOL,
        "share_with_merchant": BOOL,
    }
    # Staff see the note, checksum, uploader and sharing; the uploader its own note and checksum.
    staff_only = ("note", "sha256", "uploader", "share_with_customer", "share_with_merchant")
    evidence = answer(item, staff_only, "A file on a case, as the caller may see it.")
    download = {
        **item,
        "download_url": nullable(
            {
                "type": "string",
                "description": "A presigned GET valid 5 minutes that downloads the file as an "
                "attachment; null until the file is available.",
            }
        ),
        "download_expires_at": nullable(TIME),
    }
    upload = obj(
        {
            "url": {"type": "string", "description": "POST a multipart/form-data form here."},
            "fields": {
                "type": "object",
                "additionalProperties": STR,
                "description": "Form fields to send as they are, before the `file` field.",
            },
            "expires_at": TIME,
        },
        ["url", "fields", "expires_at"],
        description="A presigned POST: it stores one object under this file's key, of the "
        f"declared Content-Type, {low} B to {high // _MIB} MiB, encrypted with the stack's key, "
        "for 5 minutes.",
    )
    return {
        "EvidenceRequest": obj(
            {
                "filename": text(L.EVIDENCE_FILENAME, "No slashes or control characters."),
                "content_type": enum(CONTENT_TYPES),
                "size_bytes": span(L.EVIDENCE_FILE_BYTES),
                "sha256": {**_SHA256, "description": "Hex SHA-256 of the file, checked."},
                "note": text(L.EVIDENCE_NOTE),
            },
            ["filename", "content_type", "size_bytes"],
            closed=True,
        ),
        "EvidenceShareRequest": obj(
            {"share_with_customer": BOOL, "share_with_merchant": BOOL}, closed=True
        ),
        "Evidence": evidence,
        "EvidenceUpload": answer(
            {**item, "upload": upload}, staff_only, "The new file, pending its upload."
        ),
        "EvidenceDownload": answer(download, staff_only, "A file and its download link."),
        "EvidencePage": page("Evidence"),
    }
