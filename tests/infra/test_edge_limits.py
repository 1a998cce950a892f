"""What the deployed stage does against floods before any code runs: API Gateway's stage
throttling (lower on the calls that need no credential and send SMS), an optional WAF web ACL
limiting each source IP, the SNS SMS monthly spend limit, and an alarm on SMS sent per hour."""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import pytest

from tests.infra.cfn import references, resources_of_type

pytestmark = pytest.mark.infra

INTAKE = ("/~1v1~1complaints", "/~1v1~1otp", "/~1v1~1sessions")  # API Gateway's path escaping


def _default(template: dict[str, Any], parameter: str) -> int:
    return int(template["Parameters"][parameter]["Default"])


def test_stage_throttles_every_method_and_the_intake_calls_lower(
    dev_template: dict[str, Any],
) -> None:
    # GIVEN the packaged REST API's stage settings
    settings = dev_template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    by_path = {(s["ResourcePath"], s["HttpMethod"]): s for s in settings}
    # THEN every method has a steady rate and a burst, from the template's parameters
    every = by_path[("/*", "*")]
    assert every["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}
    assert every["ThrottlingBurstLimit"] == {"Ref": "ApiThrottleBurst"}
    # AND filing a complaint, asking for a code and opening a session have their own, lower
    assert set(by_path) == {("/*", "*")} | {(path, "POST") for path in INTAKE}
    for path in INTAKE:
        assert by_path[(path, "POST")]["ThrottlingRateLimit"] == {"Ref": "IntakeThrottleRate"}
        assert by_path[(path, "POST")]["ThrottlingBurstLimit"] == {"Ref": "IntakeThrottleBurst"}
    assert _default(dev_template, "IntakeThrottleRate") < _default(dev_template, "ApiThrottleRate")
    assert _default(dev_template, "IntakeThrottleBurst") < _default(
        dev_template, "ApiThrottleBurst"
    )
    # AND what API Gateway throttles is answered in the API's error format
    throttled = dev_template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]["THROTTLED"]
    assert throttled["StatusCode"] == "429"
    body = json.loads(throttled["ResponseTemplates"]["application/json"])
    assert body["error"]["code"] == "rate_limited"


