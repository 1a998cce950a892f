"""EventBridge Scheduler: one-time `at()` schedules that invoke `sla_timer`, then delete
themselves."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.adapters.errors import error_code, is_transient, unavailable
from chalicelib.services.ports import ScheduleExists, ScheduleInPast, ScheduleMissing

# Scheduler retries a failed invocation this often within this time before the dead-letter queue.
RETRY_POLICY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 20}


def at_expression(when: datetime) -> str:
    return f"at({when.astimezone(UTC):%Y-%m-%dT%H:%M:%S})"


class EventBridgeScheduler:
    def __init__(
        self,
        client: Any,
        group: str,
        target_arn: str,
        role_arn: str,
        dlq_arn: str | None = None,
    ) -> None:
        self._client = client
        self._group = group
        self._target_arn = target_arn
        self._role_arn = role_arn
        self._dlq_arn = dlq_arn

    def create(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        self._call("create_schedule", name, **self._definition(at, payload))

    def update(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        self._call("update_schedule", name, **self._definition(at, payload))

    def delete(self, name: str) -> None:
        self._call("delete_schedule", name)

    def _definition(self, at: datetime, payload: dict[str, Any]) -> dict[str, Any]:
        target: dict[str, Any] = {
            "Arn": self._target_arn,
            "RoleArn": self._role_arn,
            "Input": json.dumps(payload, separators=(",", ":")),
            "RetryPolicy": RETRY_POLICY,
        }
        if self._dlq_arn:
            target["DeadLetterConfig"] = {"Arn": self._dlq_arn}
        return {
            "ScheduleExpression": at_expression(at),
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Target": target,
        }

    def _call(self, operation: str, name: str, **kwargs: Any) -> None:
        try:
            getattr(self._client, operation)(Name=name, GroupName=self._group, **kwargs)
        except Exception as exc:
            code = error_code(exc)
            if code == "ConflictException":
                raise ScheduleExists(name) from exc
            if code == "ResourceNotFoundException":
                raise ScheduleMissing(name) from exc
            if code == "ValidationException" and "past" in str(exc).lower():
                raise ScheduleInPast(name) from exc
            if is_transient(exc):
                raise unavailable(exc, "scheduler") from exc
            raise
