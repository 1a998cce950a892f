"""The state a fault cell runs on: moto's backends at a point in time, put back in memory for
each cell, with a fresh container (its own clock and caches) on the session's shared clients."""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalice.test import Client
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.scheduler.models import scheduler_backends
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib import wiring
from chalicelib.domain.clock import FixedClock
from tests.api.conftest import Api
from tests.api.desk import Desk
from tests.api.merchants import Merchants
from tests.moto_stack import container_on

REGION = "ap-southeast-1"
TABLE_PREFIX = "paycase-test-"


def _dynamodb() -> Any:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


def _sns() -> Any:
    return sns_backends[DEFAULT_ACCOUNT_ID][REGION]


def _ses() -> Any:
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION]


def _groups() -> Any:
    return scheduler_backends[DEFAULT_ACCOUNT_ID][REGION].schedule_groups


@dataclass(frozen=True)
class Snapshot:
    """moto's tables, schedules, sent SMS and email, and the application time."""

    tables: Any
    sms: list[tuple[str, tuple[str, str]]]
    emails: list[Any]
    schedules: dict[str, Any]
    at: datetime

    @classmethod
    def take(cls, at: datetime) -> Snapshot:
        return cls(
            tables=copy.deepcopy(_dynamodb().tables),
            sms=list(_sns().sms_messages.items()),
            emails=list(_ses().sent_messages),
            schedules={name: copy.deepcopy(g.schedules) for name, g in _groups().items()},
            at=at,
        )

    def unchanged(self) -> bool:
        """Is moto exactly as snapshotted (every item, message and schedule)?"""
        if _fingerprint(_dynamodb().tables) != self.fingerprint:
            return False
        schedules = {name: sorted(g.schedules) for name, g in _groups().items()}
        return (
            len(_sns().sms_messages) == len(self.sms)
            and len(_ses().sent_messages) == len(self.emails)
            and schedules
            == {n: sorted(s) for n, s in self.schedules.items() if s or n in schedules}
        )

    @property
    def fingerprint(self) -> list[Any]:
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            cached = _fingerprint(self.tables)
            object.__setattr__(self, "_fingerprint", cached)
        return cached

    def restore(self) -> None:
        _dynamodb().tables = copy.deepcopy(self.tables)
        sns = _sns()
        sns.sms_messages.clear()
        sns.sms_messages.update(self.sms)
        ses = _ses()
        ses.sent_messages[:] = self.emails
        ses.sent_message_count = len(self.emails)
        for name, group in _groups().items():
            group.schedules.clear()
            group.schedules.update(copy.deepcopy(self.schedules.get(name, {})))


@dataclass
class World:
    """One cell's application: the API client, a desk and merchants driving it, and whatever
    the path's setup made (`ctx`)."""

    client: Client
    base: wiring.Container
    clock: FixedClock
    api: Api
    desk: Desk
    merchants: Merchants
    ctx: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fresh(cls, client: Client, base: wiring.Container, at: datetime) -> World:
        clock = FixedClock(at)
        # The dispatcher's pauses between quick retries move the clock instead of waiting.
        container = container_on(base, clock, pause=clock.advance)
        wiring.use(container)
        api = Api(client, container, clock)
        return cls(client, base, clock, api, Desk(api), Merchants(api))

    def renew(self, at: datetime) -> None:
        """A new container (clock, caches) for the same people and context."""
        fresh = World.fresh(self.client, self.base, at)
        self.clock, self.api = fresh.clock, fresh.api
        self.desk.api = self.merchants.api = fresh.api

    @property
    def container(self) -> wiring.Container:
        return self.api.container

    # -- letting time and the outbox catch up --------------------------------------------------

    def settle(self, rounds: int = 8) -> None:
        """Do what AWS would do next, until nothing is left to do now: deliver pending outbox
        events (as the sweeper's redrive does), fire due schedules, and sweep timers whose
        schedule is missing. What is left to do is read from moto directly, so a quiet settle
        costs no AWS call."""
        container = self.container
        for _ in range(rounds):
            pending = self.pending()
            if pending:
                container.outbox.redrive()
            fired = self.fire_due()
            swept = container.timers.sweep(timedelta(0)) if self._lost_timers() else 0
            if not fired and not swept and self.pending() == pending:
                return

    def settle_and_wait(self, minutes: int = 10) -> None:
        """Settle now, then again once back-offs, leases and the sweeper's age have passed."""
        self.settle()
        self.clock.advance(minutes * 60)
        self.settle()

    def pending(self) -> set[tuple[str, str]]:
        """Outbox events not yet done that are due by now."""
        now = self.clock.now()
        out = set()
        for item in _table("outbox").all_items():
            a = item.attrs
            if "pending_shard" in a and _time(a["created_at"].value) <= now:
                out.add((a["case_id"].value, a["event_id"].value))
        return out

    def _lost_timers(self) -> bool:
        now = self.clock.now()
        return any(
            "wake_at" in item.attrs and _time(item.attrs["wake_at"].value) <= now
            for item in _table("cases").all_items()
        )

    def due_schedules(self) -> list[tuple[datetime, str, str, dict[str, Any]]]:
        """(due, group, name, input) of schedules due by now, in due order."""
        now = self.clock.now()
        due = []
        for group_name, group in _groups().items():
            for name, schedule in group.schedules.items():
                expression = schedule.schedule_expression
                if not expression.startswith("at(") or schedule.state == "DISABLED":
                    continue
                at = datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC)
                if at <= now:
                    payload = json.loads(schedule.target.get("Input") or "{}")
                    due.append((at, group_name, name, payload))
        return sorted(due, key=lambda d: (d[0], d[2]))

    def fire_due(self) -> int:
        """Fire due schedules as EventBridge would, then delete them (ActionAfterCompletion)."""
        due = self.due_schedules()
        for _, group, name, payload in due:
            self.container.timers.fire(payload)
            _groups()[group].schedules.pop(name, None)
        return len(due)


