"""Supervisors' SLA settings: policies per category, loaded calendar years (which recompute
every open case's deadlines and schedules), and deadline previews."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from chalicelib.domain import lifecycle, limits
from chalicelib.domain import validation as v
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Case, Visibility
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import NotFound, ValidationFailed, VersionConflict
from chalicelib.domain.lifecycle import Entry, Step
from chalicelib.domain.outbox import EventKind, MaintenancePayload, OutboxEvent, Subject
from chalicelib.domain.policy import (
    DEFAULT_POLICIES,
    Category,
    SlaPolicy,
    Target,
    compute_deadlines,
)
from chalicelib.domain.sla import resolution_run
from chalicelib.domain.timefmt import SHANGHAI, to_rfc3339
from chalicelib.services import presenters
from chalicelib.services.changes import CaseQuery, Changes, KeyClaim
from chalicelib.services.config import DeskConfig, loadable_years, policy_dict
from chalicelib.services.entities import StaffMember
from chalicelib.services.keys import calendar_key, sla_policy_key, sla_policy_version_key
from chalicelib.services.ports import DeskStore, KeyTaken
from chalicelib.services.steps import StepWriter

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_DAYS_IN_LIST = limits.CALENDAR_DATES
RECOMPUTE_PAGE = 50


def _target(data: Any, name: str, problems: v.Problems) -> Target | None:
    obj = v.require_object(data, problems, name)
    v.reject_unknown(obj, ("days", "hours"), problems, f"{name}.")
    days_low, days_high = limits.TARGET_DAYS
    hours_low, hours_high = limits.TARGET_HOURS
    days = v.integer(
        obj, "days", problems, field=f"{name}.days", minimum=days_low, maximum=days_high
    )
    hours = v.integer(
        obj, "hours", problems, field=f"{name}.hours", minimum=hours_low, maximum=hours_high
    )
    if problems:
        return None
    if (days is None) == (hours is None):
        problems.add(name, "give days or hours, one of them")
        return None
    return Target(days=days or 0, hours=hours or 0)


class PolicyAdmin:
    def __init__(self, config: DeskConfig, store: DeskStore, clock: Clock) -> None:
        self._config = config
        self._store = store
        self._clock = clock

    def list(self) -> dict[str, Any]:
        return {"items": [policy_dict(p) for p in self._config.policies().values()]}

    def update(self, category: str, body: Any, member: StaffMember) -> dict[str, Any]:
        """A new version of a category's policy; cases keep the version they opened under."""
        if category not in {c.value for c in Category}:
            raise NotFound()
        problems = v.Problems()
        data = v.require_object(body, problems)
        v.reject_unknown(data, ("first_response", "resolution", "expected_version"), problems)
        first = _target(data.get("first_response"), "first_response", problems)
        resolution = _target(data.get("resolution"), "resolution", problems)
        expected = v.integer(data, "expected_version", problems, minimum=1)
        if problems or first is None or resolution is None:
            raise ValidationFailed(problems.fields)
        current = self._config.policy(Category(category))
        if expected is not None and expected != current.version:
            raise VersionConflict()
        policy = SlaPolicy(Category(category), first, resolution, current.version + 1)
        now = self._clock.now()
        record = {
            **policy_dict(policy),
            "updated_by": member.staff_id,
            "updated_at": to_rfc3339(now),
        }
        changes = Changes(
            now=now,
            claims=[KeyClaim(sla_policy_version_key(category, policy.version), record)],
            key_puts=[KeyClaim(sla_policy_key(category), record)],
        )
        try:
            self._store.commit(changes)
        except KeyTaken:
            raise VersionConflict() from None
        self._config.invalidate()
        return record


