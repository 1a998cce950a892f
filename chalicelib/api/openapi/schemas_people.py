"""Schemas of the staff desk's people, lookup and credentials: members, the search, the audit
trail and rotated credentials."""

from __future__ import annotations

from chalicelib.api.openapi.builders import (
    BOOL,
    STR,
    TIME,
    Schema,
    answer,
    array,
    enum,
    nullable,
    obj,
    page,
    ref,
    text,
)
from chalicelib.domain import limits as L
from chalicelib.services.audit import ACTIONS
from chalicelib.services.search import KINDS
from chalicelib.services.staff import ROLES


def people_schemas() -> dict[str, Schema]:
    member = {
        "staff_id": STR,
        "name": STR,
        "role": enum(ROLES),
        "team": nullable(STR),
        "active": {
            **BOOL,
            "description": "false once deactivated: the member's token answers 401.",
        },
    }
    return {
        "StaffMember": answer(member),
        "StaffPage": page("StaffMember"),
        "DeactivateRequest": obj(
            {"reason": text(L.REASON, "Why; kept in the audit trail.")}, closed=True
        ),
        "TokenRotated": answer(
            {
                "staff_id": STR,
                "token": {
                    "type": "string",
                    "description": "`st_...`; shown only here. The old token answers 401.",
                },
            }
        ),
        "SearchResult": answer(
            {
                "items": array(ref("QueueItem"), description="Newest case first."),
                "matched": {
                    **nullable(enum(KINDS)),
                    "description": "What the query was read as and found cases by; for an id "
                    "that names neither a transaction nor an order, null.",
                },
            }
        ),
        "AuditEntry": answer(
            {
                "id": STR,
                "at": TIME,
                "actor": {"type": "string", "description": "The staff_id (`system`: a tool)."},
                "action": enum(ACTIONS),
                "case_id": nullable(STR),
                "target": {
                    **nullable(STR),
                    "description": "The staff_id or merchant_id a credential change is about.",
                },
                "detail": obj(
                    {
                        "kind": {
                            **enum([*KINDS, "id"]),
                            "description": "A search's kind (`id`: a transaction or order id).",
                        },
                        "query": {"type": "string", "description": "A search's query, masked."},
                        "reason": {"type": "string", "description": "Why a member went."},
                        "evidence_id": {
                            "type": "string",
                            "description": "The file a staff member downloaded.",
                        },
                        "role": {**enum(ROLES), "description": "A new member's role."},
                        "previous_valid_until": {
                            **TIME,
                            "description": "Until when a replaced secret still signs.",
                        },
                    },
                    description="What the action needs said, and nothing personal.",
                ),
            }
        ),
        "AuditPage": page("AuditEntry"),
        "SecretRotated": answer(
            {
                "merchant_id": STR,
                "secret": {
                    "type": "string",
                    "description": "The new HMAC secret, shown only here; it signs at once.",
                },
                "previous_valid_until": {
                    **TIME,
                    "description": "Until then the replaced secret signs too; then it is 401.",
                },
            }
        ),
    }
