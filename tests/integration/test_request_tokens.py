"""ClientRequestToken on the real engine: a change sent again is applied once; counting is not
mistaken for a repeat."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import wiring
from chalicelib.domain.case import Visibility
from chalicelib.services.changes import Changes, KeyCount
from chalicelib.services.ports import LimitReached
from tests.builders import MONDAY_10AM, make_case, make_entry

pytestmark = pytest.mark.integration
NOW = MONDAY_10AM


def test_the_same_change_committed_again_is_applied_once(container: wiring.Container) -> None:
    # GIVEN a case change committed once (version 1 -> 2)
    store = container.store
    case = make_case()
    store.commit(Changes(now=NOW, new_cases=[case]))
    changed = case.evolve(description="补充：订单号 ORD-7", version=2)
    entry = make_entry(case, NOW, Visibility.PUBLIC)
    change = Changes(now=NOW, updated_cases=[(changed, 1)], timeline=[entry])
    store.commit(change)
    # WHEN the identical transaction arrives again (a retry of a call whose answer was lost)
    # THEN DynamoDB answers it as done instead of failing its version condition
    store.commit(change)
    stored = store.get_case(case.case_id)
    assert stored is not None and stored.version == 2
    assert store.timeline(case.case_id, include_internal=True) == [entry]


def test_identical_counting_changes_each_count(container: wiring.Container) -> None:
    # GIVEN a limit of 2 and three byte-for-byte identical tries in the same second
    store = container.store
    count = KeyCount("otp-tries#01KTEST", 2, NOW + timedelta(minutes=5))
    tries = Changes(now=NOW, counters=[count])
    # WHEN they are committed / THEN the third is refused: none was taken for a repeat
    store.commit(tries)
    store.commit(tries)
    with pytest.raises(LimitReached):
        store.commit(tries)
