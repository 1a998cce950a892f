"""What comes back from the channels: SMS replies (TD opts out) and SES bounces and complaints
(the address is suppressed). Both arrive through SNS."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from chalicelib.domain.case import Case, Visibility
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import InvalidContact, normalize_phone
from chalicelib.domain.lifecycle import Entry, Step
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services.changes import Changes, KeyClaim
from chalicelib.services.keys import sms_opt_out_key, suppressed_email_key
from chalicelib.services.ports import DeskStore
from chalicelib.services.steps import StepWriter

log = logging.getLogger(__name__)

# Chinese carriers' unsubscribe replies, and the usual English ones.
OPT_OUT_WORDS = frozenset({"TD", "T", "退订", "STOP", "UNSUBSCRIBE"})
OPEN_CASES_PAGE = 50


class Inbound:
    def __init__(self, store: DeskStore, writer: StepWriter, clock: Clock) -> None:
        self._store = store
        self._writer = writer
        self._clock = clock

    def sms_reply(self, message: dict[str, Any]) -> str:
        """An SMS reply as SNS two-way SMS delivers it. "TD" turns SMS off for the phone,
        on its open cases and for any later message, until the customer turns SMS back on
        through a case's preferences."""
        body = str(message.get("messageBody", "")).strip().upper()
        try:
            phone = normalize_phone(str(message.get("originationNumber", "")))
        except InvalidContact:
            log.warning("inbound sms: a reply whose sender cannot be read")
            return "ignored"
        if body not in OPT_OUT_WORDS:
            return "ignored"
        now = self._clock.now()
        value = {"reason": "sms reply", "word": body, "at": to_rfc3339(now)}
        self._store.commit(Changes(now=now, key_puts=[KeyClaim(sms_opt_out_key(phone), value)]))
        cases, _ = self._store.cases_of_contact(phone, OPEN_CASES_PAGE, None)
        for case in cases:
            if case.is_open and not case.contact.sms_opt_out:
                self._writer.apply(case.case_id, _opt_out)
        return "opted_out"

    def ses_event(self, message: dict[str, Any]) -> int:
        """An SES bounce or complaint (configuration-set event or identity notification):
        permanent bounces and complaints suppress the address. Returns how many."""
        kind = message.get("eventType") or message.get("notificationType")
        addresses: list[str] = []
        if kind == "Bounce":
            bounce = message.get("bounce") or {}
            if bounce.get("bounceType") == "Permanent":
                addresses = [r.get("emailAddress", "") for r in bounce.get("bouncedRecipients", [])]
        elif kind == "Complaint":
            complaint = message.get("complaint") or {}
            addresses = [
                r.get("emailAddress", "") for r in complaint.get("complainedRecipients", [])
            ]
        addresses = [a for a in addresses if "@" in a]
        if not addresses:
            return 0
        now = self._clock.now()
        value = {"reason": str(kind).lower(), "at": to_rfc3339(now)}
        puts = [KeyClaim(suppressed_email_key(a), value) for a in addresses]
        self._store.commit(Changes(now=now, key_puts=puts))
        return len(addresses)


def _opt_out(case: Case, now: datetime) -> Step:
    contact = case.contact.with_preferences(sms_opt_out=True)
    entry = Entry(
        "preferences_changed",
        Visibility.INTERNAL,
        "customer",
        "TD",
        {"preferences": contact.masked()},
    )
    return Step(case.evolve(contact=contact), (entry,))
