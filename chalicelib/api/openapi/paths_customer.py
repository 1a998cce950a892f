"""Paths a customer calls: their case (with a case or session token) and SMS sign-in."""

from __future__ import annotations

from chalicelib.api.openapi.auth import CUSTOMER, SESSION
from chalicelib.api.openapi.builders import Schema, ref
from chalicelib.api.openapi.operations import CURSOR, LIMIT, WRITE_ERRORS, Ok, on_case, op
from chalicelib.services.sessions import CODE_TRIES, CODE_TTL, CODES_PER_HOUR, SESSION_TTL


def customer_paths() -> dict[str, Schema]:
    case = ("200", ref("CustomerCase"), "The case after the change")
    no_proposal = ("409", "`invalid_transition`: no proposal is waiting for an answer.")

    def answer(verb: str, description: str) -> Schema:
        return op(
            f"{verb} the pending proposal",
            case,
            (*WRITE_ERRORS, no_proposal),
            body="ReasonRequest",
            optional_body=True,
            auth=CUSTOMER,
            description=description,
            idempotent=True,
        )

    accept = (
        "The case is resolved (in a second review, as the final decision); in round 1 the "
        "customer may still object within 15 days."
    )
    reject = (
        "The case stays in negotiation (or in second review): staff may make another offer or "
        "decide that no agreement is possible. A negotiation still without agreement when the "
        "round's limit passes (round 1: deadlines.regulatory_due; round 2: "
        "deadlines.second_review.resolution_due) becomes unresolved by itself."
    )

    base = "/v1/cases/{case_id}"
    return {
        base: on_case(
            get=op(
                "A case as its customer sees it",
                ("200", ref("CustomerCase"), "The case with its public timeline"),
                ("503",),
                auth=CUSTOMER,
            )
        ),
        f"{base}/messages": on_case(post=_message()),
        f"{base}/proposal/accept": on_case(post=answer("Accept", accept)),
        f"{base}/proposal/reject": on_case(post=answer("Reject", reject)),
        f"{base}/objection": on_case(post=_objection(case)),
        f"{base}/withdraw": on_case(post=_withdraw(case)),
        f"{base}/feedback": on_case(post=_feedback()),
        f"{base}/preferences": on_case(put=_preferences()),
    }


def _message() -> Schema:
    return op(
        "Write to the team handling the case",
        ("201", ref("TimelineEntry"), "The message as it shows on the timeline"),
        (*WRITE_ERRORS, ("409", "`invalid_transition`: the case is final.")),
        body="CustomerMessageRequest",
        auth=CUSTOMER,
        idempotent=True,
        description="From waiting_customer the case returns to investigating.",
    )


def _objection(case: Ok) -> Schema:
    return op(
        "Object to the outcome (opens the second review)",
        case,
        (*WRITE_ERRORS, ("409", "`invalid_transition`: not a round-1 outcome, or too late.")),
        body="ObjectionRequest",
        auth=CUSTOMER,
        idempotent=True,
        description="Only from resolved or unresolved in round 1, within 15 days; the case "
        "moves to second_review.",
    )


def _withdraw(case: Ok) -> Schema:
    return op(
        "Withdraw the complaint",
        case,
        (*WRITE_ERRORS, ("409", "`invalid_transition`: the case can no longer be withdrawn.")),
        body="ReasonRequest",
        optional_body=True,
        auth=CUSTOMER,
        idempotent=True,
        description="The case becomes withdrawn.",
    )


def _feedback() -> Schema:
    return op(
        "Rate how the case was handled",
        ("201", ref("Feedback"), "The rating"),
        (
            *WRITE_ERRORS,
            (
                "409",
                "`invalid_transition`: the case has no outcome yet (or was withdrawn); "
                "`already_rated`: the case was rated before.",
            ),
        ),
        body="FeedbackRequest",
        auth=CUSTOMER,
        idempotent=True,
        description="Once per case, after it has an outcome.",
    )


def _preferences() -> Schema:
    return op(
        "Change how the customer is told about the case",
        ("200", ref("MaskedContact"), "The preferences now in force"),
        WRITE_ERRORS,
        body="PreferencesRequest",
        auth=CUSTOMER,
        idempotent=True,
    )


def session_paths() -> dict[str, Schema]:
    minutes = int(CODE_TTL.total_seconds() // 60)
    hours = int(SESSION_TTL.total_seconds() // 3600)
    return {
        "/v1/otp": {
            "post": op(
                "Send a sign-in code by SMS",
                ("202", ref("OtpSent"), "A code is on its way"),
                (*WRITE_ERRORS, ("429", "A code was asked for too often for this phone.")),
                body="OtpRequest",
                idempotent=True,
                description=f"6 digits, valid {minutes} minutes, {CODE_TRIES} tries; a phone may "
                f"ask once a minute and {CODES_PER_HOUR} times an hour.",
            )
        },
        "/v1/sessions": {
            "post": op(
                "Trade a code for a session token",
                ("201", ref("Session"), f"A session token, valid {hours} hours"),
                (*WRITE_ERRORS, ("401", "The code is wrong, used, expired or out of tries.")),
                body="SessionRequest",
                idempotent=True,
            )
        },
        "/v1/me/cases": {
            "get": op(
                "The session phone's cases, newest first",
                ("200", ref("CustomerCasePage"), "A page of cases"),
                (("400", "A bad limit or cursor."), "503"),
                auth=SESSION,
                params=[LIMIT, CURSOR],
            )
        },
    }
