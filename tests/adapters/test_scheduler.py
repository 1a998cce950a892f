"""EventBridge Scheduler adapter under moto."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.stub import Stubber

from chalicelib import wiring
from chalicelib.adapters.scheduler import RETRY_POLICY, EventBridgeScheduler
from chalicelib.domain.errors import Unavailable
from chalicelib.services.ports import ScheduleExists, ScheduleInPast, ScheduleMissing
from tests.builders import MONDAY_10AM

AT = MONDAY_10AM + timedelta(days=1)
PAYLOAD = {"case_id": "01M8227EWWW73KQHMQKKVMVN3N", "timer": "x", "due_at": "d", "clock_epoch": 3}


def _get(container: wiring.Container, name: str) -> dict[str, object]:
    client = container.client("scheduler")
    return dict(client.get_schedule(Name=name, GroupName=container.settings.schedule_group))


def test_scheduler_creates_a_one_time_self_deleting_schedule(container: wiring.Container) -> None:
    # WHEN a schedule is created
    container.scheduler.create("case-1", AT, PAYLOAD)
    # THEN it is a one-time UTC at() schedule that invokes sla_timer and deletes itself
    schedule = _get(container, "case-1")
    assert schedule["ScheduleExpression"] == "at(2026-11-24T02:00:00)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    target = schedule["Target"]
    assert isinstance(target, dict)
    assert json.loads(target["Input"]) == PAYLOAD
    assert target["Arn"] == container.settings.schedule_target_arn
    assert target["RetryPolicy"] == RETRY_POLICY


def test_scheduler_create_twice_reports_exists(container: wiring.Container) -> None:
    container.scheduler.create("case-1", AT, PAYLOAD)
    with pytest.raises(ScheduleExists):
        container.scheduler.create("case-1", AT, PAYLOAD)


def test_scheduler_update_moves_the_time(container: wiring.Container) -> None:
    container.scheduler.create("case-1", AT, PAYLOAD)
    container.scheduler.update("case-1", AT + timedelta(hours=1), {**PAYLOAD, "clock_epoch": 4})
    schedule = _get(container, "case-1")
    assert schedule["ScheduleExpression"] == "at(2026-11-24T03:00:00)"
    assert json.loads(schedule["Target"]["Input"])["clock_epoch"] == 4  # type: ignore[index]


def test_scheduler_update_or_delete_of_a_missing_schedule_reports_missing(
    container: wiring.Container,
) -> None:
    with pytest.raises(ScheduleMissing):
        container.scheduler.update("nope", AT, PAYLOAD)
    with pytest.raises(ScheduleMissing):
        container.scheduler.delete("nope")


def test_scheduler_throttling_is_unavailable(container: wiring.Container) -> None:
    # GIVEN a Scheduler that throttles (botocore's own Stubber stands in for AWS)
    client = container.client("scheduler")
    scheduler = EventBridgeScheduler(client, "g", "arn:t", "arn:r", "arn:dlq")
    with Stubber(client) as stub:
        stub.add_client_error("create_schedule", "ThrottlingException", http_status_code=429)
        # WHEN a schedule is created THEN the domain sees a retryable Unavailable
        with pytest.raises(Unavailable):
            scheduler.create("case-1", AT, PAYLOAD)


def test_scheduler_refusing_a_time_in_the_past_is_schedule_in_past(
    container: wiring.Container,
) -> None:
    # GIVEN Scheduler refusing a one-time schedule whose time has passed
    client = container.client("scheduler")
    scheduler = EventBridgeScheduler(client, "g", "arn:t", "arn:r", "arn:dlq")
    with Stubber(client) as stub:
        stub.add_client_error(
            "create_schedule",
            "ValidationException",
            "The schedule expression at(2026-11-24T01:30:00) is in the past.",
            http_status_code=400,
        )
        # WHEN it is created THEN the service is told the time passed (and fires it itself)
        with pytest.raises(ScheduleInPast):
            scheduler.create("case-1", AT, PAYLOAD)
