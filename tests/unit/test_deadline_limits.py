"""A resolution target never falls after the case's outer limit: for every category, every
filing time, every policy a supervisor may set, and across pauses for the customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Status
from chalicelib.domain.clocks import ClockRun
from chalicelib.domain.lifecycle import move
from chalicelib.domain.policy import (
    DEFAULT_POLICIES,
    Category,
    SlaPolicy,
    Target,
    compute_deadlines,
    regulatory_due,
)
from tests.builders import make_case

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar.shipped()

filing_times = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([SH, UTC]),
)
# Every target PUT /v1/admin/sla-policies accepts: 1-60 working days or 1-72 business hours.
targets = st.one_of(
    st.builds(Target, days=st.integers(1, 60)),
    st.builds(Target, hours=st.integers(1, 72)),
)


@given(category=st.sampled_from(list(Category)), filed=filing_times)
def test_resolution_due_never_after_regulatory_due_for_any_category(
    category: Category, filed: datetime
) -> None:
    # GIVEN a complaint of any category filed at any moment
    # WHEN its deadlines are computed from the shipped policy
    deadlines = compute_deadlines(DEFAULT_POLICIES[category], filed, CAL)
    # THEN the resolution target is not later than the outer limit
    assert deadlines.resolution_due <= deadlines.regulatory_due
    assert deadlines.first_response_due >= filed


@given(first=targets, resolution=targets, filed=filing_times)
def test_resolution_due_never_after_regulatory_due_after_a_policy_edit(
    first: Target, resolution: Target, filed: datetime
) -> None:
    # GIVEN any policy a supervisor may set
    policy = SlaPolicy(Category.OTHER, first, resolution, version=2)
    # WHEN a case is filed under it
    deadlines = compute_deadlines(policy, filed, CAL)
    # THEN its resolution target stays within the outer limit, and a target that already fits
    # is left exactly as the policy gives it
    assert deadlines.resolution_due <= deadlines.regulatory_due
    own = resolution.due(CAL, filed)
    if own <= deadlines.regulatory_due:
        assert deadlines.resolution_due == own


@given(
    category=st.sampled_from(list(Category)),
    filed=filing_times,
    waits=st.lists(
        st.tuples(st.integers(1, 10 * 24), st.integers(1, 10 * 24)), min_size=1, max_size=3
    ),
)
def test_resolution_due_never_after_regulatory_due_across_pauses(
    category: Category, filed: datetime, waits: list[tuple[int, int]]
) -> None:
    # GIVEN an accepted case that waits for the customer and resumes, possibly many times
    deadlines = compute_deadlines(DEFAULT_POLICIES[category], filed, CAL)
    case = make_case(filed, category=category).evolve(
        status=Status.INVESTIGATING,
        deadlines=deadlines,
        accepted_at=filed,
        resolution_run=ClockRun.until(filed, deadlines.resolution_due, CAL),
    )
    now = filed
    for running_hours, paused_hours in waits:
        now += timedelta(hours=running_hours)
        case = move(case, Status.WAITING_CUSTOMER, "system", now, CAL, "请补充截图").case
        now += timedelta(hours=paused_hours)
        case = move(case, Status.INVESTIGATING, "customer", now, CAL).case
        # THEN after every resumption the target shown and the clock's own end both stay
        # within the outer limit, unless the limit had already passed when it resumed
        assert case.deadlines.resolution_due <= case.deadlines.regulatory_due
        due = case.resolution_run.due(CAL) if case.resolution_run else None
        assert due is not None
        assert due <= max(case.deadlines.regulatory_due, now)


def test_repayment_negotiation_target_is_the_last_working_moment_before_the_limit() -> None:
    # GIVEN a repayment negotiation filed Monday 2026-03-02 10:00: 15 working days end 03-23,
    # but the outer limit ends with 03-17 (15 calendar days)
    filed = datetime(2026, 3, 2, 10, tzinfo=SH)
    deadlines = compute_deadlines(DEFAULT_POLICIES[Category.REPAYMENT_NEGOTIATION], filed, CAL)
    # THEN the target is 18:00 on Tuesday 03-17, the outer limit's last working hour
    assert deadlines.regulatory_due == regulatory_due(CAL, filed, 15)
    assert deadlines.regulatory_due == datetime(2026, 3, 18, 0, tzinfo=SH)
    assert deadlines.resolution_due == datetime(2026, 3, 17, 18, tzinfo=SH)
