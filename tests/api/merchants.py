"""Driving the merchant API and the payment-platform webhook, signed with the published helper."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clients.paycase_sign import sign_request, sign_webhook
from tests.api.conftest import Api

_EVENT_IDS = itertools.count(1)


@dataclass
class Merchants:
    api: Api
    secrets: dict[str, str] = field(default_factory=dict)

    def register(
        self, merchant_id: str = "M100001", email: str | None = None, language: str | None = None
    ) -> str:
        body = {
            "merchant_id": merchant_id,
            "name": f"商户 {merchant_id}",
            "email": email or f"finance@{merchant_id.lower()}.example.com",
            "phone": "13900139000",
            **({"language": language} if language else {}),
        }
        _, secret = self.api.container.merchants.register(body)
        self.secrets[merchant_id] = secret
        return secret

    def now(self) -> int:
        """Signatures are judged by real time, whatever the application clock says."""
        return int(time.time())

    def headers(
        self, merchant_id: str, method: str, path: str, raw: bytes, **options: Any
    ) -> dict[str, str]:
        secret = options.pop("secret", None) or self.secrets[merchant_id]
        options.setdefault("timestamp", self.now())
        return sign_request(merchant_id, secret, method, path, raw, **options)

    def send(
        self,
        merchant_id: str,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        signed = headers if headers is not None else self.headers(merchant_id, method, path, raw)
        all_headers = {**signed, "Content-Type": "application/json"} if raw else dict(signed)
        return self.api.client.http.request(method, path, headers=all_headers, body=raw)

    def ask(self, merchant_id: str, **body: Any) -> Any:
        return self.send(merchant_id, "POST", "/v1/merchant/payment-queries", body)

    def get(self, merchant_id: str, path: str) -> Any:
        return self.send(merchant_id, "GET", path)

    # -- the payment platform --------------------------------------------------------------

    def webhook_raw(self, raw: bytes, signature: str | None = None) -> Any:
        secret = self.api.container.settings.webhook_secret
        assert secret is not None
        header = (
            signature if signature is not None else sign_webhook(secret, raw, timestamp=self.now())
        )
        headers = {"Content-Type": "application/json", "X-PayCase-Signature": header}
        return self.api.client.http.post("/v1/webhooks/payment-events", headers=headers, body=raw)

    def event(
        self, kind: str, at: datetime | None = None, event_id: str | None = None, **data: Any
    ) -> Any:
        """Send one payment event; returns the HTTP answer."""
        return self.webhook_raw(
            json.dumps(payment_event(kind, at or self.api.clock.now(), event_id, **data)).encode()
        )


def payment_event(
    kind: str, at: datetime, event_id: str | None = None, **data: Any
) -> dict[str, Any]:
    body = {
        "transaction_id": "TXN-20261123-0001",
        "merchant_id": "M100001",
        "order_id": "ORD-1",
        "amount_fen": 3880,
        "currency": "CNY",
        **data,
    }
    return {
        "id": event_id or f"evt_{next(_EVENT_IDS):06d}",
        "type": kind,
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
        "data": {k: v for k, v in body.items() if v is not None},
    }
