"""`make chaos`: the local stack behind the fault proxy, filing complaints under faults.

2,000 complaint requests (by default) from 8 concurrent clients while the proxy in front of
DynamoDB Local throttles, answers 500 and drops answers after applying the request: a calm of
few faults, broken every few seconds by a storm of many (CALM, STORM below). The incident goes
on for up to two minutes after the last request while the local runner works off the outbox
(its DynamoDB calls go through the proxy too). Keys are
repeated: most are sent once, some two or three times, and some of the repeats back to back, so
two clients send them at the same moment. Then faults go off, every key that never got its 201
is retried (honouring Retry-After) until it does or a minute and a half has passed, the test
clock is moved past back-offs and leases, and the outbox drains. Printed: the answers by status,
keys with more than one case, cases never acknowledged (from the delivery log), and
acknowledgements sent twice (from the SMS and email moto's SNS and SES took). Exit status 1 when
a goal is missed.

    python -m bench.chaos [--complaints 2000] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.loadstack import Answer, LoadStack, run_workers
from devstack.faultproxy import Rule

# The faults during the load, on every DynamoDB call (the API's and the runner's alike): a calm
# of a few faults, which botocore's retries mostly absorb, broken every few seconds by a storm in
# which most attempts fail and some writes lose their answers, as in an incident.
CALM = [Rule("throttle", 0.03), Rule("error", 0.01), Rule("drop", 0.01)]
STORM = [Rule("throttle", 0.4), Rule("error", 0.1), Rule("drop", 0.3)]
CALM_SECONDS, STORM_SECONDS = 4.0, 8.0
RETRY_BUDGET_SECONDS = 90.0
ACK = "投诉已收到"


@dataclass(frozen=True)
class Key:
    n: int
    key: str
    body: dict[str, Any]

    @property
    def phone(self) -> str:
        return str(self.body["contact"]["phone"])


def complaint_for(n: int, prefix: str) -> dict[str, Any]:
    """A complaint of its own: its contact and transaction are no other key's."""
    return {
        "category": "payment_anomaly",
        "description": f"扣款成功但订单仍显示待支付（压测 {prefix}-{n}）",
        "contact": {"phone": f"+86139{n:08d}", "email": f"{prefix}{n}@example.com"},
        "payment": {"transaction_id": f"{prefix.upper()}-{n:06d}", "amount_fen": 3880},
    }


def plan(requests: int, seed: int, prefix: str = "chaos") -> tuple[list[Key], list[Key]]:
    """The keys and the order they are sent in: about 70 % once, 20 % twice, 10 % three times;
    a third of the repeats follow their first send at once (sent concurrently)."""
    rng = random.Random(seed)
    keys: list[Key] = []
    sends: list[list[Key]] = []
    n = 0
    while sum(len(s) for s in sends) < requests:
        key = Key(n, f"{prefix}-{seed}-{n:06d}", complaint_for(n, prefix))
        keys.append(key)
        roll = rng.random()
        copies = 1 if roll < 0.7 else 2 if roll < 0.9 else 3
        if copies > 1 and rng.random() < 1 / 3:
            sends.append([key] * copies)  # back to back: taken by two clients at once
        else:
            sends.extend([key] for _ in range(copies))
        n += 1
    rng.shuffle(sends)
    order = [k for group in sends for k in group][:requests]
    return keys, order


