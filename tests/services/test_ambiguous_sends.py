"""Sends whose answer was lost: never sent again blindly, settled by the provider's receipt,
sent again only once the receipt window passed without one; "send again" as one write; every
held message of a case released."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.adapters.receipts import email_receipt, sms_receipt
from chalicelib.domain import delivery as rules
from chalicelib.domain.delivery import DeliveryStatus, Notification
from chalicelib.domain.errors import InvalidTransition, Unavailable
from chalicelib.domain.outbox import EventKind, OutboxEvent, SendHeldPayload, Subject
from chalicelib.handlers import SWEEP_MIN_AGE
from chalicelib.services.changes import Changes
from chalicelib.services.ports import DeliveryFailed, DeliveryUnknown
from devstack.provider_events import ses_event, sms_status_record
from tests.builders import complaint
from tests.fakes import AnswerLost, FakeEmail, FakeNotificationLog, FakeSms, FakeStore
from tests.services.conftest import Desk, make_desk

PHONE = "+8613800138000"


def _only(desk: Desk, event: str = "case_received", channel: str = "sms") -> Notification:
    [n] = [m for m in desk.notifications.items.values() if (m.event, m.channel) == (event, channel)]
    return n


def _sweep(desk: Desk) -> None:
    """What the sweeper does every five minutes: redrive old events, fire missed wake-ups."""
    desk.container.outbox.redrive(SWEEP_MIN_AGE)
    desk.container.timers.sweep(SWEEP_MIN_AGE)


def _deliveries(desk: Desk) -> dict[str, Any]:
    return dict(desk.container.metrics_report.read(None, None)["deliveries"])


def test_acknowledgement_whose_answer_was_lost_is_settled_by_its_receipt_not_resent() -> None:
    # GIVEN SNS accepting the acknowledgement SMS and its answer getting lost
    desk = make_desk(sms=FakeSms([AnswerLost()]))
    desk.file(complaint())
    desk.drain()
    sent_at = desk.clock.now()
    # THEN the phone has one SMS and the message is unknown: it may have been sent
    assert len(desk.sms.sent) == 1
    sms = _only(desk)
    assert (sms.status, sms.unanswered, sms.attempts) == ("unknown", 1, 1)
    assert sms.next_attempt_at == sent_at + rules.SMS_RECEIPT_WINDOW
    # WHEN the sweeper runs ten minutes later, and the case's wake-ups fire
    desk.clock.advance(600)
    _sweep(desk)
    desk.fire_due()
    # THEN nothing is sent again while its receipt may still come
    assert len(desk.sms.sent) == 1 and _only(desk).status == "unknown"
    # WHEN SNS's delivery-status record arrives (it names the id we never got)
    record = sms_status_record("sms-1", PHONE, sent_at)
    receipt = sms_receipt(record)
    assert receipt is not None
    assert desk.container.receipts.settle(receipt) == "settled"
    # THEN it is sent, with SNS's id and words, and never sent again
    sms = _only(desk)
    assert (sms.status, sms.provider_id) == ("sent", "sms-1")
    assert sms.receipt == "delivered: Message has been accepted by phone carrier"
    desk.clock.advance(2 * rules.SMS_RECEIPT_WINDOW.total_seconds())
    desk.fire_due()
    _sweep(desk)
    assert len(desk.sms.sent) == 1
    # AND the desk metrics count the ambiguous send and its settling, once each
    assert desk.container.receipts.settle(receipt) == "known"
    assert _deliveries(desk) == {"unanswered": 1, "settled": 1, "resent_unanswered": 0}


class OutcomeWriteFails(FakeNotificationLog):
    """DynamoDB throttling the next `failures` outcome writes."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def save_outcome(self, notification: Notification) -> bool:
        if self.failures:
            self.failures -= 1
            raise Unavailable(retry_after=1)
        return super().save_outcome(notification)


