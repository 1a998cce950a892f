"""The key side of the DeskStore contract: key puts, batched key reads and counters (rate limits,
attempt limits), each inside the store's one all-or-nothing commit. Run on the fake, moto and
DynamoDB Local like tests/contracts.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.services.changes import Changes, KeyAppend, KeyClaim, KeyCount
from chalicelib.services.ports import DeskStore, KeyTaken, LimitReached
from tests.builders import MONDAY_10AM, make_case

NOW = MONDAY_10AM
HOUR = timedelta(hours=1)


class KeyStoreContract:
    def test_key_put_writes_over_a_held_key(self, store: DeskStore) -> None:
        # GIVEN a key held by a claim
        store.commit(Changes(now=NOW, claims=[KeyClaim("code#p1", {"v": 1}, NOW + HOUR)]))
        # WHEN a put writes the same key
        store.commit(Changes(now=NOW, key_puts=[KeyClaim("code#p1", {"v": 2, "zh": "二"})]))
        # THEN the put's value holds, without a KeyTaken
        assert store.get_key("code#p1") == {"v": 2, "zh": "二"}

    def test_key_put_is_claimed_like_any_key_afterwards(self, store: DeskStore) -> None:
        store.commit(Changes(now=NOW, key_puts=[KeyClaim("idem#put", {"v": 1}, NOW + HOUR)]))
        with pytest.raises(KeyTaken) as taken:
            store.commit(Changes(now=NOW, claims=[KeyClaim("idem#put", {"v": 2})]))
        assert taken.value.value == {"v": 1}
        # AND once its time ran out it can be claimed
        later = NOW + 2 * HOUR
        store.commit(Changes(now=later, claims=[KeyClaim("idem#put", {"v": 3})]))
        assert store.get_key("idem#put") == {"v": 3}

    def test_key_put_is_written_with_the_rest_of_its_change_or_not_at_all(
        self, store: DeskStore
    ) -> None:
        # GIVEN a held claim
        store.commit(Changes(now=NOW, claims=[KeyClaim("open#1", {"v": 1})]))
        # WHEN a change with a key put fails on that claim
        with pytest.raises(KeyTaken):
            store.commit(
                Changes(
                    now=NOW,
                    claims=[KeyClaim("open#1", {"v": 2})],
                    key_puts=[KeyClaim("put#1", {"v": 1})],
                )
            )
        # THEN the put was not written either
        assert store.get_key("put#1") is None

    def test_absent_key_lets_its_change_through_while_it_is_absent(self, store: DeskStore) -> None:
        # GIVEN a change that relies on "dir#v2" not having been written yet
        case = make_case()
        store.commit(Changes(now=NOW, new_cases=[case], absent=["dir#v2"]))
        # THEN it was written, and the checked key was not
        assert store.get_case(case.case_id) is not None
        assert store.get_key("dir#v2") is None

    def test_absent_key_that_exists_refuses_the_whole_change(self, store: DeskStore) -> None:
        # GIVEN the directory's next version was claimed meanwhile
        store.commit(Changes(now=NOW, claims=[KeyClaim("dir#v2", {})]))
        # WHEN a change that read the directory before commits
        case = make_case()
        with pytest.raises(KeyTaken) as taken:
            store.commit(
                Changes(
                    now=NOW,
                    new_cases=[case],
                    absent=["dir#v2"],
                    key_puts=[KeyClaim("put#dir", {"v": 1})],
                )
            )
        # THEN it is refused on that key, and nothing of it was written
        assert taken.value.key == "dir#v2"
        assert store.get_case(case.case_id) is None
        assert store.get_key("put#dir") is None

    def test_get_keys_reads_those_that_exist(self, store: DeskStore) -> None:
        # GIVEN three keys, held by claims and puts
        store.commit(
            Changes(
                now=NOW,
                claims=[KeyClaim("k#a", {"v": "a"}), KeyClaim("k#b", {"v": ["b", 2]})],
                key_puts=[KeyClaim("k#c", {"v": {"c": True}})],
            )
        )
        # WHEN they are read together with one that does not exist
        found = store.get_keys(["k#a", "k#missing", "k#b", "k#c"])
        # THEN each existing one comes back with its value, the missing one not at all
        assert found == {"k#a": {"v": "a"}, "k#b": {"v": ["b", 2]}, "k#c": {"v": {"c": True}}}
        assert store.get_keys([]) == {}
        assert store.get_keys(["k#missing"]) == {}

    def test_get_keys_reads_more_than_one_batch(self, store: DeskStore) -> None:
        # GIVEN more keys than DynamoDB's BatchGetItem takes at once (100)
        names = [f"many#{n:03d}" for n in range(130)]
        puts = [KeyClaim(n, {"n": i}) for i, n in enumerate(names)]
        for start in range(0, len(puts), 50):  # a transaction holds at most 100 items
            store.commit(Changes(now=NOW, key_puts=puts[start : start + 50]))
        # WHEN they are read in one call THEN every one is found
        found = store.get_keys(names)
        assert found == {n: {"n": i} for i, n in enumerate(names)}

    def test_released_key_is_gone(self, store: DeskStore) -> None:
        store.commit(Changes(now=NOW, key_puts=[KeyClaim("gone#1", {"v": 1})]))
        store.commit(Changes(now=NOW, releases=["gone#1", "never#held"]))
        assert store.get_key("gone#1") is None

    def test_counter_counts_to_its_limit_then_is_full(self, store: DeskStore) -> None:
        # GIVEN a counter with a limit of 3
        count = KeyCount("otp-hour#p1", 3, NOW + HOUR)
        # WHEN it is counted three times THEN each commit goes through
        for _ in range(3):
            store.commit(Changes(now=NOW, counters=[count]))
        # AND the fourth is LimitReached, naming the counter
        with pytest.raises(LimitReached) as full:
            store.commit(Changes(now=NOW, counters=[count]))
        assert full.value.key == "otp-hour#p1"

    def test_counters_count_separately(self, store: DeskStore) -> None:
        store.commit(Changes(now=NOW, counters=[KeyCount("c#a", 1)]))
        store.commit(Changes(now=NOW, counters=[KeyCount("c#b", 1)]))
        with pytest.raises(LimitReached):
            store.commit(Changes(now=NOW, counters=[KeyCount("c#a", 1)]))

    def test_counter_with_a_higher_limit_counts_on(self, store: DeskStore) -> None:
        # The limit belongs to the change, not the counter: a counter at 1 takes a limit of 2.
        store.commit(Changes(now=NOW, counters=[KeyCount("c#x", 1)]))
        store.commit(Changes(now=NOW, counters=[KeyCount("c#x", 2)]))
        with pytest.raises(LimitReached):
            store.commit(Changes(now=NOW, counters=[KeyCount("c#x", 2)]))

    def test_full_counter_writes_nothing_else_of_its_change(self, store: DeskStore) -> None:
        # GIVEN a full counter
        store.commit(Changes(now=NOW, counters=[KeyCount("attempts#s1", 1)]))
        case = make_case()
        # WHEN a change with a case, a claim, a put and a second counter counts it again
        change = Changes(
            now=NOW,
            new_cases=[case],
            claims=[KeyClaim("claim#s1", {"v": 1})],
            key_puts=[KeyClaim("put#s1", {"v": 1})],
            counters=[KeyCount("other#s1", 5), KeyCount("attempts#s1", 1)],
        )
        with pytest.raises(LimitReached) as full:
            store.commit(change)
        # THEN none of it was written, and the other counter did not move
        assert full.value.key == "attempts#s1"
        assert store.get_case(case.case_id) is None
        assert store.get_keys(["claim#s1", "put#s1"]) == {}
        for _ in range(5):
            store.commit(Changes(now=NOW, counters=[KeyCount("other#s1", 5)]))
        with pytest.raises(LimitReached):
            store.commit(Changes(now=NOW, counters=[KeyCount("other#s1", 5)]))

    def test_appends_collect_entries_in_order_beside_the_keys_value(self, store: DeskStore) -> None:
        # GIVEN a key claimed with a value
        store.commit(Changes(now=NOW, claims=[KeyClaim("list#a", {"merchant": "M1"}, NOW + HOUR)]))
        # WHEN two changes append to it, and one appends to a key nobody made
        store.commit(Changes(now=NOW, appends=[KeyAppend("list#a", {"n": 1, "case": "C1"})]))
        store.commit(Changes(now=NOW, appends=[KeyAppend("list#a", {"n": 2}, NOW + HOUR)]))
        store.commit(Changes(now=NOW, appends=[KeyAppend("list#new", {"n": 9})]))
        # THEN each reads back its entries in order, beside the value it held
        assert store.get_key("list#a") == {
            "merchant": "M1",
            "entries": [{"n": 1, "case": "C1"}, {"n": 2}],
        }
        assert store.get_keys(["list#new"]) == {"list#new": {"entries": [{"n": 9}]}}

    def test_append_in_a_refused_change_adds_nothing(self, store: DeskStore) -> None:
        store.commit(Changes(now=NOW, claims=[KeyClaim("held#ap", {})]))
        with pytest.raises(KeyTaken):
            store.commit(
                Changes(
                    now=NOW,
                    claims=[KeyClaim("held#ap", {})],
                    appends=[KeyAppend("list#ap", {"n": 1})],
                )
            )
        assert store.get_key("list#ap") is None
