"""AWS requests made by one complaint POST, counted on every botocore client in play."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from chalice.test import Client

from chalicelib import wiring
from chalicelib.adapters.dynamo.models import MODELS
from chalicelib.settings import Settings
from devstack.bootstrap import provision
from tests.builders import complaint

GOAL_CALLS = 1


class RequestCounter:
    """Counts the HTTP requests botocore sends (retries included), by operation."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-send", self._count)

    def _count(self, request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        name = target.decode() if isinstance(target, bytes) else str(target)
        self.sent[name.rsplit(".", 1)[-1] or request.url] += 1


@contextmanager
def counted(container: wiring.Container) -> Iterator[RequestCounter]:
    counter = RequestCounter()
    counter.attach(container.dynamodb.client)
    for model in MODELS:
        counter.attach(model._get_connection().connection.client)
    for service in ("scheduler", "sns", "sesv2"):
        counter.attach(container.client(service))
    yield counter


def run(dynamodb_endpoint: str, aws_endpoint: str) -> dict[str, float]:
    import app

    settings = replace(
        Settings.from_env(),
        dynamodb_endpoint=dynamodb_endpoint,
        aws_endpoint=aws_endpoint,
        table_prefix="paycase-bench-",
    )
    container = wiring.Container(settings)
    provision(container)
    wiring.use(container)
    headers = {"Content-Type": "application/json", "Idempotency-Key": "bench-aws-calls"}
    body = json.dumps(complaint(payment={"transaction_id": "BENCH-1", "amount_fen": 100}))
    with Client(app.app, stage_name="local") as client:
        # A first request warms lazily built clients; the measured one is a fresh complaint.
        client.http.post(
            "/v1/complaints",
            headers={**headers, "Idempotency-Key": "warm"},
            body=json.dumps(complaint(payment=None)),
        )
        with counted(container) as counter:
            response = client.http.post("/v1/complaints", headers=headers, body=body)
    wiring.use(None)
    assert response.status_code == 201, response.body
    calls = sum(counter.sent.values())
    verdict = "meets" if calls <= GOAL_CALLS else "MISSES"
    print(
        f"complaint POST: {calls} AWS request(s) {dict(counter.sent)} "
        f"({verdict} the goal of {GOAL_CALLS}); on DynamoDB Local"
    )
    return {"complaint_post_aws_calls": calls}
