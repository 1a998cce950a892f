"""Messages dispatched per second on the local stack: the outbox of many filed complaints
drained through the stream handler, each SMS and email rendered, claimed, sent (moto's SNS and
SES, in a process of their own) and recorded (DynamoDB Local). Measured twice in one run: with
one subject of a batch at a time, and with the handler's concurrency (BATCH_WORKERS)."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace

from chalicelib import handlers, wiring
from chalicelib.domain.clock import FixedClock
from chalicelib.settings import Settings
from devstack.bootstrap import provision
from devstack.runner import Runner
from tests.builders import MONDAY_10AM, caller, complaint

WARM_UP = 5
COMPLAINTS = 150
GOAL_SPEEDUP = 5.0  # against the one-at-a-time dispatcher (informational on a 2-core machine)
BASELINE = 20.0  # messages/s of the dispatcher before it had concurrency (the figure)


def _sent(container: wiring.Container) -> int:
    return len(container.notifications.by_status("sent", 5000, None)[0])


# Every complaint of the benchmark from a caller of its own: repeat callers would meet the
# intake limits, and their suppressed SMS would not be sent.
_callers = itertools.count()


def _file(container: wiring.Container, label: str, count: int) -> None:
    for n in range(count):
        payment = {"transaction_id": f"BENCH-D-{label}-{n}"}
        container.complaints.file(complaint(payment=payment, contact=caller(next(_callers))))


def _drain(runner: Runner) -> None:
    while runner.drain_outbox():
        pass


def _rate(container: wiring.Container, runner: Runner, label: str, workers: int) -> float:
    handlers.use_batch_workers(workers)
    _file(container, f"{label}-warm", WARM_UP)  # this pool's threads make their clients first
    _drain(runner)
    _file(container, label, COMPLAINTS)
    before = _sent(container)
    start = time.perf_counter()
    _drain(runner)
    elapsed = time.perf_counter() - start
    sent = _sent(container) - before
    rate = sent / elapsed
    print(
        f"dispatcher, {workers} subject(s) at a time: {rate:.1f} messages/s ({sent} SMS and "
        f"emails for {COMPLAINTS} complaints in {elapsed:.1f} s, on DynamoDB Local and moto's "
        f"SNS and SES)"
    )
    return rate


def run(base: Settings) -> dict[str, float]:
    import app

    settings = replace(base, table_prefix="paycase-benchd-")
    container = wiring.Container(settings, clock=FixedClock(MONDAY_10AM))
    provision(container)
    wiring.use(container)
    runner = Runner(container, app, echo=False)
    workers = handlers.BATCH_WORKERS
    try:
        one = _rate(container, runner, "one", 1)
        many = _rate(container, runner, "many", workers)
    finally:
        handlers.use_batch_workers(workers)
        wiring.use(None)
    print(
        f"dispatcher concurrency: {many / one:.2f} x one at a time (goal {GOAL_SPEEDUP:.0f} x; "
        "on the local engines every call costs CPU of the same few cores, in AWS it is "
        "network latency that concurrency hides)"
    )
    print(
        f"dispatcher with concurrency: {many / BASELINE:.2f} x the {BASELINE:.0f} messages/s "
        f"before it had concurrency (goal {GOAL_SPEEDUP:.0f} x)"
    )
    return {
        "messages_per_second": many,
        "messages_per_second_one": one,
        "speedup": many / one,
        "speedup_over_baseline": many / BASELINE,
    }
