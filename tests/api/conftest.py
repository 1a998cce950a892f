"""API tests: HTTP calls through chalice.test.Client, the real adapters on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

import app
from chalicelib import wiring
from chalicelib.domain.clock import FixedClock
from tests.builders import MONDAY_10AM, complaint
from tests.moto_stack import container_on
from tests.openapi_check import ContractClient

REGION = "ap-southeast-1"


@dataclass
class Api:
    client: ContractClient
    container: wiring.Container
    clock: FixedClock

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        raw = body if isinstance(body, str | bytes) else json.dumps(body, ensure_ascii=False)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return self.client.http.post(path, headers=all_headers, body=raw)

    def get(self, path: str, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.http.get(path, headers=headers)

    def file(self, body: dict[str, Any] | None = None, key: str | None = None) -> Any:
        headers = {"Idempotency-Key": key} if key else {}
        return self.post("/v1/complaints", body if body is not None else complaint(), headers)

    def file_with(self, body: dict[str, Any], token: str, key: str | None = None) -> Any:
        """File as a signed-in customer (an SMS session token)."""
        headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
        return self.post("/v1/complaints", body, headers)

    def drain(self) -> int:
        return self.container.outbox.redrive()

    def staff_token(self, role: str = "admin") -> str:
        _, token = self.container.staff.create({"name": f"测试{role}", "role": role})
        return token

    def sms_about(self, case_number: str) -> list[str]:
        messages = sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values()
        return [text for _, text in messages if case_number in text]

    def emails_about(self, case_number: str) -> list[Any]:
        sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        return [m for m in sent if case_number in getattr(m, "subject", "")]


def error_of(response: Any) -> dict[str, Any]:
    """The error object of an API error answer (asserting the format on the way)."""
    body = response.json_body
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    assert response.headers["Content-Type"].startswith("application/json")
    return dict(body["error"])


@pytest.fixture
def api(moto_base: wiring.Container) -> Iterator[Api]:
    clock = FixedClock(MONDAY_10AM)
    # A wait between quick retries of a send moves the test clock instead of sleeping.
    container = container_on(moto_base, clock, pause=clock.advance)
    wiring.use(container)
    try:
        with ContractClient(app.app, stage_name="local") as client:
            yield Api(client, container, clock)
    finally:
        wiring.use(None)


@pytest.fixture
def desk(api: Api) -> Any:
    """Staff, customers and time, driven through the API (tests/api/desk.py)."""
    from tests.api.desk import Desk

    return Desk(api)


@pytest.fixture
def merchants(api: Api) -> Any:
    """The merchant API and the payment webhook, signed with the published helper; the demo
    merchant M100001 is registered (tests/api/merchants.py)."""
    from tests.api.merchants import Merchants

    m = Merchants(api)
    m.register("M100001")
    return m
