"""Committing a lifecycle Step: the one path every change to an existing case takes.

A Step becomes ONE transaction: the case at its next version (conditional on the version it was
read at), its timeline entries, its outbox events (messages, the schedule change, metrics), and,
when the case became final, the release of its duplicate-complaint keys.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.domain.audience import addressed
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Case, Visibility
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import NotFound, VersionConflict
from chalicelib.domain.ids import is_ulid
from chalicelib.domain.lifecycle import Step
from chalicelib.domain.metrics import deltas
from chalicelib.domain.outbox import OutboxEvent
from chalicelib.domain.sla import rearm, with_urgency
from chalicelib.services import events
from chalicelib.services.changes import Changes
from chalicelib.services.idempotency import Once
from chalicelib.services.keys import open_case_keys
from chalicelib.services.ports import DeskStore, KeyTaken

_RETRIES = 3


Respond = Callable[[Case, Changes], dict[str, Any]]


def metrics_event(
    before: Case | None, after: Case, now: datetime, calendar: WorkingCalendar
) -> list[OutboxEvent]:
    delta = deltas(before, after, calendar)
    if delta is None:
        return []
    return [events.metrics(after, delta.payload(), now)]


class StepWriter:
    def __init__(
        self, store: DeskStore, clock: Clock, calendar: Callable[[], WorkingCalendar]
    ) -> None:
        self._store = store
        self._clock = clock
        self._calendar = calendar

    @property
    def calendar(self) -> WorkingCalendar:
        """The current calendar (official years as shipped or as loaded by staff)."""
        return self._calendar()

    def load(self, case_id: str) -> Case:
        case = self._store.get_case(case_id) if is_ulid(case_id) else None
        if case is None:
            raise NotFound()
        return case

    def apply(
        self,
        case_id: str,
        action: Callable[[Case, datetime], Step],
        expected_version: int | None = None,
        idempotency: Once | None = None,
        respond: Respond | None = None,
    ) -> tuple[Case, dict[str, Any]]:
        """Read the case, run `action` on it and commit; returns the case and `respond`'s answer.
        With `expected_version` the caller saw that version and a newer one is a
        VersionConflict; without, a concurrent change makes the action run again on the fresh
        case. With `idempotency`, the key is claimed in the change's own transaction and a
        repeat of the request returns the first answer (checked before acting, so a repeat is
        answered even when the action would now be refused, e.g. a second rating, or a move
        the first request already made)."""
        if idempotency is not None:
            held = idempotency.stored(self._store, self._clock.now())
            if held is not None:
                return self.load(case_id), idempotency.answer(held)
        attempts = 1 if expected_version is not None else _RETRIES
        for _ in range(attempts):
            case = self.load(case_id)
            if expected_version is not None and case.version != expected_version:
                raise VersionConflict()
            now = self._clock.now()
            try:
                return self._commit_answering(case, action, now, idempotency, respond)
            except KeyTaken as taken:
                if idempotency is None or taken.key != idempotency.key:
                    raise
                return self.load(case_id), idempotency.answer(taken.value)
            except VersionConflict:
                if expected_version is not None:
                    raise
        raise VersionConflict("The case kept changing; try again.")

    def _commit_answering(
        self,
        case: Case,
        action: Callable[[Case, datetime], Step],
        now: datetime,
        idempotency: Once | None,
        respond: Respond | None,
    ) -> tuple[Case, dict[str, Any]]:
        step = action(case, now)
        unchanged = step.case == case and not (step.entries or step.notices or step.evidence)
        if unchanged and idempotency is None:
            return case, respond(case, Changes(now=now)) if respond else {}
        changes, changed = self.changes(case, step, now)
        answer = respond(changed, changes) if respond else {}
        if idempotency is not None:
            changes.claims += idempotency.claims(answer, now)
        self._store.commit(changes)
        return changed, answer

    def commit(self, before: Case, step: Step, now: datetime) -> Case:
        changes, case = self.changes(before, step, now)
        self._store.commit(changes)
        return case

    def changes(self, before: Case, step: Step, now: datetime) -> tuple[Changes, Case]:
        case = step.case.evolve(version=before.version + 1)
        if any(e.visibility is Visibility.PUBLIC for e in step.entries):
            case = case.evolve(last_public_update_at=now)
        case, command = rearm(with_urgency(case, self.calendar), now, self.calendar)
        # A step may send two messages of one kind (two clocks warning in one catch-up); the
        # position keeps their keys apart and stable across retries of the same step.
        outbox = [
            events.notify(
                case,
                n.event,
                now,
                n.params,
                audience=n.audience,
                key=f"{n.event}@v{case.version}.{position}",
                to=n.to,
            )
            for position, n in enumerate(addressed(case, step.notices))
        ]
        if command is not None:
            outbox.append(events.schedule(case, command, now))
        if step.send_held_messages:
            outbox.append(events.send_held(case, now))
        outbox += metrics_event(before, case, now, self.calendar)
        timeline = [
            events.entry(
                case, e.type, now, actor=e.actor, visibility=e.visibility, text=e.text, data=e.data
            )
            for e in step.entries
        ]
        releases = []
        if step.became_final and before.is_open:
            txn = case.payment.transaction_id if case.payment else None
            releases = open_case_keys(case.contact, txn)
        changes = Changes(
            now=now,
            updated_cases=[(case, before.version)],
            timeline=timeline,
            events=outbox,
            releases=releases,
            evidence=list(step.evidence),
        )
        return changes, case
