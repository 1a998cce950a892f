"""Merchant accounts: registration by an admin, signing secrets sealed at rest."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from chalicelib.domain import limits
from chalicelib.domain import validation as v
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import LANGUAGES, normalize_email, normalize_phone
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.ids import new_ulid
from chalicelib.domain.outbox import Subject
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services import audit, events, keys
from chalicelib.services.changes import Changes, SecretRotation
from chalicelib.services.entities import Merchant, StaffMember
from chalicelib.services.idempotency import Once, extra_claims
from chalicelib.services.ports import DeskStore, KeyTaken, MerchantDirectory, SecretBox

MERCHANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{2,63}")
SECRET_PREFIX = "msk"  # noqa: S105 - a prefix, not a secret
# After a rotation the replaced secret keeps signing for this long, so a merchant can roll the
# new one out without a window of refused requests.
PREVIOUS_SECRET_GRACE = timedelta(hours=24)


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


def _new_secret() -> str:
    return f"{SECRET_PREFIX}_{secrets.token_urlsafe(32)}"


class MerchantService:
    def __init__(
        self,
        store: DeskStore,
        box: SecretBox,
        clock: Clock,
        directory: MerchantDirectory | None = None,
        signing_clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._box = box
        self._clock = clock
        self._directory = directory
        # Signatures are judged by real time (the local stage's test clock may be moved), so a
        # replaced secret's 24 hours are counted on the verifier's clock.
        self._signing_clock = signing_clock or clock

    def register(
        self, body: Any, once: Once | None = None, actor: str = "system"
    ) -> tuple[Merchant, str]:
        """A new merchant and its signing secret; the secret is shown once. With `once`, the
        answer is stored with the merchant, in the same transaction; the audit trail records
        who registered it (`actor`)."""
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
        secret = _new_secret()
        sealed = self._box.seal(secret.encode(), secret_context(merchant_id))
        now = self._clock.now()
        merchant = Merchant(merchant_id, name, email, phone, sealed, now, language or "zh-CN")
        claims = extra_claims(once, present_new_merchant(merchant, secret), now)
        changes = Changes(now=now, merchants=[merchant], claims=claims)
        audit.record(changes, actor, "merchant_registered", target=merchant_id)
        try:
            self._store.commit(changes)
        except KeyTaken as taken:
            if taken.key != keys.merchant_key(merchant_id):
                raise
            raise ValidationFailed({"merchant_id": "is already registered"}) from None
        return merchant, secret

    def secret(self, merchant: Merchant) -> bytes:
        return self._box.open(merchant.sealed_secret, secret_context(merchant.merchant_id))

    def previous_secret(self, merchant: Merchant) -> bytes | None:
        """The secret a rotation replaced (None if none was); whether it may still sign is for
        the verifier to judge, by `merchant.previous_valid_until`."""
        if merchant.previous_sealed_secret is None:
            return None
        context = secret_context(merchant.merchant_id)
        return self._box.open(merchant.previous_sealed_secret, context)

    def rotate_secret(
        self, admin: StaffMember, merchant_id: str, once: Once | None = None
    ) -> dict[str, Any]:
        """A new signing secret, shown once, which works at once; the one it replaces keeps
        working for PREVIOUS_SECRET_GRACE (a secret replaced before is dropped now). The
        merchant is emailed that it happened (who, when, until when the old one works), never
        the secret; the audit trail records it. All in one transaction."""
        if self._directory is None:  # pragma: no cover - wiring always gives one
            raise RuntimeError("rotating a secret needs the merchant directory")
        merchant = self._directory.get(merchant_id) if MERCHANT_ID.fullmatch(merchant_id) else None
        if merchant is None:
            raise NotFound("No such merchant.")
        now = self._clock.now()
        rotated_at = self._signing_clock.now()
        until = rotated_at + PREVIOUS_SECRET_GRACE
        secret = _new_secret()
        rotated = replace(
            merchant,
            sealed_secret=self._box.seal(secret.encode(), secret_context(merchant_id)),
            previous_sealed_secret=merchant.sealed_secret,
            previous_valid_until=until,
        )
        answer = {
            "merchant_id": merchant_id,
            "secret": secret,
            "previous_valid_until": to_rfc3339(until),
        }
        rotation_id = new_ulid(now)
        params = {
            "merchant_id": merchant_id,
            "rotated_at": to_rfc3339(rotated_at),
            "rotated_by": admin.name,
            "previous_valid_until": to_rfc3339(until),
        }
        notice = events.notify_merchant(
            merchant_id,
            Subject.merchant(merchant_id),
            "merchant_secret_rotated",
            params,
            now,
            key=f"secret-rotation-{rotation_id}",
        )
        changes = Changes(
            now=now,
            merchant_secrets=[SecretRotation(rotated, merchant.sealed_secret)],
            events=[notice],
            claims=extra_claims(once, answer, now),
        )
        detail = {"previous_valid_until": to_rfc3339(until)}
        audit.record(changes, admin.staff_id, "secret_rotated", target=merchant_id, detail=detail)
        self._store.commit(changes)
        return answer
