"""Complaint categories and their default SLA targets (docs/domain.md, "Categories and SLA
figures")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from .calendar import WorkingCalendar


class Category(StrEnum):
    PAYMENT_ANOMALY = "payment_anomaly"
    REFUND_DELAY = "refund_delay"
    TOP_UP_WITHDRAWAL = "top_up_withdrawal"
    ACCOUNT_ACCESS = "account_access"
    SECURITY_FRAUD = "security_fraud"
    REPAYMENT_NEGOTIATION = "repayment_negotiation"
    MERCHANT_SETTLEMENT = "merchant_settlement"
    OTHER = "other"


@dataclass(frozen=True)
class Target:
    """A target in whole working days (ends 18:00) or in business hours."""

    days: int = 0
    hours: float = 0

    def __post_init__(self) -> None:
        if (self.days > 0) == (self.hours > 0):
            raise ValueError("a target is either working days or business hours")

    def due(self, calendar: WorkingCalendar, start: datetime) -> datetime:
        return calendar.business_deadline(start, days=self.days, hours=self.hours)

    def to_dict(self) -> dict[str, float]:
        return {"days": self.days} if self.days else {"hours": self.hours}


@dataclass(frozen=True)
class SlaPolicy:
    category: Category
    first_response: Target
    resolution: Target
    version: int = 1


DEFAULT_POLICIES: dict[Category, SlaPolicy] = {
    policy.category: policy
    for policy in (
        SlaPolicy(Category.PAYMENT_ANOMALY, Target(days=1), Target(days=2)),
        SlaPolicy(Category.REFUND_DELAY, Target(days=1), Target(days=5)),
        SlaPolicy(Category.TOP_UP_WITHDRAWAL, Target(days=1), Target(days=3)),
        SlaPolicy(Category.ACCOUNT_ACCESS, Target(days=1), Target(days=3)),
        SlaPolicy(Category.SECURITY_FRAUD, Target(hours=4), Target(days=5)),
        SlaPolicy(Category.REPAYMENT_NEGOTIATION, Target(days=3), Target(days=15)),
        SlaPolicy(Category.MERCHANT_SETTLEMENT, Target(days=1), Target(days=2)),
        SlaPolicy(Category.OTHER, Target(days=1), Target(days=10)),
    )
}

# Outer limit in calendar days (configurable; needs legal confirmation before production).
REGULATORY_DAYS = 15
REGULATORY_MAX_DAYS = 30


@dataclass(frozen=True)
class Deadlines:
    first_response_due: datetime
    resolution_due: datetime
    regulatory_due: datetime
    provisional: bool


def regulatory_due(calendar: WorkingCalendar, start: datetime, days: int) -> datetime:
    """End of the `days`-th calendar day after `start`'s local date (midnight Asia/Shanghai)."""
    local_day = start.astimezone(calendar.tz).date() + timedelta(days=days + 1)
    return datetime.combine(local_day, time(0), tzinfo=calendar.tz).astimezone(start.tzinfo)


def within_limit(
    calendar: WorkingCalendar, start: datetime, due: datetime, limit: datetime
) -> datetime:
    """`due`, or, when it falls after the outer `limit`, the end of the working time left
    before the limit (18:00 on the last working day before it): a working-time target never
    promises a date past the outer limit."""
    if due <= limit:
        return due
    capped = calendar.add_working_time(start, calendar.working_seconds_between(start, limit))
    return min(capped, limit)


def compute_deadlines(
    policy: SlaPolicy,
    submitted_at: datetime,
    calendar: WorkingCalendar,
    regulatory_days: int = REGULATORY_DAYS,
) -> Deadlines:
    """The deadlines a case of `policy`'s category submitted at `submitted_at` receives. The
    resolution target never falls after the outer limit: where the category's target would
    (15 working days of repayment negotiation against 15 calendar days), the last working
    moment before the limit is the target."""
    first = policy.first_response.due(calendar, submitted_at)
    outer = regulatory_due(calendar, submitted_at, regulatory_days)
    resolution = within_limit(
        calendar, submitted_at, policy.resolution.due(calendar, submitted_at), outer
    )
    return Deadlines(
        first_response_due=first,
        resolution_due=resolution,
        regulatory_due=outer,
        # The outer limit counts calendar days, which no holiday notice can move.
        provisional=calendar.spans_provisional(submitted_at, resolution),
    )
