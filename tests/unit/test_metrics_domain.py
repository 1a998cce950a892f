"""What each case change adds to the desk's metrics (GET /v1/admin/metrics), per filing day."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import lifecycle as lc
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Case, Status
from chalicelib.domain.metrics import MetricDelta, clock_states, cohort_day, deltas
from chalicelib.domain.policy import Category
from chalicelib.domain.proposal import ProposalTerms
from chalicelib.domain.sla import on_timer, pending_timers
from tests.builders import SHANGHAI, make_case

S = Status
CAL = WorkingCalendar.shipped()
Change = Callable[[Case], lc.Step]
TERMS = ProposalTerms("explanation", "经核实，款项已到账。", (), None, ())


def sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


NOW = sh(11, 23, 10)  # Monday; payment_anomaly: first response Tue 18:00, resolution Wed 18:00


def filed(category: Category = Category.PAYMENT_ANOMALY) -> Case:
    return make_case(NOW, category=category)


def accepted() -> Case:
    return lc.staff_move(filed(), S.ACCEPTED, "agent1", NOW, CAL).case


def negotiating() -> Case:
    return lc.propose(accepted(), TERMS, "agent1", NOW, CAL).case


def delta(before: Case | None, after: Case) -> MetricDelta:
    result = deltas(before, after, CAL)
    assert result is not None
    return result


# -- filing and status gauges --------------------------------------------------------------------


@pytest.mark.parametrize("category", list(Category), ids=str)
def test_deltas_filing_counts_category_and_status_and_checks_repeat(category: Category) -> None:
    # GIVEN a newly filed case / WHEN it is first written
    result = delta(None, filed(category))
    # THEN it counts as filed, in its category and as submitted, its round-1 clocks start
    # running, and it asks for a repeat check
    assert result.add == {
        "filed": 1,
        f"category.{category}": 1,
        "status.submitted": 1,
        "first_response.running": 1,
        "resolution.running": 1,
        "regulatory.running": 1,
    }
    assert (result.samples, result.check_repeat, result.day) == ({}, True, "2026-11-23")


@pytest.mark.parametrize(
    ("created", "day"),
    [
        (sh(11, 23, 0, 0), "2026-11-23"),
        (sh(11, 23, 23, 59), "2026-11-23"),  # 15:59 UTC
        (sh(11, 24, 0, 30), "2026-11-24"),  # still 11-23 in UTC
    ],
    ids=str,
)
def test_deltas_keyed_by_shanghai_filing_day_for_every_later_change(
    created: datetime, day: str
) -> None:
    # GIVEN a case filed at `created` Beijing time
    case = make_case(created)
    # WHEN it is filed and, days later, changes status
    later = lc.staff_move(case, S.ACCEPTED, "agent1", sh(11, 27, 10), CAL).case
    # THEN both changes land on the Beijing day it was filed
    assert cohort_day(case) == day
    assert delta(None, case).day == delta(case, later).day == day


@pytest.mark.parametrize(
    ("before", "change", "after"),
    [
        (S.ACCEPTED, lambda c: lc.staff_move(c, S.INVESTIGATING, "a1", NOW, CAL), S.INVESTIGATING),
        (
            S.ACCEPTED,
            lambda c: lc.staff_move(c, S.WAITING_MERCHANT, "a1", NOW, CAL),
            S.WAITING_MERCHANT,
        ),
        (S.ACCEPTED, lambda c: lc.propose(c, TERMS, "a1", NOW, CAL), S.NEGOTIATING),
        (S.INVESTIGATING, lambda c: lc.withdraw(c, None, NOW, CAL), S.WITHDRAWN),
    ],
    ids=["investigate", "ask-merchant", "propose", "withdraw"],
)
def test_deltas_status_change_moves_one_case_between_gauges(
    before: Status, change: Change, after: Status
) -> None:
    # GIVEN a case past its first response / WHEN its status changes
    case = make_case(NOW, status=before, accepted_at=NOW)
    result = delta(case, change(case).case)
    # THEN one case leaves the old gauge and joins the new one; a wait for the merchant starts
    # its clock, and a withdrawal ends the running clocks with nothing to judge
    clocks: dict[str, int] = {}
    if after is S.WITHDRAWN:
        clocks = {
            "resolution.running": -1,
            "resolution.cancelled": 1,
            "regulatory.running": -1,
            "regulatory.cancelled": 1,
        }
    if after is S.WAITING_MERCHANT:
        clocks = {"merchant_response.running": 1}
    assert result.add == {f"status.{before}": -1, f"status.{after}": 1, **clocks}
    assert (result.samples, result.check_repeat) == ({}, False)


@pytest.mark.parametrize(
    "change",
    [
        lambda c: lc.staff_entry(c, "note", "a1", NOW, "内部备注"),
        lambda c: lc.staff_entry(c, "message", "a1", NOW, "正在处理"),
        lambda c: lc.assign(c, "a2", "sup1", NOW),
        lambda c: lc.customer_message(c, "还没到账", NOW, CAL),
        lambda c: lc.propose(c, TERMS, "a2", NOW, CAL),  # a new offer, still negotiating
    ],
    ids=["note", "message", "assign", "customer-message", "new-offer"],
)
def test_deltas_change_without_metric_returns_none(change: Change) -> None:
    # GIVEN a negotiating case / WHEN something changes that no metric counts
    case = negotiating()
    # THEN there is nothing to add
    assert deltas(case, change(case).case, CAL) is None


# -- SLA clocks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "met", "hours"),
    [
        (sh(11, 23, 10), 1, 0.0),
        (sh(11, 24, 11, 30), 1, 10.5),  # Mon 10-18 (8 h) + Tue 09-11:30
        (sh(11, 24, 18), 1, 17.0),  # exactly at the deadline
        (sh(11, 25, 9, 30), 0, 17.5),
        (sh(11, 28, 12), 0, 44.0),  # Mon-Fri: 8 + 4 * 9 h; the Saturday adds none
    ],
    ids=str,
)
def test_deltas_acceptance_is_first_response_in_working_hours(
    at: datetime, met: int, hours: float
) -> None:
    # GIVEN a case filed Monday 10:00, first response due Tuesday 18:00 / WHEN accepted at `at`
    case = filed()
    result = delta(case, lc.staff_move(case, S.ACCEPTED, "agent1", at, CAL).case)
    # THEN the first-response clock stops, met or missed, with its working hours
    assert result.add == {
        "status.submitted": -1,
        "status.accepted": 1,
        "first_response.running": -1,
        f"first_response.{'met' if met else 'missed'}": 1,
    }
    assert result.samples == {"first_response_hours": [hours]}


@pytest.mark.parametrize(
    ("accept", "at", "met", "hours"),
    [
        (True, sh(11, 25, 11), 1, 19.0),  # Mon 8 h + Tue 9 h + Wed 2 h
        (False, sh(11, 25, 18), 1, 26.0),  # staff ending it unresolved is an outcome too
        (True, sh(11, 26, 10), 0, 27.0),
    ],
    ids=["accepted-in-time", "unresolved-at-deadline", "accepted-late"],
)
def test_deltas_round1_outcome_is_resolution_in_working_hours(
    accept: bool, at: datetime, met: int, hours: float
) -> None:
    # GIVEN an offer to a case due Wednesday 18:00 / WHEN the customer answers at `at`
    case = negotiating()
    if accept:
        after = lc.answer_proposal(case, accept, None, at, CAL).case
    else:
        after = lc.staff_move(case, Status.UNRESOLVED, "agent1", at, CAL).case
    result = delta(case, after)
    # THEN the resolution clock stops, met or missed, with its working hours
    assert result.add == {
        "status.negotiating": -1,
        f"status.{after.status}": 1,
        "resolution.running": -1,
        f"resolution.{'met' if met else 'missed'}": 1,
        # decided well within 15 calendar days of acceptance
        "regulatory.running": -1,
        "regulatory.met": 1,
    }
    assert result.samples == {"resolution_hours": [hours]}


def test_deltas_staff_ending_negotiation_counts_resolution() -> None:
    # GIVEN an offer / WHEN staff record that negotiation failed, on time
    case = negotiating()
    result = delta(case, lc.staff_move(case, S.UNRESOLVED, "agent1", sh(11, 24, 9), CAL).case)
    # THEN it is a round-1 outcome like any other
    assert (result.add["resolution.running"], result.add["resolution.met"]) == (-1, 1)
    assert result.samples == {"resolution_hours": [8.0]}


@pytest.mark.parametrize(("at", "met"), [(sh(12, 23, 18), 1), (sh(12, 24, 9), 0)], ids=str)
def test_deltas_round2_decision_counts_second_review_only(at: datetime, met: int) -> None:
    # GIVEN a second review opened Wednesday 11-25 10:00, decision due 12-23 18:00
    outcome = lc.staff_move(negotiating(), Status.UNRESOLVED, "agent1", sh(11, 24, 10), CAL).case
    review = lc.object_to(outcome, "不同意", sh(11, 25, 10), CAL).case
    # WHEN a reviewer decides it at `at`
    result = delta(review, lc.staff_move(review, S.RESOLVED, "rev1", at, CAL).case)
    # THEN the second-review clock stops, and neither resolution nor its hours count again
    assert result.add == {
        "status.second_review": -1,
        "status.resolved": 1,
        "second_review.running": -1,
        f"second_review.{'met' if met else 'missed'}": 1,
        # the decision is the reviewer's first action, long after 3 working days (11-30 18:00)
        "second_review_first_response.running": -1,
        "second_review_first_response.missed": 1,
    }
    assert result.samples == {}


def test_deltas_objection_and_automatic_close_only_move_gauges() -> None:
    # GIVEN a resolved case / WHEN the customer objects, or the objection window passes
    resolved = lc.answer_proposal(negotiating(), True, None, sh(11, 24, 10), CAL).case
    review = lc.object_to(resolved, "不同意", sh(11, 25, 10), CAL).case
    (timer,) = pending_timers(resolved, CAL)
    closed = on_timer(resolved, timer, timer.due_at, CAL).case
    # THEN the objection starts the second review's clocks, and closing only moves the gauges
    assert delta(resolved, review).add == {
        "status.resolved": -1,
        "status.second_review": 1,
        "second_review.running": 1,
        "second_review_first_response.running": 1,
    }
    assert delta(resolved, closed).add == {"status.resolved": -1, "status.closed": 1}


# -- satisfaction --------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_deltas_rating_adds_to_csat(rating: int) -> None:
    # GIVEN a resolved case / WHEN the customer rates it
    case = lc.answer_proposal(negotiating(), True, None, sh(11, 24, 10), CAL).case
    result = delta(case, lc.rate(case, rating, None, sh(11, 24, 11)).case)
    # THEN the rating is counted, summed and put in its bucket
    assert result.add == {"csat.count": 1, "csat.sum": rating, f"csat.{rating}": 1}
    assert result.payload() == {
        "day": "2026-11-23",
        "add": result.add,
        "samples": {},
        "check_repeat": False,
    }


# -- a property over any path through the lifecycle ----------------------------------------------


@given(data=st.data())
def test_deltas_status_gauges_net_to_one_case_in_its_current_status(data: st.DataObject) -> None:
    # GIVEN a case filed, then moved along any allowed path
    case = filed()
    totals = Counter(delta(None, case).add)
    for hour in range(1, 15):
        allowed = sorted(lc.TRANSITIONS[case.status])
        if not allowed:
            break
        after = lc.move(
            case, data.draw(st.sampled_from(allowed)), "system", NOW + timedelta(hours=hour), CAL
        ).case
        # WHEN each change's metrics are added up
        totals.update((deltas(case, after, CAL) or MetricDelta("x")).add)
        case = after
    # THEN the gauges hold exactly this one case, in its current status, filed once
    gauges = {k: v for k, v in totals.items() if k.startswith("status.") and v}
    assert gauges == {f"status.{case.status}": 1}
    assert totals["filed"] == 1
    # AND each clock it started is counted once, in one state (its current one in round 1)
    for clock in ("first_response", "resolution", "regulatory"):
        held = {k: v for k, v in totals.items() if k.startswith(f"{clock}.") and v}
        assert list(held.values()) == [1], (clock, held)
        if case.round == 1:
            assert held == {f"{clock}.{clock_states(case)[clock]}": 1}
    assert all(v >= 0 for v in totals.values())


@pytest.mark.parametrize(("at", "met"), [(sh(11, 30, 18), 1), (sh(12, 1, 9), 0)], ids=str)
def test_deltas_reviewer_first_action_is_the_second_review_first_response(
    at: datetime, met: int
) -> None:
    # GIVEN a second review opened Wednesday 11-25 10:00, first response due 11-30 18:00
    outcome = lc.staff_move(negotiating(), Status.UNRESOLVED, "agent1", sh(11, 24, 10), CAL).case
    review = lc.object_to(outcome, "不同意", sh(11, 25, 10), CAL).case
    # WHEN a supervisor hands it to a reviewer at `at`
    assigned = lc.assign(review, "rev1", "sup1", at).case
    # THEN the second review's first-response clock stops once, met or missed
    assert delta(review, assigned).add == {
        "second_review_first_response.running": -1,
        f"second_review_first_response.{'met' if met else 'missed'}": 1,
    }
    reassigned = lc.assign(assigned, "rev2", "sup1", at).case
    assert deltas(assigned, reassigned, CAL) is None


@pytest.mark.parametrize(("days", "met"), [(2, 1), (3, 0)])
def test_deltas_merchant_answer_counts_the_merchant_response_clock(days: int, met: int) -> None:
    # GIVEN a case waiting for the merchant since Monday 10:00 (answer due Wednesday 18:00)
    waiting = lc.staff_move(accepted(), S.WAITING_MERCHANT, "agent1", NOW, CAL).case
    # WHEN the merchant answers `days` days later at 17:00
    at = sh(11, 23 + days, 17)
    answered = lc.merchant_response(waiting, "M100001", "已发货", at, CAL).case
    # THEN the merchant-response clock stops, met or missed
    result = delta(waiting, answered)
    state = "met" if met else "missed"
    assert (result.add["merchant_response.running"], result.add[f"merchant_response.{state}"]) == (
        -1,
        1,
    )
    # AND a withdrawal while waiting counts nothing against the merchant
    withdrawn = lc.withdraw(waiting, None, at, CAL).case
    added = delta(waiting, withdrawn).add
    assert added["merchant_response.cancelled"] == 1
    assert "merchant_response.missed" not in added and "merchant_response.met" not in added


def test_deltas_a_clock_that_runs_out_is_missed_at_once_and_once() -> None:
    # GIVEN a filed case whose first response (due Tuesday 18:00) nobody gives
    case = filed()
    [due] = [t for t in pending_timers(case, CAL) if t.name == "first_response_due"]
    # WHEN its deadline passes (the timer fires), still unaccepted
    breached = on_timer(case, due, due.due_at, CAL).case
    # THEN it is missed from that moment, not running and not waiting for a stop
    assert delta(case, breached).add == {
        "first_response.running": -1,
        "first_response.missed": 1,
    }
    # AND a late acceptance later counts nothing again for that clock
    late = lc.staff_move(breached, S.ACCEPTED, "agent1", due.due_at + timedelta(hours=1), CAL)
    assert not [k for k in delta(breached, late.case).add if k.startswith("first_response.")]


def test_deltas_a_failed_refund_takes_a_met_resolution_back_to_running() -> None:
    # GIVEN a case resolved in time
    resolved = lc.answer_proposal(negotiating(), True, None, sh(11, 24, 10), CAL).case
    # WHEN a refund it relied on fails and the case is investigated again
    reopened = lc.reopen_after_failed_refund(resolved, "RF1", None, sh(11, 24, 11), CAL).case
    # THEN its resolution is running again (the next outcome judges it)
    assert delta(resolved, reopened).add == {
        "status.resolved": -1,
        "status.investigating": 1,
        "resolution.met": -1,
        "resolution.running": 1,
        "regulatory.met": -1,
        "regulatory.running": 1,
    }
