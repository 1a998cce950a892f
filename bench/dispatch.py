"""Messages dispatched per second by one dispatcher on the local stack: the outbox of many
filed complaints drained through the stream handler, each SMS and email rendered, claimed,
sent (moto's SNS and SES) and recorded (DynamoDB Local)."""

from __future__ import annotations

import time
from dataclasses import replace

from chalicelib import wiring
from chalicelib.domain.clock import FixedClock
from chalicelib.settings import Settings
from devstack.bootstrap import provision
from devstack.runner import Runner
from tests.builders import MONDAY_10AM, complaint

WARM_UP = 5
COMPLAINTS = 150


def _sent(container: wiring.Container) -> int:
    return len(container.notifications.by_status("sent", 5000, None)[0])


def _file(container: wiring.Container, first: int, count: int) -> None:
    for n in range(first, first + count):
        container.complaints.file(complaint(payment={"transaction_id": f"BENCH-D-{n}"}))


def run(base: Settings) -> dict[str, float]:
    import app

    settings = replace(base, table_prefix="paycase-benchd-")
    container = wiring.Container(settings, clock=FixedClock(MONDAY_10AM))
    provision(container)
    wiring.use(container)
    runner = Runner(container, app, echo=False)
    _file(container, 0, WARM_UP)  # templates compiled and clients made before timing
    while runner.drain_outbox():
        pass
    _file(container, WARM_UP, COMPLAINTS)
    before = _sent(container)
    start = time.perf_counter()
    while runner.drain_outbox():
        pass
    elapsed = time.perf_counter() - start
    sent = _sent(container) - before
    wiring.use(None)
    rate = sent / elapsed
    print(
        f"dispatcher: {rate:.1f} messages/s ({sent} SMS and emails for {COMPLAINTS} "
        f"complaints in {elapsed:.1f} s, one dispatcher, on DynamoDB Local and moto's SNS "
        f"and SES)"
    )
    return {"messages_per_second": rate}
