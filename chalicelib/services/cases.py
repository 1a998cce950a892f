"""Reading a case as its customer: GET /v1/cases/{case_id}."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Case
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import NotFound
from chalicelib.domain.ids import is_ulid, tokens_match
from chalicelib.domain.sla import sla_state
from chalicelib.services import presenters
from chalicelib.services.ports import CaseStore


class CaseQueries:
    def __init__(self, store: CaseStore, clock: Clock, calendar: WorkingCalendar) -> None:
        self._store = store
        self._clock = clock
        self._calendar = calendar

    def for_customer(self, case_id: str, access_token: str) -> dict[str, Any]:
        """The customer's view. Any token but this case's own gives NotFound, so case ids
        cannot be probed."""
        case = self._authorized(case_id, access_token)
        timeline = self._store.timeline(case.case_id, include_internal=False)
        state = sla_state(case, self._clock.now(), self._calendar)
        return presenters.customer_case(case, timeline, state.value)

    def _authorized(self, case_id: str, access_token: str) -> Case:
        if not is_ulid(case_id):
            raise NotFound()
        case = self._store.get_case(case_id)
        if case is None or not tokens_match(access_token, case.access_token_hash):
            raise NotFound()
        return case
