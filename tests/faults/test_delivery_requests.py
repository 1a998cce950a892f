"""What the delivery of one event's messages costs in DynamoDB requests, as the fault layer
sees them at the botocore layer: each message is stored already claimed by its sender (one
write, not a create and a claim), the facts that could stop them are read for all of them at
once, and each outcome is one write under the claim."""

from __future__ import annotations

from collections import Counter

from chalicelib.adapters.dynamo.models import NotificationModel, OutboxModel
from devstack.streams import stream_record
from tests.builders import MONDAY_10AM, complaint
from tests.faults.actions import Invoke
from tests.faults.injector import FAULTS, Kind
from tests.faults.matrix import Matrix


def _requests(table: str) -> Counter[str]:
    return Counter(
        c.operation for c in FAULTS.calls if c.service == "dynamodb" and table in c.tables
    )


def test_an_acknowledgement_costs_each_message_two_writes_and_both_one_read(
    matrix: Matrix,
) -> None:
    world = matrix.fresh_world(MONDAY_10AM)
    # GIVEN a complaint with a phone and an email, filed
    case = world.api.file(complaint(), key="requests-1").json_body
    FAULTS.calls.clear()
    # (faults that never fire, counting the requests that name an opt-out or suppression key)
    never = 10**6
    watch = [
        FAULTS.inject(Kind.THROTTLE, "dynamodb", "BatchGetItem", nth=never, match="sms-opt-out#"),
        FAULTS.inject(Kind.THROTTLE, "dynamodb", "GetItem", nth=never, match="sms-opt-out#"),
        FAULTS.inject(Kind.THROTTLE, "dynamodb", "GetItem", nth=never, match="email-suppressed#"),
    ]
    # WHEN the outbox delivers its events
    world.settle()
    FAULTS.clear()
    messages = _requests(NotificationModel.Meta.table_name)
    # THEN both acknowledgements went, each with one write that made it (claimed) and one
    # that recorded its outcome; no separate claim
    items, _ = world.container.notifications.for_case(case["case_id"], 50, None)
    sent = sorted((n.channel, n.status, n.attempts) for n in items if n.event == "case_received")
    assert sent == [("email", "sent", 1), ("sms", "sent", 1)]
    assert messages == Counter(PutItem=4)
    # AND the phone's opt-out and the address's suppression were read in one request
    assert [w.seen_calls for w in watch] == [1, 0, 0]


def test_a_stream_batch_marks_a_case_events_done_in_one_request(matrix: Matrix) -> None:
    world = matrix.fresh_world(MONDAY_10AM)
    # GIVEN a complaint filed, and its outbox events as the stream hands them over
    case = world.api.file(complaint(), key="requests-2").json_body
    items = list(OutboxModel.query(case["case_id"]))
    records = [stream_record(item, n) for n, item in enumerate(items, 1)]
    assert len(records) >= 3  # the acknowledgement, the schedule, the metrics at least
    FAULTS.calls.clear()
    # WHEN the outbox consumer gets them in one batch
    answer = Invoke("outbox_consumer", {"Records": records}).send(world)
    # THEN every record succeeded, and all of them were marked done in one request
    assert (answer.error, answer.body) == (None, {"batchItemFailures": []})
    assert _requests(OutboxModel.Meta.table_name) == Counter(TransactWriteItems=1)
    assert world.container.store.pending_events(world.clock.now(), 50) == []
