"""The evidence use cases on the fakes: a merchant's file tells the supervisors of a case nobody
holds, and the sweeper's evidence pass stops when its function's time runs short."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.services.evidence import Caller
from tests.builders import complaint
from tests.fakes import FakeEvidenceStorage
from tests.services.conftest import make_desk

JPEG = b"\xff\xd8\xff\xe0" + b"x" * 60


def test_a_merchants_file_tells_the_supervisors_of_an_unassigned_case() -> None:
    # GIVEN a case naming merchant M100001, held by nobody, and a supervisor
    storage = FakeEvidenceStorage()
    desk = make_desk(evidence_storage=storage)
    desk.container.staff.create(
        {"name": "主管", "role": "supervisor", "email": "lead@desk.example.com"}
    )
    case = desk.file(complaint())
    desk.drain()
    before = len(desk.email.sent)
    # WHEN the merchant uploads delivery proof and completes it
    merchant = Caller.merchant("M100001")
    body = {"filename": "签收单.jpg", "content_type": "image/jpeg", "size_bytes": len(JPEG)}
    asked = desk.container.evidence.request(merchant, case["case_id"], body, None)
    storage.objects[asked["upload"]["fields"]["key"]] = (JPEG, "image/jpeg", {})
    done = desk.container.evidence.complete(merchant, case["case_id"], asked["evidence_id"])
    desk.drain()
    # THEN it is available, and the supervisor hears of it, with the file's name
    assert done["status"] == "available"
    told = desk.email.sent[before:]
    assert [m["to"] for m in told] == ["lead@desk.example.com"]
    assert "商户上传了证据文件" in told[0]["subject"]
    assert "签收单.jpg" in told[0]["text"]
    assert "尚未分配经办人" in told[0]["text"]
    # AND the customer is told nothing
    assert desk.sms.sent == [] or all("签收单" not in text for _, text in desk.sms.sent)


def test_the_evidence_sweep_stops_when_time_runs_short() -> None:
    # GIVEN three uploads nobody completed, long expired
    desk = make_desk()
    case = desk.file(complaint())
    customer = Caller.customer()
    body = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10}
    for _ in range(3):
        desk.container.evidence.request(customer, case["case_id"], body, None)
    desk.clock.advance(timedelta(hours=2).total_seconds())
    # WHEN the sweep runs with time for one file only
    left = [True, False]
    swept = desk.container.evidence.sweep(stop=lambda: not left.pop(0) if left else True)
    # THEN it handled one, and the next sweep the rest
    assert swept == 1
    assert desk.container.evidence.sweep() == 2
    statuses = {e.status.value for e in desk.store.evidence_of(case["case_id"])}
    assert statuses == {"rejected"}
