"""Quiet hours for customer SMS: 21:00-08:00 Asia/Shanghai, held until 08:00."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from .timefmt import SHANGHAI

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)
# Messages that go out at any hour: one-time codes, and security alerts, which the customer
# must be able to act on at once. On a suspected-fraud case the acknowledgement is the security
# alert; its later messages (updates, reminders, the survey) wait for morning like any other.
URGENT_EVENTS = frozenset({"otp_code"})
SECURITY_ALERTS = {"security_fraud": frozenset({"case_received"})}


def quiet_until(now: datetime) -> datetime | None:
    """When quiet hours end, if `now` is inside them; None otherwise."""
    local = now.astimezone(SHANGHAI)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return None
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=SHANGHAI).astimezone(now.tzinfo)


def is_urgent(event: str, category: str | None) -> bool:
    """Whether a customer SMS for `event` on a case of `category` ignores quiet hours."""
    return event in URGENT_EVENTS or event in SECURITY_ALERTS.get(category or "", frozenset())
