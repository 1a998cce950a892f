"""The delivery state machine of one message (chalicelib/domain/delivery.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import delivery as rules
from chalicelib.domain import receipts
from chalicelib.domain.delivery import DeliveryStatus, Notification
from chalicelib.domain.receipts import Receipt
from chalicelib.domain.timefmt import to_rfc3339

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
PHONE = "+8613800138000"


def _message(event: str = "case_received", channel: str = "sms", **changes: object) -> Notification:
    n = Notification(
        notification_id=f"01M8227EWWW73KQHMQKKVMVN3N:{event}:{channel}",
        case_id="01M8227EWWW73KQHMQKKVMVN3N",
        event=event,
        channel=channel,
        audience="customer",
        recipient=PHONE if channel == "sms" else "li.si@example.com",
        recipient_masked="138****8000",
        language="zh-CN",
        params={},
        created_at=NOW,
        receipt_key=receipts.receipt_key(channel, PHONE),
    )
    return replace(n, **changes)  # type: ignore[arg-type]


def _claimed(n: Notification, at: datetime = NOW) -> Notification:
    """What the log's claim makes of it."""
    return replace(
        n,
        status=DeliveryStatus.SENDING,
        attempts=n.attempts + 1,
        lease_until=at + rules.LEASE,
        attempted_at=at,
    )


def _code(**changes: object) -> Notification:
    expires = to_rfc3339(NOW + timedelta(minutes=5))
    return _message("otp_code", params={"expires_at": expires}, **changes)


def _receipt(delivered: bool = True, **changes: object) -> Receipt:
    receipt = Receipt("sms", "sns-1", NOW + timedelta(seconds=2), delivered, "carrier said so")
    # SNS masks a few digits after the calling code, as in its documented "+1XXX5550100"
    return replace(receipt, destination="+861XXX0138000", **changes)  # type: ignore[arg-type]


# -- statuses ------------------------------------------------------------------------------------


def test_statuses_final_claimable_and_resendable_are_what_the_log_documents() -> None:
    assert [s.value for s in DeliveryStatus] == [
        "queued",
        "deferred",
        "sending",
        "unknown",
        "sent",
        "failed",
        "dead",
        "suppressed",
    ]
    assert {DeliveryStatus.SENT, DeliveryStatus.DEAD, DeliveryStatus.SUPPRESSED} == rules.FINAL
    assert DeliveryStatus.SENDING not in rules.CLAIMABLE  # a lost lease is settled first
    assert DeliveryStatus.UNKNOWN in rules.CLAIMABLE  # once its receipt window passed
    assert DeliveryStatus.SENT not in rules.RESENDABLE
    assert DeliveryStatus.SUPPRESSED in rules.RESENDABLE  # staff may send it all the same


# -- answers and refusals ------------------------------------------------------------------------


def test_sent_records_the_provider_id_and_clears_the_error() -> None:
    n = rules.sent(_claimed(_message(last_error="Throttling")), NOW, "sns-1")
    assert (n.status, n.provider_id, n.sent_at, n.last_error) == ("sent", "sns-1", NOW, None)


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [(1, timedelta(seconds=30)), (2, timedelta(minutes=1)), (4, timedelta(minutes=4))],
)
def test_failed_attempt_waits_a_growing_back_off(attempts: int, wait: timedelta) -> None:
    claimed = _claimed(_message(attempts=attempts - 1))
    n = rules.failed(claimed, "InternalError", permanent=False, now=NOW)
    assert (n.status, n.next_attempt_at) == (DeliveryStatus.FAILED, NOW + wait)


def test_back_off_is_capped_at_an_hour() -> None:
    assert rules.backoff(20) == timedelta(hours=1)


def test_refused_for_good_or_on_the_last_attempt_is_dead() -> None:
    permanent = rules.failed(_claimed(_message()), "InvalidParameter", permanent=True, now=NOW)
    assert (permanent.status, permanent.next_attempt_at) == (DeliveryStatus.DEAD, None)
    last = _claimed(_message(attempts=rules.MAX_ATTEMPTS - 1))
    assert rules.failed(last, "InternalError", permanent=False, now=NOW).status == "dead"


def test_failed_code_is_tried_again_at_once() -> None:
    n = rules.failed(_claimed(_code()), "InternalError", permanent=False, now=NOW)
    assert (n.status, n.next_attempt_at) == (DeliveryStatus.FAILED, NOW)
    assert rules.retry_at_once(n, NOW)
    assert not rules.retry_at_once(
        rules.failed(_claimed(_message()), "x", permanent=False, now=NOW), NOW
    )


