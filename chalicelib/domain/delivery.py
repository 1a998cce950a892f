"""The delivery of one message (one SMS or one email): its states and the rules between them.

Pure rules, no I/O: the sender (services/sending.py) reads the facts, asks these functions what
follows, and stores the answer under its claim.

    queued ─claim─> sending ─accepted─────────────────> sent
                       ├──refused for now──> failed ──back-off──> claimable again
                       ├──refused for good, or the last attempt──> dead
                       ├──quiet hours──> deferred ──08:00──> claimable again
                       └──no answer (a timeout, a connection dropped after the request went out,
                          a server error, the sender stopped)──> unknown
    (made suppressed: an SMS an intake limit or the SMS countries keep from being sent at all)
    unknown ─the provider's receipt says delivered─> sent
    unknown ─the receipt says not delivered─> failed (or dead)
    unknown ─the receipt window passed without one─> claimable again (sent again)

Neither SNS nor SES takes an idempotency key, so a send without an answer may have reached the
recipient: it is never sent again before its kind's receipt window has passed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .quiet import is_urgent, quiet_until
from .timefmt import parse_rfc3339


class DeliveryStatus(StrEnum):
    """Every status a message can have, in the order a message passes through them."""

    QUEUED = "queued"
    DEFERRED = "deferred"
    SENDING = "sending"
    UNKNOWN = "unknown"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    SUPPRESSED = "suppressed"


FINAL = frozenset({DeliveryStatus.SENT, DeliveryStatus.DEAD, DeliveryStatus.SUPPRESSED})
# What a sender may claim once it is due (next_attempt_at passed, or never set).
CLAIMABLE = frozenset(
    {DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED, DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN}
)
# What staff may send again (POST /v1/admin/notifications/{id}/retry).
# A suppressed SMS too: staff who know the customer may decide it should go after all.
RESENDABLE = frozenset(
    {
        DeliveryStatus.DEAD,
        DeliveryStatus.FAILED,
        DeliveryStatus.UNKNOWN,
        DeliveryStatus.SUPPRESSED,
    }
)

MAX_ATTEMPTS = 5
LEASE = timedelta(seconds=60)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
REFUSED_LIMIT = timedelta(days=1)  # how long sends refused for rate are tried before giving up

# How long to wait for the provider's receipt of a send that had no answer before sending it
# again, by kind (README, "Sending each message once"). A one-time code is worth nothing late
# and a second copy of the same code does no harm: it goes again at once, while it is valid.
# Anything else waits: SES reports an accepted email within seconds, SNS an SMS's delivery
# within minutes.
RESEND_AT_ONCE = frozenset({"otp_code"})
SMS_RECEIPT_WINDOW = timedelta(hours=1)
EMAIL_RECEIPT_WINDOW = timedelta(minutes=30)

NO_EMAIL_VERSION = frozenset({"otp_code"})  # one-time codes go by SMS only

SUPPRESSED = "the address bounced or complained; suppressed"
OPTED_OUT = "the phone opted out of SMS (TD)"
SMS_OFF = "SMS turned off in the case's preferences"
EXPIRED = "expired before it could be sent"
OUTSIDE_SMS_COUNTRIES = "not sent: the phone is outside the countries PayCase sends SMS to"
LEASE_LOST = "the sender stopped before recording an answer: it may have been sent"


@dataclass
class Notification:
    """One message to one recipient on one channel, and how its delivery stands."""

    notification_id: str  # "<case_id>:<event key>:<channel>", the exactly-once key
    case_id: str
    event: str
    channel: str  # "sms" | "email"
    audience: str  # "customer" | "merchant" | "staff"
    recipient: str
    recipient_masked: str
    language: str
    params: dict[str, Any]
    created_at: datetime
    status: DeliveryStatus = DeliveryStatus.QUEUED
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    provider_id: str | None = None
    updated_at: datetime | None = None
    attempted_at: datetime | None = None  # when the latest attempt started (its claim)
    unanswered: int = 0  # attempts that ended without an answer (ambiguous sends)
    receipt: str | None = None  # what the provider's delivery receipt said, once one came
    # Set while the message's SMS receipt may still come: how the receipt finds it.
    receipt_key: str | None = None


def intake_sms_limit(limit: int, window_hours: int) -> str:
    """Why an acknowledgement SMS was suppressed by the per-phone intake limit."""
    return (
        f"not sent: {limit} acknowledgement SMS already went to this phone within "
        f"{window_hours} hours from complaints filed without a one-time code"
    )


def first_claim(n: Notification, now: datetime, lease: timedelta) -> Notification:
    """A message made just now, stored already claimed by the sender that made it: its first
    attempt counted and under way, as a claim of a queued message would leave it. A sender
    that stops before recording an answer leaves the same record as one stopped after a claim
    (its attempt becomes one without an answer once the lease runs out)."""
    return replace(
        n,
        status=DeliveryStatus.SENDING,
        attempts=n.attempts + 1,
        attempted_at=now,
        updated_at=now,
        lease_until=now + lease,
    )


def suppressed(n: Notification, reason: str) -> Notification:
    """Never to be sent (unless staff send it again): final from the start."""
    return replace(n, status=DeliveryStatus.SUPPRESSED, last_error=reason)


# -- reading a message ---------------------------------------------------------------------------


def expires_at(n: Notification) -> datetime | None:
    """When the message stops being worth sending, if it ever does."""
    value = n.params.get("expires_at")
    return parse_rfc3339(str(value)) if value else None


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at one hour."""
    delay: timedelta = BACKOFF_BASE * 2 ** max(attempts - 1, 0)
    return min(delay, BACKOFF_CAP)


