"""Settlement proposals staff make and customers accept or reject."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from itertools import pairwise
from typing import Any

from . import limits
from . import validation as v
from .calendar import WorkingCalendar
from .complaint import MAX_AMOUNT_FEN
from .errors import ValidationFailed

KINDS = (
    "full_refund",
    "partial_refund",
    "reship",
    "installment_plan",
    "deferral",
    "fee_waiver",
    "explanation",
)
_NEEDS_AMOUNT = frozenset({"full_refund", "partial_refund", "installment_plan"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_INSTALLMENTS = limits.INSTALLMENTS.high


class ProposalStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Installment:
    due_date: date
    amount_fen: int


@dataclass(frozen=True)
class Proposal:
    proposal_id: str
    round: int
    kind: str
    text: str
    made_by: str
    made_at: datetime
    also: tuple[str, ...] = ()  # further remedies in the same offer, e.g. a refund plus reship
    amount_fen: int | None = None
    installments: tuple[Installment, ...] = field(default_factory=tuple)
    status: ProposalStatus = ProposalStatus.PENDING
    answered_at: datetime | None = None
    answer_reason: str | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind, *self.also)

    def public(self) -> dict[str, Any]:
        return {
            "proposal_id": self.proposal_id,
            "round": self.round,
            "kind": self.kind,
            "also": list(self.also),
            "text": self.text,
            "amount_fen": self.amount_fen,
            "currency": "CNY",
            "installments": [
                {"due_date": i.due_date.isoformat(), "amount_fen": i.amount_fen}
                for i in self.installments
            ],
            "status": self.status.value,
        }


@dataclass(frozen=True)
class ProposalTerms:
    kind: str
    text: str
    also: tuple[str, ...]
    amount_fen: int | None
    installments: tuple[Installment, ...]


def parse_proposal(
    body: Any, calendar: WorkingCalendar, today: date, paid_fen: int | None
) -> ProposalTerms:
    """Validate a proposal body. Instalments must add up to `amount_fen` and fall on working days
    after today, in ascending order; a refund cannot exceed what was paid."""
    problems = v.Problems()
    data = v.require_object(body, problems)
    allowed = ("kind", "text", "also", "amount_fen", "installments")
    v.reject_unknown(data, allowed, problems)
    kind = v.choice(data, "kind", KINDS, problems, required=True)
    text = v.text(
        data, "text", problems, required=True, max_len=limits.PROPOSAL_TEXT, multiline=True
    )
    also = _also(data.get("also"), kind, problems)
    amount = v.integer(data, "amount_fen", problems, minimum=1, maximum=MAX_AMOUNT_FEN)
    kinds = {kind, *also} if kind else set(also)
    if kinds & _NEEDS_AMOUNT and amount is None and "amount_fen" not in problems.fields:
        problems.add("amount_fen", "is required for refunds and instalment plans")
    _check_refund(kinds, amount, paid_fen, problems)
    installments = _installments(
        data.get("installments"), "installment_plan" in kinds, amount, calendar, today, problems
    )
    if problems or not (kind and text):
        raise ValidationFailed(problems.fields)
    return ProposalTerms(kind, text, also, amount, installments)


def _also(raw: Any, kind: str | None, problems: v.Problems) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or any(k not in KINDS or k == kind for k in raw):
        problems.add("also", "must be a list of other proposal kinds")
        return ()
    if len(set(raw)) != len(raw):
        problems.add("also", "lists a kind twice")
        return ()
    return tuple(raw)


def _check_refund(
    kinds: set[str], amount: int | None, paid_fen: int | None, problems: v.Problems
) -> None:
    if amount is None or paid_fen is None:
        return
    if "full_refund" in kinds and amount != paid_fen:
        problems.add("amount_fen", f"a full refund is the amount paid ({paid_fen} fen)")
    if "partial_refund" in kinds and amount >= paid_fen:
        problems.add(
            "amount_fen", f"a partial refund is less than the amount paid ({paid_fen} fen)"
        )


def _installments(
    raw: Any,
    required: bool,
    amount: int | None,
    calendar: WorkingCalendar,
    today: date,
    problems: v.Problems,
) -> tuple[Installment, ...]:
    if raw is None:
        if required:
            problems.add("installments", "are required for an instalment plan")
        return ()
    if not required:
        problems.add("installments", "belong to an instalment plan only")
        return ()
    fewest, most = limits.INSTALLMENTS
    if not isinstance(raw, list) or not fewest <= len(raw) <= most:
        problems.add("installments", f"must be a list of {fewest} to {most} instalments")
        return ()
    plan = []
    for n, item in enumerate(raw):
        parsed = _installment(item, f"installments[{n}]", calendar, today, problems)
        if parsed is not None:
            plan.append(parsed)
    if len(plan) != len(raw):
        return ()
    if any(a.due_date >= b.due_date for a, b in pairwise(plan)):
        problems.add("installments", "must fall on dates in ascending order")
    if amount is not None and sum(i.amount_fen for i in plan) != amount:
        problems.add("installments", f"must add up to amount_fen ({amount})")
    return tuple(plan)


def _installment(
    item: Any, name: str, calendar: WorkingCalendar, today: date, problems: v.Problems
) -> Installment | None:
    data: Mapping[str, Any] = v.require_object(item, problems, name)
    v.reject_unknown(data, ("due_date", "amount_fen"), problems, f"{name}.")
    amount = v.integer(
        data, "amount_fen", problems, field=f"{name}.amount_fen", required=True, minimum=1
    )
    raw_date = data.get("due_date")
    if not isinstance(raw_date, str) or not _DATE.fullmatch(raw_date):
        problems.add(f"{name}.due_date", "must be a date such as 2026-12-15")
        return None
    try:
        due = date.fromisoformat(raw_date)
    except ValueError:
        problems.add(f"{name}.due_date", "is not a real date")
        return None
    if due <= today:
        problems.add(f"{name}.due_date", "must be after today")
    elif not calendar.is_working_day(due):
        problems.add(f"{name}.due_date", "must be a working day")
    if amount is None or f"{name}.due_date" in problems.fields:
        return None
    return Installment(due, amount)