def test_sms_accepted_whose_outcome_write_failed_is_not_sent_again_by_the_sweeper() -> None:
    # GIVEN SNS accepting the acknowledgement SMS, and the write of that outcome throttled
    desk = make_desk(notifications=OutcomeWriteFails(failures=1))
    desk.file(complaint())
    [event] = [e for e, _ in desk.store.events.values() if e.name == "case_received"]
    with pytest.raises(Unavailable):
        desk.container.outbox.handle(event)
    published_at = desk.clock.now()
    assert len(desk.sms.sent) == 1 and _only(desk).status == "sending"
    # WHEN the stream retries, the lease runs out and the sweeper comes by
    desk.container.outbox.handle(event)
    desk.clock.advance(SWEEP_MIN_AGE.total_seconds() + 60)
    _sweep(desk)
    desk.fire_due()
    # THEN the SMS is unknown (it may have been sent, and it was), not sent a second time
    assert len(desk.sms.sent) == 1
    assert _only(desk).status == "unknown"
    # AND its receipt settles it
    receipt = sms_receipt(sms_status_record("sms-1", PHONE, published_at))
    assert receipt is not None and desk.container.receipts.settle(receipt) == "settled"
    assert _only(desk).status == "sent"
    desk.clock.advance(2 * rules.SMS_RECEIPT_WINDOW.total_seconds())
    desk.fire_due()
    assert len(desk.sms.sent) == 1


def test_unknown_without_a_receipt_is_sent_again_once_its_window_passed() -> None:
    # GIVEN an acknowledgement SMS whose Publish timed out before SNS accepted it
    desk = make_desk(sms=FakeSms([DeliveryUnknown("ReadTimeoutError")]))
    desk.file(complaint())
    desk.drain()
    assert desk.sms.sent == [] and _only(desk).status == "unknown"
    # WHEN an hour passes without a receipt
    desk.clock.advance(rules.SMS_RECEIPT_WINDOW.total_seconds() - 1)
    desk.fire_due()
    assert desk.sms.calls == 1
    desk.clock.advance(2)
    desk.fire_due()
    # THEN it is sent again, once
    assert len(desk.sms.sent) == 1 and desk.sms.calls == 2
    sms = _only(desk)
    assert (sms.status, sms.attempts, sms.unanswered) == ("sent", 2, 1)
    assert _deliveries(desk) == {"unanswered": 1, "settled": 0, "resent_unanswered": 1}


def test_code_whose_answer_was_lost_goes_again_at_once() -> None:
    # GIVEN SNS accepting a one-time code and the answer getting lost
    desk = make_desk(sms=FakeSms([AnswerLost()]))
    desk.container.sessions.request_code({"phone": "13900139000"})
    asked_at = desk.clock.now()
    desk.drain()
    # THEN the same code went again within seconds (a second copy does no harm, a missing
    # one locks the customer out)
    [(_, first), (_, second)] = desk.sms.sent
    assert first == second and "验证码" in first
    code = _only(desk, "otp_code")
    assert (code.status, code.attempts, code.unanswered) == ("sent", 2, 1)
    assert desk.clock.now() - asked_at <= timedelta(seconds=5)


def test_code_during_an_sns_outage_has_bounded_attempts_and_time() -> None:
    # GIVEN SNS answering no Publish at all
    desk = make_desk(sms=FakeSms([DeliveryUnknown("ReadTimeoutError")] * 20))
    desk.container.sessions.request_code({"phone": "13900139000"})
    asked_at = desk.clock.now()
    # WHEN the outbox is drained
    desk.drain()
    # THEN the code was tried three times within seconds, and the consumer moved on
    assert desk.sms.calls == 3
    assert desk.clock.now() - asked_at <= timedelta(seconds=5)
    assert _only(desk, "otp_code").status == "unknown"
    # WHEN the sweeper comes back after the code's five minutes
    desk.clock.advance(SWEEP_MIN_AGE.total_seconds() + 60)
    _sweep(desk)
    # THEN it is given up unsent, and nothing is left to retry
    code = _only(desk, "otp_code")
    assert (code.status, code.last_error) == ("dead", rules.EXPIRED)
    assert desk.sms.calls == 3
    assert desk.store.pending_events(desk.clock.now(), 10) == []


