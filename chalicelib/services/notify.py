"""Delivering the messages an outbox event asks for, exactly once per (case, event, channel).

A message is created once under its deterministic id, then sent under a claim, so repeated
outbox records, stream batches or wake-ups send nothing twice. Messages that cannot go now
(customer SMS in quiet hours, a retry after a transient fault) are held, and the case's one
wake-up schedule is pointed at the earliest of them; when it fires they are released.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.case import OutboxEvent
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import Contact, mask_email, mask_phone
from chalicelib.domain.ids import is_ulid
from chalicelib.domain.quiet import is_urgent, quiet_until
from chalicelib.domain.timefmt import parse_rfc3339
from chalicelib.services.ports import (
    CaseStore,
    DeliveryFailed,
    EmailSender,
    MerchantDirectory,
    Notification,
    NotificationLog,
    SecretBox,
    SmsSender,
    StaffDirectory,
    StaffMember,
)

log = logging.getLogger(__name__)

FINAL = frozenset({"sent", "dead"})
MAX_ATTEMPTS = 5
LEASE_SECONDS = 60
BACKOFF_BASE_SECONDS = 30
NO_EMAIL_VERSION = frozenset({"otp_code"})  # one-time codes go by SMS only
# A message that expires (a one-time code lives 5 minutes) is worth nothing after a back-off of
# minutes: after a transient fault it is tried again after these pauses, in the same call.
QUICK_RETRY_PAUSES = (1.0, 2.0, 4.0)


class Renderer(Protocol):
    def sms(self, event: str, language: str, params: dict[str, Any]) -> str: ...

    def email(self, event: str, language: str, params: dict[str, Any]) -> Any: ...


# Called with (notification, rendered message) after each successful send; the local runner
# prints messages this way.
SentObserver = Callable[[Notification, Any], None]
# Asks a case's wake-up schedule to fire by the given time.
Wake = Callable[[str, datetime], None]
# Waits the given number of seconds (time.sleep; tests move their clock instead).
Pause = Callable[[float], None]


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at one hour."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def _expires_at(n: Notification) -> datetime | None:
    """When the message stops being worth sending, if it ever does."""
    value = n.params.get("expires_at")
    return parse_rfc3339(str(value)) if value else None


def suppressed_email_key(address: str) -> str:
    return f"email-suppressed#{address.lower()}"


def sms_opt_out_key(phone: str) -> str:
    return f"sms-opt-out#{phone}"


class Dispatcher:
    def __init__(
        self,
        store: CaseStore,
        notifications: NotificationLog,
        sms: SmsSender,
        email: EmailSender,
        renderer: Renderer,
        clock: Clock,
        observer: SentObserver | None = None,
        code_box: SecretBox | None = None,
        staff: StaffDirectory | None = None,
        wake: Wake | None = None,
        merchants: MerchantDirectory | None = None,
        pause: Pause | None = None,
    ) -> None:
        self._merchants = merchants
        self._pause = pause or time.sleep
        self._store = store
        self._log = notifications
        self._sms = sms
        self._email = email
        self._renderer = renderer
        self._clock = clock
        self._observer = observer
        self._code_box = code_box
        self._staff = staff
        self._wake = wake

    # -- what an event asks for ------------------------------------------------------------

    def handle(self, event: OutboxEvent) -> bool:
        """Send every message `event` asks for. True when nothing is left to the event: every
        message is final, or held with the case's wake-up pointed at it."""
        audience = str(event.payload.get("audience", "customer"))
        if audience == "customer":
            contact = self._recipient(event)
            if contact is None:
                log.warning("notify: case %s not found for %s", event.case_id, event.event_id)
                return True
            messages = self._messages(event, contact)
        elif audience == "staff":
            messages = self._staff_messages(event)
        elif audience == "merchant":
            messages = self._merchant_messages(event)
        else:
            log.warning("notify: unknown audience %r (%s)", audience, event.event_id)
            return True
        held: list[Notification] = []
        for notification in messages:
            stored = self._log.create(notification)
            if stored.status not in FINAL:
                held += self._unfinished(stored)
        return self._hold(event.case_id, held)

    def release(self, event: OutboxEvent) -> bool:
        """The case's wake-up fired (or staff asked for a resend): send what is due."""
        items, _ = self._log.for_case(event.case_id, 200, None)
        held: list[Notification] = []
        for notification in items:
            if notification.status not in FINAL:
                held += self._unfinished(notification)
        return self._hold(event.case_id, held)

    def _unfinished(self, notification: Notification) -> list[Notification]:
        return [n for n in self._deliver(notification) if n.status not in FINAL]

    def _hold(self, case_id: str, held: list[Notification]) -> bool:
        if not held:
            return True
        due = [n.next_attempt_at for n in held if n.next_attempt_at is not None]
        # Only a case has a wake-up schedule. Messages about anything else (one-time codes,
        # merchant payment queries) leave their event pending, and the outbox sweeper, which
        # takes events a few minutes old, comes back for them.
        if self._wake is None or not due or not is_ulid(case_id):
            return False
        self._wake(case_id, min(due))
        return True

    # -- one attempt -----------------------------------------------------------------------

    def deliver(self, notification: Notification) -> Notification:
        """One attempt under a claim; a message claimed by someone else, or not yet due, is
        left alone. Returns the message as it now stands."""
        return self._deliver(notification)[0]

    def _deliver(self, notification: Notification) -> list[Notification]:
        """One attempt; a message that expires is tried again after short pauses while it
        fails for now."""
        outcomes = self._attempt(notification)
        for pause in QUICK_RETRY_PAUSES:
            last = outcomes[0]
            if last.status != "failed" or _expires_at(last) is None:
                break
            self._pause(pause)
            outcomes = self._attempt(last)
        return outcomes

    def _attempt(self, notification: Notification) -> list[Notification]:
        """The outcome of one attempt, followed by the email sent instead of a dead SMS."""
        now = self._clock.now()
        claimed = self._log.claim(notification.notification_id, now, LEASE_SECONDS)
        if claimed is None:
            return [notification]
        claimed.updated_at = now  # the claim counted this attempt
        try:
            if claimed.attempts > MAX_ATTEMPTS:
                # Every attempt so far ended without an outcome (the sender died mid-send).
                claimed.attempts -= 1  # this claim only gives up
                raise DeliveryFailed(
                    f"gave up: {MAX_ATTEMPTS} attempts ended without an outcome", permanent=True
                )
            expires_at = _expires_at(claimed)
            if expires_at is not None and expires_at <= now:
                raise DeliveryFailed("expired before it could be sent", permanent=True)
            # Checked before quiet hours: an SMS the customer no longer wants is dropped (and
            # its email sent) at once rather than held until morning.
            self._check_reachable(claimed, now)
            hold_until = self._quiet_until(claimed, now)
            if hold_until is not None:
                claimed.attempts -= 1  # held, not attempted
                claimed.status, claimed.next_attempt_at = "deferred", hold_until
                self._log.save_outcome(claimed)
                return [claimed]
            rendered, provider_id = self._send(claimed)
        except DeliveryFailed as failure:
            self._failed(claimed, failure, now)
            self._log.save_outcome(claimed)
            if claimed.status == "dead" and claimed.channel == "sms":
                return [claimed, *self._fall_back_to_email(claimed)]
            return [claimed]
        claimed.status, claimed.sent_at, claimed.provider_id = "sent", now, provider_id
        claimed.last_error = claimed.next_attempt_at = None
        self._log.save_outcome(claimed)
        if self._observer is not None:
            self._observer(claimed, rendered)
        return [claimed]

    @staticmethod
    def _quiet_until(n: Notification, now: datetime) -> datetime | None:
        """Customer SMS waits out quiet hours, except one-time codes and security alerts."""
        if n.channel != "sms" or n.audience != "customer":
            return None
        if is_urgent(n.event, n.params.get("category")):
            return None
        return quiet_until(now)

    def _check_reachable(self, n: Notification, now: datetime) -> None:
        if n.channel == "email" and self._store.get_key(suppressed_email_key(n.recipient)):
            raise DeliveryFailed("the address bounced or complained; suppressed", permanent=True)
        if n.channel != "sms":
            return
        if self._store.get_key(sms_opt_out_key(n.recipient)):
            raise DeliveryFailed("the phone opted out of SMS (TD)", permanent=True)
        # A message made just now was made from the case as it is: only one that waited (quiet
        # hours, a retry) may have been overtaken by a change of preferences.
        waited = n.created_at < now
        if n.audience == "customer" and waited and not self._case_allows_sms(n.case_id):
            raise DeliveryFailed("SMS turned off in the case's preferences", permanent=True)

    def _case_allows_sms(self, case_id: str) -> bool:
        """A customer SMS follows the case's preferences as they are when it goes, not as they
        were when it was queued: one held back by quiet hours or a retry is dropped once the
        customer has turned SMS off. One-time codes have no case and name their phone."""
        if not is_ulid(case_id):
            return True
        case = self._store.get_case(case_id)
        return case is None or "sms" in case.contact.reachable_channels()

    def _fall_back_to_email(self, sms: Notification) -> list[Notification]:
        """When an SMS cannot be delivered, the same message goes by email, once: under the id
        of the case's own email for that event, so a customer who also gets email is not sent
        it twice."""
        if sms.event in NO_EMAIL_VERSION or sms.audience != "customer":
            return []
        case = self._store.get_case(sms.case_id)
        if case is None or not case.contact.email:
            return []
        key = sms.notification_id.rsplit(":", 1)[0]
        fallback = Notification(
            notification_id=f"{key}:email",
            case_id=sms.case_id,
            event=sms.event,
            channel="email",
            audience="customer",
            recipient=case.contact.email,
            recipient_masked=mask_email(case.contact.email) or "",
            language=sms.language,
            params=sms.params,
            created_at=self._clock.now(),
        )
        stored = self._log.create(fallback)
        return self._deliver(stored) if stored.status not in FINAL else []

    def _params(self, n: Notification) -> dict[str, Any]:
        """Template values; a sealed secret (a one-time code) is opened only here."""
        params = {k: v for k, v in n.params.items() if k != "_sealed"}
        sealed = n.params.get("_sealed")
        if sealed and self._code_box is not None:
            params["code"] = self._code_box.open(sealed["code"], sealed["context"]).decode()
        return params

    def _send(self, n: Notification) -> tuple[Any, str]:
        try:
            params = self._params(n)
            if n.channel == "sms":
                text = self._renderer.sms(n.event, n.language, params)
                return text, self._sms.send_sms(n.recipient, text)
            message = self._renderer.email(n.event, n.language, params)
            return message, self._email.send_email(
                n.recipient, message.subject, message.text, message.html
            )
        except DeliveryFailed:
            raise
        except Exception as exc:  # a template bug must not block the rest of the batch
            log.exception("notify: cannot render %s", n.notification_id)
            raise DeliveryFailed(
                f"render failed: {exc.__class__.__name__}", permanent=True
            ) from exc

    def _failed(self, n: Notification, failure: DeliveryFailed, now: datetime) -> None:
        n.last_error = failure.reason[:500]
        if failure.permanent or n.attempts >= MAX_ATTEMPTS:
            n.status, n.next_attempt_at = "dead", None
            log.warning("notify: %s is dead: %s", n.notification_id, failure.reason)
        elif _expires_at(n) is not None:
            n.status, n.next_attempt_at = "failed", now  # no back-off: it is soon worthless
        else:
            n.status, n.next_attempt_at = "failed", now + backoff(n.attempts)

    # -- who -------------------------------------------------------------------------------

    def _merchant_messages(self, event: OutboxEvent) -> list[Notification]:
        """An email to the merchant a case or a query concerns."""
        payload = event.payload
        merchant_id = (payload.get("to") or {}).get("merchant_id") or payload.get("params", {}).get(
            "merchant_id"
        )
        if merchant_id is None and (case := self._store.get_case(event.case_id)):
            merchant_id = case.merchant_id
        merchant = self._merchants.get(merchant_id) if self._merchants and merchant_id else None
        if merchant is None or not merchant.email:
            return []
        named = {"merchant_name": merchant.name}
        return [self._office_email(event, "merchant", "merchant", merchant.email, named)]

    def _recipient(self, event: OutboxEvent) -> Contact | None:
        """Who an event is for: named in the event (one-time codes), else the case's contact
        as it is now (so a changed preference counts)."""
        to = event.payload.get("to")
        if isinstance(to, dict):
            channels = tuple(to.get("channels") or ("sms", "email"))
            return Contact(to.get("phone"), to.get("email"), to.get("language", "zh-CN"), channels)
        case = self._store.get_case(event.case_id)
        return case.contact if case else None

    def _messages(self, event: OutboxEvent, contact: Contact) -> list[Notification]:
        payload = event.payload
        key = str(payload.get("key") or event.name)
        params = {
            **payload.get("params", {}),
            "phone_masked": mask_phone(contact.phone),
            "email_masked": mask_email(contact.email),
        }
        if payload.get("sealed"):
            params["_sealed"] = payload["sealed"]
        out = []
        for channel in contact.reachable_channels():
            recipient = contact.phone if channel == "sms" else contact.email
            if recipient is None:
                continue
            masked = mask_phone(recipient) if channel == "sms" else mask_email(recipient)
            out.append(
                Notification(
                    notification_id=f"{event.case_id}:{key}:{channel}",
                    case_id=event.case_id,
                    event=event.name,
                    channel=channel,
                    audience="customer",
                    recipient=recipient,
                    recipient_masked=masked or "",
                    language=contact.language,
                    params=params,
                    created_at=self._clock.now(),
                )
            )
        return out

    def _staff_messages(self, event: OutboxEvent) -> list[Notification]:
        """One email per staff member named (by id or role) who has an address."""
        to = event.payload.get("to") or {}
        members: dict[str, StaffMember] = {}
        if self._staff is not None:
            for staff_id in to.get("staff_ids", []):
                if member := self._staff.get(staff_id):
                    members[member.staff_id] = member
            for role in to.get("roles", []):
                members.update({m.staff_id: m for m in self._staff.by_role(role)})
        return [
            self._office_email(
                event, member.staff_id, "staff", member.email, {"staff_name": member.name}
            )
            for member in members.values()
            if member.email
        ]

    def _office_email(
        self, event: OutboxEvent, who: str, audience: str, address: str, named: dict[str, Any]
    ) -> Notification:
        """An email to staff or a merchant: always zh-CN, one per (event, recipient)."""
        key = str(event.payload.get("key") or event.name)
        return Notification(
            notification_id=f"{event.case_id}:{key}:email:{who}",
            case_id=event.case_id,
            event=event.name,
            channel="email",
            audience=audience,
            recipient=address,
            recipient_masked=mask_email(address) or "",
            language="zh-CN",
            params={**event.payload.get("params", {}), **named},
            created_at=self._clock.now(),
        )
