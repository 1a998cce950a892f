"""Sending one message: one attempt under a claim, its outcome stored under that claim.

The rules (what follows a refusal, a lost answer, quiet hours, a give-up) are the domain's
(chalicelib/domain/delivery.py); this module reads the facts they need, makes the call and
stores what they decide. The claim counts the attempt before the call, so a sender that dies
mid-send leaves a record: its attempt becomes `unknown` once its lease runs out, and is not
sent again before its receipt window has passed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from chalicelib import observability
from chalicelib.domain import delivery as rules
from chalicelib.domain.clock import Clock
from chalicelib.domain.delivery import DeliveryStatus, Notification
from chalicelib.domain.ids import is_ulid
from chalicelib.services.keys import sms_opt_out_key, suppressed_email_key
from chalicelib.services.metrics import DeliveryCounts
from chalicelib.services.ports import (
    DeliveryFailed,
    DeliveryUnknown,
    DeskStore,
    EmailSender,
    NotificationLog,
    SecretBox,
    SmsSender,
)
from chalicelib.services.recipients import Recipients

log = logging.getLogger(__name__)
# The outcomes of an attempt that count as a metric, by channel.
_COUNTED = {
    DeliveryStatus.SENT: "MessagesSent",
    DeliveryStatus.FAILED: "MessagesFailed",
    DeliveryStatus.DEAD: "MessagesDead",
    DeliveryStatus.UNKNOWN: "MessagesUnanswered",
}

LEASE_SECONDS = int(rules.LEASE.total_seconds())
# A message that expires (a one-time code lives 5 minutes) is worth nothing after a back-off of
# minutes: after a refusal or a send without an answer it is tried again after these pauses, in
# the same call. With sends never retried by botocore, that bounds a code to three sends.
QUICK_RETRY_PAUSES = (1.0, 2.0)


class Renderer(Protocol):
    def sms(self, event: str, language: str, params: dict[str, Any]) -> str: ...

    def email(self, event: str, language: str, params: dict[str, Any]) -> Any: ...


# Called with (notification, rendered message) after each accepted send; the local runner
# prints messages this way.
SentObserver = Callable[[Notification, Any], None]
# Waits the given number of seconds (time.sleep; tests move their clock instead).
Pause = Callable[[float], None]


def ignore_sent(notification: Notification, rendered: Any) -> None:
    """The observer when nobody watches."""


def _blocking_key(n: Notification) -> str:
    """The key whose presence stops the message: the address's suppression (a bounce or a
    complaint) for an email, the phone's opt-out for an SMS."""
    if n.channel == "email":
        return suppressed_email_key(n.recipient)
    return sms_opt_out_key(n.recipient)


class RenderFailed(Exception):
    pass


