"""Merchant accounts: registration by an admin, signing secrets sealed at rest."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from chalicelib.domain import limits
from chalicelib.domain import validation as v
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import LANGUAGES, normalize_email, normalize_phone
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import keys
from chalicelib.services.changes import Changes
from chalicelib.services.entities import Merchant
from chalicelib.services.idempotency import Once, extra_claims
from chalicelib.services.ports import DeskStore, KeyTaken, SecretBox

MERCHANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{2,63}")
SECRET_PREFIX = "msk"  # noqa: S105 - a prefix, not a secret


def secret_context(merchant_id: str) -> dict[str, str]:
    return {"purpose": "merchant-signing-secret", "merchant_id": merchant_id}


def present_new_merchant(merchant: Merchant, secret: str) -> dict[str, Any]:
    """The answer to registering a merchant: the only time its secret is shown."""
    return {
        "merchant_id": merchant.merchant_id,
        "name": merchant.name,
        "email": merchant.email,
        "phone": merchant.phone,
        "language": merchant.language,
        "secret": secret,
    }


class MerchantService:
    def __init__(self, store: DeskStore, box: SecretBox, clock: Clock) -> None:
        self._store = store
        self._box = box
        self._clock = clock

    def register(self, body: Any, once: Once | None = None) -> tuple[Merchant, str]:
        """A new merchant and its signing secret; the secret is shown once. With `once`, the
        answer is stored with the merchant, in the same transaction."""
        problems = v.Problems()
        data: Mapping[str, Any] = v.require_object(body, problems)
        v.reject_unknown(data, ("merchant_id", "name", "email", "phone", "language"), problems)
        merchant_id = v.text(
            data,
            "merchant_id",
            problems,
            required=True,
            max_len=limits.REFERENCE,
            pattern=MERCHANT_ID,
        )
        name = v.text(data, "name", problems, required=True, max_len=limits.MERCHANT_NAME)
        email = v.normalized(data, "email", normalize_email, problems)
        phone = v.normalized(data, "phone", normalize_phone, problems, max_len=limits.PHONE)
        language = v.choice(data, "language", LANGUAGES, problems, default="zh-CN")
        if email is None and "email" not in problems.fields:
            problems.add("email", "is required: query answers and cases reach merchants by email")
        if problems or not (merchant_id and name):
            raise ValidationFailed(problems.fields)
        secret = f"{SECRET_PREFIX}_{secrets.token_urlsafe(32)}"
        sealed = self._box.seal(secret.encode(), secret_context(merchant_id))
        now = self._clock.now()
        merchant = Merchant(merchant_id, name, email, phone, sealed, now, language or "zh-CN")
        claims = extra_claims(once, present_new_merchant(merchant, secret), now)
        try:
            self._store.commit(Changes(now=now, merchants=[merchant], claims=claims))
        except KeyTaken as taken:
            if taken.key != keys.merchant_key(merchant_id):
                raise
            raise ValidationFailed({"merchant_id": "is already registered"}) from None
        return merchant, secret

    def secret(self, merchant: Merchant) -> bytes:
        return self._box.open(merchant.sealed_secret, secret_context(merchant.merchant_id))
