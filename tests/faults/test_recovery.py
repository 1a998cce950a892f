"""The safety nets when some of what they recover keeps failing: the sweeper's redrive of the
outbox and its sweep of lost timers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.domain.outbox import EventKind, OutboxEvent, PaymentPayload, Subject
from chalicelib.services.changes import Changes
from tests.builders import MONDAY_10AM, complaint
from tests.faults.actions import Invoke, scheduled_event
from tests.faults.injector import FAULTS, Kind
from tests.faults.matrix import Matrix
from tests.faults.world import lose_schedules

# -- the sweeper ----------------------------------------------------------------------------


def _poisoned(n: int, at: Any) -> OutboxEvent:
    """A payment event whose consumer DynamoDB refuses every time (see the fault below)."""
    txn = f"POISON{n:04d}"
    payload = PaymentPayload(transaction_id=txn, facts=("payment_confirmed",))
    return OutboxEvent(
        Subject.payment(txn), f"e{n:04d}:payment", EventKind.PAYMENT, "payment", payload, at
    )


def test_poisoned_events_do_not_starve_a_new_acknowledgement(matrix: Matrix) -> None:
    world = matrix.fresh_world(MONDAY_10AM)
    # GIVEN 100 events from an hour ago whose consumer fails every time: DynamoDB refuses every
    # read of their payments (a request it will never accept)
    store = world.container.store
    old = world.clock.now() - timedelta(hours=1)
    for first in range(0, 100, 25):
        events = [_poisoned(n, old) for n in range(first, first + 25)]
        store.commit(Changes(now=old, events=events))
    # (the payment's own key, not the outbox's "payment#..." one: bookkeeping still works)
    poison = {"times": None, "match": '"S": "POISON', "code": "ValidationException"}
    FAULTS.inject(Kind.REJECTED, "dynamodb", "GetItem", **poison)
    try:
        # AND a complaint whose stream delivery failed, now older than the sweeper's minimum
        case = world.api.file(complaint(), key="starved-1").json_body
        world.clock.advance(10 * 60)
        # WHEN the sweeper runs, several times over
        for _ in range(3):
            Invoke("sweeper", scheduled_event(world)).send(world)
            world.clock.advance(5 * 60)
    finally:
        FAULTS.clear()
    # THEN the customer's acknowledgement went out all the same
    items, _ = world.container.notifications.for_case(case["case_id"], 50, None)
    assert {(n.event, n.status) for n in items} >= {("case_received", "sent")}


def test_a_failing_case_does_not_stop_the_timer_sweep_for_the_others(matrix: Matrix) -> None:
    world = matrix.fresh_world(MONDAY_10AM)
    # GIVEN two open cases whose first schedules were lost, the first one due a second earlier
    first = world.desk.file(contact={"phone": "13800138001"}, payment=None)
    world.clock.advance(1)
    second = world.desk.file(contact={"phone": "13800138002"}, payment=None)
    world.settle()
    lose_schedules()
    world.clock.advance(2 * 86400)
    # AND DynamoDB refuses every change to the first case
    rule = {"times": None, "match": first["case_id"]}
    FAULTS.inject(Kind.THROTTLE, "dynamodb", "TransactWriteItems", **rule)
    try:
        # WHEN the sweeper runs
        outcome = Invoke("sweeper", scheduled_event(world)).send(world)
    finally:
        FAULTS.clear()
    # THEN the second case's timer fired all the same
    timeline = world.container.store.timeline(second["case_id"], include_internal=True)
    assert "sla_warning" in [entry.type for entry in timeline], str(outcome)
