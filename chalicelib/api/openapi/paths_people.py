"""Paths of the staff desk's people, lookup and credentials: who am I, the staff directory,
deactivation, token and merchant secret rotation, the search and the audit trail."""

from __future__ import annotations

from chalicelib.api.openapi.auth import ADMIN, STAFF, SUPERVISOR, Auth
from chalicelib.api.openapi.builders import Schema, enum, ref
from chalicelib.api.openapi.operations import (
    CURSOR,
    LIMIT,
    WRITE_ERRORS,
    op,
    path_param,
    query,
)
from chalicelib.services.merchants import PREVIOUS_SECRET_GRACE
from chalicelib.services.search import SEARCHES_PER_HOUR
from chalicelib.services.staff import ROLES

_STAFF_ID = path_param("staff_id", "A member's `staff_id`.", {"type": "string", "minLength": 1})
_MERCHANT_ID = path_param(
    "merchant_id", "A registered merchant's id.", {"type": "string", "minLength": 1}
)
SELF_OR_ADMIN = Auth(
    ("staffToken",),
    "Admins for anyone; any member for themself.",
    {"401": "No credentials, or not a staff token.", "403": "Another member's, not an admin."},
)
_GRACE_HOURS = int(PREVIOUS_SECRET_GRACE.total_seconds() // 3600)
_RATE_LIMITED = (
    "429",
    f"More than {SEARCHES_PER_HOUR} searches by this member this clock hour; Retry-After says "
    "when the next hour starts. The refusal is in the audit trail.",
)


def people_paths() -> dict[str, Schema]:
    member = ("200", ref("StaffMember"), "The member")
    return {
        "/v1/admin/me": {
            "get": op("The calling staff member", member, ("503",), auth=STAFF),
        },
        "/v1/admin/staff": {
            "get": op(
                "The staff directory, by role then name",
                ("200", ref("StaffPage"), "A page of members"),
                ("400", "503"),
                auth=SUPERVISOR,
                params=[
                    query("role", "Members of one role", enum(ROLES)),
                    query(
                        "active",
                        "`true`: active members; `false`: deactivated ones",
                        enum(["true", "false"]),
                    ),
                    LIMIT,
                    CURSOR,
                ],
            ),
        },
        "/v1/admin/staff/{staff_id}/deactivate": {
            "parameters": [_STAFF_ID],
            "post": op(
                "Deactivate a member: their token answers 401 at once",
                ("200", ref("StaffMember"), "The member, `active: false`"),
                (
                    *WRITE_ERRORS,
                    ("404", "No such member."),
                    (
                        "409",
                        "`invalid_transition`: admins cannot deactivate themselves; "
                        "`version_conflict`: their token changed meanwhile.",
                    ),
                ),
                body="DeactivateRequest",
                optional_body=True,
                auth=ADMIN,
                idempotent=True,
                description=(
                    "The open cases they hold stay assigned to them and are listed by "
                    "`GET /v1/admin/cases?assignee=`, where `assignee_active` is false, for "
                    "reassignment; they can no longer be assigned new ones. A member already "
                    "deactivated is answered as they are. Recorded in the audit trail."
                ),
            ),
        },
        "/v1/admin/staff/{staff_id}/token": {
            "parameters": [_STAFF_ID],
            "post": op(
                "A new token for a member; the old one answers 401 at once",
                ("201", ref("TokenRotated"), "The new token, shown once"),
                (
                    ("400", "A malformed Idempotency-Key."),
                    ("404", "No such member."),
                    (
                        "409",
                        "`invalid_transition`: the member is deactivated; "
                        "`version_conflict`: their token changed meanwhile.",
                    ),
                    "503",
                ),
                auth=SELF_OR_ADMIN,
                idempotent=True,
                description=(
                    "Takes no body. The Idempotency-Key is scoped by the token that asked: a "
                    "repeat with the same key and the same (now revoked) token gets the same new "
                    "token for 24 hours, so an answer lost on the way is not a lock-out. "
                    "Recorded in the audit trail."
                ),
            ),
        },
        "/v1/admin/search": {
            "get": op(
                "Find cases by case number, phone, email, transaction or order id",
                ("200", ref("SearchResult"), "The cases found, newest first"),
                ("400", _RATE_LIMITED, "503"),
                auth=STAFF,
                params=[
                    query(
                        "q",
                        "A case number (`PC20261123-7K3F9Q`), a phone (E.164 or an 11-digit "
                        "mainland mobile, any spacing or dashes: `138 1234 5678`, "
                        "`+86-138-1234-5678`), an email (any case), a transaction id or an "
                        "order id.",
                        required=True,
                    ),
                    LIMIT,
                ],
                description=(
                    "Answered by keys and indexes, never a scan; phones and emails are found "
                    "through keyed hashes, never stored as index keys. Every search is in the "
                    "audit trail (who, when, the kind, the query masked)."
                ),
            ),
        },
        "/v1/admin/audit": {
            "get": op(
                "The audit trail, newest first",
                ("200", ref("AuditPage"), "A page of entries"),
                ("400", "503"),
                auth=ADMIN,
                params=[
                    query("actor", "Entries by one staff_id"),
                    query("case_id", "Entries about one case"),
                    LIMIT,
                    CURSOR,
                ],
                description=(
                    "Searches (and searches refused by the rate limit), staff reads of a full "
                    "case, and credential changes: members created, deactivated, tokens "
                    "rotated, merchants registered, secrets rotated. Entries are never changed "
                    "and are kept three years."
                ),
            ),
        },
        "/v1/admin/merchants/{merchant_id}/secrets": {
            "parameters": [_MERCHANT_ID],
            "post": op(
                "A new signing secret for a merchant",
                ("201", ref("SecretRotated"), "The new secret, shown once"),
                (
                    ("400", "A malformed Idempotency-Key."),
                    ("404", "No such merchant."),
                    (
                        "409",
                        "`version_conflict`: another rotation won; read the merchant's "
                        "email and rotate again if needed.",
                    ),
                    "503",
                ),
                auth=ADMIN,
                idempotent=True,
                description=(
                    f"Takes no body. The new secret signs at once; the replaced one for "
                    f"{_GRACE_HOURS} hours more (a secret replaced before that is dropped), "
                    "then 401. The merchant is emailed who rotated it, when, and until when "
                    "the old one works (never the secret). Recorded in the audit trail."
                ),
            ),
        },
    }