def test_waf_web_acl_is_optional_and_blocks_a_source_ip_past_its_rate(
    dev_template: dict[str, Any],
) -> None:
    resources = dev_template["Resources"]
    waf = {
        logical_id: resource
        for logical_id, resource in resources.items()
        if str(resource.get("Type", "")).startswith("AWS::WAFv2::") or logical_id == "WafLogGroup"
    }
    # GIVEN the template's parameter: 0 (the default) means no web ACL at all
    assert _default(dev_template, "WafRequestsPerIp") == 0
    condition = dev_template["Conditions"]["HasWaf"]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "WafRequestsPerIp"}, "0"]}]}
    assert set(waf) == {"WebAcl", "WebAclAssociation", "WebAclLogging", "WafLogGroup"}
    assert {resource["Condition"] for resource in waf.values()} == {"HasWaf"}
    # THEN the web ACL lets requests through unless one source IP sends more than the limit
    acl = resources["WebAcl"]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    (per_ip,) = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    statement = per_ip["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP"
    assert statement["Limit"] == {"Ref": "WafRequestsPerIp"}
    assert statement["EvaluationWindowSec"] == 300
    # AND blocks it with a 429 in the API's error format, saying when to come back
    block = per_ip["Action"]["Block"]["CustomResponse"]
    assert block["ResponseCode"] == 429
    assert block["ResponseHeaders"] == [{"Name": "Retry-After", "Value": "300"}]
    answer = acl["CustomResponseBodies"][block["CustomResponseBodyKey"]]
    assert answer["ContentType"] == "APPLICATION_JSON"
    assert json.loads(answer["Content"])["error"]["code"] == "rate_limited"
    # AND it guards the API's stage, and logs to a group WAF accepts (named aws-waf-logs-...)
    association = resources["WebAclAssociation"]["Properties"]
    assert {"RestAPI", "RestAPI.Stage"} <= references(association["ResourceArn"])
    assert association["WebACLArn"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}
    log_group = resources["WafLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]
    assert log_group.startswith("aws-waf-logs-")
    logging = resources["WebAclLogging"]["Properties"]
    assert logging["LogDestinationConfigs"] == [{"Fn::GetAtt": ["WafLogGroup", "Arn"]}]


class _FakeSns:
    def __init__(self) -> None:
        self.attributes: list[dict[str, str]] = []

    def set_sms_attributes(self, attributes: dict[str, str]) -> None:
        self.attributes.append(attributes)


def _run_sms_settings(code: str, event: dict[str, Any]) -> tuple[_FakeSns, list[str]]:
    """The custom resource's inline code, run with stand-ins for boto3 and cfnresponse."""
    sns = _FakeSns()
    answers: list[str] = []
    boto3 = types.ModuleType("boto3")
    boto3.client = lambda name: sns  # type: ignore[attr-defined]
    cfnresponse = types.ModuleType("cfnresponse")
    cfnresponse.SUCCESS, cfnresponse.FAILED = "SUCCESS", "FAILED"  # type: ignore[attr-defined]
    cfnresponse.send = lambda e, c, status, *a: answers.append(status)  # type: ignore[attr-defined]
    saved = {name: sys.modules.get(name) for name in ("boto3", "cfnresponse")}
    sys.modules.update(boto3=boto3, cfnresponse=cfnresponse)
    try:
        namespace: dict[str, Any] = {}
        exec(compile(code, "index.py", "exec"), namespace)  # noqa: S102 - the template's code
        namespace["handler"](event, None)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return sns, answers


def test_stack_sets_the_sms_monthly_spend_limit_from_its_parameter(
    dev_template: dict[str, Any],
) -> None:
    resources = dev_template["Resources"]
    # GIVEN the SMS settings custom resource, given the spend limit parameter
    settings = resources["SmsDeliveryStatus"]["Properties"]
    assert settings["MonthlySpendLimit"] == {"Ref": "SmsMonthlySpendLimitUsd"}
    assert _default(dev_template, "SmsMonthlySpendLimitUsd") >= 1
    code = resources["SmsSettingsFunction"]["Properties"]["Code"]["ZipFile"]
    # WHEN CloudFormation creates it with a limit of 250 USD
    props = {"RoleArn": "arn:aws:iam::1:role/x", "SuccessSamplingRate": "100"}
    event = {"RequestType": "Create", "ResourceProperties": {**props, "MonthlySpendLimit": 250}}
    sns, answers = _run_sms_settings(code, event)
    # THEN SNS is told the limit (as the string SetSMSAttributes takes) and the stack goes on
    assert sns.attributes == [
        {
            "DeliveryStatusIAMRole": "arn:aws:iam::1:role/x",
            "DeliveryStatusSuccessSamplingRate": "100",
            "MonthlySpendLimit": "250",
        }
    ]
    assert answers == ["SUCCESS"]


def test_alarm_when_more_sms_go_out_in_an_hour_than_the_threshold(
    dev_template: dict[str, Any],
) -> None:
    alarms = resources_of_type(dev_template, "AWS::CloudWatch::Alarm")
    alarm = alarms["SmsSentPerHourAlarm"]["Properties"]
    # THEN it counts every SMS SNS publishes to a phone number, per hour
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SNS", "NumberOfMessagesPublished")
    assert alarm["Dimensions"] == [{"Name": "PhoneNumber", "Value": "PhoneNumberDirect"}]
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Sum", 3600, 1)
    # AND fires above the template's threshold parameter, to the alarm topic
    assert alarm["Threshold"] == {"Ref": "SmsPerHourAlarmThreshold"}
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
