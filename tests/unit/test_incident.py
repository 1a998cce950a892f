"""Incident rules: what a match rule covers, the declaration's checks, the pacing of SMS around
quiet hours, and what each step does to one case (once)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import incident_steps as steps
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Status
from chalicelib.domain.errors import Forbidden, InvalidTransition, ValidationFailed
from chalicelib.domain.incident import (
    Incident,
    IncidentStatus,
    Match,
    Pacing,
    Unmoved,
    parse_declaration,
    with_unmoved,
    with_update,
)
from chalicelib.domain.policy import Category
from chalicelib.domain.quiet import quiet_until
from tests.builders import MONDAY_10AM, make_case

CAL = WorkingCalendar.shipped()
NOW = MONDAY_10AM  # 2026-11-23 10:00 Shanghai
TEXTS = {"zh-CN": "网关故障。", "en": "The gateway failed."}


def incident(**changes: object) -> Incident:
    base = Incident(
        incident_id="inc_1",
        title="ICBC gateway outage",
        summary=TEXTS,
        match=Match(("payment_anomaly",), "M100001", NOW - timedelta(hours=2)),
        status=IncidentStatus.OPEN,
        created_by="stf_s",
        created_at=NOW,
    )
    return Incident(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_match_covers_cases_of_its_categories_merchant_and_window() -> None:
    match = Match(("payment_anomaly",), "M100001", NOW - timedelta(hours=1), NOW)
    assert match.covers(make_case(NOW - timedelta(minutes=30)))
    assert not match.covers(make_case(NOW - timedelta(hours=2)))  # filed before it began
    assert not match.covers(make_case(NOW + timedelta(minutes=1)))  # after it ended
    assert not match.covers(make_case(NOW, category=Category.REFUND_DELAY))
    case = make_case(NOW)
    assert case.payment is not None
    other_merchant = case.evolve(payment=replace(case.payment, merchant_id="M200002"))
    assert not match.covers(other_merchant)


def test_the_record_reads_back_as_written() -> None:
    written = with_unmoved(
        with_update(incident(), TEXTS, "stf_s", NOW), [Unmoved("c1", "PC1", "second_review", "x")]
    )
    assert Incident.from_dict(written.to_dict()) == written


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"match": {}}, "match"),
        ({"started_at": "2026-11-24T02:00:00Z"}, "started_at"),  # a day in the future
        ({"ended_at": "2026-11-22T00:00:00Z"}, "ended_at"),
        ({"summary": {"zh-CN": "只有中文"}}, "summary.en"),
        ({"match": {"categories": ["payment_anomaly", "payment_anomaly"]}}, "match.categories"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_declaration_refuses_what_cannot_be_meant(change: dict[str, object], field: str) -> None:
    body = {
        "title": "ICBC gateway outage",
        "summary": TEXTS,
        "started_at": "2026-11-23T00:00:00Z",
        "match": {"categories": ["payment_anomaly"]},
        **change,
    }
    with pytest.raises(ValidationFailed) as refused:
        parse_declaration(body, NOW)
    assert field in refused.value.fields


def test_pacing_spreads_the_sms_at_the_rate() -> None:
    pacing = Pacing(NOW, per_second=5)
    assert pacing.slot(0) == NOW
    assert pacing.slot(5) == NOW + timedelta(seconds=1)
    assert pacing.slot(250) == NOW + timedelta(seconds=50)


def test_pacing_never_lands_in_quiet_hours_and_goes_on_in_the_morning() -> None:
    # GIVEN an update posted at 20:59:50 Shanghai time, 5 SMS a second
    evening = datetime(2026, 11, 23, 12, 59, 50, tzinfo=UTC)
    pacing = Pacing(evening, per_second=5)
    # THEN the first 50 go before 21:00, and the 51st at 08:00 the next morning, the rest after
    assert pacing.slot(49) < datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    morning = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert pacing.slot(50) == morning
    assert pacing.slot(60) == morning + timedelta(seconds=2)
    assert all(quiet_until(pacing.slot(n)) is None for n in range(0, 400, 7))


def test_a_case_is_linked_once_and_not_to_two_incidents() -> None:
    case = make_case(NOW)
    linked = steps.link(case, incident(), "staff:stf_a", NOW)
    assert (linked.case.incident_id, linked.case.incident_title) == ("inc_1", "ICBC gateway outage")
    assert [e.type for e in linked.entries] == ["incident_linked"]
    assert steps.link(linked.case, incident(), "system", NOW).entries == ()
    with pytest.raises(steps.NotLinkable):
        steps.link(linked.case, incident(incident_id="inc_2"), "system", NOW)
    with pytest.raises(steps.NotLinkable):
        steps.link(make_case(NOW, status=Status.CLOSED), incident(), "system", NOW)


def test_an_update_is_told_once_in_the_customer_s_language() -> None:
    case = steps.link(make_case(NOW), incident(), "system", NOW).case
    news = {"zh-CN": "已恢复。", "en": "It is back."}
    posted = with_update(incident(), news, "stf_s", NOW)
    slot = NOW + timedelta(seconds=3)
    told = steps.update(case, posted, 1, slot, NOW)
    ((entry,), (notice,)) = (told.entries, told.notices)
    assert (entry.type, entry.text, entry.visibility.value) == (
        "incident_update",
        "已恢复。",
        "public",
    )
    assert notice.params["send_after"] == "2026-11-23T02:00:03Z"
    assert notice.params["text"] == "已恢复。"
    again = steps.update(told.case, posted, 1, slot, NOW)
    assert (again.entries, again.notices) == ((), ())


def test_the_resolution_moves_a_case_as_its_supervisor_with_the_customer_s_text() -> None:
    case = steps.link(make_case(NOW), incident(), "system", NOW).case
    texts = {"zh-CN": "已修复。", "en": "Fixed."}
    step = steps.resolve(case, incident(), "stf_s", texts, NOW, CAL)
    assert step.case.status is Status.RESOLVED and step.case.resolved_at == NOW
    (entry,) = step.entries
    assert (entry.actor, entry.text, entry.data["reason"]) == (
        "staff:stf_s",
        "已修复。",
        "incident_resolved",
    )
    assert [n.event for n in step.notices] == ["case_resolved"]
    # AND a case that already has its outcome is left alone
    assert steps.resolve(step.case, incident(), "stf_s", texts, NOW, CAL).entries == ()


@pytest.mark.parametrize(
    ("status", "error"),
    [(Status.SECOND_REVIEW, Forbidden), (Status.WAITING_CUSTOMER, InvalidTransition)],
)
def test_the_resolution_refuses_what_staff_may_not_decide_so(
    status: Status, error: type[Exception]
) -> None:
    case = make_case(NOW, status=status, incident_id="inc_1", incident_title="t")
    with pytest.raises(error):
        steps.resolve(case, incident(), "stf_s", TEXTS, NOW, CAL)


def test_an_offer_accepts_a_filed_case_first_and_is_made_once() -> None:
    from chalicelib.domain.proposal import parse_proposal

    case = steps.link(make_case(NOW), incident(), "system", NOW).case
    body = steps.offer_terms({"kind": "full_refund"}, "全额退款。", 100)
    assert body == {"kind": "full_refund", "text": "全额退款。", "amount_fen": 100}
    terms = parse_proposal(body, CAL, NOW.date(), 100)
    step = steps.offer(case, incident(), "stf_s", terms, NOW, CAL)
    assert step.case.status is Status.NEGOTIATING and step.case.accepted_at == NOW
    assert step.case.proposal is not None and step.case.proposal.amount_fen == 100
    assert [n.event for n in step.notices] == ["case_accepted", "proposal_made"]
    again = steps.offer(step.case, incident(), "stf_s", terms, NOW, CAL)
    assert (again.entries, again.notices) == ((), ())
