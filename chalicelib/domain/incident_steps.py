"""What an incident does to one of its cases: link, unlink, an update, the resolution. Each is a
Step of its own (one transaction per case), safe to run again: a case already linked, told or
resolved is left as it is."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from .calendar import WorkingCalendar
from .case import Case, Status, Visibility
from .errors import Forbidden, InvalidTransition
from .incident import OUTCOME_STATUSES, RESOLVABLE, Incident
from .moves import handled_by, move, staff_actor, staff_move
from .negotiation import propose
from .proposal import ProposalTerms
from .step import Entry, Notice, Step
from .timefmt import to_rfc3339


class NotLinkable(Exception):
    """Why a case cannot be linked to (or unlinked from) an incident."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def update_marker(incident_id: str, n: int) -> str:
    return f"incident:{incident_id}:update:{n}"


def unlinked_marker(incident_id: str) -> str:
    """Left on a case staff unlinked, so the incident's own matching never links it again."""
    return f"incident:{incident_id}:unlinked"


def link(case: Case, incident: Incident, actor: str, now: datetime) -> Step:
    """Make the case one of the incident's complaints. Raises NotLinkable."""
    if case.incident_id == incident.incident_id:
        return Step(case)
    if case.incident_id is not None:
        raise NotLinkable(f"already linked to incident {case.incident_id}")
    if case.status in OUTCOME_STATUSES:
        raise NotLinkable(f"the case is {case.status.value}: it has its outcome")
    linked = replace(
        case, incident_id=incident.incident_id, incident_title=incident.title, updated_at=now
    )
    data = {"incident_id": incident.incident_id, "title": incident.title}
    return Step(linked, (Entry("incident_linked", Visibility.INTERNAL, actor, None, data),))


def unlink(case: Case, incident: Incident, actor: str, now: datetime) -> Step:
    if case.incident_id != incident.incident_id:
        raise NotLinkable("not linked to this incident")
    marker = unlinked_marker(incident.incident_id)
    unlinked = replace(
        case,
        incident_id=None,
        incident_title=None,
        sla_fired=case.sla_fired | {marker},
        updated_at=now,
    )
    data = {"incident_id": incident.incident_id, "title": incident.title}
    return Step(unlinked, (Entry("incident_unlinked", Visibility.INTERNAL, actor, None, data),))


def update(case: Case, incident: Incident, n: int, send_after: datetime, now: datetime) -> Step:
    """The incident's n-th update on the case's public timeline and to its customer, once.
    `send_after` is the SMS's place in the incident's pacing."""
    marker = update_marker(incident.incident_id, n)
    if case.incident_id != incident.incident_id or marker in case.sla_fired:
        return Step(case)
    if case.status in OUTCOME_STATUSES:
        return Step(case)
    text = dict(incident.updates[n - 1]["text"])
    language = case.contact.language
    said = text.get(language) or text["zh-CN"]
    told = replace(case, sla_fired=case.sla_fired | {marker}, updated_at=now)
    entry = Entry(
        "incident_update",
        Visibility.PUBLIC,
        "system",
        said,
        {"incident_id": incident.incident_id, "n": n},
    )
    notice = Notice(
        "incident_update",
        {
            "case_number": case.case_number,
            "category": case.category.value,
            "text": said,
            "posted_at": incident.updates[n - 1]["at"],
            "send_after": to_rfc3339(send_after),
        },
    )
    return Step(told, (entry,), (notice,))


def resolve(
    case: Case,
    incident: Incident,
    staff_id: str,
    text: dict[str, str],
    now: datetime,
    calendar: WorkingCalendar,
) -> Step:
    """Resolve a linked case because its incident was resolved: the move, its timeline entry,
    its clocks and its notice, as the supervisor who resolved the incident. A case that already
    has its outcome is left as it is. Raises InvalidTransition or Forbidden for a case the
    resolution cannot move."""
    if case.incident_id != incident.incident_id or case.status in OUTCOME_STATUSES:
        return Step(case)
    if case.status is Status.SECOND_REVIEW:
        raise Forbidden("a second review is decided by a reviewer, case by case")
    if case.status not in RESOLVABLE:
        raise InvalidTransition(f"a {case.status.value} case is not resolved by an incident")
    note = text.get(case.contact.language) or text["zh-CN"]
    step = move(case, Status.RESOLVED, "system", now, calendar, note, reason="incident_resolved")
    actor = staff_actor(staff_id)
    entries = tuple(replace(e, actor=actor) for e in step.entries)
    return replace(step, case=handled_by(step.case, staff_id, now), entries=entries)


def offer_marker(incident_id: str) -> str:
    return f"incident:{incident_id}:offer"


def offer(
    case: Case,
    incident: Incident,
    staff_id: str,
    terms: ProposalTerms,
    now: datetime,
    calendar: WorkingCalendar,
) -> Step:
    """Resolve a linked case with an offer, as its supervisor would: a case not yet accepted is
    accepted first, then the offer is made (the case negotiates; it is resolved when its
    customer accepts). Once per case. Raises InvalidTransition or Forbidden for a case that
    cannot take an offer now."""
    marker = offer_marker(incident.incident_id)
    if case.incident_id != incident.incident_id or case.status in OUTCOME_STATUSES:
        return Step(case)
    if marker in case.sla_fired:
        return Step(case)
    if case.round == 2:
        raise Forbidden("a second review is decided by a reviewer, case by case")
    step = Step(case)
    if case.status is Status.SUBMITTED:
        step = staff_move(case, Status.ACCEPTED, staff_id, now, calendar)
    step = step.then(propose(step.case, terms, staff_id, now, calendar))
    return replace(step, case=replace(step.case, sla_fired=step.case.sla_fired | {marker}))


def offer_terms(raw: dict[str, Any], text: str, paid_fen: int | None) -> dict[str, Any]:
    """The proposal body for one case: the incident's terms, the text in the case's language,
    and for a full refund without an amount the case's own paid amount."""
    body = {**raw, "text": text}
    if body.get("kind") == "full_refund" and "amount_fen" not in body and paid_fen:
        body["amount_fen"] = paid_fen
    return body
