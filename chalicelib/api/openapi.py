"""The OpenAPI 3.1 document served at GET /v1/openapi.json: the contract as implemented so far.

Built on request (never at import) from shared schema pieces; a test checks that it documents
exactly the routes the app serves.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.complaint import INTAKE_CHANNELS
from chalicelib.domain.policy import Category
from chalicelib.services.deliveries import STATUSES
from chalicelib.services.staff import ROLES

_ERROR_STATUS = {
    "400": ("validation_failed", "The request is not valid; `fields` says why, per field."),
    "401": ("unauthorized", "Missing or invalid credentials."),
    "403": ("forbidden", "Your role does not allow this."),
    "404": ("not_found", "No such resource (also for resources you may not see)."),
    "409": ("conflict", "invalid_transition, version_conflict or duplicate_open_case."),
    "413": ("payload_too_large", "The body is larger than 64 KiB."),
    "415": ("unsupported_media_type", "The body is not application/json."),
    "422": ("idempotency_key_reused", "The Idempotency-Key was used with another body."),
    "503": ("unavailable", "Busy; retry after the Retry-After header's seconds."),
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(
    summary: str,
    ok: tuple[str, dict[str, Any], str],
    errors: tuple[str, ...] = (),
    *,
    body: str | None = None,
    security: str | None = None,
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    status, schema, description = ok
    responses: dict[str, Any] = {status: _json(schema, description)}
    for code in errors:
        responses[code] = _json(_ref("Error"), _ERROR_STATUS[code][1])
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if security:
        op["security"] = [{security: []}]
    if params:
        op["parameters"] = params
    return op


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


_CASE_ID = {
    "name": "case_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"},
}
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A repeat with the same key and body returns the first answer.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
_TIME = {"type": "string", "format": "date-time", "examples": ["2026-11-23T10:00:00Z"]}


def _schemas() -> dict[str, Any]:
    text = {"type": "string"}
    nullable = {"type": ["string", "null"]}
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": text,
                        "message": text,
                        "fields": {"type": "object", "additionalProperties": text},
                        "case_number": text,
                    },
                }
            },
        },
        "Contact": {
            "type": "object",
            "additionalProperties": False,
            "description": "At least a phone or an email.",
            "properties": {
                "phone": {"type": "string", "description": "E.164 or an 11-digit CN mobile"},
                "email": {"type": "string", "format": "email"},
                "language": {"enum": ["zh-CN", "en"], "default": "zh-CN"},
                "channels": {"type": "array", "items": {"enum": ["sms", "email"]}},
            },
        },
        "PaymentRef": {
            "type": "object",
            "additionalProperties": False,
            "description": "Needs a transaction_id or an order_id.",
            "properties": {
                "transaction_id": text,
                "merchant_id": text,
                "order_id": text,
                "amount_fen": {"type": "integer", "minimum": 1},
                "currency": {"const": "CNY"},
                "paid_at": _TIME,
            },
        },
        "ComplaintRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["category", "description", "contact"],
            "properties": {
                "category": {"enum": [c.value for c in Category]},
                "description": {"type": "string", "minLength": 1, "maxLength": 4000},
                "contact": _ref("Contact"),
                "payment": _ref("PaymentRef"),
                "channel": {"enum": list(INTAKE_CHANNELS), "default": "web"},
            },
        },
        "Deadlines": {
            "type": "object",
            "properties": {
                "first_response_due": _TIME,
                "resolution_due": _TIME,
                "regulatory_due": _TIME,
                "provisional": {"type": "boolean"},
            },
        },
        "ComplaintCreated": {
            "type": "object",
            "properties": {
                "case_id": text,
                "case_number": {"type": "string", "examples": ["PC20261122-7K3F9Q"]},
                "status": {"const": "submitted"},
                "category": text,
                "created_at": _TIME,
                "access_token": {"type": "string", "description": "Shown only here."},
                "deadlines": _ref("Deadlines"),
                "faq": {"type": "array", "items": {"type": "object"}},
            },
        },
        "TimelineEntry": {
            "type": "object",
            "properties": {"at": _TIME, "type": text, "summary": text},
        },
        "CustomerCase": {
            "type": "object",
            "properties": {
                "case_id": text,
                "case_number": text,
                "status": text,
                "category": text,
                "deadlines": _ref("Deadlines"),
                "sla": {
                    "type": "object",
                    "properties": {
                        "state": {"enum": ["on_track", "at_risk", "breached", "paused", "met"]}
                    },
                },
                "proposal": {"type": ["object", "null"]},
                "contact": {"type": "object", "description": "masked"},
                "timeline": {"type": "array", "items": _ref("TimelineEntry")},
            },
        },
        "Notification": {
            "type": "object",
            "properties": {
                "id": text,
                "case_id": text,
                "event": text,
                "channel": {"enum": ["sms", "email"]},
                "status": {"enum": list(STATUSES)},
                "recipient": {"type": "string", "description": "masked"},
                "attempts": {"type": "integer"},
                "last_error": nullable,
                "created_at": _TIME,
                "sent_at": {"type": ["string", "null"], "format": "date-time"},
            },
        },
        "NotificationPage": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": _ref("Notification")},
                "next_cursor": nullable,
            },
        },
        "StaffRequest": {
            "type": "object",
            "required": ["name", "role"],
            "properties": {"name": text, "role": {"enum": list(ROLES)}, "team": text},
        },
        "StaffCreated": {
            "type": "object",
            "properties": {
                "staff_id": text,
                "name": text,
                "role": text,
                "team": nullable,
                "token": {"type": "string", "description": "Shown only here."},
            },
        },
        "MerchantRequest": {
            "type": "object",
            "required": ["merchant_id", "name"],
            "properties": {"merchant_id": text, "name": text, "email": text, "phone": text},
        },
        "MerchantCreated": {
            "type": "object",
            "properties": {
                "merchant_id": text,
                "name": text,
                "secret": {"type": "string", "description": "HMAC secret, shown only here."},
            },
        },
        "Clock": {"type": "object", "properties": {"now": _TIME}},
        "ClockMove": {
            "type": "object",
            "description": "Exactly one of `set` (not in the past) or `advance_seconds`.",
            "properties": {"set": _TIME, "advance_seconds": {"type": "integer", "minimum": 1}},
        },
        "Health": {"type": "object", "properties": {"status": {"const": "ok"}}},
    }


def _paths() -> dict[str, Any]:
    complaint = _op(
        "File a complaint",
        ("201", _ref("ComplaintCreated"), "The case, its deadlines and its access token"),
        ("400", "409", "413", "415", "422", "503"),
        body="ComplaintRequest",
        params=[_IDEMPOTENCY],
    )
    list_params = [
        _query("case_id", "Messages about one case"),
        _query("status", "Messages in one status", {"enum": list(STATUSES)}),
        _query("limit", "1-200, default 50", {"type": "integer", "minimum": 1, "maximum": 200}),
        _query("cursor", "From the previous page's next_cursor"),
    ]
    return {
        "/v1/health": {"get": _op("Health", ("200", _ref("Health"), "Up"))},
        "/v1/openapi.json": {"get": _op("This document", ("200", {"type": "object"}, "OpenAPI"))},
        "/v1/complaints": {"post": complaint},
        "/v1/cases/{case_id}": {
            "parameters": [_CASE_ID],
            "get": _op(
                "A case as its customer sees it",
                ("200", _ref("CustomerCase"), "The case"),
                ("401", "404"),
                security="caseToken",
            ),
        },
        "/v1/admin/notifications": {
            "get": _op(
                "Delivery log (give case_id or status)",
                ("200", _ref("NotificationPage"), "A page of messages"),
                ("400", "401"),
                security="staffToken",
                params=list_params,
            )
        },
        "/v1/admin/staff": {
            "post": _op(
                "Create a staff member (admin)",
                ("201", _ref("StaffCreated"), "The member and their token"),
                ("400", "401", "403"),
                body="StaffRequest",
                security="staffToken",
            )
        },
        "/v1/admin/merchants": {
            "post": _op(
                "Register a merchant (admin)",
                ("201", _ref("MerchantCreated"), "The merchant and its signing secret"),
                ("400", "401", "403"),
                body="MerchantRequest",
                security="staffToken",
            )
        },
        "/v1/dev/clock": {
            "get": _op("The local stage's application clock", ("200", _ref("Clock"), "Now")),
            "post": _op(
                "Move the local clock forward (admin; local stage only)",
                ("200", _ref("Clock"), "The new now"),
                ("400", "401", "403"),
                body="ClockMove",
                security="staffToken",
            ),
        },
    }


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PayCase API",
            "version": "1",
            "description": "Complaints, disputes and payment-status questions for a payment "
            "wallet. Money is integer fen; times are RFC 3339 UTC; errors are "
            '{"error": {"code", "message", "fields"}}.',
        },
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "caseToken": {"type": "http", "scheme": "bearer", "description": "ct_..."},
                "staffToken": {"type": "http", "scheme": "bearer", "description": "st_..."},
            },
        },
    }
