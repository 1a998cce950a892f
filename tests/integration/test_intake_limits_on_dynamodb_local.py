"""The per-phone intake limits on the real engine: complaints racing for one phone cannot pass a
limit, because each one's count is a conditional write in the transaction that files it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

import app
from chalicelib import wiring
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.intake import IntakeLimits
from chalicelib.services.changes import CaseQuery
from tests.builders import MONDAY_10AM, complaint
from tests.moto_stack import SHARED
from tests.openapi_check import ContractClient

pytestmark = pytest.mark.integration

RETRIES = 20  # a 503 (transactions on one counter item conflict) is retried with its key


def _future_monday() -> datetime:
    """A Monday morning after the real now: DynamoDB Local's TTL deletes items whose
    expires_at passed in real time, and would delete a counter dated by a test clock in the
    past in the middle of the test."""
    weeks = (datetime.now(UTC) - MONDAY_10AM) // timedelta(weeks=1) + 2
    return MONDAY_10AM + timedelta(weeks=max(weeks, 0))


def _limited(container: wiring.Container, limits: IntakeLimits) -> wiring.Container:
    """The emptied container's adapters, with these limits, at a time after the real now."""
    settings = replace(container.settings, intake=limits)
    shared = {name: getattr(container, name) for name in SHARED}
    return wiring.Container(settings, clock=FixedClock(_future_monday()), **shared)


@pytest.fixture
def limited(container: wiring.Container, request: pytest.FixtureRequest) -> Iterator[Any]:
    limits = getattr(request, "param", IntakeLimits())
    it = _limited(container, limits)
    wiring.use(it)
    try:
        with ContractClient(app.app, stage_name="local") as client:
            yield client, it
    finally:
        wiring.use(None)


def _file(client: Client, n: int) -> int:
    """File the n-th complaint naming one phone as a careful client does: a 503 is retried
    with the same Idempotency-Key. The final status."""
    body = complaint(
        contact={"phone": "13800138000", "email": "zhang.san@example.com"},
        payment={"transaction_id": f"TXN-RACE-{n:03d}", "amount_fen": 100},
    )
    headers = {"Content-Type": "application/json", "Idempotency-Key": f"race-{n}"}
    for _ in range(RETRIES):
        response = client.http.post("/v1/complaints", headers=headers, body=json.dumps(body))
        if response.status_code != 503:
            return int(response.status_code)
        assert response.headers["Retry-After"]
    return 503


def _sms_statuses(container: wiring.Container) -> Counter[str]:
    statuses: Counter[str] = Counter()
    cases, _ = container.store.list_cases(CaseQuery(now=container.clock.now(), limit=100))
    for case in cases:
        notifications, _ = container.notifications.for_case(case.case_id, 10, None)
        statuses.update(str(n.status) for n in notifications if n.channel == "sms")
    return statuses


@pytest.mark.parametrize("limited", [IntakeLimits(complaints_per_phone=25)], indirect=True)
def test_twenty_complaints_for_one_phone_in_parallel_send_at_most_three_sms(
    limited: tuple[Client, wiring.Container],
) -> None:
    client, container = limited
    # WHEN twenty complaints naming one phone are filed at once, without a session
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda n: _file(client, n), range(20)))
    # THEN all are filed
    assert statuses == [201] * 20, statuses
    container.outbox.redrive(limit=200)
    # AND exactly three acknowledgement SMS went; the other seventeen were suppressed
    sms = _sms_statuses(container)
    assert sms == Counter({"sent": 3, "suppressed": 17}), sms


def test_twenty_complaints_for_one_phone_in_parallel_stop_at_ten(
    limited: tuple[Client, wiring.Container],
) -> None:
    client, container = limited
    # WHEN twenty complaints naming one phone race with the default limits
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda n: _file(client, n), range(20)))
    # THEN ten are filed and ten are rate-limited, whatever the order
    assert sorted(statuses) == [201] * 10 + [429] * 10, statuses
    container.outbox.redrive(limit=200)
    assert _sms_statuses(container) == Counter({"sent": 3, "suppressed": 7})
