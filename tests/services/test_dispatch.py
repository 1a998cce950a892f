"""Notifications from the outbox: exactly one message per (case, event, channel)."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.delivery import Notification
from chalicelib.domain.outbox import SubjectKind
from chalicelib.handlers import SWEEP_MIN_AGE
from chalicelib.notifications.render import sms_segments
from chalicelib.services.changes import Changes
from chalicelib.services.entities import Merchant
from chalicelib.services.ports import DeliveryFailed
from chalicelib.services.sending import QUICK_RETRY_PAUSES
from tests.builders import MONDAY_10AM, complaint
from tests.fakes import FakeEmail, FakeSms
from tests.services.conftest import Desk, make_desk


def _statuses(desk: Desk) -> dict[str, str]:
    return {n.channel: n.status for n in desk.notifications.items.values()}


def test_dispatch_acknowledges_by_sms_and_email(desk: Desk) -> None:
    # WHEN a complaint is filed and the outbox drained
    body = desk.file(complaint())
    desk.drain()
    # THEN one SMS and one email went out, in Chinese, with the case number and category
    [(phone, sms)] = desk.sms.sent
    [email] = desk.email.sent
    assert phone == "+8613800138000"
    assert sms.startswith("【PayCase】") and body["case_number"] in sms and "支付异常" in sms
    assert sms_segments(sms) <= 2
    assert body["case_number"] in email["subject"] and "138****8000" in email["text"]
    # AND no message carries the full phone number
    assert "13800138000" not in sms + email["text"] + email["html"]
    assert _statuses(desk) == {"sms": "sent", "email": "sent"}
    assert desk.store.pending_events(desk.clock.now(), 10) == []


def test_dispatch_repeated_event_sends_nothing_twice(desk: Desk) -> None:
    desk.file(complaint())
    [event] = [
        e for e in desk.store.pending_events(desk.clock.now(), 10) if e.name == "case_received"
    ]
    for _ in range(3):
        desk.container.outbox.handle(event)
    assert (len(desk.sms.sent), len(desk.email.sent)) == (1, 1)


def test_dispatch_english_on_request(desk: Desk) -> None:
    desk.file(
        complaint(contact={"phone": "13800138000", "email": "a@example.com", "language": "en"})
    )
    desk.drain()
    [(_, sms)] = desk.sms.sent
    assert "We received your complaint" in sms
    assert desk.email.sent[0]["subject"].startswith("We received your complaint")


def test_dispatch_channels_limit_what_is_sent(desk: Desk) -> None:
    desk.file(
        complaint(contact={"phone": "13800138000", "email": "a@example.com", "channels": ["email"]})
    )
    desk.drain()
    assert (len(desk.sms.sent), len(desk.email.sent)) == (0, 1)


def test_dispatch_transient_failure_retries_after_backoff() -> None:
    # GIVEN SMS throttled once
    desk = make_desk(sms=FakeSms([DeliveryFailed("Throttling", permanent=False)]))
    desk.file(complaint())
    # WHEN the outbox is drained
    desk.drain()
    # THEN email is sent, and SMS waits for a retry on the case's own wake-up schedule
    assert (len(desk.sms.sent), len(desk.email.sent)) == (0, 1)
    assert _statuses(desk) == {"sms": "failed", "email": "sent"}
    [case] = desk.store.cases.values()
    assert case.messages_due_at == desk.clock.now() + timedelta(seconds=30)
    assert case.schedule.timer is not None and case.schedule.timer.startswith("messages@")
    # WHEN the outbox is drained again before the back-off ends THEN nothing is attempted
    desk.drain()
    assert len(desk.sms.sent) == 0
    # WHEN the wake-up fires after the back-off THEN the SMS goes out once, email not again
    desk.clock.advance(timedelta(minutes=1).total_seconds())
    desk.fire_due()
    assert (len(desk.sms.sent), len(desk.email.sent)) == (1, 1)
    assert _statuses(desk) == {"sms": "sent", "email": "sent"}
    assert desk.store.pending_events(desk.clock.now(), 10) == []


def test_dispatch_permanent_failure_is_dead_at_once() -> None:
    desk = make_desk(email=FakeEmail([DeliveryFailed("MessageRejected", permanent=True)]))
    desk.file(complaint())
    desk.drain()
    assert _statuses(desk) == {"sms": "sent", "email": "dead"}
    assert desk.store.pending_events(desk.clock.now(), 10) == []


def test_dispatch_gives_up_after_bounded_attempts() -> None:
    failures = [DeliveryFailed("Throttling", permanent=False) for _ in range(10)]
    desk = make_desk(sms=FakeSms(failures))
    desk.file(complaint())
    desk.drain()
    for _ in range(10):
        desk.clock.advance(3600)
        desk.fire_due()
    [sms] = [n for n in desk.notifications.items.values() if n.channel == "sms"]
    assert (sms.status, sms.attempts) == ("dead", 5)
    assert desk.sms.sent == []


class ThrottledOnce(FakeEmail):
    """SES throttling the first send to each address."""

    def __init__(self) -> None:
        super().__init__()
        self.throttled: set[str] = set()

    def send_email(self, to: str, subject: str, text: str, html: str, *, reference: str) -> str:
        if to not in self.throttled:
            self.throttled.add(to)
            raise DeliveryFailed("TooManyRequestsException: try again", permanent=False)
        return super().send_email(to, subject, text, html, reference=reference)


def test_dispatch_throttled_merchant_query_email_is_retried_by_the_sweeper() -> None:
    # GIVEN a merchant whose payment query is answered while SES throttles
    desk = make_desk(email=ThrottledOnce())
    merchant = Merchant("M100001", "星辰商店", "ops@merchant.example", None, "sealed", MONDAY_10AM)
    desk.store.commit(Changes(now=MONDAY_10AM, merchants=[merchant]))
    answer = desk.container.merchant_desk.ask(
        merchant, {"transaction_id": "TXN-20261123-0009", "amount_fen": 3880}
    )
    [notice] = [
        e
        for e in desk.store.pending_events(desk.clock.now(), 50)
        if e.subject.kind is SubjectKind.QUERY
    ]
    # WHEN the stream hands the notice to the dispatcher
    done = desk.container.outbox.handle(notice)
    # THEN it does not fail, and the notice stays pending (a query has no wake-up schedule)
    assert done is False
    [held] = [n for n in desk.notifications.items.values() if n.case_id == notice.subject.key]
    assert held.status == "failed"
    # WHEN the sweeper runs a few minutes later THEN the email goes out, once
    desk.clock.advance(SWEEP_MIN_AGE.total_seconds() + 60)
    desk.container.outbox.redrive(SWEEP_MIN_AGE)
    desk.container.outbox.redrive(SWEEP_MIN_AGE)
    verdicts = [m for m in desk.email.sent if answer["query_id"] in m["text"]]
    assert len(verdicts) == 1
    assert desk.notifications.items[held.notification_id].status == "sent"
    assert notice not in desk.store.pending_events(desk.clock.now(), 50)


def _code_sms(desk: Desk) -> Notification:
    [sms] = [n for n in desk.notifications.items.values() if n.event == "otp_code"]
    return sms


def test_dispatch_throttled_code_is_retried_within_seconds() -> None:
    # GIVEN SNS throttling the first two tries of a one-time code
    throttled = DeliveryFailed("ThrottledException: try again", permanent=False)
    desk = make_desk(sms=FakeSms([throttled, throttled]))
    desk.container.sessions.request_code({"phone": "13900139000"})
    asked_at = desk.clock.now()
    # WHEN the outbox is drained once
    desk.drain()
    # THEN the code went out on the third try, seconds later, well inside its 5 minutes
    [(phone, text)] = desk.sms.sent
    assert phone == "+8613900139000" and "验证码" in text
    sms = _code_sms(desk)
    assert (sms.status, sms.attempts) == ("sent", 3)
    assert desk.clock.now() - asked_at <= timedelta(seconds=10)


def test_dispatch_code_that_expired_is_never_sent() -> None:
    # GIVEN SNS throttling every quick retry of a one-time code
    throttled = DeliveryFailed("ThrottledException: try again", permanent=False)
    desk = make_desk(sms=FakeSms([throttled] * (1 + len(QUICK_RETRY_PAUSES))))
    desk.container.sessions.request_code({"phone": "13900139000"})
    desk.drain()
    assert desk.sms.sent == [] and _code_sms(desk).status == "failed"
    # WHEN the sweeper comes back after the code expired, with SNS working again
    desk.clock.advance(SWEEP_MIN_AGE.total_seconds() + 60)
    desk.container.outbox.redrive(SWEEP_MIN_AGE)
    # THEN the code is dropped, not sent, and nothing is left to retry
    sms = _code_sms(desk)
    assert (sms.status, sms.last_error) == ("dead", "expired before it could be sent")
    assert desk.sms.sent == [] and desk.email.sent == []
    assert desk.store.pending_events(desk.clock.now(), 10) == []
