"""Delivering the messages an outbox event asks for, exactly once per (case, event, channel)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.case import OutboxEvent
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import Contact, mask_email, mask_phone
from chalicelib.services.ports import (
    CaseStore,
    DeliveryFailed,
    EmailSender,
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


class Renderer(Protocol):
    def sms(self, event: str, language: str, params: dict[str, Any]) -> str: ...

    def email(self, event: str, language: str, params: dict[str, Any]) -> Any: ...


# Called with (notification, rendered message) after each successful send; the local runner
# prints messages this way.
SentObserver = Callable[[Notification, Any], None]


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at one hour."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600))


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
    ) -> None:
        self._code_box = code_box
        self._staff = staff
        self._store = store
        self._log = notifications
        self._sms = sms
        self._email = email
        self._renderer = renderer
        self._clock = clock
        self._observer = observer

    def handle(self, event: OutboxEvent) -> bool:
        """Send every message `event` asks for. True when all of them are final (sent or
        dead), so the event is done; False leaves it pending for a later retry."""
        audience = str(event.payload.get("audience", "customer"))
        if audience == "customer":
            contact = self._recipient(event)
            if contact is None:
                log.warning("notify: case %s not found for %s", event.case_id, event.event_id)
                return True
            messages = self._messages(event, contact)
        elif audience == "staff":
            messages = self._staff_messages(event)
        else:
            return True  # merchants are told through their own channel (payment queries)
        done = True
        for notification in messages:
            stored = self._log.create(notification)
            if stored.status in FINAL:
                continue
            outcome = self.deliver(stored)
            done = done and outcome.status in FINAL
        return done

    def deliver(self, notification: Notification) -> Notification:
        """One attempt under a claim; a message claimed by someone else is left alone."""
        now = self._clock.now()
        claimed = self._log.claim(notification.notification_id, now, LEASE_SECONDS)
        if claimed is None:
            return notification
        claimed.attempts += 1
        claimed.updated_at = now
        claimed.lease_until = None
        try:
            rendered, provider_id = self._send(claimed)
        except DeliveryFailed as failure:
            self._failed(claimed, failure, now)
        else:
            claimed.status, claimed.sent_at, claimed.provider_id = "sent", now, provider_id
            claimed.last_error = claimed.next_attempt_at = None
            self._log.save_outcome(claimed)
            if self._observer is not None:
                self._observer(claimed, rendered)
            return claimed
        self._log.save_outcome(claimed)
        return claimed

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
        key = str(event.payload.get("key") or event.name)
        now = self._clock.now()
        return [
            Notification(
                notification_id=f"{event.case_id}:{key}:email:{member.staff_id}",
                case_id=event.case_id,
                event=event.name,
                channel="email",
                audience="staff",
                recipient=member.email,
                recipient_masked=mask_email(member.email) or "",
                language="zh-CN",
                params={**event.payload.get("params", {}), "staff_name": member.name},
                created_at=now,
            )
            for member in members.values()
            if member.email
        ]

    def _recipient(self, event: OutboxEvent) -> Contact | None:
        """Who an event is for: named in the event (one-time codes), else the case's contact
        as it is now (so a changed preference counts)."""
        to = event.payload.get("to")
        if isinstance(to, dict):
            channels = tuple(to.get("channels") or ("sms", "email"))
            return Contact(to.get("phone"), to.get("email"), to.get("language", "zh-CN"), channels)
        case = self._store.get_case(event.case_id)
        return case.contact if case else None

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
        else:
            n.status, n.next_attempt_at = "failed", now + backoff(n.attempts)

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
            assert recipient is not None  # noqa: S101 - reachable_channels guarantees it
            masked = mask_phone(recipient) if channel == "sms" else mask_email(recipient)
            out.append(
                Notification(
                    notification_id=f"{event.case_id}:{key}:{channel}",
                    case_id=event.case_id,
                    event=event.name,
                    channel=channel,
                    audience=str(payload.get("audience", "customer")),
                    recipient=recipient,
                    recipient_masked=masked or "",
                    language=contact.language,
                    params=params,
                    created_at=self._clock.now(),
                )
            )
        return out
