"""Who receives a message: the fan-out of an outbox event into one message per recipient and
channel, each under its deterministic id (the exactly-once key)."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.domain import delivery as rules
from chalicelib.domain.case import Case
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import Contact, mask_email, mask_phone
from chalicelib.domain.delivery import NO_EMAIL_VERSION, Notification
from chalicelib.domain.intake import sms_allowed
from chalicelib.domain.outbox import NotifyPayload, OutboxEvent
from chalicelib.domain.receipts import receipt_key
from chalicelib.services.entities import StaffMember
from chalicelib.services.ports import DeskStore, MerchantDirectory, StaffDirectory

log = logging.getLogger(__name__)


class Recipients:
    def __init__(
        self,
        store: DeskStore,
        staff: StaffDirectory,
        merchants: MerchantDirectory,
        clock: Clock,
        sms_countries: tuple[str, ...] = ("86",),
    ) -> None:
        self._sms_countries = sms_countries
        self._store = store
        self._staff = staff
        self._merchants = merchants
        self._clock = clock

    def of(self, event: OutboxEvent) -> list[Notification]:
        """Every message `event` asks for; none when its recipient is gone."""
        audience = event.payload_as(NotifyPayload).audience
        if audience == "customer":
            contact = self._customer(event)
            if contact is None:
                log.warning("notify: case %s not found for %s", event.subject, event.event_id)
                return []
            return self._customer_messages(event, contact)
        if audience == "staff":
            return self._staff_messages(event)
        if audience == "merchant":
            return self._merchant_messages(event)
        log.warning("notify: unknown audience %r (%s)", audience, event.event_id)
        return []

    def fallback_email(self, sms: Notification) -> Notification | None:
        """When an SMS cannot be delivered, the same message goes by email, once: under the id
        of the case's own email for that event, so a customer who also gets email is not sent
        it twice."""
        if sms.event in NO_EMAIL_VERSION or sms.audience != "customer":
            return None
        case = self._store.get_case(sms.case_id)
        if case is None or not case.contact.email:
            return None
        key = sms.notification_id.rsplit(":", 1)[0]
        return Notification(
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

    # -- customers -------------------------------------------------------------------------

    def _customer(self, event: OutboxEvent) -> Contact | None:
        """Named in the event (one-time codes), else the case's contact as it is now (so a
        changed preference counts)."""
        to = event.payload_as(NotifyPayload).to
        if isinstance(to, dict):
            channels = tuple(to.get("channels") or ("sms", "email"))
            return Contact(to.get("phone"), to.get("email"), to.get("language", "zh-CN"), channels)
        case = self._case(event)
        return case.contact if case else None

    def _case(self, event: OutboxEvent) -> Case | None:
        return self._store.get_case(event.subject.id) if event.subject.is_case else None

    def _customer_messages(self, event: OutboxEvent, contact: Contact) -> list[Notification]:
        payload = event.payload_as(NotifyPayload)
        key = payload.key or event.name
        params = {
            **payload.params,
            "phone_masked": mask_phone(contact.phone),
            "email_masked": mask_email(contact.email),
        }
        if payload.sealed:
            params["_sealed"] = payload.sealed
        channels = contact.reachable_channels()
        suppressed = self._sms_suppressed(payload.params, contact)
        if (
            suppressed
            and contact.email
            and "email" not in channels
            and event.name not in (NO_EMAIL_VERSION)
        ):
            channels = (*channels, "email")  # acknowledged by email instead
        out = []
        for channel in channels:
            recipient = contact.phone if channel == "sms" else contact.email
            if recipient is None:
                continue
            masked = mask_phone(recipient) if channel == "sms" else mask_email(recipient)
            message = Notification(
                notification_id=f"{event.subject}:{key}:{channel}",
                case_id=event.subject.key,
                event=event.name,
                channel=channel,
                audience="customer",
                recipient=recipient,
                recipient_masked=masked or "",
                language=contact.language,
                params=params,
                created_at=self._clock.now(),
                receipt_key=receipt_key(channel, recipient),
            )
            if channel == "sms" and suppressed:
                message = rules.suppressed(message, suppressed)
            out.append(message)
        return out

    def _sms_suppressed(self, params: dict[str, Any], contact: Contact) -> str | None:
        """Why this message's SMS must not go, if it must not: the complaint that made it was
        past its phone's intake limit, or the phone is outside the SMS countries (a case
        opened before they changed)."""
        if contact.phone and not sms_allowed(contact.phone, self._sms_countries):
            return rules.OUTSIDE_SMS_COUNTRIES
        reason = params.get("sms_suppressed")
        return str(reason) if reason else None

    # -- staff and merchants ---------------------------------------------------------------

    def _staff_messages(self, event: OutboxEvent) -> list[Notification]:
        """One email per staff member named (by id or role) who has an address and is still
        active (a deactivated member's mailbox gets no case data)."""
        payload = event.payload_as(NotifyPayload)
        to = payload.to or {}
        members: dict[str, StaffMember] = {}
        for staff_id in to.get("staff_ids", []):
            if member := self._staff.get(staff_id):
                members[member.staff_id] = member
        for role in to.get("roles", []):
            members.update({m.staff_id: m for m in self._staff.by_role(role)})
        facts = self._assignee(payload.params)
        return [
            self._office_email(
                event,
                member.staff_id,
                "staff",
                member.email,
                {
                    "staff_name": member.name,
                    "recipient_id": member.staff_id,
                    "recipient_role": member.role,
                    **facts,
                },
            )
            for member in members.values()
            if member.email and member.active
        ]

    def _assignee(self, params: dict[str, Any]) -> dict[str, Any]:
        """The name of the case's assignee, for messages that say whose case it is."""
        assignee_id = params.get("assignee_id")
        if not assignee_id:
            return {}
        member = self._staff.get(str(assignee_id))
        return {"assignee_name": member.name if member else str(assignee_id)}

    def _merchant_messages(self, event: OutboxEvent) -> list[Notification]:
        """An email to the merchant a case or a query concerns."""
        payload = event.payload_as(NotifyPayload)
        merchant_id = (payload.to or {}).get("merchant_id") or payload.params.get("merchant_id")
        if merchant_id is None and (case := self._case(event)):
            merchant_id = case.merchant_id
        merchant = self._merchants.get(merchant_id) if merchant_id else None
        if merchant is None or not merchant.email:
            return []
        named = {"merchant_name": merchant.name}
        return [
            self._office_email(
                event, "merchant", "merchant", merchant.email, named, merchant.language
            )
        ]

    def _office_email(
        self,
        event: OutboxEvent,
        who: str,
        audience: str,
        address: str,
        named: dict[str, Any],
        language: str = "zh-CN",
    ) -> Notification:
        """An email to staff (zh-CN) or a merchant (in its language), one per (event,
        recipient)."""
        payload = event.payload_as(NotifyPayload)
        key = payload.key or event.name
        return Notification(
            notification_id=f"{event.subject}:{key}:email:{who}",
            case_id=event.subject.key,
            event=event.name,
            channel="email",
            audience=audience,
            recipient=address,
            recipient_masked=mask_email(address) or "",
            language=language,
            params={**payload.params, **named},
            created_at=self._clock.now(),
        )
