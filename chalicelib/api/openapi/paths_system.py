"""Paths without a desk audience: health, this document, filing a complaint, and the local
stage's test clock."""

from __future__ import annotations

from chalicelib.api.dev import MAX_ADVANCE
from chalicelib.api.openapi.auth import ADMIN, STAFF
from chalicelib.api.openapi.builders import Schema, ref
from chalicelib.api.openapi.operations import BODY_ERRORS, WRITE_ERRORS, op


def public_paths() -> dict[str, Schema]:
    complaint = op(
        "File a complaint",
        ("201", ref("ComplaintCreated"), "The case, its deadlines and its access token"),
        (
            *WRITE_ERRORS,
            ("409", "`duplicate_open_case`: an open case has this contact and transaction_id."),
        ),
        body="ComplaintRequest",
        idempotent=True,
        description="The answer's Location header names the case; a replay carries "
        "`Idempotent-Replayed: true`.",
    )
    return {
        "/v1/health": {"get": op("Health", ("200", ref("Health"), "Up"))},
        "/v1/openapi.json": {"get": op("This document", ("200", {"type": "object"}, "OpenAPI"))},
        "/v1/complaints": {"post": complaint},
    }


def dev_paths() -> dict[str, Schema]:
    """Served on the local stage only."""
    return {
        "/v1/dev/clock": {
            "get": op(
                "The local stage's application clock",
                ("200", ref("Clock"), "Now"),
                auth=STAFF,
            ),
            "post": op(
                "Move the local clock forward (local stage only)",
                ("200", ref("Clock"), "The new now"),
                BODY_ERRORS,
                body="ClockMove",
                auth=ADMIN,
                description="Due schedules and deferred messages then fire in due order. The "
                f"clock runs at most {MAX_ADVANCE // 86400} days past real time; a move beyond "
                "that is `validation_failed`.",
            ),
        }
    }
