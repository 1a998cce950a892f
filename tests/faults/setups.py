"""The states the write paths start from, built through the API (and the fault layer, for a
message SNS refused) once, then snapshotted by the matrix."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.api.desk import at_status
from tests.faults.actions import MERCHANT
from tests.faults.injector import FAULTS, Kind
from tests.faults.world import World, sms_sent

PHONE = "+8613800138000"


def nothing(world: World) -> None:
    world.ctx["admin"] = world.desk.staff("admin")


def people(world: World) -> None:
    """An admin, an agent and a registered merchant: whose credentials change."""
    world.merchants.register(MERCHANT)
    world.ctx["admin"] = world.desk.staff("admin")
    world.ctx["agent"] = world.desk.staff("agent")
    world.ctx["agent_id"] = world.desk.staff_ids["agent"]
    world.settle()


def filed(world: World) -> None:
    """A settled complaint (its acknowledgement sent, its first schedule armed)."""
    world.merchants.register(MERCHANT)
    world.ctx["case"] = world.desk.file()
    world.ctx["agent"] = world.desk.staff("agent")
    world.ctx["supervisor"] = world.desk.staff("supervisor")
    world.settle()


@functools.cache
def at(status: str) -> Callable[[World], None]:
    def setup(world: World) -> None:
        world.merchants.register(MERCHANT)
        world.ctx["agent"] = world.desk.staff("agent")
        world.ctx["supervisor"] = world.desk.staff("supervisor")
        world.ctx["case"] = at_status(world.desk, status)
        world.settle()

    return setup


def filed_unsent(world: World) -> None:
    """A complaint whose outbox events the stream has not delivered yet."""
    world.merchants.register(MERCHANT)
    world.ctx["case"] = world.desk.file()


def code_requested(world: World) -> None:
    response = world.api.post("/v1/otp", {"phone": PHONE})
    assert response.status_code == 202, response.body
    world.settle()
    [text] = [text for phone, text in sms_sent() if phone == PHONE]
    world.ctx["code"] = re.search(r"\d{6}", text).group(0)  # type: ignore[union-attr]


def payment_known(world: World) -> None:
    """A paid payment of the merchant, reported by the platform."""
    world.merchants.register(MERCHANT)
    assert world.merchants.event("payment.succeeded").status_code == 200
    world.settle()


def timer_due(world: World) -> None:
    """A complaint whose first schedule has just fallen due (not yet fired)."""
    filed(world)
    [(at_, _, payload)] = [s for s in _schedules(world)]
    world.clock.set(_parse_at(at_))
    world.ctx["timer"] = payload


def overdue_outbox(world: World) -> None:
    """A complaint whose stream delivery never happened, older than the sweeper's minimum."""
    filed_unsent(world)
    world.clock.advance(10 * 60)


def dead_sms(world: World) -> None:
    """A complaint whose acknowledgement SMS SNS refused for good (`dead`)."""
    filed_unsent(world)
    world.ctx["agent"] = world.desk.staff("agent")
    with FAULTS.engaged():
        FAULTS.inject(Kind.REJECTED, "sns", "Publish", times=None, code="InvalidParameter")
        world.settle()
        FAULTS.clear()
    case_id = world.ctx["case"]["case_id"]
    items, _ = world.container.notifications.for_case(case_id, 50, None)
    [dead] = [n for n in items if n.channel == "sms" and n.status == "dead"]
    world.ctx["notification"] = dead.notification_id


def _schedules(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    scheduler = world.container.client("scheduler")
    group = world.container.settings.schedule_group
    out = []
    for s in scheduler.list_schedules(GroupName=group)["Schedules"]:
        definition = scheduler.get_schedule(Name=s["Name"], GroupName=group)
        payload = json.loads(definition["Target"]["Input"])
        out.append((definition["ScheduleExpression"][3:-1], s["Name"], payload))
    return out


def _parse_at(text: str) -> Any:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


INCIDENT = {
    "title": "ICBC gateway outage",
    "summary": {"zh-CN": "工商银行网关故障，款项将原路退回。", "en": "The ICBC gateway failed."},
    "started_at": "2026-11-23T00:00:00Z",
    "match": {"categories": ["payment_anomaly"]},
}


def incident_open(world: World) -> None:
    """A settled complaint linked to an open incident."""
    filed(world)
    headers = {"Authorization": f"Bearer {world.ctx['supervisor']}"}
    declared = world.desk.api.post("/v1/admin/incidents", INCIDENT, headers)
    assert declared.status_code == 201, declared.body
    world.ctx["incident"] = declared.json_body["incident_id"]
    world.settle()