def test_refused_for_rate_uses_no_attempt_even_past_the_last_one() -> None:
    # GIVEN an acknowledgement on its last attempt, throttled in a burst
    last = _claimed(_message(attempts=rules.MAX_ATTEMPTS - 1))
    n = rules.refused_for_now(last, "Throttling: try again", now=NOW + timedelta(minutes=2))
    # THEN it is not dead: the attempt did not count, and it goes again after a back-off
    assert n.status == DeliveryStatus.FAILED
    assert n.attempts == rules.MAX_ATTEMPTS - 1
    assert n.next_attempt_at == NOW + timedelta(minutes=2, seconds=30)
    assert n.last_error == "Throttling: try again"


@pytest.mark.parametrize(
    ("age", "wait"),
    [
        (timedelta(seconds=10), timedelta(seconds=30)),  # at least 30 s
        (timedelta(minutes=8), timedelta(minutes=2)),  # a quarter of its age
        (timedelta(hours=10), timedelta(hours=1)),  # at most an hour
    ],
)
def test_refused_for_rate_waits_longer_the_older_the_message(
    age: timedelta, wait: timedelta
) -> None:
    n = rules.refused_for_now(_claimed(_message()), "Throttling", now=NOW + age)
    assert n.next_attempt_at == NOW + age + wait


def test_refused_for_rate_for_a_day_is_given_up() -> None:
    n = rules.refused_for_now(_claimed(_message()), "Throttling", now=NOW + timedelta(days=1))
    assert (n.status, n.next_attempt_at) == (DeliveryStatus.DEAD, None)
    assert n.last_error == "refused for a day: Throttling"


def test_refused_code_is_tried_again_at_once_without_using_an_attempt() -> None:
    n = rules.refused_for_now(_claimed(_code()), "Throttling", now=NOW)
    assert (n.status, n.next_attempt_at, n.attempts) == (DeliveryStatus.FAILED, NOW, 0)
    assert rules.retry_at_once(n, NOW)


# -- no answer -----------------------------------------------------------------------------------


def test_no_answer_on_an_acknowledgement_waits_for_its_receipt() -> None:
    # GIVEN an acknowledgement SMS whose Publish had no answer
    n = rules.unanswered(_claimed(_message()), "ReadTimeoutError", NOW)
    # THEN it is unknown, counted as unanswered, and may not go again for an hour
    assert (n.status, n.unanswered, n.attempts) == (DeliveryStatus.UNKNOWN, 1, 1)
    assert n.next_attempt_at == NOW + rules.SMS_RECEIPT_WINDOW == NOW + timedelta(hours=1)
    assert not rules.retry_at_once(n, NOW)


def test_no_answer_on_an_email_waits_half_an_hour() -> None:
    n = rules.unanswered(_claimed(_message(channel="email")), "ReadTimeoutError", NOW)
    assert n.next_attempt_at == NOW + timedelta(minutes=30)


def test_no_answer_on_a_code_goes_again_at_once_while_it_is_valid() -> None:
    n = rules.unanswered(_claimed(_code()), "ReadTimeoutError", NOW)
    assert (n.status, n.next_attempt_at) == (DeliveryStatus.UNKNOWN, NOW)
    assert rules.retry_at_once(n, NOW)
    later = NOW + timedelta(minutes=5)
    assert rules.refusal(_claimed(n, later), later) == rules.EXPIRED


def test_lost_lease_counts_as_an_attempt_without_answer_from_its_end() -> None:
    # GIVEN a sender that claimed the message at 10:00 and stopped
    claimed = _claimed(_message())
    assert not rules.lease_lost(claimed, NOW + rules.LEASE)
    assert rules.lease_lost(claimed, NOW + rules.LEASE + timedelta(seconds=1))
    # WHEN its attempt is recorded
    n = rules.after_lost_lease(claimed)
    # THEN it waits for a receipt from the end of the lease, with the lease kept as the
    # condition the log writes under
    assert (n.status, n.unanswered, n.last_error) == ("unknown", 1, rules.LEASE_LOST)
    assert n.next_attempt_at == NOW + rules.LEASE + rules.SMS_RECEIPT_WINDOW
    assert n.lease_until == claimed.lease_until


def test_gives_up_after_the_last_attempt_naming_the_unanswered_ones() -> None:
    n = _claimed(_message(attempts=rules.MAX_ATTEMPTS, unanswered=2))
    reason = rules.refusal(n, NOW)
    assert reason == f"gave up after {rules.MAX_ATTEMPTS} attempts, 2 without an answer"
    dead = rules.given_up(n, reason)
    assert (dead.status, dead.attempts) == (DeliveryStatus.DEAD, rules.MAX_ATTEMPTS)


def test_due_at_of_a_message_being_sent_is_its_lease_end() -> None:
    claimed = _claimed(_message())
    assert rules.due_at(claimed) == NOW + rules.LEASE
    assert rules.due_at(rules.unanswered(claimed, "x", NOW)) == NOW + rules.SMS_RECEIPT_WINDOW


# -- quiet hours ---------------------------------------------------------------------------------


