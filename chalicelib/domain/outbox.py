"""Outbox events: work that must happen after a change commits, typed.

Each event has a kind (`EventKind`), a subject named for what it is about (`Subject`: a case,
a merchant's payment query, a payment, a calendar year, a phone asking for a code) and a payload
of the dataclass its kind declares (`PAYLOADS`). Its `event_id` is deterministic (the subject's
version and what it is), so a retried transaction writes the same event and a consumer can
deduplicate on it. Consumers are registered by kind (services/outbox.py).

Adding a kind: add it to `EventKind`, give it a payload dataclass with `to_dict`/`from_dict`
registered in `PAYLOADS`, a constructor next to its producer, and a consumer in the wiring's
outbox registry (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar


class EventKind(StrEnum):
    NOTIFY = "notify"  # messages to send (services/notify.py)
    SEND_HELD = "send_held"  # send a case's held messages that are due, or one staff resent
    SCHEDULE = "schedule"  # a case's wake-up schedule change (services/schedules.py)
    METRICS = "metrics"  # a case change's metric deltas (services/metrics.py)
    MAINTENANCE = "maintenance"  # recomputing open cases' deadlines (services/sla_admin.py)
    PAYMENT = "payment"  # what a payment's new facts mean for cases and queries
    INCIDENT = "incident"  # one chunk of an incident's cases: link, update or resolve

    @classmethod
    def read(cls, stored: str) -> EventKind:
        """A stored kind; events written before the rename said `release`."""
        return cls.SEND_HELD if stored == "release" else cls(stored)


class SubjectKind(StrEnum):
    CASE = "case"
    QUERY = "query"  # a merchant's payment query
    PAYMENT = "payment"  # a payment in the ledger, by its transaction id
    CALENDAR = "calendar"  # a calendar year staff loaded
    PHONE = "phone"  # a phone asking for a one-time code (a fingerprint, never the number)
    INCIDENT = "incident"  # an incident (many complaints, one cause)
    MERCHANT = "merchant"  # a merchant: its account (its credentials), an hour's digest


# How each kind of subject is written in the store (the outbox's partition key, and a delivery
# log's subject). Cases are written as their bare id.
_PREFIXES = {
    SubjectKind.QUERY: "query#",
    SubjectKind.PAYMENT: "payment#",
    SubjectKind.CALENDAR: "calendar#",
    SubjectKind.PHONE: "otp:",
    SubjectKind.INCIDENT: "incident#",
    SubjectKind.MERCHANT: "merchant#",
}


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    id: str

    @classmethod
    def case(cls, case_id: str) -> Subject:
        return cls(SubjectKind.CASE, case_id)

    @classmethod
    def query(cls, query_id: str) -> Subject:
        return cls(SubjectKind.QUERY, query_id)

    @classmethod
    def payment(cls, transaction_id: str) -> Subject:
        return cls(SubjectKind.PAYMENT, transaction_id)

    @classmethod
    def calendar(cls, year: int) -> Subject:
        return cls(SubjectKind.CALENDAR, str(year))

    @classmethod
    def phone(cls, fingerprint: str) -> Subject:
        return cls(SubjectKind.PHONE, fingerprint)

    @classmethod
    def incident(cls, incident_id: str) -> Subject:
        return cls(SubjectKind.INCIDENT, incident_id)

    @classmethod
    def merchant(cls, merchant_id: str) -> Subject:
        return cls(SubjectKind.MERCHANT, merchant_id)

    @property
    def is_case(self) -> bool:
        return self.kind is SubjectKind.CASE

    @property
    def key(self) -> str:
        """The subject as stored."""
        return _PREFIXES.get(self.kind, "") + self.id

    @classmethod
    def parse(cls, key: str) -> Subject:
        for kind, prefix in _PREFIXES.items():
            if key.startswith(prefix):
                return cls(kind, key[len(prefix) :])
        return cls.case(key)

    def __str__(self) -> str:
        return self.key


# -- payloads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotifyPayload:
    """Messages to send. `key` tells repeats of one event apart (the n-th periodic update):
    (subject, key, channel) is a message's exactly-once identity. `to` names recipients that are
    not the case's contact (staff by id or role, a merchant, the phone asking for a code);
    `sealed` carries a secret (a one-time code) the dispatcher opens only to send it."""

    audience: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    to: dict[str, Any] | None = None
    sealed: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NotifyPayload:
        return cls(
            audience=str(data.get("audience", "customer")),
            key=str(data.get("key") or ""),
            params=dict(data.get("params") or {}),
            to=data.get("to"),
            sealed=data.get("sealed"),
        )


@dataclass(frozen=True)
class Resend:
    """A message staff asked to send again, as they saw it (so a repeat changes nothing)."""

    notification_id: str
    status: str
    attempts: int


@dataclass(frozen=True)
class SendHeldPayload:
    resend: Resend | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.resend is None:
            return {}
        r = self.resend
        return {"resend": {"id": r.notification_id, "status": r.status, "attempts": r.attempts}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SendHeldPayload:
        raw = data.get("resend")
        if not isinstance(raw, dict):
            return cls()
        try:
            resend = Resend(str(raw["id"]), str(raw["status"]), int(raw["attempts"]))
        except (KeyError, TypeError, ValueError):
            return cls()
        return cls(resend)


@dataclass(frozen=True)
class SchedulePayload:
    action: str  # create | update | delete
    gen: int
    epoch: int
    at: str | None = None  # RFC 3339
    timer: str | None = None
    due_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SchedulePayload:
        return cls(
            action=str(data["action"]),
            gen=int(data["gen"]),
            epoch=int(data["epoch"]),
            at=data.get("at"),
            timer=data.get("timer"),
            due_at=data.get("due_at"),
        )


@dataclass(frozen=True)
class MetricsPayload:
    """A case change's effect on the day's metrics (domain/metrics.py `Delta.payload()`)."""

    delta: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.delta)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetricsPayload:
        return cls(dict(data))


@dataclass(frozen=True)
class MaintenancePayload:
    """One page of a deadline recompute run (a calendar year loaded, a policy edited)."""

    run: str
    page: int
    cursor: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.extra, "run": self.run, "page": self.page, "cursor": self.cursor}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MaintenancePayload:
        extra = {k: v for k, v in data.items() if k not in ("run", "page", "cursor")}
        return cls(str(data["run"]), int(data.get("page", 0)), data.get("cursor"), extra)


@dataclass(frozen=True)
class PaymentPayload:
    """A payment's new facts (succeeded, settled, refunded, ...), from the event that made
    them."""

    transaction_id: str
    facts: tuple[str, ...]
    event_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"transaction_id": self.transaction_id, "facts": list(self.facts)}
        if self.event_id is not None:
            out["event_id"] = self.event_id
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PaymentPayload:
        return cls(
            str(data["transaction_id"]),
            tuple(str(f) for f in data.get("facts", [])),
            data.get("event_id"),
        )


@dataclass(frozen=True)
class IncidentPayload:
    """One chunk of an incident's cases (at most domain/incident.py's CHUNK): `action` is link,
    update (the n-th) or resolve; `source` and `cursor` say where the chunk starts."""

    incident_id: str
    action: str  # link | update | resolve
    page: int = 0
    cursor: dict[str, Any] | None = None
    source: int = 0  # link: which of the match rule's categories is being read
    n: int = 0  # update: which update

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IncidentPayload:
        return cls(
            str(data["incident_id"]),
            str(data["action"]),
            int(data.get("page", 0)),
            data.get("cursor"),
            int(data.get("source", 0)),
            int(data.get("n", 0)),
        )


class Payload(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


PAYLOADS: dict[EventKind, Any] = {
    EventKind.NOTIFY: NotifyPayload,
    EventKind.SEND_HELD: SendHeldPayload,
    EventKind.SCHEDULE: SchedulePayload,
    EventKind.METRICS: MetricsPayload,
    EventKind.MAINTENANCE: MaintenancePayload,
    EventKind.PAYMENT: PaymentPayload,
    EventKind.INCIDENT: IncidentPayload,
}

P = TypeVar("P")


@dataclass(frozen=True)
class OutboxEvent:
    """Work that must happen after a change commits."""

    subject: Subject
    event_id: str
    kind: EventKind
    name: str
    payload: Any  # the dataclass PAYLOADS names for `kind`
    created_at: datetime
    attempts: int = 0  # failed attempts so far (a consumer raised)
    last_error: str | None = None
    # The request (or the event) whose change wrote it: logs follow a complaint through it.
    correlation_id: str | None = None

    def payload_as(self, kind: type[P]) -> P:
        """The payload, checked to be of the type its consumer expects."""
        if not isinstance(self.payload, kind):
            raise TypeError(f"{self.kind} event {self.event_id} carries {type(self.payload)}")
        return self.payload


def payload_to_dict(event: OutboxEvent) -> dict[str, Any]:
    payload: Payload = event.payload
    return payload.to_dict()


def payload_from_dict(kind: EventKind, data: dict[str, Any]) -> Any:
    return PAYLOADS[kind].from_dict(data)