def test_email_whose_answer_was_lost_is_settled_by_its_ses_event() -> None:
    # GIVEN SES accepting the acknowledgement email and its answer getting lost
    desk = make_desk(email=FakeEmail([AnswerLost()]))
    desk.file(complaint())
    desk.drain()
    [message] = desk.email.sent
    email = _only(desk, channel="email")
    assert email.status == "unknown"
    # WHEN SES's Send event arrives, naming the tag the message carried
    event = ses_event("Send", "ses-1", message["reference"], desk.clock.now())
    receipt = email_receipt(event)
    assert receipt is not None and receipt.notification_id == email.notification_id
    assert desk.container.receipts.settle(receipt) == "settled"
    # THEN it is sent, and not sent again after its window
    assert _only(desk, channel="email").status == "sent"
    desk.clock.advance(2 * rules.EMAIL_RECEIPT_WINDOW.total_seconds())
    desk.fire_due()
    assert len(desk.email.sent) == 1


def test_undelivered_receipt_of_an_unknown_sms_sends_it_again_after_a_back_off() -> None:
    # GIVEN an SMS SNS accepted without our hearing, which the carrier could not deliver
    desk = make_desk(sms=FakeSms([AnswerLost()]))
    desk.file(complaint())
    desk.drain()
    record = sms_status_record("sms-1", PHONE, desk.clock.now(), delivered=False)
    receipt = sms_receipt(record)
    assert receipt is not None and not receipt.delivered
    # WHEN its receipt arrives THEN it is a failed attempt, tried again after the back-off
    assert desk.container.receipts.settle(receipt) == "settled"
    assert _only(desk).status == "failed"
    desk.clock.advance(rules.backoff(1).total_seconds() + 60)  # schedules fire by the minute
    desk.fire_due()
    sms = _only(desk)
    assert (sms.status, sms.attempts) == ("sent", 2)
    assert sms.receipt == "not delivered: Unknown error attempting to reach phone"
    assert len(desk.sms.sent) == 2


def test_receipt_of_an_answered_sms_does_not_settle_another_to_the_same_phone() -> None:
    # GIVEN the acknowledgement answered (sms-1), then a code to the same phone a moment
    # later whose answer was lost (sms-2)
    desk = make_desk(sms=FakeSms([None, DeliveryUnknown("ReadTimeoutError")]))  # type: ignore[list-item]
    desk.file(complaint())
    desk.drain()
    desk.clock.advance(10)
    _staff_message(desk)
    assert _only(desk, "staff_message").status == "unknown"
    # WHEN the acknowledgement's receipt arrives
    first = sms_receipt(sms_status_record("sms-1", PHONE, desk.clock.now() - timedelta(seconds=10)))
    assert first is not None
    # THEN it is known as the acknowledgement's and settles nothing else
    assert desk.container.receipts.settle(first) == "known"
    assert _only(desk, "staff_message").status == "unknown"


def test_two_unanswered_sms_to_one_phone_at_once_stay_unknown() -> None:
    desk = make_desk(sms=FakeSms([AnswerLost(), AnswerLost()]))
    desk.file(complaint())
    desk.drain()
    _staff_message(desk)
    receipt = sms_receipt(sms_status_record("sms-2", PHONE, desk.clock.now()))
    assert receipt is not None
    assert desk.container.receipts.settle(receipt) == "unmatched"
    assert {_only(desk).status, _only(desk, "staff_message").status} == {"unknown"}


def _staff_message(desk: Desk) -> None:
    [case] = desk.store.cases.values()
    member, _ = desk.container.staff.create({"name": "林", "role": "agent"})
    desk.container.desk.add_entry(case.case_id, "messages", {"text": "已联系商家"}, member, None)
    desk.drain()


# -- send again ----------------------------------------------------------------------------------


