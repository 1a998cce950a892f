"""The providers' delivery receipts, and what they settle: an SNS SMS delivery-status record or
an SES event says whether a message it accepted went, and so settles a send that had no
answer (`unknown`) without sending it twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .delivery import LEASE, DeliveryStatus, Notification, failed, sent

# A provider's receipt names the time it accepted the message; it belongs to an attempt that
# started at most this long before (the lease) and not long after (clocks differ a little).
RECEIPT_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class Receipt:
    """A provider's word on a message it accepted: an SNS SMS delivery-status record or an SES
    event. `at` is when the provider accepted the message."""

    channel: str
    message_id: str
    at: datetime
    delivered: bool  # False: the provider accepted the message but could not deliver it
    detail: str
    permanent: bool = False  # not delivered, and never will be (opted out, invalid number)
    destination: str | None = None  # SMS: the phone as the provider logs it, partly masked
    notification_id: str | None = None  # email: read from the tag the message carried


def receipt_key(channel: str, recipient: str) -> str | None:
    """How an SMS receipt finds its message: the phone's last four digits (SNS logs the phone
    partly masked, but always with its last digits). Email receipts carry the message's id."""
    if channel != "sms":
        return None
    digits = "".join(c for c in recipient if c.isdigit())
    return f"sms#{digits[-4:]}" if len(digits) >= 4 else None


def destination_matches(recipient: str, logged: str) -> bool:
    """Whether a phone as SNS logs it (`+1XXX5550100`) can be `recipient`."""
    if len(recipient) != len(logged):
        return False
    return all(a == b or b in "Xx*#" for a, b in zip(recipient, logged, strict=True))


def receipt_search_range(receipt: Receipt) -> tuple[datetime, datetime]:
    """The attempt start times (`attempted_at`) a receipt accepted at `receipt.at` may belong
    to."""
    return receipt.at - LEASE - RECEIPT_SKEW, receipt.at + RECEIPT_SKEW


def match_sms_receipt(candidates: Iterable[Notification], receipt: Receipt) -> Notification | None:
    """The message an SMS receipt is about. An answered send is known by its message id; a
    send without an answer only by its phone and time, so it is settled only when exactly one
    such message fits (two unanswered sends to one phone within a minute stay unknown)."""
    fitting = [
        n
        for n in candidates
        if n.channel == "sms"
        and receipt.destination is not None
        and destination_matches(n.recipient, receipt.destination)
    ]
    for n in fitting:
        if n.provider_id == receipt.message_id:
            return n
    start, end = receipt_search_range(receipt)
    unanswered_sends = [
        n
        for n in fitting
        if n.provider_id is None
        and n.unanswered + (n.status == DeliveryStatus.SENDING) > 0
        and n.attempted_at is not None
        and start <= n.attempted_at <= end
    ]
    return unanswered_sends[0] if len(unanswered_sends) == 1 else None


def settle(n: Notification, receipt: Receipt, now: datetime) -> Notification | None:
    """What a receipt changes; None when nothing. Delivered settles any message not yet sent
    (a late receipt of a message given up or queued again stops it being sent twice). Not
    delivered counts as a failed attempt of a message whose send had no answer; a message
    being sent again right now keeps its attempt (the receipt may be of the earlier one)."""
    summary = f"{'delivered' if receipt.delivered else 'not delivered'}: {receipt.detail}"[:300]
    if receipt.delivered:
        if n.status == DeliveryStatus.SENT:
            return None
        return replace(
            sent(n, receipt.at, receipt.message_id),
            lease_until=None,
            receipt=summary,
            updated_at=now,
        )
    noted = replace(n, receipt=summary, updated_at=now)
    if n.status != DeliveryStatus.UNKNOWN:
        return noted
    return failed(noted, summary, permanent=receipt.permanent, now=now)


def settles_ambiguity(before: Notification, after: Notification) -> bool:
    """Whether settling resolved a send that had no answer."""
    return before.status != DeliveryStatus.SENT and after.status == DeliveryStatus.SENT