def _dates(data: Mapping[str, Any], key: str, year: int, problems: v.Problems) -> list[date]:
    raw = data.get(key, [])
    if not isinstance(raw, list) or len(raw) > MAX_DAYS_IN_LIST:
        problems.add(key, f"must be a list of at most {MAX_DAYS_IN_LIST} dates")
        return []
    out = []
    for n, item in enumerate(raw):
        try:
            if not isinstance(item, str) or not _DATE.fullmatch(item):
                raise ValueError
            day = date.fromisoformat(item)
        except ValueError:
            problems.add(f"{key}[{n}]", "must be a date such as 2027-02-06")
            continue
        if day.year != year:
            problems.add(f"{key}[{n}]", f"is not in {year}")
        out.append(day)
    if len(set(out)) != len(out):
        problems.add(key, "lists a date twice")
    return sorted(out)


class CalendarAdmin:
    def __init__(self, config: DeskConfig, store: DeskStore, clock: Clock) -> None:
        self._config = config
        self._store = store
        self._clock = clock

    def get(self, year: int) -> dict[str, Any]:
        _check_year(year)
        calendar = self._config.calendar()
        record = self._config.calendar_record(year)
        days = calendar.year(year)
        source = "loaded" if record else ("shipped" if days.official else "provisional")
        return {
            "year": year,
            "official": days.official,
            "source": source,
            "holidays": sorted(d.isoformat() for d in days.holidays),
            "workdays": sorted(d.isoformat() for d in days.workdays),
            "loaded_by": (record or {}).get("loaded_by"),
            "loaded_at": (record or {}).get("loaded_at"),
        }

    def load(self, year: int, body: Any, member: StaffMember) -> dict[str, Any]:
        """Load a year's holidays and make-up workdays; every open case's deadlines and
        schedule are recomputed in the background."""
        _check_year(year)
        window = loadable_years(self._clock.now().astimezone(SHANGHAI).year)
        if year not in window:
            raise ValidationFailed(
                {"year": f"only {window.start} to {window.stop - 1} can be loaded"}
            )
        problems = v.Problems()
        data = v.require_object(body, problems)
        v.reject_unknown(data, ("holidays", "workdays", "official"), problems)
        holidays = _dates(data, "holidays", year, problems)
        workdays = _dates(data, "workdays", year, problems)
        official = v.boolean(data, "official", problems)
        if set(holidays) & set(workdays):
            problems.add("workdays", "a day cannot be both a holiday and a workday")
        if any(d.weekday() < 5 for d in workdays):
            problems.add("workdays", "make-up workdays fall on weekends")
        problems.raise_if_any()
        now = self._clock.now()
        record = {
            "year": year,
            "official": True if official is None else official,
            "holidays": [d.isoformat() for d in holidays],
            "workdays": [d.isoformat() for d in workdays],
            "loaded_by": member.staff_id,
            "loaded_at": to_rfc3339(now),
        }
        run = f"calendar-{year}-{now.timestamp():.0f}"
        event = OutboxEvent(
            subject=Subject.calendar(year),
            event_id=f"{run}:0",
            kind=EventKind.MAINTENANCE,
            name="recompute_deadlines",
            payload=MaintenancePayload(run, 0),
            created_at=now,
        )
        self._store.commit(
            Changes(now=now, key_puts=[KeyClaim(calendar_key(year), record)], events=[event])
        )
        self._config.invalidate()
        return {**self.get(year), "recompute": "scheduled"}


def _check_year(year: int) -> None:
    if not limits.CALENDAR_YEARS.low <= year <= limits.CALENDAR_YEARS.high:
        raise NotFound()


