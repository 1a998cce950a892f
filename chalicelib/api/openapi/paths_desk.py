"""Paths of the staff desk: the queue, a case in full, and every staff action on a case."""

from __future__ import annotations

from chalicelib.api.openapi.auth import STAFF, STAFF_CASE, SUPERVISOR_CASE
from chalicelib.api.openapi.builders import Schema, enum, ref
from chalicelib.api.openapi.operations import CURSOR, LIMIT, WRITE_ERRORS, Ok, on_case, op, query
from chalicelib.domain import limits as L
from chalicelib.domain.case import Status
from chalicelib.domain.policy import REGULATORY_DAYS, REGULATORY_MAX_DAYS, Category
from chalicelib.services.desk import SLA_FILTERS

_MAX = REGULATORY_MAX_DAYS
_STALE = "`version_conflict` when expected_version is not the case's version"
_DECIDING = (
    " Round 1 is worked by agents and up; a second review is decided by a reviewer or admin "
    "who did not handle round 1 (403 otherwise)."
)


def _staff_case_op(
    summary: str,
    ok: Ok,
    body: str,
    conflict: str,
    *,
    may_forbid: bool = False,
    idempotent: bool = False,
) -> Schema:
    forbidden = (("403", "Reviewer and recusal rules: see the description."),)
    return op(
        summary,
        ok,
        (*WRITE_ERRORS, ("409", conflict), *(forbidden if may_forbid else ())),
        body=body,
        auth=STAFF_CASE,
        idempotent=idempotent,
    )


def desk_paths() -> dict[str, Schema]:
    case = ("200", ref("StaffCase"), "The case after the change")
    entry = ("201", ref("StaffEntryWritten"), "The new timeline entry and the case's version")
    final = f"`invalid_transition`: the case is final; or {_STALE}."
    base = "/v1/admin/cases/{case_id}"
    return {
        "/v1/admin/cases": {"get": _queue()},
        base: on_case(
            get=op(
                "A case in full: internal timeline and version",
                ("200", ref("StaffCase"), "The case"),
                ("503",),
                auth=STAFF_CASE,
            )
        ),
        f"{base}/transitions": on_case(post=_transition(case)),
        f"{base}/assign": on_case(
            post=_staff_case_op(
                "Assign the case", case, "AssignRequest", final, may_forbid=True, idempotent=True
            )
        ),
        f"{base}/notes": on_case(
            post=_staff_case_op(
                "Add an internal note", entry, "EntryRequest", _STALE + ".", idempotent=True
            )
        ),
        f"{base}/messages": on_case(
            post=_staff_case_op(
                "Message the customer (notified)", entry, "EntryRequest", final, idempotent=True
            )
        ),
        f"{base}/calls": on_case(
            post=_staff_case_op(
                "Log a call or chat (public)", entry, "CallRequest", final, idempotent=True
            )
        ),
        f"{base}/proposals": on_case(post=_proposal()),
        f"{base}/extensions": on_case(post=_extension()),
    }


def _transition(case: Ok) -> Schema:
    out = _staff_case_op(
        "Move the case to another status",
        case,
        "TransitionRequest",
        f"`invalid_transition`: staff cannot make that move now; or {_STALE}.",
        may_forbid=True,
        idempotent=True,
    )
    out["description"] += _DECIDING
    return out


def _proposal() -> Schema:
    out = _staff_case_op(
        "Propose a settlement (the customer is notified)",
        ("201", ref("StaffCase"), "The case, now negotiating (without its timeline)"),
        "ProposalRequest",
        f"`invalid_transition`: the case cannot receive a proposal now; or {_STALE}.",
        may_forbid=True,
        idempotent=True,
    )
    out["description"] += _DECIDING
    return out


def _extension() -> Schema:
    return op(
        "Extend the decision deadline (the customer is notified)",
        ("200", ref("StaffCase"), "The case with its new deadlines.regulatory_due"),
        (
            *WRITE_ERRORS,
            (
                "400",
                f"The request is not valid, also when the outer limit would pass {_MAX} "
                "days in all; `fields` says why, per field.",
            ),
            (
                "409",
                f"`invalid_transition`: the case is resolved, unresolved or final; or {_STALE}.",
            ),
        ),
        body="ExtensionRequest",
        idempotent=True,
        auth=SUPERVISOR_CASE,
        description=f"Moves the outer limit ({REGULATORY_DAYS} calendar days after acceptance) "
        f"out by `days`, to {_MAX} calendar days in all; the customer is told the new date and "
        "the reason.",
    )


def _queue() -> Schema:
    return op(
        "The case queue, most urgent deadline first",
        ("200", ref("QueuePage"), "A page of cases"),
        ("400", "503"),
        auth=STAFF,
        description="Without `status`, the open work queue: closed and withdrawn cases are not "
        "listed, and `category`, `assignee` and `merchant_id` narrow the open cases. With "
        "`status`, the cases in that status (the way to find closed and withdrawn ones), "
        "narrowed by the other filters. `sla` lists open cases only.",
        params=[
            query(
                "status",
                "Cases in one status; `closed` and `withdrawn` find finished cases",
                enum(s.value for s in Status),
            ),
            query("category", "Cases of one category", enum(c.value for c in Category)),
            query(
                "assignee",
                "Cases assigned to one staff_id",
                {"type": "string", "minLength": 1, "maxLength": L.STAFF_ID},
            ),
            query(
                "merchant_id",
                "Cases naming one merchant",
                {"type": "string", "minLength": 1, "maxLength": L.REFERENCE},
            ),
            query("sla", "Open cases at risk or breached", enum(SLA_FILTERS)),
            LIMIT,
            CURSOR,
        ],
    )
