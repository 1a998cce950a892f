"""`make soak`: the local stack under a long mixed load, killed with kill -9 half way through and
restarted on the same data.

5,000 complaint requests (by default) with repeated Idempotency-Keys, payment webhook events
(some sent twice) for a fifth of the complaints' payments, and signed merchant payment queries
(some repeated under their key) about most of those payments, from 8 concurrent clients. The
test clock moves forward half an hour at a time during the run. When half the requests are sent
(amid a burst of merchant queries, so that some are in flight), every process of the stack is
killed with SIGKILL (supervisor, chalice local, the runner, and a second later DynamoDB Local:
see LoadStack.kill_stack) and started again on the same data; clients that get no answer
meanwhile try again, as real ones would. Afterwards every request without its success answer is
retried, the outbox drains, and the run prints what was lost (answered as accepted but not
stored), what was duplicated (a key with two cases, a ledger event twice, a query twice, an
acknowledgement sent twice), the 5xx answers, and requests per second. Exit status 1 when a goal
is missed.

    python -m bench.soak [--complaints 5000] [--clients 8]
"""

from __future__ import annotations

import argparse
import itertools
import json
import queue
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.chaos import ACK, Key, drain_timeout, plan, settle, write_json
from bench.loadstack import Answer, LoadStack, run_workers
from clients.paycase_sign import sign_request, sign_webhook

MERCHANT = "M100001"  # the demo merchant the stack seeds
CLOCK_STEPS = 6  # the test clock moves this often during the run, half an hour each time
RETRY_BUDGET_SECONDS = 120.0


@dataclass(frozen=True)
class Request:
    kind: str  # "complaint" | "event" | "query"
    key: str  # the Idempotency-Key, the event id, or the query's key
    body: dict[str, Any]

    @property
    def ok(self) -> int:
        return {"complaint": 201, "event": 200, "query": 200}[self.kind]


