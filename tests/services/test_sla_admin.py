"""SLA settings: versioned policies, loaded calendar years that recompute open cases, deadline
previews, extensions of the outer limit, and the resolution clock's pause."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.case import Status
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed, VersionConflict
from chalicelib.domain.lifecycle import staff_move
from chalicelib.domain.sla import pending_timers
from chalicelib.services.entities import StaffMember
from tests.builders import complaint
from tests.services.conftest import Desk

SUPERVISOR = StaffMember("stf_sup", "主管", "supervisor")
AGENT = StaffMember("stf_agent", "客服", "agent")
SH = ZoneInfo("Asia/Shanghai")


def test_policy_edit_makes_a_new_version_that_new_cases_use(desk: Desk) -> None:
    # GIVEN a case filed under the default payment policy (resolution in 2 working days)
    old = desk.file(complaint(payment=None))
    # WHEN a supervisor sets resolution to 4 working days
    admin = desk.container.policy_admin
    saved = admin.update(
        "payment_anomaly", {"first_response": {"days": 1}, "resolution": {"days": 4}}, SUPERVISOR
    )
    # THEN it is version 2, new cases get it, and the old case keeps its deadlines
    assert saved["version"] == 2
    new = desk.file(complaint(payment=None))
    assert new["deadlines"]["resolution_due"] == "2026-11-27T10:00:00Z"  # Friday 18:00
    assert old["deadlines"]["resolution_due"] == "2026-11-25T10:00:00Z"
    assert desk.store.get_case(new["case_id"]).policy.version == 2  # type: ignore[union-attr]
    listed = {p["category"]: p for p in admin.list()["items"]}
    assert listed["payment_anomaly"]["resolution"] == {"days": 4}
    assert listed["other"]["version"] == 1


def test_policy_edit_checks_version_and_body(desk: Desk) -> None:
    admin = desk.container.policy_admin
    body = {"first_response": {"hours": 4}, "resolution": {"days": 5}}
    admin.update("refund_delay", {**body, "expected_version": 1}, SUPERVISOR)
    with pytest.raises(VersionConflict):
        admin.update("refund_delay", {**body, "expected_version": 1}, SUPERVISOR)
    with pytest.raises(NotFound):
        admin.update("lost_cat", body, SUPERVISOR)
    for bad in (
        {"first_response": {"days": 1, "hours": 2}, "resolution": {"days": 5}},
        {"first_response": {"days": 0}, "resolution": {"days": 5}},
        {"first_response": {"weeks": 1}, "resolution": {"days": 5}},
        {},
    ):
        with pytest.raises(ValidationFailed):
            admin.update("refund_delay", bad, SUPERVISOR)


def test_loading_an_official_year_recomputes_open_cases(desk: Desk) -> None:
    # GIVEN complaints filed on 2026-12-30, whose resolution reaches into 2027, which has no
    # official data yet (provisional: weekends and fixed-date holidays only): a refund delay
    # (5 working days) and an "other" (10 working days)
    desk.clock.set(datetime(2026, 12, 30, 10, tzinfo=SH))
    filed = desk.file(complaint(category="refund_delay", payment=None))
    other = desk.file(complaint(category="other", payment=None), "other")
    assert filed["deadlines"]["provisional"] is True
    before = filed["deadlines"]["resolution_due"]
    assert before == "2027-01-07T10:00:00Z"
    desk.drain()
    # WHEN staff load 2027 with an extra holiday week in January
    holidays = ["2027-01-01", *[f"2027-01-{d:02d}" for d in range(4, 9)]]
    answer = desk.container.calendar_admin.load(
        2027, {"holidays": holidays, "workdays": []}, SUPERVISOR
    )
    assert (answer["source"], answer["recompute"]) == ("loaded", "scheduled")
    desk.drain()
    # THEN the open case's deadline moves a week later, is no longer provisional, and its timers
    # follow (the live schedule changes only if the next timer did)
    case = desk.store.get_case(filed["case_id"])
    assert case is not None
    assert case.deadlines.resolution_due == datetime(2027, 1, 14, 18, tzinfo=SH)
    assert case.deadlines.provisional is False
    types = [e.type for e in desk.store.timeline(case.case_id, include_internal=True)]
    assert "deadlines_recomputed" in types
    timers = {t.name: t.due_at for t in pending_timers(case, desk.container.calendar)}
    assert timers["resolution_due"] == datetime(2027, 1, 14, 18, tzinfo=SH)
    # AND the case whose 10 working days now end 01-21 keeps a target within its outer limit
    # (the end of 01-14): 18:00 on 01-14, the limit's last working hour
    longer = desk.store.get_case(other["case_id"])
    assert longer is not None
    assert longer.deadlines.regulatory_due == datetime(2027, 1, 15, 0, tzinfo=SH)
    assert longer.deadlines.resolution_due == datetime(2027, 1, 14, 18, tzinfo=SH)
    # AND a preview now uses the loaded year, and says when the outer limit cut the target
    preview = desk.container.deadline_preview.preview("refund_delay", "2026-12-30T02:00:00Z")
    assert preview["resolution_due"] == "2027-01-14T10:00:00Z"
    assert preview["resolution_capped"] is False
    preview = desk.container.deadline_preview.preview("other", "2026-12-30T02:00:00Z")
    assert preview["resolution_target_due"] == "2027-01-21T10:00:00Z"
    assert preview["resolution_due"] == "2027-01-14T10:00:00Z"
    assert preview["resolution_capped"] is True


def test_recompute_in_another_process_reads_the_loaded_year(desk: Desk) -> None:
    # GIVEN a case filed 2026-12-30 waiting for the customer, and a consumer (another Lambda
    # container on the same tables) that has already read the calendar before 2027 is loaded
    from chalicelib import wiring

    desk.clock.set(datetime(2026, 12, 30, 10, tzinfo=SH))
    filed = desk.file(complaint(category="other", payment=None))
    writer = desk.container.writer
    for to, note in ((Status.ACCEPTED, None), (Status.WAITING_CUSTOMER, "请上传截图")):
        case = writer.load(filed["case_id"])
        step = staff_move(case, to, "stf_agent", desk.clock.now(), writer.calendar, note)
        writer.commit(case, step, desk.clock.now())
    waiting = writer.load(filed["case_id"]).waiting
    assert waiting is not None
    assert waiting.close_at == datetime(2027, 1, 7, 18, tzinfo=SH)  # on provisional 2027
    desk.drain()
    consumer = wiring.Container(
        desk.container.settings,
        clock=desk.clock,
        **{
            name: getattr(desk.container, name)
            for name in (
                "store",
                "notifications",
                "scheduler",
                "sms",
                "email",
                "staff_directory",
                "merchant_directory",
                "metrics_store",
            )
        },
    )
    assert consumer.calendar.is_provisional(datetime(2027, 1, 4).date())
    # WHEN staff load 2027 with 4-8 January off, and the consumer runs the recompute
    holidays = ["2027-01-01", *[f"2027-01-{d:02d}" for d in range(4, 9)]]
    desk.container.calendar_admin.load(2027, {"holidays": holidays, "workdays": []}, SUPERVISOR)
    consumer.outbox.redrive()
    # THEN the case's reminder and auto-close dates follow the loaded year
    moved = desk.store.get_case(filed["case_id"])
    assert moved is not None and moved.waiting is not None
    assert moved.waiting.remind_at == datetime(2027, 1, 12, 18, tzinfo=SH)
    assert moved.waiting.close_at == datetime(2027, 1, 14, 18, tzinfo=SH)


def test_calendar_load_validates_dates(desk: Desk) -> None:
    admin = desk.container.calendar_admin
    for bad in (
        {"holidays": ["2028-01-01"]},
        {"holidays": ["01/01/2027"]},
        {"workdays": ["2027-01-05"]},  # a Tuesday cannot be a make-up workday
        {"holidays": ["2027-01-02"], "workdays": ["2027-01-02"]},
    ):
        with pytest.raises(ValidationFailed):
            admin.load(2027, bad, SUPERVISOR)
    with pytest.raises(NotFound):
        admin.get(1999)
    assert admin.get(2026)["source"] == "shipped"
    assert admin.get(2030)["source"] == "provisional"


def test_extension_moves_the_outer_limit_and_tells_the_customer(desk: Desk) -> None:
    filed = desk.file(complaint(payment=None))
    view = desk.container.desk.extend(
        filed["case_id"], {"days": 10, "reason": "需要银行协查"}, SUPERVISOR
    )
    assert view["deadlines"]["regulatory_due"] == "2026-12-18T16:00:00Z"  # 25 days from filing
    desk.drain()
    assert any("需要银行协查" in m["text"] for m in desk.email.sent)
    with pytest.raises(ValidationFailed):  # 25 + 10 would pass 30
        desk.container.desk.extend(filed["case_id"], {"days": 10, "reason": "再延"}, SUPERVISOR)
    with pytest.raises(Forbidden):
        desk.container.desk.extend(filed["case_id"], {"days": 1, "reason": "x"}, AGENT)


def test_waiting_for_the_customer_pauses_the_resolution_clock(desk: Desk) -> None:
    # GIVEN an accepted case due Wednesday 18:00 and asked for information on Monday 10:00
    filed = desk.file(complaint(payment=None))
    writer = desk.container.writer
    for to, note in ((Status.ACCEPTED, None), (Status.WAITING_CUSTOMER, "请上传截图")):
        case = writer.load(filed["case_id"])
        writer.commit(
            case,
            staff_move(case, to, "stf_agent", desk.clock.now(), writer.calendar, note),
            desk.clock.now(),
        )
    # WHEN the customer answers two working days later (Wednesday 10:00)
    desk.clock.set(desk.clock.now() + timedelta(days=2))
    access = desk.container.customer_access.case(
        filed["case_id"], f"Bearer {filed['access_token']}"
    )
    desk.container.cases.message(access, {"text": "已上传"}, None)
    # THEN the resolution deadline moved by the two paused working days (to Friday 18:00)
    case = writer.load(filed["case_id"])
    assert case.status is Status.INVESTIGATING
    assert case.deadlines.resolution_due == datetime(2026, 11, 27, 18, tzinfo=SH)
