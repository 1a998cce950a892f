"""Paths without a desk audience: health, this document, filing a complaint, and the local
stage's test clock."""

from __future__ import annotations

from chalicelib.api.dev import MAX_ADVANCE
from chalicelib.api.openapi.auth import ADMIN, OPTIONAL_SESSION, STAFF
from chalicelib.api.openapi.builders import Schema, ref
from chalicelib.api.openapi.operations import BODY_ERRORS, WRITE_ERRORS, op
from chalicelib.domain.intake import IntakeLimits, accepted_numbers


def public_paths() -> dict[str, Schema]:
    limits = IntakeLimits()
    hours = int(limits.window.total_seconds() // 3600)
    complaint = op(
        "File a complaint",
        ("201", ref("ComplaintCreated"), "The case, its deadlines and its access token"),
        (
            *WRITE_ERRORS,
            ("409", "`duplicate_open_case`: an open case has this contact and transaction_id."),
            (
                "429",
                f"`rate_limited`: without an SMS session, {limits.complaints_per_phone} "
                f"complaints already name this phone in the current {hours}-hour window "
                "(windows start at midnight in China); `Retry-After` gives the seconds until "
                "it ends.",
            ),
        ),
        body="ComplaintRequest",
        auth=OPTIONAL_SESSION,
        idempotent=True,
        description="The answer's Location header names the case; a replay carries "
        "`Idempotent-Replayed: true` (and counts toward no limit). Intake is limited per phone "
        f"when no SMS session proves it: at most {limits.sms_per_phone} acknowledgement SMS to "
        f"one phone per {hours}-hour window (later complaints are filed all the same and "
        "acknowledged by email if they give one; the delivery log shows their SMS as "
        f"`suppressed`), and at most {limits.complaints_per_phone} complaints (then 429). SMS "
        f"goes only to {accepted_numbers(limits.sms_countries)} mobile numbers: another "
        "country's number is 400 on contact.phone, unless contact.email is given too; then "
        'the case is answered by email only (its contact.channels are `["email"]`) and the '
        "phone is kept for staff. These are the defaults; a deployment may configure others.",
    )
    return {
        "/v1/health": {"get": op("Health", ("200", ref("Health"), "Up"))},
        "/v1/openapi.json": {"get": op("This document", ("200", {"type": "object"}, "OpenAPI"))},
        "/v1/complaints": {"post": complaint},
    }


_NO_CLOCK = ("404", "No test clock is configured (PAYCASE_CLOCK_FILE).")


def dev_paths() -> dict[str, Schema]:
    """Served on the local stage only."""
    return {
        "/v1/dev/clock": {
            "get": op(
                "The local stage's application clock",
                ("200", ref("Clock"), "Now"),
                (_NO_CLOCK,),
                auth=STAFF,
            ),
            "post": op(
                "Move the local clock forward (local stage only)",
                ("200", ref("Clock"), "The new now"),
                (*BODY_ERRORS, _NO_CLOCK),
                body="ClockMove",
                auth=ADMIN,
                description="The local runner then catches up: it steps its own clock through "
                "each due moment in turn (schedules, held messages, periodic updates), so a jump "
                "leaves the same history as the time passing. The clock runs at most "
                f"{MAX_ADVANCE // 86400} days past real time; a move beyond that is "
                "`validation_failed`.",
            ),
        },
        "/v1/dev/fail-next-send": {
            "post": op(
                "Make the next message to an address fail (local stage only)",
                ("202", ref("FailNextSend"), "The next send to that address will fail"),
                (*BODY_ERRORS, _NO_CLOCK),
                body="FailNextSendRequest",
                auth=ADMIN,
                description="The next SMS or email to `to` (a phone number or an email "
                "address) fails as a bounce would: the message ends `dead` in the delivery log, "
                "and POST /v1/admin/notifications/{id}/retry sends it again. Used once; "
                "forgotten after a day.",
            ),
        },
    }
