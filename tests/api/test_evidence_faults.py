"""Evidence when S3 fails (faults injected at the botocore layer of the real S3 client): every
fault is a 503 with Retry-After, and `complete` called again finishes the work once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib import wiring
from chalicelib.domain.evidence import REMOVAL_RETRY
from tests.api.conftest import Api, error_of
from tests.api.desk import Desk
from tests.api.test_evidence_api import PNG, ask, complete, objects, store
from tests.botocore_faults import BotocoreFaults


@pytest.fixture
def s3(moto_base: wiring.Container) -> Iterator[BotocoreFaults]:
    with BotocoreFaults(moto_base.client("s3")) as faults:
        yield faults


def _asked_and_stored(api: Api, desk: Desk, data: bytes = PNG) -> tuple[dict[str, str], str]:
    case = desk.file()
    body = {"filename": "a.png", "content_type": "image/png", "size_bytes": len(data)}
    answer = ask(api, case, body)
    store(api, answer.json_body, data)
    return case, f"/v1/cases/{case['case_id']}/evidence/{answer.json_body['evidence_id']}"


def _added(desk: Desk, case_id: str) -> int:
    timeline = desk.staff_view(case_id)["timeline"]
    return [e["type"] for e in timeline].count("evidence_added")


@pytest.mark.parametrize(
    ("operation", "fault"),
    [
        ("HeadObject", "throttle_every_attempt"),
        ("GetObject", "time_out"),
        ("CopyObject", "lose_answer"),
        ("CopyObject", "refuse_connection"),
    ],
)
def test_a_storage_fault_on_complete_is_503_and_a_retry_finishes_once(
    api: Api, desk: Desk, s3: BotocoreFaults, operation: str, fault: str
) -> None:
    # GIVEN a stored upload, and S3 failing that call every time
    case, path = _asked_and_stored(api, desk)
    getattr(s3, fault)(operation, times=3 if fault != "throttle_every_attempt" else 1)
    # WHEN the customer completes it
    failed = complete(api, path, case["access_token"])
    # THEN the answer is 503 with Retry-After, and the file is still pending
    assert failed.status_code == 503
    assert error_of(failed)["code"] == "unavailable"
    assert failed.headers["Retry-After"] == "2"
    assert s3.calls[operation] >= 1
    pending = api.get(path, case["access_token"]).json_body
    assert pending["status"] == "pending_upload"
    # WHEN S3 is back and the customer completes it again
    s3.clear()
    done = complete(api, path, case["access_token"])
    # THEN it is available once, kept and no longer under uploads/
    assert done.status_code == 200, done.body
    assert done.json_body["status"] == "available"
    assert _added(desk, case["case_id"]) == 1
    assert [k.split("/")[0] for k in objects(api)] == ["cases"]


def test_a_rejected_object_whose_delete_failed_is_deleted_by_the_next_complete(
    api: Api, desk: Desk, s3: BotocoreFaults
) -> None:
    case, path = _asked_and_stored(api, desk, data=b"plain text, not a picture")
    s3.time_out("DeleteObject", times=3)
    failed = complete(api, path, case["access_token"])
    assert failed.status_code == 503
    assert objects(api) != []  # the delete did not happen
    s3.clear()
    again = complete(api, path, case["access_token"])
    assert (again.json_body["status"], again.json_body["reason"]) == ("rejected", "type_mismatch")
    assert objects(api) == []


def test_a_rejected_object_whose_delete_failed_is_deleted_by_the_sweeper(
    api: Api, desk: Desk, s3: BotocoreFaults
) -> None:
    # GIVEN an upload that is not what it claims, and S3 timing out on every delete
    case, path = _asked_and_stored(api, desk, data=b"plain text, not a picture")
    s3.time_out("DeleteObject")
    failed = complete(api, path, case["access_token"])
    assert failed.status_code == 503
    assert objects(api) != []  # rejected, but its object is still stored
    # WHEN the customer never calls again, S3 is back, and the sweeper runs before it is due
    s3.clear()
    api.clock.advance(60)
    api.container.evidence.sweep()
    # THEN the object is left until its retry is due
    assert objects(api) != []
    # WHEN the sweeper runs once it is due
    api.clock.advance(REMOVAL_RETRY.total_seconds())
    api.container.evidence.sweep()
    # THEN the object is gone, the file stays rejected, and the sweeper is done with it
    assert objects(api) == []
    view = api.get(path, case["access_token"]).json_body
    assert (view["status"], view["reason"]) == ("rejected", "type_mismatch")
    far = api.clock.now() + REMOVAL_RETRY * 10
    assert api.container.evidence_files.evidence_due(far, 10) == []


def test_a_download_link_needs_no_call_to_storage(api: Api, desk: Desk, s3: BotocoreFaults) -> None:
    # GIVEN an available file, and S3 refusing every connection
    case, path = _asked_and_stored(api, desk)
    assert complete(api, path, case["access_token"]).json_body["status"] == "available"
    for operation in ("HeadObject", "GetObject", "PutObject", "CopyObject", "DeleteObject"):
        s3.refuse_connection(operation)
    # WHEN the customer asks for the file, or for a new upload
    one = api.get(path, case["access_token"])
    new = ask(api, case)
    # THEN both answer: presigning is signed here, without a call
    assert one.status_code == 200 and one.json_body["download_url"]
    assert new.status_code == 201
    assert sum(s3.calls.values()) == 0


def test_a_kept_files_upload_left_behind_by_a_failed_delete_does_not_fail_complete(
    api: Api, desk: Desk, s3: BotocoreFaults
) -> None:
    # GIVEN a stored upload, and S3 timing out every delete
    case, path = _asked_and_stored(api, desk)
    s3.time_out("DeleteObject", times=3)
    # WHEN it is completed
    done = complete(api, path, case["access_token"])
    # THEN it is available: the copy is kept, the upload is left for the lifecycle rule
    assert done.status_code == 200, done.body
    assert done.json_body["status"] == "available"
    assert sorted(k.split("/")[0] for k in objects(api)) == ["cases", "uploads"]
    assert _added(desk, case["case_id"]) == 1
