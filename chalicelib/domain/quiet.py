"""Quiet hours for customer SMS: 21:00-08:00 Asia/Shanghai, held until 08:00."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from .timefmt import SHANGHAI

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)
# Messages that go out at any hour: one-time codes, and anything about a suspected fraud,
# which the customer must be able to act on at once.
URGENT_EVENTS = frozenset({"otp_code"})
URGENT_CATEGORIES = frozenset({"security_fraud"})


def quiet_until(now: datetime) -> datetime | None:
    """When quiet hours end, if `now` is inside them; None otherwise."""
    local = now.astimezone(SHANGHAI)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return None
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=SHANGHAI).astimezone(now.tzinfo)


def is_urgent(event: str, category: str | None) -> bool:
    return event in URGENT_EVENTS or (category is not None and category in URGENT_CATEGORIES)
