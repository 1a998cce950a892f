"""The outbox side of the DeskStore contract: events that fail are counted, postponed, given up
into a failed list and made pending again. Run on the fake, moto and DynamoDB Local like
tests/contracts.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from chalicelib.domain.outbox import OutboxEvent
from chalicelib.services.changes import Changes
from chalicelib.services.ports import DeskStore
from tests.builders import MONDAY_10AM, make_case, make_event

NOW = MONDAY_10AM
MINUTE = timedelta(minutes=1)


def _pending(store: DeskStore, *suffixes: str) -> list[OutboxEvent]:
    case = make_case()
    events = [make_event(case, NOW, suffix) for suffix in suffixes]
    store.commit(Changes(now=NOW, new_cases=[case], events=events))
    return events


def _ids(events: list[OutboxEvent]) -> list[str]:
    return [e.event_id for e in events]


class OutboxStoreContract:
    def test_outbox_failure_counts_attempts_of_a_pending_event(self, store: DeskStore) -> None:
        [event] = _pending(store, "notify:a")
        assert store.count_event_failure(event, "SNS throttled") == 1
        assert store.count_event_failure(event, "x" * 900) == 2
        # THEN the pending event carries its count and (a bounded) last error
        [stored] = store.pending_events(NOW, 10)
        assert (stored.attempts, stored.last_error) == (2, "x" * 500)

    def test_outbox_failure_of_a_done_event_counts_nothing(self, store: DeskStore) -> None:
        [event] = _pending(store, "notify:a")
        store.mark_event_done(event, NOW)
        assert store.count_event_failure(event, "late") == 0
        assert store.pending_events(NOW + MINUTE, 10) == []

    def test_outbox_events_marked_done_together_leave_the_pending_list(
        self, store: DeskStore
    ) -> None:
        # GIVEN three pending events, one of them already done, and one given up
        a, b, c, d = _pending(store, "notify:a", "notify:b", "notify:c", "notify:d")
        store.mark_event_done(b, NOW)
        store.give_up_event(d, NOW)
        # WHEN the first three are marked done together (the done one again), beside an event
        # that was never stored
        ghost = replace(c, event_id="notify:ghost")
        store.mark_events_done([a, b, ghost, c], NOW + MINUTE)
        # THEN none is pending, none counts a failure any more, and the given-up one stays failed
        assert store.pending_events(NOW + MINUTE, 10) == []
        assert [store.count_event_failure(e, "late") for e in (a, b, c)] == [0, 0, 0]
        failed, _ = store.failed_events(10, None)
        assert _ids(failed) == [d.event_id]
        # AND no event was made of the one that did not exist
        assert store.count_event_failure(ghost, "late") == 0

    def test_outbox_postponed_event_is_due_again_at_its_time(self, store: DeskStore) -> None:
        # GIVEN two pending events, one postponed by five minutes
        first, second = _pending(store, "notify:a", "notify:b")
        store.postpone_event(first, NOW + 5 * MINUTE)
        # THEN until then only the other is due, and afterwards both, the longest due first
        assert _ids(store.pending_events(NOW + MINUTE, 10)) == [second.event_id]
        due = store.pending_events(NOW + 5 * MINUTE, 10)
        assert _ids(due) == [second.event_id, first.event_id]

    def test_outbox_given_up_event_leaves_the_pending_list(self, store: DeskStore) -> None:
        # GIVEN three pending events, two of them given up a minute apart
        a, b, c = _pending(store, "notify:a", "notify:b", "notify:c")
        store.give_up_event(a, NOW)
        store.give_up_event(c, NOW + MINUTE)
        # THEN only the third is pending, and the failed list holds the others, latest first
        assert _ids(store.pending_events(NOW + MINUTE, 10)) == [b.event_id]
        failed, cursor = store.failed_events(10, None)
        assert _ids(failed) == [c.event_id, a.event_id] and cursor is None
        # AND it reads in pages
        first, cursor = store.failed_events(1, None)
        assert cursor is not None
        rest, _ = store.failed_events(1, cursor)
        assert _ids(first + rest) == [c.event_id, a.event_id]

    def test_outbox_retried_failed_event_is_pending_with_fresh_attempts(
        self, store: DeskStore
    ) -> None:
        # GIVEN an event that failed twice and was given up
        [event] = _pending(store, "notify:a")
        store.count_event_failure(event, "boom")
        store.count_event_failure(event, "boom")
        store.give_up_event(event, NOW)
        # WHEN staff retry it, due in a minute
        retried = store.retry_failed_event(event.subject.key, event.event_id, NOW + MINUTE)
        # THEN it is pending again from then on, with no attempts counted, and no longer failed
        assert retried is not None and retried.event_id == event.event_id
        assert store.pending_events(NOW, 10) == []
        [pending] = store.pending_events(NOW + MINUTE, 10)
        assert (pending.event_id, pending.attempts) == (event.event_id, 0)
        assert store.failed_events(10, None) == ([], None)
        # AND retrying it again, or an event that never failed, does nothing
        assert store.retry_failed_event(event.subject.key, event.event_id, NOW) is None
        assert store.retry_failed_event(event.subject.key, "v000001:notify:none", NOW) is None
