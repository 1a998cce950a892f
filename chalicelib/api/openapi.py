"""The OpenAPI 3.1 document served at GET /v1/openapi.json: the contract as implemented.

Built on request (never at import) from shared schema pieces; a test checks that it documents
exactly the routes the app serves. Limits and enums come from the modules that enforce them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.api.dev import MAX_ADVANCE
from chalicelib.domain.case import Status
from chalicelib.domain.complaint import INTAKE_CHANNELS, MAX_AMOUNT_FEN, REFERENCE
from chalicelib.domain.contact import CHANNELS, LANGUAGES
from chalicelib.domain.policy import Category
from chalicelib.domain.proposal import KINDS, MAX_INSTALLMENTS, ProposalStatus
from chalicelib.domain.sla import SlaState
from chalicelib.services.deliveries import STATUSES
from chalicelib.services.desk import SLA_FILTERS
from chalicelib.services.merchants import MERCHANT_ID
from chalicelib.services.metrics import CLOCKS, MAX_RANGE_DAYS
from chalicelib.services.sessions import CODE_TRIES, CODE_TTL, CODES_PER_HOUR, SESSION_TTL
from chalicelib.services.staff import ROLES
from chalicelib.settings import LOCAL_STAGE

Schema = dict[str, Any]

_ERROR_STATUS = {
    "400": ("validation_failed", "The request is not valid; `fields` says why, per field."),
    "401": ("unauthorized", "Missing or invalid credentials."),
    "403": ("forbidden", "Your role does not allow this."),
    "404": ("not_found", "No such resource (also for resources you may not see)."),
    "409": ("conflict", "invalid_transition, version_conflict or duplicate_open_case."),
    "413": ("payload_too_large", "The body is larger than 64 KiB."),
    "415": ("unsupported_media_type", "The body is not application/json."),
    "422": ("idempotency_key_reused", "The Idempotency-Key was used with another body."),
    "429": ("rate_limited", "Too many requests; try again later."),
    "503": ("unavailable", "Busy; retry after the Retry-After header's seconds."),
}
_BODY_ERRORS = ("400", "413", "415")  # every call that reads a JSON body

# -- small schema builders -------------------------------------------------------------------

_STR: Schema = {"type": "string"}
_INT: Schema = {"type": "integer"}
_BOOL: Schema = {"type": "boolean"}
_TIME: Schema = {"type": "string", "format": "date-time", "examples": ["2026-11-23T10:00:00Z"]}
_DATE: Schema = {"type": "string", "format": "date", "examples": ["2026-12-15"]}
_FEN: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT_FEN}
_VERSION: Schema = {"type": "integer", "minimum": 1}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _enum(values: Iterable[str], description: str | None = None) -> Schema:
    out: Schema = {"enum": list(values)}
    if description:
        out["description"] = description
    return out


def _int_range(low: int, high: int) -> Schema:
    return {"type": "integer", "minimum": low, "maximum": high}


def _text(max_len: int, description: str | None = None) -> Schema:
    """A string the service strips of surrounding whitespace and requires to be non-empty."""
    out: Schema = {"type": "string", "minLength": 1, "maxLength": max_len}
    if description:
        out["description"] = description
    return out


def _nullable(schema: Schema) -> Schema:
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _list(items: Schema, **limits: Any) -> Schema:
    return {"type": "array", "items": items, **limits}


def _obj(
    properties: Mapping[str, Schema],
    required: Iterable[str] = (),
    *,
    closed: bool = False,
    description: str | None = None,
) -> Schema:
    """An object; `closed` when the service answers `unknown field` to anything else."""
    out: Schema = {"type": "object", "properties": dict(properties)}
    if required:
        out["required"] = list(required)
    if closed:
        out["additionalProperties"] = False
    if description:
        out["description"] = description
    return out


def _page(item: str) -> Schema:
    cursor = _nullable({"type": "string", "description": "Pass as ?cursor= for the next page."})
    return _obj({"items": _list(_ref(item)), "next_cursor": cursor}, ["items", "next_cursor"])


def _anchored(pattern: str) -> str:
    return f"^{pattern}$"


# -- operations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Auth:
    """Who may call an operation: its security schemes, a note, and what its auth errors mean."""

    schemes: tuple[str, ...]
    note: str
    errors: Mapping[str, str]


_NO_STAFF = "No credentials, or not a staff token."
_CUSTOMER = _Auth(
    ("caseToken", "sessionToken"),
    "Bearer the case's access token (`ct_...`) or an SMS session token (`ss_...`) whose phone "
    "is the case's phone. Any token that does not open this case gets 404, exactly like a case "
    "that does not exist, so case ids cannot be probed; 401 only without credentials.",
    {
        "401": "No `Authorization: Bearer` credentials.",
        "404": "No such case, or the token does not open it.",
    },
)
_SESSION = _Auth(
    ("sessionToken",),
    "Bearer an SMS session token (`ss_...`, from POST /v1/sessions).",
    {"401": "No live SMS session token (a case access token is not a session)."},
)
_STAFF = _Auth(("staffToken",), "Any staff role.", {"401": _NO_STAFF})
_SUPERVISOR = _Auth(
    ("staffToken",),
    "Supervisors and admins.",
    {"401": _NO_STAFF, "403": "Not a supervisor or admin."},
)
_ADMIN = _Auth(("staffToken",), "Admins only.", {"401": _NO_STAFF, "403": "Not an admin."})
_STAFF_CASE = _Auth(
    ("staffToken",),
    "A staff token. Any token that is not a staff token gets 404, exactly like a case that "
    "does not exist, so case ids cannot be probed with customer tokens; 401 only without an "
    "Authorization header.",
    {
        "401": "No Authorization header.",
        "404": "No such case, or the token is not a staff token.",
    },
)

ErrorSpec = str | tuple[str, str]  # a status, or a status with this operation's meaning of it


def _error(status: str, description: str) -> Schema:
    code = _ERROR_STATUS[status][0]
    answer = _json(_ref("Error"), f"`{code}`: {description}")
    if status == "503":
        answer["headers"] = {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        }
    return answer


def _responses(
    ok: tuple[str, Schema, str], errors: Iterable[ErrorSpec], auth: _Auth | None, idem: bool
) -> Schema:
    meanings: dict[str, str] = {}
    for spec in errors:
        status, meaning = spec if isinstance(spec, tuple) else (spec, _ERROR_STATUS[spec][1])
        meanings[status] = meaning
    if idem:
        meanings["422"] = _ERROR_STATUS["422"][1]
    meanings.update(auth.errors if auth else {})
    status, schema, description = ok
    responses: Schema = {status: _json(schema, description)}
    responses.update({code: _error(code, meanings[code]) for code in sorted(meanings)})
    return responses


def _op(
    summary: str,
    ok: tuple[str, Schema, str],
    errors: Iterable[ErrorSpec] = (),
    *,
    body: str | None = None,
    optional_body: bool = False,
    auth: _Auth | None = None,
    params: Iterable[Schema] = (),
    idempotent: bool = False,
    description: str | None = None,
) -> Schema:
    """One operation. `idempotent` adds the Idempotency-Key header and its 422."""
    op: Schema = {"summary": summary, "responses": _responses(ok, errors, auth, idempotent)}
    notes = " ".join(n for n in (description, auth.note if auth else None) if n)
    if notes:
        op["description"] = notes
    if body:
        content = {"application/json": {"schema": _ref(body)}}
        op["requestBody"] = {"required": not optional_body, "content": content}
    if auth:
        op["security"] = [{scheme: []} for scheme in auth.schemes]
    parameters = [*params, *([_IDEMPOTENCY] if idempotent else [])]
    if parameters:
        op["parameters"] = parameters
    return op


def _query(name: str, description: str, schema: Schema | None = None) -> Schema:
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
    "description": "The case's id (a ULID); an id that is not one is 404.",
    "schema": {"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"},
}
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "1-255 visible ASCII characters. A repeat with the same key and body within "
    "24 hours returns the first answer and does nothing again; another body is 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
_LIMIT = _query("limit", "1-200, default 50", {"type": "integer", "minimum": 1, "maximum": 200})
_CURSOR = _query("cursor", "The previous page's next_cursor (opaque, tamper-evident)")


def _on_case(**operations: Schema) -> Schema:
    return {"parameters": [_CASE_ID], **operations}


# -- schemas ---------------------------------------------------------------------------------


def _error_schemas() -> dict[str, Schema]:
    error = _obj(
        {
            "code": _STR,
            "message": _STR,
            "fields": {"type": "object", "additionalProperties": _STR},
            "case_number": {"type": "string", "description": "With duplicate_open_case."},
        },
        ["code", "message"],
    )
    return {"Error": _obj({"error": error}, ["error"])}


def _case_part_schemas() -> dict[str, Schema]:
    """Pieces of a case shared by the customer's and the staff's views."""
    deadlines = {
        "first_response_due": _TIME,
        "resolution_due": _TIME,
        "regulatory_due": _TIME,
        "provisional": {"type": "boolean", "description": "The calendar is not yet official."},
    }
    second_review = _obj({"opened_at": _TIME, "first_response_due": _TIME, "resolution_due": _TIME})
    case_deadlines = {
        **deadlines,
        "second_review": {**second_review, "description": "Once a second review opened."},
        "object_by": {**_TIME, "description": "Resolved or unresolved in round 1: objections."},
        "reply_by": {**_TIME, "description": "Waiting for the customer: closes unanswered."},
    }
    return {
        "Deadlines": _obj(deadlines, list(deadlines)),
        "CaseDeadlines": _obj(case_deadlines, list(deadlines)),
        "Sla": _obj({"state": _enum(s.value for s in SlaState)}, ["state"]),
        "Payment": _obj(
            {
                **{k: _nullable(_STR) for k in ("transaction_id", "merchant_id", "order_id")},
                "amount_fen": _nullable(_INT),
                "currency": {"const": "CNY"},
                "paid_at": _nullable(_TIME),
            }
        ),
        "Installment": _obj({"due_date": _DATE, "amount_fen": _FEN}, ["due_date", "amount_fen"]),
        "Proposal": _obj(
            {
                "proposal_id": _STR,
                "round": _int_range(1, 2),
                "kind": _enum(KINDS),
                "also": _list(_enum(KINDS)),
                "text": _STR,
                "amount_fen": _nullable(_INT),
                "currency": {"const": "CNY"},
                "installments": _list(_ref("Installment")),
                "status": _enum(s.value for s in ProposalStatus),
            }
        ),
        "TimelineEntry": _obj({"at": _TIME, "type": _STR, "summary": _STR}, ["at", "type"]),
        "StaffTimelineEntry": _obj(
            {
                "entry_id": _STR,
                "at": _TIME,
                "type": _STR,
                "summary": _STR,
                "actor": {"type": "string", "examples": ["customer", "staff:stf_0123", "system"]},
                "visibility": _enum(["public", "internal"]),
                "data": {"type": "object"},
            },
            ["at", "type", "visibility"],
        ),
    }


def _contact_answer(description: str) -> Schema:
    return _obj(
        {
            "phone": _nullable(_STR),
            "email": _nullable(_STR),
            "language": _enum(LANGUAGES),
            "channels": _list(_enum(CHANNELS)),
            "sms_opt_out": _BOOL,
        },
        description=description,
    )


def _case_core() -> dict[str, Schema]:
    """What every view of a case shows."""
    return {
        "case_id": _STR,
        "case_number": {"type": "string", "examples": ["PC20261122-7K3F9Q"]},
        "status": _enum(s.value for s in Status),
        "category": _enum(c.value for c in Category),
        "round": {**_int_range(1, 2), "description": "2 once a second review opened"},
        "created_at": _TIME,
        "updated_at": _TIME,
        "deadlines": _ref("CaseDeadlines"),
        "sla": _ref("Sla"),
        "proposal": _nullable(_ref("Proposal")),
    }


def _customer_case_schemas() -> dict[str, Schema]:
    core = _case_core()
    return {
        "MaskedContact": _contact_answer("Phone and email masked (138****8000, z***@x.com)."),
        "CustomerCase": _obj(
            {
                **core,
                "payment": _nullable(_ref("Payment")),
                "contact": _ref("MaskedContact"),
                "rating": _nullable(_int_range(1, 5)),
                "timeline": _list(_ref("TimelineEntry"), description="Public entries only."),
            },
            list(core),
        ),
        "CustomerCaseSummary": _obj(core, list(core)),
        "CustomerCasePage": _page("CustomerCaseSummary"),
    }


def _complaint_schemas() -> dict[str, Schema]:
    reference = {"type": "string", "maxLength": 64, "pattern": _anchored(REFERENCE.pattern)}
    return {
        "Contact": _obj(
            {
                "phone": {"type": "string", "description": "E.164 or an 11-digit CN mobile"},
                "email": {"type": "string", "format": "email"},
                "language": {**_enum(LANGUAGES), "default": "zh-CN"},
                "channels": _list(_enum(CHANNELS), minItems=1),
            },
            closed=True,
            description="At least a phone or an email; `channels` name only given points.",
        ),
        "PaymentRef": _obj(
            {
                "transaction_id": reference,
                "merchant_id": reference,
                "order_id": reference,
                "amount_fen": _FEN,
                "currency": {"const": "CNY"},
                "paid_at": {**_TIME, "description": "Not in the future."},
            },
            closed=True,
            description="Needs a transaction_id or an order_id.",
        ),
        "ComplaintRequest": _obj(
            {
                "category": _enum(c.value for c in Category),
                "description": _text(4000),
                "contact": _ref("Contact"),
                "payment": _ref("PaymentRef"),
                "channel": {**_enum(INTAKE_CHANNELS), "default": "web"},
            },
            ["category", "description", "contact"],
            closed=True,
        ),
        "ComplaintCreated": _obj(
            {
                "case_id": _STR,
                "case_number": {"type": "string", "examples": ["PC20261122-7K3F9Q"]},
                "status": {"const": "submitted"},
                "category": _STR,
                "created_at": _TIME,
                "access_token": {"type": "string", "description": "`ct_...`; shown only here."},
                "deadlines": _ref("Deadlines"),
                "faq": _list(_obj({}, description="A question and its answer.")),
            }
        ),
    }


def _customer_action_schemas() -> dict[str, Schema]:
    reason = _text(2000)
    return {
        "CustomerMessageRequest": _obj({"text": _text(4000)}, ["text"], closed=True),
        "ReasonRequest": _obj(
            {"reason": reason}, closed=True, description="The body may also be left out."
        ),
        "ObjectionRequest": _obj({"reason": reason}, ["reason"], closed=True),
        "FeedbackRequest": _obj(
            {"rating": _int_range(1, 5), "comment": _text(2000)}, ["rating"], closed=True
        ),
        "Feedback": _obj({"case_id": _STR, "rating": _int_range(1, 5), "comment": _nullable(_STR)}),
        "PreferencesRequest": _obj(
            {
                "channels": _list(_enum(CHANNELS), minItems=1),
                "language": _enum(LANGUAGES),
                "sms_opt_out": _BOOL,
            },
            closed=True,
            description="Only the fields given change; a channel needs its contact point.",
        ),
    }


def _session_schemas() -> dict[str, Schema]:
    phone = {"type": "string", "maxLength": 32, "description": "E.164 or an 11-digit CN mobile"}
    return {
        "OtpRequest": _obj(
            {"phone": phone, "language": {**_enum(LANGUAGES), "default": "zh-CN"}},
            ["phone"],
            closed=True,
        ),
        "OtpSent": _obj(
            {"sent": {"const": True}, "expires_in": {"type": "integer", "examples": [300]}},
            description="The same whether or not the phone has cases.",
        ),
        "SessionRequest": _obj(
            {"phone": phone, "code": {"type": "string", "pattern": "^[0-9]{6}$"}},
            ["phone", "code"],
            closed=True,
        ),
        "Session": _obj(
            {
                "token": {"type": "string", "description": "`ss_...`; shown only here."},
                "expires_at": _TIME,
            }
        ),
    }


def _staff_case_schemas() -> dict[str, Schema]:
    core = _case_core()
    waiting = _obj({"since": _TIME, "request": _STR, "remind_at": _TIME, "close_at": _TIME})
    staff_case = {
        **core,
        "payment": _nullable(_ref("Payment")),
        "version": {**_VERSION, "description": "Send as expected_version."},
        "assignee": _nullable(_STR),
        "description": _STR,
        "channel": _enum(INTAKE_CHANNELS),
        "merchant_id": _nullable(_STR),
        "contact": _contact_answer("In full: staff call customers back."),
        **{k: _nullable(_TIME) for k in ("accepted_at", "resolved_at", "closed_at", "due_at")},
        "waiting_for_customer": _nullable(waiting),
        "second_review_reason": _nullable(_STR),
        "round_one_handlers": _list(_STR),
        "rating": _nullable(_int_range(1, 5)),
        "timeline": _list(_ref("StaffTimelineEntry"), description="Internal entries included."),
    }
    queue_item = {
        **{k: core[k] for k in ("case_id", "case_number", "status", "category", "round")},
        "assignee": _nullable(_STR),
        "merchant_id": _nullable(_STR),
        "due_at": {**_nullable(_TIME), "description": "The most urgent open deadline."},
        "sla": _ref("Sla"),
        "created_at": _TIME,
        "version": _VERSION,
    }
    return {
        "StaffCase": _obj(staff_case, [*core, "version"]),
        "QueueItem": _obj(queue_item, list(queue_item)),
        "QueuePage": _page("QueueItem"),
    }


def _desk_request_schemas() -> dict[str, Schema]:
    version = {**_VERSION, "description": "The version you saw; a newer one is 409."}
    return {
        "TransitionRequest": _obj(
            {
                "to": _enum(s.value for s in Status),
                "expected_version": version,
                "note": _text(2000, "Required when moving to waiting_customer."),
            },
            ["to", "expected_version"],
            closed=True,
        ),
        "AssignRequest": _obj(
            {"assignee": _text(64, "A staff_id"), "expected_version": version},
            ["assignee"],
            closed=True,
        ),
        "EntryRequest": _obj(
            {"text": _text(4000), "expected_version": version}, ["text"], closed=True
        ),
        "CallRequest": _obj(
            {
                "summary": _text(4000),
                "outcome": _text(500),
                "channel": {**_enum(["phone", "chat"]), "default": "phone"},
                "expected_version": version,
            },
            ["summary", "outcome"],
            closed=True,
        ),
        "ProposalRequest": _proposal_request(version),
    }


def _when_kind(kinds: Iterable[str], required: str) -> Schema:
    """`required` becomes required when `kind` or `also` names one of `kinds`."""
    named = _enum(kinds)
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
    schema = _obj(
        {
            "kind": _enum(KINDS),
            "text": _text(2000),
            "also": _list(_enum(KINDS), uniqueItems=True, description="Further remedies."),
            "amount_fen": {
                **_FEN,
                "description": "A full refund is the amount paid; a partial "
                "one less; instalments add up to it.",
            },
            "installments": _list(
                _ref("Installment"),
                minItems=2,
                maxItems=MAX_INSTALLMENTS,
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


def _metrics_schema() -> Schema:
    counts = {"type": "object", "additionalProperties": _INT}
    percent = _nullable({"type": "number", "minimum": 0, "maximum": 100})
    clock = _obj({"met": _INT, "total": _INT, "percent_met": percent})
    hours = _nullable({"type": "number"})
    return _obj(
        {
            "from": _DATE,
            "to": _DATE,
            "cohort": _STR,
            "volumes": _obj({"filed": _INT, "by_category": counts, "by_status": counts}),
            "sla": _obj({name: clock for name in CLOCKS}),
            "median_working_hours": _obj({"first_response": hours, "resolution": hours}),
            "csat": _obj(
                {
                    "count": _INT,
                    "average": _nullable({"type": "number", "minimum": 1, "maximum": 5}),
                    "distribution": _obj({str(n): _INT for n in range(1, 6)}),
                }
            ),
            "repeat_complaint_rate": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
        }
    )


def _admin_schemas() -> dict[str, Schema]:
    time_or_null = _nullable(_TIME)
    return {
        "Metrics": _metrics_schema(),
        "Notification": _obj(
            {
                "id": _STR,
                "case_id": _STR,
                "event": _STR,
                "channel": _enum(CHANNELS),
                "audience": _STR,
                "recipient": {"type": "string", "description": "masked"},
                "language": _STR,
                "status": _enum(STATUSES),
                "attempts": _INT,
                "last_error": _nullable(_STR),
                "created_at": _TIME,
                "sent_at": time_or_null,
                "next_attempt_at": time_or_null,
            }
        ),
        "NotificationPage": _page("Notification"),
        "StaffRequest": _obj(
            {"name": _text(100), "role": _enum(ROLES), "team": _text(100)},
            ["name", "role"],
            closed=True,
        ),
        "StaffCreated": _obj(
            {
                "staff_id": _STR,
                "name": _STR,
                "role": _enum(ROLES),
                "team": _nullable(_STR),
                "token": {"type": "string", "description": "`st_...`; shown only here."},
            }
        ),
        **_merchant_schemas(),
    }


def _merchant_schemas() -> dict[str, Schema]:
    merchant_id = {"type": "string", "pattern": _anchored(MERCHANT_ID.pattern)}
    return {
        "MerchantRequest": _obj(
            {
                "merchant_id": merchant_id,
                "name": _text(200),
                "email": {"type": "string", "format": "email"},
                "phone": {"type": "string", "maxLength": 32},
            },
            ["merchant_id", "name"],
            closed=True,
        ),
        "MerchantCreated": _obj(
            {
                "merchant_id": _STR,
                "name": _STR,
                "email": _nullable(_STR),
                "phone": _nullable(_STR),
                "secret": {"type": "string", "description": "HMAC secret, shown only here."},
            }
        ),
    }


def _system_schemas() -> dict[str, Schema]:
    return {
        "Clock": _obj({"now": _TIME}, ["now"]),
        "ClockMove": {
            **_obj(
                {
                    "set": {**_TIME, "description": "Not before the clock's now."},
                    "advance_seconds": _int_range(1, MAX_ADVANCE),
                },
                closed=True,
                description="Exactly one of `set` or `advance_seconds`.",
            ),
            "oneOf": [{"required": ["set"]}, {"required": ["advance_seconds"]}],
        },
        "Health": _obj({"status": {"const": "ok"}}, ["status"]),
    }


def _schemas() -> dict[str, Schema]:
    return {
        **_error_schemas(),
        **_case_part_schemas(),
        **_complaint_schemas(),
        **_customer_case_schemas(),
        **_customer_action_schemas(),
        **_session_schemas(),
        **_staff_case_schemas(),
        **_desk_request_schemas(),
        **_admin_schemas(),
        **_system_schemas(),
    }


# -- paths -----------------------------------------------------------------------------------

_WRITE_ERRORS = (*_BODY_ERRORS, "503")


def _customer_paths() -> dict[str, Schema]:
    case = ("200", _ref("CustomerCase"), "The case after the change")
    no_proposal = ("409", "`invalid_transition`: no proposal is waiting for an answer.")

    def answer(verb: str) -> Schema:
        return _op(
            f"{verb} the pending proposal",
            case,
            (*_WRITE_ERRORS, no_proposal),
            body="ReasonRequest",
            optional_body=True,
            auth=_CUSTOMER,
        )

    base = "/v1/cases/{case_id}"
    return {
        base: _on_case(
            get=_op(
                "A case as its customer sees it",
                ("200", _ref("CustomerCase"), "The case with its public timeline"),
                ("503",),
                auth=_CUSTOMER,
            )
        ),
        f"{base}/messages": _on_case(post=_customer_message()),
        f"{base}/proposal/accept": _on_case(post=answer("Accept")),
        f"{base}/proposal/reject": _on_case(post=answer("Reject")),
        f"{base}/objection": _on_case(post=_objection(case)),
        f"{base}/withdraw": _on_case(post=_withdraw(case)),
        f"{base}/feedback": _on_case(post=_feedback()),
        f"{base}/preferences": _on_case(put=_preferences()),
    }


def _customer_message() -> Schema:
    return _op(
        "Write to the team handling the case",
        ("201", _ref("TimelineEntry"), "The message as it shows on the timeline"),
        (*_WRITE_ERRORS, ("409", "`invalid_transition`: the case is final.")),
        body="CustomerMessageRequest",
        auth=_CUSTOMER,
        idempotent=True,
        description="From waiting_customer the case returns to investigating.",
    )


def _objection(case: tuple[str, Schema, str]) -> Schema:
    return _op(
        "Object to the outcome (opens the second review)",
        case,
        (*_WRITE_ERRORS, ("409", "`invalid_transition`: not a round-1 outcome, or too late.")),
        body="ObjectionRequest",
        auth=_CUSTOMER,
        description="Only from resolved or unresolved in round 1, within 15 days; the case "
        "moves to second_review.",
    )


def _withdraw(case: tuple[str, Schema, str]) -> Schema:
    return _op(
        "Withdraw the complaint",
        case,
        (*_WRITE_ERRORS, ("409", "`invalid_transition`: the case can no longer be withdrawn.")),
        body="ReasonRequest",
        optional_body=True,
        auth=_CUSTOMER,
        description="The case becomes withdrawn.",
    )


def _feedback() -> Schema:
    return _op(
        "Rate how the case was handled",
        ("201", _ref("Feedback"), "The rating"),
        (*_WRITE_ERRORS, ("409", "`invalid_transition`: no outcome yet, or already rated.")),
        body="FeedbackRequest",
        auth=_CUSTOMER,
        idempotent=True,
        description="Once per case, after it has an outcome.",
    )


def _preferences() -> Schema:
    return _op(
        "Change how the customer is told about the case",
        ("200", _ref("MaskedContact"), "The preferences now in force"),
        _WRITE_ERRORS,
        body="PreferencesRequest",
        auth=_CUSTOMER,
    )


def _session_paths() -> dict[str, Schema]:
    minutes = int(CODE_TTL.total_seconds() // 60)
    hours = int(SESSION_TTL.total_seconds() // 3600)
    return {
        "/v1/otp": {
            "post": _op(
                "Send a sign-in code by SMS",
                ("202", _ref("OtpSent"), "A code is on its way"),
                (*_WRITE_ERRORS, ("429", "A code was asked for too often for this phone.")),
                body="OtpRequest",
                description=f"6 digits, valid {minutes} minutes, {CODE_TRIES} tries; a phone may "
                f"ask once a minute and {CODES_PER_HOUR} times an hour.",
            )
        },
        "/v1/sessions": {
            "post": _op(
                "Trade a code for a session token",
                ("201", _ref("Session"), f"A session token, valid {hours} hours"),
                (*_WRITE_ERRORS, ("401", "The code is wrong, used, expired or out of tries.")),
                body="SessionRequest",
            )
        },
        "/v1/me/cases": {
            "get": _op(
                "The session phone's cases, newest first",
                ("200", _ref("CustomerCasePage"), "A page of cases"),
                (("400", "A bad limit or cursor."), "503"),
                auth=_SESSION,
                params=[_LIMIT, _CURSOR],
            )
        },
    }


def _staff_case_op(
    summary: str,
    ok: tuple[str, Schema, str],
    body: str,
    conflict: str,
    *,
    may_forbid: bool = False,
    idempotent: bool = False,
) -> Schema:
    forbidden = (("403", "Reviewer and recusal rules: see the description."),)
    return _op(
        summary,
        ok,
        (*_WRITE_ERRORS, ("409", conflict), *(forbidden if may_forbid else ())),
        body=body,
        auth=_STAFF_CASE,
        idempotent=idempotent,
    )


def _desk_paths() -> dict[str, Schema]:
    case = ("200", _ref("StaffCase"), "The case after the change")
    entry = ("201", _ref("StaffTimelineEntry"), "The new timeline entry")
    stale = "`version_conflict` when expected_version is not the case's version"
    final = f"`invalid_transition`: the case is final; or {stale}."
    base = "/v1/admin/cases/{case_id}"
    return {
        "/v1/admin/cases": {"get": _queue()},
        base: _on_case(
            get=_op(
                "A case in full: internal timeline and version",
                ("200", _ref("StaffCase"), "The case"),
                ("503",),
                auth=_STAFF_CASE,
            )
        ),
        f"{base}/transitions": _on_case(post=_transition(case, stale)),
        f"{base}/assign": _on_case(
            post=_staff_case_op("Assign the case", case, "AssignRequest", final, may_forbid=True)
        ),
        f"{base}/notes": _on_case(
            post=_staff_case_op(
                "Add an internal note", entry, "EntryRequest", stale + ".", idempotent=True
            )
        ),
        f"{base}/messages": _on_case(
            post=_staff_case_op(
                "Message the customer (notified)", entry, "EntryRequest", final, idempotent=True
            )
        ),
        f"{base}/calls": _on_case(
            post=_staff_case_op(
                "Log a call or chat (public)", entry, "CallRequest", final, idempotent=True
            )
        ),
        f"{base}/proposals": _on_case(post=_proposal(stale)),
    }


_DECIDING = (
    " Round 1 is worked by agents and up; a second review is decided by a reviewer or admin "
    "who did not handle round 1 (403 otherwise)."
)


def _transition(case: tuple[str, Schema, str], stale: str) -> Schema:
    op = _staff_case_op(
        "Move the case to another status",
        case,
        "TransitionRequest",
        f"`invalid_transition`: staff cannot make that move now; or {stale}.",
        may_forbid=True,
    )
    op["description"] += _DECIDING
    return op


def _proposal(stale: str) -> Schema:
    op = _staff_case_op(
        "Propose a settlement (the customer is notified)",
        ("201", _ref("StaffCase"), "The case, now negotiating (without its timeline)"),
        "ProposalRequest",
        f"`invalid_transition`: the case cannot receive a proposal now; or {stale}.",
        may_forbid=True,
        idempotent=True,
    )
    op["description"] += _DECIDING
    return op


def _queue() -> Schema:
    return _op(
        "The case queue, most urgent deadline first",
        ("200", _ref("QueuePage"), "A page of cases"),
        ("400", "503"),
        auth=_STAFF,
        params=[
            _query("status", "Cases in one status", _enum(s.value for s in Status)),
            _query("category", "Cases of one category", _enum(c.value for c in Category)),
            _query("assignee", "Cases assigned to one staff_id", {"type": "string"}),
            _query("merchant_id", "Cases naming one merchant", {"type": "string"}),
            _query("sla", "Cases at risk or breached", _enum(SLA_FILTERS)),
            _LIMIT,
            _CURSOR,
        ],
    )


def _admin_paths() -> dict[str, Schema]:
    when = {
        "anyOf": [_DATE, _TIME],
        "description": "A date, or a time (its Asia/Shanghai day)",
    }
    return {
        "/v1/admin/metrics": {
            "get": _op(
                "Desk metrics for the cases filed in a range of days",
                ("200", _ref("Metrics"), "Volumes, SLA, working-hour medians, CSAT, repeats"),
                ("400", "503"),
                auth=_SUPERVISOR,
                params=[
                    _query(
                        "from",
                        f"First day (default `to` - 29 days; {MAX_RANGE_DAYS} days at most)",
                        when,
                    ),
                    _query("to", "Last day, inclusive (default today)", when),
                ],
            )
        },
        "/v1/admin/notifications": {
            "get": _op(
                "Delivery log (give case_id or status)",
                ("200", _ref("NotificationPage"), "A page of messages"),
                ("400", "503"),
                auth=_STAFF,
                params=[
                    _query("case_id", "Messages about one case"),
                    _query("status", "Messages in one status", _enum(STATUSES)),
                    _LIMIT,
                    _CURSOR,
                ],
            )
        },
        "/v1/admin/staff": {
            "post": _op(
                "Create a staff member",
                ("201", _ref("StaffCreated"), "The member and their token"),
                _WRITE_ERRORS,
                body="StaffRequest",
                auth=_ADMIN,
            )
        },
        "/v1/admin/merchants": {
            "post": _op(
                "Register a merchant",
                ("201", _ref("MerchantCreated"), "The merchant and its signing secret"),
                _WRITE_ERRORS,
                body="MerchantRequest",
                auth=_ADMIN,
                description="An id already registered is 400.",
            )
        },
    }


def _public_paths() -> dict[str, Schema]:
    complaint = _op(
        "File a complaint",
        ("201", _ref("ComplaintCreated"), "The case, its deadlines and its access token"),
        (
            *_WRITE_ERRORS,
            ("409", "`duplicate_open_case`: an open case has this contact and transaction_id."),
        ),
        body="ComplaintRequest",
        idempotent=True,
        description="The answer's Location header names the case; a replay carries "
        "`Idempotent-Replayed: true`.",
    )
    return {
        "/v1/health": {"get": _op("Health", ("200", _ref("Health"), "Up"))},
        "/v1/openapi.json": {"get": _op("This document", ("200", {"type": "object"}, "OpenAPI"))},
        "/v1/complaints": {"post": complaint},
    }


def _dev_paths() -> dict[str, Schema]:
    return {
        "/v1/dev/clock": {
            "get": _op("The local stage's application clock", ("200", _ref("Clock"), "Now")),
            "post": _op(
                "Move the local clock forward (local stage only)",
                ("200", _ref("Clock"), "The new now"),
                _BODY_ERRORS,
                body="ClockMove",
                auth=_ADMIN,
                description="Due schedules and deferred messages then fire in due order.",
            ),
        }
    }


def _paths() -> dict[str, Schema]:
    paths = {
        **_public_paths(),
        **_customer_paths(),
        **_session_paths(),
        **_desk_paths(),
        **_admin_paths(),
    }
    if os.environ.get("PAYCASE_STAGE", LOCAL_STAGE) == LOCAL_STAGE:  # as app.py registers it
        paths.update(_dev_paths())
    return paths


def _security_schemes() -> dict[str, Schema]:
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


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PayCase API",
            "version": "1",
            "description": "Complaints, disputes and payment-status questions for a payment "
            "wallet. Money is integer fen; times are RFC 3339 UTC; errors are "
            '{"error": {"code", "message", "fields"}}. Lists take ?limit= and ?cursor= and '
            'answer {"items", "next_cursor"}. A resource the caller may not see is 404.',
        },
        "paths": _paths(),
        "components": {"schemas": _schemas(), "securitySchemes": _security_schemes()},
    }
