"""Live EventBridge schedules per open case (goal: at most 1) and Scheduler calls per state
change (goal: at most 1), with cases driven through their lifecycle and time moving on.

The local runner plays EventBridge (firing due schedules, deleting them afterwards); only the
calls PayCase itself makes through its Scheduler adapter are counted.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from chalicelib import wiring
from chalicelib.domain.clock import FixedClock
from chalicelib.services.entities import StaffMember
from chalicelib.services.ports import Scheduler
from chalicelib.settings import Settings
from devstack.bootstrap import provision
from devstack.runner import Runner
from tests.builders import MONDAY_10AM, caller, complaint

GOAL = 1
CASES = 20


@dataclass
class CountingScheduler:
    """The real adapter, counting what PayCase asks of EventBridge Scheduler."""

    inner: Scheduler
    calls: Counter[str] = field(default_factory=Counter)

    def create(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        self.calls["create"] += 1
        self.inner.create(name, at, payload)

    def update(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        self.calls["update"] += 1
        self.inner.update(name, at, payload)

    def delete(self, name: str) -> None:
        self.calls["delete"] += 1
        self.inner.delete(name)

    def total(self) -> int:
        return sum(self.calls.values())


def _live_per_case(container: wiring.Container) -> int:
    client = container.client("scheduler")
    pages = client.get_paginator("list_schedules").paginate(
        GroupName=container.settings.schedule_group
    )
    per_case = Counter(s["Name"].rsplit("-", 1)[0] for p in pages for s in p["Schedules"])
    return max(per_case.values(), default=0)


class Workload:
    """Cases driven through the desk while time moves, measuring after every change."""

    def __init__(
        self,
        container: wiring.Container,
        counting: CountingScheduler,
        clock: FixedClock,
        app_module: Any,
    ) -> None:
        self.container = container
        self.counting = counting
        self.clock = clock
        self.runner = Runner(container, app_module, echo=False)
        self.agent = StaffMember("stf_bench", "bench agent", "agent")
        self.per_change: list[int] = []
        self.worst_live = 0

    def change(self, action: Any) -> None:
        """A state change, then the outbox drained as the stream would; counts its calls."""
        before = self.counting.total()
        action()
        while self.runner.drain_outbox():
            pass
        self.per_change.append(self.counting.total() - before)
        self.worst_live = max(self.worst_live, _live_per_case(self.container))

    def tick(self, hours: float) -> None:
        self.clock.advance(hours * 3600)
        while self.runner.turn():
            pass
        self.worst_live = max(self.worst_live, _live_per_case(self.container))

    def file(self, n: int) -> dict[str, Any]:
        body = complaint(
            payment={"transaction_id": f"BENCH-S-{n}", "amount_fen": 1000}, contact=caller(n)
        )
        filed: dict[str, Any] = {}
        self.change(lambda: filed.update(self.container.complaints.file(body).body))
        return filed

    def move(self, cid: str, to: str, note: str | None = None) -> None:
        case = self.container.store.get_case(cid)
        assert case is not None
        body = {"to": to, "expected_version": case.version, **({"note": note} if note else {})}
        self.container.desk.transition(cid, body, self.agent)

    def drive(self, case: dict[str, Any]) -> None:
        """Accept, ask the customer (pause), get the answer (resume), propose."""
        cid, token = case["case_id"], f"Bearer {case['access_token']}"
        cases, desk = self.container.cases, self.container.desk
        access = self.container.customer_access
        self.change(lambda: self.move(cid, "accepted"))
        self.change(lambda: self.move(cid, "waiting_customer", "请补充"))
        self.change(lambda: cases.message(access.case(cid, token), {"text": "已补充"}, None))
        self.change(
            lambda: desk.propose(cid, {"kind": "explanation", "text": "已核实"}, self.agent, None)
        )

    def settle(self, case: dict[str, Any]) -> None:
        token = f"Bearer {case['access_token']}"
        answer = self.container.cases.answer_proposal
        access = self.container.customer_access
        self.change(lambda: answer(access.case(case["case_id"], token), {}, True))


def run(base: Settings) -> dict[str, float]:
    import app

    settings = replace(base, table_prefix="paycase-benchs-")
    clock = FixedClock(MONDAY_10AM)
    probe = wiring.Container(settings, clock=clock)
    provision(probe)
    counting = CountingScheduler(probe.scheduler)
    container = wiring.Container(settings, clock=clock, scheduler=counting)
    wiring.use(container)
    work = Workload(container, counting, clock, app)
    cases = [work.file(n) for n in range(CASES)]
    work.tick(1)
    for case in cases:
        work.drive(case)
    work.tick(10)
    for case in cases[: CASES // 2]:
        work.settle(case)
    work.tick(24 * 20)
    wiring.use(None)
    worst_calls = max(work.per_change)
    for label, value in (
        ("live schedules per open case", work.worst_live),
        ("Scheduler calls per state change", worst_calls),
    ):
        verdict = "meets" if value <= GOAL else "MISSES"
        print(f"{label}: at most {value} ({verdict} the goal of at most {GOAL})")
    print(
        f"  over {len(work.per_change)} state changes of {CASES} cases: mean "
        f"{statistics.mean(work.per_change):.2f} Scheduler calls, {dict(counting.calls)} in "
        f"all; on DynamoDB Local and moto's server"
    )
    return {"live_schedules_per_case": work.worst_live, "scheduler_calls_per_change": worst_calls}
