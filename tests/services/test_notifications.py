"""Notifications that reach people exactly once: quiet hours, urgent messages, SMS-to-email
fallback, TD opt-out, suppressed addresses, resending dead messages, and faults."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import delivery as rules
from chalicelib.domain.case import Status
from chalicelib.domain.delivery import MAX_ATTEMPTS, Notification
from chalicelib.domain.errors import InvalidTransition
from chalicelib.domain.lifecycle import staff_move
from chalicelib.domain.outbox import EventKind
from chalicelib.services.keys import sms_opt_out_key
from chalicelib.services.ports import DeliveryFailed
from chalicelib.services.sending import LEASE_SECONDS
from tests.builders import complaint
from tests.fakes import FakeEmail, FakeSms
from tests.services.conftest import Desk, make_desk

SH = ZoneInfo("Asia/Shanghai")
EVENING = datetime(2026, 11, 23, 22, 30, tzinfo=SH)


def _log(desk: Desk) -> dict[tuple[str, str], str]:
    return {(n.event, n.channel): n.status for n in desk.notifications.items.values()}


def test_quiet_hours_send_email_now_and_sms_at_eight(desk: Desk) -> None:
    # GIVEN a complaint filed at 22:30 Beijing time
    desk.clock.set(EVENING)
    desk.file(complaint())
    # WHEN the outbox is drained THEN the email goes at once and the SMS is held
    desk.drain()
    assert len(desk.email.sent) == 1 and desk.sms.sent == []
    assert _log(desk)[("case_received", "sms")] == "deferred"
    # WHEN the night passes to 07:59 THEN still nothing; at 08:00 the SMS goes, once
    desk.clock.set(datetime(2026, 11, 24, 7, 59, tzinfo=SH))
    desk.fire_due()
    assert desk.sms.sent == []
    desk.clock.set(datetime(2026, 11, 24, 8, 0, 30, tzinfo=SH))
    desk.fire_due()
    assert len(desk.sms.sent) == 1
    assert _log(desk)[("case_received", "sms")] == "sent"
    # AND the wake-up delivered again sends nothing more
    for event in [e for e in desk.store.events.values()]:
        desk.container.outbox.handle(event[0])
    wakes = [e for e, _ in desk.store.events.values() if e.kind is EventKind.SEND_HELD]
    assert wakes
    desk.container.dispatcher.send_held(wakes[-1])
    assert len(desk.sms.sent) == 1


def test_fraud_alerts_and_codes_ignore_quiet_hours(desk: Desk) -> None:
    desk.clock.set(EVENING)
    desk.file(complaint(category="security_fraud"))
    desk.container.sessions.request_code({"phone": "13900139000"})
    desk.drain()
    assert len(desk.sms.sent) == 2  # the fraud acknowledgement and the code, at 22:30


def test_later_messages_on_a_fraud_case_wait_for_morning(desk: Desk) -> None:
    # GIVEN a suspected-fraud case, acknowledged and accepted on Monday morning
    filed = desk.file(complaint(category="security_fraud"))
    writer = desk.container.writer
    case = writer.load(filed["case_id"])
    writer.commit(
        case,
        staff_move(case, Status.ACCEPTED, "stf_agent", desk.clock.now(), writer.calendar, None),
        desk.clock.now(),
    )
    desk.drain()
    # WHEN its periodic update comes due while the customer sleeps (Wednesday 22:30)
    desk.clock.set(datetime(2026, 11, 25, 22, 30, tzinfo=SH))
    desk.fire_due()
    # THEN it is emailed at once, but its SMS waits for 08:00 like any other update
    assert _log(desk)[("periodic_update", "email")] == "sent"
    assert _sms(desk, "periodic_update").status == "deferred"
    assert len(desk.sms.sent) == 2  # the acknowledgement and the acceptance, on Monday
    desk.clock.set(datetime(2026, 11, 26, 8, 0, 30, tzinfo=SH))
    desk.fire_due()
    assert _sms(desk, "periodic_update").status == "sent"
    assert len(desk.sms.sent) == 3


def test_dead_sms_falls_back_to_email_once() -> None:
    # GIVEN a customer who chose SMS only, whose number the carrier rejects
    desk = make_desk(sms=FakeSms([DeliveryFailed("InvalidParameter", permanent=True)] * 3))
    desk.file(
        complaint(contact={"phone": "13800138000", "email": "a@example.com", "channels": ["sms"]})
    )
    desk.drain()
    desk.drain()
    # THEN the acknowledgement went by email instead, once
    assert _log(desk) == {("case_received", "sms"): "dead", ("case_received", "email"): "sent"}
    assert len(desk.email.sent) == 1


def test_td_reply_turns_sms_off(desk: Desk) -> None:
    filed = desk.file(complaint())
    desk.drain()
    answer = desk.container.inbound.sms_reply(
        {"originationNumber": "+8613800138000", "messageBody": " td "}
    )
    assert answer == "opted_out"
    case = desk.store.get_case(filed["case_id"])
    assert case is not None and case.contact.sms_opt_out is True
    # a later complaint from that phone (filed without knowing) gets no SMS either
    desk.file(complaint(payment=None))
    desk.drain()
    assert len(desk.sms.sent) == 1  # only the first acknowledgement, before TD
    assert (
        desk.container.inbound.sms_reply({"originationNumber": "x", "messageBody": "TD"})
        == "ignored"
    )


SMS_ONLY = {"phone": "13800138000", "email": "a@example.com", "channels": ["sms"]}


def _preferences(desk: Desk, filed: dict[str, Any], **body: Any) -> dict[str, Any]:
    bearer = f"Bearer {filed['access_token']}"
    access = desk.container.customer_access.case(filed["case_id"], bearer)
    return desk.container.cases.preferences(access, body)


def _staff_message(desk: Desk, case_id: str, text: str = "已联系商家，请留意退款") -> None:
    member, _ = desk.container.staff.create({"name": "林", "role": "agent"})
    desk.container.desk.add_entry(case_id, "messages", {"text": text}, member, None)


def test_sms_only_customer_who_turns_sms_off_gets_email(desk: Desk) -> None:
    # GIVEN a customer who chose SMS only and has an email address
    filed = desk.file(complaint(contact=SMS_ONLY))
    desk.drain()
    assert (len(desk.sms.sent), len(desk.email.sent)) == (1, 0)
    # WHEN they turn SMS off and staff then write to them
    assert _preferences(desk, filed, sms_opt_out=True)["sms_opt_out"] is True
    _staff_message(desk, filed["case_id"])
    desk.drain()
    # THEN the message goes by email, not by SMS
    assert _log(desk)[("staff_message", "email")] == "sent"
    assert ("staff_message", "sms") not in _log(desk)
    assert (len(desk.sms.sent), len(desk.email.sent)) == (1, 1)


def test_sms_only_customer_who_replies_td_gets_email(desk: Desk) -> None:
    filed = desk.file(complaint(contact=SMS_ONLY))
    desk.drain()
    desk.container.inbound.sms_reply({"originationNumber": "+8613800138000", "messageBody": "TD"})
    _staff_message(desk, filed["case_id"])
    desk.drain()
    assert _log(desk)[("staff_message", "email")] == "sent"
    assert ("staff_message", "sms") not in _log(desk)


def _sms(desk: Desk, event: str = "case_received") -> Notification:
    [sms] = [n for n in desk.notifications.items.values() if (n.event, n.channel) == (event, "sms")]
    return sms


def test_sms_held_overnight_is_dropped_when_the_customer_turns_sms_off(desk: Desk) -> None:
    # GIVEN a complaint filed at 22:30: the email went, the SMS waits for 08:00
    desk.clock.set(EVENING)
    filed = desk.file(complaint())
    desk.drain()
    assert _log(desk) == {("case_received", "email"): "sent", ("case_received", "sms"): "deferred"}
    # WHEN the customer turns SMS off before morning
    desk.clock.set(datetime(2026, 11, 23, 23, 0, tzinfo=SH))
    _preferences(desk, filed, sms_opt_out=True)
    desk.clock.set(datetime(2026, 11, 24, 8, 0, 30, tzinfo=SH))
    desk.fire_due()
    # THEN the SMS is not sent, and the email is not sent a second time
    assert desk.sms.sent == [] and len(desk.email.sent) == 1
    sms = _sms(desk)
    assert (sms.status, sms.last_error) == ("dead", "SMS turned off in the case's preferences")


def test_sms_held_overnight_goes_by_email_when_sms_is_turned_off(desk: Desk) -> None:
    # GIVEN an SMS-only customer whose acknowledgement waits for 08:00
    desk.clock.set(EVENING)
    filed = desk.file(complaint(contact=SMS_ONLY))
    desk.drain()
    assert desk.sms.sent == [] and desk.email.sent == []
    # WHEN they switch to email during the night
    _preferences(desk, filed, channels=["email"])
    desk.clock.set(datetime(2026, 11, 24, 8, 0, 30, tzinfo=SH))
    desk.fire_due()
    desk.drain()
    # THEN the acknowledgement goes by email, once, and never by SMS
    assert desk.sms.sent == []
    assert [m["to"] for m in desk.email.sent] == ["a@example.com"]
    assert _log(desk) == {("case_received", "sms"): "dead", ("case_received", "email"): "sent"}


def test_opting_back_in_after_td_sends_sms_again(desk: Desk) -> None:
    # GIVEN a customer who replied TD
    filed = desk.file(complaint())
    desk.drain()
    desk.container.inbound.sms_reply({"originationNumber": "+8613800138000", "messageBody": "TD"})
    # WHEN they turn SMS back on through their case
    assert _preferences(desk, filed, sms_opt_out=False)["sms_opt_out"] is False
    _staff_message(desk, filed["case_id"])
    desk.drain()
    # THEN the phone is no longer opted out, and the next message goes by SMS too
    assert desk.store.get_key(sms_opt_out_key("+8613800138000")) is None
    assert _log(desk)[("staff_message", "sms")] == "sent"
    assert len(desk.sms.sent) == 2


def test_card_and_phone_numbers_in_a_staff_message_are_masked(desk: Desk) -> None:
    # GIVEN staff writing a customer's card and phone numbers into a message
    filed = desk.file(complaint())
    desk.drain()
    text = "已核实卡号 6222 0212 3456 7890 123 的扣款，请保持 13800138000 畅通"
    _staff_message(desk, filed["case_id"], text)
    desk.drain()
    # THEN the email shows them masked, and the rest of the message as written
    [email] = [m for m in desk.email.sent if "扣款" in m["text"]]
    for body in (email["text"], email["html"]):
        assert "622****0123" in body and "138****8000" in body
        assert "6222 0212 3456 7890" not in body and "13800138000" not in body


def test_bounced_address_is_suppressed(desk: Desk) -> None:
    count = desk.container.inbound.ses_event(
        {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": "Permanent",
                "bouncedRecipients": [{"emailAddress": "Zhang.San@example.com"}],
            },
        }
    )
    assert count == 1
    assert (
        desk.container.inbound.ses_event(
            {"eventType": "Bounce", "bounce": {"bounceType": "Transient"}}
        )
        == 0
    )
    desk.file(complaint())
    desk.drain()
    assert desk.email.sent == []
    assert _log(desk)[("case_received", "email")] == "dead"


def test_dead_message_can_be_sent_again(desk: Desk) -> None:
    desk = make_desk(email=FakeEmail([DeliveryFailed("MessageRejected", permanent=True)]))
    desk.file(complaint())
    desk.drain()
    [dead] = [n for n in desk.notifications.items.values() if n.status == "dead"]
    answer = desk.container.deliveries.retry(dead.notification_id)
    assert (answer["status"], answer["attempts"]) == ("queued", 0)
    desk.drain()
    assert len(desk.email.sent) == 1
    with pytest.raises(InvalidTransition):
        desk.container.deliveries.retry(dead.notification_id)  # sent now


class LambdaTimeout(BaseException):
    """Lambda stopping the function mid-batch: nothing after it runs."""


class TimingOutSms(FakeSms):
    def __init__(self, on_call: int) -> None:
        super().__init__()
        self.on_call = on_call

    def send_sms(self, phone: str, text: str) -> str:
        if self.calls + 1 == self.on_call:
            self.calls += 1
            raise LambdaTimeout
        return super().send_sms(phone, text)


class DyingSms(FakeSms):
    """Every send stops the Lambda before any outcome is recorded."""

    def send_sms(self, phone: str, text: str) -> str:
        self.calls += 1
        raise LambdaTimeout


def test_sends_that_die_with_the_lambda_wait_for_a_receipt_then_end_dead() -> None:
    # GIVEN an acknowledgement whose SMS stops the Lambda on every try
    desk = make_desk(sms=DyingSms())
    desk.file(complaint())
    [event] = [e for e, _ in desk.store.events.values() if e.name == "case_received"]
    with pytest.raises(LambdaTimeout):
        desk.container.outbox.handle(event)
    # WHEN the event is handled again once the sender's lease ran out
    desk.clock.advance(LEASE_SECONDS + 1)
    desk.container.outbox.handle(event)
    # THEN the attempt is unknown (it may have been sent), not tried again at once
    sms = _sms(desk)
    assert (sms.status, sms.attempts, sms.unanswered) == ("unknown", 1, 1)
    assert desk.container.sms.calls == 1  # type: ignore[attr-defined]
    # WHEN each receipt window passes without a receipt THEN it is tried again, each time
    # dying, until it has had its attempts
    for attempt in range(2, MAX_ATTEMPTS + 1):
        desk.clock.advance(rules.SMS_RECEIPT_WINDOW.total_seconds() + LEASE_SECONDS + 1)
        with pytest.raises(LambdaTimeout):
            desk.fire_due()
        assert _sms(desk).attempts == attempt
    desk.clock.advance(rules.SMS_RECEIPT_WINDOW.total_seconds() + LEASE_SECONDS + 1)
    desk.fire_due()
    desk.clock.advance(rules.SMS_RECEIPT_WINDOW.total_seconds() + 1)
    desk.fire_due()
    # THEN the SMS is dead without a sixth try, and the email goes, once
    sms = _sms(desk)
    assert (sms.status, sms.attempts, sms.unanswered) == ("dead", MAX_ATTEMPTS, MAX_ATTEMPTS)
    assert (
        sms.last_error == f"gave up after {MAX_ATTEMPTS} attempts, {MAX_ATTEMPTS} without an answer"
    )
    assert desk.container.sms.calls == MAX_ATTEMPTS  # type: ignore[attr-defined]
    assert _log(desk)[("case_received", "email")] == "sent"
    assert len(desk.email.sent) == 1


@pytest.mark.parametrize(
    ("fault", "permanent", "final"),
    [
        (DeliveryFailed("ThrottledException: try again", permanent=False), False, "sent"),
        (DeliveryFailed("network error: try again", permanent=False), False, "sent"),
    ],
    ids=["sns-throttling", "network-error"],
)
def test_transient_sms_faults_are_retried_and_sent_once(
    fault: DeliveryFailed, permanent: bool, final: str
) -> None:
    desk = make_desk(sms=FakeSms([fault, fault]))
    desk.file(complaint())
    desk.drain()
    for _ in range(4):
        desk.clock.advance(120)
        desk.fire_due()
    assert _log(desk)[("case_received", "sms")] == final
    assert len(desk.sms.sent) == 1
    [sms] = [n for n in desk.notifications.items.values() if n.channel == "sms"]
    assert sms.attempts == 3


def test_ses_rejection_is_dead_without_retry() -> None:
    desk = make_desk(email=FakeEmail([DeliveryFailed("MessageRejected", permanent=True)]))
    desk.file(complaint())
    desk.drain()
    desk.clock.advance(3600)
    desk.fire_due()
    assert _log(desk)[("case_received", "email")] == "dead"
    assert desk.email.sent == [] and len(desk.sms.sent) == 1


def test_lambda_timeout_mid_batch_sends_nothing_twice() -> None:
    # GIVEN three complaints whose acknowledgements go out in one batch, and a Lambda that
    # stops while sending the second SMS
    desk = make_desk(sms=TimingOutSms(on_call=2))
    for n in range(3):
        desk.file(complaint(payment={"transaction_id": f"T-{n}"}))
    batch = [e for e, _ in desk.store.events.values() if e.kind == "notify"]

    def run_batch() -> None:
        for event in batch:
            desk.container.outbox.handle(event)

    with pytest.raises(LambdaTimeout):
        run_batch()
    # WHEN Lambda retries the batch at once, and the case's wake-up fires after the
    # interrupted claim expired
    run_batch()
    desk.clock.advance(LEASE_SECONDS + 1)
    desk.fire_due()
    # THEN the interrupted SMS is unknown (the Lambda stopped in the call) and not sent again
    # while its receipt may still come; everything else went once
    assert sorted(p for p, _ in desk.sms.sent) == ["+8613800138000"] * 2
    assert len(desk.email.sent) == 3
    statuses = sorted(n.status for n in desk.notifications.items.values())
    assert statuses == ["sent"] * 5 + ["unknown"]
    # WHEN its window passes without a receipt THEN it goes, once
    desk.clock.advance(rules.SMS_RECEIPT_WINDOW.total_seconds() + 1)
    desk.fire_due()
    assert sorted(p for p, _ in desk.sms.sent) == ["+8613800138000"] * 3
    assert all(n.status == "sent" for n in desk.notifications.items.values())
