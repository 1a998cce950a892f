"""How cases and timelines look in API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Case, Status, TimelineEntry
from chalicelib.domain.complaint import PaymentRef
from chalicelib.domain.lifecycle import objection_deadline
from chalicelib.domain.policy import Deadlines
from chalicelib.domain.sla import sla_state
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services.timeline_texts import summary


def deadlines(value: Deadlines) -> dict[str, Any]:
    return {
        "first_response_due": to_rfc3339(value.first_response_due),
        "resolution_due": to_rfc3339(value.resolution_due),
        "regulatory_due": to_rfc3339(value.regulatory_due),
        "provisional": value.provisional,
    }


def payment(value: PaymentRef | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "transaction_id": value.transaction_id,
        "merchant_id": value.merchant_id,
        "order_id": value.order_id,
        "amount_fen": value.amount_fen,
        "currency": value.currency,
        "paid_at": to_rfc3339(value.paid_at) if value.paid_at else None,
    }


def timeline_entry(entry: TimelineEntry, language: str, *, internal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "at": to_rfc3339(entry.at),
        "type": entry.type,
        "summary": summary(entry, language),
    }
    if internal:
        out.update(
            entry_id=entry.entry_id,
            actor=entry.actor,
            visibility=entry.visibility.value,
            data=entry.data,
        )
    return out


def _time(value: datetime | None) -> str | None:
    return to_rfc3339(value) if value else None


def _case_deadlines(case: Case) -> dict[str, Any]:
    out = deadlines(case.deadlines)
    if case.second_review is not None:
        out["second_review"] = {
            "opened_at": to_rfc3339(case.second_review.opened_at),
            "first_response_due": to_rfc3339(case.second_review.first_response_due),
            "resolution_due": to_rfc3339(case.second_review.resolution_due),
        }
    object_by = objection_deadline(case)
    if object_by is not None and case.status in (Status.RESOLVED, Status.UNRESOLVED):
        out["object_by"] = to_rfc3339(object_by)
    if case.waiting is not None:
        out["reply_by"] = to_rfc3339(case.waiting.close_at)
    return out


def _common(case: Case, now: datetime, calendar: WorkingCalendar) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "case_number": case.case_number,
        "status": case.status.value,
        "category": case.category.value,
        "round": case.round,
        "created_at": to_rfc3339(case.created_at),
        "updated_at": to_rfc3339(case.updated_at),
        "deadlines": _case_deadlines(case),
        "sla": {"state": sla_state(case, now, calendar).value},
        "proposal": case.proposal.public() if case.proposal else None,
        "payment": payment(case.payment),
    }


def customer_case(
    case: Case,
    timeline: list[TimelineEntry],
    now: datetime,
    calendar: WorkingCalendar,
    incident_summary: str | None = None,
) -> dict[str, Any]:
    """The case as its customer sees it; `incident_summary` is what the customer is told of the
    incident the case is linked to, in their language."""
    lang = case.contact.language
    return {
        **_common(case, now, calendar),
        "incident": _notice(incident_summary),
        "description": case.description,
        "contact": case.contact.masked(),
        "rating": case.rating,
        "timeline": [timeline_entry(e, lang, internal=False) for e in timeline],
    }


def customer_summary(
    case: Case, now: datetime, calendar: WorkingCalendar, incident_summary: str | None = None
) -> dict[str, Any]:
    """A case in its customer's list: the case view's common fields but the payment."""
    out = {k: v for k, v in _common(case, now, calendar).items() if k != "payment"}
    return {**out, "incident": _notice(incident_summary)}


def _notice(incident_summary: str | None) -> dict[str, str] | None:
    return {"summary": incident_summary} if incident_summary else None


def staff_case(
    case: Case,
    timeline: list[TimelineEntry],
    now: datetime,
    calendar: WorkingCalendar,
    *,
    include_timeline: bool = True,
) -> dict[str, Any]:
    """Everything staff need, internal entries included; staff see the full contact, since
    they call customers back."""
    contact = case.contact
    out = {
        **_common(case, now, calendar),
        "version": case.version,
        "assignee": case.assignee,
        "description": case.description,
        "channel": case.channel,
        "merchant_id": case.merchant_id,
        "contact": {
            "phone": contact.phone,
            "email": contact.email,
            "language": contact.language,
            "channels": list(contact.channels),
            "sms_opt_out": contact.sms_opt_out,
        },
        "accepted_at": _time(case.accepted_at),
        "resolved_at": _time(case.resolved_at),
        "closed_at": _time(case.closed_at),
        "waiting_for_customer": {
            "since": to_rfc3339(case.waiting.since),
            "request": case.waiting.request,
            "remind_at": to_rfc3339(case.waiting.remind_at),
            "close_at": to_rfc3339(case.waiting.close_at),
        }
        if case.waiting
        else None,
        "second_review_reason": case.second_review.reason if case.second_review else None,
        "round_one_handlers": sorted(case.handlers),
        "incident": incident(case),
        "rating": case.rating,
        "due_at": _time(case.due_at),
    }
    if include_timeline:
        out["timeline"] = [timeline_entry(e, contact.language, internal=True) for e in timeline]
    return out


def queue_item(case: Case, now: datetime, calendar: WorkingCalendar) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "case_number": case.case_number,
        "status": case.status.value,
        "category": case.category.value,
        "round": case.round,
        "assignee": case.assignee,
        "merchant_id": case.merchant_id,
        "due_at": _time(case.due_at),
        "sla": {"state": sla_state(case, now, calendar).value},
        "created_at": to_rfc3339(case.created_at),
        "version": case.version,
        "incident": incident(case),
    }


def incident(case: Case) -> dict[str, str] | None:
    """The incident a case is linked to, as staff see it."""
    if case.incident_id is None:
        return None
    return {"incident_id": case.incident_id, "title": case.incident_title or ""}
