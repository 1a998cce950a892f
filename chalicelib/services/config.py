"""The desk's editable configuration: SLA policies per category and loaded calendar years.

Both are read through `DeskConfig`, which keeps them for a minute per Lambda container, so the
complaint POST stays at one AWS call while warm; an edit reaches every container within a
minute (and the container that made it at once).
"""

from __future__ import annotations

import time
from typing import Any

from chalicelib.domain.calendar import BusinessHours, WorkingCalendar, YearCalendar
from chalicelib.domain.clock import Clock
from chalicelib.domain.policy import DEFAULT_POLICIES, Category, SlaPolicy, Target
from chalicelib.domain.timefmt import SHANGHAI
from chalicelib.services.keys import calendar_key, sla_policy_key
from chalicelib.services.ports import DeskStore

CACHE_SECONDS = 60.0


def target_from(data: dict[str, Any]) -> Target:
    hours = float(data.get("hours", 0))
    return Target(days=int(data.get("days", 0)), hours=int(hours) if hours.is_integer() else hours)


def loadable_years(this_year: int) -> range:
    """The calendar years the desk reads: last year to three years ahead."""
    return range(this_year - 1, this_year + 4)


def policy_from(category: Category, data: dict[str, Any]) -> SlaPolicy:
    return SlaPolicy(
        category,
        target_from(data["first_response"]),
        target_from(data["resolution"]),
        int(data["version"]),
    )


def policy_dict(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "category": policy.category.value,
        "version": policy.version,
        "first_response": policy.first_response.to_dict(),
        "resolution": policy.resolution.to_dict(),
    }


class DeskConfig:
    def __init__(self, store: DeskStore, clock: Clock, hours: BusinessHours) -> None:
        self._store = store
        self._clock = clock
        self._hours = hours
        self._loaded_at = -CACHE_SECONDS
        self._policies: dict[Category, SlaPolicy] = dict(DEFAULT_POLICIES)
        self._calendar = WorkingCalendar.shipped(hours)
        self._calendar_records: dict[int, dict[str, Any]] = {}

    def invalidate(self) -> None:
        self._loaded_at = -CACHE_SECONDS

    def _fresh(self) -> None:
        if time.monotonic() - self._loaded_at < CACHE_SECONDS:
            return
        years = loadable_years(self._clock.now().astimezone(SHANGHAI).year)
        keys = [sla_policy_key(c.value) for c in Category] + [calendar_key(y) for y in years]
        stored = self._store.get_keys(keys)
        policies = dict(DEFAULT_POLICIES)
        for category in Category:
            if (data := stored.get(sla_policy_key(category.value))) is not None:
                policies[category] = policy_from(category, data)
        calendar = WorkingCalendar.shipped(self._hours)
        records = {}
        for year in years:
            if (data := stored.get(calendar_key(year))) is not None:
                records[year] = data
                calendar = calendar.with_year(
                    YearCalendar.from_iso(
                        year, data["holidays"], data["workdays"], bool(data.get("official", True))
                    )
                )
        self._policies, self._calendar, self._calendar_records = policies, calendar, records
        self._loaded_at = time.monotonic()

    def calendar(self) -> WorkingCalendar:
        self._fresh()
        return self._calendar

    def policy(self, category: Category) -> SlaPolicy:
        self._fresh()
        return self._policies[category]

    def policies(self) -> dict[Category, SlaPolicy]:
        self._fresh()
        return dict(self._policies)

    def calendar_record(self, year: int) -> dict[str, Any] | None:
        """How `year` was loaded by staff (None when it is shipped or provisional)."""
        self._fresh()
        record = self._calendar_records.get(year)
        return dict(record) if record is not None else None
