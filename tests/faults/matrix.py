"""Running one cell of the fault matrix and judging it.

A cell is (path, fault kind and extent, the call it hits). It starts from the path's snapshot,
injects the fault, makes the request once and records what the caller saw; then, with faults
off, repeats the identical request (honouring Retry-After on the application clock) until it
succeeds, lets the outbox drain and due schedules fire, waits out back-offs and leases, and
compares the result with the clean run of the same path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from tests.faults.actions import Action, Outcome
from tests.faults.injector import FAULTS, Kind
from tests.faults.paths import Path
from tests.faults.world import (
    REGION,
    TABLE_PREFIX,
    Snapshot,
    World,
    census,
    emails_sent,
    sms_sent,
)

# A message in one of these is visible to staff as what happened to it; anything else after the
# outbox drained (queued, deferred, sending, or no record at all) is a message lost on the way.
SETTLED = frozenset({"sent", "unknown", "failed", "dead"})
# A client's patience: it honours Retry-After and backs off exponentially (2, 4, ... 128 s), for
# about four minutes of application time in all; a key still busy after that is stuck.
RETRIES = 7
MAX_RETRY_AFTER = 120  # seconds; a Retry-After longer than a Lambda's life is a stuck key
SENDS = frozenset({"sns.Publish", "sesv2.SendEmail"})


@dataclass(frozen=True)
class Plan:
    """The fault of one cell."""

    kind: Kind
    service: str
    operation: str
    nth: int
    times: int | None  # None: every attempt until faults go off

    def __str__(self) -> str:
        extent = "until faults are off" if self.times is None else f"{self.times} attempt"
        return f"{self.kind.value} on {self.service}.{self.operation} #{self.nth} ({extent})"


@dataclass
class Result:
    first: Outcome
    retries: list[Outcome]
    census: Counter[str]
    deliveries: Counter[tuple[str, str]]
    sms: list[tuple[str, str]]
    emails: list[tuple[str, str]]
    calls: list[str] = field(default_factory=list)  # the first request's calls (first attempts)
    resent: list[str] = field(default_factory=list)  # sends botocore retried after a lost answer
    injected: int = 0  # attempts the fault hit
    # The first request left moto exactly as it was and the retry succeeded: from there the
    # cell is the clean run (same state, same request), so its effects were not drained again.
    as_clean: bool = False


@dataclass
class Prepared:
    """A path's starting state and its clean run."""

    path: Path
    world: World
    snapshot: Snapshot
    start: Counter[str]
    start_sms: list[tuple[str, str]]
    start_emails: list[tuple[str, str]]
    clean: Result | None = None


class Matrix:
    """Each path prepared once: its starting state (shared by the paths that start alike)
    built and snapshotted, and its clean run made."""

    def __init__(self, client: Any, base: Any, state: Any) -> None:
        self.client = client  # chalice.test.Client
        self.base = base  # the session's container on moto
        self.state = state  # moto as provisioned (tests/moto_stack.py)
        self._starts: dict[Any, Prepared] = {}
        self._prepared: dict[str, Prepared] = {}

    def prepared(self, path: Path) -> Prepared:
        if path.name not in self._prepared:
            start = self._starts.get(path.setup)
            if start is None:
                from tests.builders import MONDAY_10AM

                world = self.fresh_world(MONDAY_10AM)
                start = self._starts[path.setup] = prepare(path, world)
            self._prepared[path.name] = replace(start, path=path, clean=None)
        return self._prepared[path.name]

    def fresh_world(self, at: Any) -> World:
        """The session's moto as provisioned, no faults, and a new container on it."""
        self.state.restore()
        FAULTS.reset()
        return World.fresh(self.client, self.base, at)

    def clean(self, path: Path) -> Result:
        prepared = self.prepared(path)
        if prepared.clean is None:
            prepared.clean = run(prepared, None)
        return prepared.clean


def prepare(path: Path, world: World) -> Prepared:
    path.setup(world)
    return Prepared(
        path,
        world,
        Snapshot.take(world.clock.now()),
        census(),
        sms_sent(),
        emails_sent(),
    )