def recompute(case: Case, calendar: WorkingCalendar, now: datetime) -> Step | None:
    """A case's deadlines on a (re)loaded calendar; None when nothing moves."""
    policy = case.policy or DEFAULT_POLICIES[case.category]
    fresh = compute_deadlines(policy, case.created_at, calendar)
    run = resolution_run(case, calendar)
    budget = calendar.working_seconds_between(case.created_at, fresh.resolution_due)
    limit = case.deadlines.regulatory_due
    run = run.with_budget(budget).within(limit, calendar)
    resolution_due = min(run.due(calendar) or fresh.resolution_due, limit)
    deadlines = replace(
        case.deadlines,
        first_response_due=fresh.first_response_due,
        resolution_due=resolution_due,
        provisional=calendar.spans_provisional(case.created_at, resolution_due),
    )
    changed = replace(case, deadlines=deadlines, resolution_run=run)
    # The waits and round 2 follow the lifecycle's own rules, on the new calendar.
    if case.waiting is not None:
        wait = lifecycle.customer_wait(case.waiting.since, case.waiting.request, calendar)
        changed = replace(changed, waiting=wait)
    if case.second_review is not None:
        first_due, decision_due = lifecycle.second_review_due(
            case.second_review.opened_at, calendar
        )
        review = replace(
            case.second_review, first_response_due=first_due, resolution_due=decision_due
        )
        changed = replace(changed, second_review=review)
    if case.merchant_run is not None and case.merchant_run.since is not None:
        changed = replace(
            changed, merchant_run=lifecycle.merchant_run(case.merchant_run.since, calendar)
        )
    if changed == case:
        return None
    entry = Entry(
        "deadlines_recomputed",
        Visibility.INTERNAL,
        "system",
        None,
        {
            "resolution_due": to_rfc3339(changed.deadlines.resolution_due),
            "first_response_due": to_rfc3339(changed.deadlines.first_response_due),
        },
    )
    return Step(replace(changed, updated_at=now), (entry,))


class Recompute:
    """The outbox consumer for `recompute_deadlines`: one page of open cases per event, then
    the next page as a new event, so any number of cases is covered within Lambda's time."""

    def __init__(
        self, writer: StepWriter, store: DeskStore, clock: Clock, config: DeskConfig
    ) -> None:
        self._writer = writer
        self._store = store
        self._clock = clock
        self._config = config

    def handle(self, event: OutboxEvent) -> None:
        # This consumer runs apart from the API call that loaded the calendar: read it afresh.
        self._config.invalidate()
        payload = event.payload_as(MaintenancePayload)
        cases, last = self._store.list_cases(CaseQuery(limit=RECOMPUTE_PAGE, start=payload.cursor))
        for case in cases:
            self._writer.apply(case.case_id, self._step)
        if last is None:
            return
        page = payload.page + 1
        now = self._clock.now()
        follow = OutboxEvent(
            subject=event.subject,
            event_id=f"{payload.run}:{page}",
            kind=EventKind.MAINTENANCE,
            name=event.name,
            payload=replace(payload, page=page, cursor=last),
            created_at=now,
        )
        self._store.commit(Changes(now=now, events=[follow]))

    def _step(self, case: Case, now: datetime) -> Step:
        return recompute(case, self._writer.calendar, now) or Step(case)


class DeadlinePreview:
    def __init__(self, config: DeskConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock

    def preview(self, category: str | None, start: str | None) -> dict[str, Any]:
        problems = v.Problems()
        params = {"category": category, "from": start}
        chosen = v.choice(params, "category", [c.value for c in Category], problems, required=True)
        at = v.timestamp(params, "from", problems)
        if problems or chosen is None:
            raise ValidationFailed(problems.fields)
        moment = at or self._clock.now()
        policy = self._config.policy(Category(chosen))
        calendar = self._config.calendar()
        deadlines = compute_deadlines(policy, moment, calendar)
        target = policy.resolution.due(calendar, moment)
        return {
            "category": chosen,
            "from": to_rfc3339(moment),
            "from_local": moment.astimezone(SHANGHAI).isoformat(),
            "policy": policy_dict(policy),
            **presenters.deadlines(deadlines),
            # What the policy's target alone gives, and whether the outer limit cut it short.
            "resolution_target_due": to_rfc3339(target),
            "resolution_capped": deadlines.resolution_due < target,
        }
