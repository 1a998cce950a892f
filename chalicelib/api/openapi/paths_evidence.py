"""Paths of evidence, the same four calls for each audience (customer, merchant, staff), and
staff sharing a file."""

from __future__ import annotations

from chalicelib.api.openapi.auth import CUSTOMER, STAFF_CASE, Auth
from chalicelib.api.openapi.auth_signed import MERCHANT_CASE
from chalicelib.api.openapi.builders import Schema, ref
from chalicelib.api.openapi.operations import CURSOR, LIMIT, WRITE_ERRORS, on_case, op, path_param
from chalicelib.domain import limits as L

EVIDENCE_ID = path_param(
    "evidence_id",
    "The file's id (a ULID); an id that is not one, or a file the caller may not see, is 404.",
    {"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"},
)
_LIMITS = (
    f"`evidence_limit`: the case holds {L.EVIDENCE_FILES} files or "
    f"{L.EVIDENCE_CASE_BYTES // (1024 * 1024)} MiB already (`limit`: files or bytes), or "
    f"{L.EVIDENCE_RECORDS} were asked for (`requests`); or `invalid_transition`: the case is "
    "final."
)
_WHO_SEES = (
    "Staff see every file; a customer their own and those staff share with the customer; a "
    "merchant its own and those staff share with the merchant."
)


def evidence_paths() -> dict[str, Schema]:
    paths: dict[str, Schema] = {}
    for base, auth, who in (
        ("/v1/cases/{case_id}", CUSTOMER, "the customer"),
        ("/v1/merchant/cases/{case_id}", MERCHANT_CASE, "the merchant"),
        ("/v1/admin/cases/{case_id}", STAFF_CASE, "staff"),
    ):
        paths |= _audience(base, auth, who)
    item = paths["/v1/admin/cases/{case_id}/evidence/{evidence_id}"]
    item["patch"] = op(
        "Share a file with the customer or the merchant (or stop)",
        ("200", ref("Evidence"), "The file after the change"),
        (*WRITE_ERRORS, ("409", "`invalid_transition`: a rejected file is not shared.")),
        body="EvidenceShareRequest",
        auth=STAFF_CASE,
        idempotent=True,
        description="A file newly shown to the customer adds a public `evidence_shared` entry "
        "to the case's timeline.",
    )
    return paths


def _audience(base: str, auth: Auth, who: str) -> dict[str, Schema]:
    one = f"{base}/evidence/{{evidence_id}}"
    return {
        f"{base}/evidence": on_case(
            post=op(
                f"Ask to upload a file to the case ({who})",
                ("201", ref("EvidenceUpload"), "The file, pending its upload"),
                (*WRITE_ERRORS, ("409", _LIMITS)),
                body="EvidenceRequest",
                auth=auth,
                idempotent=True,
                description="Answers a presigned POST: send its `fields` and then the file as "
                "`file` in a multipart form to its `url` within 5 minutes, then call "
                "`complete`. PayCase never receives the bytes. A type other than JPEG, PNG or "
                "PDF, or a size outside 1 B to 10 MiB, is 400 before any upload.",
            ),
            get=op(
                f"The case's files {who} may see",
                ("200", ref("EvidencePage"), "A page of files, oldest first"),
                (("400", "A bad limit or cursor."), "503"),
                auth=auth,
                params=[LIMIT, CURSOR],
                description=_WHO_SEES,
            ),
        ),
        one: {
            "parameters": [*on_case()["parameters"], EVIDENCE_ID],
            "get": op(
                f"One file and its download link ({who})",
                ("200", ref("EvidenceDownload"), "The file"),
                ("503",),
                auth=auth,
                description="`download_url` is a presigned GET valid 5 minutes, answered with "
                "`Content-Disposition: attachment`; every staff download is recorded on the "
                f"case's internal timeline. {_WHO_SEES}",
            ),
        },
        f"{one}/complete": {
            "parameters": [*on_case()["parameters"], EVIDENCE_ID],
            "post": op(
                f"Check an uploaded file ({who}, the uploader)",
                ("200", ref("Evidence"), "The file: available, rejected, or pending_scan"),
                ("503",),
                auth=auth,
                description="PayCase reads the stored object: its size, its first bytes "
                "against the declared type, and its SHA-256 when one was declared. A rejected "
                "object is deleted (`reason` says why); an available file adds an "
                "`evidence_added` timeline entry. Where files are scanned for malware, a file "
                "that passed waits in pending_scan: call again (or wait for the sweeper) "
                "until it is available or rejected. Calling again changes nothing else.",
            ),
        },
    }