def mixed_plan(complaints: int, seed: int) -> tuple[list[Key], list[Request]]:
    keys, order = plan(complaints, seed, prefix="soak")
    rng = random.Random(seed + 1)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    requests = [Request("complaint", k.key, k.body) for k in order]
    for key in rng.sample(keys, max(1, len(keys) // 5)):
        txn = key.body["payment"]["transaction_id"]
        event = {
            "id": f"evt-{txn}",
            "type": "payment.succeeded",
            "occurred_at": now,
            "data": {"transaction_id": txn, "merchant_id": MERCHANT, "amount_fen": 3880},
        }
        requests += [Request("event", event["id"], event)] * (2 if rng.random() < 0.3 else 1)
        if rng.random() < 0.8:
            query = {"transaction_id": txn, "amount_fen": 3880, "note": f"q-{txn}"}
            copies = 2 if rng.random() < 0.3 else 1
            requests += [Request("query", f"q-{txn}", query)] * copies
    rng.shuffle(requests)
    # The kill falls in the middle of the run: put merchant queries there, so that some are in
    # flight when it comes (a query holds its Idempotency-Key while it works).
    middle = len(requests) // 2
    queries = [r for r in requests if r.kind == "query"]
    rest = [r for r in requests if r.kind != "query"]
    burst = queries[: len(queries) // 2]
    others = rest + queries[len(burst) :]
    rng.shuffle(others)
    start = max(middle - len(burst) // 2, 0)
    return keys, [*others[:start], *burst, *others[start:]]


@dataclass
class Report:
    requests: int = 0
    seconds: float = 0.0
    answers: Counter[str] = field(default_factory=Counter)  # "<kind> <status>"
    unanswered: int = 0  # attempts that got no answer (the stack was down)
    retries: int = 0
    lost: Counter[str] = field(default_factory=Counter)
    lost_keys: list[str] = field(default_factory=list)  # the first few, to look into
    duplicated: Counter[str] = field(default_factory=Counter)
    never_succeeded: int = 0
    restarted_in: float = 0.0
    drained: bool = True

    @property
    def five_xx(self) -> Counter[int]:
        out: Counter[int] = Counter()
        for name, n in self.answers.items():
            status = int(name.rsplit(" ", 1)[1])
            if status >= 500:
                out[status] += n
        return out

    def missed(self) -> list[str]:
        other = sum(n for status, n in self.five_xx.items() if status != 503)
        goals = {
            "lost": sum(self.lost.values()),
            "duplicated": sum(self.duplicated.values()),
            "5xx other than 503": other,
            "requests never answered with success": self.never_succeeded,
        }
        return [f"{name}: {value} (goal 0)" for name, value in goals.items() if value]

    def lines(self) -> list[str]:
        rate = self.requests / self.seconds if self.seconds else 0.0
        return [
            f"requests: {self.requests} in {self.seconds:.1f} s ({rate:.1f} / s, the restart "
            f"included); kill -9 and restart took {self.restarted_in:.1f} s",
            f"  answers: {dict(sorted(self.answers.items()))}",
            f"  attempts without an answer while the stack was down: {self.unanswered}",
            f"retries afterwards: {self.retries}",
            f"lost (accepted, not stored): {sum(self.lost.values())} {dict(self.lost)} (goal 0)"
            + (f", e.g. {', '.join(self.lost_keys)}" if self.lost_keys else ""),
            f"duplicated: {sum(self.duplicated.values())} {dict(self.duplicated)} (goal 0)",
            f"5xx: {dict(self.five_xx)} (goal: none but 503)",
            f"requests never answered with success: {self.never_succeeded} (goal 0)",
            f"outbox drained: {'yes' if self.drained else 'NO'}",
        ]


class Clients:
    """Sending the plan, with a restart of the stack half way through."""

    def __init__(self, stack: LoadStack, report: Report) -> None:
        self.stack = stack
        self.report = report
        self.answers: dict[tuple[str, str], list[Answer]] = defaultdict(list)
        self.lock = threading.Lock()
        self.up = threading.Event()
        self.up.set()
        self.sent = itertools.count(1)
        self.credentials = stack.credentials()

    def send(self, request: Request) -> Answer:
        credentials = self.credentials
        if request.kind == "complaint":
            headers = {"Idempotency-Key": request.key}
            return self.stack.call("POST", "/v1/complaints", request.body, headers)
        raw = json.dumps(request.body).encode()
        if request.kind == "event":
            signature = sign_webhook(credentials["webhook_secret"], raw)
            headers = {"X-PayCase-Signature": signature}
            return self.stack.call("POST", "/v1/webhooks/payment-events", raw=raw, headers=headers)
        merchant = next(m for m in credentials["merchants"] if m["merchant_id"] == MERCHANT)
        path = "/v1/merchant/payment-queries"
        headers = sign_request(MERCHANT, merchant["secret"], "POST", path, raw)
        headers["Idempotency-Key"] = request.key
        return self.stack.call("POST", path, raw=raw, headers=headers)

    def deliver(self, request: Request) -> Answer:
        """Send until the stack answers (it may be down for a restart)."""
        for _ in range(120):
            self.up.wait()
            answer = self.send(request)
            with self.lock:
                self.answers[(request.kind, request.key)].append(answer)
                self.report.answers[f"{request.kind} {answer.status}"] += 1
                if answer.status == 0:
                    self.report.unanswered += 1
            if answer.status != 0:
                return answer
            time.sleep(1)
        return answer

    def work(
        self, work: queue.Queue[Request], steps: set[int], kill_at: int, kill: threading.Event
    ) -> None:
        """One client: take requests until none is left; move the test clock at `steps`; at
        `kill_at`, call for the kill."""
        while True:
            try:
                request = work.get_nowait()
            except queue.Empty:
                return
            number = next(self.sent)
            if number == kill_at:
                self.up.clear()
                kill.set()
            if number in steps:
                self.up.wait()
                try:
                    self.stack.advance_clock(30 * 60)
                except RuntimeError as exc:  # the run goes on; the figures show it
                    print(f"the test clock did not move: {exc}", flush=True)
            self.deliver(request)

    def restart(self) -> None:
        """kill -9 of the stack and a start on the same data (from the main thread)."""
        self.up.clear()
        started = time.monotonic()
        self.stack.kill_stack()
        self.stack.start_dynamodb()
        self.stack.start_stack()
        self.credentials = self.stack.credentials()
        self.report.restarted_in = time.monotonic() - started
        self.up.set()


def load(clients: Clients, requests: list[Request], workers: int) -> None:
    """Send the plan; the client that sends the middle request calls for the kill, which this
    thread carries out (a process started by a thread that ends would be sent SIGTERM with it:
    the engines' children ask Linux for their parent's death signal)."""
    work: queue.Queue[Request] = queue.Queue()
    for request in requests:
        work.put(request)
    total = len(requests)
    steps = {round(total * (n + 1) / (CLOCK_STEPS + 1)) for n in range(CLOCK_STEPS)}
    kill = threading.Event()
    threads = [
        threading.Thread(target=clients.work, args=(work, steps, total // 2, kill), daemon=True)
        for _ in range(workers)
    ]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        if kill.wait(0.2):
            kill.clear()
            clients.restart()
    for thread in threads:
        thread.join()


def retry_failed(
    clients: Clients, requests: list[Request], workers: int, budget: float = RETRY_BUDGET_SECONDS
) -> None:
    unique = {(r.kind, r.key): r for r in requests}
    waiting: queue.Queue[Request] = queue.Queue()
    for ident, request in unique.items():
        if not any(a.status == request.ok for a in clients.answers[ident]):
            waiting.put(request)
    deadline = time.monotonic() + budget

    def client(_: int) -> None:
        while time.monotonic() < deadline:
            try:
                request = waiting.get_nowait()
            except queue.Empty:
                return
            answer = clients.deliver(request)
            clients.report.retries += 1
            if answer.status != request.ok:
                time.sleep(min(answer.retry_after, 5.0))
                waiting.put(request)

    run_workers(workers, client)
    clients.report.never_succeeded = sum(
        1
        for ident, request in unique.items()
        if not any(a.status == request.ok for a in clients.answers[ident])
    )


def judge(stack: LoadStack, keys: list[Key], clients: Clients, report: Report) -> None:
    accepted = {
        ident
        for ident, answers in clients.answers.items()
        if any(a.status == (201 if ident[0] == "complaint" else 200) for a in answers)
    }
    stored = stored_counts(stack, keys)
    for kind, key in sorted(accepted):
        if not stored[kind][key]:
            report.lost[kind] += 1
            if len(report.lost_keys) < 10:
                seen = " ".join(str(a.status) for a in clients.answers[(kind, key)])
                report.lost_keys.append(f"{kind} {key} (answered {seen})")
    for kind, counts in stored.items():
        twice = sum(1 for n in counts.values() if n > 1)
        if twice:
            report.duplicated[kind] += twice


def stored_counts(stack: LoadStack, keys: list[Key]) -> dict[str, Counter[str]]:
    """How often each request's effect is stored: cases per complaint key (by its contact),
    ledger entries per event id, queries per query key (kept in the note), acknowledgements
    per recipient and text."""
    phones = {key.phone: key.key for key in keys}
    cases: Counter[str] = Counter()
    for item in stack.scan("cases"):
        phone = item.get("contact", {}).get("M", {}).get("phone", {}).get("S")
        if phone in phones:
            cases[phones[phone]] += 1
    events: Counter[str] = Counter(
        event["M"]["event_id"]["S"]
        for item in stack.scan("payments")
        for event in item["events"]["L"]
    )
    queries: Counter[str] = Counter(
        item["note"]["S"] for item in stack.scan("payment_queries") if "note" in item
    )
    recipients = {key.phone for key in keys} | {key.body["contact"]["email"] for key in keys}
    acks: Counter[str] = Counter(
        f"{to} {text}"
        for to, text in [*stack.sms(), *stack.emails()]
        if ACK in text and to in recipients
    )
    return {"complaint": cases, "event": events, "query": queries, "acknowledgement": acks}


def run(
    complaints: int = 5000,
    clients: int = 8,
    seed: int = 11,
    root: Path | None = None,
    echo: bool = True,
    retry_budget: float = RETRY_BUDGET_SECONDS,
) -> Report:
    from tests.working_week import working_monday_10am

    began = time.monotonic()

    def say(text: str) -> None:
        if echo:
            print(f"[{time.monotonic() - began:6.1f} s] {text}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        stack = LoadStack(root or Path(tmp), on_disk=True)
        try:
            say("starting DynamoDB Local (on disk), moto and the stack ...")
            stack.start()
            stack.set_clock(working_monday_10am())
            keys, requests = mixed_plan(complaints, seed)
            report = Report(requests=len(requests))
            say(f"{len(requests)} requests ({len(keys)} complaint keys), {clients} clients")
            senders = Clients(stack, report)
            started = time.monotonic()
            load(senders, requests, clients)
            report.seconds = time.monotonic() - started
            say("retrying what did not succeed ...")
            retry_failed(senders, requests, clients, retry_budget)
            say("waiting for the outbox to drain ...")
            report.drained = settle(stack, timeout=drain_timeout(len(keys)))
            say("counting ...")
            judge(stack, keys, senders, report)
        finally:
            stack.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--complaints", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--retry-budget", type=float, default=RETRY_BUDGET_SECONDS)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    # Stopped from outside (a test session that ends early): stop the stack on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    report = run(args.complaints, args.clients, args.seed, retry_budget=args.retry_budget)
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
