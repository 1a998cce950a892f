"""The search index's backfill: existing cases become searchable, running it again changes
nothing, and a run that stopped midway resumes where it stopped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.contact import Contact
from chalicelib.domain.errors import Unavailable
from chalicelib.services.changes import Changes
from chalicelib.services.entities import StaffMember
from chalicelib.services.search import SearchKeys, search_key
from chalicelib.services.search_backfill import PAGE, SearchBackfill
from tests.builders import make_case
from tests.fakes import FakeSearchIndex, FakeStore
from tests.services.conftest import Desk

AGENT = StaffMember("stf_agent", "李雷", "agent")


def _old_cases(desk: Desk, count: int) -> list[str]:
    """Cases written as before the index existed: without lookups."""
    ids = []
    for n in range(count):
        case = make_case(
            desk.clock.now() + timedelta(minutes=n),
            contact=Contact(phone="+8613812345678", email=f"user{n}@example.com"),
        )
        desk.store.commit(Changes(now=desk.clock.now(), new_cases=[case]))
        ids.append(case.case_id)
    return ids


def _backfill(desk: Desk, store: object | None = None) -> SearchBackfill:
    keys = SearchKeys(search_key(desk.container.settings.token_key))
    index = FakeSearchIndex(desk.store)
    return SearchBackfill(store or desk.store, desk.store, index, keys, desk.clock)


def _by_phone(desk: Desk) -> list[str]:
    answer = desk.container.search.search(AGENT, {"q": "138 1234 5678", "limit": "200"})
    return [i["case_id"] for i in answer["items"]]


def test_backfill_makes_existing_cases_searchable(desk: Desk) -> None:
    ids = _old_cases(desk, PAGE + 5)
    assert _by_phone(desk) == []
    report = _backfill(desk).run()
    assert (report.cases, report.done, report.resumed) == (PAGE + 5, True, False)
    assert report.lookups == 2 * (PAGE + 5)  # a phone and an email each
    assert _by_phone(desk) == sorted(ids, reverse=True)
    one = desk.container.search.search(AGENT, {"q": "USER3@example.com"})
    assert [i["case_id"] for i in one["items"]] == [ids[3]]


def test_backfill_again_does_nothing_until_restarted(desk: Desk) -> None:
    _old_cases(desk, 3)
    _backfill(desk).run()
    written = dict(desk.store.lookups)
    assert _backfill(desk).run().cases == 0
    again = _backfill(desk).run(restart=True)
    assert (again.cases, again.done) == (3, True)
    assert desk.store.lookups == written


class _FailingAfter(FakeStore):
    """Commits through `inner` until `allowed` commits are spent, then 503s."""

    def __init__(self, inner: FakeStore, allowed: int) -> None:
        super().__init__()
        self._inner, self._allowed = inner, allowed

    def commit(self, changes: Changes) -> None:
        if self._allowed == 0:
            raise Unavailable("busy")
        self._allowed -= 1
        self._inner.commit(changes)


def test_backfill_resumes_after_a_crash_from_the_last_page_written(desk: Desk) -> None:
    # GIVEN three pages of old cases, and a run that dies after its first page
    ids = _old_cases(desk, 2 * PAGE + 1)
    with pytest.raises(Unavailable):
        _backfill(desk, _FailingAfter(desk.store, 1)).run()
    assert len(_by_phone(desk)) == PAGE
    # WHEN it runs again THEN it starts at the second page and finishes
    report = _backfill(desk).run()
    assert (report.cases, report.done, report.resumed) == (PAGE + 1, True, True)
    assert _by_phone(desk) == sorted(ids, reverse=True)


def test_backfill_stops_after_max_pages_and_reports_not_done(desk: Desk) -> None:
    _old_cases(desk, PAGE + 1)
    first = _backfill(desk).run(max_pages=1)
    assert (first.cases, first.done) == (PAGE, False)
    rest = _backfill(desk).run()
    assert (rest.cases, rest.done, rest.resumed) == (1, True, True)
