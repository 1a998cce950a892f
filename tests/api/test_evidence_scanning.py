"""Evidence on a stack that scans files for malware (GuardDuty's tag on the kept object decides),
and the sweeper's part: scan results read, uploads never completed rejected as expired."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

import app
from chalicelib import wiring
from chalicelib.adapters.evidence_storage import SCAN_TAG
from chalicelib.domain.clock import FixedClock
from tests.api.conftest import Api
from tests.api.desk import Desk
from tests.api.test_evidence_api import PNG, ask, complete, objects, store
from tests.builders import MONDAY_10AM
from tests.moto_stack import SHARED
from tests.openapi_check import ContractClient


@pytest.fixture
def scanning(moto_base: wiring.Container) -> Iterator[Api]:
    """The API on a container whose stack scans evidence."""
    clock = FixedClock(MONDAY_10AM)
    shared = {name: getattr(moto_base, name) for name in SHARED}
    settings = replace(moto_base.settings, evidence_scanning=True)
    container = wiring.Container(settings, clock=clock, pause=clock.advance, **shared)
    wiring.use(container)
    try:
        with ContractClient(app.app, stage_name="local") as client:
            yield Api(client, container, clock)
    finally:
        wiring.use(None)


def tag(api: Api, key: str, value: str) -> None:
    s3 = api.container.client("s3")
    bucket = api.container.settings.evidence_bucket
    s3.put_object_tagging(
        Bucket=bucket, Key=key, Tagging={"TagSet": [{"Key": SCAN_TAG, "Value": value}]}
    )


def _completed(api: Api, desk: Desk) -> tuple[dict[str, str], str, str]:
    case = desk.file()
    answer = ask(api, case)
    store(api, answer.json_body, PNG)
    evidence_id = answer.json_body["evidence_id"]
    path = f"/v1/cases/{case['case_id']}/evidence/{evidence_id}"
    done = complete(api, path, case["access_token"])
    assert done.status_code == 200, done.body
    assert (done.json_body["status"], done.json_body["scan"]) == ("pending_scan", "pending")
    return case, path, f"cases/{case['case_id']}/{evidence_id}"


def test_a_file_is_available_only_once_its_scan_says_clean(scanning: Api) -> None:
    desk = Desk(scanning)
    case, path, key = _completed(scanning, desk)
    # WHILE no scan result is there: no download, no timeline entry, asking again changes nothing
    one = scanning.get(path, case["access_token"])
    assert one.json_body["download_url"] is None
    assert complete(scanning, path, case["access_token"]).json_body["status"] == "pending_scan"
    assert "evidence_added" not in [e["type"] for e in desk.customer_view(case)["timeline"]]
    # WHEN GuardDuty tags it clean THEN the next complete makes it available
    tag(scanning, key, "NO_THREATS_FOUND")
    done = complete(scanning, path, case["access_token"])
    assert (done.json_body["status"], done.json_body["scan"]) == ("available", "no_threats_found")
    assert scanning.get(path, case["access_token"]).json_body["download_url"]
    assert "evidence_added" in [e["type"] for e in desk.customer_view(case)["timeline"]]


def test_a_file_with_threats_is_rejected_and_deleted_by_the_sweeper(scanning: Api) -> None:
    desk = Desk(scanning)
    case, path, key = _completed(scanning, desk)
    tag(scanning, key, "THREATS_FOUND")
    # WHEN the sweeper runs 5 minutes later
    scanning.clock.advance(timedelta(minutes=5).total_seconds())
    assert scanning.container.evidence.sweep() == 1
    # THEN the file is rejected for its threats, and nothing of it is left
    one = scanning.get(path, case["access_token"]).json_body
    assert (one["status"], one["reason"], one["scan"]) == (
        "rejected",
        "threats_found",
        "threats_found",
    )
    assert objects(scanning) == []


def test_an_upload_never_completed_expires(api: Api, desk: Desk) -> None:
    # GIVEN an upload that was stored but never completed
    case = desk.file()
    answer = ask(api, case)
    store(api, answer.json_body, PNG)
    path = f"/v1/cases/{case['case_id']}/evidence/{answer.json_body['evidence_id']}"
    # WHEN the sweeper runs before its time is up THEN it is left alone
    api.clock.advance(timedelta(minutes=30).total_seconds())
    assert api.container.evidence.sweep() == 0
    # WHEN it runs an hour after the upload's 5 minutes
    api.clock.advance(timedelta(minutes=36).total_seconds())
    assert api.container.evidence.sweep() == 1
    # THEN the file is rejected as expired and its object removed; a late complete says so
    assert objects(api) == []
    late = complete(api, path, case["access_token"]).json_body
    assert (late["status"], late["reason"]) == ("rejected", "expired")
    assert api.container.evidence.sweep() == 0
