"""What a fault cell sends: an HTTP request or a function invocation, built once so that its
retry is the identical request (the same Idempotency-Key; for a signed merchant request the same
signature, timestamp and nonce), and what the caller saw."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from clients.paycase_sign import sign_request, sign_webhook
from tests.api.merchants import payment_event
from tests.faults.world import World

MERCHANT = "M100001"


@dataclass
class Outcome:
    """What the caller saw: an HTTP answer, or a function's result or exception."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    error: str | None = None

    def __str__(self) -> str:
        if self.error:
            return f"raised {self.error}"
        if self.status is None:
            return f"returned {self.body!r}"[:200]
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(error, dict):
            return f"{self.status} {error.get('code')} ({str(error.get('message'))[:80]})"
        return str(self.status)


@dataclass(frozen=True)
class Http:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""

    def send(self, world: World) -> Outcome:
        response = world.client.http.request(
            self.method, self.path, headers=self.headers, body=self.body
        )
        try:
            body = json.loads(response.body) if response.body else None
        except ValueError:
            body = response.body
        headers = {k.lower(): v for k, v in response.headers.items()}
        return Outcome(response.status_code, headers, body)


@dataclass(frozen=True)
class Invoke:
    """A function AWS invokes (stream, Scheduler, SNS, the sweeper's schedule), with a Lambda
    context that has its function's time (chalice's test client gives every function 3 s,
    which the sweeper, keeping 30 s in reserve, would read as no time at all)."""

    function: str
    event: Any
    seconds: int = 240  # the deployed sweeper's timeout; the others have less and need less

    def send(self, world: World) -> Outcome:
        from chalice.local import LambdaContext

        import app

        context = LambdaContext(self.function, 512, max_runtime_ms=self.seconds * 1000)
        try:
            payload = app.app.handler_map[self.function](self.event, context)
        except Exception as exc:
            return Outcome(None, error=f"{exc.__class__.__name__}: {exc}"[:300])
        return Outcome(None, body=payload)


Action = Http | Invoke


KEY = "faults-key-0001"


def as_json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def post(path: str, body: Any, token: str | None = None, method: str = "POST") -> Http:
    headers = {"Content-Type": "application/json", "Idempotency-Key": KEY}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Http(method, path, headers, as_json(body))


def signed(world: World, path: str, body: Any) -> Http:
    raw = as_json(body)
    secret = world.merchants.secrets[MERCHANT]
    headers = sign_request(MERCHANT, secret, "POST", path, raw, timestamp=world.merchants.now())
    headers |= {"Content-Type": "application/json", "Idempotency-Key": KEY}
    return Http("POST", path, headers, raw)


def webhook(world: World, kind: str) -> Http:
    raw = as_json(payment_event(kind, world.clock.now(), event_id="evt_faults_0001"))
    secret = world.container.settings.webhook_secret
    assert secret is not None
    signature = sign_webhook(secret, raw, timestamp=world.merchants.now())
    headers = {"Content-Type": "application/json", "X-PayCase-Signature": signature}
    return Http("POST", "/v1/webhooks/payment-events", headers, raw)


def scheduled_event(world: World) -> dict[str, Any]:
    return world.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
