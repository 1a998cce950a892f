"""Complaints through the HTTP API on DynamoDB Local: concurrency and exactly-once effects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

import app
from chalicelib import wiring
from tests.builders import complaint
from tests.openapi_check import ContractClient

pytestmark = pytest.mark.integration


@pytest.fixture
def client(container: wiring.Container) -> Iterator[Client]:
    wiring.use(container)
    try:
        with ContractClient(app.app, stage_name="local") as c:
            yield c
    finally:
        wiring.use(None)


def _post(client: Client, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
    return client.http.post("/v1/complaints", headers=headers, body=json.dumps(body))


def test_concurrent_retries_with_one_key_open_one_case(
    client: Client, container: wiring.Container
) -> None:
    # WHEN ten copies of one request race, all with the same Idempotency-Key
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda _: _post(client, complaint(), "race-1"), range(10)))
    # THEN every answer is the first case or a "come back shortly" 503, never anything else
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 503}, [(r.status_code, r.json_body) for r in responses]
    created = {r.json_body["case_id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    for r in responses:
        if r.status_code == 503:
            assert r.headers["Retry-After"]
    # AND a retry after the race replays the same case
    assert _post(client, complaint(), "race-1").json_body["case_id"] in created


def test_concurrent_duplicates_without_keys_open_one_case(client: Client) -> None:
    # WHEN the same customer submits the same transaction ten times at once (no keys)
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda _: _post(client, complaint()), range(10)))
    # THEN exactly one case opens; the others are duplicates (or asked to retry)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {201, 409, 503}


def test_filing_then_firing_then_draining_has_one_effect_each(
    client: Client, container: wiring.Container
) -> None:
    # GIVEN a filed complaint, its outbox drained three times
    case = _post(client, complaint()).json_body
    for _ in range(3):
        container.outbox.redrive()
    # THEN one SMS and one email are in the delivery log, both sent
    notifications, _ = container.notifications.for_case(case["case_id"], 10, None)
    assert sorted((n.channel, n.status) for n in notifications) == [
        ("email", "sent"),
        ("sms", "sent"),
    ]
    # WHEN its schedule fires three times at the first-response deadline
    scheduler = container.client("scheduler")
    group = container.settings.schedule_group
    payload = json.loads(
        scheduler.get_schedule(Name=f"{case['case_id']}-1", GroupName=group)["Target"]["Input"]
    )
    clock = container.clock
    clock.set(clock.now() + timedelta(days=1, hours=8))  # type: ignore[attr-defined]
    outcomes = [container.timers.fire(payload).value for _ in range(3)]
    container.outbox.redrive()
    # THEN it was handled once (what fell due by then: three warnings and the first-response
    # breach, each recorded once) and the next timer is armed
    assert outcomes == ["handled", "superseded", "superseded"]
    entries = container.store.timeline(case["case_id"], include_internal=True)
    assert [e.type for e in entries] == ["submitted"] + ["sla_warning"] * 3 + ["sla_due"]
    stored = container.store.get_case(case["case_id"])
    assert stored is not None and str(stored.schedule.timer).startswith("periodic_update@")
