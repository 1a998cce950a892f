"""An incident of 250 complaints on DynamoDB Local: linked in chunks, one update to each
customer once per channel, and a resolution that resolves every case exactly once, also when
the worker dies in the middle of a chunk and the sweeper picks the work up again."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.domain.contact import Contact
from chalicelib.domain.incident import CHUNK, SMS_PER_SECOND
from chalicelib.domain.outbox import EventKind
from chalicelib.services.changes import Changes
from chalicelib.services.incident_work import IncidentWork
from chalicelib.services.steps import StepWriter
from tests.builders import make_case

# 250 cases through every consumer take minutes on DynamoDB Local: `make test` runs it,
# `make check` does not (the store contract for incidents runs there on DynamoDB Local too).
pytestmark = [pytest.mark.integration, pytest.mark.soak]

CASES = 250
SUMMARY = {"zh-CN": "工商银行网关故障，款项将原路退回。", "en": "The ICBC gateway failed."}
NEWS = {"zh-CN": "网关已恢复。", "en": "The gateway is back."}
FIXED = {"zh-CN": "故障已修复，款项已退回。", "en": "Fixed; the money was returned."}


class WorkerDied(Exception):
    """The Lambda running a chunk stopped (timeout, crash) after some of its cases."""


class DyingStore:
    """The real store, until `commits` case changes went through; then the worker dies."""

    def __init__(self, store: Any, commits: int) -> None:
        self._store = store
        self._left = commits

    def commit(self, changes: Changes) -> None:
        if changes.updated_cases:
            if self._left == 0:
                raise WorkerDied()
            self._left -= 1
        self._store.commit(changes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _drain(container: wiring.Container, rounds: int = 60) -> None:
    """What the stream and the sweeper do, until nothing is left: events, then due wake-ups
    (the held, paced SMS) once their time came."""
    for _ in range(rounds):
        handled = container.outbox.redrive(limit=500)
        fired = container.timers.sweep(timedelta(0), limit=500)
        if not handled and not fired:
            return


def _pending_incident_events(container: wiring.Container) -> list[Any]:
    now = container.clock.now() + timedelta(days=1)
    events = container.store.pending_events(now, 1000)
    return [e for e in events if e.kind is EventKind.INCIDENT]


def test_an_incident_of_250_cases_resolves_each_once_across_a_dead_worker(
    container: wiring.Container,
) -> None:
    clock: Any = container.clock
    # GIVEN 250 open complaints about the merchant's payments, each its own customer
    cases = [
        make_case(
            contact=Contact(phone=f"+86139{n:08d}", email=f"c{n}@example.com"),
            due_at=clock.now() + timedelta(days=1),
        )
        for n in range(CASES)
    ]
    for start in range(0, CASES, 25):
        container.store.commit(Changes(now=clock.now(), new_cases=cases[start : start + 25]))
    supervisor, _ = container.staff.create({"name": "值班主管", "role": "supervisor"})
    # WHEN the incident is declared: the first chunk at once, the rest from the outbox
    declared = container.incidents.declare(
        {
            "title": "ICBC gateway outage",
            "summary": SUMMARY,
            "started_at": "2026-11-01T00:00:00Z",
            "match": {"categories": ["payment_anomaly"], "merchant_id": "M100001"},
        },
        supervisor,
        "declare-1",
    )
    assert declared["linked"] == CHUNK
    _drain(container)
    incident_id = declared["incident_id"]
    assert container.incidents.view(incident_id)["linked"] == CASES

    # WHEN an update is posted twice with one key, and the paced SMS come due
    for _ in range(2):
        container.incidents.post_update(incident_id, {"text": NEWS}, supervisor, "update-1")
    _drain(container)
    clock.advance(CASES / SMS_PER_SECOND + 60)
    _drain(container)
    # THEN each customer got it exactly once per channel, the SMS spread over the pacing
    told: Counter[tuple[str, str]] = Counter()
    attempts: list[Any] = []
    for case in cases:
        items, _ = container.notifications.for_case(case.case_id, 50, None)
        for n in items:
            if n.event == "incident_update":
                told[(case.case_id, n.channel)] += 1
                assert n.status == "sent", (case.case_id, n.channel, n.status)
                if n.channel == "sms":
                    attempts.append(n.sent_at)
    assert set(told.values()) == {1} and len(told) == 2 * CASES
    spread = max(attempts) - min(attempts)
    assert spread >= timedelta(seconds=(CASES - 1) / SMS_PER_SECOND - 1)

    # WHEN the incident is resolved, and the worker dies in the middle of the second chunk
    started = container.incidents.resolve(
        incident_id, {"outcome": "resolved", "text": FIXED}, supervisor, "resolve-1"
    )
    assert started == {"incident_id": incident_id, "resolving": CASES}
    (first,) = _pending_incident_events(container)
    container.outbox.handle(first)  # the first chunk, then its worker stops for good
    (second,) = _pending_incident_events(container)
    dying = DyingStore(container.store, commits=37)
    worker = IncidentWork(
        dying,  # type: ignore[arg-type]
        container.incident_records,
        StepWriter(dying, clock, container.config.calendar),  # type: ignore[arg-type]
        clock,
    )
    with pytest.raises(WorkerDied):
        worker.handle(second)
    midway = container.incidents.view(incident_id)
    assert midway["status"] == "resolving"
    assert midway["open_linked"] == CASES - CHUNK - 37
    # AND the sweeper takes up what was left, later
    clock.advance(600)
    _drain(container)
    # THEN every case is resolved, each by exactly one move, and its customer told once
    done = container.incidents.view(incident_id)
    assert (done["status"], done["open_linked"], done["unmoved"]) == ("resolved", 0, [])
    for case in cases:
        stored = container.store.get_case(case.case_id)
        assert stored is not None and stored.status.value == "resolved"
        timeline = container.store.timeline(case.case_id, include_internal=True)
        moves = [e for e in timeline if e.data.get("to") == "resolved"]
        assert len(moves) == 1 and moves[0].actor == f"staff:{supervisor.staff_id}"
        items, _ = container.notifications.for_case(case.case_id, 50, None)
        resolved = sorted(n.channel for n in items if n.event == "case_resolved")
        assert resolved == ["email", "sms"]