class FlakyStore(FakeStore):
    """DynamoDB throttling the next `failures` commits."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0

    def commit(self, changes: Changes) -> None:
        if self.failures:
            self.failures -= 1
            raise Unavailable(retry_after=1)
        super().commit(changes)


def _dead_email(desk: Desk) -> Notification:
    desk.file(complaint())
    desk.drain()
    [dead] = [n for n in desk.notifications.items.values() if n.status == "dead"]
    return dead


def test_send_again_is_one_write_and_a_repeat_sends_once() -> None:
    desk = make_desk(email=FakeEmail([DeliveryFailed("MessageRejected", permanent=True)]))
    dead = _dead_email(desk)
    commits = desk.store.commits
    # WHEN staff ask twice before the outbox ran (the first answer was lost)
    first = desk.container.deliveries.retry(dead.notification_id)
    second = desk.container.deliveries.retry(dead.notification_id)
    # THEN both answer queued; one event holds the request, the message itself unchanged
    assert first == second and (first["status"], first["attempts"]) == ("queued", 0)
    assert desk.store.commits == commits + 2
    resends = [e for e, _ in desk.store.events.values() if e.event_id.startswith("resend:")]
    assert len(resends) == 1
    # WHEN the outbox runs, twice THEN it goes once
    desk.drain()
    desk.container.outbox.handle(resends[0])
    assert len(desk.email.sent) == 1
    assert desk.notifications.items[dead.notification_id].status == "sent"
    with pytest.raises(InvalidTransition):
        desk.container.deliveries.retry(dead.notification_id)


def test_send_again_that_could_not_be_written_changes_nothing_and_can_be_repeated() -> None:
    store = FlakyStore()
    email = FakeEmail([DeliveryFailed("MessageRejected", permanent=True)])
    desk = make_desk(store=store, email=email)
    dead = _dead_email(desk)
    # WHEN the outbox write is throttled THEN the caller gets Unavailable (503) and the
    # message is still dead, so it can be sent again
    store.failures = 1
    with pytest.raises(Unavailable):
        desk.container.deliveries.retry(dead.notification_id)
    assert desk.notifications.items[dead.notification_id].status == "dead"
    # WHEN staff repeat the request THEN it is queued and goes once
    assert desk.container.deliveries.retry(dead.notification_id)["status"] == "queued"
    desk.drain()
    assert len(desk.email.sent) == 1


def test_send_again_of_a_message_staff_saw_before_it_moved_on_changes_nothing() -> None:
    # GIVEN a resend requested of a dead message, which then is sent by another request
    desk = make_desk(email=FakeEmail([DeliveryFailed("MessageRejected", permanent=True)]))
    dead = _dead_email(desk)
    desk.container.deliveries.retry(dead.notification_id)
    stale = next(e for e, _ in desk.store.events.values() if e.event_id.startswith("resend:"))
    desk.drain()
    # WHEN the first request's event comes again THEN nothing more is sent
    desk.container.outbox.handle(stale)
    assert len(desk.email.sent) == 1


def test_send_again_of_an_unknown_message_is_staffs_decision() -> None:
    desk = make_desk(sms=FakeSms([AnswerLost()]))
    desk.file(complaint())
    desk.drain()
    unknown = _only(desk)
    assert desk.container.deliveries.retry(unknown.notification_id)["status"] == "queued"
    desk.drain()
    assert len(desk.sms.sent) == 2 and _only(desk).status == "sent"


def test_send_again_of_a_queued_message_answers_it_queued() -> None:
    desk = make_desk()
    desk.clock.set(desk.clock.now().replace(hour=14, minute=30))  # 22:30 in Beijing
    desk.file(complaint())
    desk.drain()
    deferred = _only(desk)
    assert deferred.status == "deferred"
    with pytest.raises(InvalidTransition):
        desk.container.deliveries.retry(deferred.notification_id)
    desk.notifications.items[deferred.notification_id].status = DeliveryStatus.QUEUED
    assert desk.container.deliveries.retry(deferred.notification_id)["status"] == "queued"


# -- held messages -------------------------------------------------------------------------------


def test_more_than_two_hundred_held_messages_of_a_case_are_all_released() -> None:
    # GIVEN a case with 250 messages held until now
    desk = make_desk()
    desk.file(complaint(contact={"email": "li.si@example.com", "channels": ["email"]}))
    desk.drain()
    [case] = desk.store.cases.values()
    template = _only(desk, channel="email")
    for n in range(250):
        held = replace(
            template,
            notification_id=f"{case.case_id}:staff_message@v{n}:email",
            status=DeliveryStatus.DEFERRED,
            next_attempt_at=desk.clock.now(),
            created_at=desk.clock.now() + timedelta(microseconds=n),
            attempts=0,
            provider_id=None,
        )
        desk.notifications.create(held)
    # WHEN the case's wake-up releases them
    wake = OutboxEvent(
        Subject.case(case.case_id),
        "v9:send_held",
        EventKind.SEND_HELD,
        "send_held",
        SendHeldPayload(),
        desk.clock.now(),
    )
    assert desk.container.dispatcher.send_held(wake) is True
    # THEN every one of them went
    assert len(desk.email.sent) == 251
    assert {n.status for n in desk.notifications.items.values()} == {"sent"}
