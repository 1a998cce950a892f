"""The counters one unverified complaint adds to (chalicelib/domain/intake.py explains the
limits): written in the complaint's own transaction, so they count only what was filed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.contact import Contact
from chalicelib.domain.ids import fingerprint
from chalicelib.domain.intake import IntakeLimits, Window, window_of
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services import keys
from chalicelib.services.changes import KeyCount

# Counters outlive their window a little (TTL deletion is lazy; a late reader finds nothing odd).
_KEEP = timedelta(hours=1)


@dataclass(frozen=True)
class IntakeGate:
    """A complaint's counters: its phone's complaints and, when its acknowledgement would go
    by SMS, that phone's acknowledgement SMS, in the current window."""

    window: Window
    complaints: KeyCount
    sms: KeyCount | None
    limits: IntakeLimits
    # No acknowledgement SMS at all without a session (PAYCASE_INTAKE_SMS_PER_PHONE=0).
    sms_off: bool = False

    def counters(self, *, with_sms: bool) -> list[KeyCount]:
        """The complaints counter first: when both are full, the complaint is refused."""
        sms = [self.sms] if with_sms and self.sms is not None else []
        return [self.complaints, *sms]

    def is_sms(self, key: str) -> bool:
        return self.sms is not None and key == self.sms.key

    def suppression(self, reason: str | None, email: str | None) -> dict[str, Any] | None:
        """What the case's timeline records of an acknowledgement SMS not sent, if it is not."""
        if reason is None:
            return None
        return {
            "reason": reason,
            "by_email": email is not None,
            "limit": self.limits.sms_per_phone,
            "window_hours": int(self.limits.window.total_seconds() // 3600),
            "window_ends": to_rfc3339(self.window.ends_at),
        }


def gate_for(
    contact: Contact, limits: IntakeLimits, now: datetime, proven_phone: str | None
) -> IntakeGate | None:
    """None when nothing limits the complaint: it names no phone, or the phone it names is the
    one its SMS session proved."""
    phone = contact.phone
    if phone is None or phone == proven_phone:
        return None
    window = window_of(now, limits.window)
    who = fingerprint("phone", phone)
    expires = window.ends_at + _KEEP
    complaints = KeyCount(
        keys.intake_complaints_key(who, window.label), limits.complaints_per_phone, expires
    )
    by_sms = "sms" in contact.reachable_channels()
    sms = (
        KeyCount(keys.intake_sms_key(who, window.label), limits.sms_per_phone, expires)
        if by_sms and limits.sms_per_phone > 0
        else None
    )
    return IntakeGate(window, complaints, sms, limits, sms_off=by_sms and sms is None)
