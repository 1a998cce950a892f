"""The evidence bucket in the packaged template: encrypted with the stack's data key, never
public, TLS only, unfinished uploads expiring, CORS for the wallet's origins, GuardDuty Malware
Protection behind a parameter with reads refused until the scan says clean, and S3 rights only
for the two functions that call S3, each for what it calls."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.cfn import function_by_handler

DATA_KEY_ARN = {"Fn::GetAtt": ["DataKey", "Arn"]}


@pytest.fixture(scope="module")
def resources(dev_template: dict[str, Any]) -> dict[str, Any]:
    return dict(dev_template["Resources"])


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return list(policy["PolicyDocument"]["Statement"])


def test_bucket_is_encrypted_with_the_data_key_and_never_public(resources: dict[str, Any]) -> None:
    bucket = resources["EvidenceBucket"]
    props = bucket["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": DATA_KEY_ARN,
    }
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert bucket["DeletionPolicy"] == "Retain"


def test_unfinished_uploads_expire_and_kept_files_do_not(resources: dict[str, Any]) -> None:
    rules = resources["EvidenceBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = [r for r in rules if "ExpirationInDays" in r]
    assert expiring == [
        {
            "Id": "unfinished-uploads",
            "Status": "Enabled",
            "Prefix": "uploads/",
            "ExpirationInDays": 1,
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        }
    ]


def test_cors_lets_the_wallets_origins_post_and_get(
    resources: dict[str, Any], dev_template: dict[str, Any]
) -> None:
    (rule,) = resources["EvidenceBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == {"Ref": "EvidenceAllowedOrigins"}
    assert sorted(rule["AllowedMethods"]) == ["GET", "POST"]
    assert dev_template["Parameters"]["EvidenceAllowedOrigins"]["Type"] == "CommaDelimitedList"


def test_bucket_policy_refuses_plain_http_and_other_encryption(resources: dict[str, Any]) -> None:
    policy = resources["EvidenceBucketPolicy"]["Properties"]
    by_sid = {s["Sid"]: s for s in _statements(policy) if "Sid" in s}
    tls = by_sid["TlsOnly"]
    assert (tls["Effect"], tls["Action"]) == ("Deny", "s3:*")
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    key = by_sid["OnlyTheStacksKmsKey"]["Condition"]["StringNotEqualsIfExists"]
    assert key == {"s3:x-amz-server-side-encryption-aws-kms-key-id": DATA_KEY_ARN}
    uploads = by_sid["UnfinishedUploadsReadOnlyByTheApi"]
    assert uploads["Resource"] == {"Fn::Sub": "${EvidenceBucket.Arn}/uploads/*"}
    assert uploads["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == {
        "Fn::GetAtt": ["ApiHandlerRole", "Arn"]
    }


def test_malware_scanning_is_a_parameter_that_gates_every_read(
    resources: dict[str, Any], dev_template: dict[str, Any]
) -> None:
    assert dev_template["Parameters"]["EvidenceMalwareScan"]["AllowedValues"] == ["on", "off"]
    assert dev_template["Parameters"]["EvidenceMalwareScan"]["Default"] == "off"
    plan = resources["EvidenceMalwareProtection"]
    assert plan["Condition"] == resources["EvidenceScanRole"]["Condition"] == "ScanEvidence"
    props = plan["Properties"]
    assert props["ProtectedResource"]["S3Bucket"]["ObjectPrefixes"] == ["cases/"]
    assert props["Actions"] == {"Tagging": {"Status": "ENABLED"}}
    gated = [
        s["Fn::If"][1]
        for s in _statements(resources["EvidenceBucketPolicy"]["Properties"])
        if "Fn::If" in s
    ]
    read = next(s for s in gated if s["Sid"] == "ReadOnlyFilesTheScanFoundClean")
    assert read["Effect"] == "Deny"
    assert read["Condition"]["StringNotEquals"] == {
        "s3:ExistingObjectTag/GuardDutyMalwareScanStatus": "NO_THREATS_FOUND"
    }
    tags = next(s for s in gated if s["Sid"] == "OnlyTheScannerTags")
    assert "s3:PutObjectTagging" in tags["Action"]
    # the functions learn whether to wait for the scan
    env = dev_template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["PAYCASE_EVIDENCE_SCANNING"] == {"Fn::If": ["ScanEvidence", "true", "false"]}
    assert env["PAYCASE_EVIDENCE_KMS_KEY_ID"] == DATA_KEY_ARN


def test_only_the_api_and_the_sweeper_may_touch_evidence(
    resources: dict[str, Any], dev_template: dict[str, Any]
) -> None:
    api_role = function_by_handler(dev_template, "app.app").replace("APIHandler", "ApiHandler")
    policies = {
        logical_id: r
        for logical_id, r in resources.items()
        if r.get("Type") == "AWS::IAM::Policy" and "EvidenceBucket" in str(r)
    }
    assert {
        logical_id: [ref["Ref"] for ref in p["Properties"]["Roles"]]
        for logical_id, p in policies.items()
    } == {"EvidenceApiPolicy": [f"{api_role}Role"], "EvidenceSweeperPolicy": ["SweeperRole"]}
    api = _statements(policies["EvidenceApiPolicy"]["Properties"])
    actions = {a for s in api for a in s["Action"]}
    assert actions == {
        "s3:PutObject",  # the presigned POST is signed with this role, and the copy
        "s3:GetObject",  # HEAD, the ranged GET, the copy's source, the presigned GET
        "s3:DeleteObject",
        "s3:GetObjectTagging",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    }
    kms = next(s for s in api if s["Sid"] == "EncryptedWithTheDataKey")
    assert kms["Resource"] == DATA_KEY_ARN
    assert "kms:ViaService" in kms["Condition"]["StringEquals"]
    sweeper = _statements(policies["EvidenceSweeperPolicy"]["Properties"])
    assert {
        a for s in sweeper for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    } == {
        "s3:DeleteObject",
        "s3:GetObjectTagging",
    }
    # the shared per-stage policy grants no S3 at all
    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::IAM::Role" and logical_id != "EvidenceScanRole":
            assert "s3:" not in str(resource.get("Properties", {}).get("Policies", [])), logical_id
