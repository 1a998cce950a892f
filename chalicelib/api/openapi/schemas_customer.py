"""Schemas of the customer's calls: filing, the case as its customer sees it, answering it,
and SMS sign-in."""

from __future__ import annotations

from chalicelib.api.openapi.builders import (
    BOOL,
    FEN,
    STR,
    TIME,
    Schema,
    anchored,
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
from chalicelib.domain.complaint import INTAKE_CHANNELS, REFERENCE
from chalicelib.domain.contact import CHANNELS, LANGUAGES
from chalicelib.domain.policy import Category


def customer_case_schemas() -> dict[str, Schema]:
    core = case_core()
    return {
        "MaskedContact": contact_answer("Phone and email masked (138****8000, z***@x.com)."),
        "CustomerCase": answer(
            {
                **core,
                "description": {
                    "type": "string",
                    "description": "What the customer wrote when they filed the complaint.",
                },
                "payment": nullable(ref("Payment")),
                "contact": ref("MaskedContact"),
                "rating": nullable(span(L.RATING)),
                "incident": nullable(ref("CaseIncidentNotice")),
                "timeline": array(ref("TimelineEntry"), description="Public entries only."),
            },
        ),
        "CaseIncidentNotice": answer(
            {"summary": STR},
            description="The known problem behind the complaint, as the desk tells its "
            "customers, in the case's language.",
        ),
        "CustomerCaseSummary": obj(
            {**core, "incident": nullable(ref("CaseIncidentNotice"))}, [*core, "incident"]
        ),
        "CustomerCasePage": page("CustomerCaseSummary"),
    }


def complaint_schemas() -> dict[str, Schema]:
    reference = {
        "type": "string",
        "minLength": 1,
        "maxLength": L.REFERENCE,
        "pattern": anchored(REFERENCE.pattern),
    }
    return {
        "Contact": obj(
            {
                "phone": _phone(),
                "email": {"type": "string", "format": "email", "maxLength": L.EMAIL},
                "language": {**enum(LANGUAGES), "default": "zh-CN"},
                "channels": array(enum(CHANNELS), minItems=1),
            },
            closed=True,
            description="At least a phone or an email; `channels` name only given points.",
        )
        | {"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]},
        "PaymentRef": obj(
            {
                "transaction_id": reference,
                "merchant_id": reference,
                "order_id": reference,
                "amount_fen": FEN,
                "currency": {"const": "CNY"},
                "paid_at": {**TIME, "description": "Not in the future."},
            },
            closed=True,
            description="Needs a transaction_id or an order_id.",
        )
        | {"anyOf": [{"required": ["transaction_id"]}, {"required": ["order_id"]}]},
        "ComplaintRequest": obj(
            {
                "category": enum(c.value for c in Category),
                "description": text(L.DESCRIPTION),
                "contact": ref("Contact"),
                "payment": ref("PaymentRef"),
                "channel": {**enum(INTAKE_CHANNELS), "default": "web"},
            },
            ["category", "description", "contact"],
            closed=True,
        ),
        "ComplaintCreated": answer(
            {
                "case_id": STR,
                "case_number": {"type": "string", "examples": ["PC20261122-7K3F9Q"]},
                "status": {"const": "submitted"},
                "category": STR,
                "created_at": TIME,
                "access_token": {"type": "string", "description": "`ct_...`; shown only here."},
                "deadlines": ref("Deadlines"),
                "faq": array(
                    obj(
                        {"question": STR, "answer": STR},
                        ["question", "answer"],
                        description="A question and its answer, in the contact's language.",
                    )
                ),
            }
        ),
    }


def customer_action_schemas() -> dict[str, Schema]:
    reason = text(L.REASON)
    return {
        "CustomerMessageRequest": obj({"text": text(L.MESSAGE)}, ["text"], closed=True),
        "ReasonRequest": obj(
            {"reason": reason}, closed=True, description="The body may also be left out."
        ),
        "ObjectionRequest": obj({"reason": reason}, ["reason"], closed=True),
        "FeedbackRequest": obj(
            {"rating": span(L.RATING), "comment": text(L.COMMENT)}, ["rating"], closed=True
        ),
        "Feedback": answer({"case_id": STR, "rating": span(L.RATING), "comment": nullable(STR)}),
        "PreferencesRequest": obj(
            {
                "channels": array(enum(CHANNELS), minItems=1),
                "language": enum(LANGUAGES),
                "sms_opt_out": BOOL,
            },
            closed=True,
            description="Only the fields given change; a channel needs its contact point.",
        ),
    }


def _phone() -> Schema:
    return {
        "type": "string",
        "maxLength": L.PHONE,
        "description": "E.164 or an 11-digit CN mobile; spaces and dashes are ignored.",
    }


def session_schemas() -> dict[str, Schema]:
    phone = _phone()
    return {
        "OtpRequest": obj(
            {"phone": phone, "language": {**enum(LANGUAGES), "default": "zh-CN"}},
            ["phone"],
            closed=True,
        ),
        "OtpSent": answer(
            {"sent": {"const": True}, "expires_in": {"type": "integer", "examples": [300]}},
            description="The same whether or not the phone has cases.",
        ),
        "SessionRequest": obj(
            {"phone": phone, "code": {"type": "string", "pattern": "^[0-9]{6}$"}},
            ["phone", "code"],
            closed=True,
        ),
        "Session": answer(
            {
                "token": {"type": "string", "description": "`ss_...`; shown only here."},
                "expires_at": TIME,
            }
        ),
    }
