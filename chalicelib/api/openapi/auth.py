"""Who may call what: the bearer-token security schemes and each audience's auth errors
(signed merchant and webhook calls: auth_signed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.api.openapi.builders import Schema
from chalicelib.services.sessions import SESSION_TTL
from chalicelib.services.staff import roles_admitted


@dataclass(frozen=True)
class Auth:
    """Who may call an operation: its security schemes, a note, and what its auth errors mean.
    `together` when every scheme is needed at once (signed headers), not any one of them;
    `roles` when only some staff roles may call it (any role when empty)."""

    schemes: tuple[str, ...]
    note: str
    errors: Mapping[str, str]
    together: bool = False
    roles: tuple[str, ...] = ()
    optional: bool = False  # the call also works without credentials

    def security(self) -> list[dict[str, list[str]]]:
        """The operation's security requirements: one with every scheme, or one per scheme; with
        `roles`, one per role that may call it (OpenAPI 3.1 lets a requirement name the roles
        it needs), so the document says who may call what."""
        if self.optional:
            anyone: list[dict[str, list[str]]] = [{}]
            return anyone + [{scheme: []} for scheme in self.schemes]
        if self.together:
            return [{scheme: [] for scheme in self.schemes}]
        if self.roles:
            return [{scheme: [role]} for scheme in self.schemes for role in self.roles]
        return [{scheme: []} for scheme in self.schemes]


_NO_STAFF = "No credentials, or not a staff token."
_CASE_PROBING = (
    "Any token that is not a staff token gets 404, exactly like a case that does not exist, "
    "so case ids cannot be probed with customer tokens; 401 only without an Authorization "
    "header."
)
_NO_STAFF_CASE = {
    "401": "No Authorization header.",
    "404": "No such case, or the token is not a staff token.",
}

CUSTOMER = Auth(
    ("caseToken", "sessionToken"),
    "Bearer the case's access token (`ct_...`) or an SMS session token (`ss_...`) whose phone "
    "is the case's phone. Any token that does not open this case gets 404, exactly like a case "
    "that does not exist, so case ids cannot be probed; 401 only without credentials.",
    {
        "401": "No `Authorization: Bearer` credentials.",
        "404": "No such case, or the token does not open it.",
    },
)
SESSION = Auth(
    ("sessionToken",),
    "Bearer an SMS session token (`ss_...`, from POST /v1/sessions).",
    {"401": "No live SMS session token (a case access token is not a session)."},
)
OPTIONAL_SESSION = Auth(
    ("sessionToken",),
    "No credentials needed. With an SMS session token (`ss_...`) whose phone is the "
    "complaint's contact.phone, the per-phone limits of unverified intake do not apply.",
    {"401": "An Authorization header that is not a live SMS session token."},
    optional=True,
)
STAFF = Auth(("staffToken",), "Any staff role.", {"401": _NO_STAFF})
AGENT = Auth(
    ("staffToken",),
    "Agents, supervisors and admins (not reviewers).",
    {"401": _NO_STAFF, "403": "A reviewer's token."},
    roles=roles_admitted("agent"),
)
SUPERVISOR = Auth(
    ("staffToken",),
    "Supervisors and admins.",
    {"401": _NO_STAFF, "403": "Not a supervisor or admin."},
    roles=roles_admitted("supervisor"),
)
ADMIN = Auth(
    ("staffToken",),
    "Admins only.",
    {"401": _NO_STAFF, "403": "Not an admin."},
    roles=roles_admitted("admin"),
)
STAFF_CASE = Auth(("staffToken",), f"A staff token. {_CASE_PROBING}", _NO_STAFF_CASE)
SUPERVISOR_CASE = Auth(
    ("staffToken",),
    f"A staff token of a supervisor or admin. {_CASE_PROBING}",
    {**_NO_STAFF_CASE, "403": "A staff token, but not a supervisor's or an admin's."},
    roles=roles_admitted("supervisor"),
)


def security_schemes() -> dict[str, Schema]:
    def bearer(description: str) -> Schema:
        return {"type": "http", "scheme": "bearer", "description": description}

    hours = int(SESSION_TTL.total_seconds() // 3600)
    return {
        "caseToken": bearer(
            "`ct_...`: a case's access token from POST /v1/complaints; opens that case only. "
            "Wherever it is accepted, an SMS session token (`ss_...`) also works for every "
            "case of the session's phone."
        ),
        "sessionToken": bearer(f"`ss_...`: from POST /v1/sessions, valid {hours} hours."),
        "staffToken": bearer("`st_...`: a staff member's token; roles decide what it may do."),
    }
