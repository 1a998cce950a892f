"""A case driven through the real services, with every message it sends rendered and kept, so
tests can read what each recipient was told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import lifecycle
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Case, Status
from chalicelib.domain.delivery import Notification
from chalicelib.domain.lifecycle import Step
from chalicelib.notifications.render import Email
from chalicelib.services.entities import StaffMember
from tests.builders import complaint
from tests.services.conftest import Desk, make_desk

STAFF = (
    ("agent", "李娜", "li.na@desk.example"),
    ("agent", "王强", "wang.qiang@desk.example"),
    ("supervisor", "张敏", "zhang.min@desk.example"),
    ("admin", "陈刚", "chen.gang@desk.example"),
    ("reviewer", "赵磊", "zhao.lei@desk.example"),
)


@dataclass
class Sent:
    notification: Notification
    rendered: Any

    @property
    def parts(self) -> list[str]:
        """Every text of the message: the SMS, or the email's subject, text and HTML."""
        if isinstance(self.rendered, Email):
            return [self.rendered.subject, self.rendered.text, self.rendered.html]
        return [str(self.rendered)]

    @property
    def text(self) -> str:
        """The SMS, or the email's plain text (with its subject first)."""
        if isinstance(self.rendered, Email):
            return f"{self.rendered.subject}\n{self.rendered.text}"
        return str(self.rendered)


@dataclass
class Story:
    """One complaint, in `language`, with a desk of named staff who have email addresses."""

    language: str = "zh-CN"
    changes: dict[str, Any] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    staff: dict[str, StaffMember] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.desk: Desk = make_desk(observer=lambda n, r: self.sent.append(Sent(n, r)))
        for role, name, email in STAFF:
            member, _ = self.desk.container.staff.create(
                {"name": name, "role": role, "email": email}
            )
            self.staff[name] = member
        body = complaint(**self.changes)
        body["contact"] = {**body["contact"], "language": self.language}
        filed = self.desk.file(body)
        self.case_id: str = filed["case_id"]
        self.case_number: str = filed["case_number"]
        self.desk.drain()

    # -- acting ------------------------------------------------------------------------------

    @property
    def calendar(self) -> WorkingCalendar:
        return self.desk.container.calendar

    @property
    def case(self) -> Case:
        return self.desk.container.writer.load(self.case_id)

    def act(self, action: Callable[[Case, datetime], Step]) -> Case:
        case, _ = self.desk.container.writer.apply(self.case_id, action)
        self.desk.drain()
        return case

    def move(self, to: Status, who: str = "李娜", note: str | None = None) -> Case:
        staff_id = self.staff[who].staff_id
        return self.act(
            lambda c, now: lifecycle.staff_move(c, to, staff_id, now, self.calendar, note)
        )

    def assign(self, who: str, by: str = "张敏") -> Case:
        member, supervisor = self.staff[who], self.staff[by]
        return self.act(
            lambda c, now: lifecycle.assign(
                c, member.staff_id, supervisor.staff_id, now, member.name
            )
        )

    def at(self, moment: datetime) -> None:
        """Let time run to `moment`, firing each schedule at its own time, as AWS would."""
        self.desk.fire_due()
        while self.desk.clock.now() < moment:
            now = self.desk.clock.now()
            coming = [at for at, _ in self.desk.scheduler.schedules.values() if now < at]
            self.desk.clock.set(min([*coming, moment]))
            self.desk.fire_due()

    def later(self, **delta: float) -> None:
        self.at(self.desk.clock.now() + timedelta(**delta))

    # -- reading -----------------------------------------------------------------------------

    def messages(self, event: str, channel: str | None = None, to: str | None = None) -> list[Sent]:
        """What was sent for `event` (by channel, or to one address), in the order sent."""
        return [
            s
            for s in self.sent
            if s.notification.event == event
            and (channel is None or s.notification.channel == channel)
            and (to is None or s.notification.recipient == to)
        ]

    def email(self, event: str, to: str | None = None) -> Sent:
        [one] = self.messages(event, "email", to)
        return one

    def sms(self, event: str) -> Sent:
        [one] = self.messages(event, "sms")
        return one
