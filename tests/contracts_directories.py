"""Contracts of the staff and merchant directories and the metrics store, run on the fakes, moto
and DynamoDB Local like tests/contracts.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.services.changes import Changes, KeyClaim, NewStaff
from chalicelib.services.entities import Merchant, StaffMember
from chalicelib.services.ports import (
    DeskStore,
    KeyTaken,
    MerchantDirectory,
    MetricsStore,
    StaffDirectory,
)
from tests.builders import MONDAY_10AM

NOW = MONDAY_10AM


def _hire(store: DeskStore, *members: tuple[StaffMember, str]) -> None:
    store.commit(Changes(now=NOW, staff=[NewStaff(m, token_hash) for m, token_hash in members]))


class StaffDirectoryContract:
    """Staff members are created through the store's commit and read through the directory."""

    def test_staff_member_is_found_by_token_hash_and_by_id(
        self, store: DeskStore, staff_directory: StaffDirectory
    ) -> None:
        # GIVEN a member with every field set, and one with the optional ones left out
        full = StaffMember("stf_01", "王芳", "supervisor", "华东组", "wang.fang@example.com")
        bare = StaffMember("stf_02", "Li Lei", "agent")
        _hire(store, (full, "hash-01"), (bare, "hash-02"))
        # THEN each is found, unchanged, by its token's hash and by its id
        assert staff_directory.by_token_hash("hash-01") == full
        assert staff_directory.by_token_hash("hash-02") == bare
        assert staff_directory.get("stf_01") == full
        assert staff_directory.get("stf_02") == bare
        # AND unknown hashes and ids find nobody
        assert staff_directory.by_token_hash("hash-03") is None
        assert staff_directory.get("stf_03") is None

    def test_staff_by_role_lists_exactly_that_role(
        self, store: DeskStore, staff_directory: StaffDirectory
    ) -> None:
        members = [
            StaffMember("stf_a", "A", "supervisor", email="a@example.com"),
            StaffMember("stf_b", "B", "agent"),
            StaffMember("stf_c", "C", "supervisor"),
        ]
        _hire(store, *((m, f"h{n}") for n, m in enumerate(members)))
        supervisors = staff_directory.by_role("supervisor")
        assert sorted(supervisors, key=lambda m: m.staff_id) == [members[0], members[2]]
        assert staff_directory.by_role("admin") == []

    def test_staff_member_is_written_with_the_rest_of_its_change(
        self, store: DeskStore, staff_directory: StaffDirectory
    ) -> None:
        # GIVEN a held key
        store.commit(Changes(now=NOW, claims=[KeyClaim("idem#staff", {"v": 1})]))
        # WHEN a change creating a member fails on it THEN the member was not created
        member = StaffMember("stf_x", "X", "agent")
        with pytest.raises(KeyTaken):
            store.commit(
                Changes(
                    now=NOW,
                    claims=[KeyClaim("idem#staff", {"v": 2})],
                    staff=[NewStaff(member, "hash-x")],
                )
            )
        assert staff_directory.by_token_hash("hash-x") is None
        assert staff_directory.get("stf_x") is None


def _merchant(merchant_id: str = "M300003", **changes: object) -> Merchant:
    fields: dict[str, object] = {
        "merchant_id": merchant_id,
        "name": "杭州小店",
        "email": "shop@example.com",
        "phone": "+8613900139000",
        "sealed_secret": "sealed:abc",
        "created_at": NOW,
        **changes,
    }
    return Merchant(**fields)  # type: ignore[arg-type]


class MerchantDirectoryContract:
    """Merchants are registered through the store's commit and read through the directory."""

    def test_merchant_reads_back_as_registered(
        self, store: DeskStore, merchant_directory: MerchantDirectory
    ) -> None:
        full, bare = _merchant(), _merchant("M300004", email=None, phone=None)
        store.commit(Changes(now=NOW, merchants=[full, bare]))
        assert merchant_directory.get("M300003") == full
        assert merchant_directory.get("M300004") == bare
        assert merchant_directory.get("M399999") is None

    def test_merchant_id_is_registered_once(
        self, store: DeskStore, merchant_directory: MerchantDirectory
    ) -> None:
        # GIVEN a registered merchant
        store.commit(Changes(now=NOW, merchants=[_merchant()]))
        # WHEN the id is registered again THEN it is KeyTaken and the first one stays
        again = _merchant(name="冒名", sealed_secret="sealed:other")
        with pytest.raises(KeyTaken) as taken:
            store.commit(Changes(now=NOW, merchants=[again]))
        assert taken.value.key == "merchant#M300003"
        stored = merchant_directory.get("M300003")
        assert stored is not None and (stored.name, stored.sealed_secret) == (
            "杭州小店",
            "sealed:abc",
        )


class MetricsStoreContract:
    def test_metrics_change_is_applied_once(self, metrics_store: MetricsStore) -> None:
        # GIVEN a change applied to a day
        first = metrics_store.apply("chg-1", "2026-11-23", {"filed": 1}, {"first_hours": [1.5]})
        # WHEN the same change comes again (a stream record delivered twice)
        again = metrics_store.apply("chg-1", "2026-11-23", {"filed": 1}, {"first_hours": [1.5]})
        # THEN it counted once
        assert (first, again) == (True, False)
        assert metrics_store.days(["2026-11-23"]) == [
            {"day": "2026-11-23", "filed": 1, "first_hours": [1.5]}
        ]

    def test_metrics_changes_add_up_and_samples_append(self, metrics_store: MetricsStore) -> None:
        metrics_store.apply("a", "2026-11-23", {"filed": 1, "met:first": 1}, {"h": [2.0]})
        metrics_store.apply("b", "2026-11-23", {"filed": 2}, {"h": [0.5, 3.0]})
        metrics_store.apply("c", "2026-11-23", {"met:first": 1}, {})
        [day] = metrics_store.days(["2026-11-23"])
        assert day == {"day": "2026-11-23", "filed": 3, "met:first": 2, "h": [2.0, 0.5, 3.0]}

    def test_metrics_days_lists_the_days_that_have_any_in_order(
        self, metrics_store: MetricsStore
    ) -> None:
        metrics_store.apply("x", "2026-11-25", {"filed": 1}, {})
        metrics_store.apply("y", "2026-11-23", {"filed": 4}, {})
        days = [f"2026-11-{n}" for n in range(30, 20, -1)]  # asked newest first
        found = metrics_store.days(days)
        assert [(d["day"], d["filed"]) for d in found] == [("2026-11-23", 4), ("2026-11-25", 1)]
        assert metrics_store.days([]) == []

    def test_metrics_days_reads_more_than_one_batch(self, metrics_store: MetricsStore) -> None:
        # GIVEN a range of more days than one BatchGetItem reads (100)
        start = NOW.date()
        days = [(start + timedelta(days=n)).isoformat() for n in range(120)]
        for n in (0, 99, 100, 119):
            metrics_store.apply(f"d{n}", days[n], {"filed": n + 1}, {})
        # WHEN they are read THEN the days on both sides of the batch boundary are found
        found = metrics_store.days(days)
        assert [(d["day"], d["filed"]) for d in found] == [
            (days[n], n + 1) for n in (0, 99, 100, 119)
        ]
