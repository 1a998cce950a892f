"""The non-HTTP entry points AWS invokes: sla_timer and the outbox stream consumer."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from chalicelib.adapters.dynamo.models import OutboxModel
from chalicelib.domain.outbox import EventKind, NotifyPayload, OutboxEvent, Subject
from chalicelib.services.changes import Changes
from devstack.streams import stream_record
from tests.api.conftest import Api
from tests.builders import complaint


def _records(api: Api, case_id: str) -> list[dict[str, Any]]:
    items = list(OutboxModel.query(case_id))
    return [stream_record(item, n) for n, item in enumerate(items, 1)]


def _staff_timeline(api: Api, case_id: str) -> list[str]:
    return [e.type for e in api.container.store.timeline(case_id, include_internal=True)]


def test_stream_batch_delivered_three_times_sends_one_sms_one_email(api: Api) -> None:
    # GIVEN a filed complaint and its outbox stream records
    case = api.file().json_body
    records = _records(api, case["case_id"])
    # the acknowledgement, the named merchant's notice, the schedule and the metrics
    assert len(records) == 4
    # WHEN Lambda delivers the same batch three times
    results = [api.client.lambda_.invoke("outbox_consumer", {"Records": records}) for _ in range(3)]
    # THEN nothing failed, and the customer got one SMS, one email and one schedule
    assert [r.payload for r in results] == [{"batchItemFailures": []}] * 3
    assert len(api.sms_about(case["case_number"])) == 1
    assert len(api.emails_about(case["case_number"])) == 1
    scheduler = api.container.client("scheduler")
    names = [s["Name"] for s in scheduler.list_schedules(GroupName="paycase-local")["Schedules"]]
    assert names == [f"{case['case_id']}-1"]


def test_stream_ignores_modify_records(api: Api) -> None:
    case = api.file().json_body
    [record, *_] = _records(api, case["case_id"])
    record["eventName"] = "MODIFY"
    result = api.client.lambda_.invoke("outbox_consumer", {"Records": [record]})
    assert result.payload == {"batchItemFailures": []}
    assert api.sms_about(case["case_number"]) == []


def test_schedule_delivered_three_times_has_one_effect(api: Api) -> None:
    # GIVEN a filed complaint whose first-response schedule is armed
    case = api.file().json_body
    api.drain()
    scheduler = api.container.client("scheduler")
    definition = scheduler.get_schedule(Name=f"{case['case_id']}-1", GroupName="paycase-local")
    payload = json.loads(definition["Target"]["Input"])
    # WHEN it falls due and EventBridge invokes sla_timer three times
    api.clock.set(api.clock.now() + timedelta(days=1, hours=8))
    outcomes = [api.client.lambda_.invoke("sla_timer", payload).payload for _ in range(3)]
    api.drain()
    # THEN only the first acts: what fell due by then is recorded once (three warnings and the
    # first-response breach), and one next schedule is armed
    assert outcomes == [{"outcome": "handled"}] + [{"outcome": "superseded"}] * 2
    assert _staff_timeline(api, case["case_id"]) == ["submitted"] + ["sla_warning"] * 3 + [
        "sla_due"
    ]
    listed = scheduler.list_schedules(GroupName="paycase-local")["Schedules"]
    assert sorted(s["Name"] for s in listed) == [f"{case['case_id']}-1", f"{case['case_id']}-2"]


def test_sla_timer_accepts_a_json_string_and_ignores_garbage(api: Api) -> None:
    invoke = api.client.lambda_.invoke
    assert invoke("sla_timer", "[1, 2]").payload == {"outcome": "invalid"}
    assert invoke("sla_timer", {"case_id": 5}).payload == {"outcome": "invalid"}


def test_stream_batch_of_many_cases_acknowledges_each_and_reports_the_earliest_failure(
    api: Api,
) -> None:
    # GIVEN five filed complaints whose outbox records arrive in one batch, in which the
    # second case's first record is a poisoned one (its staff recipients are malformed)
    cases = [
        api.file(
            complaint(
                # one phone each: a phone gets 3 acknowledgement SMS a day without a session
                contact={"phone": f"1380013800{n}"},
                payment={"transaction_id": f"TXN-BATCH-{n}", "amount_fen": 100},
            )
        ).json_body
        for n in range(5)
    ]
    poisoned = Subject.case(cases[1]["case_id"])
    bad = OutboxEvent(
        poisoned,
        "v000000:notify:bad",
        EventKind.NOTIFY,
        "sla_warning",
        NotifyPayload("staff", "bad", {}, {"staff_ids": 7}),
        api.clock.now(),
    )
    api.container.store.commit(Changes(now=api.clock.now(), events=[bad]))
    items = [item for case in cases for item in OutboxModel.query(case["case_id"])]
    records = [stream_record(item, n) for n, item in enumerate(items, 1)]
    bad_sequence = next(
        r["dynamodb"]["SequenceNumber"]
        for r, item in zip(records, items, strict=True)
        if item.event_id == bad.event_id
    )
    # WHEN the stream delivers the batch
    result = api.client.lambda_.invoke("outbox_consumer", {"Records": records})
    # THEN every other case was acknowledged once, and the batch reports the poisoned record,
    # the earliest one that failed, for Lambda to retry from
    assert result.payload == {"batchItemFailures": [{"itemIdentifier": bad_sequence}]}
    for n, case in enumerate(cases):
        if n != 1:
            assert len(api.sms_about(case["case_number"])) == 1, n
