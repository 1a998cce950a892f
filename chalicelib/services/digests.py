"""The "a complaint names you" email to merchants, collapsed into one digest an hour when a
flood of complaints names one merchant: the first `after` complaints of a clock hour (5 by
default) are emailed one by one; every later one of that hour goes into one digest, sent once
the hour is over, that says how many complaints named the merchant in which hour and lists the
case numbers it had not been told of. A flood is then six emails, not hundreds.

Each complaint's route is decided once, by conditional writes: a claim per case (which a
redelivered event finds, and follows) with the hour's counter of emails sent on their own (at
most `after`); past it, the case number is appended to the hour's digest list, and the first
complaint to get there also writes the digest's outbox event (the claim of its event key makes
it the only one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.clock import Clock
from chalicelib.domain.intake import hour_of
from chalicelib.domain.outbox import EventKind, NotifyPayload, OutboxEvent, Subject
from chalicelib.domain.timefmt import parse_rfc3339, to_rfc3339
from chalicelib.services import keys
from chalicelib.services.changes import Changes, KeyAppend, KeyClaim, KeyCount
from chalicelib.services.ports import DeskStore, KeyTaken, LimitReached

NAMED = "merchant_case_opened"
DIGEST = "merchant_digest"
ALONE, IN_DIGEST = "alone", "digest"
# The digest goes this long after its hour, so complaints filed in the hour's last seconds
# are in it.
SETTLE = timedelta(minutes=5)
KEEP = timedelta(days=2)  # decisions outlive any redelivery of their event
LISTED = 500  # case numbers the digest lists; beyond, it says how many more

Dispatch = Callable[[OutboxEvent], bool]


def _label(hour: datetime) -> str:
    return hour.strftime("%Y%m%d%H")


class MerchantDigests:
    def __init__(self, store: DeskStore, dispatch: Dispatch, clock: Clock, after: int) -> None:
        self._store = store
        self._dispatch = dispatch
        self._clock = clock
        self._after = after

    def handle(self, event: OutboxEvent) -> bool | datetime:
        """The NOTIFY consumer: merchant notices and digests here, everything else sent as is."""
        if event.name == NAMED and event.subject.is_case:
            return self.named(event)
        if event.name == DIGEST:
            return self.send(event)
        return self._dispatch(event)

    def named(self, event: OutboxEvent) -> bool:
        """A complaint names a merchant: email it now, or leave it to the hour's digest."""
        params = event.payload_as(NotifyPayload).params
        merchant_id = params.get("merchant_id")
        if not merchant_id:
            return self._dispatch(event)
        if self._route(event, str(merchant_id), str(params.get("case_number", ""))) == ALONE:
            return self._dispatch(event)
        return True

    def _route(self, event: OutboxEvent, merchant_id: str, case_number: str) -> str:
        hour = hour_of(event.created_at)
        now = self._clock.now()
        expires = hour + KEEP
        decided = keys.merchant_named_case_key(event.subject.key)
        held = self._store.get_key(decided)
        if held is not None:
            return str(held.get("route", ALONE))
        named = keys.merchant_named_key(merchant_id, _label(hour))
        try:
            self._store.commit(
                Changes(
                    now=now,
                    claims=[KeyClaim(decided, {"route": ALONE}, expires)],
                    counters=[KeyCount(named, self._after, hour + timedelta(hours=3))],
                )
            )
            return ALONE
        except KeyTaken as taken:
            return str(taken.value.get("route", ALONE))
        except LimitReached:
            pass
        return self._join(event, merchant_id, case_number, hour, decided)

    def _join(
        self, event: OutboxEvent, merchant_id: str, case_number: str, hour: datetime, key: str
    ) -> str:
        """Put the case into the hour's digest (writing the digest's event if it is the first);
        alone after all if that digest already went."""
        now = self._clock.now()
        expires = hour + KEEP
        entry = {"case_id": event.subject.key, "case_number": case_number}
        listed = KeyAppend(keys.merchant_digest_key(merchant_id, _label(hour)), entry, expires)
        guard = keys.merchant_digest_event_key(merchant_id, _label(hour))
        first = Changes(
            now=now,
            claims=[KeyClaim(key, {"route": IN_DIGEST}, expires), KeyClaim(guard, {}, expires)],
            appends=[listed],
            events=[self._digest_event(merchant_id, hour, now)],
        )
        try:
            self._store.commit(first)
            return IN_DIGEST
        except KeyTaken as taken:
            if taken.key == key:
                return str(taken.value.get("route", ALONE))
            if taken.value.get("sent"):
                return self._alone_after_all(key, now, expires)
        joined = Changes(
            now=now, claims=[KeyClaim(key, {"route": IN_DIGEST}, expires)], appends=[listed]
        )
        try:
            self._store.commit(joined)
        except KeyTaken as taken:
            return str(taken.value.get("route", ALONE))
        return IN_DIGEST

    def _alone_after_all(self, key: str, now: datetime, expires: datetime) -> str:
        try:
            self._store.commit(Changes(now=now, claims=[KeyClaim(key, {"route": ALONE}, expires)]))
        except KeyTaken as taken:
            return str(taken.value.get("route", ALONE))
        return ALONE

    def _digest_event(self, merchant_id: str, hour: datetime, now: datetime) -> OutboxEvent:
        label = _label(hour)
        params = {
            "merchant_id": merchant_id,
            "hour_start": to_rfc3339(hour),
            "individually": self._after,
        }
        return OutboxEvent(
            subject=Subject.merchant(merchant_id),
            event_id=f"{label}:notify:{DIGEST}",
            kind=EventKind.NOTIFY,
            name=DIGEST,
            payload=NotifyPayload(
                "merchant", f"{DIGEST}@{label}", params, {"merchant_id": merchant_id}
            ),
            created_at=now,
        )

    def send(self, event: OutboxEvent) -> bool | datetime:
        """Once its hour is over: mark the digest sent (a complaint of the hour coming later
        goes alone), read whom it holds, and send it."""
        payload = event.payload_as(NotifyPayload)
        hour = parse_rfc3339(str(payload.params["hour_start"]))
        due = hour + timedelta(hours=1) + SETTLE
        now = self._clock.now()
        if now < due:
            return due
        merchant_id = str(payload.params["merchant_id"])
        guard = keys.merchant_digest_event_key(merchant_id, _label(hour))
        sent = KeyClaim(guard, {"sent": True}, hour + KEEP)
        self._store.commit(Changes(now=now, key_puts=[sent]))
        held = self._store.get_key(keys.merchant_digest_key(merchant_id, _label(hour))) or {}
        numbers = _case_numbers(held.get("entries") or [])
        params: dict[str, Any] = {
            **payload.params,
            "count": int(payload.params["individually"]) + len(numbers),
            "case_numbers": numbers[:LISTED],
            "more": max(len(numbers) - LISTED, 0),
        }
        return self._dispatch(replace(event, payload=replace(payload, params=params)))


def _case_numbers(entries: list[dict[str, Any]]) -> list[str]:
    """Each case once (an append repeated by a retried change counts once), in order."""
    seen: dict[str, str] = {}
    for entry in entries:
        seen.setdefault(str(entry.get("case_id")), str(entry.get("case_number")))
    return sorted(seen.values())
