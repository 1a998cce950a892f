"""The customer's side of a case: reading it and answering it, for a caller whose access the
view already resolved (services/access.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from chalicelib.domain import lifecycle, limits
from chalicelib.domain import validation as v
from chalicelib.domain.case import Case, Visibility
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import CHANNELS, LANGUAGES
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.ids import fingerprint
from chalicelib.domain.intake import outside_countries_message, sms_allowed
from chalicelib.domain.lifecycle import Entry, Step
from chalicelib.services import cursors, presenters
from chalicelib.services.access import CaseAccess, CustomerSession
from chalicelib.services.changes import Changes
from chalicelib.services.idempotency import Once
from chalicelib.services.incident_records import IncidentRecords
from chalicelib.services.keys import sms_opt_out_key
from chalicelib.services.ports import DeskStore
from chalicelib.services.steps import StepWriter


class CustomerCases:
    def __init__(
        self,
        writer: StepWriter,
        store: DeskStore,
        clock: Clock,
        cursor_key: bytes,
        sms_countries: tuple[str, ...] = ("86",),
    ) -> None:
        self._sms_countries = sms_countries
        self._writer = writer
        self._store = store
        self._clock = clock
        self._cursor_key = cursor_key

    # -- reading ---------------------------------------------------------------------------

    def view(self, access: CaseAccess) -> dict[str, Any]:
        return self._present(access.case)

    def _present(self, case: Case) -> dict[str, Any]:
        timeline = self._store.timeline(case.case_id, include_internal=False)
        summary = self._incident_summaries([case]).get(case.case_id)
        now, calendar = self._clock.now(), self._writer.calendar
        return presenters.customer_case(case, timeline, now, calendar, summary)

    def _incident_summaries(self, cases: list[Case]) -> dict[str, str]:
        """What each linked case's customer is told of its incident, in their language (one
        read per incident, none for cases without one)."""
        records = IncidentRecords(self._store)
        linked = {c.incident_id for c in cases if c.incident_id is not None}
        incidents = {i: records.get(i) for i in linked}
        out = {}
        for case in cases:
            incident = incidents.get(case.incident_id) if case.incident_id else None
            if incident is not None:
                out[case.case_id] = incident.text_for(case.contact.language)
        return out

    def mine(self, session: CustomerSession, limit: int, cursor: str | None) -> dict[str, Any]:
        """GET /v1/me/cases: the session phone's cases, newest first."""
        phone = session.phone
        scope = f"me:{fingerprint('phone', phone)}"
        cases, last = self._store.cases_of_contact(
            phone, limit, cursors.decode(cursor, self._cursor_key, scope)
        )
        now, calendar = self._clock.now(), self._writer.calendar
        told = self._incident_summaries(cases)
        return {
            "items": [
                presenters.customer_summary(c, now, calendar, told.get(c.case_id)) for c in cases
            ],
            "next_cursor": cursors.encode(last, self._cursor_key, scope),
        }

    # -- answering -------------------------------------------------------------------------

    def _act(
        self,
        case_id: str,
        action: Callable[[Case, datetime], Step],
        idempotency: Once | None = None,
        respond: Callable[[Case, Changes], dict[str, Any]] | None = None,
    ) -> tuple[Case, dict[str, Any]]:
        """Commit `action` on a case the caller was already authorised for."""
        return self._writer.apply(case_id, action, idempotency=idempotency, respond=respond)

    def message(self, access: CaseAccess, body: Any, idem: str | None) -> dict[str, Any]:
        case_id = access.case_id
        text = _one_text(body, "text", required=True, max_len=limits.MESSAGE)
        calendar = self._writer.calendar
        idempotency = Once.of(f"customer-messages:{case_id}", idem, body)
        _, answer = self._act(
            case_id,
            lambda case, now: lifecycle.customer_message(case, text or "", now, calendar),
            idempotency,
            respond=_first_entry("customer_message"),
        )
        return answer

    def answer_proposal(
        self, access: CaseAccess, body: Any, accept: bool, idem: str | None = None
    ) -> dict[str, Any]:
        case_id = access.case_id
        reason = _one_text(body, "reason", required=False, max_len=limits.REASON)
        calendar = self._writer.calendar
        scope = f"proposal-{'accept' if accept else 'reject'}:{case_id}"
        case, _ = self._act(
            case_id,
            lambda c, now: lifecycle.answer_proposal(c, accept, reason, now, calendar),
            Once.of(scope, idem, body),
        )
        return self._present(case)

    def object(self, access: CaseAccess, body: Any, idem: str | None = None) -> dict[str, Any]:
        case_id = access.case_id
        reason = _one_text(body, "reason", required=True, max_len=limits.REASON)
        calendar = self._writer.calendar
        case, _ = self._act(
            case_id,
            lambda c, now: lifecycle.object_to(c, reason or "", now, calendar),
            Once.of(f"objection:{case_id}", idem, body),
        )
        return self._present(case)

    def withdraw(self, access: CaseAccess, body: Any, idem: str | None = None) -> dict[str, Any]:
        case_id = access.case_id
        reason = _one_text(body, "reason", required=False, max_len=limits.REASON)
        calendar = self._writer.calendar
        case, _ = self._act(
            case_id,
            lambda c, now: lifecycle.withdraw(c, reason, now, calendar),
            Once.of(f"withdraw:{case_id}", idem, body),
        )
        return self._present(case)

    def feedback(self, access: CaseAccess, body: Any, idem: str | None) -> dict[str, Any]:
        case_id = access.case_id
        problems = v.Problems()
        data = v.require_object(body, problems)
        v.reject_unknown(data, ("rating", "comment"), problems)
        low, high = limits.RATING
        rating = v.integer(data, "rating", problems, required=True, minimum=low, maximum=high)
        comment = v.text(data, "comment", problems, max_len=limits.COMMENT, multiline=True)
        if problems or rating is None:
            raise ValidationFailed(problems.fields)
        idempotency = Once.of(f"feedback:{case_id}", idem, body)
        _, answer = self._act(
            case_id,
            lambda c, now: lifecycle.rate(c, rating, comment, now),
            idempotency,
            respond=lambda c, _: {"case_id": c.case_id, "rating": rating, "comment": comment},
        )
        return answer

    def preferences(self, access: CaseAccess, body: Any, idem: str | None = None) -> dict[str, Any]:
        case_id = access.case_id
        problems = v.Problems()
        data = v.require_object(body, problems)
        v.reject_unknown(data, ("channels", "language", "sms_opt_out"), problems)
        language = v.choice(data, "language", LANGUAGES, problems)
        opt_out = v.boolean(data, "sms_opt_out", problems)
        channels = data.get("channels")
        if channels is not None and (
            not isinstance(channels, list)
            or not channels
            or any(c not in CHANNELS for c in channels)
        ):
            problems.add("channels", "must be a non-empty list of: sms, email")
        problems.raise_if_any()

        def act(case: Case, now: datetime) -> Step:
            changes: dict[str, Any] = {}
            if language:
                changes["language"] = language
            if opt_out is not None:
                changes["sms_opt_out"] = opt_out
            if channels is not None:
                wanted = tuple(c for c in CHANNELS if c in channels)
                reachable = {"sms": case.contact.phone, "email": case.contact.email}
                missing = [c for c in wanted if not reachable[c]]
                if missing:
                    raise ValidationFailed({"channels": f"no {missing[0]} contact on this case"})
                if "sms" in wanted and not sms_allowed(case.contact.phone, self._sms_countries):
                    raise ValidationFailed(
                        {"channels": outside_countries_message(self._sms_countries)}
                    )
                changes["channels"] = wanted
            contact = case.contact.with_preferences(**changes)
            entry = Entry(
                "preferences_changed",
                Visibility.INTERNAL,
                "customer",
                None,
                {"preferences": contact.masked()},
            )
            return Step(case.evolve(contact=contact), (entry,))

        case, _ = self._act(case_id, act, Once.of(f"preferences:{case_id}", idem, body))
        if opt_out is False and case.contact.phone:
            self._opt_in_phone(case.contact.phone)
        return case.contact.masked()

    def _opt_in_phone(self, phone: str) -> None:
        """A customer who asks for SMS through their case's own authenticated call undoes their
        TD reply for the phone, which would otherwise keep every SMS from going."""
        key = sms_opt_out_key(phone)
        if self._store.get_key(key) is not None:
            self._store.commit(Changes(now=self._clock.now(), releases=[key]))


def _one_text(body: Any, key: str, *, required: bool, max_len: int) -> str | None:
    problems = v.Problems()
    data: Mapping[str, Any] = (
        v.require_object(body, problems) if body is not None or required else {}
    )
    v.reject_unknown(data, (key,), problems)
    text = v.text(data, key, problems, required=required, max_len=max_len, multiline=True)
    problems.raise_if_any()
    return text


def _first_entry(entry_type: str) -> Callable[[Case, Changes], dict[str, Any]]:
    def respond(case: Case, changes: Changes) -> dict[str, Any]:
        entry = next(e for e in changes.timeline if e.type == entry_type)
        return presenters.timeline_entry(entry, case.contact.language, internal=False)

    return respond
