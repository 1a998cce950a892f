"""The staff search's latency with 1,000 and with 20,000 cases on DynamoDB Local: each kind of
query (case number, phone, email, transaction, order) is a key or index lookup, so it should
cost the cases found, not the table."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import replace
from datetime import timedelta

from chalicelib import wiring
from chalicelib.adapters.dynamo.mapping import case_to_model
from chalicelib.adapters.dynamo.models import CaseModel, KeyModel, LookupModel
from chalicelib.domain.complaint import PaymentRef
from chalicelib.domain.contact import Contact
from chalicelib.domain.sla import with_urgency
from chalicelib.services import keys
from chalicelib.services.entities import StaffMember
from chalicelib.services.search import SearchKeys, search_key
from chalicelib.settings import Settings
from devstack.bootstrap import provision
from tests.builders import MONDAY_10AM, make_case

GOAL_RATIO = 1.3
SMALL, LARGE = 1_000, 20_000
SAMPLES = 25  # per kind and size: each run searches as a member of its own (the rate limit)
# The caller the benchmark looks for: three cases of one phone and email, one order each.
TARGET_PHONE, TARGET_EMAIL = "+8613812345678", "li.si@example.com"
QUERIES = {
    "phone": "138 1234 5678",
    "email": "LI.SI@example.com",
    "transaction_id": "TXN-BENCH-TARGET",
    "order_id": "ORD-BENCH-TARGET",
}


def _fill(container: wiring.Container, start: int, count: int, rng: random.Random) -> str:
    """`count` more cases, each with its search lookups, as filing writes them; the first
    batch also holds the target's three cases. Returns one target case's number."""
    calendar = container.calendar
    lookups = SearchKeys(search_key(container.settings.token_key))
    number = ""
    with CaseModel.batch_write() as cases, LookupModel.batch_write() as index:
        for n in range(start, start + count):
            target = n < 3
            filed = MONDAY_10AM - timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
            phone = TARGET_PHONE if target else f"+86139{rng.randrange(10**8):08d}"
            email = TARGET_EMAIL if target else f"user{n}@example.com"
            txn = "TXN-BENCH-TARGET" if n == 0 else f"TXN-BENCH-{n:06d}"
            order = "ORD-BENCH-TARGET" if n == 1 else f"ORD-BENCH-{n:06d}"
            case = make_case(
                filed,
                contact=Contact(phone=phone, email=email),
                payment=PaymentRef(
                    transaction_id=txn, merchant_id="M100001", order_id=order, amount_fen=100
                ),
            )
            case = with_urgency(replace(case, version=1), calendar)
            cases.save(case_to_model(case))
            for lookup in lookups.of(case):
                index.save(LookupModel(lookup.key, lookup.case_id, created_at=lookup.created_at))
            if n == 2:
                number = case.case_number
                ref = {"case_id": case.case_id, "case_number": number}
                KeyModel(keys.case_number_key(number), value=ref).save()
            if n % 5000 == 4999:
                print(f"  ... {n + 1} cases written", flush=True)
    return number


def _latency_ms(container: wiring.Container, kind: str, query: str, size: int) -> float:
    member = StaffMember(f"stf_bench_{kind}_{size}", "Bench", "agent")
    search = container.search
    search.search(member, {"q": query})  # warm: imports, connections
    samples = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        answer = search.search(member, {"q": query})
        samples.append((time.perf_counter() - start) * 1000)
        assert answer["matched"] == kind, (kind, answer)
        assert answer["items"], (kind, answer)
    return statistics.median(samples)


def run(base: Settings) -> dict[str, float]:
    settings = replace(base, table_prefix="paycase-benchs-")
    container = wiring.Container(settings)
    provision(container)
    rng = random.Random(20261201)
    number = _fill(container, 0, SMALL, rng)
    queries = {"case_number": number, **QUERIES}
    small = {k: _latency_ms(container, k, q, SMALL) for k, q in queries.items()}
    _fill(container, SMALL, LARGE - SMALL, rng)
    large = {k: _latency_ms(container, k, q, LARGE) for k, q in queries.items()}
    results: dict[str, float] = {}
    for kind in queries:
        ratio = large[kind] / small[kind]
        verdict = "meets" if ratio <= GOAL_RATIO else "MISSES"
        print(
            f"search by {kind}: {small[kind]:.1f} ms with {SMALL:,} cases, {large[kind]:.1f} ms "
            f"with {LARGE:,}; ratio {ratio:.2f} ({verdict} the goal of at most {GOAL_RATIO}); "
            f"median of {SAMPLES}, audit and rate-limit write included, on DynamoDB Local"
        )
        results[f"search_ratio[{kind}]"] = ratio
    return results
