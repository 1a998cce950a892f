"""Holding messages that cannot go now, and waking them when they can.

A message waits for quiet hours to end, a back-off, a receipt window, or a sender's lease. A
case has one wake-up schedule: it is pointed at the earliest of its held messages, and when it
fires every held message of the case that is due is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from chalicelib.domain import delivery as rules
from chalicelib.domain.case import Case
from chalicelib.domain.delivery import Notification
from chalicelib.domain.lifecycle import Step
from chalicelib.domain.outbox import Subject
from chalicelib.services.ports import NotificationLog
from chalicelib.services.steps import StepWriter

PAGE = 200


class HeldMessages:
    def __init__(self, notifications: NotificationLog, writer: StepWriter) -> None:
        self._log = notifications
        self._writer = writer

    def waiting(self, subject: Subject) -> Iterator[Notification]:
        """Every message about `subject` that is not final, page after page."""
        cursor = None
        while True:
            items, cursor = self._log.for_case(subject.key, PAGE, cursor)
            yield from (n for n in items if n.status not in rules.FINAL)
            if cursor is None:
                return

    def hold(self, subject: Subject, held: list[Notification]) -> bool:
        """Point the case's wake-up at the earliest time one of `held` needs a sender. True
        when nothing is left to the caller: nothing held, or the wake-up is set."""
        if not held:
            return True
        due = [at for n in held if (at := rules.due_at(n)) is not None]
        # Only a case has a wake-up schedule. Messages about anything else (one-time codes,
        # merchant payment queries) leave their event pending, and the outbox sweeper, which
        # takes events a few minutes old, comes back for them.
        if not due or not subject.is_case:
            return False
        self.wake(subject.id, min(due))
        return True

    def wake(self, case_id: str, at: datetime) -> None:
        """Have the case's one schedule fire by `at` (earlier if something else is due)."""

        def hold(case: Case, now: datetime) -> Step:
            due = case.messages_due_at
            return Step(case.evolve(messages_due_at=at if due is None else min(due, at)))

        self._writer.apply(case_id, hold)