def receipt_window(n: Notification) -> timedelta:
    """How long a send without an answer waits for its receipt before it may go again."""
    if n.event in RESEND_AT_ONCE:
        return timedelta(0)
    return SMS_RECEIPT_WINDOW if n.channel == "sms" else EMAIL_RECEIPT_WINDOW


def due_at(n: Notification) -> datetime | None:
    """When the message next needs a sender: the end of a back-off, quiet hours or receipt
    window, or of a sender's lease (after which its attempt counts as unanswered)."""
    if n.status == DeliveryStatus.SENDING:
        return n.lease_until
    return n.next_attempt_at


def lease_lost(n: Notification, now: datetime) -> bool:
    """A sender claimed the message and stopped before recording what happened."""
    return n.status == DeliveryStatus.SENDING and n.lease_until is not None and n.lease_until < now


def retry_at_once(n: Notification, now: datetime) -> bool:
    """Whether a message that expires is worth another try within the same call: it failed
    for now, or had no answer, and nothing makes it wait."""
    if n.status not in (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN) or expires_at(n) is None:
        return False
    return n.next_attempt_at is None or n.next_attempt_at <= now + timedelta(seconds=5)


def refusal(n: Notification, now: datetime) -> str | None:
    """Why a message just claimed must be given up without sending, if it must."""
    if n.attempts > MAX_ATTEMPTS:
        unanswered = f", {n.unanswered} without an answer" if n.unanswered else ""
        return f"gave up after {MAX_ATTEMPTS} attempts{unanswered}"
    expiry = expires_at(n)
    if expiry is not None and expiry <= now:
        return EXPIRED
    return None


def hold_until(n: Notification, now: datetime) -> datetime | None:
    """Customer SMS waits out quiet hours, except one-time codes and security alerts, and its
    place in a paced send (`send_after`: an incident's update to many customers at once)."""
    if n.channel != "sms" or n.audience != "customer":
        return None
    if is_urgent(n.event, n.params.get("category")):
        return None
    quiet = quiet_until(now)
    paced = n.params.get("send_after")
    slot = parse_rfc3339(str(paced)) if paced else None
    if slot is not None and slot > now:
        return max(slot, quiet) if quiet else slot
    return quiet


def waited(n: Notification, now: datetime) -> bool:
    """A message made just now was made from the case as it is; one that waited (quiet hours,
    a retry) may have been overtaken by a change of the customer's preferences."""
    return n.created_at < now


# -- what follows an attempt ---------------------------------------------------------------------


def deferred(n: Notification, until: datetime) -> Notification:
    """Held (quiet hours): the claim did not count as an attempt."""
    return replace(
        n, status=DeliveryStatus.DEFERRED, attempts=n.attempts - 1, next_attempt_at=until
    )


def given_up(n: Notification, reason: str) -> Notification:
    """Dead without sending; a claim that only gives up is not an attempt."""
    attempts = n.attempts - 1 if n.attempts > MAX_ATTEMPTS else n.attempts
    return replace(
        n, status=DeliveryStatus.DEAD, attempts=attempts, next_attempt_at=None, last_error=reason
    )


def sent(n: Notification, now: datetime, provider_id: str) -> Notification:
    return replace(
        n,
        status=DeliveryStatus.SENT,
        sent_at=now,
        provider_id=provider_id,
        last_error=None,
        next_attempt_at=None,
    )


def failed(n: Notification, reason: str, *, permanent: bool, now: datetime) -> Notification:
    """Refused: dead when for good or out of attempts, else tried again after a back-off (a
    message that expires at once: it is soon worthless)."""
    reason = reason[:500]
    if permanent or n.attempts >= MAX_ATTEMPTS:
        return replace(n, status=DeliveryStatus.DEAD, next_attempt_at=None, last_error=reason)
    retry_at = now if expires_at(n) is not None else now + backoff(n.attempts)
    return replace(n, status=DeliveryStatus.FAILED, next_attempt_at=retry_at, last_error=reason)


def refused_for_now(n: Notification, reason: str, now: datetime) -> Notification:
    """Refused for rate or never reached (throttling in a burst, no connection): the provider
    did not take the attempt, so it does not count. Tried again after a back-off that grows with
    the message's age (a quarter of it, 30 s to an hour: a burst's messages spread out instead
    of all coming back at once), and given up only once it has been refused for a day (a
    message that expires: tried again at once while it is worth sending)."""
    if now - n.created_at >= REFUSED_LIMIT:
        return failed(n, f"refused for a day: {reason}", permanent=True, now=now)
    if expires_at(n) is not None:
        retry_at = now
    else:
        retry_at = now + min(max((now - n.created_at) / 4, BACKOFF_BASE), BACKOFF_CAP)
    return replace(
        n,
        status=DeliveryStatus.FAILED,
        attempts=n.attempts - 1,
        next_attempt_at=retry_at,
        last_error=reason[:500],
    )


def unanswered(n: Notification, reason: str, now: datetime) -> Notification:
    """No answer: the provider may have accepted it. It waits for its receipt, and may go
    again only once its kind's window has passed without one."""
    return replace(
        n,
        status=DeliveryStatus.UNKNOWN,
        unanswered=n.unanswered + 1,
        next_attempt_at=now + receipt_window(n),
        last_error=reason[:500],
    )


def after_lost_lease(n: Notification) -> Notification:
    """The sender holding the claim stopped: its attempt had no answer, counted from the end
    of its lease."""
    assert n.lease_until is not None  # noqa: S101 - only for a message whose lease ran out
    return unanswered(n, LEASE_LOST, n.lease_until)


def requeued(n: Notification, now: datetime) -> Notification:
    """Sent again on staff's request: queued with fresh attempts."""
    return replace(
        n,
        status=DeliveryStatus.QUEUED,
        attempts=0,
        next_attempt_at=None,
        lease_until=None,
        updated_at=now,
    )
