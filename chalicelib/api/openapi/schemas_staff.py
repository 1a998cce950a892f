"""Schemas of the staff desk: the full case, the queue, and what staff send to act on a case."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.api.openapi.builders import (
    FEN,
    STR,
    TIME,
    VERSION,
    Schema,
    answer,
    array,
    enum,
    nullable,
    obj,
    page,
    ref,
    span,
    text,
)
from chalicelib.api.openapi.schemas_case import case_core, contact_answer
from chalicelib.domain import limits as L
from chalicelib.domain.case import Status
from chalicelib.domain.complaint import CASE_CHANNELS
from chalicelib.domain.policy import REGULATORY_DAYS, REGULATORY_MAX_DAYS
from chalicelib.domain.proposal import KINDS


def staff_case_schemas() -> dict[str, Schema]:
    core = case_core()
    waiting = answer({"since": TIME, "request": STR, "remind_at": TIME, "close_at": TIME})
    staff_case = {
        **core,
        "payment": nullable(ref("Payment")),
        "version": {**VERSION, "description": "Send as expected_version."},
        "assignee": nullable(STR),
        "description": STR,
        "channel": enum(CASE_CHANNELS, "How the case came in; merchant_api: a payment query."),
        "merchant_id": nullable(STR),
        "contact": contact_answer("In full: staff call customers back."),
        **{k: nullable(TIME) for k in ("accepted_at", "resolved_at", "closed_at", "due_at")},
        "waiting_for_customer": nullable(waiting),
        "second_review_reason": nullable(STR),
        "round_one_handlers": array(STR),
        "rating": nullable(span(L.RATING)),
        "incident": nullable(ref("CaseIncident")),
        "timeline": array(
            ref("StaffTimelineEntry"),
            description="Internal entries included. Not in the answers to proposals and "
            "extensions, which return the changed case alone.",
        ),
    }
    queue_item = {
        **{k: core[k] for k in ("case_id", "case_number", "status", "category", "round")},
        "assignee": nullable(STR),
        "assignee_active": {
            "type": ["boolean", "null"],
            "description": "false: the assignee was deactivated; reassign the case. null: "
            "nobody holds it.",
        },
        "merchant_id": nullable(STR),
        "due_at": {**nullable(TIME), "description": "The most urgent open deadline."},
        "sla": ref("Sla"),
        "created_at": TIME,
        "version": VERSION,
        "incident": nullable(ref("CaseIncident")),
    }
    return {
        "StaffCase": answer(staff_case, ["timeline"]),
        "QueueItem": obj(queue_item, list(queue_item)),
        "QueuePage": page("QueueItem"),
    }


def desk_request_schemas() -> dict[str, Schema]:
    version = {**VERSION, "description": "The version you saw; a newer one is 409."}
    return {
        "TransitionRequest": obj(
            {
                "to": enum(s.value for s in Status),
                "expected_version": version,
                "note": text(L.NOTE, "Required when moving to waiting_customer."),
            },
            ["to", "expected_version"],
            closed=True,
        ),
        "AssignRequest": obj(
            {"assignee": text(L.STAFF_ID, "A staff_id"), "expected_version": version},
            ["assignee"],
            closed=True,
        ),
        "EntryRequest": obj(
            {"text": text(L.MESSAGE), "expected_version": version}, ["text"], closed=True
        ),
        "CallRequest": obj(
            {
                "summary": text(L.MESSAGE),
                "outcome": text(L.CALL_OUTCOME),
                "channel": {**enum(["phone", "chat"]), "default": "phone"},
                "expected_version": version,
            },
            ["summary", "outcome"],
            closed=True,
        ),
        "ProposalRequest": _proposal_request(version),
        "ExtensionRequest": obj(
            {
                "days": {
                    **span(L.EXTENSION_DAYS),
                    "description": f"Calendar days added to the outer limit ({REGULATORY_DAYS} "
                    f"after acceptance); {REGULATORY_MAX_DAYS} in all at most.",
                },
                "reason": text(L.EXTENSION_REASON, "Why; the customer is told."),
                "expected_version": version,
            },
            ["days", "reason"],
            closed=True,
        ),
    }


def _when_kind(kinds: Iterable[str], required: str) -> Schema:
    """`required` becomes required when `kind` or `also` names one of `kinds`."""
    named = enum(kinds)
    return {
        "if": {
            "anyOf": [
                {"properties": {"kind": named}, "required": ["kind"]},
                {"properties": {"also": {"contains": named}}, "required": ["also"]},
            ]
        },
        "then": {"required": [required]},
    }


def _proposal_request(version: Schema) -> Schema:
    schema = obj(
        {
            "kind": enum(KINDS),
            "text": text(L.PROPOSAL_TEXT),
            "also": array(enum(KINDS), uniqueItems=True, description="Further remedies."),
            "amount_fen": {
                **FEN,
                "description": "A full refund is the amount paid; a partial "
                "one less; instalments add up to it.",
            },
            "installments": array(
                ref("Installment"),
                minItems=L.INSTALLMENTS.low,
                maxItems=L.INSTALLMENTS.high,
                description="Instalment plans only: working days after today, ascending.",
            ),
            "expected_version": version,
        },
        ["kind", "text"],
        closed=True,
    )
    schema["allOf"] = [
        _when_kind(["full_refund", "partial_refund", "installment_plan"], "amount_fen"),
        _when_kind(["installment_plan"], "installments"),
    ]
    return schema
