"""Incidents, the staff's side: declare one, list and read them, link and unlink cases, post an
update, resolve it. Each write is one transaction (the incident's record at its next version,
the directories it changes, the Idempotency-Key, and the outbox event that starts the
background work: services/incident_work.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain import incident_steps, limits
from chalicelib.domain import validation as v
from chalicelib.domain.case import Case
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import (
    InvalidTransition,
    PayCaseError,
    Unavailable,
    ValidationFailed,
    VersionConflict,
)
from chalicelib.domain.ids import fingerprint, is_ulid, new_ulid
from chalicelib.domain.incident import (
    Incident,
    IncidentStatus,
    parse_declaration,
    parse_texts,
    with_update,
)
from chalicelib.domain.lifecycle import Step
from chalicelib.domain.proposal import parse_proposal
from chalicelib.domain.timefmt import SHANGHAI, to_rfc3339
from chalicelib.services import cursors
from chalicelib.services.changes import Changes
from chalicelib.services.entities import StaffMember
from chalicelib.services.idempotency import Once, Replays
from chalicelib.services.incident_records import ID_PREFIX, IncidentRecords
from chalicelib.services.incident_work import IncidentWork, work_event
from chalicelib.services.ports import DeskStore, KeyTaken
from chalicelib.services.staff import require_role
from chalicelib.services.steps import StepWriter

_RETRIES = 3
FIRST_YEAR = 2025  # the list reads back to the first year PayCase ran


def present(incident: Incident, counts: tuple[int, int]) -> dict[str, Any]:
    linked, waiting = counts
    resolution = incident.resolution
    return {
        "incident_id": incident.incident_id,
        "title": incident.title,
        "summary": dict(incident.summary),
        "status": incident.status.value,
        "started_at": _time(incident.match.started_at),
        "ended_at": _time(incident.match.ended_at),
        "match": {
            "categories": list(incident.match.categories),
            "merchant_id": incident.match.merchant_id,
        },
        "created_by": incident.created_by,
        "created_at": to_rfc3339(incident.created_at),
        "linked": linked,
        "open_linked": waiting,
        "updates": [
            {"n": u["n"], "at": u["at"], "by": u["by"], "text": dict(u["text"])}
            for u in incident.updates
        ],
        "resolution": dict(resolution) if resolution else None,
        "resolved_at": _time(incident.resolved_at),
        "unmoved": [u.__dict__ for u in incident.unmoved],
    }


def _time(at: datetime | None) -> str | None:
    return to_rfc3339(at) if at else None


class Incidents:
    def __init__(
        self,
        store: DeskStore,
        records: IncidentRecords,
        work: IncidentWork,
        writer: StepWriter,
        replays: Replays,
        clock: Clock,
        cursor_key: bytes,
        *,
        read_cases: Callable[[list[str]], list[Case]],
        summaries: Callable[[list[Case]], list[dict[str, Any]]],
    ) -> None:
        self._read_cases = read_cases  # a batch read of cases by id
        self._summaries = summaries  # cases as the queue shows them
        self._store = store
        self._records = records
        self._work = work
        self._writer = writer
        self._replays = replays
        self._clock = clock
        self._cursor_key = cursor_key

    # -- reading -------------------------------------------------------------------------------

    def view(self, incident_id: str) -> dict[str, Any]:
        incident = self._records.require(incident_id)
        return present(incident, self._store.count_incident_cases(incident_id))

    def cases(self, incident_id: str, params: Mapping[str, str | None]) -> dict[str, Any]:
        """A page of the incident's linked cases as the queue shows them: those with their
        outcome first, then those still waiting for one, each in filing order; `?open=true`
        only those still waiting."""
        self._records.require(incident_id)
        problems = v.Problems()
        flag = v.choice(params, "open", ("true", "false"), problems)
        limit = cursors.page_limit(params.get("limit"))
        problems.raise_if_any()
        open_only = flag == "true"
        scope = f"incident-cases:{incident_id}:{open_only}"
        start = cursors.decode(params.get("cursor"), self._cursor_key, scope)
        ids, last = self._store.cases_of_incident(
            incident_id, open_only=open_only, limit=limit, start=start
        )
        return {
            "items": self._summaries(self._read_cases(ids)),
            "next_cursor": cursors.encode(last, self._cursor_key, scope),
        }

    def page(self, params: Mapping[str, str | None]) -> dict[str, Any]:
        """Incidents, newest first, a year's directory at a time."""
        limit = cursors.page_limit(params.get("limit"))
        start = cursors.decode(params.get("cursor"), self._cursor_key, "incidents") or {}
        year = int(start.get("year", self._clock.now().astimezone(SHANGHAI).year))
        skip = int(start.get("skip", 0))
        ids: list[str] = []
        while year >= FIRST_YEAR and len(ids) < limit:
            newest_first = list(reversed(self._records.ids_of_year(year)))
            taken = newest_first[skip : skip + limit - len(ids)]
            ids += taken
            skip += len(taken)
            if skip >= len(newest_first):
                year, skip = year - 1, 0
        more = year >= FIRST_YEAR and len(ids) == limit
        last = {"year": year, "skip": skip} if more else None
        items = [
            {k: val for k, val in present(i, (0, 0)).items() if k not in _DETAIL}
            for i in self._records.many(ids)
        ]
        return {"items": items, "next_cursor": cursors.encode(last, self._cursor_key, "incidents")}

    # -- writing -------------------------------------------------------------------------------

    def declare(self, body: Any, member: StaffMember, idem: str | None) -> dict[str, Any]:
        require_role(member, "supervisor")
        now = self._clock.now()
        declared = parse_declaration(body, now)
        once = self._replays.once(f"incidents:{member.staff_id}", idem, body)

        def create(once: Once | None) -> dict[str, Any]:
            at = self._clock.now()
            incident = Incident(
                incident_id=_new_id(once, at),
                title=declared.title,
                summary=declared.summary,
                match=declared.match,
                status=IncidentStatus.OPEN,
                created_by=member.staff_id,
                created_at=at,
            )
            changes = Changes(now=at, events=[work_event(incident.incident_id, "link", at)])
            stored = self._records.write(changes, None, incident)
            self._records.set_open(changes, stored, True)
            self._records.add_to_year(changes, stored)
            answer = {"incident_id": stored.incident_id}
            if once is not None:  # first: a repeat is told apart from a concurrent declaration
                changes.claims[:0] = once.claims(answer, at)
            self._commit(changes)
            # The first chunk at once, so the answer counts the cases already filed; the rest
            # follow from the outbox. Should this stop midway, the event is still pending and
            # its rerun links what is left (nothing twice).
            first = changes.events[0]
            self._work.handle(first)
            self._store.mark_event_done(first, self._clock.now())
            return answer

        answer, _ = self._replays.run(once, create)
        return self.view(str(answer["incident_id"]))

    def link(
        self, incident_id: str, body: Any, member: StaffMember, idem: str | None
    ) -> dict[str, Any]:
        """Link or unlink up to INCIDENT_CASES cases, each in its own transaction (a step that
        is already done does nothing); the answer lists the cases that were refused, and why."""
        require_role(member, "agent")
        incident = self._records.require(incident_id)
        problems = v.Problems()
        data = v.require_object(body, problems)
        v.reject_unknown(data, ("case_ids", "unlink"), problems)
        link = _case_ids(data, "case_ids", problems)
        unlink = _case_ids(data, "unlink", problems)
        if not problems and not link and not unlink:
            problems.add("case_ids", "name cases to link (case_ids) or to unlink (unlink)")
        problems.raise_if_any()
        if not incident.accepts_links:
            raise InvalidTransition(f"The incident is {incident.status.value}: links are fixed.")
        actor = f"staff:{member.staff_id}"
        once = self._replays.once(f"incident-links:{member.staff_id}:{incident_id}", idem, body)

        def work(once: Once | None) -> dict[str, Any]:
            refused = [
                *self._each(link, lambda c, now: incident_steps.link(c, incident, actor, now)),
                *self._each(unlink, lambda c, now: incident_steps.unlink(c, incident, actor, now)),
            ]
            answer = {"refused": refused}
            if once is not None:  # each link is idempotent itself; the key keeps the answer
                now = self._clock.now()
                self._store.commit(Changes(now=now, claims=once.claims(answer, now)))
            return answer

        answer, _ = self._replays.run(once, work)
        return {**self.view(incident_id), "refused": answer["refused"]}

    def _each(
        self, case_ids: list[str], act: Callable[[Case, datetime], Step]
    ) -> list[dict[str, str]]:
        refused = []
        for case_id in case_ids:
            try:
                self._writer.apply(case_id, act)
            except (Unavailable, VersionConflict):
                raise
            except incident_steps.NotLinkable as why:
                refused.append({"case_id": case_id, "reason": why.reason})
            except PayCaseError as why:
                refused.append({"case_id": case_id, "reason": why.message})
        return refused

    def post_update(
        self, incident_id: str, body: Any, member: StaffMember, idem: str | None
    ) -> dict[str, Any]:
        require_role(member, "supervisor")
        _, text = parse_texts(body)
        once = self._replays.once(f"incident-updates:{member.staff_id}:{incident_id}", idem, body)

        def post(once: Once | None) -> dict[str, Any]:
            def change(incident: Incident, changes: Changes) -> tuple[Incident, dict[str, Any]]:
                if incident.status is not IncidentStatus.OPEN:
                    raise InvalidTransition(f"The incident is {incident.status.value}.")
                after = with_update(incident, text, member.staff_id, changes.now)
                n = len(after.updates)
                changes.events.append(work_event(incident_id, "update", changes.now, n=n))
                return after, {"incident_id": incident_id, **after.updates[-1]}

            return self._change(incident_id, change, once)

        answer, _ = self._replays.run(once, post)
        return answer

    def resolve(
        self, incident_id: str, body: Any, member: StaffMember, idem: str | None
    ) -> dict[str, Any]:
        """Resolving starts in the background: every linked case still waiting for an outcome is
        resolved, a chunk at a time; `GET` shows `open_linked` fall and what could not move."""
        require_role(member, "supervisor")
        data, text = parse_texts(body, ("outcome", "text", "proposal"))
        problems = v.Problems()
        v.choice(data, "outcome", ("resolved",), problems, required=True)
        problems.raise_if_any()
        proposal = self._proposal(data.get("proposal"))
        once = self._replays.once(f"incident-resolve:{member.staff_id}:{incident_id}", idem, body)

        def start(once: Once | None) -> dict[str, Any]:
            def change(incident: Incident, changes: Changes) -> tuple[Incident, dict[str, Any]]:
                if incident.status is not IncidentStatus.OPEN:
                    raise InvalidTransition(f"The incident is {incident.status.value}.")
                resolution = {
                    "outcome": "resolved",
                    "text": dict(text),
                    "by": member.staff_id,
                    "at": to_rfc3339(changes.now),
                    "proposal": proposal,
                }
                after = replace(incident, status=IncidentStatus.RESOLVING, resolution=resolution)
                self._records.set_open(changes, after, False)
                changes.events.append(work_event(incident_id, "resolve", changes.now))
                _, waiting = self._store.count_incident_cases(incident_id)
                return after, {"incident_id": incident_id, "resolving": waiting}

            return self._change(incident_id, change, once)

        answer, _ = self._replays.run(once, start)
        return answer

    def _proposal(self, raw: Any) -> dict[str, Any] | None:
        """The offer each case is resolved with, checked as a case's proposal is (its text is
        the resolution's, in each case's language; a full refund without an amount is each
        case's paid amount)."""
        if raw is None:
            return None
        if not isinstance(raw, dict) or "text" in raw:
            raise ValidationFailed(
                {
                    "proposal": "an object of kind, also, amount_fen, installments (the text "
                    "is the resolution's text)"
                }
            )
        today = self._clock.now().astimezone(SHANGHAI).date()
        probe = incident_steps.offer_terms(raw, "-", 1)
        try:
            parse_proposal(probe, self._writer.calendar, today, None)
        except ValidationFailed as bad:
            raise ValidationFailed(
                {f"proposal.{k}": why for k, why in bad.fields.items()}
            ) from None
        return dict(raw)

    # -- one change to the record --------------------------------------------------------------

    def _change(
        self,
        incident_id: str,
        change: Callable[[Incident, Changes], tuple[Incident, dict[str, Any]]],
        once: Once | None,
    ) -> dict[str, Any]:
        for _ in range(_RETRIES):
            incident = self._records.require(incident_id)
            changes = Changes(now=self._clock.now())
            after, answer = change(incident, changes)
            self._records.write(changes, incident, after)
            if once is not None:  # first: a repeat reports its own key, not the version's
                changes.claims[:0] = once.claims(answer, changes.now)
            try:
                self._store.commit(changes)
            except KeyTaken as taken:
                if once is not None and taken.key == once.key:
                    raise
                continue  # another write took the incident's next version: read it again
            return answer
        raise VersionConflict("The incident kept changing; try again.")

    def _commit(self, changes: Changes) -> None:
        try:
            self._store.commit(changes)
        except KeyTaken as taken:
            if taken.key.startswith("idempotency#"):
                raise
            raise VersionConflict("Another incident was declared at the same moment.") from None


def _new_id(once: Once | None, at: datetime) -> str:
    """A new incident's id; under an Idempotency-Key derived from it, so a declaration made
    again from scratch (its first transaction lost) names the same incident."""
    if once is None:
        return f"{ID_PREFIX}{new_ulid(at).lower()}"
    return f"{ID_PREFIX}{fingerprint('incident', once.key)[:26]}"


_DETAIL = ("updates", "unmoved", "resolution", "linked", "open_linked")


def _case_ids(data: Mapping[str, Any], key: str, problems: v.Problems) -> list[str]:
    raw = data.get(key)
    if raw is None:
        return []
    most = limits.INCIDENT_CASES
    if not isinstance(raw, list) or len(raw) > most:
        problems.add(key, f"must be a list of at most {most} case ids")
        return []
    if not all(isinstance(i, str) and is_ulid(i) for i in raw):
        problems.add(key, "must list case ids")
        return []
    return list(dict.fromkeys(raw))
