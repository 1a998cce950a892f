"""A lifecycle Step: the changed case, the timeline entries to write and the messages to send.
Services commit a Step as one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .case import FINAL_STATUSES, Case, Visibility
from .evidence import Evidence


@dataclass(frozen=True)
class Entry:
    """A timeline entry to write."""

    type: str
    visibility: Visibility
    actor: str
    text: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """A message to send; `event` names its templates."""

    event: str
    params: dict[str, Any] = field(default_factory=dict)
    audience: str = "customer"
    # For staff: {"staff_ids": [...]} or {"roles": [...]}; customers are the case's contact.
    to: dict[str, Any] | None = None


@dataclass(frozen=True)
class Step:
    case: Case
    entries: tuple[Entry, ...] = ()
    notices: tuple[Notice, ...] = ()
    send_held_messages: bool = False  # send the case's held-back messages that are due
    evidence: tuple[Evidence, ...] = ()  # files of the case, as they are after the step

    @property
    def became_final(self) -> bool:
        return self.case.status in FINAL_STATUSES

    def then(self, other: Step) -> Step:
        return Step(
            other.case,
            self.entries + other.entries,
            self.notices + other.notices,
            self.send_held_messages or other.send_held_messages,
            self.evidence + other.evidence,
        )