def run(prepared: Prepared, plan: Plan | None) -> Result:
    world, path = prepared.world, prepared.path
    prepared.snapshot.restore()
    world.renew(prepared.snapshot.at)
    FAULTS.reset()
    action: Action = path.request(world)
    FAULTS.reset()  # building the request may read (a case's version): not the path's calls
    fault = None
    if plan is not None:
        fault = FAULTS.inject(
            plan.kind, plan.service, plan.operation, nth=plan.nth, times=plan.times
        )
    first = action.send(world)
    calls = FAULTS.names()
    injected = fault.failed if fault else 0
    FAULTS.clear()
    untouched = plan is not None and prepared.snapshot.unchanged()
    retries = _retry(world, path, action)
    if untouched and _succeeded(path, retries[-1]) and prepared.clean is not None:
        clean = prepared.clean
        return replace(
            clean,
            first=first,
            retries=retries,
            calls=calls,
            resent=_resent(),
            injected=injected,
            as_clean=True,
        )
    world.settle_and_wait()
    return Result(
        first,
        retries,
        census(),
        deliveries(),
        sms_sent(),
        emails_sent(),
        calls=calls,
        resent=_resent(),
        injected=injected,
    )


def _resent() -> list[str]:
    """Sends whose answer may have been lost (a read timeout, or the answer lost after SNS or SES
    took it) that botocore sent again: each is a message that may now have gone twice."""
    out = []
    for before, after in zip(FAULTS.calls, FAULTS.calls[1:], strict=False):
        ambiguous = before.fault in (Kind.READ_TIMEOUT, Kind.LOST_ANSWER)
        if before.name in SENDS and ambiguous and after.name == before.name and after.attempt > 1:
            out.append(f"{before.name} attempt {after.attempt} after {before.fault}")
    return out


def _retry(world: World, path: Path, action: Action) -> list[Outcome]:
    """The caller tries again with the identical request until it gets an answer that is not
    503 (a function: until it runs without raising)."""
    out = []
    for n in range(RETRIES):
        outcome = action.send(world)
        out.append(outcome)
        if path.http and outcome.status == 503:
            wait = max(_retry_after(outcome) or 1, 2 ** (n + 1))
            world.clock.advance(min(wait, MAX_RETRY_AFTER + 8))
            continue
        if not path.http and outcome.error:
            world.clock.advance(60)  # Lambda's next attempt
            continue
        break
    return out


def _succeeded(path: Path, outcome: Outcome) -> bool:
    if path.http:
        return outcome.status == path.ok
    return outcome.error is None and not (
        isinstance(outcome.body, dict) and outcome.body.get("batchItemFailures")
    )


def _retry_after(outcome: Outcome) -> int | None:
    value = outcome.headers.get("retry-after", "")
    return int(value) if value.isascii() and value.isdigit() else None


def deliveries() -> Counter[tuple[str, str]]:
    """The delivery log read from moto's table: (message, status) counts, a message named by
    its event, channel, audience and masked recipient (case ids differ from run to run)."""
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[TABLE_PREFIX + "notifications"]
    out: Counter[tuple[str, str]] = Counter()
    for item in table.all_items():
        a = item.to_json()["Attributes"]
        name = "/".join(a[k]["S"] for k in ("event", "channel", "audience", "recipient_masked"))
        out[(name, a["status"]["S"])] += 1
    return out


# -- judging -------------------------------------------------------------------------------


def judge_clean(prepared: Prepared, result: Result) -> list[str]:
    """A clean run: the request succeeded at once and its repeat was answered; the declared
    effects happened once; every message it made was sent, none twice."""
    path = prepared.path
    problems = _answers(path, result, faulted=False)
    delta = result.census - prepared.start
    for effect, count in path.effects.items():
        if delta[effect] != count:
            problems.append(f"effect {effect}: {delta[effect]} (expected {count})")
    stuck = {name: n for (name, status), n in result.deliveries.items() if status not in SETTLED}
    if stuck:
        problems.append(f"messages not settled: {stuck}")
    unsent = {name: n for (name, status), n in result.deliveries.items() if status != "sent"}
    if unsent:
        problems.append(f"messages not sent: {unsent}")
    problems += _duplicates(prepared, result, None)
    return problems


def judge(prepared: Prepared, clean: Result, result: Result) -> list[str]:
    """A faulted run against the clean one."""
    problems = _answers(prepared.path, result, faulted=True)
    if result.resent:
        problems.append(f"botocore sent again what may have been delivered: {result.resent}")
    if result.census != clean.census:
        problems.append(f"effects differ from the clean run: {_diff(clean.census, result.census)}")
    problems += _messages(clean, result)
    problems += _duplicates(prepared, result, clean)
    return problems


