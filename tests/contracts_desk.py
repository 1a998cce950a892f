"""Contracts of the staff desk's storage: credential changes (tokens, deactivation, merchant
secrets), the audit trail and the search index. They run on the fakes, moto and DynamoDB Local
like tests/contracts.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.errors import VersionConflict
from chalicelib.services import audit
from chalicelib.services.changes import (
    Changes,
    Lookup,
    NewStaff,
    SecretRotation,
    StaffUpdate,
)
from chalicelib.services.desk_ports import AuditLog, SearchIndex
from chalicelib.services.entities import Merchant, StaffMember
from chalicelib.services.ports import (
    DeskStore,
    MerchantDirectory,
    StaffDirectory,
)
from tests.builders import MONDAY_10AM, full_case

NOW = MONDAY_10AM


class StaffCredentialsContract:
    """A member's token is replaced or taken away by a commit, conditional on the one read."""

    def _hire(self, store: DeskStore, staff_id: str) -> StaffMember:
        # Each test hires a member of its own: DynamoDB answers a transaction repeated within
        # minutes (the same content, so the same request token) without applying it again.
        member = StaffMember(staff_id, "赵敏", "agent", "华南组", "zhao.min@example.com")
        store.commit(Changes(now=NOW, staff=[NewStaff(member, "hash-old")]))
        return member

    def test_rotated_token_replaces_the_old_one_at_once(
        self, store: DeskStore, staff_directory: StaffDirectory
    ) -> None:
        # GIVEN a member and the hash of their token
        member = self._hire(store, "stf_t1")
        assert staff_directory.token_hash_of("stf_t1") == "hash-old"
        # WHEN the token is rotated
        store.commit(Changes(now=NOW, staff_updates=[StaffUpdate(member, "hash-old", "hash-new")]))
        # THEN only the new token finds them, and it is the one a next change reads
        assert staff_directory.by_token_hash("hash-old") is None
        assert staff_directory.by_token_hash("hash-new") == member
        assert staff_directory.token_hash_of("stf_t1") == "hash-new"
        assert staff_directory.token_hash_of("stf_nobody") is None

    def test_deactivated_member_has_no_token_and_reads_inactive(
        self, store: DeskStore, staff_directory: StaffDirectory
    ) -> None:
        member = self._hire(store, "stf_t2")
        gone = replace(member, active=False)
        store.commit(Changes(now=NOW, staff_updates=[StaffUpdate(gone, "hash-old", None)]))
        assert staff_directory.by_token_hash("hash-old") is None
        assert staff_directory.get("stf_t2") == gone
        assert staff_directory.by_role("agent") == [gone]
        assert staff_directory.members(["stf_t2", "stf_nobody"]) == {"stf_t2": gone}
        assert staff_directory.members([]) == {}

    def test_token_change_on_a_stale_token_conflicts_and_changes_nothing(
        self, store: DeskStore, staff_directory: StaffDirectory
    ) -> None:
        # GIVEN a member whose token was rotated once
        member = self._hire(store, "stf_t3")
        store.commit(Changes(now=NOW, staff_updates=[StaffUpdate(member, "hash-old", "hash-2")]))
        # WHEN a second change, made from the first token, commits
        with pytest.raises(VersionConflict):
            store.commit(
                Changes(now=NOW, staff_updates=[StaffUpdate(member, "hash-old", "hash-3")])
            )
        # THEN the token of the change that won still works, and the loser's never did
        assert staff_directory.by_token_hash("hash-2") == member
        assert staff_directory.by_token_hash("hash-3") is None


def _merchant(merchant_id: str = "M400004") -> Merchant:
    return Merchant(merchant_id, "苏州小铺", "shop@example.com", None, "sealed:one", NOW)


class MerchantSecretContract:
    def test_rotation_keeps_the_replaced_secret_until_its_time(
        self, store: DeskStore, merchant_directory: MerchantDirectory
    ) -> None:
        store.commit(Changes(now=NOW, merchants=[_merchant()]))
        until = NOW + timedelta(hours=24)
        rotated = replace(
            _merchant(),
            sealed_secret="sealed:two",
            previous_sealed_secret="sealed:one",
            previous_valid_until=until,
        )
        store.commit(Changes(now=NOW, merchant_secrets=[SecretRotation(rotated, "sealed:one")]))
        assert merchant_directory.get("M400004") == rotated

    def test_rotation_from_a_replaced_secret_conflicts(
        self, store: DeskStore, merchant_directory: MerchantDirectory
    ) -> None:
        store.commit(Changes(now=NOW, merchants=[_merchant("M400005")]))
        first = replace(
            _merchant("M400005"),
            sealed_secret="sealed:two",
            previous_sealed_secret="sealed:one",
            previous_valid_until=NOW + timedelta(hours=24),
        )
        store.commit(Changes(now=NOW, merchant_secrets=[SecretRotation(first, "sealed:one")]))
        racing = replace(first, sealed_secret="sealed:three")
        with pytest.raises(VersionConflict):
            store.commit(Changes(now=NOW, merchant_secrets=[SecretRotation(racing, "sealed:one")]))
        stored = merchant_directory.get("M400005")
        assert stored is not None and stored.sealed_secret == "sealed:two"


