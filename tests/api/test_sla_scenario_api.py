"""The SLA story through the HTTP API with the local test clock: warnings, breach, second-level
escalation, periodic update, pause and resume, in that order, each once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib import wiring
from tests.api.conftest import Api
from tests.api.desk import Desk
from tests.working_week import working_monday_10am

SH = ZoneInfo("Asia/Shanghai")
# A Monday 10:00 in a week of working days, so the story reads the same whenever the suite runs
# (the test clock cannot be moved to a far-off year).
START = working_monday_10am()


@pytest.fixture
def clocked(api: Api, tmp_path: Path) -> Desk:
    settings = replace(api.container.settings, clock_file=str(tmp_path / "clock.json"))
    container = wiring.Container(
        settings,
        **{
            k: getattr(api.container, k)
            for k in (
                "dynamodb",
                "store",
                "notifications",
                "staff_directory",
                "merchant_directory",
                "metrics_store",
                "scheduler",
                "sms",
                "email",
            )
        },
    )
    wiring.use(container)
    api.container = container
    api.clock = container.test_clock  # type: ignore[assignment]
    return Desk(api)


def _move_clock(desk: Desk, admin: str, **body: Any) -> None:
    response = desk.post("/v1/dev/clock", body, admin)
    assert response.status_code == 200, response.body
    desk.settle()  # what the local runner does after the clock moves


def _story(desk: Desk, case_id: str) -> list[str]:
    out = []
    for e in desk.staff_view(case_id)["timeline"]:
        data = e["data"]
        if e["type"] == "sla_warning":
            out.append(f"warn {data['clock']} {data['percent']}%")
        elif e["type"] in ("sla_due", "sla_escalated"):
            out.append(f"breach {data['clock']} level {data['level']}")
        elif e["type"] == "progress_update":
            out.append("periodic update")
        elif e["type"] == "status_changed" and data["to"] == "waiting_customer":
            out.append("pause")
        elif e["type"] == "status_changed" and data.get("from") == "waiting_customer":
            out.append("resume")
    return out


def test_sla_story_with_the_test_clock(clocked: Desk) -> None:
    desk = clocked
    admin = desk.staff("admin")
    agent = desk.staff("agent", "林坐席", "lin@desk.example")
    desk.staff("supervisor", "周主管", "zhou@desk.example")
    _move_clock(desk, admin, set=START.isoformat())
    # GIVEN a fraud complaint (first response within 4 business hours) taken by an agent
    case = desk.file(category="security_fraud", payment=None)
    cid = case["case_id"]
    desk.post(f"/v1/admin/cases/{cid}/assign", {"assignee": desk.staff_ids["林坐席"]}, agent)
    # WHEN the clock moves through Monday: 12:00 (50%), 13:12 (80%), 14:00 (breach)
    _move_clock(desk, admin, advance_seconds=2 * 3600)
    _move_clock(desk, admin, advance_seconds=72 * 60)
    _move_clock(desk, admin, advance_seconds=48 * 60)
    assert desk.customer_view(case)["sla"]["state"] == "breached"
    # AND one working day later the breach escalates (Tuesday 14:00)
    _move_clock(desk, admin, advance_seconds=24 * 3600)
    # AND with no news for two working days the customer gets an update (Wednesday 10:00)
    _move_clock(desk, admin, advance_seconds=20 * 3600)
    # AND the agent accepts it at 11:00 and asks the customer for a statement (pause)
    _move_clock(desk, admin, advance_seconds=3600)
    desk.must_move(cid, "accepted", agent)
    before_pause = desk.staff_view(cid)["deadlines"]["resolution_due"]
    desk.must_move(cid, "waiting_customer", agent, note="请提供报案回执")
    assert desk.customer_view(case)["sla"]["state"] == "paused"
    # AND the customer replies a day later, which resumes the clock
    _move_clock(desk, admin, advance_seconds=24 * 3600)
    assert desk.customer(case, "messages", {"text": "回执已上传"}).status_code == 201
    # THEN the story happened in this order, each step once
    assert _story(desk, cid) == [
        "warn first_response 50%",
        "warn first_response 80%",
        "breach first_response level 1",
        "breach first_response level 2",
        "periodic update",
        "pause",
        "resume",
    ]
    # AND the resolution deadline moved by the paused working day (Wed 11:00 to Thu 11:00)
    after = desk.staff_view(cid)["deadlines"]["resolution_due"]
    assert after > before_pause
    # AND staff were told: the agent of the warnings, supervisors of both breach levels
    items, _ = desk.api.container.notifications.for_case(cid, 200, None)
    staff_mail = sorted(
        (n.recipient, n.event, n.params.get("level") or n.params.get("percent"))
        for n in items
        if n.audience == "staff" and n.event.startswith("sla_")
    )
    assert staff_mail == [
        ("lin@desk.example", "sla_warning", 50),
        ("lin@desk.example", "sla_warning", 80),
        ("zhou@desk.example", "sla_breached", 1),
        ("zhou@desk.example", "sla_breached", 2),
    ]
    assert ("periodic_update", "sms", "sent") in desk.sent(cid)


def test_quiet_hours_with_the_test_clock(clocked: Desk) -> None:
    # GIVEN the test clock at 22:30 Beijing time
    desk = clocked
    admin = desk.staff("admin")
    _move_clock(desk, admin, set=START.replace(hour=22, minute=30).isoformat())
    # WHEN a complaint is filed
    case = desk.file(payment=None)
    desk.settle()
    # THEN the email goes at once and the SMS waits
    assert ("case_received", "email", "sent") in desk.sent(case["case_id"])
    assert ("case_received", "sms", "deferred") in desk.sent(case["case_id"])
    assert desk.api.sms_about(case["case_number"]) == []
    # WHEN the clock reaches 08:00 THEN the SMS goes, once
    _move_clock(desk, admin, advance_seconds=9 * 3600 + 30 * 60 + 30)
    assert ("case_received", "sms", "sent") in desk.sent(case["case_id"])
    assert len(desk.api.sms_about(case["case_number"])) == 1
    sent_at = next(
        n.sent_at
        for n in desk.api.container.notifications.for_case(case["case_id"], 10, None)[0]
        if n.channel == "sms"
    )
    assert sent_at is not None and sent_at.astimezone(SH).hour == 8
