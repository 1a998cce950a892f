"""Service tests: the real composition root with in-memory adapters and a fixed clock. No socket
may open (the network guard)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.domain.clock import FixedClock
from chalicelib.settings import Settings
from tests.builders import MONDAY_10AM
from tests.fakes import (
    FakeAuditLog,
    FakeEmail,
    FakeEvidenceStorage,
    FakeMerchantDirectory,
    FakeMetricsStore,
    FakeNotificationLog,
    FakePaymentStore,
    FakeScheduler,
    FakeSearchIndex,
    FakeSms,
    FakeStaffDirectory,
    FakeStore,
)
from tests.network_guard import no_network  # noqa: F401 - an autouse fixture


@dataclass
class Desk:
    """Everything a service test needs to drive and observe the system."""

    container: wiring.Container
    clock: FixedClock
    store: FakeStore
    notifications: FakeNotificationLog
    scheduler: FakeScheduler
    sms: FakeSms
    email: FakeEmail

    def drain(self) -> int:
        """Run every pending outbox event, as the stream would."""
        return self.container.outbox.redrive()

    def fire_due(self) -> int:
        """Fire every due schedule, as EventBridge Scheduler would, until none is due and the
        outbox is drained (a consumer may fire a late timer itself, adding events)."""
        total = 0
        for _ in range(50):
            drained = self.drain()
            fired = self.scheduler.fire_due(self.clock.now(), self.container.timers.fire)
            if not fired and not drained:
                break
            total += fired
        return total

    def file(self, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        return self.container.complaints.file(body, key).body


def make_desk(observer: Any = None, **overrides: Any) -> Desk:
    """`observer` sees every message sent, rendered: (notification, text or Email)."""
    clock = FixedClock(MONDAY_10AM)
    store = overrides.pop("store", None) or FakeStore()
    parts: dict[str, Any] = {
        "store": store,
        "notifications": FakeNotificationLog(),
        "scheduler": FakeScheduler(),
        "sms": FakeSms(),
        "email": FakeEmail(),
        "staff_directory": FakeStaffDirectory(store),
        "merchant_directory": FakeMerchantDirectory(store),
        "payments": FakePaymentStore(store),
        "audit_log": FakeAuditLog(store),
        "search_index": FakeSearchIndex(store),
        "metrics_store": FakeMetricsStore(),
        "evidence_files": store,
        "evidence_storage": FakeEvidenceStorage(),
        "pause": clock.advance,  # a wait between quick retries moves the clock, never sleeps
        **overrides,
    }
    container = wiring.Container(Settings.from_env(), clock=clock, observer=observer, **parts)
    return Desk(
        container,
        clock,
        parts["store"],
        parts["notifications"],
        parts["scheduler"],
        parts["sms"],
        parts["email"],
    )


@pytest.fixture
def desk() -> Desk:
    return make_desk()
