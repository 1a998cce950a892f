"""Filing a complaint: POST /v1/complaints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import observability
from chalicelib.domain.audience import contact_is_merchant
from chalicelib.domain.case import Case, Status, Visibility
from chalicelib.domain.clock import Clock
from chalicelib.domain.clocks import ClockRun
from chalicelib.domain.complaint import ComplaintRequest, parse_complaint
from chalicelib.domain.delivery import intake_sms_limit
from chalicelib.domain.errors import DuplicateOpenCase, RateLimited, Unavailable
from chalicelib.domain.faq import faq_for
from chalicelib.domain.ids import derive_token, hash_token, new_case_number, new_ulid
from chalicelib.domain.intake import SMS_LIMIT, IntakeLimits
from chalicelib.domain.policy import Category, compute_deadlines
from chalicelib.domain.schedule import ScheduleCommand
from chalicelib.domain.sla import rearm, with_urgency
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services import events, keys, presenters
from chalicelib.services.changes import Changes, KeyClaim
from chalicelib.services.config import DeskConfig
from chalicelib.services.idempotency import Once, extra_claims
from chalicelib.services.incident_records import OpenDirectory, OpenIncident
from chalicelib.services.intake import IntakeGate, gate_for
from chalicelib.services.ports import DeskStore, KeyTaken, LimitReached
from chalicelib.services.search import SearchKeys, search_key
from chalicelib.services.steps import metrics_event

_CASE_NUMBER_ATTEMPTS = 3
_INCIDENT_RELOADS = 2
# How long a request that lost a race on its open-case keys looks for the winner's stored answer
# under the same Idempotency-Key before it answers 409 (see `file`): up to 1.55 s, paid only by a
# request with a key whose duplicate is real.
_RACE_PAUSES = (0.05, 0.1, 0.2, 0.4, 0.8)
_DONE, _SUPPRESS, _REDRAW, _RELOAD = "done", "suppress", "redraw", "reload"
# A service built without a directory of incidents: none is open, and nothing can change that.
_NO_INCIDENTS = OpenDirectory(0, [])
INTERNAL = Visibility.INTERNAL
CASE_TOKEN_PREFIX = "ct"  # noqa: S105 - a prefix, not a secret


def case_access_token(token_key: bytes, case_id: str) -> str:
    return derive_token(token_key, CASE_TOKEN_PREFIX, case_id)


@dataclass(frozen=True)
class Filed:
    body: dict[str, Any]
    replayed: bool


class ComplaintService:
    def __init__(
        self,
        store: DeskStore,
        clock: Clock,
        config: DeskConfig,
        token_key: bytes,
        numbers: Callable[[datetime], str] = new_case_number,
        incidents: Callable[[], OpenDirectory] | None = None,
        limits: IntakeLimits | None = None,
        pause: Callable[[float], None] = lambda _: None,
    ) -> None:
        self._pause = pause
        self._numbers = numbers
        self._limits = limits or IntakeLimits()
        # The open incidents as last read, kept while the container is warm: each filing's
        # transaction checks that the directory is still at that version, and reads it again
        # only when it changed (services/incident_records.py).
        self._read_incidents = incidents
        self._incidents: OpenDirectory | None = None
        self._store = store
        self._clock = clock
        self._config = config
        self._token_key = token_key
        self._lookups = SearchKeys(search_key(token_key))

    def file(
        self, body: Any, idempotency_key: str | None = None, proven_phone: str | None = None
    ) -> Filed:
        """Open a case. A repeat with the same Idempotency-Key and body returns the first answer
        and changes nothing (and counts toward no limit); the same key with another body raises
        IdempotencyKeyReused. `proven_phone` is the phone of the caller's SMS session: a
        complaint naming it is not limited per phone (domain/intake.py); any other is, and one
        past the limit raises RateLimited."""
        once = Once.of("complaints", idempotency_key, body)
        now = self._clock.now()
        request = parse_complaint(body, now, self._limits.sms_countries)
        # A repeat is not looked for before the transaction: its key's claim, the
        # transaction's first item, fails and brings the stored answer back (one request for a
        # new complaint, not two). A repeat counts toward no limit: the transaction that fails
        # on the claim writes none of its counters.
        gate = gate_for(request.contact, self._limits, now, proven_phone)
        try:
            case, response = self.open_case(request, now, once, gate=gate)
        except KeyTaken as taken:
            if once is None or taken.key != once.key:
                raise
            return self._replay(once, taken.value)  # an identical request won the race
        except DuplicateOpenCase:
            # An identical request that won the race holds the open-case keys too. When the
            # transaction reported those and not the key itself (DynamoDB Local checks a
            # transaction's items one by one, not in isolation), the winner's answer is stored.
            # The winner's commit may still be landing: its answer is looked for a few times.
            if once is not None:
                for pause in (0.0, *_RACE_PAUSES):
                    self._pause(pause)
                    if (stored := once.stored(self._store, now)) is not None:
                        return self._replay(once, stored)
            raise
        return Filed({**response, "access_token": self._token(case.case_id)}, False)

    def open_case(
        self,
        request: ComplaintRequest,
        now: datetime,
        once: Once | None = None,
        extra: Callable[[Case, Changes], None] | None = None,
        gate: IntakeGate | None = None,
    ) -> tuple[Case, dict[str, Any]]:
        """Write a new case in one transaction (with whatever `extra` adds to it, the claim of
        `once` holding the answer, and the counters of `gate`). Raises DuplicateOpenCase,
        KeyTaken for a held key of `once`, or RateLimited when the gate's complaints are full.
        When only its SMS counter is full, the case is written again without it, its
        acknowledgement SMS suppressed."""
        suppressed = SMS_LIMIT if gate is not None and gate.sms_off else None
        # Each attempt draws a case number; one is spent when the number was taken, or when
        # an incident opened or closed since the open incidents were read.
        for _ in range(_CASE_NUMBER_ATTEMPTS + _INCIDENT_RELOADS):
            directory = self._open_incidents()
            case, command = self._new_case(request, now)
            incident = next((i for i in directory.incidents if i.match.covers(case)), None)
            if incident is not None:
                case = case.evolve(incident_id=incident.incident_id, incident_title=incident.title)
            response = self._response(case)
            while True:
                skipped = gate.suppression(suppressed, request.contact.email) if gate else None
                changes = self._changes(case, command, now, incident, skipped)
                if extra is not None:
                    extra(case, changes)
                # First, so a repeat of this request is told apart from a duplicate complaint.
                changes.claims[:0] = extra_claims(once, response, now)
                if gate is not None:
                    changes.counters += gate.counters(with_sms=suppressed is None)
                changes.absent += self._unchanged(directory)
                outcome = self._commit(changes, once, gate, suppressed is None, now)
                if outcome != _SUPPRESS:
                    break
                suppressed = SMS_LIMIT  # filed all the same, acknowledged by email only
            if outcome in (_REDRAW, _RELOAD):
                continue
            observability.count("ComplaintsFiled", category=case.category.value)
            if suppressed is not None:
                observability.count("SmsSuppressed", reason=suppressed)
            return case, response
        raise Unavailable("Could not allocate a case number; try again.")

    def _commit(
        self,
        changes: Changes,
        once: Once | None,
        gate: IntakeGate | None,
        counts_sms: bool,
        now: datetime,
    ) -> str:
        """Commit a new case's changes: _DONE, _SUPPRESS (only its SMS counter was full: write
        it again without its SMS), _REDRAW (its case number was taken) or _RELOAD (the open
        incidents changed since they were read)."""
        try:
            self._store.commit(changes)
        except LimitReached as full:
            if gate is None:
                raise
            if counts_sms and gate.is_sms(full.key):
                return _SUPPRESS
            raise RateLimited(
                f"{gate.limits.complaints_per_phone} complaints already name this phone "
                "in this period; try again after Retry-After seconds, or sign in with a "
                "one-time code (POST /v1/otp) to file without this limit.",
                retry_after=gate.window.retry_after(now),
            ) from None
        except KeyTaken as taken:
            if once is not None and taken.key in {c.key for c in once.claims({}, now)}:
                raise
            if self._incidents is not None and taken.key == self._incidents.unchanged:
                self._incidents = None  # an incident opened or closed since it was read
                return _RELOAD
            if taken.key.startswith("open-case#"):
                held = taken.value
                raise DuplicateOpenCase(
                    str(held.get("case_number", "")), held.get("case_id")
                ) from None
            if taken.key.startswith("case-number#"):
                return _REDRAW  # two cases drew the same number on the same day; draw again
            raise
        return _DONE

    def _open_incidents(self) -> OpenDirectory:
        if self._read_incidents is None:
            return _NO_INCIDENTS
        if self._incidents is None:
            self._incidents = self._read_incidents()
        return self._incidents

    def _unchanged(self, directory: OpenDirectory) -> list[str]:
        """The key the filing's transaction checks is absent: the open incidents it was matched
        against are still the current ones."""
        return [] if self._read_incidents is None else [directory.unchanged]

    def _new_case(
        self, request: ComplaintRequest, now: datetime
    ) -> tuple[Case, ScheduleCommand | None]:
        policy = self._config.policy(request.category)
        calendar = self._config.calendar()
        case_id = new_ulid(now)
        case = Case(
            case_id=case_id,
            case_number=self._numbers(now),
            category=request.category,
            status=Status.SUBMITTED,
            description=request.description,
            channel=request.channel,
            contact=request.contact,
            payment=request.payment,
            created_at=now,
            updated_at=now,
            deadlines=compute_deadlines(policy, now, calendar),
            policy_version=policy.version,
            access_token_hash=hash_token(self._token(case_id)),
            last_public_update_at=now,
        )
        case = case.evolve(
            policy=policy,
            resolution_run=ClockRun.until(now, case.deadlines.resolution_due, calendar),
        )
        return rearm(with_urgency(case, calendar), now, calendar)

    def _changes(
        self,
        case: Case,
        command: ScheduleCommand | None,
        now: datetime,
        incident: OpenIncident | None = None,
        suppressed: dict[str, Any] | None = None,
    ) -> Changes:
        ref = {"case_id": case.case_id, "case_number": case.case_number}
        transaction_id = case.payment.transaction_id if case.payment else None
        claims = [KeyClaim(k, ref) for k in keys.open_case_keys(case.contact, transaction_id)]
        claims.append(KeyClaim(keys.case_number_key(case.case_number), ref))

        params = {
            "case_number": case.case_number,
            "category": case.category.value,
            "expected_by": to_rfc3339(case.deadlines.resolution_due),
            "first_response_by": to_rfc3339(case.deadlines.first_response_due),
            "provisional": case.deadlines.provisional,
        }
        if incident is not None:  # the customer hears at once that the cause is known
            language = case.contact.language
            params["incident_summary"] = incident.summary.get(language) or incident.summary["zh-CN"]
        # A merchant-settlement case's contact is the merchant, whose query's answer names the
        # case: it gets no complaint acknowledgement.
        if suppressed:  # the acknowledgement's SMS is not sent, and its log says why
            limit, hours = suppressed["limit"], suppressed["window_hours"]
            params["sms_suppressed"] = intake_sms_limit(limit, hours)
        outbox = (
            [] if contact_is_merchant(case) else [events.notify(case, "case_received", now, params)]
        )
        if case.merchant_id and case.category is not Category.MERCHANT_SETTLEMENT:
            named = {
                "case_number": case.case_number,
                "category": case.category.value,
                "respond_by": None,
                "merchant_id": case.merchant_id,
            }
            outbox.append(
                events.notify(case, "merchant_case_opened", now, named, audience="merchant")
            )
        if command is not None:
            outbox.append(events.schedule(case, command, now))
        outbox += metrics_event(None, case, now, self._config.calendar())
        submitted = events.entry(
            case,
            "submitted",
            now,
            actor="customer",
            data={
                "case_number": case.case_number,
                "channel": case.channel,
                "expected": to_rfc3339(case.deadlines.resolution_due),
            },
        )
        timeline = [submitted]
        if incident is not None:
            data = {"incident_id": incident.incident_id, "title": incident.title}
            linked = events.entry(case, "incident_linked", now, visibility=INTERNAL, data=data)
            timeline.append(linked)
        if suppressed:
            skipped = "acknowledgement_sms_suppressed"
            timeline.append(events.entry(case, skipped, now, visibility=INTERNAL, data=suppressed))
        return Changes(
            now=now,
            new_cases=[case],
            timeline=timeline,
            events=outbox,
            claims=claims,
            lookups=self._lookups.of(case),
        )

    def _response(self, case: Case) -> dict[str, Any]:
        return {
            "case_id": case.case_id,
            "case_number": case.case_number,
            "status": case.status.value,
            "category": case.category.value,
            "created_at": to_rfc3339(case.created_at),
            "deadlines": presenters.deadlines(case.deadlines),
            "faq": faq_for(case.category, case.contact.language),
        }

    def _replay(self, once: Once, stored: dict[str, Any]) -> Filed:
        response = once.answer(stored)
        return Filed({**response, "access_token": self._token(str(response["case_id"]))}, True)

    def _token(self, case_id: str) -> str:
        return case_access_token(self._token_key, case_id)
