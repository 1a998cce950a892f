"""The staff queue's latency with 1,000 and with 20,000 cases on DynamoDB Local: reading a page
through an index should cost the page, not the table."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import replace
from datetime import timedelta

from chalicelib import wiring
from chalicelib.adapters.dynamo.mapping import case_to_model
from chalicelib.adapters.dynamo.models import CaseModel
from chalicelib.domain.case import Status
from chalicelib.domain.policy import Category
from chalicelib.domain.sla import with_urgency
from chalicelib.settings import Settings
from devstack.bootstrap import provision
from tests.builders import MONDAY_10AM, make_case

GOAL_RATIO = 1.3
SAMPLES = 25
STATUSES = [Status.SUBMITTED, Status.ACCEPTED, Status.INVESTIGATING, Status.NEGOTIATING]


def _fill(container: wiring.Container, count: int, rng: random.Random) -> None:
    calendar = container.calendar
    with CaseModel.batch_write() as batch:
        for n in range(count):
            filed = MONDAY_10AM - timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
            case = make_case(
                filed,
                category=rng.choice(list(Category)),
                status=rng.choice(STATUSES),
            )
            case = with_urgency(replace(case, version=1), calendar)
            batch.save(case_to_model(case))
            if n % 5000 == 4999:
                print(f"  ... {n + 1} cases written", flush=True)


def _latency_ms(container: wiring.Container, query: str) -> float:
    params = dict(part.split("=") for part in query.split("&")) if query else {}
    desk = container.desk
    samples = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        page = desk.queue(params)
        samples.append((time.perf_counter() - start) * 1000)
        assert len(page["items"]) == 50
    return statistics.median(samples)


def run(base: Settings) -> dict[str, float]:
    settings = replace(base, table_prefix="paycase-benchq-")
    container = wiring.Container(settings)
    provision(container)
    rng = random.Random(20261123)
    results: dict[str, float] = {}
    _fill(container, 1_000, rng)
    small = {q: _latency_ms(container, q) for q in ("limit=50", "limit=50&status=accepted")}
    _fill(container, 19_000, rng)
    large = {q: _latency_ms(container, q) for q in ("limit=50", "limit=50&status=accepted")}
    for query in small:
        ratio = large[query] / small[query]
        verdict = "meets" if ratio <= GOAL_RATIO else "MISSES"
        print(
            f"queue ?{query}: {small[query]:.1f} ms with 1,000 cases, {large[query]:.1f} ms "
            f"with 20,000; ratio {ratio:.2f} ({verdict} the goal of at most {GOAL_RATIO}); "
            f"median of {SAMPLES}, pages of 50 on DynamoDB Local"
        )
        results[f"queue_ratio[{query}]"] = ratio
    return results