def _answers(path: Path, result: Result, faulted: bool) -> list[str]:
    problems = []
    first, last = result.first, result.retries[-1]
    if path.http:
        if first.status != path.ok and not (faulted and first.status == 503):
            problems.append(f"first answer {first}")
        for answer in (first, *result.retries):
            if answer.status == 503:
                problems += _unavailable_problems(path, answer)
        if last.status != path.ok:
            problems.append(f"retry answer {last} after {len(result.retries)} tries")
        elif path.same_answer and first.status == path.ok and first.body != last.body:
            problems.append("the retry's answer differs from the first")
    else:
        if not faulted and first.error:
            problems.append(f"clean invocation {first}")
        if last.error:
            problems.append(f"invocation still fails with faults off: {last}")
        if isinstance(last.body, dict) and last.body.get("batchItemFailures"):
            problems.append(f"stream batch still failing with faults off: {last}")
    return problems


def _unavailable_problems(path: Path, outcome: Outcome) -> list[str]:
    """A 503 in the API's error format, with a Retry-After a client can wait out, that tells
    the caller to repeat the request with the same Idempotency-Key (it may have happened)."""
    body = outcome.body
    retry_after = _retry_after(outcome)
    error = body.get("error") if isinstance(body, dict) else None
    if not (isinstance(error, dict) and set(body) == {"error"}):
        return [f"503 not in the error format: {body!r}"[:200]]
    problems = []
    if error.get("code") != "unavailable":
        problems.append(f"503 with code {error.get('code')!r}")
    if retry_after is None or not 0 < retry_after <= MAX_RETRY_AFTER:
        problems.append(f"503 with Retry-After {outcome.headers.get('retry-after')!r}")
    if path.keyed and "Idempotency-Key" not in str(error.get("message")):
        problems.append("503 whose message does not ask for a retry with the same Idempotency-Key")
    return problems


def _messages(clean: Result, result: Result) -> list[str]:
    """Every message the clean run sent is sent or visibly settled; none is stuck or missing;
    none appears that the clean run did not make."""
    problems = []
    sent = Counter({name: n for (name, status), n in clean.deliveries.items() if status == "sent"})
    settled: Counter[str] = Counter()
    made: Counter[str] = Counter()
    for (name, status), n in result.deliveries.items():
        made[name] += n
        if status in SETTLED:
            settled[name] += n
        else:
            problems.append(f"message {name} left {status}")
    for name, n in sent.items():
        if settled[name] < n:
            problems.append(f"message {name} never sent nor settled ({settled[name]} of {n})")
    clean_made = Counter()
    for (name, _), n in clean.deliveries.items():
        clean_made[name] += n
    extra = made - clean_made
    if extra:
        problems.append(f"messages the clean run did not make: {dict(extra)}")
    return problems


def _duplicates(prepared: Prepared, result: Result, clean: Result | None) -> list[str]:
    """No SMS (phone and text) or email (address and subject) went twice, and no recipient got
    more messages from the path than in the clean run."""
    problems = []
    for label, messages, start, clean_messages in (
        ("SMS", result.sms, prepared.start_sms, clean.sms if clean else None),
        ("email", result.emails, prepared.start_emails, clean.emails if clean else None),
    ):
        new = messages[len(start) :]
        earlier = set(start)
        twice = {m: n for m, n in Counter(new).items() if n > 1 or m in earlier}
        if twice:
            problems.append(f"{label} sent twice: {_short(twice)}")
        if clean_messages is not None:
            more = Counter(to for to, _ in new) - Counter(
                to for to, _ in clean_messages[len(start) :]
            )
            if more:
                problems.append(f"more {label} than the clean run to: {dict(more)}")
    return problems


def _diff(before: Counter[str], after: Counter[str]) -> dict[str, Any]:
    keys = sorted(set(before) | set(after))
    return {k: f"{before[k]}->{after[k]}" for k in keys if before[k] != after[k]}


def _short(messages: dict[Any, int]) -> str:
    return "; ".join(f"{to} x{n}: {text[:40]}" for (to, text), n in messages.items())
