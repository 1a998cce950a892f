"""Default SLA targets per category and the deadlines a case receives (docs/domain.md,
"Categories and SLA figures")."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.calendar import WorkingCalendar, YearCalendar
from chalicelib.domain.policy import (
    DEFAULT_POLICIES,
    REGULATORY_DAYS,
    REGULATORY_MAX_DAYS,
    Category,
    Target,
    compute_deadlines,
    regulatory_due,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar.shipped()
# Monday 2026-03-02 10:00: no holiday until Qingming (04-04).
FILED = datetime(2026, 3, 2, 10, tzinfo=SH)


def sh(m: int, d: int, hh: int = 18, mm: int = 0, y: int = 2026) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


# docs/domain.md "Categories and SLA figures": (first response, resolution).
DOMAIN_TARGETS = {
    Category.PAYMENT_ANOMALY: ({"days": 1}, {"days": 2}),
    Category.REFUND_DELAY: ({"days": 1}, {"days": 5}),
    Category.TOP_UP_WITHDRAWAL: ({"days": 1}, {"days": 3}),
    Category.ACCOUNT_ACCESS: ({"days": 1}, {"days": 3}),
    Category.SECURITY_FRAUD: ({"hours": 4}, {"days": 5}),
    Category.REPAYMENT_NEGOTIATION: ({"days": 3}, {"days": 15}),
    Category.MERCHANT_SETTLEMENT: ({"days": 1}, {"days": 2}),
    Category.OTHER: ({"days": 1}, {"days": 10}),
}

# Deadlines for FILED, counted by hand on the 2026 calendar.
EXPECTED_FROM_FILED = {
    Category.PAYMENT_ANOMALY: (sh(3, 3), sh(3, 4)),
    Category.REFUND_DELAY: (sh(3, 3), sh(3, 9)),
    Category.TOP_UP_WITHDRAWAL: (sh(3, 3), sh(3, 5)),
    Category.ACCOUNT_ACCESS: (sh(3, 3), sh(3, 5)),
    Category.SECURITY_FRAUD: (sh(3, 2, 14), sh(3, 9)),
    # 15 working days (03-23) would pass the outer limit (end of 03-17): 18:00 on 03-17 instead.
    Category.REPAYMENT_NEGOTIATION: (sh(3, 5), sh(3, 17)),
    Category.MERCHANT_SETTLEMENT: (sh(3, 3), sh(3, 4)),
    Category.OTHER: (sh(3, 3), sh(3, 16)),
}


def test_default_policies_cover_every_category() -> None:
    # GIVEN the categories / WHEN looking up their policies / THEN each has exactly one
    assert set(DEFAULT_POLICIES) == set(Category)
    assert all(p.category is c for c, p in DEFAULT_POLICIES.items())


@pytest.mark.parametrize("category", list(Category), ids=str)
def test_default_policies_match_domain_table(category: Category) -> None:
    # GIVEN the docs/domain.md table row for the category
    first, resolution = DOMAIN_TARGETS[category]
    # WHEN reading the shipped policy
    policy = DEFAULT_POLICIES[category]
    # THEN its targets are the documented ones
    assert policy.first_response.to_dict() == first
    assert policy.resolution.to_dict() == resolution


@pytest.mark.parametrize("category", list(Category), ids=str)
def test_compute_deadlines_every_category(category: Category) -> None:
    # GIVEN a complaint filed Monday 2026-03-02 10:00 Asia/Shanghai
    first, resolution = EXPECTED_FROM_FILED[category]
    # WHEN computing its deadlines
    deadlines = compute_deadlines(DEFAULT_POLICIES[category], FILED, CAL)
    # THEN they match the targets counted on the official calendar
    assert deadlines.first_response_due == first
    assert deadlines.resolution_due == resolution
    assert deadlines.provisional is False


def test_compute_deadlines_security_fraud_across_national_day() -> None:
    # GIVEN a fraud complaint filed at 17:00 the day before National Day
    filed = sh(9, 30, 17)
    # WHEN computing its deadlines
    deadlines = compute_deadlines(DEFAULT_POLICIES[Category.SECURITY_FRAUD], filed, CAL)
    # THEN 4 business hours end 12:00 on 10-08; 5 working days include make-up Saturday 10-10
    assert deadlines.first_response_due == sh(10, 8, 12)
    assert deadlines.resolution_due == sh(10, 13)


def test_compute_deadlines_refund_delay_across_spring_festival() -> None:
    # GIVEN a refund complaint filed Friday 2026-02-13 at 19:00 (after hours)
    filed = sh(2, 13, 19)
    # WHEN computing its deadlines
    deadlines = compute_deadlines(DEFAULT_POLICIES[Category.REFUND_DELAY], filed, CAL)
    # THEN counting starts on make-up Saturday 02-14 and skips 02-15..02-23
    assert deadlines.first_response_due == sh(2, 24)
    assert deadlines.resolution_due == sh(2, 28)


@pytest.mark.parametrize(
    ("filed", "expected"),
    [
        (FILED, sh(3, 18, 0)),
        (datetime(2026, 3, 1, 17, 30, tzinfo=UTC), sh(3, 18, 0)),  # 03-02 01:30 in Shanghai
        (datetime(2026, 3, 2, 16, 30, tzinfo=UTC), sh(3, 19, 0)),  # 03-03 00:30 in Shanghai
        (sh(9, 30, 23, 59), sh(10, 16, 0)),  # calendar days: holidays count
    ],
    ids=str,
)
def test_regulatory_due_end_of_fifteenth_calendar_day(filed: datetime, expected: datetime) -> None:
    # GIVEN a filing time (local date in Asia/Shanghai decides)
    # WHEN computing the outer limit
    deadlines = compute_deadlines(DEFAULT_POLICIES[Category.OTHER], filed, CAL)
    # THEN it is midnight Asia/Shanghai at the end of the 15th calendar day after filing
    assert REGULATORY_DAYS == 15
    assert deadlines.regulatory_due == expected


def test_regulatory_due_extended_to_thirty_days() -> None:
    # GIVEN a supervisor's extension to the maximum
    # WHEN / THEN the outer limit is the end of the 30th calendar day
    assert REGULATORY_MAX_DAYS == 30
    assert regulatory_due(CAL, FILED, REGULATORY_MAX_DAYS) == sh(4, 2, 0)


def test_compute_deadlines_provisional_when_reaching_2027() -> None:
    # GIVEN a payment anomaly filed 2026-12-30 10:00, and 2027 has no official calendar
    filed = sh(12, 30, 10)
    # WHEN computing its deadlines
    deadlines = compute_deadlines(DEFAULT_POLICIES[Category.PAYMENT_ANOMALY], filed, CAL)
    # THEN they are flagged provisional; 2027-01-01 (provisional holiday) and the weekend skip
    assert deadlines.provisional is True
    assert deadlines.first_response_due == sh(12, 31)
    assert deadlines.resolution_due == sh(1, 4, y=2027)


def test_compute_deadlines_not_provisional_once_2027_is_official() -> None:
    # GIVEN staff have loaded an official 2027 calendar
    cal = CAL.with_year(YearCalendar.from_iso(2027, ["2027-01-01"], []))
    # WHEN computing the same deadlines
    deadlines = compute_deadlines(DEFAULT_POLICIES[Category.PAYMENT_ANOMALY], sh(12, 30, 10), cal)
    # THEN they are no longer provisional
    assert deadlines.provisional is False


@pytest.mark.parametrize("kwargs", [{}, {"days": 1, "hours": 4}, {"days": -1}], ids=str)
def test_target_must_be_days_or_hours(kwargs: dict[str, float]) -> None:
    # GIVEN neither or both units / WHEN / THEN the target is refused
    with pytest.raises(ValueError, match="either"):
        Target(**kwargs)
