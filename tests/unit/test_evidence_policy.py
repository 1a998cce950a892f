"""The presigned upload's policy, decoded, and each condition S3 will hold the upload to; the
presigned download's parameters. Presigning is local: these run with the network off."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config

from chalicelib.adapters.evidence_storage import S3EvidenceStorage, attachment

BUCKET = "paycase-prod-evidence"
KEY_ARN = "arn:aws:kms:ap-southeast-1:123456789012:key/11111111-2222-3333-4444-555555555555"
UPLOAD = "uploads/01JDX3Y7Z8A9B0C1D2E3F4G5H6/01JDX3Y7Z8A9B0C1D2E3F4G5H7"


@pytest.fixture
def storage() -> S3EvidenceStorage:
    client = boto3.session.Session(
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="secret",
        region_name="ap-southeast-1",
    ).client("s3", config=Config(signature_version="s3v4"))
    return S3EvidenceStorage(client, BUCKET, KEY_ARN)


def policy_of(posted: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(posted["fields"]["policy"]))
    return decoded


def conditions(policy: dict[str, Any]) -> list[Any]:
    return list(policy["conditions"])


def test_policy_pins_the_bucket_and_the_exact_key(storage: S3EvidenceStorage) -> None:
    posted = storage.presign_upload(UPLOAD, "image/png", 300)
    found = conditions(policy_of(posted))
    assert {"bucket": BUCKET} in found
    assert ["eq", "$key", UPLOAD] in found
    assert {"key": UPLOAD} in found  # boto3's own, also exact
    # no starts-with condition would let the client choose another key
    assert not [c for c in found if isinstance(c, list) and c[0] == "starts-with"]
    assert posted["fields"]["key"] == UPLOAD


def test_policy_pins_the_exact_content_type(storage: S3EvidenceStorage) -> None:
    posted = storage.presign_upload(UPLOAD, "application/pdf", 300)
    found = conditions(policy_of(posted))
    assert ["eq", "$Content-Type", "application/pdf"] in found
    assert posted["fields"]["Content-Type"] == "application/pdf"


def test_policy_limits_the_size_from_1_byte_to_10_mib(storage: S3EvidenceStorage) -> None:
    found = conditions(policy_of(storage.presign_upload(UPLOAD, "image/jpeg", 300)))
    ranges = [c for c in found if isinstance(c, list) and c[0] == "content-length-range"]
    assert ranges == [["content-length-range", 1, 10 * 1024 * 1024]]


def test_policy_requires_sse_kms_with_the_stacks_key(storage: S3EvidenceStorage) -> None:
    posted = storage.presign_upload(UPLOAD, "image/png", 300)
    found = conditions(policy_of(posted))
    assert {"x-amz-server-side-encryption": "aws:kms"} in found
    assert {"x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN} in found
    assert posted["fields"]["x-amz-server-side-encryption"] == "aws:kms"
    assert posted["fields"]["x-amz-server-side-encryption-aws-kms-key-id"] == KEY_ARN


def test_policy_expires_after_5_minutes(storage: S3EvidenceStorage) -> None:
    before = datetime.now(UTC)
    policy = policy_of(storage.presign_upload(UPLOAD, "image/png", 300))
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before + timedelta(seconds=298) <= expires <= before + timedelta(seconds=301)


def test_policy_is_signed_with_sigv4_for_the_bucket(storage: S3EvidenceStorage) -> None:
    posted = storage.presign_upload(UPLOAD, "image/png", 300)
    fields = posted["fields"]
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert fields["x-amz-credential"].startswith("AKIAEXAMPLE/")
    assert fields["x-amz-signature"]
    assert BUCKET in posted["url"]
    # every field the form sends is one the policy names
    found = conditions(policy_of(posted))
    named = {k.lower() for c in found if isinstance(c, dict) for k in c}
    named |= {c[1].lstrip("$").lower() for c in found if isinstance(c, list) and c[0] == "eq"}
    assert {k.lower() for k in fields if k != "policy" and k != "x-amz-signature"} <= named


def test_without_a_key_id_the_policy_still_requires_kms() -> None:
    client = boto3.session.Session(
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="secret",
        region_name="ap-southeast-1",
    ).client("s3", config=Config(signature_version="s3v4"))
    posted = S3EvidenceStorage(client, BUCKET).presign_upload(UPLOAD, "image/png", 300)
    found = conditions(policy_of(posted))
    assert {"x-amz-server-side-encryption": "aws:kms"} in found
    assert not [
        c
        for c in found
        if isinstance(c, dict) and "x-amz-server-side-encryption-aws-kms-key-id" in c
    ]


def test_download_is_an_attachment_valid_5_minutes(storage: S3EvidenceStorage) -> None:
    url = storage.presign_download("cases/c/e", "支付截图.png", "image/png", 300)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["X-Amz-Expires"] == "300"
    assert query["response-content-type"] == "image/png"
    disposition = query["response-content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E6%94%AF%E4%BB%98%E6%88%AA%E5%9B%BE.png" in disposition
    assert urlsplit(url).path.endswith("/cases/c/e")


def test_attachment_names_survive_quotes_and_non_ascii() -> None:
    header = attachment('a"b\\c 报告.pdf')
    assert header.startswith('attachment; filename="a_b_c __.pdf"; ')
    assert header.endswith("filename*=UTF-8''a%22b%5Cc%20%E6%8A%A5%E5%91%8A.pdf")
