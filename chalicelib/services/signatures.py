"""Signed requests: merchants (HMAC over method, path, time, nonce and body) and the payment
platform's webhook (HMAC over time and body). Any failure is the same 401, saying nothing about
which part failed."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

from chalicelib.domain import limits
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import Unauthorized
from chalicelib.services import keys
from chalicelib.services.changes import Changes, KeyClaim
from chalicelib.services.entities import Merchant
from chalicelib.services.merchants import MerchantService
from chalicelib.services.ports import DeskStore, KeyTaken, MerchantDirectory

TOLERANCE_SECONDS = 300
NONCE_TTL = timedelta(seconds=2 * TOLERANCE_SECONDS)
SECRET_CACHE_SECONDS = 300.0
_NONCE = re.compile(r"[A-Za-z0-9_\-]{{{},{}}}".format(*limits.NONCE))
_HEX = re.compile(r"[0-9a-f]{64}")
# Unix seconds in ASCII digits: str.isdigit() also passes "²", which int() cannot read.
_UNIX = re.compile(r"[0-9]{1,12}")


def canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What a merchant signs: METHOD, PATH, TIMESTAMP, NONCE and the body's SHA-256, each on
    its own line (docs/merchant-api.md, "Signing a request")."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{digest}".encode()


def _refused() -> Unauthorized:
    return Unauthorized("The request signature is not valid.")


class MerchantSignatures:
    def __init__(
        self,
        directory: MerchantDirectory,
        merchants: MerchantService,
        store: DeskStore,
        clock: Clock,
    ) -> None:
        self._directory = directory
        self._merchants = merchants
        self._store = store
        self._clock = clock
        self._merchants_seen: dict[str, tuple[float, Merchant, bytes, bytes | None]] = {}

    def verify(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> SignedRequest:
        """The merchant who signed this request and the claim that spends its nonce;
        Unauthorized for anything else. The nonce is not spent here: a write spends it in its
        own transaction (so a write that failed can be sent again, identically), a read with
        `spend` once it has its answer."""
        merchant_id = headers.get("x-paycase-merchant") or ""
        timestamp = headers.get("x-paycase-timestamp") or ""
        nonce = headers.get("x-paycase-nonce") or ""
        signature = (headers.get("x-paycase-signature") or "").lower()
        now = self._clock.now()
        well_formed = (
            0 < len(merchant_id) <= limits.REFERENCE
            and _UNIX.fullmatch(timestamp) is not None
            and _NONCE.fullmatch(nonce) is not None
            and _HEX.fullmatch(signature) is not None
        )
        if not well_formed or abs(now.timestamp() - int(timestamp)) > TOLERANCE_SECONDS:
            raise _refused()
        message = canonical(method, path, timestamp, nonce, body)
        merchant = self._signer(merchant_id, message, signature, fresh=False)
        if merchant is None:
            # A secret rotated since this container read the merchant works at once too.
            merchant = self._signer(merchant_id, message, signature, fresh=True)
        if merchant is None:
            raise _refused()
        claim = KeyClaim(keys.merchant_nonce_key(merchant_id, nonce), {}, now + NONCE_TTL)
        return SignedRequest(merchant, nonce, claim)

    def _signer(
        self, merchant_id: str, message: bytes, signature: str, *, fresh: bool
    ) -> Merchant | None:
        """The merchant if one of its live secrets (the current one, and for a day after a
        rotation the one it replaced) made `signature`; every secret is compared, in constant
        time, so the answer's timing does not tell which."""
        known = self._known(merchant_id, fresh=fresh)
        if known is None:
            return None
        merchant, secrets_ = known
        matched = False
        for secret in secrets_:
            expected = hmac.new(secret, message, hashlib.sha256).hexdigest()
            matched |= hmac.compare_digest(expected, signature)
        return merchant if matched else None

    def _known(self, merchant_id: str, *, fresh: bool) -> tuple[Merchant, list[bytes]] | None:
        """The merchant and its opened signing secrets, read and opened (a KMS call in AWS) once
        every few minutes per warm container (`fresh`: read again now). The replaced secret's
        24 hours are judged on every call, not when it was cached."""
        cached = self._merchants_seen.get(merchant_id)
        if not fresh and cached and self._seconds() - cached[0] < SECRET_CACHE_SECONDS:
            return cached[1], self._live(cached[1], cached[2], cached[3])
        merchant = self._directory.get(merchant_id)
        if merchant is None:
            return None
        if cached and _same_secrets(cached[1], merchant):
            # Read again after a refusal: the secrets did not change, so no KMS call.
            secret, previous = cached[2], cached[3]
        else:
            secret = self._merchants.secret(merchant)
            previous = self._merchants.previous_secret(merchant)
        self._merchants_seen[merchant_id] = (self._seconds(), merchant, secret, previous)
        return merchant, self._live(merchant, secret, previous)

    def _seconds(self) -> float:
        """The cache's time: the verifier's clock, so a secret's age and its validity are
        judged by the same clock."""
        return self._clock.now().timestamp()

    def _live(self, merchant: Merchant, secret: bytes, previous: bytes | None) -> list[bytes]:
        until = merchant.previous_valid_until
        if previous is None or until is None or self._clock.now() >= until:
            return [secret]
        return [secret, previous]

    def spend(self, signed: SignedRequest) -> None:
        """Spend a read's nonce; Unauthorized when it was spent before (a replayed request)."""
        try:
            self._store.commit(Changes(now=self._clock.now(), claims=[signed.nonce_claim]))
        except KeyTaken:
            raise _refused() from None


def _same_secrets(seen: Merchant, now: Merchant) -> bool:
    return (seen.sealed_secret, seen.previous_sealed_secret) == (
        now.sealed_secret,
        now.previous_sealed_secret,
    )


def refuse_spent_nonce(taken: KeyTaken) -> NoReturn:
    """A write whose nonce was spent by another request: the same 401 as any bad signature."""
    if keys.is_merchant_nonce_key(taken.key):
        raise _refused() from None
    raise taken


@dataclass(frozen=True)
class SignedRequest:
    merchant: Merchant
    nonce: str
    nonce_claim: KeyClaim


class WebhookSignatures:
    def __init__(self, secret: bytes | None, clock: Clock) -> None:
        self._secret = secret
        self._clock = clock

    def verify(self, header: str | None, body: bytes) -> None:
        """`X-PayCase-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`; several
        v1 values are accepted while the secret is being rotated."""
        if not self._secret or not header:
            raise _refused()
        parts = [p.strip().split("=", 1) for p in header.split(",")]
        fields = [(p[0], p[1]) for p in parts if len(p) == 2]
        stamps = [value for key, value in fields if key == "t"]
        signatures = [value.lower() for key, value in fields if key == "v1"]
        if len(stamps) != 1 or not _UNIX.fullmatch(stamps[0]) or not signatures:
            raise _refused()
        if abs(self._clock.now().timestamp() - int(stamps[0])) > TOLERANCE_SECONDS:
            raise _refused()
        signed = stamps[0].encode() + b"." + body
        expected = hmac.new(self._secret, signed, hashlib.sha256).hexdigest()
        if not any(hmac.compare_digest(expected, s) for s in signatures):
            raise _refused()