class Sender:
    def __init__(
        self,
        notifications: NotificationLog,
        store: DeskStore,
        sms: SmsSender,
        email: EmailSender,
        renderer: Renderer,
        code_box: SecretBox,
        recipients: Recipients,
        counts: DeliveryCounts,
        clock: Clock,
        pause: Pause,
        observer: SentObserver,
    ) -> None:
        self._log = notifications
        self._store = store
        self._sms = sms
        self._email = email
        self._renderer = renderer
        self._code_box = code_box
        self._recipients = recipients
        self._counts = counts
        self._clock = clock
        self._pause = pause
        self._observer = observer

    def deliver(self, notification: Notification) -> list[Notification]:
        """One attempt if the message is due and nobody else holds it (a message that expires:
        up to 1 + len(QUICK_RETRY_PAUSES) attempts). Returns the message as it now stands,
        followed by the email sent instead of an SMS that died."""
        return self._retried(self._attempt(notification))

    def deliver_new(self, notifications: list[Notification]) -> list[Notification]:
        """The messages an event asks for, made just now: each stored already claimed (one
        write instead of a create and a claim) and sent, the facts that may stop them read for
        all of them at once. A message made before (the event delivered again) is delivered
        as it stands; one made final (suppressed) is only stored. Returns the messages as they
        now stand, as `deliver` does."""
        blocked = self._blocked_keys([n for n in notifications if n.status not in rules.FINAL])
        out: list[Notification] = []
        for notification in notifications:
            if notification.status in rules.FINAL:
                out.append(self._log.create(notification))
                continue
            now = self._clock.now()  # each its own: a send before it may have taken a while
            claimed = rules.first_claim(notification, now, rules.LEASE)
            if self._log.create_claimed(claimed):
                out += self._retried(self._attempt_claimed(claimed, now, blocked=blocked))
                continue
            stored = self._log.get(notification.notification_id)
            if stored is not None and stored.status not in rules.FINAL:
                out += self.deliver(stored)
            elif stored is not None:
                out.append(stored)
        return out

    def _retried(self, outcomes: list[Notification]) -> list[Notification]:
        for pause in QUICK_RETRY_PAUSES:
            if not rules.retry_at_once(outcomes[0], self._clock.now()):
                break
            self._pause(pause)
            outcomes = self._attempt(outcomes[0])
        return outcomes

    def _attempt(self, notification: Notification) -> list[Notification]:
        now = self._clock.now()
        if rules.lease_lost(notification, now):
            notification = self._record_lost_lease(notification)
        claimed = self._log.claim(notification.notification_id, now, LEASE_SECONDS)
        if claimed is None:
            return [notification]
        claimed.updated_at = now
        resend = notification.status == DeliveryStatus.UNKNOWN
        return self._attempt_claimed(claimed, now, resend=resend)

    def _attempt_claimed(
        self,
        claimed: Notification,
        now: datetime,
        *,
        resend: bool = False,
        blocked: frozenset[str] | None = None,
    ) -> list[Notification]:
        """The attempt under a claim this sender holds: its outcome, stored under the claim."""
        outcome, rendered = self._outcome(claimed, now, resend=resend, blocked=blocked)
        try:
            written = self._log.save_outcome(outcome)
        except Exception:
            if outcome.status == DeliveryStatus.SENT:
                # Its lease will run out with the attempt unanswered; the provider's receipt
                # (or this line) tells what happened. It is not sent again before its window.
                log.error(
                    "notify: %s was accepted as %s but its outcome could not be stored",
                    outcome.notification_id,
                    outcome.provider_id,
                )
            raise
        stored = self._after_save(outcome, written)
        if written and outcome.status in _COUNTED:
            observability.count(_COUNTED[outcome.status], channel=outcome.channel)
        if written and outcome.status == DeliveryStatus.SENT:
            self._observer(stored, rendered)
        if stored.status == DeliveryStatus.DEAD and stored.channel == "sms":
            return [stored, *self._fall_back_to_email(stored)]
        return [stored]

    def _outcome(
        self,
        claimed: Notification,
        now: datetime,
        *,
        resend: bool,
        blocked: frozenset[str] | None = None,
    ) -> tuple[Notification, Any]:
        """What this attempt comes to, and the message as rendered when it was sent. `resend`:
        the last attempt had no answer and its receipt window passed without a receipt.
        `blocked`: the opt-out and suppression keys that exist among the message's, when they
        were read beforehand (else they are read now)."""
        reason = rules.refusal(claimed, now)
        if reason is not None:
            return rules.given_up(claimed, reason), None
        # Checked before quiet hours: an SMS the customer no longer wants is dropped (and its
        # email sent) at once rather than held until morning.
        reason = self._unreachable(claimed, now, blocked)
        if reason is not None:
            return rules.failed(claimed, reason, permanent=True, now=now), None
        hold_until = rules.hold_until(claimed, now)
        if hold_until is not None:
            return rules.deferred(claimed, hold_until), None
        try:
            rendered = self._render(claimed)
        except RenderFailed as exc:
            return rules.failed(claimed, str(exc), permanent=True, now=now), None
        if resend:
            self._counts.add("resent_unanswered", f"{claimed.notification_id}:{claimed.attempts}")
        try:
            provider_id = self._send(claimed, rendered)
        except DeliveryFailed as failure:
            if failure.refused_for_now:
                return rules.refused_for_now(claimed, failure.reason, now), None
            outcome = rules.failed(claimed, failure.reason, permanent=failure.permanent, now=now)
            return outcome, None
        except DeliveryUnknown as lost:
            log.warning("notify: %s had no answer: %s", claimed.notification_id, lost.reason)
            reason = f"no answer ({lost.reason}): it may have been sent"
            return rules.unanswered(claimed, reason, now), None
        # The provider's message id beside the correlation id: how SNS's delivery log of this SMS
        # (or SES's events of this email) is found from the request that caused it.
        log.info("notify: %s sent as provider message %s", claimed.notification_id, provider_id)
        return rules.sent(claimed, now, provider_id), rendered

    def _after_save(self, outcome: Notification, written: bool) -> Notification:
        """The message as it stands once `outcome` was (or could not be) recorded."""
        if not written:
            # The claim is no longer ours (its lease ran out and someone else took over, or a
            # receipt settled it): what they recorded stands.
            return self._log.get(outcome.notification_id) or outcome
        if outcome.status == DeliveryStatus.UNKNOWN:
            self._counts.add("unanswered", f"{outcome.notification_id}:{outcome.attempts}")
        if outcome.status == DeliveryStatus.DEAD:
            log.warning("notify: %s is dead", outcome.notification_id)
        return replace(outcome, lease_until=None)

    def _record_lost_lease(self, notification: Notification) -> Notification:
        """A sender claimed it and stopped without recording an answer: its attempt may have
        been delivered, so it is recorded as one without an answer, never simply re-sent."""
        lost = rules.after_lost_lease(notification)
        if self._log.save_outcome(lost):
            self._counts.add("unanswered", f"{lost.notification_id}:{lost.attempts}")
            return replace(lost, lease_until=None)
        return self._log.get(notification.notification_id) or notification

    # -- facts -----------------------------------------------------------------------------

    def _unreachable(
        self, n: Notification, now: datetime, blocked: frozenset[str] | None = None
    ) -> str | None:
        key = _blocking_key(n)
        held = key in blocked if blocked is not None else bool(self._store.get_key(key))
        if held:
            return rules.SUPPRESSED if n.channel == "email" else rules.OPTED_OUT
        if n.channel == "email":
            return None
        if n.audience == "customer" and rules.waited(n, now) and not self._case_allows_sms(n):
            return rules.SMS_OFF
        return None

    def _blocked_keys(self, notifications: list[Notification]) -> frozenset[str]:
        """Which of the messages' opt-out and suppression keys exist, in one read."""
        keys = sorted({_blocking_key(n) for n in notifications})
        if not keys:
            return frozenset()
        return frozenset(k for k, value in self._store.get_keys(keys).items() if value)

    def _case_allows_sms(self, n: Notification) -> bool:
        """A customer SMS follows the case's preferences as they are when it goes. One-time
        codes have no case and name their phone."""
        if not is_ulid(n.case_id):
            return True
        case = self._store.get_case(n.case_id)
        return case is None or "sms" in case.contact.reachable_channels()

    # -- the call --------------------------------------------------------------------------

    def _render(self, n: Notification) -> Any:
        try:
            params = {k: v for k, v in n.params.items() if k != "_sealed"}
            sealed = n.params.get("_sealed")
            if sealed:  # a one-time code is opened only here, on its way out
                params["code"] = self._code_box.open(sealed["code"], sealed["context"]).decode()
            if n.channel == "sms":
                return self._renderer.sms(n.event, n.language, params)
            return self._renderer.email(n.event, n.language, params)
        except Exception as exc:  # a template bug must not block the rest of the batch
            log.exception("notify: cannot render %s", n.notification_id)
            raise RenderFailed(f"render failed: {exc.__class__.__name__}") from exc

    def _send(self, n: Notification, rendered: Any) -> str:
        if n.channel == "sms":
            return self._sms.send_sms(n.recipient, rendered)
        return self._email.send_email(
            n.recipient, rendered.subject, rendered.text, rendered.html, reference=n.notification_id
        )

    def _fall_back_to_email(self, sms: Notification) -> list[Notification]:
        fallback = self._recipients.fallback_email(sms)
        if fallback is None:
            return []
        return self.deliver_new([fallback])
