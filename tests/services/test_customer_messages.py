"""What customers read: the dates they are promised, what is known about their payment, and the
features the texts mention, each checked in the message as sent, in zh-CN and in English."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.case import Status
from chalicelib.domain.ledger import PaymentEvent
from chalicelib.services.timeline_texts import summary
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


@pytest.mark.parametrize(
    ("language", "known", "settle", "untrue"),
    [
        ("zh-CN", "已支付成功", "2026年11月24日 18:00 前结算至", ("确认收到", "确认收款")),
        ("en", "succeeded", "receives it by 2026-11-24 18:00", ("confirmed receiving",)),
    ],
)
def test_payment_succeeded_says_what_is_known_not_that_the_merchant_received_it(
    language: str, known: str, settle: str, untrue: tuple[str, ...]
) -> None:
    # GIVEN a complaint about a payment the platform then reports as succeeded, Monday 10:30
    story = Story(language)
    story.desk.container.payment_events.record(
        PaymentEvent(
            event_id="evt-paid-1",
            type="payment.succeeded",
            occurred_at=story.desk.clock.now() + timedelta(minutes=30),
            transaction_id="TXN-20261123-0001",
            merchant_id="M100001",
            order_id=None,
            amount_fen=3880,
        )
    )
    for _ in range(3):
        story.desk.drain()
    # WHEN the customer reads the message
    email = story.email("payment_confirmed")
    # THEN it says the payment succeeded and when the merchant is due to be paid (T+1:
    # Tuesday 18:00), never that the merchant confirmed receiving it
    for part in email.parts[1:]:
        assert known in part and settle in part
        for words in untrue:
            assert words not in part
    sms = story.sms("payment_confirmed").text
    assert known in sms and ("2026年11月24日" in sms or "2026-11-24" in sms)
    # AND the customer's timeline says the same, once
    public = story.desk.store.timeline(story.case_id, include_internal=False)
    [entry] = [e for e in public if e.type == "payment_confirmed"]
    text = summary(entry, language)
    assert "38.80" in text and ("2026年11月24日" in text or "2026-11-24" in text)


@pytest.mark.parametrize(
    ("language", "promised"),
    [("zh-CN", ("上传", "材料")), ("en", ("upload", "document"))],
)
def test_requests_for_information_promise_no_upload(
    language: str, promised: tuple[str, ...]
) -> None:
    # GIVEN a case that waits for the customer, long enough to be reminded
    story = Story(language)
    story.move(Status.ACCEPTED)
    story.move(Status.WAITING_CUSTOMER, note="请说明付款时间")
    story.later(days=4)
    # THEN neither the request nor the reminder offers an upload the app does not have; both
    # ask for a reply in the app
    for event in ("info_needed", "customer_reminder"):
        for sent in story.messages(event):
            for part in sent.parts:
                for word in promised:
                    assert word not in part.lower(), (event, word)
        reply = "在App内回复" if language == "zh-CN" else "reply in the app"
        assert reply in story.email(event).text
