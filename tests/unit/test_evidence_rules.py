"""The evidence rules: what complete judges, who sees a file, a case's limits, scans, expiry and
sharing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Status, Visibility
from chalicelib.domain.errors import EvidenceLimit, InvalidTransition, ValidationFailed
from chalicelib.domain.evidence import (
    REMOVAL_RETRY,
    EvidenceStatus,
    Reason,
    Scan,
    StoredObject,
    UploadRequest,
    check_room,
    judge,
    parse_upload,
    scan_outcome,
    visible_to,
)
from chalicelib.domain.evidence_steps import (
    complete,
    expire,
    removed,
    request_upload,
    scan_result,
    share,
)
from tests.builders import MONDAY_10AM, make_case
from tests.contracts_evidence import make_evidence

NOW = MONDAY_10AM
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00"


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar.shipped()


def test_judge_passes_the_declared_file() -> None:
    evidence = make_evidence("c", size_bytes=2048)
    assert judge(evidence, StoredObject(2048, PNG_HEAD)) is None


@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        (None, Reason.NOT_UPLOADED),
        (StoredObject(2047, PNG_HEAD), Reason.SIZE_MISMATCH),
        (StoredObject(2048, b"%PDF-1.7"), Reason.TYPE_MISMATCH),
        (StoredObject(2048, b"hello text"), Reason.TYPE_MISMATCH),
    ],
)
def test_judge_names_what_is_wrong(stored: StoredObject | None, reason: Reason) -> None:
    assert judge(make_evidence("c", size_bytes=2048), stored) is reason


def test_judge_checks_a_declared_sha256_only() -> None:
    declared = make_evidence("c", size_bytes=2048, sha256="a" * 64)
    assert judge(declared, StoredObject(2048, PNG_HEAD, "a" * 64)) is None
    assert judge(declared, StoredObject(2048, PNG_HEAD, "b" * 64)) is Reason.SHA256_MISMATCH


def test_parse_upload_lowercases_the_checksum_and_refuses_other_types() -> None:
    body = {"filename": "a.pdf", "content_type": "application/pdf", "size_bytes": 5}
    assert parse_upload({**body, "sha256": "AB" * 32}).sha256 == "ab" * 32
    with pytest.raises(ValidationFailed) as refused:
        parse_upload({**body, "content_type": "text/plain", "extra": 1})
    assert set(refused.value.fields) == {"content_type", "extra"}


def test_who_sees_a_file() -> None:
    customer_file = make_evidence("c", status=EvidenceStatus.AVAILABLE)
    merchant_file = make_evidence(
        "c", uploaded_by="merchant", actor="merchant:M1", status=EvidenceStatus.AVAILABLE
    )
    staff_file = make_evidence("c", uploaded_by="staff", actor="staff:s1")
    assert visible_to(customer_file, "customer")
    assert not visible_to(customer_file, "merchant", "M1")
    assert visible_to(merchant_file, "merchant", "M1")
    assert not visible_to(merchant_file, "merchant", "M2")
    assert not visible_to(merchant_file, "customer")
    assert all(visible_to(e, "staff") for e in (customer_file, merchant_file, staff_file))
    # shared: only once available
    shared = staff_file.evolve(share_with_customer=True, share_with_merchant=True)
    assert not visible_to(shared, "customer")
    available = shared.evolve(status=EvidenceStatus.AVAILABLE)
    assert visible_to(available, "customer")
    assert visible_to(available, "merchant", "M2")


def test_room_counts_held_files_and_their_bytes() -> None:
    ten = UploadRequest("a.pdf", "application/pdf", 10 * 1024 * 1024)
    held = [make_evidence("c", size_bytes=10 * 1024 * 1024) for _ in range(4)]
    check_room(held, ten)  # 40 + 10 MiB fits
    with pytest.raises(EvidenceLimit):
        check_room([*held, make_evidence("c", size_bytes=1)], ten)
    rejected = [make_evidence("c", status=EvidenceStatus.REJECTED) for _ in range(50)]
    check_room(rejected + held, ten)
    with pytest.raises(EvidenceLimit):
        check_room([make_evidence("c") for _ in range(20)], UploadRequest("a", "image/png", 1))


def test_a_passed_file_waits_for_its_scan_where_files_are_scanned(
    calendar: WorkingCalendar,
) -> None:
    case = make_case()
    pending = make_evidence(case.case_id, size_bytes=10)
    step = complete(case, pending, StoredObject(10, PNG_HEAD), True, NOW, calendar)
    (waiting,) = step.evidence
    assert (waiting.status, waiting.scan) == (EvidenceStatus.PENDING_SCAN, Scan.PENDING)
    assert step.entries == ()
    # still pending: looked at again 5 minutes later
    later = NOW + timedelta(minutes=5)
    (again,) = scan_result(case, waiting, Scan.PENDING, later, calendar).evidence
    assert again.sweep_at == later + timedelta(minutes=5)
    clean = scan_result(case, waiting, Scan.NO_THREATS_FOUND, later, calendar)
    assert clean.evidence[0].status is EvidenceStatus.AVAILABLE
    assert [e.type for e in clean.entries] == ["evidence_added"]
    infected = scan_result(case, waiting, scan_outcome("THREATS_FOUND"), later, calendar)
    assert infected.evidence[0].reason is Reason.THREATS_FOUND
    late = scan_result(case, waiting, Scan.PENDING, NOW + timedelta(days=1), calendar)
    assert late.evidence[0].reason is Reason.SCAN_FAILED


def test_an_upload_expires_only_once_its_time_is_up() -> None:
    case = make_case()
    pending = make_evidence(case.case_id)
    assert expire(case, pending, NOW).evidence == ()
    (expired,) = expire(case, pending, NOW + timedelta(minutes=5)).evidence
    assert (expired.status, expired.reason) == (EvidenceStatus.REJECTED, Reason.EXPIRED)
    # its objects are still to delete: the sweeper looks again if the delete fails
    assert expired.sweep_at == NOW + timedelta(minutes=5) + REMOVAL_RETRY
    (gone,) = removed(case, expired, NOW + timedelta(minutes=6)).evidence
    assert gone.removed_at == NOW + timedelta(minutes=6) and gone.sweep_at is None
    assert removed(case, gone, NOW + timedelta(minutes=7)).evidence == ()


def test_a_closed_case_takes_no_upload() -> None:
    case = make_case(status=Status.CLOSED)
    with pytest.raises(InvalidTransition):
        request_upload(case, [], UploadRequest("a.png", "image/png", 1), "e", "customer", NOW)


def test_sharing_with_the_customer_is_public_with_the_merchant_internal() -> None:
    case = make_case()
    available = make_evidence(
        case.case_id, uploaded_by="staff", actor="staff:s1", status=EvidenceStatus.AVAILABLE
    )
    to_customer = share(case, available, "s1", NOW, True, None)
    assert to_customer.entries[0].visibility is Visibility.PUBLIC
    to_merchant = share(case, available, "s1", NOW, None, True)
    assert to_merchant.entries[0].visibility is Visibility.INTERNAL
    assert share(case, available, "s1", NOW, False, False).entries == ()
