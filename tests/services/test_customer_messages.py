"""What customers read: the dates they are promised, what is known about their payment, and the
features the texts mention, each checked in the message as sent, in zh-CN and in English."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.case import Status
from tests.services.story import Sent, Story

SH = ZoneInfo("Asia/Shanghai")
_ZH_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_EN_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def dates_in(sent: Sent) -> list[date]:
    found = []
    for part in sent.parts:
        for pattern in (_ZH_DATE, _EN_DATE):
            found += [date(int(y), int(m), int(d)) for y, m, d in pattern.findall(part)]
    return found


@pytest.mark.parametrize(
    ("language", "resolution_due", "late", "next_day"),
    [
        ("zh-CN", "2026年11月25日 18:00", "处理时间已超出", "2026年12月1日"),
        ("en", "2026-11-25 18:00", "longer than we expected", "2026-12-01"),
    ],
)
def test_periodic_update_quotes_the_resolution_deadline_and_never_a_past_date(
    language: str, resolution_due: str, late: str, next_day: str
) -> None:
    # GIVEN a payment complaint filed Monday 10:00 that nobody answers: its first response is
    # due Tuesday 18:00, its resolution Wednesday 18:00
    story = Story(language)
    # WHEN two working days pass without news (Wednesday 10:00), and two more (Friday 10:00)
    story.at(datetime(2026, 11, 27, 10, 1, tzinfo=SH))
    first, second = story.messages("periodic_update", "email")
    # THEN the first update quotes the resolution deadline (still ahead), not the first
    # response's (already past)
    assert first.notification.created_at.astimezone(SH) == datetime(2026, 11, 25, 10, tzinfo=SH)
    for part in first.parts[1:]:
        assert resolution_due in part
    assert date(2026, 11, 24) not in dates_in(first)
    # AND the second, after the deadline passed, says the case is late and when the customer
    # hears next, quoting no date before the day it is sent
    for part in second.parts[1:]:
        assert late in part and next_day in part
    sent_on = second.notification.created_at.astimezone(SH).date()
    assert dates_in(second) and min(dates_in(second)) >= sent_on
    sms = story.messages("periodic_update", "sms")[-1]
    assert next_day in sms.text and min(dates_in(sms)) >= sent_on
    # AND the customer's timeline says the same
    public = story.desk.store.timeline(story.case_id, include_internal=False)
    updates = [e for e in public if e.type == "progress_update"]
    assert [bool(e.data.get("late")) for e in updates] == [False, True]


@pytest.mark.parametrize(
    ("language", "ahead", "late"),
    [("zh-CN", "预计处理完毕", "下次告知进展"), ("en", "Expected resolution by", "Next update by")],
)
def test_acceptance_after_the_resolution_deadline_promises_no_past_date(
    language: str, ahead: str, late: str
) -> None:
    # GIVEN a complaint due Wednesday 18:00 that is only accepted on Thursday
    story = Story(language)
    story.at(datetime(2026, 11, 26, 10, tzinfo=SH))
    story.move(Status.ACCEPTED)
    # WHEN the customer reads the acceptance
    email = story.email("case_accepted")
    # THEN it says when they will hear next, and quotes no date before today
    for part in email.parts[1:]:
        assert late in part and ahead not in part
    assert min(dates_in(email)) >= date(2026, 11, 26)
    assert min(dates_in(story.sms("case_accepted"))) >= date(2026, 11, 26)
