"""Filling the search index for cases filed before it existed (deployed stages, once).

The backfill reads every case a page at a time and writes each page's lookups together with
its progress (where the next page starts) in one transaction. So it is:

- idempotent: a lookup is a key (search key, case id); writing it again changes nothing;
- resumable: run again after a crash or a 503, it starts from the last page it finished (a
  page written twice is harmless); once done, it says so and does nothing until `restart`.

Cases filed while it runs get their lookups as they are filed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.clock import Clock
from chalicelib.services.changes import Changes, KeyClaim
from chalicelib.services.desk_ports import SearchIndex
from chalicelib.services.ports import KeyReads, Transactions
from chalicelib.services.search import SearchKeys

PROGRESS_KEY = "backfill#search-index"
# A transaction holds at most 100 items: 30 cases of up to 3 lookups each, and the progress.
PAGE = 30


@dataclass(frozen=True)
class BackfillReport:
    cases: int  # cases read by this run
    lookups: int  # lookups written by this run
    done: bool  # every case has been read (by this run or earlier ones)
    resumed: bool  # this run started where an earlier one stopped


class SearchBackfill:
    def __init__(
        self,
        store: Transactions,
        key_reads: KeyReads,
        index: SearchIndex,
        keys_: SearchKeys,
        clock: Clock,
    ) -> None:
        self._store = store
        self._key_reads = key_reads
        self._index = index
        self._keys = keys_
        self._clock = clock

    def run(
        self,
        *,
        restart: bool = False,
        max_pages: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> BackfillReport:
        """Run until every case is read (or `max_pages` pages); `progress(cases, lookups)`
        after each page."""
        held = None if restart else self._key_reads.get_key(PROGRESS_KEY)
        if held and held.get("done"):
            return BackfillReport(0, 0, done=True, resumed=True)
        start: dict[str, Any] | None = held.get("next") if held else None
        resumed = start is not None
        cases = lookups = pages = 0
        while max_pages is None or pages < max_pages:
            page, start = self._index.every_case(PAGE, start)
            found = [lookup for case in page for lookup in self._keys.of(case)]
            state = {"done": start is None, "next": start}
            now = self._clock.now()
            self._store.commit(
                Changes(now=now, lookups=found, key_puts=[KeyClaim(PROGRESS_KEY, state)])
            )
            cases, lookups, pages = cases + len(page), lookups + len(found), pages + 1
            if progress is not None:
                progress(cases, lookups)
            if start is None:
                return BackfillReport(cases, lookups, done=True, resumed=resumed)
        return BackfillReport(cases, lookups, done=False, resumed=resumed)