def _schedule_list(groups: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted(
        (group, name, schedule.schedule_expression)
        for group, schedules in groups.items()
        for name, schedule in schedules.items()
    )


def _fingerprint(tables: Any) -> list[Any]:
    return [
        (name, sorted(json.dumps(i.to_json(), sort_keys=True) for i in table.all_items()))
        for name, table in sorted(tables.items())
    ]


def _table(name: str) -> Any:
    return _dynamodb().tables[TABLE_PREFIX + name]


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def lose_schedules() -> None:
    """Every EventBridge schedule gone, as if Scheduler had lost them."""
    for group in _groups().values():
        group.schedules.clear()


# -- what a path did -------------------------------------------------------------------------


def census() -> Counter[str]:
    """The effects a retry must not repeat, read from moto's tables directly (no AWS call):
    items per table, timeline entries per type, audit entries per action, ledger events, metric
    counters, the keys that record a fact, and live schedules."""
    counts: Counter[str] = Counter()
    for name, table in _dynamodb().tables.items():
        kind = name.removeprefix(TABLE_PREFIX)
        items = [item.to_json()["Attributes"] for item in table.all_items()]
        counts.update(_counted(kind, items))
    counts["schedules"] = sum(len(g.schedules) for g in _groups().values())
    return +counts


def _counted(kind: str, items: list[dict[str, Any]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    if kind in ("cases", "staff", "merchants", "payment_queries", "evidence"):
        counts[kind] += len(items)
    elif kind == "timeline":
        counts.update(f"timeline:{i['type']['S']}" for i in items)
    elif kind == "audit":
        counts.update(f"audit:{i['action']['S']}" for i in items)
    elif kind == "payments":
        counts["payment_events"] += sum(len(i["events"]["L"]) for i in items)
    elif kind == "metrics":
        counts.update(_metric_counts(items))
    elif kind == "keys":
        prefixes = (i["key"]["S"].split("#", 1)[0] for i in items)
        counts.update(f"key:{prefix}" for prefix in prefixes if prefix in FACT_KEYS)
    return counts


def _metric_counts(items: list[dict[str, Any]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for item in items:
        for attr, value in item.items():
            if attr.startswith(OBSERVED_METRICS):
                continue  # counts of what faults did (ambiguous sends), not effects
            if "N" in value:
                counts[f"metrics:{attr}"] += int(float(value["N"]))
            elif "L" in value:
                counts[f"metrics:{attr}"] += len(value["L"])
    return counts


# Metrics that count what happened to deliveries (sends without an answer, settled by a receipt)
# rather than what the desk did: a fault is meant to show in them.
OBSERVED_METRICS = ("delivery.",)
FACT_KEYS = frozenset(
    {"session", "otp-used", "sms-opt-out", "email-suppressed", "payment-event", "case-number"}
)


def sms_sent() -> list[tuple[str, str]]:
    return list(_sns().sms_messages.values())


def emails_sent() -> list[tuple[str, str]]:
    out = []
    for message in _ses().sent_messages:
        for address in getattr(message, "destinations", {}).get("ToAddresses", []):
            out.append((address, str(getattr(message, "subject", ""))))
    return out
