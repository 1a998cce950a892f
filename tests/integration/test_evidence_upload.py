"""Evidence on the local stack's engines: the presigned POST the API hands out, posted as a
browser would (a multipart form) to moto's S3 server, completed, and downloaded again from the
presigned GET, byte for byte."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from chalice.test import Client

import app
from chalicelib import wiring
from tests.builders import complaint
from tests.openapi_check import ContractClient

pytestmark = pytest.mark.integration

# A 1x1 PNG (a real one: signature, IHDR, IDAT, IEND).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a3e6bb"
    "dc0000000049454e44ae426082"
)


@pytest.fixture
def client(container: wiring.Container) -> Iterator[Client]:
    wiring.use(container)
    try:
        with ContractClient(app.app, stage_name="local") as c:
            yield c
    finally:
        wiring.use(None)


def _post(client: Client, path: str, body: Any, token: str) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.http.post(path, headers=headers, body=json.dumps(body))


def test_a_browser_style_upload_to_the_presigned_post_downloads_as_the_same_bytes(
    client: Client,
) -> None:
    # GIVEN a customer's case
    filed = _post(client, "/v1/complaints", complaint(), "")
    case_id, token = filed.json_body["case_id"], filed.json_body["access_token"]
    base = f"/v1/cases/{case_id}/evidence"
    # WHEN they ask for an upload of a screenshot, declaring its SHA-256
    body = {
        "filename": "付款成功.png",
        "content_type": "image/png",
        "size_bytes": len(PNG),
        "sha256": hashlib.sha256(PNG).hexdigest(),
    }
    asked = _post(client, base, body, token)
    assert asked.status_code == 201, asked.body
    upload = asked.json_body["upload"]
    # AND post the form with the file to the presigned URL, as a browser form would
    posted = requests.post(
        upload["url"],
        data=upload["fields"],
        files={"file": ("付款成功.png", PNG, "image/png")},
        timeout=10,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    # AND complete it
    path = f"{base}/{asked.json_body['evidence_id']}"
    done = _post(client, f"{path}/complete", {}, token)
    # THEN it is available, and its presigned GET answers the same bytes as an attachment
    assert done.status_code == 200, done.body
    assert done.json_body["status"] == "available"
    one = client.http.get(path, headers={"Authorization": f"Bearer {token}"})
    got = requests.get(one.json_body["download_url"], timeout=10)
    assert got.status_code == 200
    assert got.content == PNG
    assert got.headers["Content-Disposition"].startswith("attachment;")


def test_a_text_file_posted_as_png_is_rejected_and_gone(
    client: Client, container: wiring.Container
) -> None:
    filed = _post(client, "/v1/complaints", complaint(), "")
    case_id, token = filed.json_body["case_id"], filed.json_body["access_token"]
    text = b"just some text, not a picture"
    body = {"filename": "fake.png", "content_type": "image/png", "size_bytes": len(text)}
    asked = _post(client, f"/v1/cases/{case_id}/evidence", body, token)
    upload = asked.json_body["upload"]
    posted = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("fake.png", text)}, timeout=10
    )
    assert posted.status_code in (200, 201, 204), posted.text
    path = f"/v1/cases/{case_id}/evidence/{asked.json_body['evidence_id']}"
    done = _post(client, f"{path}/complete", {}, token)
    assert (done.json_body["status"], done.json_body["reason"]) == ("rejected", "type_mismatch")
    s3 = container.client("s3")
    listed = s3.list_objects_v2(Bucket=container.settings.evidence_bucket)
    assert listed.get("Contents", []) == []


def test_racing_upload_requests_never_take_a_case_past_its_limit(client: Client) -> None:
    # GIVEN a case holding 18 files, two short of its limit
    filed = _post(client, "/v1/complaints", complaint(), "")
    case_id, token = filed.json_body["case_id"], filed.json_body["access_token"]
    base = f"/v1/cases/{case_id}/evidence"
    body = {"filename": "a.pdf", "content_type": "application/pdf", "size_bytes": 1000}
    for _ in range(18):
        assert _post(client, base, body, token).status_code == 201
    # WHEN eight more requests race
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: _post(client, base, body, token), range(8)))
    # THEN two were taken, the others refused for the limit (or told to retry), never more
    statuses = [a.status_code for a in answers]
    assert statuses.count(201) <= 2
    assert set(statuses) <= {201, 409, 503}, statuses
    listed = client.http.get(f"{base}?limit=200", headers={"Authorization": f"Bearer {token}"})
    assert len(listed.json_body["items"]) == 18 + statuses.count(201)
    assert len(listed.json_body["items"]) <= 20
