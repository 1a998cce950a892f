"""Incidents: one cause (a bank gateway down, a merchant's outage) behind many complaints.

A supervisor declares an incident with what customers are told (`summary`, zh-CN and en) and a
match rule (categories, a merchant, a time window). Open cases that match are linked, and so is
every matching case filed while the incident is open. Its updates reach each linked customer
once; resolving it resolves every linked case that still waits for an outcome, each as its own
move. The incident is stored as one record, written at the next version under a version claim,
so two writers never overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from . import limits
from . import validation as v
from .case import Case, Status
from .errors import ValidationFailed
from .moves import EVIDENCE_RESOLVES
from .policy import Category
from .quiet import QUIET_FROM, quiet_until
from .timefmt import SHANGHAI, parse_rfc3339, to_rfc3339

LANGUAGES = ("zh-CN", "en")
# Cases one link, update or resolve work item handles (each case its own transaction).
CHUNK = 100
# Incident updates go out at most this many SMS a second, leaving the rest of the account's
# SMS rate to every other message.
SMS_PER_SECOND = 5
# Linked cases that are past waiting for an outcome (resolved, unresolved, closed, withdrawn).
OUTCOME_STATUSES = frozenset({Status.RESOLVED, Status.UNRESOLVED, Status.CLOSED, Status.WITHDRAWN})
# Where an incident's resolution moves a case from (as the payment platform's evidence does).
RESOLVABLE = EVIDENCE_RESOLVES


class IncidentStatus(StrEnum):
    OPEN = "open"
    RESOLVING = "resolving"  # its linked cases are being resolved in the background
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Match:
    categories: tuple[str, ...] = ()
    merchant_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None

    def covers(self, case: Case) -> bool:
        """Whether a case is one of this incident's complaints (by what it is and when it was
        filed)."""
        if self.categories and case.category.value not in self.categories:
            return False
        if self.merchant_id is not None and case.merchant_id != self.merchant_id:
            return False
        if self.started_at is not None and case.created_at < self.started_at:
            return False
        return self.ended_at is None or case.created_at <= self.ended_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "categories": list(self.categories),
            "merchant_id": self.merchant_id,
            "started_at": to_rfc3339(self.started_at) if self.started_at else None,
            "ended_at": to_rfc3339(self.ended_at) if self.ended_at else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Match:
        started, ended = data.get("started_at"), data.get("ended_at")
        return cls(
            tuple(str(c) for c in data.get("categories") or ()),
            data.get("merchant_id"),
            parse_rfc3339(str(started)) if started else None,
            parse_rfc3339(str(ended)) if ended else None,
        )


@dataclass(frozen=True)
class Unmoved:
    """A linked case the resolution could not move, and why."""

    case_id: str
    case_number: str
    status: str
    reason: str


@dataclass(frozen=True)
class Incident:
    incident_id: str
    title: str
    summary: dict[str, str]
    match: Match
    status: IncidentStatus
    created_by: str
    created_at: datetime
    version: int = 1
    updates: tuple[dict[str, Any], ...] = ()  # {"n", "at", "by", "text": {lang: text}}
    resolution: dict[str, Any] | None = None  # {"at", "by", "outcome", "text"}
    unmoved: tuple[Unmoved, ...] = ()
    resolved_at: datetime | None = None

    @property
    def accepts_links(self) -> bool:
        return self.status is IncidentStatus.OPEN

    def text_for(self, language: str) -> str:
        return self.summary.get(language) or self.summary["zh-CN"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "title": self.title,
            "summary": dict(self.summary),
            "match": self.match.to_dict(),
            "status": self.status.value,
            "created_by": self.created_by,
            "created_at": to_rfc3339(self.created_at),
            "version": self.version,
            "updates": [dict(u) for u in self.updates],
            "resolution": self.resolution,
            "unmoved": [u.__dict__ for u in self.unmoved],
            "resolved_at": to_rfc3339(self.resolved_at) if self.resolved_at else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Incident:
        resolved = data.get("resolved_at")
        return cls(
            incident_id=str(data["incident_id"]),
            title=str(data["title"]),
            summary={str(k): str(t) for k, t in dict(data["summary"]).items()},
            match=Match.from_dict(dict(data.get("match") or {})),
            status=IncidentStatus(str(data["status"])),
            created_by=str(data["created_by"]),
            created_at=parse_rfc3339(str(data["created_at"])),
            version=int(data.get("version", 1)),
            updates=tuple(dict(u) for u in data.get("updates") or ()),
            resolution=dict(data["resolution"]) if data.get("resolution") else None,
            unmoved=tuple(Unmoved(**{k: str(x) for k, x in u.items()}) for u in data["unmoved"])
            if data.get("unmoved")
            else (),
            resolved_at=parse_rfc3339(str(resolved)) if resolved else None,
        )


@dataclass(frozen=True)
class Declaration:
    title: str
    summary: dict[str, str]
    match: Match


def _texts(data: Any, name: str, limit: int, problems: v.Problems) -> dict[str, str]:
    """A text in both languages: {"zh-CN": ..., "en": ...}."""
    obj = v.require_object(data, problems, name)
    v.reject_unknown(obj, LANGUAGES, problems, f"{name}.")
    out = {}
    for lang in LANGUAGES:
        text = v.text(obj, lang, problems, required=True, max_len=limit, field=f"{name}.{lang}")
        if text is not None:
            out[lang] = text
    return out


def parse_declaration(body: Any, now: datetime) -> Declaration:
    problems = v.Problems()
    data = v.require_object(body, problems)
    v.reject_unknown(data, ("title", "summary", "started_at", "ended_at", "match"), problems)
    title = v.text(data, "title", problems, required=True, max_len=limits.INCIDENT_TITLE)
    summary = _texts(data.get("summary"), "summary", limits.INCIDENT_TEXT, problems)
    started = v.timestamp(data, "started_at", problems, required=True)
    ended = v.timestamp(data, "ended_at", problems)
    rule = v.require_object(data.get("match"), problems, "match")
    v.reject_unknown(rule, ("categories", "merchant_id"), problems, "match.")
    categories = _categories(rule.get("categories"), problems)
    merchant = v.text(
        rule, "merchant_id", problems, max_len=limits.REFERENCE, field="match.merchant_id"
    )
    if not problems and not categories and merchant is None:
        problems.add("match", "name categories, a merchant_id, or both")
    if started is not None and started > now + timedelta(minutes=5):
        problems.add("started_at", "is in the future")
    if started is not None and ended is not None and ended < started:
        problems.add("ended_at", "is before started_at")
    if problems or title is None:
        raise ValidationFailed(problems.fields)
    return Declaration(title, summary, Match(categories, merchant, started, ended))


def _categories(raw: Any, problems: v.Problems) -> tuple[str, ...]:
    if raw is None:
        return ()
    known = [c.value for c in Category]
    if not isinstance(raw, list) or len(raw) > len(known):
        problems.add("match.categories", f"must be a list of categories: {', '.join(known)}")
        return ()
    bad = [c for c in raw if c not in known]
    if bad or len(set(raw)) != len(raw):
        problems.add("match.categories", f"must name each of these at most once: {known}")
        return ()
    return tuple(raw)


def parse_texts(
    body: Any, allowed: tuple[str, ...] = ("text",)
) -> tuple[dict[str, Any], dict[str, str]]:
    """An update's or a resolution's body: its `text` in both languages, and its other fields."""
    problems = v.Problems()
    data = v.require_object(body, problems)
    v.reject_unknown(data, allowed, problems)
    text = _texts(data.get("text"), "text", limits.INCIDENT_TEXT, problems)
    problems.raise_if_any()
    return dict(data), text


def with_update(incident: Incident, text: dict[str, str], by: str, now: datetime) -> Incident:
    n = len(incident.updates) + 1
    update = {"n": n, "at": to_rfc3339(now), "by": by, "text": dict(text)}
    return replace(incident, updates=(*incident.updates, update))


def with_unmoved(incident: Incident, more: list[Unmoved]) -> Incident:
    """The cases the resolution could not move, each once (a chunk run again adds nothing)."""
    seen = {u.case_id for u in incident.unmoved}
    fresh = tuple(u for u in more if u.case_id not in seen)
    return replace(incident, unmoved=incident.unmoved + fresh) if fresh else incident


@dataclass(frozen=True)
class Pacing:
    """When the n-th customer of an incident's update may be sent its SMS: SMS_PER_SECOND from
    `start`, and only outside quiet hours (a slot that would fall in them moves on to 08:00, so
    the morning does not begin with every held SMS at once)."""

    start: datetime
    per_second: int = SMS_PER_SECOND

    def slot(self, n: int) -> datetime:
        at = quiet_until(self.start) or self.start
        left = timedelta(seconds=n / self.per_second)
        while True:
            local = at.astimezone(SHANGHAI)
            quiet = local.replace(
                hour=QUIET_FROM.hour, minute=QUIET_FROM.minute, second=0, microsecond=0
            ).astimezone(at.tzinfo)
            if at + left < quiet:
                return at + left
            left -= quiet - at
            at = quiet_until(quiet) or quiet