@dataclass
class Report:
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    retry_statuses: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    keys: int = 0
    keys_without_201: int = 0
    keys_with_two_cases: int = 0
    cases: int = 0
    never_acknowledged: int = 0
    acknowledged_twice: int = 0
    drained: bool = True
    dynamodb: Counter[str] = field(default_factory=Counter)

    @property
    def other_5xx(self) -> int:
        every = self.statuses + self.retry_statuses
        return sum(n for status, n in every.items() if status >= 500 and status != 503)

    def missed(self) -> list[str]:
        goals = {
            "other 5xx": self.other_5xx,
            "keys never answered 201": self.keys_without_201,
            "keys with more than one case": self.keys_with_two_cases,
            "cases never acknowledged": self.never_acknowledged,
            "acknowledgements sent twice": self.acknowledged_twice,
        }
        return [f"{name}: {value} (goal 0)" for name, value in goals.items() if value]

    def lines(self) -> list[str]:
        rate = self.requests / self.seconds if self.seconds else 0.0
        faults = {k: self.dynamodb[k] for k in ("throttle", "error", "drop")}
        calls = self.dynamodb["requests"]
        return [
            f"complaint requests under faults: {self.requests} in {self.seconds:.1f} s "
            f"({rate:.1f} / s) from {self.keys} keys",
            f"  answers: 201 {self.statuses[201]}, 503 {self.statuses[503]}, other 5xx "
            f"{sum(n for s, n in self.statuses.items() if s >= 500 and s != 503)}, "
            f"other {dict((s, n) for s, n in self.statuses.items() if s < 500 and s != 201)}",
            f"  DynamoDB calls through the proxy: {calls} "
            f"({calls / max(self.requests + self.retries, 1):.1f} per request), faults {faults}",
            f"retries with faults off: {self.retries} ({self.retries / max(self.keys, 1):.2f} "
            f"per key), answers {dict(self.retry_statuses)}",
            f"other 5xx: {self.other_5xx} (goal 0)",
            f"keys never answered 201: {self.keys_without_201} (goal 0)",
            f"keys with more than one case: {self.keys_with_two_cases} (goal 0)",
            f"cases: {self.cases}; never acknowledged: {self.never_acknowledged} (goal 0)",
            f"acknowledgements sent twice: {self.acknowledged_twice} (goal 0)",
            f"outbox drained: {'yes' if self.drained else 'NO'}",
        ]


