"""What each case change adds to the desk's metrics, per filing cohort.

Metrics are kept per Asia/Shanghai day on which cases were filed, so `GET /v1/admin/metrics`
reads a few day buckets instead of scanning cases. A change yields counter increments and
samples (working hours to first response and to resolution) for its case's filing day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .calendar import WorkingCalendar
from .case import Case, Status
from .timefmt import SHANGHAI, to_rfc3339

HOUR = 3600.0


@dataclass(frozen=True)
class MetricDelta:
    day: str
    add: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    # The consumer looks for an earlier case of the same contact (a repeat complaint).
    check_repeat: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "add": self.add,
            "samples": self.samples,
            "check_repeat": self.check_repeat,
        }


def cohort_day(case: Case) -> str:
    return case.created_at.astimezone(SHANGHAI).date().isoformat()


# Where each SLA clock of a case stands. Every clock that starts is counted `running`; it
# leaves that state once, for `met` (stopped in time), `missed` (ran out: from the moment its
# deadline passes, whether or not it has stopped) or `cancelled` (ended with nothing to judge:
# withdrawn, or closed for want of the customer's reply). A case reopened by a failed refund
# takes its met resolution back to running.
RUNNING, MET, MISSED, CANCELLED = "running", "met", "missed", "cancelled"
CLOCK_STATES = (RUNNING, MET, MISSED, CANCELLED)
ROUND_ONE_CLOCKS = ("first_response", "resolution", "regulatory")
ROUND_TWO_CLOCKS = ("second_review_first_response", "second_review")


def _judged(stopped: datetime, due: datetime) -> str:
    return MET if stopped <= due else MISSED


def _outcome(case: Case, due: datetime, ran_out: bool) -> str:
    """A resolution-like clock: stopped by the case's outcome (`resolved_at`)."""
    if ran_out:
        return MISSED
    if case.status is Status.WITHDRAWN:
        return CANCELLED
    if case.resolved_at is not None:
        return _judged(case.resolved_at, due)
    return RUNNING if case.is_open else CANCELLED


def clock_states(case: Case) -> dict[str, str]:
    """The state of each clock of the case's current round."""
    fired = case.sla_fired
    if case.round == 1:
        first = MISSED if "first_response_due" in fired else RUNNING
        if first == RUNNING and case.accepted_at is not None:
            first = _judged(case.accepted_at, case.deadlines.first_response_due)
        elif first == RUNNING and not case.is_open:
            first = CANCELLED
        outer_ran_out = any(name.startswith("regulatory_due@") for name in fired)
        return {
            "first_response": first,
            "resolution": _outcome(case, case.deadlines.resolution_due, "resolution_due" in fired),
            "regulatory": _outcome(case, case.deadlines.regulatory_due, outer_ran_out),
        }
    review = case.second_review
    if review is None:
        return {}
    answered = MISSED if "second_review_first_response_due" in fired else RUNNING
    if answered == RUNNING and review.first_response_at is not None:
        answered = _judged(review.first_response_at, review.first_response_due)
    elif answered == RUNNING and (not case.is_open or case.resolved_at is not None):
        answered = CANCELLED
    decided = _outcome(case, review.resolution_due, "second_review_due" in fired)
    return {"second_review_first_response": answered, "second_review": decided}


def _clock_moves(before: Case | None, after: Case) -> dict[str, int]:
    """Counter changes as each clock moves between states (a round's clocks are frozen once
    the case moves to the next round)."""
    old = clock_states(before) if before is not None and before.round == after.round else {}
    new = clock_states(after)
    if before is not None and before.round != after.round:
        new = {k: v for k, v in new.items() if k in ROUND_TWO_CLOCKS}
    add: dict[str, int] = {}
    for clock in (*ROUND_ONE_CLOCKS, *ROUND_TWO_CLOCKS):
        was, now = old.get(clock), new.get(clock)
        if was == now:
            continue
        if was is not None:
            add[f"{clock}.{was}"] = add.get(f"{clock}.{was}", 0) - 1
        if now is not None:
            add[f"{clock}.{now}"] = add.get(f"{clock}.{now}", 0) + 1
    return add


def _merchant_moves(before: Case | None, after: Case, calendar: WorkingCalendar) -> dict[str, int]:
    """Each wait for the merchant is a clock of its own: it starts when the case waits, runs
    out when its deadline passes, and is judged when the merchant answers (a withdrawal ends
    nothing the merchant owed)."""
    waited = before is not None and before.status is Status.WAITING_MERCHANT
    waits = after.status is Status.WAITING_MERCHANT
    if waits and not waited:
        return {"merchant_response.running": 1}
    run = before.merchant_run if before is not None and waited else None
    if run is None or run.since is None:
        return {}
    due_timer = f"merchant_response_due@{to_rfc3339(run.since)}"
    ran_out_before = due_timer in (before.sla_fired if before else frozenset())
    ran_out = ran_out_before or due_timer in after.sla_fired
    if waits:
        return {} if ran_out_before or not ran_out else _moved("merchant_response", MISSED)
    if ran_out_before:
        return {}
    if ran_out:
        return _moved("merchant_response", MISSED)
    if after.status is Status.WITHDRAWN:
        return _moved("merchant_response", CANCELLED)
    due = run.due(calendar)
    return _moved("merchant_response", MET if due and after.updated_at <= due else MISSED)


def _incident_moves(before: Case | None, after: Case) -> dict[str, int]:
    """Complaints per incident, and how many of the cohort are linked to one (counted apart, so
    an outage's hundreds of complaints can be read apart from the rest)."""
    was = before.incident_id if before is not None else None
    if was == after.incident_id:
        return {}
    add: dict[str, int] = {}
    if was is not None:
        add |= {f"incident.{was}": -1, "incident_linked": -1}
    if after.incident_id is not None:
        add[f"incident.{after.incident_id}"] = 1
        add["incident_linked"] = add.get("incident_linked", 0) + 1
    return add


def _moved(clock: str, state: str) -> dict[str, int]:
    return {f"{clock}.running": -1, f"{clock}.{state}": 1}


def deltas(before: Case | None, after: Case, calendar: WorkingCalendar) -> MetricDelta | None:
    add: dict[str, int] = {}
    samples: dict[str, list[float]] = {}
    if before is None:
        add |= {"filed": 1, f"category.{after.category}": 1, f"status.{after.status}": 1}
    elif before.status != after.status:
        add[f"status.{before.status}"] = -1
        add[f"status.{after.status}"] = 1
    add |= _clock_moves(before, after)
    add |= _merchant_moves(before, after, calendar)
    add |= _incident_moves(before, after)
    if before is not None and before.accepted_at is None and after.accepted_at is not None:
        hours = calendar.working_seconds_between(after.created_at, after.accepted_at) / HOUR
        samples["first_response_hours"] = [round(hours, 2)]
    outcome = after.status in (Status.RESOLVED, Status.UNRESOLVED)
    decided = before is not None and outcome and before.status != after.status
    if decided and after.round == 1 and after.resolved_at is not None:
        hours = calendar.working_seconds_between(after.created_at, after.resolved_at) / HOUR
        samples["resolution_hours"] = [round(hours, 2)]
    if before is not None and before.rating is None and after.rating is not None:
        add |= {"csat.count": 1, "csat.sum": after.rating, f"csat.{after.rating}": 1}
    add = {k: v for k, v in add.items() if v}
    if not add and not samples:
        return None
    return MetricDelta(cohort_day(after), add, samples, check_repeat=before is None)
