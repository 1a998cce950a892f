"""What staff are told about a case: its SLA clocks' warnings and breaches, and the answers
customers and merchants give on a case someone holds.

Every alert names the clock and its own deadline (never the moment a warning fired), the
working time left or how late it is, and the case's real assignee (None: unassigned), so the
message can address each recipient by role and say whose case it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .calendar import WorkingCalendar
from .case import Case, Visibility
from .step import Entry, Notice
from .timefmt import to_rfc3339


def holder(case: Case) -> dict[str, Any]:
    """Who holds a case: its assignee, or the supervisors while nobody does."""
    if case.assignee:
        return {"staff_ids": [case.assignee]}
    return {"roles": ["supervisor"]}


def _escalated_to(level: int) -> dict[str, Any]:
    return {"roles": ["supervisor", "admin"] if level == 2 else ["supervisor"]}


def case_facts(case: Case) -> dict[str, Any]:
    """The facts every staff message about a case carries."""
    return {
        "case_number": case.case_number,
        "category": case.category.value,
        "status": case.status.value,
        "round": case.round,
        "assignee_id": case.assignee,
    }


def clock_alert(
    case: Case,
    clock: str,
    stage: str,
    clock_due: datetime,
    now: datetime,
    calendar: WorkingCalendar,
) -> tuple[tuple[Entry, ...], tuple[Notice, ...]]:
    """A warning (`warn50`, `warn80`) or a breach (`due`, `escalation`) of `clock`, whose own
    deadline is `clock_due`, judged at `now`. A warning that comes only after its clock ran out
    (a wake-up that fired late) is recorded but not sent: the breach says more."""
    left = calendar.working_seconds_between(now, clock_due)
    late = calendar.working_seconds_between(clock_due, now)
    due = to_rfc3339(clock_due)
    data: dict[str, Any] = {"clock": clock, "due": due, "round": case.round}
    params = {
        **case_facts(case),
        "clock": clock,
        "due_at": due,
        "day_seconds": calendar.hours.seconds_per_day,
    }
    if stage.startswith("warn"):
        percent = int(stage.removeprefix("warn"))
        entry = Entry(
            "sla_warning", Visibility.INTERNAL, "system", None, {**data, "percent": percent}
        )
        if now >= clock_due:
            return (entry,), ()
        params |= {"percent": percent, "working_seconds_left": round(left)}
        return (entry,), (Notice("sla_warning", params, "staff", holder(case)),)
    level = 2 if stage == "escalation" else 1
    entry_type = "sla_escalated" if level == 2 else "sla_due"
    entry = Entry(entry_type, Visibility.INTERNAL, "system", None, {**data, "level": level})
    params |= {"level": level, "working_seconds_late": round(late)}
    return (entry,), (Notice("sla_breached", params, "staff", _escalated_to(level)),)


# What a customer or a merchant did on a case, as its holder is told.
ACTIVITIES = frozenset(
    {
        "customer_message",  # wrote to the desk
        "customer_info",  # answered a request for information (the case resumes)
        "proposal_accepted",
        "proposal_rejected",
        "merchant_response",
        "customer_evidence",  # added a file (the case resumes when it waited for them)
        "merchant_evidence",
    }
)


def activity(case: Case, what: str, text: str | None, **facts: Any) -> Notice:
    """Tell whoever holds `case` (its assignee, else the supervisors) that its customer or
    merchant acted: `what` (one of ACTIVITIES), in their own words `text`. `case` is the case
    after the change, so the message says where it stands now."""
    params = {**case_facts(case), "activity": what, "text": text or "", **facts}
    return Notice("case_activity", params, "staff", holder(case))
