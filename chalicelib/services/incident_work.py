"""The outbox consumer of incident work: one chunk of at most CHUNK cases per event, each case in
its own transaction, then the next chunk as a new event.

- `link`: open cases the match rule covers, read through the queue's indexes (the merchant's
  cases, or each category's open cases), are linked.
- `update`: each linked case still waiting for an outcome gets the n-th update on its public
  timeline and one message, its SMS paced (domain/incident.py `Pacing`).
- `resolve`: each linked case still waiting for an outcome is resolved; the chunk's cases that
  could not move, the next chunk's event (or, after the last, the incident's `resolved`) are
  written in ONE transaction with the incident's record, so a worker that dies midway leaves
  the event pending and its rerun finds done cases done.

Every step is idempotent (a marker on the case, or its state), so a chunk run twice, or a
stream record delivered again, changes nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain import incident_steps
from chalicelib.domain.case import Case
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import PayCaseError, Unavailable, VersionConflict
from chalicelib.domain.incident import (
    CHUNK,
    OUTCOME_STATUSES,
    Incident,
    IncidentStatus,
    Pacing,
    Unmoved,
    with_unmoved,
)
from chalicelib.domain.lifecycle import Step
from chalicelib.domain.outbox import EventKind, IncidentPayload, OutboxEvent, Subject
from chalicelib.domain.proposal import parse_proposal
from chalicelib.domain.timefmt import SHANGHAI, parse_rfc3339
from chalicelib.services.changes import CaseQuery, Changes
from chalicelib.services.incident_records import IncidentRecords
from chalicelib.services.ports import DeskStore, KeyTaken
from chalicelib.services.steps import StepWriter

log = logging.getLogger(__name__)


def work_event(
    incident_id: str, action: str, now: datetime, *, n: int = 0, **more: Any
) -> OutboxEvent:
    """A chunk of incident work; its id names the action, the update and the chunk, so the same
    chunk written twice is one event."""
    payload = IncidentPayload(incident_id, action, n=n, **more)
    tag = f"{action}{n}" if action == "update" else action
    return OutboxEvent(
        subject=Subject.incident(incident_id),
        event_id=f"{tag}:s{payload.source}:p{payload.page:05d}",
        kind=EventKind.INCIDENT,
        name=f"incident_{action}",
        payload=payload,
        created_at=now,
    )


class IncidentWork:
    def __init__(
        self, store: DeskStore, records: IncidentRecords, writer: StepWriter, clock: Clock
    ) -> None:
        self._store = store
        self._records = records
        self._writer = writer
        self._clock = clock

    def handle(self, event: OutboxEvent) -> int:
        """Run one chunk; returns how many cases it changed."""
        payload = event.payload_as(IncidentPayload)
        incident = self._records.get(payload.incident_id)
        if incident is None:
            log.warning("incident work: %s is gone", payload.incident_id)
            return 0
        if payload.action == "link":
            return self._link(incident, payload)
        if payload.action == "update":
            return self._update(incident, payload)
        return self._resolve(incident, payload)

    # -- link --------------------------------------------------------------------------------

    def _link(self, incident: Incident, payload: IncidentPayload) -> int:
        if not incident.accepts_links:
            return 0
        cases, cursor = self._candidates(incident, payload)
        linked = 0
        for case in cases:
            if case.incident_id is None and incident.match.covers(case):
                linked += self._try(case.case_id, self._linker(incident))
        follow = self._next_link(incident, payload, cursor)
        if follow is not None:
            self._store.commit(Changes(now=self._clock.now(), events=[follow]))
        return linked

    def _candidates(
        self, incident: Incident, payload: IncidentPayload
    ) -> tuple[list[Case], dict[str, Any] | None]:
        match = incident.match
        if match.merchant_id is not None:
            query = CaseQuery(merchant_id=match.merchant_id, limit=CHUNK, start=payload.cursor)
        else:
            category = match.categories[payload.source]
            query = CaseQuery(category=category, limit=CHUNK, start=payload.cursor)
        return self._store.list_cases(query)

    def _next_link(
        self, incident: Incident, payload: IncidentPayload, cursor: dict[str, Any] | None
    ) -> OutboxEvent | None:
        now = self._clock.now()
        page = payload.page + 1
        if cursor is not None:
            return work_event(
                incident.incident_id, "link", now, page=page, cursor=cursor, source=payload.source
            )
        by_category = incident.match.merchant_id is None
        if by_category and payload.source + 1 < len(incident.match.categories):
            return work_event(
                incident.incident_id, "link", now, page=page, source=payload.source + 1
            )
        return None

    def _linker(self, incident: Incident) -> Any:
        def act(case: Case, now: datetime) -> Step:
            unlinked = incident_steps.unlinked_marker(incident.incident_id) in case.sla_fired
            skip = unlinked or case.incident_id is not None or case.status in OUTCOME_STATUSES
            if skip or not incident.match.covers(case):
                return Step(case)
            return incident_steps.link(case, incident, "system", now)

        return act

    # -- update ------------------------------------------------------------------------------

    def _update(self, incident: Incident, payload: IncidentPayload) -> int:
        posted = parse_rfc3339(str(incident.updates[payload.n - 1]["at"]))
        pacing = Pacing(posted)
        ids, cursor = self._store.cases_of_incident(
            incident.incident_id, open_only=True, limit=CHUNK, start=payload.cursor
        )
        told = 0
        for position, case_id in enumerate(ids):
            slot = pacing.slot(payload.page * CHUNK + position)

            def act(case: Case, now: datetime, slot: datetime = slot) -> Step:
                return incident_steps.update(case, incident, payload.n, slot, now)

            told += self._try(case_id, act)
        if cursor is not None:
            follow = work_event(
                incident.incident_id,
                "update",
                self._clock.now(),
                n=payload.n,
                page=payload.page + 1,
                cursor=cursor,
            )
            self._store.commit(Changes(now=self._clock.now(), events=[follow]))
        return told

    # -- resolve -----------------------------------------------------------------------------

    def _resolve(self, incident: Incident, payload: IncidentPayload) -> int:
        if incident.status is IncidentStatus.RESOLVED or incident.resolution is None:
            return 0
        ids, cursor = self._store.cases_of_incident(
            incident.incident_id, open_only=True, limit=CHUNK, start=payload.cursor
        )
        by = str(incident.resolution["by"])
        text = dict(incident.resolution["text"])
        unmoved: list[Unmoved] = []
        moved = 0
        offered = incident.resolution.get("proposal")
        for case_id in ids:

            def act(case: Case, now: datetime) -> Step:
                calendar = self._writer.calendar
                if offered is None:
                    return incident_steps.resolve(case, incident, by, text, now, calendar)
                said = text.get(case.contact.language) or text["zh-CN"]
                paid = case.payment.amount_fen if case.payment else None
                body = incident_steps.offer_terms(dict(offered), said, paid)
                today = now.astimezone(SHANGHAI).date()
                terms = parse_proposal(body, calendar, today, paid)
                return incident_steps.offer(case, incident, by, terms, now, calendar)

            try:
                moved += self._try(case_id, act, refusals=True)
            except PayCaseError as refused:
                case = self._store.get_case(case_id)
                if case is not None:
                    unmoved.append(
                        Unmoved(case_id, case.case_number, case.status.value, refused.message)
                    )
        self._close_chunk(incident, payload, unmoved, cursor)
        return moved

    def _close_chunk(
        self,
        incident: Incident,
        payload: IncidentPayload,
        unmoved: list[Unmoved],
        cursor: dict[str, Any] | None,
    ) -> None:
        """The chunk's unmoved cases and what comes next, in one transaction with the record."""
        for _ in range(3):
            now = self._clock.now()
            current = self._records.require(incident.incident_id)
            after = with_unmoved(current, unmoved)
            changes = Changes(now=now)
            if cursor is not None:
                changes.events.append(
                    work_event(
                        incident.incident_id, "resolve", now, page=payload.page + 1, cursor=cursor
                    )
                )
            else:
                after = replace(after, status=IncidentStatus.RESOLVED, resolved_at=now)
            if after == current and not changes.events:
                return
            self._records.write(changes, current, after)
            try:
                self._store.commit(changes)
                return
            except KeyTaken:
                continue  # someone wrote the record meanwhile: read it again

    # -- one case ----------------------------------------------------------------------------

    def _try(self, case_id: str, act: Any, *, refusals: bool = False) -> int:
        """Apply a step to one case; 1 when it changed the case. A case gone or refused is
        skipped (logged), or with `refusals` its refusal raised; an outage always raises, so
        the chunk is retried."""
        try:
            before = self._store.get_case(case_id)
            after, _ = self._writer.apply(case_id, act)
        except (Unavailable, VersionConflict):
            raise  # the chunk is retried
        except PayCaseError as refused:
            if refusals:
                raise
            log.info("incident work: case %s skipped: %s", case_id, refused.message)
            return 0
        except incident_steps.NotLinkable as refused:
            log.info("incident work: case %s not linked: %s", case_id, refused.reason)
            return 0
        return int(before is not None and after.version != before.version)
