"""moto's in-process AWS for the adapter and API tiers: created once per test package, emptied
between tests (creating seven tables per test would cost more than the tests themselves)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto import mock_aws

from chalicelib import wiring
from chalicelib.adapters.dynamo.models import MODELS
from chalicelib.domain.clock import Clock
from chalicelib.settings import Settings
from devstack.bootstrap import provision

# Adapters hold only a client; tests share them and get a fresh clock and services each time.
SHARED = (
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


@contextmanager
def moto_stack() -> Iterator[wiring.Container]:
    with mock_aws():
        base = wiring.Container(Settings.from_env())
        provision(base)
        yield base


def fresh_container(base: wiring.Container, clock: Clock, **overrides: Any) -> wiring.Container:
    """Empty every table and schedule, then build a container on the shared adapters."""
    for model in MODELS:
        for item in model.scan():
            item.delete(add_version_condition=False)
    scheduler = base.client("scheduler")
    group = base.settings.schedule_group
    for schedule in scheduler.list_schedules(GroupName=group)["Schedules"]:
        scheduler.delete_schedule(Name=schedule["Name"], GroupName=group)
    shared = {name: getattr(base, name) for name in SHARED if name not in overrides}
    return wiring.Container(base.settings, clock=clock, **shared, **overrides)
