"""The template's security posture: checkov on the packaged template, personal data at rest under
the stack's data key (with key policies for the services that use it), API access logs and
tracing, and reserved concurrency on the functions that send SMS."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devstack.env import ROOT
from tests.infra.cfn import function_by_handler, references, resources_of_type, with_stage

STAGE = "dev"
CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"
DATA_KEY_REF = {"Ref": "DataKey"}
DATA_KEY_ARN = {"Fn::GetAtt": ["DataKey", "Arn"]}


def _checkov(template: Path) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV}: run `make deps`")
    result = subprocess.run(
        [
            str(CHECKOV),
            "--file",
            str(template),
            "--framework",
            "cloudformation",
            "--skip-download",  # offline: only the checks shipped with the pinned version
            "--output",
            "json",
            "--compact",
        ],
        cwd=template.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    return dict(report[0] if isinstance(report, list) else report)


def test_packaged_template_passes_checkov_with_a_reason_for_every_skip(
    dev_template_path: Path, dev_template: dict[str, Any]
) -> None:
    # GIVEN the dev stage packaged with the merge template
    # WHEN checkov scans it
    report = _checkov(dev_template_path)
    results = report["results"]
    # THEN it parsed the template and ran its checks over every resource
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] == len(dev_template["Resources"])
    assert report["summary"]["passed"] >= 100
    # AND no check fails
    failed = [f"{c['check_id']} {c['resource']}" for c in results["failed_checks"]]
    assert failed == []
    # AND every check skipped is skipped beside its resource with a written reason
    for check in results["skipped_checks"]:
        resource = check["resource"].split(".", 1)[1]
        skips = dev_template["Resources"][resource]["Metadata"]["checkov"]["skip"]
        (entry,) = [s for s in skips if s["id"] == check["check_id"]]
        assert len(entry["comment"].split()) >= 8, (check["check_id"], resource)


def test_personal_data_at_rest_is_under_the_stacks_data_key(dev_template: dict[str, Any]) -> None:
    # GIVEN everything in the template that stores or carries people's data
    resources = dev_template["Resources"]
    # THEN every table, secret, queue and topic is encrypted with the stack's data key
    for table in resources_of_type(dev_template, "AWS::DynamoDB::Table").values():
        assert table["Properties"]["SSESpecification"]["KMSMasterKeyId"] == DATA_KEY_REF
    for secret in resources_of_type(dev_template, "AWS::SecretsManager::Secret").values():
        assert secret["Properties"]["KmsKeyId"] == DATA_KEY_REF
    for queue in resources_of_type(dev_template, "AWS::SQS::Queue").values():
        assert queue["Properties"]["KmsMasterKeyId"] == DATA_KEY_REF
        assert "SqsManagedSseEnabled" not in queue["Properties"]
    topics = resources_of_type(dev_template, "AWS::SNS::Topic")
    assert {"InboundSmsTopic", "SesEventsTopic", "AlarmTopic"} <= set(topics)
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"] == DATA_KEY_REF
    # AND so is every log group (SMS delivery records carry phone numbers) and every function's
    # environment (it holds the token key and the webhook secret)
    for group in resources_of_type(dev_template, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["KmsKeyId"] == DATA_KEY_ARN
    assert dev_template["Globals"]["Function"]["KmsKeyArn"] == DATA_KEY_ARN
    # AND the key rotates, outlives the stack, and has the stage's alias
    key = resources["DataKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"
    alias = resources["DataKeyAlias"]["Properties"]
    assert with_stage(alias["AliasName"], STAGE) == f"alias/paycase-{STAGE}-data"
    assert alias["TargetKeyId"] == DATA_KEY_REF


def _key_statements(dev_template: dict[str, Any]) -> list[dict[str, Any]]:
    return list(dev_template["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"])


def _service_grants(dev_template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    grants: dict[str, dict[str, Any]] = {}
    for statement in _key_statements(dev_template):
        services = statement["Principal"].get("Service", [])
        for service in [services] if isinstance(services, str | dict) else services:
            grants[json.dumps(service, sort_keys=True)] = statement
    return grants


def test_data_key_lets_the_services_that_publish_to_encrypted_topics_use_it(
    dev_template: dict[str, Any],
) -> None:
    # GIVEN who publishes to each encrypted topic: SES its email events, CloudWatch its alarms,
    # AWS End User Messaging the SMS replies; EventBridge may target the topics and queues
    resources = dev_template["Resources"]
    destination = resources["EmailEventDestination"]["Properties"]["EventDestination"]
    assert destination["SnsDestination"]["TopicARN"] == {"Ref": "SesEventsTopic"}
    for alarm in resources_of_type(dev_template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    publishers = ("ses", "cloudwatch", "sms-voice", "events")
    grants = _service_grants(dev_template)
    for service in publishers:
        # WHEN the key policy is read for that service
        grant = grants[json.dumps(f"{service}.amazonaws.com")]
        # THEN it may make and open data keys (what publishing to an encrypted topic or queue
        # takes), and only for this account
        assert set(grant["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}, service
        assert grant["Condition"] == {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        }, service


def test_data_key_lets_cloudwatch_logs_encrypt_only_this_accounts_log_groups(
    dev_template: dict[str, Any],
) -> None:
    grants = _service_grants(dev_template)
    grant = grants[json.dumps({"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}, sort_keys=True)]
    condition = grant["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert condition == {
        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
    }
    assert "kms:GenerateDataKey*" in grant["Action"]


def test_data_key_policy_delegates_to_iam_and_names_no_wildcard_principal(
    dev_template: dict[str, Any],
) -> None:
    # GIVEN the data key's policy
    statements = _key_statements(dev_template)
    # THEN the account administers it and its IAM policies grant its use (the functions' policy
    # allows it only through DynamoDB, SQS and Lambda), and no statement opens it to everyone
    (admin,) = [s for s in statements if s["Action"] == "kms:*"]
    assert admin["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }
    assert all(s["Principal"] != "*" and s["Principal"].get("AWS") != "*" for s in statements)


def test_scheduler_role_may_encrypt_dead_letters_under_the_data_key(
    dev_template: dict[str, Any],
) -> None:
    # GIVEN the role EventBridge Scheduler sends failed invocations to its dead-letter queue with
    role = dev_template["Resources"]["SchedulerRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    # THEN it may make and open data keys with the data key, through SQS only
    (grant,) = [s for s in statements if references(s.get("Resource")) == {"DataKey"}]
    assert set(grant["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert grant["Condition"] == {"StringLike": {"kms:ViaService": "sqs.*.amazonaws.com"}}


def test_api_writes_encrypted_access_logs_and_traces(dev_template: dict[str, Any]) -> None:
    # GIVEN the REST API chalice generated
    resources = dev_template["Resources"]
    (api,) = resources_of_type(dev_template, "AWS::Serverless::Api").values()
    properties = api["Properties"]
    # THEN X-Ray traces it and every request is logged to a log group of its own, encrypted,
    # kept a year, one JSON line per request that names the request id the functions log
    assert properties["TracingEnabled"] is True
    setting = properties["AccessLogSetting"]
    (group,) = references(setting["DestinationArn"])
    log_group = resources[group]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert log_group["Properties"]["KmsKeyId"] == DATA_KEY_ARN
    line = json.loads(setting["Format"])
    assert line["requestId"] == "$context.requestId"
    assert {"$context.status", "$context.resourcePath", "$context.xrayTraceId"} <= set(
        line.values()
    )
    # AND no query string, header or body is logged (they can carry phone numbers and tokens)
    assert not any(
        word in value for value in line.values() for word in ("querystring", "header", "body")
    )
    # AND API Gateway has the account's CloudWatch role before the stage is created
    assert api["DependsOn"] == ["ApiGatewayAccount"]
    account = resources["ApiGatewayAccount"]["Properties"]
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}
    role = resources["ApiGatewayCloudWatchRole"]
    assert role["DeletionPolicy"] == "Retain"  # another stage's logging uses the same setting
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "apigateway.amazonaws.com"}


@pytest.mark.parametrize(("handler", "limit"), [("app.outbox_consumer", 20), ("app.sweeper", 1)])
def test_functions_that_send_sms_have_reserved_concurrency(
    dev_template: dict[str, Any], handler: str, limit: int
) -> None:
    # GIVEN a function that sends SMS (the outbox consumer, and the sweeper that redrives it)
    function = dev_template["Resources"][function_by_handler(dev_template, handler)]
    # THEN at most this many run at once, so a runaway loop cannot spend the SMS budget in
    # parallel (one sweeper at a time: runs never overlap)
    assert function["Properties"]["ReservedConcurrentExecutions"] == limit