def test_quiet_hours_hold_customer_sms_but_not_codes_or_email() -> None:
    evening = datetime(2026, 11, 23, 22, 30, tzinfo=SH)
    morning = datetime(2026, 11, 24, 8, 0, tzinfo=SH)
    assert rules.hold_until(_message(), evening) == morning
    assert rules.hold_until(_code(), evening) is None
    assert rules.hold_until(_message(channel="email"), evening) is None
    held = rules.deferred(_claimed(_message()), morning)
    assert (held.status, held.attempts, held.next_attempt_at) == ("deferred", 0, morning)


# -- receipts ------------------------------------------------------------------------------------


def test_receipt_key_is_the_phones_last_four_digits() -> None:
    assert receipts.receipt_key("sms", PHONE) == "sms#8000"
    assert receipts.receipt_key("sms", "+86XXXXXXX8000") == "sms#8000"
    assert receipts.receipt_key("email", "li.si@example.com") is None


@pytest.mark.parametrize(
    ("logged", "matches"),
    [
        ("+8613800138000", True),
        ("+86XXXXXXX8000", True),
        ("+861380013XXXX", True),
        ("+86XXXXXXX8001", False),
        ("+86XXXXXX8000", False),
    ],
)
def test_destination_as_sns_logs_it_matches_the_phone(logged: str, matches: bool) -> None:
    assert receipts.destination_matches(PHONE, logged) is matches


def test_delivered_receipt_settles_an_unknown_as_sent() -> None:
    unknown = rules.unanswered(_claimed(_message()), "ReadTimeoutError", NOW)
    n = receipts.settle(unknown, _receipt(), NOW + timedelta(minutes=1))
    assert n is not None
    assert (n.status, n.provider_id, n.sent_at) == ("sent", "sns-1", NOW + timedelta(seconds=2))
    assert (n.receipt, n.next_attempt_at) == ("delivered: carrier said so", None)
    assert receipts.settles_ambiguity(unknown, n)


def test_delivered_receipt_stops_a_message_given_up_or_queued_again() -> None:
    for status in (DeliveryStatus.DEAD, DeliveryStatus.QUEUED, DeliveryStatus.SENDING):
        n = receipts.settle(_message(status=status, unanswered=1), _receipt(), NOW)
        assert n is not None and n.status == "sent", status


def test_receipt_of_a_sent_message_changes_nothing_unless_it_failed() -> None:
    sent = rules.sent(_claimed(_message()), NOW, "sns-1")
    assert receipts.settle(sent, _receipt(), NOW) is None
    noted = receipts.settle(sent, _receipt(False), NOW)
    assert noted is not None
    assert (noted.status, noted.receipt) == ("sent", "not delivered: carrier said so")


def test_undelivered_receipt_of_an_unknown_is_a_failed_attempt() -> None:
    unknown = rules.unanswered(_claimed(_message()), "ReadTimeoutError", NOW)
    n = receipts.settle(unknown, _receipt(False), NOW)
    assert n is not None
    assert (n.status, n.next_attempt_at) == (DeliveryStatus.FAILED, NOW + rules.backoff(1))
    gone = receipts.settle(unknown, _receipt(False, permanent=True), NOW)
    assert gone is not None and gone.status == "dead"


def test_undelivered_receipt_of_a_message_being_sent_again_keeps_its_attempt() -> None:
    sending = _claimed(_message(status=DeliveryStatus.UNKNOWN, unanswered=1, attempts=1))
    n = receipts.settle(sending, _receipt(False), NOW)
    assert n is not None and (n.status, n.lease_until) == ("sending", sending.lease_until)


def test_sms_receipt_finds_the_one_unanswered_send_to_that_phone_at_that_time() -> None:
    unknown = rules.unanswered(_claimed(_message()), "ReadTimeoutError", NOW)
    answered = replace(
        rules.sent(_claimed(_message("accepted")), NOW, "sns-7"), notification_id="other"
    )
    elsewhere = replace(unknown, notification_id="else", recipient="+8613811138000")
    candidates = [answered, elsewhere, unknown]
    # a receipt with the answered send's id is that send's, whatever the time
    assert receipts.match_sms_receipt(candidates, _receipt(message_id="sns-7")) is answered
    # another receipt is the unanswered send's, if its time fits the attempt
    assert receipts.match_sms_receipt(candidates, _receipt()) is unknown
    late = _receipt(at=NOW + timedelta(minutes=10))
    assert receipts.match_sms_receipt(candidates, late) is None


def test_sms_receipt_that_fits_two_unanswered_sends_settles_neither() -> None:
    first = rules.unanswered(_claimed(_message()), "ReadTimeoutError", NOW)
    second = replace(first, notification_id="second", event="staff_message")
    assert receipts.match_sms_receipt([first, second], _receipt()) is None
