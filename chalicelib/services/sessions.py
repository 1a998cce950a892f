"""Customer sessions by SMS one-time code: POST /v1/otp, POST /v1/sessions.

Codes are 6 digits, live 5 minutes, allow 5 tries and are stored only as keyed hashes; a phone
may ask for a code once a minute and 5 times an hour. The code travels to the SMS sender through
the outbox sealed, so no store or stream holds it readable.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import limits
from chalicelib.domain import validation as v
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import LANGUAGES, normalize_phone
from chalicelib.domain.errors import RateLimited, Unauthorized, ValidationFailed
from chalicelib.domain.ids import fingerprint, hash_token, new_token, new_ulid
from chalicelib.domain.intake import accepted_numbers, sms_allowed
from chalicelib.domain.outbox import EventKind, NotifyPayload, OutboxEvent, Subject
from chalicelib.domain.timefmt import parse_rfc3339, to_rfc3339
from chalicelib.services import keys
from chalicelib.services.changes import Changes, KeyClaim, KeyCount
from chalicelib.services.idempotency import Once, extra_claims
from chalicelib.services.ports import DeskStore, KeyTaken, LimitReached, SecretBox

CODE_TTL = timedelta(minutes=5)
CODE_TRIES = 5
COOLDOWN = timedelta(seconds=60)
CODES_PER_HOUR = 5
SESSION_TTL = timedelta(hours=12)
SESSION_PREFIX = "ss"


def otp_context(code_id: str) -> dict[str, str]:
    return {"purpose": "one-time-code", "code_id": code_id}


class Sessions:
    def __init__(
        self,
        store: DeskStore,
        clock: Clock,
        key: bytes,
        box: SecretBox,
        sms_countries: tuple[str, ...] = ("86",),
    ) -> None:
        self._sms_countries = sms_countries
        self._store = store
        self._clock = clock
        self._key = key
        self._box = box

    def _phone(self, body: Any, fields: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        problems = v.Problems()
        data = v.require_object(body, problems)
        v.reject_unknown(data, ("phone", *fields), problems)
        v.choice(data, "language", LANGUAGES, problems)
        phone = v.normalized(data, "phone", normalize_phone, problems, max_len=limits.PHONE)
        if phone is None and "phone" not in problems.fields:
            problems.add("phone", "is required")
        if phone is not None and not sms_allowed(phone, self._sms_countries):
            problems.add(
                "phone",
                f"codes go by SMS only to {accepted_numbers(self._sms_countries)} mobile numbers",
            )
        if problems or phone is None:
            raise ValidationFailed(problems.fields)
        return phone, dict(data)

    def _code_hash(self, phone: str, code: str) -> str:
        return hmac.new(self._key, f"otp:{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    def request_code(self, body: Any, once: Once | None = None) -> dict[str, Any]:
        """Send a code by SMS. The answer is the same whether or not the phone has cases."""
        phone, data = self._phone(body, ("language",))
        language = str(data.get("language") or "zh-CN")
        now = self._clock.now()
        who = fingerprint("phone", phone)
        code_id = new_ulid(now)
        code = f"{secrets.randbelow(10**6):06d}"
        record = {
            "code_id": code_id,
            "code_hash": self._code_hash(phone, code),
            "expires_at": to_rfc3339(now + CODE_TTL),
        }
        sealed = self._box.seal(code.encode(), otp_context(code_id))
        event = OutboxEvent(
            subject=Subject.phone(who),
            event_id=f"{code_id}:notify:otp_code",
            kind=EventKind.NOTIFY,
            name="otp_code",
            payload=NotifyPayload(
                audience="customer",
                key=f"otp_code@{code_id}",
                to={"phone": phone, "language": language, "channels": ["sms"]},
                params={
                    "expires_minutes": int(CODE_TTL.total_seconds() // 60),
                    # Past this the code is not sent at all (the dispatcher drops it).
                    "expires_at": to_rfc3339(now + CODE_TTL),
                },
                sealed={"code": sealed, "context": otp_context(code_id)},
            ),
            created_at=now,
        )
        hour = now.strftime("%Y%m%d%H")
        answer = {"sent": True, "expires_in": int(CODE_TTL.total_seconds())}
        changes = Changes(
            now=now,
            claims=[
                KeyClaim(keys.otp_cooldown_key(who), {}, now + COOLDOWN),
                *extra_claims(once, answer, now),
            ],
            key_puts=[KeyClaim(keys.otp_code_key(who), record, now + CODE_TTL)],
            counters=[
                KeyCount(keys.otp_rate_key(who, hour), CODES_PER_HOUR, now + timedelta(hours=2))
            ],
            events=[event],
        )
        try:
            self._store.commit(changes)
        except KeyTaken as taken:
            if once is not None and taken.key == once.key:
                raise
            raise RateLimited("Too many codes requested for this phone; try again later.") from None
        except LimitReached:
            raise RateLimited("Too many codes requested for this phone; try again later.") from None
        return answer

    def open(self, body: Any, once: Once | None = None) -> dict[str, Any]:
        """Trade a valid code for a session token (shown once, stored as a hash)."""
        phone, data = self._phone(body, ("code",))
        code = data.get("code")
        if not isinstance(code, str) or not (len(code) == 6 and code.isdigit()):
            raise ValidationFailed({"code": "must be the 6-digit code from the SMS"})
        who = fingerprint("phone", phone)
        now = self._clock.now()
        record = _live(self._store.get_key(keys.otp_code_key(who)), now)
        expired = Unauthorized("The code is wrong or has expired; request a new one.")
        if not record:
            raise expired
        code_id = str(record["code_id"])
        try:
            self._store.commit(
                Changes(
                    now=now,
                    counters=[KeyCount(keys.otp_tries_key(code_id), CODE_TRIES, now + CODE_TTL)],
                )
            )
        except LimitReached:
            raise expired from None
        if not hmac.compare_digest(str(record["code_hash"]), self._code_hash(phone, code)):
            raise expired
        token = new_token(SESSION_PREFIX)
        expires = now + SESSION_TTL
        answer = {"token": token, "expires_at": to_rfc3339(expires)}
        changes = Changes(
            now=now,
            claims=[
                KeyClaim(keys.otp_used_key(code_id), {}, now + CODE_TTL),
                *extra_claims(once, answer, now),
            ],
            releases=[keys.otp_code_key(who)],
            key_puts=[
                KeyClaim(
                    keys.session_key(hash_token(token)),
                    {"phone": phone, "expires_at": to_rfc3339(expires)},
                    expires,
                )
            ],
        )
        try:
            self._store.commit(changes)
        except KeyTaken as taken:
            if once is not None and taken.key == once.key:
                raise
            raise expired from None  # the code was just used
        return answer

    def phone_of(self, token: str, now: datetime) -> str | None:
        """The phone of a live session token, or None."""
        if not token.startswith(SESSION_PREFIX + "_"):
            return None
        record = _live(self._store.get_key(keys.session_key(hash_token(token))), now)
        return str(record["phone"]) if record else None


def _live(record: dict[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    """A stored record unless its time ran out (DynamoDB's TTL deletes only eventually)."""
    if not record or parse_rfc3339(str(record.get("expires_at"))) <= now:
        return None
    return record
