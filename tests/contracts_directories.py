"""Contracts of the staff and merchant directories and the metrics store, run on the fakes, moto
and DynamoDB Local like tests/contracts.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.services.ports import (
    KeyTaken,
    Merchant,
    MerchantDirectory,
    MetricsStore,
    StaffDirectory,
    StaffMember,
)
from tests.builders import MONDAY_10AM

NOW = MONDAY_10AM


class StaffDirectoryContract:
    def test_staff_member_is_found_by_token_hash_and_by_id(
        self, staff_directory: StaffDirectory
    ) -> None:
        # GIVEN a member with every field set, and one with the optional ones left out
        full = StaffMember("stf_01", "王芳", "supervisor", "华东组", "wang.fang@example.com")
        bare = StaffMember("stf_02", "Li Lei", "agent")
        staff_directory.add(full, "hash-01", NOW)
        staff_directory.add(bare, "hash-02", NOW)
        # THEN each is found, unchanged, by its token's hash and by its id
        assert staff_directory.by_token_hash("hash-01") == full
        assert staff_directory.by_token_hash("hash-02") == bare
        assert staff_directory.get("stf_01") == full
        assert staff_directory.get("stf_02") == bare
        # AND unknown hashes and ids find nobody
        assert staff_directory.by_token_hash("hash-03") is None
        assert staff_directory.get("stf_03") is None

    def test_staff_by_role_lists_exactly_that_role(self, staff_directory: StaffDirectory) -> None:
        members = [
            StaffMember("stf_a", "A", "supervisor", email="a@example.com"),
            StaffMember("stf_b", "B", "agent"),
            StaffMember("stf_c", "C", "supervisor"),
        ]
        for n, member in enumerate(members):
            staff_directory.add(member, f"h{n}", NOW)
        supervisors = staff_directory.by_role("supervisor")
        assert sorted(supervisors, key=lambda m: m.staff_id) == [members[0], members[2]]
        assert staff_directory.by_role("admin") == []


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
    def test_merchant_reads_back_as_added(self, merchant_directory: MerchantDirectory) -> None:
        full, bare = _merchant(), _merchant("M300004", email=None, phone=None)
        merchant_directory.add(full)
        merchant_directory.add(bare)
        assert merchant_directory.get("M300003") == full
        assert merchant_directory.get("M300004") == bare
        assert merchant_directory.get("M399999") is None

    def test_merchant_id_is_registered_once(self, merchant_directory: MerchantDirectory) -> None:
        # GIVEN a registered merchant
        merchant_directory.add(_merchant())
        # WHEN the id is registered again THEN it is KeyTaken and the first one stays
        with pytest.raises(KeyTaken):
            merchant_directory.add(_merchant(name="冒名", sealed_secret="sealed:other"))
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
