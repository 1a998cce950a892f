"""Schemas of the admin calls (metrics, the delivery log, staff and merchants) and of the
system and local-stage calls."""

from __future__ import annotations

from chalicelib.api.dev import MAX_ADVANCE
from chalicelib.api.openapi.builders import (
    DATE,
    INT,
    STR,
    TIME,
    Schema,
    anchored,
    answer,
    enum,
    int_range,
    nullable,
    obj,
    page,
    text,
)
from chalicelib.domain import limits as L
from chalicelib.domain.contact import CHANNELS, LANGUAGES
from chalicelib.services.deliveries import STATUS_MEANINGS, STATUSES
from chalicelib.services.merchants import MERCHANT_ID
from chalicelib.services.metrics import CLOCKS, DELIVERY_COUNTS
from chalicelib.services.staff import ROLES

# What each delivery-log status means, for the log's filter and for each message.
NOTIFICATION_STATUSES = "; ".join(f"`{s}`: {m}" for s, m in STATUS_MEANINGS.items())


def _metrics_schema() -> Schema:
    counts = {"type": "object", "additionalProperties": INT}
    percent = nullable({"type": "number", "minimum": 0, "maximum": 100})
    count = {"type": "integer", "minimum": 0}
    clock = obj(
        {
            "running": {**count, "description": "Started, not yet run out, not yet stopped."},
            "met": {**count, "description": "Stopped before running out."},
            "missed": {
                **count,
                "description": "Ran out: counted from the moment the deadline passed, whether "
                "or not the clock has stopped since.",
            },
            "cancelled": {
                **count,
                "description": "Ended with nothing to judge (withdrawn, or closed for want of "
                "the customer's reply) before running out.",
            },
            "started": {**count, "description": "running + met + missed + cancelled."},
            "total": {**count, "description": "Clocks with a verdict: met + missed."},
            "percent_met": {**percent, "description": "met / total, in percent."},
        },
        ["running", "met", "missed", "cancelled", "started", "total", "percent_met"],
    )
    hours = nullable({"type": "number"})
    return answer(
        {
            "from": DATE,
            "to": DATE,
            "cohort": STR,
            "volumes": answer(
                {
                    "filed": INT,
                    "by_category": counts,
                    "by_status": counts,
                    "incident_linked": {**INT, "description": "Of them, linked to an incident."},
                    "not_incident_linked": INT,
                }
            ),
            "incidents": {
                **counts,
                "description": "Complaints of the cohort linked to each incident, by its id.",
            },
            "sla": answer({name: clock for name in CLOCKS}),
            "median_working_hours": answer({"first_response": hours, "resolution": hours}),
            "csat": answer(
                {
                    "count": INT,
                    "average": nullable({"type": "number", "minimum": 1, "maximum": 5}),
                    "distribution": answer({str(n): INT for n in range(1, 6)}),
                }
            ),
            "repeat_complaint_rate": nullable({"type": "number", "minimum": 0, "maximum": 1}),
            "deliveries": obj(
                {
                    name: {"type": "integer", "minimum": 0, "description": meaning}
                    for name, meaning in DELIVERY_COUNTS.items()
                },
                description=(
                    "Sends without an answer, counted on the day (Asia/Shanghai) they happened, "
                    "whichever case they were about"
                ),
            ),
        }
    )


def admin_schemas() -> dict[str, Schema]:
    time_or_null = nullable(TIME)
    return {
        "Metrics": _metrics_schema(),
        "Notification": answer(
            {
                "id": STR,
                "case_id": STR,
                "event": STR,
                "channel": enum(CHANNELS),
                "audience": STR,
                "recipient": {"type": "string", "description": "masked"},
                "language": STR,
                "status": enum(STATUSES, NOTIFICATION_STATUSES),
                "attempts": INT,
                "unanswered_attempts": {
                    "type": "integer",
                    "minimum": 0,
                    "description": (
                        "Attempts that had no answer from the provider (it may have accepted "
                        "them); each waited for the provider's receipt before any resend"
                    ),
                },
                "receipt": nullable(
                    {"type": "string", "description": "What the provider's delivery receipt said"}
                ),
                "last_error": nullable(STR),
                "created_at": TIME,
                "sent_at": time_or_null,
                "next_attempt_at": time_or_null,
            }
        ),
        "NotificationPage": page("Notification"),
        "FailedEvent": obj(
            {
                "id": {"type": "string", "description": "Opaque; names the event to retry"},
                "subject": {"type": "string", "description": "The case (or query) it was about"},
                "event_id": STR,
                "kind": STR,
                "name": STR,
                "attempts": INT,
                "last_error": nullable(STR),
                "created_at": TIME,
            }
        ),
        "FailedEventPage": page("FailedEvent"),
        "StaffRequest": obj(
            {
                "name": text(L.PERSON_NAME),
                "role": enum(ROLES),
                "team": text(L.PERSON_NAME),
                "email": {"type": "string", "format": "email", "maxLength": L.EMAIL},
            },
            ["name", "role"],
            closed=True,
        ),
        "StaffCreated": answer(
            {
                "staff_id": STR,
                "name": STR,
                "role": enum(ROLES),
                "team": nullable(STR),
                "email": nullable(STR),
                "token": {"type": "string", "description": "`st_...`; shown only here."},
            }
        ),
        **_merchant_schemas(),
    }


def _merchant_schemas() -> dict[str, Schema]:
    merchant_id = {
        "type": "string",
        "maxLength": L.REFERENCE,
        "pattern": anchored(MERCHANT_ID.pattern),
    }
    return {
        "MerchantRequest": obj(
            {
                "merchant_id": merchant_id,
                "name": text(L.MERCHANT_NAME),
                "email": {"type": "string", "format": "email", "maxLength": L.EMAIL},
                "phone": {"type": "string", "maxLength": L.PHONE},
                "language": {
                    **enum(LANGUAGES),
                    "default": "zh-CN",
                    "description": "The language of the merchant's emails and of the texts "
                    "the merchant API answers with.",
                },
            },
            ["merchant_id", "name", "email"],
            closed=True,
        ),
        "MerchantCreated": answer(
            {
                "merchant_id": STR,
                "name": STR,
                "email": nullable(STR),
                "phone": nullable(STR),
                "language": enum(LANGUAGES),
                "secret": {"type": "string", "description": "HMAC secret, shown only here."},
            }
        ),
    }


def system_schemas() -> dict[str, Schema]:
    return {
        "Clock": obj({"now": TIME}, ["now"]),
        "ClockMove": {
            **obj(
                {
                    "set": {
                        **TIME,
                        "description": "Not before the clock's now, nor more than "
                        f"{MAX_ADVANCE // 86400} days past real time.",
                    },
                    "advance_seconds": int_range(1, MAX_ADVANCE),
                },
                closed=True,
                description="Exactly one of `set` or `advance_seconds`.",
            ),
            "oneOf": [{"required": ["set"]}, {"required": ["advance_seconds"]}],
        },
        "Health": obj({"status": {"const": "ok"}}, ["status"]),
        "FailNextSendRequest": obj(
            {"to": text(L.EMAIL, "A phone number or an email address.")},
            ["to"],
            closed=True,
        ),
        "FailNextSend": obj(
            {
                "to": {"type": "string", "description": "The address as messages use it."},
                "channel": enum(CHANNELS),
                "fails": {"const": "the next send"},
            },
            ["to", "channel", "fails"],
        ),
    }
