"""Desk metrics: recorded from outbox events as cases change, read per filing cohort."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from chalicelib.domain import limits
from chalicelib.domain import validation as v
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import contact_key
from chalicelib.domain.errors import Unavailable, ValidationFailed
from chalicelib.domain.metrics import CANCELLED, CLOCK_STATES, MET, MISSED, RUNNING
from chalicelib.domain.outbox import MetricsPayload, OutboxEvent
from chalicelib.domain.timefmt import SHANGHAI
from chalicelib.services.ports import DeskStore, MetricsStore

log = logging.getLogger(__name__)
REPEAT_WINDOW = timedelta(days=30)
MAX_RANGE_DAYS = limits.METRICS_RANGE_DAYS
CLOCKS = (
    "first_response",
    "resolution",
    "second_review_first_response",
    "second_review",
    "merchant_response",
    "regulatory",
)


class MetricsRecorder:
    """The outbox consumer for `metrics` events; each change counts once however often it is
    delivered."""

    def __init__(self, metrics: MetricsStore, store: DeskStore) -> None:
        self._metrics = metrics
        self._store = store

    def handle(self, event: OutboxEvent) -> bool:
        payload = event.payload_as(MetricsPayload).delta
        add = {str(k): int(v) for k, v in payload.get("add", {}).items()}
        if payload.get("check_repeat") and self._is_repeat(event.subject.id):
            add["repeat"] = 1
        samples = {str(k): [float(x) for x in v] for k, v in payload.get("samples", {}).items()}
        change_id = f"{event.subject}:{event.event_id}"
        return self._metrics.apply(change_id, str(payload["day"]), add, samples)

    def _is_repeat(self, case_id: str) -> bool:
        """Did the same contact file another complaint in the 30 days before this one?"""
        case = self._store.get_case(case_id)
        key = contact_key(case.contact) if case else None
        if case is None or key is None:
            return False
        earlier, _ = self._store.cases_of_contact(key, 20, None)
        since = case.created_at - REPEAT_WINDOW
        this = (case.created_at, case.case_id)  # ULIDs order cases filed in one instant
        return any(since <= c.created_at and (c.created_at, c.case_id) < this for c in earlier)


# Sends without an answer, counted on the Asia/Shanghai day they happened (not by cohort).
DELIVERY_COUNTS = {
    "unanswered": "sends that had no answer (the provider may have accepted them)",
    "settled": "of those, settled by the provider's delivery receipt",
    "resent_unanswered": "messages sent again after their receipt window passed without one",
}


class DeliveryCounts:
    """Counts of ambiguous sends in the desk metrics; each change counts once however often
    it is recorded."""

    def __init__(self, metrics: MetricsStore, clock: Clock) -> None:
        self._metrics = metrics
        self._clock = clock

    def add(self, name: str, change: str) -> None:
        assert name in DELIVERY_COUNTS  # noqa: S101 - a misspelled count is a bug
        day = self._clock.now().astimezone(SHANGHAI).date().isoformat()
        try:
            self._metrics.apply(f"delivery.{name}:{change}", day, {f"delivery.{name}": 1}, {})
        except Unavailable:
            # The message's own record already shows it (status and `unanswered`); a count
            # must not undo a send that happened.
            log.warning("metrics: could not count delivery.%s for %s", name, change)


def _day(raw: str | None, name: str, default: date) -> date:
    if raw is None:
        return default
    if len(raw) != 10:
        problems = v.Problems()
        at = v.timestamp({name: raw}, name, problems)
        if at is None:
            raise ValidationFailed(problems.fields)
        return at.astimezone(SHANGHAI).date()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed({name: "must be a date (2026-11-01) or an RFC 3339 time"}) from None
    if not v.plausible(day):
        raise ValidationFailed({name: v.OUTSIDE_YEARS})
    return day


def _percent(met: int, total: int) -> float | None:
    return round(100 * met / total, 1) if total else None


class MetricsReport:
    def __init__(self, metrics: MetricsStore, clock: Clock) -> None:
        self._metrics = metrics
        self._clock = clock

    def read(self, from_raw: str | None, to_raw: str | None) -> dict[str, Any]:
        """Metrics of the cases filed from `from` to `to` (Asia/Shanghai days, inclusive;
        default the last 30 days)."""
        today = self._clock.now().astimezone(SHANGHAI).date()
        to = _day(to_raw, "to", today)
        start = _day(from_raw, "from", to - timedelta(days=29))
        if start > to:
            raise ValidationFailed({"from": "must not be after to"})
        if (to - start).days >= MAX_RANGE_DAYS:
            raise ValidationFailed({"from": f"the range is at most {MAX_RANGE_DAYS} days"})
        days = [(start + timedelta(days=n)).isoformat() for n in range((to - start).days + 1)]
        return summarize(self._metrics.days(days), start, to)


def _sum(items: Iterable[dict[str, Any]], name: str) -> int:
    return sum(int(item.get(name, 0)) for item in items)


def _clock(items: list[dict[str, Any]], clock: str) -> dict[str, Any]:
    """A clock's figures: running, met, missed (ran out, from the moment it did, stopped or
    not) and cancelled (ended with nothing to judge); `total` is met + missed and
    `percent_met` their share met. Days recorded before clocks were counted this way hold only
    stopped clocks (`total`, `met`): their stopped-late ones count as missed."""
    counts = dict.fromkeys(CLOCK_STATES, 0)
    for item in items:
        if any(f"{clock}.{state}" in item for state in (RUNNING, MISSED, CANCELLED)):
            for state in CLOCK_STATES:
                counts[state] += int(item.get(f"{clock}.{state}", 0))
        else:
            met, stopped = int(item.get(f"{clock}.met", 0)), int(item.get(f"{clock}.total", 0))
            counts[MET] += met
            counts[MISSED] += stopped - met
    judged = counts[MET] + counts[MISSED]
    return {
        **counts,
        "started": sum(counts.values()),
        "total": judged,
        "percent_met": _percent(counts[MET], judged),
    }


def summarize(items: list[dict[str, Any]], start: date, to: date) -> dict[str, Any]:
    names = {name for item in items for name in item}

    def group(prefix: str) -> dict[str, int]:
        found = {n.removeprefix(prefix): _sum(items, n) for n in names if n.startswith(prefix)}
        return {k: v for k, v in sorted(found.items()) if v}

    filed = _sum(items, "filed")
    clocks = {clock: _clock(items, clock) for clock in CLOCKS}
    medians = {}
    for clock in ("first_response", "resolution"):
        values = [v for item in items for v in item.get(f"{clock}_hours", [])]
        medians[clock] = round(statistics.median(values), 2) if values else None
    ratings = _sum(items, "csat.count")
    return {
        "from": start.isoformat(),
        "to": to.isoformat(),
        "cohort": "cases filed on these days (Asia/Shanghai)",
        "volumes": {
            "filed": filed,
            "by_category": group("category."),
            "by_status": group("status."),
            "incident_linked": _sum(items, "incident_linked"),
            "not_incident_linked": filed - _sum(items, "incident_linked"),
        },
        # Complaints of this cohort linked to each incident (by incident id).
        "incidents": group("incident."),
        "sla": clocks,
        "median_working_hours": medians,
        "csat": {
            "count": ratings,
            "average": round(_sum(items, "csat.sum") / ratings, 2) if ratings else None,
            "distribution": {str(n): _sum(items, f"csat.{n}") for n in range(1, 6)},
        },
        "repeat_complaint_rate": round(_sum(items, "repeat") / filed, 3) if filed else None,
        "deliveries": {name: _sum(items, f"delivery.{name}") for name in DELIVERY_COUNTS},
    }