class AuditLogContract:
    def test_audit_entries_read_back_newest_first_by_actor_case_and_all(
        self, store: DeskStore, audit_log: AuditLog
    ) -> None:
        # GIVEN entries by two members, one about a case, over two months
        written = []
        for n, (actor, case_id) in enumerate(
            [("stf_a", None), ("stf_b", "01JCASE0000000000000000001"), ("stf_a", None)]
        ):
            changes = Changes(now=NOW + timedelta(days=20 * n))
            written.append(
                audit.record(
                    changes,
                    actor,
                    "search" if case_id is None else "case_read",
                    case_id=case_id,
                    detail={"kind": "phone", "query": "138****5678"} if not case_id else None,
                )
            )
            store.commit(changes)
        later = NOW + timedelta(days=60)

        def page(**filters: str | None) -> list[str]:
            items, _ = audit_log.entries(
                actor=filters.get("actor"),
                case_id=filters.get("case_id"),
                now=later,
                limit=10,
                start=None,
            )
            return [i.entry_id for i in items]

        ids = [w.entry_id for w in written]
        # THEN each filter finds its entries, newest first, unchanged
        assert page() == ids[::-1]
        assert page(actor="stf_a") == [ids[2], ids[0]]
        assert page(case_id="01JCASE0000000000000000001") == [ids[1]]
        assert page(case_id="01JCASE0000000000000000001", actor="stf_a") == []
        everything, _ = audit_log.entries(actor=None, case_id=None, now=later, limit=10, start=None)
        assert everything[-1] == written[0]

    def test_audit_pages_follow_on_without_repeats(
        self, store: DeskStore, audit_log: AuditLog
    ) -> None:
        for n in range(5):
            at = NOW + timedelta(days=9 * n)
            rotated = audit.entry("stf_a", "token_rotated", at, target="stf_a")
            store.commit(Changes(now=at, audit=[rotated]))
        later = NOW + timedelta(days=40)
        for actor in (None, "stf_a"):
            seen: list[str] = []
            start = None
            for _ in range(5):
                items, start = audit_log.entries(
                    actor=actor, case_id=None, now=later, limit=2, start=start
                )
                seen += [i.entry_id for i in items]
                if start is None:
                    break
            assert len(seen) == 5 and seen == sorted(seen, reverse=True), actor


class SearchIndexContract:
    def test_search_index_finds_cases_by_lookup_and_transaction_newest_first(
        self, store: DeskStore, search_index: SearchIndex
    ) -> None:
        # GIVEN two cases of one phone, filed a day apart, and their lookups
        older = full_case()
        newer = full_case(NOW + timedelta(days=1))
        for case in (older, newer):
            lookup = Lookup("phone#h1", case.case_id, case.created_at)
            store.commit(Changes(now=NOW, new_cases=[case], lookups=[lookup]))
        # THEN the lookup finds both, newest first, and only as many as asked
        assert search_index.case_ids("phone#h1", 10) == [newer.case_id, older.case_id]
        assert search_index.case_ids("phone#h1", 1) == [newer.case_id]
        assert search_index.case_ids("phone#other", 10) == []
        # AND their transaction finds them too
        assert older.payment is not None and older.payment.transaction_id
        by_txn = search_index.case_ids_of_transaction(older.payment.transaction_id, 10)
        assert by_txn == [newer.case_id, older.case_id]
        # AND the cases read back in the order asked, unknown ids left out
        found = search_index.cases([older.case_id, "01KBNQPE00000000000000000X", newer.case_id])
        assert [c.case_id for c in found] == [older.case_id, newer.case_id]
        assert search_index.cases([]) == []

    def test_every_case_pages_through_all_cases_once(
        self, store: DeskStore, search_index: SearchIndex
    ) -> None:
        filed = [full_case(NOW + timedelta(minutes=n)) for n in range(5)]
        store.commit(Changes(now=NOW, new_cases=filed))
        seen: list[str] = []
        start = None
        for _ in range(10):
            page, start = search_index.every_case(2, start)
            seen += [c.case_id for c in page]
            if start is None:
                break
        assert sorted(seen) == sorted(c.case_id for c in filed)
