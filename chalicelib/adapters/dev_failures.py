"""The local stack's switch for trying "send again": the next SMS or email to an address that
`POST /v1/dev/fail-next-send` marked fails, once, as a bounce would (the message ends `dead`,
and `POST /v1/admin/notifications/{id}/retry` sends it again). Never wired outside the local
stack."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.services.changes import Changes, KeyClaim
from chalicelib.services.ports import DeliveryFailed

if TYPE_CHECKING:
    from chalicelib.domain.clock import Clock
    from chalicelib.services.ports import DeskStore, EmailSender, SmsSender

# A mark nobody used is forgotten after a day.
MARK_TTL = timedelta(days=1)


def fail_next_key(address: str) -> str:
    return f"dev-fail-next#{address.lower()}"


def mark(store: DeskStore, address: str, now: datetime) -> None:
    """Make the next send to `address` (a normalised phone or email) fail."""
    claim = KeyClaim(fail_next_key(address), {"address": address}, now + MARK_TTL)
    store.commit(Changes(now=now, key_puts=[claim]))


class FailNextSend:
    """Wraps the SMS and email senders: a send to a marked address uses the mark up and fails
    permanently; every other send goes through untouched."""

    def __init__(
        self, sms: SmsSender | None, email: EmailSender | None, store: DeskStore, clock: Clock
    ) -> None:
        self._sms = sms
        self._email = email
        self._store = store
        self._clock = clock

    def send_sms(self, phone: str, text: str) -> str:
        self._check(phone)
        assert self._sms is not None  # noqa: S101 - wired as the SMS sender only with one
        return self._sms.send_sms(phone, text)

    def send_email(self, to: str, subject: str, text: str, html: str, *, reference: str) -> str:
        self._check(to)
        assert self._email is not None  # noqa: S101 - wired as the email sender only with one
        return self._email.send_email(to, subject, text, html, reference=reference)

    def _check(self, address: str) -> None:
        key = fail_next_key(address)
        if self._store.get_key(key) is None:
            return
        self._store.commit(Changes(now=self._clock.now(), releases=[key]))
        raise DeliveryFailed("failed on purpose by the local fail-next-send switch", permanent=True)