@contextmanager
def storms(stack: LoadStack) -> Iterator[None]:
    """Calm and storm in turn until the block ends; then no faults at all."""
    done = threading.Event()

    def weather() -> None:
        while not done.is_set():
            stack.set_faults(CALM)
            if done.wait(CALM_SECONDS):
                break
            stack.set_faults(STORM)
            done.wait(STORM_SECONDS)
        stack.set_faults([])

    thread = threading.Thread(target=weather, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def send_all(stack: LoadStack, order: list[Key], clients: int) -> dict[str, list[Answer]]:
    answers: dict[str, list[Answer]] = defaultdict(list)
    work: queue.Queue[Key] = queue.Queue()
    for key in order:
        work.put(key)

    def client(_: int) -> None:
        while True:
            try:
                key = work.get_nowait()
            except queue.Empty:
                return
            answer = stack.call("POST", "/v1/complaints", key.body, {"Idempotency-Key": key.key})
            answers[key.key].append(answer)

    run_workers(clients, client)
    return answers


def retry_unanswered(
    stack: LoadStack,
    keys: list[Key],
    answers: dict[str, list[Answer]],
    clients: int,
    budget: float = RETRY_BUDGET_SECONDS,
) -> list[Answer]:
    """Faults off: every key without a 201 again, until it gets one or time runs out."""
    waiting: queue.Queue[Key] = queue.Queue()
    for key in keys:
        if not any(a.status == 201 for a in answers[key.key]):
            waiting.put(key)
    deadline = time.monotonic() + budget
    retried: list[Answer] = []

    def client(_: int) -> None:
        while time.monotonic() < deadline:
            try:
                key = waiting.get_nowait()
            except queue.Empty:
                return
            answer = stack.call("POST", "/v1/complaints", key.body, {"Idempotency-Key": key.key})
            retried.append(answer)
            answers[key.key].append(answer)
            if answer.status != 201:
                time.sleep(min(answer.retry_after, 5.0))
                waiting.put(key)

    run_workers(clients, client)
    return retried


def drain_timeout(cases: int) -> float:
    """How long to wait for the local runner, one consumer, to send everything: about three
    outbox events a case at a few dozen a second on two cores, and a margin."""
    return 180.0 + 0.5 * cases


def settle(stack: LoadStack, timeout: float) -> bool:
    """Let the outbox drain, moving the test clock past back-offs and leases while it does not."""
    moves = iter(range(6))

    def nudge() -> None:
        if next(moves, None) is not None:
            stack.advance_clock(5 * 60)

    return stack.wait_quiet(timeout, nudge)


def judge(stack: LoadStack, keys: list[Key], report: Report) -> None:
    by_phone = {key.phone: key for key in keys}
    cases_of: Counter[str] = Counter()
    numbers: dict[str, str] = {}
    for item in stack.scan("cases"):
        phone = item.get("contact", {}).get("M", {}).get("phone", {}).get("S")
        if phone in by_phone:
            cases_of[phone] += 1
            numbers[item["case_id"]["S"]] = item["case_number"]["S"]
    report.cases = len(numbers)
    report.keys_with_two_cases = sum(1 for n in cases_of.values() if n > 1)
    sent: dict[str, set[str]] = defaultdict(set)
    for item in stack.scan("notifications"):
        if item["event"]["S"] == "case_received" and item["case_id"]["S"] in numbers:
            sent[item["case_id"]["S"]].add(item["status"]["S"])
    report.never_acknowledged = sum(1 for case in numbers if "sent" not in sent[case])
    recipients = {key.phone for key in keys} | {key.body["contact"]["email"] for key in keys}
    acks = Counter(
        (to, text)
        for to, text in [*stack.sms(), *stack.emails()]
        if ACK in text and to in recipients
    )
    report.acknowledged_twice = sum(1 for n in acks.values() if n > 1)


def run(
    complaints: int = 2000,
    clients: int = 8,
    seed: int = 7,
    root: Path | None = None,
    echo: bool = True,
    drain_under_faults: float = 120.0,
    retry_budget: float = RETRY_BUDGET_SECONDS,
) -> Report:
    from tests.working_week import working_monday_10am

    began = time.monotonic()

    def say(text: str) -> None:
        if echo:
            print(f"[{time.monotonic() - began:6.1f} s] {text}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        stack = LoadStack(root or Path(tmp), faults=True)
        try:
            say("starting DynamoDB Local, the fault proxy, moto and the stack ...")
            stack.start()
            stack.set_clock(working_monday_10am())  # no quiet hours holding the SMS
            keys, order = plan(complaints, seed)
            report = Report(requests=len(order), keys=len(keys))
            say(f"{len(order)} complaint requests, {len(keys)} keys, {clients} clients, faults on")
            started = time.monotonic()
            with storms(stack):
                answers = send_all(stack, order, clients)
                report.seconds = time.monotonic() - started
                say("load done; the incident goes on while the runner works off its backlog")
                stack.wait_quiet(drain_under_faults)
            report.dynamodb = stack.fault_counts()
            report.statuses = Counter(a.status for group in answers.values() for a in group)
            say("faults off; retrying keys without a 201 ...")
            retried = retry_unanswered(stack, keys, answers, clients, retry_budget)
            report.retries = len(retried)
            report.retry_statuses = Counter(a.status for a in retried)
            report.keys_without_201 = sum(
                1 for key in keys if not any(a.status == 201 for a in answers[key.key])
            )
            say("waiting for the outbox to drain ...")
            report.drained = settle(stack, timeout=drain_timeout(len(keys)))
            say("counting ...")
            judge(stack, keys, report)
        finally:
            stack.stop()
    return report


def write_json(path: Path, lines: list[str], missed: list[str]) -> None:
    """The report for a caller that is not a person (the test versions in make test)."""
    path.write_text(json.dumps({"lines": lines, "missed": missed}, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--complaints", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--incident-after",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="how long the faults go on after the last request",
    )
    parser.add_argument("--retry-budget", type=float, default=RETRY_BUDGET_SECONDS)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    # Stopped from outside (a test session that ends early): stop the stack on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    report = run(
        args.complaints,
        args.clients,
        args.seed,
        drain_under_faults=args.incident_after,
        retry_budget=args.retry_budget,
    )
    print("\n".join(report.lines()))
    if args.json:
        write_json(args.json, report.lines(), report.missed())
    missed = report.missed()
    if missed:
        print("goals missed: " + "; ".join(missed))
        return 1
    print("every goal met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
