"""The evidence side of the store: files written with their case's change (`Changes.evidence`)
and read back by case, one at a time, and by when the sweeper is due to look at them. Run on
the fake, moto and DynamoDB Local like tests/contracts.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.errors import VersionConflict
from chalicelib.domain.evidence import (
    EXPIRY_GRACE,
    Evidence,
    EvidenceStatus,
    Reason,
    Scan,
)
from chalicelib.domain.ids import new_ulid
from chalicelib.services.changes import Changes
from chalicelib.services.desk_ports import EvidenceReads
from chalicelib.services.ports import DeskStore
from tests.builders import MONDAY_10AM, make_case

NOW = MONDAY_10AM


def make_evidence(case_id: str, **changes: object) -> Evidence:
    evidence = Evidence(
        case_id=case_id,
        evidence_id=new_ulid(NOW),
        filename="支付截图.png",
        content_type="image/png",
        size_bytes=2048,
        uploaded_by="customer",
        actor="customer",
        status=EvidenceStatus.PENDING_UPLOAD,
        created_at=NOW,
        upload_expires_at=NOW + timedelta(minutes=5),
    )
    return replace(evidence, **changes)  # type: ignore[arg-type]


class EvidenceStoreContract:
    def test_files_are_written_with_their_case_and_read_back_equal(
        self, store: DeskStore, files: EvidenceReads
    ) -> None:
        case = make_case()
        first = make_evidence(case.case_id, note="扣款成功的截图", sha256="ab" * 32)
        second = make_evidence(
            case.case_id,
            status=EvidenceStatus.REJECTED,
            reason=Reason.TYPE_MISMATCH,
            scan=Scan.NOT_SCANNED,
            completed_at=NOW,
            share_with_customer=True,
            share_with_merchant=True,
            uploaded_by="merchant",
            actor="merchant:M100001",
        )
        store.commit(Changes(now=NOW, new_cases=[case], evidence=[first, second]))
        assert files.evidence_of(case.case_id) == [first, second]
        assert files.get_evidence(case.case_id, second.evidence_id) == second
        assert files.get_evidence(case.case_id, new_ulid(NOW)) is None
        assert files.evidence_of(make_case().case_id) == []

    def test_a_changed_file_replaces_the_stored_one(
        self, store: DeskStore, files: EvidenceReads
    ) -> None:
        case = make_case()
        pending = make_evidence(case.case_id)
        store.commit(Changes(now=NOW, new_cases=[case], evidence=[pending]))
        available = pending.evolve(status=EvidenceStatus.AVAILABLE, completed_at=NOW)
        store.commit(Changes(now=NOW, updated_cases=[(case, 1)], evidence=[available]))
        assert files.evidence_of(case.case_id) == [available]

    def test_a_file_is_not_written_when_its_case_change_fails(
        self, store: DeskStore, files: EvidenceReads
    ) -> None:
        case = make_case()
        store.commit(Changes(now=NOW, new_cases=[case]))
        stale = Changes(now=NOW, updated_cases=[(case, 7)], evidence=[make_evidence(case.case_id)])
        with pytest.raises(VersionConflict):
            store.commit(stale)
        assert files.evidence_of(case.case_id) == []

    def test_files_due_for_the_sweeper_soonest_first(
        self, store: DeskStore, files: EvidenceReads
    ) -> None:
        case = make_case()
        early = make_evidence(case.case_id, upload_expires_at=NOW)
        late = make_evidence(case.case_id, upload_expires_at=NOW + timedelta(minutes=30))
        scanning = make_evidence(case.case_id, status=EvidenceStatus.PENDING_SCAN, completed_at=NOW)
        done = make_evidence(case.case_id, status=EvidenceStatus.AVAILABLE, upload_expires_at=NOW)
        store.commit(Changes(now=NOW, new_cases=[case], evidence=[late, done, scanning, early]))
        # the scan is looked at again 5 minutes after it began; uploads once their grace is over
        by = NOW + EXPIRY_GRACE + timedelta(minutes=1)
        assert [e.evidence_id for e in files.evidence_due(by, 10)] == [
            scanning.evidence_id,
            early.evidence_id,
        ]
        assert len(files.evidence_due(by + timedelta(hours=1), 10)) == 3
        assert [e.evidence_id for e in files.evidence_due(by, 1)] == [scanning.evidence_id]
        # a file rejected and its objects deleted leaves the sweeper's list
        rejected = early.evolve(status=EvidenceStatus.REJECTED, reason=Reason.EXPIRED)
        gone = rejected.evolve(removed_at=NOW)
        store.commit(Changes(now=NOW, updated_cases=[(case, 1)], evidence=[gone]))
        assert [e.evidence_id for e in files.evidence_due(by, 10)] == [scanning.evidence_id]
        assert files.get_evidence(case.case_id, early.evidence_id) == gone
