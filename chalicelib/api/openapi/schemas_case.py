"""Schemas every audience shares: the error format and the pieces of a case."""

from __future__ import annotations

from chalicelib.api.openapi.builders import (
    BOOL,
    DATE,
    FEN,
    INT,
    STR,
    TIME,
    VERSION,
    Schema,
    answer,
    array,
    enum,
    int_range,
    nullable,
    obj,
    ref,
)
from chalicelib.domain.case import Status
from chalicelib.domain.contact import CHANNELS, LANGUAGES
from chalicelib.domain.policy import Category
from chalicelib.domain.proposal import KINDS, ProposalStatus
from chalicelib.domain.sla import SlaState


def error_schemas() -> dict[str, Schema]:
    from chalicelib.api.http import STATUS

    codes = ", ".join(f"`{code}` {status}" for code, status in STATUS.items())
    error = obj(
        {
            "code": {"type": "string", "description": f"One of: {codes}."},
            "message": STR,
            "fields": {
                "type": "object",
                "additionalProperties": STR,
                "description": "With validation_failed: why, per dotted field path.",
            },
            "case_number": {"type": "string", "description": "With duplicate_open_case."},
            "limit": {
                "enum": ["files", "bytes", "requests"],
                "description": "With evidence_limit: the case's file count, their bytes, or "
                "the files ever asked for on it.",
            },
        },
        ["code", "message"],
    )
    # The fields that come with one code come with it always.
    error["allOf"] = [
        {
            "if": {"properties": {"code": {"const": code}}},
            "then": {"required": [field]},
        }
        for code, field in (
            ("validation_failed", "fields"),
            ("duplicate_open_case", "case_number"),
            ("evidence_limit", "limit"),
        )
    ]
    return {"Error": obj({"error": error}, ["error"])}


def deadline_properties() -> dict[str, Schema]:
    """The deadlines a case gets when it is filed (also the deadline preview's)."""
    return {
        "first_response_due": TIME,
        "resolution_due": {
            **TIME,
            "description": "Never after regulatory_due: a target that would be is cut to the "
            "end of the working time left before it.",
        },
        "regulatory_due": {
            **TIME,
            "description": "The outer limit: midnight (Beijing) ending its last calendar day.",
        },
        "provisional": {"type": "boolean", "description": "The calendar is not yet official."},
    }


def case_part_schemas() -> dict[str, Schema]:
    """Pieces of a case shared by the customer's and the staff's views."""
    deadlines = deadline_properties()
    second_review = answer({"opened_at": TIME, "first_response_due": TIME, "resolution_due": TIME})
    case_deadlines = {
        **deadlines,
        "second_review": {**second_review, "description": "Once a second review opened."},
        "object_by": {**TIME, "description": "Resolved or unresolved in round 1: objections."},
        "reply_by": {**TIME, "description": "Waiting for the customer: closes unanswered."},
    }
    return {
        "Deadlines": obj(deadlines, list(deadlines)),
        "CaseDeadlines": obj(case_deadlines, list(deadlines)),
        "Sla": obj({"state": enum(s.value for s in SlaState)}, ["state"]),
        "Payment": answer(
            {
                **{k: nullable(STR) for k in ("transaction_id", "merchant_id", "order_id")},
                "amount_fen": nullable(INT),
                "currency": {"const": "CNY"},
                "paid_at": nullable(TIME),
            }
        ),
        "Installment": obj({"due_date": DATE, "amount_fen": FEN}, ["due_date", "amount_fen"]),
        "Proposal": answer(
            {
                "proposal_id": STR,
                "round": int_range(1, 2),
                "kind": enum(KINDS),
                "also": array(enum(KINDS)),
                "text": STR,
                "amount_fen": nullable(INT),
                "currency": {"const": "CNY"},
                "installments": array(ref("Installment")),
                "status": enum(s.value for s in ProposalStatus),
            }
        ),
        "TimelineEntry": answer({"at": TIME, "type": STR, "summary": STR}),
        "StaffTimelineEntry": answer(
            {
                "entry_id": STR,
                "at": TIME,
                "type": STR,
                "summary": STR,
                "actor": {"type": "string", "examples": ["customer", "staff:stf_0123", "system"]},
                "visibility": enum(["public", "internal"]),
                "data": {"type": "object"},
            },
        ),
        "StaffEntryWritten": obj(
            {
                "entry_id": STR,
                "at": TIME,
                "type": STR,
                "summary": STR,
                "actor": STR,
                "visibility": enum(["public", "internal"]),
                "data": {"type": "object"},
                "case_id": STR,
                "version": {
                    **VERSION,
                    "description": "The case's version after this entry: pass it as the next "
                    "write's expected_version.",
                },
            },
            ["at", "type", "visibility", "case_id", "version"],
        ),
    }


def contact_answer(description: str) -> Schema:
    return answer(
        {
            "phone": nullable(STR),
            "email": nullable(STR),
            "language": enum(LANGUAGES),
            "channels": array(enum(CHANNELS)),
            "sms_opt_out": BOOL,
        },
        description=description,
    )


def case_core() -> dict[str, Schema]:
    """What every view of a case shows."""
    return {
        "case_id": STR,
        "case_number": {"type": "string", "examples": ["PC20261122-7K3F9Q"]},
        "status": enum(s.value for s in Status),
        "category": enum(c.value for c in Category),
        "round": {**int_range(1, 2), "description": "2 once a second review opened"},
        "created_at": TIME,
        "updated_at": TIME,
        "deadlines": ref("CaseDeadlines"),
        "sla": ref("Sla"),
        "proposal": nullable(ref("Proposal")),
    }
