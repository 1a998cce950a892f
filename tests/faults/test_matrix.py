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

- refused: the call is answered with the service's throttling error or a 500, in turn, until
  faults go off.
- unreached: the request never lands: a read timeout, a connection error or a connect timeout,
  in turn.
- lost_answer (writes only): every attempt is applied and its answer lost until faults go off.
- lost_answer_once (writes only): the first attempt is applied and its answer lost; botocore's
  retry is answered.

"A fault until faults go off" starts at the n-th call of that operation and hits every later call
of it in the request too (an outage that begins there). Which kind a call gets in turn depends
on its position and the path, so every kind meets every operation somewhere in the matrix.
Sampling where the matrix explodes: the outbox consumer takes every third call as a position
and the sweeper every twelfth (its delivery work is the consumer's, covered there), always keeping
an operation they make only once. A cell whose faulted request left moto exactly as it was and
whose retry then succeeded is, from there, the clean run itself, so its drain is not repeated
(matrix.py: `as_clean`).

A group that fails on the code as it is would be marked xfail(strict=True) with the behaviour
that is missing (EXPECTED below), so that the mark turns into a failure as soon as the behaviour
is there; today every group passes.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import Any

import pytest

from chalicelib.adapters.deadlines import REQUEST_SECONDS
from chalicelib.adapters.dynamo.models import MODELS
from tests.builders import MONDAY_10AM
from tests.faults.deadlines import call_seconds, request_seconds
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


def kinds(group: Group, write: bool, turn: int) -> list[tuple[Kind, int | None]]:
    """The fault one call gets in a group: (kind, attempts it lasts; None until faults go off).
    Refusals and network faults take turns, so that each kind meets each operation somewhere."""
    if group in (Group.LOST, Group.LOST_ONCE):
        return [(Kind.LOST_ANSWER, 1 if group is Group.LOST_ONCE else None)] if write else []
    choices = REFUSALS if group is Group.REFUSED else NETWORK
    return [(choices[turn % len(choices)], None)]


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
        for kind, times in kinds(group, operation in WRITES, i + spread):
            out.append(Plan(kind, service, operation, seen[name], times))
    return out


# -- what the code does not do yet ---------------------------------------------------------------

# (path, group) -> the behaviour that is missing, for a group that fails on the code as it is:
# marked xfail(strict=True), so it turns into a failure the moment the behaviour is there and the
# entry must go. Every group passes today.
EXPECTED: dict[tuple[str, str], str] = {}


def cell(path: Path, group: str) -> Any:
    reason = EXPECTED.get((path.name, group))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
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


def test_every_api_request_answers_within_api_gateways_29_seconds(matrix: Matrix) -> None:
    # GIVEN the clients the app makes, with the timeouts and retries they are configured with
    container = World.fresh(matrix.client, matrix.base, MONDAY_10AM).container
    _ = container.dynamodb  # binds the models
    models = [m._get_connection().connection.client.meta.config for m in MODELS]
    slowest_model = max(models, key=lambda c: call_seconds(c, "dynamodb", succeeds=False))
    configs: dict[str, Any] = {
        "dynamodb": slowest_model,
        "dynamodb.TransactWriteItems": container.dynamodb.client.meta.config,
    }
    for service in ("sns", "sesv2", "scheduler"):
        configs[service] = container.client(service).meta.config
    # WHEN every call an HTTP path makes is as slow as its client lets it be
    over = {}
    for path in PATHS:
        calls = matrix.clean(path).calls
        seconds = request_seconds(calls, configs, deadline=REQUEST_SECONDS)
        if path.http and seconds > API_GATEWAY_SECONDS:
            over[path.name] = f"{seconds:.0f} s over {len(calls)} calls"
    # THEN the request still answers before API Gateway gives up on it
    assert not over, over


def test_a_request_deadline_bounds_many_slow_calls() -> None:
    from botocore.config import Config

    config = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 3})
    calls = ["dynamodb.GetItem"] * 10
    # without a deadline ten slow calls add up to far more than 29 s
    assert request_seconds(calls, {"dynamodb": config}) > 70
    # with one, the request ends by the deadline plus one attempt under way (1 s + 2 s)
    assert request_seconds(calls, {"dynamodb": config}, deadline=24.0) == 27.0


def test_a_call_that_keeps_timing_out_waits_out_every_attempt() -> None:
    from botocore.config import Config

    config = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 3})
    # two attempts of 3 s with their short back-offs, then 3 s more
    assert call_seconds(config, "dynamodb", succeeds=False) == 3.025 + 3.05 + 3
    # three calls: two answered on their last attempt (2 s), the third failing
    assert request_seconds(["dynamodb.GetItem"] * 3, {"dynamodb": config}) == (
        2 * (3.025 + 3.05 + 2) + 3.025 + 3.05 + 3
    )


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
