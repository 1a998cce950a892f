"""Schemas of incidents: one cause behind many complaints."""

from __future__ import annotations

from chalicelib.api.openapi.builders import (
    FEN,
    INT,
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
from chalicelib.domain.incident import CHUNK, LANGUAGES, SMS_PER_SECOND, IncidentStatus
from chalicelib.domain.policy import Category
from chalicelib.domain.proposal import KINDS

_CASE_ID = {"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"}


def _texts(description: str) -> Schema:
    return obj(
        {lang: text(L.INCIDENT_TEXT) for lang in LANGUAGES},
        LANGUAGES,
        closed=True,
        description=description,
    )


def _answered_texts() -> Schema:
    return answer({lang: STR for lang in LANGUAGES})


def _offer() -> Schema:
    return obj(
        {
            "kind": enum(KINDS),
            "also": array(enum(KINDS), uniqueItems=True),
            "amount_fen": {
                **FEN,
                "description": "A full refund without it: each case's paid amount.",
            },
            "installments": array(
                ref("Installment"), minItems=L.INSTALLMENTS.low, maxItems=L.INSTALLMENTS.high
            ),
        },
        ["kind"],
        closed=True,
        description="Resolve each case with this offer instead, as a case's proposal (its text "
        "is the resolution's, in the case's language): a case not yet accepted is accepted "
        "first; each case is resolved when its customer accepts.",
    )


def incident_schemas() -> dict[str, Schema]:
    categories = enum(c.value for c in Category)
    match = {
        "categories": array(categories, maxItems=len(Category), uniqueItems=True),
        "merchant_id": text(L.REFERENCE),
    }
    update = answer({"n": INT, "at": TIME, "by": STR, "text": _answered_texts()})
    unmoved = answer(
        {"case_id": STR, "case_number": STR, "status": STR, "reason": STR},
        description="A linked case the resolution could not move, and why.",
    )
    incident = {
        "incident_id": STR,
        "title": STR,
        "summary": _answered_texts(),
        "status": enum(v.value for v in IncidentStatus),
        "started_at": nullable(TIME),
        "ended_at": nullable(TIME),
        "match": answer(
            {"categories": array(categories), "merchant_id": nullable(STR)},
        ),
        "created_by": STR,
        "created_at": TIME,
        "linked": {**INT, "description": "Cases linked to the incident."},
        "open_linked": {
            **INT,
            "description": "Linked cases still waiting for an outcome (not resolved, "
            "unresolved, closed or withdrawn): falls to 0 as a resolution runs.",
        },
        "updates": array(update),
        "resolution": nullable(
            answer(
                {
                    "outcome": STR,
                    "text": _answered_texts(),
                    "by": STR,
                    "at": TIME,
                    "proposal": nullable({"type": "object"}),
                }
            )
        ),
        "resolved_at": nullable(TIME),
        "unmoved": array(unmoved),
    }
    listed = {
        k: v
        for k, v in incident.items()
        if k not in ("updates", "unmoved", "resolution", "linked", "open_linked")
    }
    return {
        "CaseIncident": answer(
            {"incident_id": STR, "title": STR},
            description="The incident the case is one of the complaints of.",
        ),
        "IncidentRequest": obj(
            {
                "title": text(L.INCIDENT_TITLE, "For staff: the queue and the case show it."),
                "summary": _texts("What customers are told, in each language."),
                "started_at": TIME,
                "ended_at": TIME,
                "match": obj(
                    match,
                    closed=True,
                    description="Cases of these categories, naming this merchant (either or "
                    "both), filed between started_at and ended_at (or now).",
                ),
            },
            ["title", "summary", "started_at", "match"],
            closed=True,
        ),
        "Incident": answer(incident),
        "IncidentSummary": answer(listed),
        "IncidentPage": page("IncidentSummary"),
        "IncidentLinksRequest": obj(
            {
                "case_ids": array(_CASE_ID, maxItems=L.INCIDENT_CASES),
                "unlink": array(_CASE_ID, maxItems=L.INCIDENT_CASES),
            },
            closed=True,
        ),
        "IncidentLinked": answer(
            {
                **incident,
                "refused": array(
                    answer({"case_id": STR, "reason": STR}),
                    description="Cases that were not linked or unlinked, and why.",
                ),
            }
        ),
        "IncidentUpdateRequest": obj(
            {"text": _texts("The news, in each language.")}, ["text"], closed=True
        ),
        "IncidentUpdate": answer(
            {"incident_id": STR, "n": INT, "at": TIME, "by": STR, "text": _answered_texts()}
        ),
        "IncidentResolveRequest": obj(
            {
                "outcome": enum(["resolved"]),
                "text": _texts("What each customer is told of the outcome, in each language."),
                "proposal": _offer(),
            },
            ["outcome", "text"],
            closed=True,
        ),
        "IncidentResolving": answer(
            {
                "incident_id": STR,
                "resolving": {
                    **INT,
                    "description": f"Linked cases to resolve, {CHUNK} at a time.",
                },
            }
        ),
    }


PACING = f"Each customer's SMS is paced at {SMS_PER_SECOND} a second and never in quiet hours."
