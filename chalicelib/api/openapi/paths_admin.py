"""Admin paths: desk metrics, the delivery log and its retries, staff members and merchants."""

from __future__ import annotations

from chalicelib.api.openapi.auth import ADMIN, STAFF, SUPERVISOR
from chalicelib.api.openapi.builders import DATE, TIME, YEARS, Schema, enum, ref
from chalicelib.api.openapi.operations import CURSOR, LIMIT, WRITE_ERRORS, op, path_param, query
from chalicelib.api.openapi.paths_people import people_paths
from chalicelib.api.openapi.schemas_admin import NOTIFICATION_STATUSES
from chalicelib.domain import limits as L
from chalicelib.services.deliveries import STATUSES

_NOTIFICATION_ID = path_param(
    "notification_id",
    "A message's `id` from the delivery log, as listed there.",
    {"type": "string", "minLength": 1},
)


def admin_paths() -> dict[str, Schema]:
    return {
        "/v1/admin/metrics": {"get": _metrics()},
        "/v1/admin/notifications": {
            "get": op(
                "Delivery log (give case_id or status)",
                ("200", ref("NotificationPage"), "A page of messages"),
                ("400", "503"),
                auth=STAFF,
                params=[
                    query("case_id", "Messages about one case"),
                    query(
                        "status", f"Messages in one status: {NOTIFICATION_STATUSES}", enum(STATUSES)
                    ),
                    LIMIT,
                    CURSOR,
                ],
            )
        },
        "/v1/admin/notifications/{notification_id}/retry": {
            "parameters": [_NOTIFICATION_ID],
            "post": op(
                "Send a failed, dead or unknown message again",
                ("202", ref("Notification"), "The message, queued again with fresh attempts"),
                (
                    ("404", "No such message."),
                    (
                        "409",
                        "`invalid_transition`: only a failed, dead or unknown message can be "
                        "sent again (a sent one never is).",
                    ),
                    "503",
                ),
                auth=STAFF,
                description=(
                    "Takes no body. One write queues the resend in the outbox: on a 503 nothing "
                    "changed and the call may be repeated; a repeat (or a message already "
                    "queued) sends it once. An `unknown` message may have reached its "
                    "recipient: sending it again is staff's decision. The delivery log shows "
                    "the message queued as soon as the outbox has handled the request."
                ),
            ),
        },
        "/v1/admin/outbox": {
            "get": op(
                "Outbox events that were given up",
                ("200", ref("FailedEventPage"), "A page of events, the latest given up first"),
                ("400", "503"),
                auth=ADMIN,
                params=[
                    query(
                        "status",
                        "`failed`: events whose consumer failed every attempt",
                        enum(["failed"]),
                        required=True,
                    ),
                    LIMIT,
                    CURSOR,
                ],
            )
        },
        "/v1/admin/outbox/{event_ref}/retry": {
            "parameters": [
                path_param(
                    "event_ref",
                    "A failed event's `id`, as listed.",
                    {"type": "string", "minLength": 1},
                )
            ],
            "post": op(
                "Send a given-up outbox event again",
                ("202", ref("FailedEvent"), "The event, pending again with fresh attempts"),
                (
                    ("404", "No such event."),
                    ("409", "`invalid_transition`: only an event that was given up."),
                    "503",
                ),
                auth=ADMIN,
                description="Takes no body. The redrive runs it within minutes.",
            ),
        },
        "/v1/admin/staff": {
            **people_paths()["/v1/admin/staff"],
            "post": op(
                "Create a staff member",
                ("201", ref("StaffCreated"), "The member and their token"),
                WRITE_ERRORS,
                body="StaffRequest",
                auth=ADMIN,
                idempotent=True,
            ),
        },
        "/v1/admin/merchants": {
            "post": op(
                "Register a merchant",
                ("201", ref("MerchantCreated"), "The merchant and its signing secret"),
                WRITE_ERRORS,
                body="MerchantRequest",
                auth=ADMIN,
                idempotent=True,
                description="An id already registered is 400.",
            )
        },
    }


def _metrics() -> Schema:
    when = {
        "anyOf": [{**DATE, "pattern": YEARS}, TIME],
        "description": "A date, or a time (its Asia/Shanghai day)",
    }
    return op(
        "Desk metrics for the cases filed in a range of days",
        ("200", ref("Metrics"), "Volumes, SLA, working-hour medians, CSAT, repeats"),
        ("400", "503"),
        auth=SUPERVISOR,
        params=[
            query(
                "from",
                f"First day (default `to` - 29 days; {L.METRICS_RANGE_DAYS} days at most)",
                when,
            ),
            query("to", "Last day, inclusive (default today)", when),
        ],
    )
