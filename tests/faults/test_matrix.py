"""The fault matrix: every write path against every kind of AWS fault, at each call it makes.

For each path (tests/faults/paths.py) the clean run is made once: the request, its identical
repeat, the outbox drained and due schedules fired; the AWS calls of the request are recorded
(first attempts, in order). Each recorded call is then a position, and each cell starts from the
path's snapshot, injects one fault at one position, makes the request, and checks what the
caller saw (the success status, or 503 in the error format with Retry-After and a message that
asks for a retry with the same Idempotency-Key; never a 500 or another 5xx), then retries the
identical request with faults off until it succeeds and checks that the result is the clean
run's: the same effects once (cases, timeline entries, ledger events, queries, staff, metric
counters, fact keys, schedules), every message the clean run sent sent or visibly settled in the
delivery log, no SMS or email twice, and no send retried by botocore after its answer may have
been lost (tests/faults/matrix.py).

Cells are grouped per path into four tests, one per group of faults:

- refused: the call is answered with the service's throttling error until faults go off; a
  write of a fully covered path also gets a 500.
- unreached: the request never lands: reads get one of read timeout, connection error and
  connect timeout in turn; a write of a fully covered path gets a read timeout and one of the
  other two in turn.
- lost_answer (writes only): every attempt is applied and its answer lost until faults go off.
- lost_answer_once (writes only): the first attempt is applied and its answer lost; botocore's
  retry is answered.

"A fault until faults go off" starts at the n-th call of that operation and hits every later call
of it in the request too (an outage that begins there). Sampling where the matrix explodes: the
outbox consumer takes every third call as a position and the sweeper every sixth (its delivery
work is the consumer's, covered there), always keeping an operation they make only once; a
sampled path's calls get one fault kind per group, in turn. Which kind a call gets in turn
depends on its position and the path, so every kind meets every operation somewhere in the
matrix. A cell whose faulted request left moto exactly as it was and whose retry then succeeded
is, from there, the clean run itself, so its drain is not repeated (matrix.py: `as_clean`).

A group that fails on today's code is marked xfail(strict=True) with the behaviour that is
missing (EXPECTED below); the mark turns into a failure as soon as the behaviour is there.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import Any

import pytest

from chalicelib.adapters.dynamo.models import MODELS
from tests.builders import MONDAY_10AM
from tests.faults.injector import Kind
from tests.faults.matrix import Matrix, Plan, judge, judge_clean, run
from tests.faults.paths import PATHS, Path
from tests.faults.world import World

WRITES = frozenset(
    {
        "TransactWriteItems",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "Publish",
        "SendEmail",
        "CreateSchedule",
        "UpdateSchedule",
        "DeleteSchedule",
    }
)
REFUSALS = (Kind.THROTTLE, Kind.SERVER_ERROR)
NETWORK = (Kind.READ_TIMEOUT, Kind.CONNECTION_ERROR, Kind.CONNECT_TIMEOUT)


class Group(StrEnum):
    REFUSED = "refused"
    UNREACHED = "unreached"
    LOST = "lost_answer"
    LOST_ONCE = "lost_answer_once"


def kinds(group: Group, write: bool, turn: int, full: bool) -> list[tuple[Kind, int | None]]:
    """The faults one call gets in a group: (kind, attempts it lasts; None until faults go
    off)."""
    if group in (Group.LOST, Group.LOST_ONCE):
        return [(Kind.LOST_ANSWER, 1 if group is Group.LOST_ONCE else None)] if write else []
    if group is Group.REFUSED:
        return [(k, None) for k in REFUSALS] if write and full else [(Kind.THROTTLE, None)]
    if write and full:
        return [(NETWORK[0], None), (NETWORK[1 + turn % (len(NETWORK) - 1)], None)]
    return [(NETWORK[turn % len(NETWORK)], None)]


def plans(path: Path, calls: list[str], group: Group) -> list[Plan]:
    seen: Counter[str] = Counter()
    total = Counter(calls)
    spread = PATHS.index(path)
    out = []
    for i, name in enumerate(calls):
        service, operation = name.split(".", 1)
        seen[name] += 1
        if i % path.stride and total[name] > 1:
            continue
        for kind, times in kinds(group, operation in WRITES, i + spread, path.stride == 1):
            out.append(Plan(kind, service, operation, seen[name], times))
    return out


# -- what today's code does not do yet ---------------------------------------------------------

CAUSES = {
    "500": "a DynamoDB timeout or connection error (or an error the adapter does not translate) "
    "is answered 500 instead of 503 with Retry-After",
    "hint": "a 503 does not say that the change may have happened and to retry with the same "
    "Idempotency-Key",
    "own409": "a transition repeated after it happened is 409 version_conflict for the "
    "client's own move (no answer kept for its Idempotency-Key)",
    "repeat": "the action repeated after it happened is 409 invalid_transition instead of its "
    "first answer (no Idempotency-Key on this call)",
    "assign": "a repeated assignment adds a second timeline entry and answers differently",
    "prefs": "a repeated preferences change adds a second timeline entry",
    "nonce": "the merchant nonce is spent before the work: the identical signed retry is 401 "
    "and the work is lost",
    "pending": "the Idempotency-Key stays pending after a failed or lost write: every retry is "
    "503 'still running' (for 24 hours), and what was asked is never done",
    "otp": "an OTP retry after a lost answer is 429 (the first attempt's cooldown)",
    "code": "a session retry after a lost answer is 401 (its code already used)",
    "staff2": "a staff member is created twice when the key's done-write is lost",
    "merchant400": "a merchant registration whose answer was lost is 400 to its own retry",
    "queued": "'send again' leaves the message queued when the outbox write fails; its retry "
    "is 409 and the message is never sent",
    "resend409": "'send again' repeated is 409 instead of its first answer",
    "outcome": "an SMS or email whose outcome write failed is sent again after the lease",
    "botocore": "botocore retries Publish/SendEmail after a read timeout or a lost answer: the "
    "message goes twice",
}

EXPECTED: dict[tuple[str, str], tuple[str, ...]] = {
    ("complaint", "refused"): ("hint",),
    ("complaint", "unreached"): ("500",),
    ("complaint", "lost_answer"): ("500",),
    **{
        (name, group): causes
        for name in (
            "staff_note",
            "staff_message",
            "staff_call",
            "staff_proposal",
            "staff_extension",
            "customer_message",
            "customer_feedback",
        )
        for group, causes in (
            ("refused", ("hint",)),
            ("unreached", ("500",)),
            ("lost_answer", ("500",)),
        )
    },
    ("staff_assign", "clean"): ("assign",),
    ("staff_assign", "refused"): ("hint",),
    ("staff_assign", "unreached"): ("500",),
    ("staff_assign", "lost_answer"): ("500",),
    ("staff_assign", "lost_answer_once"): ("assign",),
    **{
        ("staff_transition", group): causes
        for group, causes in (
            ("clean", ("own409",)),
            ("refused", ("hint", "own409")),
            ("unreached", ("500", "own409")),
            ("lost_answer", ("500", "own409")),
            ("lost_answer_once", ("own409",)),
        )
    },
    **{
        (name, group): causes
        for name in (
            "customer_accept",
            "customer_reject",
            "customer_objection",
            "customer_withdraw",
        )
        for group, causes in (
            ("clean", ("repeat",)),
            ("refused", ("hint", "repeat")),
            ("unreached", ("500", "repeat")),
            ("lost_answer", ("500", "repeat")),
            ("lost_answer_once", ("repeat",)),
        )
    },
    ("customer_preferences", "clean"): ("prefs",),
    ("customer_preferences", "refused"): ("hint",),
    ("customer_preferences", "unreached"): ("500",),
    ("customer_preferences", "lost_answer"): ("500",),
    ("otp_request", "refused"): ("hint", "pending"),
    ("otp_request", "unreached"): ("500", "hint", "pending"),
    ("otp_request", "lost_answer"): ("500", "hint", "pending", "otp"),
    ("session_open", "refused"): ("hint", "pending"),
    ("session_open", "unreached"): ("500", "hint", "pending"),
    ("session_open", "lost_answer"): ("500", "hint", "pending", "code"),
    ("payment_webhook", "refused"): ("500",),
    ("payment_webhook", "unreached"): ("500",),
    ("payment_webhook", "lost_answer"): ("500",),
    **{
        ("merchant_query", group): causes
        for group, causes in (
            ("clean", ("nonce",)),
            ("refused", ("500", "hint", "nonce")),
            ("unreached", ("500", "nonce")),
            ("lost_answer", ("500", "nonce")),
            ("lost_answer_once", ("nonce",)),
        )
    },
    **{
        ("merchant_answer", group): causes
        for group, causes in (
            ("clean", ("nonce",)),
            ("refused", ("hint", "nonce")),
            ("unreached", ("500", "nonce")),
            ("lost_answer", ("500", "nonce")),
            ("lost_answer_once", ("nonce",)),
        )
    },
    ("staff_create", "refused"): ("hint", "pending"),
    ("staff_create", "unreached"): ("500", "hint", "pending"),
    ("staff_create", "lost_answer"): ("500", "hint", "pending", "staff2"),
    ("merchant_register", "refused"): ("hint", "pending"),
    ("merchant_register", "unreached"): ("500", "hint", "pending"),
    ("merchant_register", "lost_answer"): ("500", "hint", "pending", "merchant400"),
    ("merchant_register", "lost_answer_once"): ("merchant400",),
    ("outbox_consumer", "refused"): ("outcome",),
    ("outbox_consumer", "unreached"): ("outcome", "botocore"),
    ("outbox_consumer", "lost_answer"): ("botocore",),
    ("outbox_consumer", "lost_answer_once"): ("botocore",),
    ("sweeper", "refused"): ("outcome",),
    ("sweeper", "unreached"): ("outcome",),
    ("sweeper", "lost_answer"): ("botocore",),
    ("sweeper", "lost_answer_once"): ("botocore",),
    ("send_again", "clean"): ("resend409",),
    ("send_again", "refused"): ("hint", "queued", "resend409"),
    ("send_again", "unreached"): ("500", "queued", "resend409"),
    ("send_again", "lost_answer"): ("500", "queued", "resend409"),
    ("send_again", "lost_answer_once"): ("queued", "resend409"),
}


def cell(path: Path, group: str) -> Any:
    causes = EXPECTED.get((path.name, group))
    marks = []
    if causes:
        reason = "; ".join(CAUSES[c] for c in causes)
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    if group == "clean":
        return pytest.param(path, marks=marks, id=path.name)
    return pytest.param(path, Group(group), marks=marks, id=f"{path.name}-{group}")


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [cell(p, "clean") for p in PATHS])
def test_clean_run_succeeds_once_and_its_repeat_gets_the_first_answer(
    matrix: Matrix, path: Path
) -> None:
    prepared = matrix.prepared(path)
    problems = judge_clean(prepared, matrix.clean(path))
    assert not problems, problems


@pytest.mark.parametrize(("path", "group"), [cell(p, g) for p in PATHS for g in Group])
def test_fault_ends_in_a_clear_answer_and_one_effect(
    matrix: Matrix, path: Path, group: Group
) -> None:
    prepared = matrix.prepared(path)
    clean = matrix.clean(path)
    cells = plans(path, clean.calls, group)
    failures = []
    for plan in cells:
        result = run(prepared, plan)
        assert result.injected, f"{plan}: the fault never hit (the recording is stale?)"
        problems = judge(prepared, clean, result)
        if problems:
            failures.append(f"{plan}: first {result.first}: " + " | ".join(problems))
    assert not failures, f"{len(failures)} of {len(cells)} cells:\n" + "\n".join(failures)


# -- deadlines ---------------------------------------------------------------------------------

API_GATEWAY_SECONDS = 29.0
BACKOFF_CAP = 20.0  # botocore's standard retry mode caps one back-off at 20 s


def attempts(config: Any) -> int:
    retries = dict(config.retries or {})
    if "total_max_attempts" in retries:
        return int(retries["total_max_attempts"])
    if "max_attempts" in retries:
        return int(retries["max_attempts"]) + 1  # botocore counts retries here
    return 3 if retries.get("mode") == "standard" else 5


def worst_seconds(config: Any) -> float:
    """The longest one call can take before it answers or fails: every attempt waits out its
    connect and read timeouts, with the longest back-off between attempts (throttling's, 1 s
    doubling)."""
    n = attempts(config)
    backoff = sum(min(2.0**i, BACKOFF_CAP) for i in range(n - 1))
    return n * (float(config.connect_timeout) + float(config.read_timeout)) + backoff


@pytest.mark.xfail(
    strict=True,
    reason="PynamoDB models keep PynamoDB's defaults (15 s connect, 30 s read, 3 retries) and "
    "the other clients allow 4 attempts of 2 s + 5 s: a request whose calls time out answers "
    "long after API Gateway's 29 s",
)
def test_every_api_request_answers_within_api_gateways_29_seconds(matrix: Matrix) -> None:
    # GIVEN the clients the app makes, with the timeouts and retries they are configured with
    container = World.fresh(matrix.client, matrix.base, MONDAY_10AM).container
    _ = container.dynamodb  # binds the models
    models = [m._get_connection().connection.client.meta.config for m in MODELS]
    transactions = container.dynamodb.client.meta.config
    slowest: dict[str, float] = {
        "dynamodb": max(worst_seconds(c) for c in [*models, transactions]),
        "dynamodb.TransactWriteItems": worst_seconds(transactions),
    }
    for service in ("sns", "sesv2", "scheduler"):
        slowest[service] = worst_seconds(container.client(service).meta.config)
    # WHEN every call an HTTP path makes takes as long as it can
    over = {}
    for path in PATHS:
        if not path.http:
            continue
        calls = matrix.clean(path).calls
        total = sum(slowest.get(call, slowest[call.split(".", 1)[0]]) for call in calls)
        if total > API_GATEWAY_SECONDS:
            over[path.name] = f"{total:.0f} s over {len(calls)} calls"
    # THEN the request still answers before API Gateway gives up on it
    assert not over, over


def test_worst_seconds_counts_every_attempt_and_back_off() -> None:
    from botocore.config import Config

    config = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 3})
    assert worst_seconds(config) == 3 * (1 + 2) + 1 + 2


def test_every_group_of_every_path_has_cells(matrix: Matrix) -> None:
    """Reads get the refusals and network faults; writes all four groups. A path whose groups
    came out empty would pass vacuously."""
    for path in PATHS:
        calls = matrix.clean(path).calls
        assert calls, f"{path.name}: no AWS call seen: the fault layer does not reach the app"
        writes = [c for c in calls if c.split(".", 1)[1] in WRITES]
        assert writes, f"{path.name} writes nothing?"
        for group in Group:
            assert plans(path, calls, group), (path.name, group)


def test_the_consumer_path_reaches_every_aws_service_it_uses(matrix: Matrix) -> None:
    services = {call.split(".", 1)[0] for call in matrix.clean(PATHS_BY["outbox_consumer"]).calls}
    assert services == {"dynamodb", "sns", "sesv2", "scheduler"}


PATHS_BY = {path.name: path for path in PATHS}
