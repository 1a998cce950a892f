"""Asynchronous invocations whose retries ran out are run again by the sweeper, from their
failure queue: nothing they carried is lost."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from chalicelib import wiring
from chalicelib.handlers import sweeper
from chalicelib.services.failures import FailureRedrive, inputs_of
from devstack.provider_events import logs_event, sms_status_record
from tests.builders import MONDAY_10AM, complaint
from tests.fakes import FakeFailureQueue
from tests.services.conftest import Desk, make_desk


def _destination_record(function: str, payload: Any) -> str:
    """What Lambda puts in an on-failure destination once an async invocation gave up."""
    return json.dumps(
        {
            "version": "1.0",
            "requestContext": {
                "functionArn": f"arn:aws:lambda:ap-southeast-1:1:function:paycase-dev-{function}"
                ":$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": payload,
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        }
    )


def _sns_event(message: dict[str, Any]) -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(message)}}]}


def _desk_with(queue: FakeFailureQueue) -> Desk:
    """A desk whose sweeper reads `queue` (the composition root's handlers, as in AWS)."""
    from chalicelib import handlers

    redrive = FailureRedrive(
        [queue], {"sla_timer": handlers.sla_timer, "inbound_sms": handlers.inbound_sms}
    )
    return make_desk(failures=redrive)


def _sweep(desk: Desk) -> dict[str, int]:
    wiring.use(desk.container)
    try:
        return sweeper()
    finally:
        wiring.use(None)


def test_a_td_reply_whose_invocation_failed_is_applied_by_the_sweeper() -> None:
    # GIVEN an open case, and the customer's TD reply whose invocation ran out of retries
    reply = {"originationNumber": "+8613800138000", "messageBody": "TD"}
    queue = FakeFailureQueue([_destination_record("inbound_sms", _sns_event(reply))])
    desk = _desk_with(queue)
    body = desk.file(complaint())
    # WHEN the sweeper runs
    result = _sweep(desk)
    # THEN the opt-out took effect on the case, and the queued failure is gone
    assert result["failures"] == 1 and queue.messages == {}
    case = desk.store.get_case(body["case_id"])
    assert case is not None and case.contact.sms_opt_out is True


def test_a_timer_in_schedulers_dead_letter_queue_fires_from_the_sweeper() -> None:
    # GIVEN a case whose first wake-up Scheduler could not deliver (its input is in the DLQ)
    queue = FakeFailureQueue()
    desk = _desk_with(queue)
    body = desk.file(complaint())
    desk.drain()
    [(_, payload)] = desk.scheduler.schedules.values()
    desk.scheduler.schedules.clear()
    desk.clock.advance(timedelta(days=1).total_seconds())
    queue.messages["m1"] = json.dumps(payload)
    # WHEN the sweeper runs / THEN the timer fired, once, and the message is gone
    _sweep(desk)
    warnings = [
        e
        for e in desk.store.timeline(body["case_id"], include_internal=True)
        if e.type == "sla_warning"
    ]
    assert [e.data["clock"] for e in warnings] == ["first_response"] and queue.messages == {}


def test_an_unreadable_failure_stays_in_its_queue() -> None:
    queue = FakeFailureQueue(["not json", json.dumps({"unexpected": True})])
    assert _sweep(_desk_with(queue))["failures"] == 0
    assert len(queue.messages) == 2


def test_inputs_of_reads_both_kinds_of_queued_failure() -> None:
    assert inputs_of(json.dumps({"case_id": "c", "clock_epoch": 1})) == (
        "sla_timer",
        [{"case_id": "c", "clock_epoch": 1}],
    )
    record = _destination_record("ses_events", _sns_event({"eventType": "Bounce"}))
    assert inputs_of(record) == ("ses_events", [json.dumps({"eventType": "Bounce"})])


def test_inputs_of_reads_a_failed_sms_receipts_invocation_whole() -> None:
    # GIVEN sms_receipts failing on a CloudWatch Logs event past its retries
    event = logs_event([sms_status_record("m1", "+8613800138000", MONDAY_10AM)])
    record = _destination_record("sms_receipts", event)
    # THEN it is run again with the event it was given
    assert inputs_of(record) == ("sms_receipts", [event])
