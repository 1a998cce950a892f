"""What each case change adds to the desk's metrics, per filing cohort.

Metrics are kept per Asia/Shanghai day on which cases were filed, so `GET /v1/admin/metrics`
reads a few day buckets instead of scanning cases. A change yields counter increments and
samples (working hours to first response and to resolution) for its case's filing day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .calendar import WorkingCalendar
from .case import Case, Status
from .timefmt import SHANGHAI

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


def deltas(before: Case | None, after: Case, calendar: WorkingCalendar) -> MetricDelta | None:
    add: dict[str, int] = {}
    samples: dict[str, list[float]] = {}
    if before is None:
        add |= {"filed": 1, f"category.{after.category}": 1, f"status.{after.status}": 1}
    elif before.status != after.status:
        add[f"status.{before.status}"] = -1
        add[f"status.{after.status}"] = 1
    if before is not None and before.accepted_at is None and after.accepted_at is not None:
        met = after.accepted_at <= after.deadlines.first_response_due
        add |= {"first_response.total": 1, "first_response.met": int(met)}
        hours = calendar.working_seconds_between(after.created_at, after.accepted_at) / HOUR
        samples["first_response_hours"] = [round(hours, 2)]
    outcome = after.status in (Status.RESOLVED, Status.UNRESOLVED)
    if before is not None and outcome and before.status != after.status and after.resolved_at:
        clock = "resolution" if after.round == 1 else "second_review"
        due = (
            after.second_review.resolution_due
            if after.round == 2 and after.second_review
            else after.deadlines.resolution_due
        )
        add |= {f"{clock}.total": 1, f"{clock}.met": int(after.resolved_at <= due)}
        if after.round == 1:
            outer = after.resolved_at <= after.deadlines.regulatory_due
            add |= {"regulatory.total": 1, "regulatory.met": int(outer)}
            hours = calendar.working_seconds_between(after.created_at, after.resolved_at) / HOUR
            samples["resolution_hours"] = [round(hours, 2)]
    if before is not None:
        add |= _merchant_and_review_clocks(before, after, calendar)
    if before is not None and before.rating is None and after.rating is not None:
        add |= {"csat.count": 1, "csat.sum": after.rating, f"csat.{after.rating}": 1}
    if not add and not samples:
        return None
    return MetricDelta(cohort_day(after), add, samples, check_repeat=before is None)


def _merchant_and_review_clocks(
    before: Case, after: Case, calendar: WorkingCalendar
) -> dict[str, int]:
    """A merchant's answer ends the merchant-response clock (a withdrawal ends nothing it owed);
    the reviewer's first action ends the second review's first-response clock."""
    add: dict[str, int] = {}
    left = before.status is Status.WAITING_MERCHANT and after.status is not before.status
    if left and after.status is not Status.WITHDRAWN and before.merchant_run is not None:
        due = before.merchant_run.due(calendar)
        met = due is not None and after.updated_at <= due
        add |= {"merchant_response.total": 1, "merchant_response.met": int(met)}
    review, reviewed = before.second_review, after.second_review
    answered = reviewed.first_response_at if reviewed is not None else None
    if review is not None and review.first_response_at is None and answered is not None:
        met = reviewed is not None and answered <= reviewed.first_response_due
        add |= {
            "second_review_first_response.total": 1,
            "second_review_first_response.met": int(met),
        }
    return add
