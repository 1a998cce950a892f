"""The staff desk: the queue, a case's full record, and every staff action on a case."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.domain import lifecycle, limits
from chalicelib.domain import validation as v
from chalicelib.domain.case import Case, Status
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import Forbidden, ValidationFailed
from chalicelib.domain.lifecycle import Step
from chalicelib.domain.policy import Category
from chalicelib.domain.proposal import parse_proposal
from chalicelib.domain.timefmt import SHANGHAI
from chalicelib.services import cursors, presenters
from chalicelib.services.audit import AuditTrail
from chalicelib.services.changes import CaseQuery, Changes
from chalicelib.services.entities import StaffMember
from chalicelib.services.idempotency import Once
from chalicelib.services.ports import DeskStore, StaffDirectory
from chalicelib.services.staff import require_role
from chalicelib.services.steps import StepWriter

SLA_FILTERS = ("at_risk", "breached")
_ENTRY_KINDS = {"notes": "note", "messages": "message", "calls": "call"}


def _version(data: Mapping[str, Any], problems: v.Problems, required: bool) -> int | None:
    return v.integer(data, "expected_version", problems, required=required, minimum=1)


def _is_reviewer(member: StaffMember) -> bool:
    return member.role in ("reviewer", "admin")


class Desk:
    def __init__(
        self,
        writer: StepWriter,
        store: DeskStore,
        directory: StaffDirectory,
        clock: Clock,
        cursor_key: bytes,
        audit: AuditTrail | None = None,
    ) -> None:
        self._writer = writer
        self._store = store
        self._directory = directory
        self._clock = clock
        self._cursor_key = cursor_key
        self._audit = audit

    # -- reading -------------------------------------------------------------------------------

    def view(self, case_id: str, reader: StaffMember | None = None) -> dict[str, Any]:
        """The full case. A staff `reader`'s read is recorded in the audit trail before the
        answer is given (a read that cannot be recorded answers 503)."""
        case = self._writer.load(case_id)
        answer = self._present(case)
        if reader is not None and self._audit is not None:
            self._audit.write(reader.staff_id, "case_read", case_id=case.case_id)
        return answer

    def summaries(self, cases: list[Case]) -> list[dict[str, Any]]:
        """Queue items, each saying whether its assignee is still active (a deactivated
        member's open cases wait for reassignment)."""
        now, calendar = self._clock.now(), self._writer.calendar
        assignees = sorted({c.assignee for c in cases if c.assignee})
        members = self._directory.members(assignees) if assignees else {}

        def item(case: Case) -> dict[str, Any]:
            out = presenters.queue_item(case, now, calendar)
            member = members.get(case.assignee) if case.assignee else None
            out["assignee_active"] = None if not case.assignee else bool(member and member.active)
            return out

        return [item(c) for c in cases]

    def _present(self, case: Case) -> dict[str, Any]:
        timeline = self._store.timeline(case.case_id, include_internal=True)
        return presenters.staff_case(case, timeline, self._clock.now(), self._writer.calendar)

    def queue(self, params: Mapping[str, str | None]) -> dict[str, Any]:
        """A page of cases, most urgent deadline first, read through an index."""
        problems = v.Problems()
        status = v.choice(params, "status", [s.value for s in Status], problems)
        category = v.choice(params, "category", [c.value for c in Category], problems)
        sla = v.choice(params, "sla", SLA_FILTERS, problems)
        assignee = v.text(params, "assignee", problems, max_len=limits.STAFF_ID)
        merchant = v.text(params, "merchant_id", problems, max_len=limits.REFERENCE)
        limit = cursors.page_limit(params.get("limit"))
        problems.raise_if_any()
        scope = "cases:" + ",".join(str(x) for x in (status, category, sla, assignee, merchant))
        query = CaseQuery(
            status=status,
            category=category,
            assignee=assignee,
            merchant_id=merchant,
            sla=sla,
            now=self._clock.now(),
            limit=limit,
            start=cursors.decode(params.get("cursor"), self._cursor_key, scope),
        )
        cases, last = self._store.list_cases(query)
        return {
            "items": self.summaries(cases),
            "next_cursor": cursors.encode(last, self._cursor_key, scope),
        }

    # -- acting --------------------------------------------------------------------------------

    def transition(
        self, case_id: str, body: Any, member: StaffMember, idem: str | None = None
    ) -> dict[str, Any]:
        problems = v.Problems()
        data = v.require_object(body, problems)
        v.reject_unknown(data, ("to", "expected_version", "note"), problems)
        to = v.choice(data, "to", [s.value for s in Status], problems, required=True)
        version = _version(data, problems, required=True)
        note = v.text(data, "note", problems, max_len=limits.NOTE, multiline=True)
        if problems or to is None:
            raise ValidationFailed(problems.fields)
        target = Status(to)

        def act(case: Case, now: datetime) -> Step:
            self._check_may_decide(case, member, deciding=case.status is Status.SECOND_REVIEW)
            return lifecycle.staff_move(case, target, member.staff_id, now, self._calendar, note)

        once = Once.of(f"transitions:{member.staff_id}:{case_id}", idem, body)
        case, _ = self._writer.apply(case_id, act, version, once)
        return self._present(case)

    def assign(
        self, case_id: str, body: Any, member: StaffMember, idem: str | None = None
    ) -> dict[str, Any]:
        problems = v.Problems()
        data = v.require_object(body, problems)
        v.reject_unknown(data, ("assignee", "expected_version"), problems)
        assignee_id = v.text(data, "assignee", problems, required=True, max_len=limits.STAFF_ID)
        version = _version(data, problems, required=False)
        if problems or assignee_id is None:
            raise ValidationFailed(problems.fields)
        assignee = self._directory.get(assignee_id)
        if assignee is None:
            raise ValidationFailed({"assignee": "is not a staff member"})
        if not assignee.active:
            raise ValidationFailed({"assignee": "is deactivated"})

        def act(case: Case, now: datetime) -> Step:
            self._check_may_assign(case, member, assignee)
            return lifecycle.assign(case, assignee.staff_id, member.staff_id, now, assignee.name)

        once = Once.of(f"assignments:{member.staff_id}:{case_id}", idem, body)
        case, _ = self._writer.apply(case_id, act, version, once)
        return self._present(case)

    def add_entry(
        self,
        case_id: str,
        kind: str,
        body: Any,
        member: StaffMember,
        idempotency_header: str | None,
    ) -> dict[str, Any]:
        """A note (internal), a message to the customer (notified), or a logged call or chat
        (public, so the customer never has to keep their own record)."""
        entry_type = _ENTRY_KINDS[kind]
        problems = v.Problems()
        data = v.require_object(body, problems)
        if entry_type == "call":
            v.reject_unknown(data, ("summary", "outcome", "channel", "expected_version"), problems)
            text = v.text(
                data, "summary", problems, required=True, max_len=limits.MESSAGE, multiline=True
            )
            outcome = v.text(
                data,
                "outcome",
                problems,
                required=True,
                max_len=limits.CALL_OUTCOME,
                multiline=True,
            )
            channel = v.choice(data, "channel", ("phone", "chat"), problems, default="phone")
            extra = {"outcome": outcome, "channel": channel}
            entry_type = "chat_logged" if channel == "chat" else "call_logged"
        else:
            v.reject_unknown(data, ("text", "expected_version"), problems)
            text = v.text(
                data, "text", problems, required=True, max_len=limits.MESSAGE, multiline=True
            )
            extra = {}
        version = _version(data, problems, required=False)
        if problems or text is None:
            raise ValidationFailed(problems.fields)

        def act(case: Case, now: datetime) -> Step:
            return lifecycle.staff_entry(case, entry_type, member.staff_id, now, text, extra)

        idem = Once.of(f"{kind}:{member.staff_id}:{case_id}", idempotency_header, body)
        _, answer = self._writer.apply(case_id, act, version, idem, respond=_new_entry)
        return answer

    def propose(
        self, case_id: str, body: Any, member: StaffMember, idempotency_header: str | None
    ) -> dict[str, Any]:
        version = None
        if isinstance(body, dict) and "expected_version" in body:
            problems = v.Problems()
            version = _version(body, problems, required=True)
            problems.raise_if_any()
            body = {k: val for k, val in body.items() if k != "expected_version"}

        def act(case: Case, now: datetime) -> Step:
            self._check_may_decide(case, member, deciding=case.round == 2)
            today = now.astimezone(SHANGHAI).date()
            paid = case.payment.amount_fen if case.payment else None
            terms = parse_proposal(body, self._calendar, today, paid)
            return lifecycle.propose(case, terms, member.staff_id, now, self._calendar)

        idem = Once.of(f"proposals:{member.staff_id}:{case_id}", idempotency_header, body)
        _, answer = self._writer.apply(case_id, act, version, idem, respond=self._respond)
        return answer

    def extend(
        self, case_id: str, body: Any, member: StaffMember, idempotency_header: str | None = None
    ) -> dict[str, Any]:
        """A supervisor extends the outer limit (to 30 calendar days in all), with a reason the
        customer is told."""
        require_role(member, "supervisor")
        problems = v.Problems()
        data = v.require_object(body, problems)
        v.reject_unknown(data, ("days", "reason", "expected_version"), problems)
        low, high = limits.EXTENSION_DAYS
        days = v.integer(data, "days", problems, required=True, minimum=low, maximum=high)
        reason = v.text(
            data, "reason", problems, required=True, max_len=limits.EXTENSION_REASON, multiline=True
        )
        version = _version(data, problems, required=False)
        if problems or days is None or reason is None:
            raise ValidationFailed(problems.fields)

        def act(case: Case, now: datetime) -> Step:
            return lifecycle.extend(case, days, reason, member.staff_id, now, self._calendar)

        idem = Once.of(f"extensions:{member.staff_id}:{case_id}", idempotency_header, body)
        _, answer = self._writer.apply(case_id, act, version, idem, respond=self._respond)
        return answer

    def _respond(self, case: Case, changes: Changes) -> dict[str, Any]:
        return presenters.staff_case(
            case, [], self._clock.now(), self._calendar, include_timeline=False
        )

    # -- rules ---------------------------------------------------------------------------------

    @property
    def _calendar(self) -> Any:
        return self._writer.calendar

    @staticmethod
    def _check_may_decide(case: Case, member: StaffMember, deciding: bool) -> None:
        """Round 1 is worked by agents and up; the second review is decided by a reviewer who
        did not handle round 1."""
        if deciding:
            if not _is_reviewer(member):
                raise Forbidden("Second reviews are decided by reviewers.")
            lifecycle.check_recusal(case, member.staff_id)
        else:
            require_role(member, "agent")

    @staticmethod
    def _check_may_assign(case: Case, member: StaffMember, assignee: StaffMember) -> None:
        if case.round == 2:
            if not _is_reviewer(assignee):
                raise ValidationFailed({"assignee": "a second review goes to a reviewer"})
            if member.staff_id != assignee.staff_id:
                require_role(member, "supervisor")
            return
        if assignee.role == "reviewer":
            raise ValidationFailed({"assignee": "reviewers take second reviews only"})
        if member.staff_id != assignee.staff_id:
            require_role(member, "supervisor")  # agents may only take cases themselves
        elif member.role == "reviewer":
            raise Forbidden("Reviewers take second reviews only.")


def _new_entry(case: Case, changes: Changes) -> dict[str, Any]:
    """The new entry, with the case's new version: the note or call changed the case, and the
    caller's next write must not fail on its own change."""
    entry = changes.timeline[-1]
    answer = presenters.timeline_entry(entry, case.contact.language, internal=True)
    return {**answer, "case_id": case.case_id, "version": case.version}
