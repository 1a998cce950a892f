"""The CloudFormation template of a deployed stage (`chalice package` + `infra/resources.json`)
against what the code expects of AWS: tables like the PynamoDB models, the outbox stream wiring,
settings for every function, and IAM permissions for every call the adapters make."""

from __future__ import annotations

import json
import random
import string
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from chalicelib.adapters.dynamo.models import MODELS, AuditModel, table_suffix
from chalicelib.api.http import STATUS
from chalicelib.services.merchants import secret_context
from chalicelib.settings import Settings
from devstack.env import REGION, ROOT
from devstack.package import package
from tests.infra.cfn import (
    allows,
    dependency_graph,
    function_by_handler,
    function_environment,
    references,
    resources_of_type,
    with_stage,
)

STAGE = "dev"
ACCOUNT = "123456789012"
CHALICE_CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
SAM_DYNAMODB_EVENT_PROPERTIES = {
    "BatchSize",
    "BisectBatchOnFunctionError",
    "DestinationConfig",
    "Enabled",
    "FilterCriteria",
    "FunctionResponseTypes",
    "KmsKeyArn",
    "MaximumBatchingWindowInSeconds",
    "MaximumRecordAgeInSeconds",
    "MaximumRetryAttempts",
    "MetricsConfig",
    "ParallelizationFactor",
    "StartingPosition",
    "StartingPositionTimestamp",
    "Stream",
    "TumblingWindowInSeconds",
}
# Calls the adapters make on every table: TransactWriteItems is authorized per item as PutItem,
# UpdateItem, DeleteItem or ConditionCheckItem (TransactGetItems, unused so far, as GetItem).
TABLE_ACTIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem", "Query")
APPEND_ONLY_ACTIONS = ("GetItem", "PutItem", "ConditionCheckItem", "Query")
# Settings the template provides on top of the stage's `.chalice/config.json` environment.
TEMPLATE_ENVIRONMENT = {
    "PAYCASE_SCHEDULE_TARGET_ARN",
    "PAYCASE_SCHEDULE_ROLE_ARN",
    "PAYCASE_SCHEDULE_DLQ_ARN",
    "PAYCASE_KMS_KEY_ID",
    "PAYCASE_OUTBOX_STREAM_ARN",
    "PAYCASE_TOKEN_KEY",
    "PAYCASE_WEBHOOK_SECRET",
    "PAYCASE_FAILURE_QUEUE_URLS",
    "PAYCASE_EVIDENCE_BUCKET",
    "PAYCASE_EVIDENCE_KMS_KEY_ID",
    "PAYCASE_EVIDENCE_SCANNING",
}


def _tables_by_suffix(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    prefix = f"paycase-{STAGE}-"
    tables = {}
    for resource in resources_of_type(template, "AWS::DynamoDB::Table").values():
        name = with_stage(resource["Properties"]["TableName"], STAGE)
        assert name.startswith(prefix), name
        tables[name.removeprefix(prefix)] = resource
    return tables


def _keys(key_schema: list[dict[str, str]]) -> dict[str, str]:
    return {key["KeyType"]: key["AttributeName"] for key in key_schema}


def _expected_table(model: type[Model]) -> dict[str, Any]:
    schema = model._get_schema()
    return {
        "attributes": {
            a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]
        },
        "keys": _keys(schema["key_schema"]),
        "indexes": {
            index["index_name"]: (_keys(index["key_schema"]), index["projection"])
            for index in schema["global_secondary_indexes"]
        },
        "stream": getattr(model.Meta, "stream_view_type", None),
        "ttl": [
            a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)
        ],
    }


def _declared_table(resource: dict[str, Any]) -> dict[str, Any]:
    properties = resource["Properties"]
    ttl = properties.get("TimeToLiveSpecification", {"Enabled": False})
    return {
        "attributes": {
            a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]
        },
        "keys": _keys(properties["KeySchema"]),
        "indexes": {
            index["IndexName"]: (_keys(index["KeySchema"]), index["Projection"])
            for index in properties.get("GlobalSecondaryIndexes", [])
        },
        "stream": properties.get("StreamSpecification", {}).get("StreamViewType"),
        "ttl": [ttl["AttributeName"]] if ttl["Enabled"] else [],
    }


def test_packaged_template_passes_cfn_lint(dev_template_path: Path) -> None:
    # GIVEN the dev stage packaged with the merge template
    # WHEN cfn-lint checks it for the region the project deploys to
    matches = lint_file(dev_template_path, config=ManualArgs(regions=[REGION]))
    # THEN it finds no error and no warning (no rule is ignored)
    problems = [
        f"{m.rule.id} {m.message} at {'/'.join(map(str, m.path))}"
        for m in matches
        if m.rule.severity in {"error", "warning"}
    ]
    assert problems == []


def test_merge_template_extends_only_generated_resources(
    dev_template: dict[str, Any], merge_template: dict[str, Any]
) -> None:
    # GIVEN the resources the merge template extends instead of declaring (no Type of their own)
    extended = [name for name, body in merge_template["Resources"].items() if "Type" not in body]
    # WHEN the dev stage is packaged
    resources = dev_template["Resources"]
    # THEN chalice generated each of them (a renamed logical id would leave a typeless resource),
    # and the outbox event source kept the type chalice gave it
    functions = ["APIHandler", "InboundSms", "OutboxConsumer", "SesEvents", "SlaTimer"]
    functions += ["SmsReceipts", "Sweeper"]
    roles = [f"{'ApiHandler' if name == 'APIHandler' else name}Role" for name in functions]
    assert sorted(extended) == sorted([*functions, *roles, "RestAPI"])
    assert all("Type" in resources[name] for name in extended)
    assert resources["SlaTimer"]["Properties"]["Handler"] == "app.sla_timer"
    assert resources["OutboxConsumer"]["Properties"]["Handler"] == "app.outbox_consumer"
    assert resources["RestAPI"]["Type"] == "AWS::Serverless::Api"
    events = resources["OutboxConsumer"]["Properties"]["Events"]
    assert events["OutboxConsumerDynamodbEventSource"]["Type"] == "DynamoDB"


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_table_matches_pynamodb_model(dev_template: dict[str, Any], model: type[Model]) -> None:
    # GIVEN a PynamoDB model and the tables of the packaged template
    tables = _tables_by_suffix(dev_template)
    # WHEN its table is looked up by name
    table = tables[table_suffix(model)]
    # THEN keys, attribute types, indexes with projections, stream and TTL are the model's
    assert _declared_table(table) == _expected_table(model)


def test_tables_declared_only_for_models(dev_template: dict[str, Any]) -> None:
    # GIVEN the packaged template
    # WHEN its tables are listed
    declared = set(_tables_by_suffix(dev_template))
    # THEN there is one per model and no other
    assert declared == {table_suffix(model) for model in MODELS}


def test_tables_retained_encrypted_and_recoverable(dev_template: dict[str, Any]) -> None:
    # GIVEN every table of the packaged template
    for name, table in _tables_by_suffix(dev_template).items():
        properties = table["Properties"]
        # THEN it survives stack deletion and replacement, bills on demand, is encrypted at rest
        # under the stack's data key and restorable to a point in time
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain", name
        assert properties["BillingMode"] == "PAY_PER_REQUEST", name
        assert properties["SSESpecification"] == {
            "SSEEnabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": {"Ref": "DataKey"},
        }, name
        assert properties["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }, name


def test_outbox_event_source_bounded_retries_with_dead_letters(
    dev_template: dict[str, Any],
) -> None:
    # GIVEN the function chalice made for `outbox_consumer`
    consumer = function_by_handler(dev_template, "app.outbox_consumer")
    # WHEN its DynamoDB event source is read
    (event,) = dev_template["Resources"][consumer]["Properties"]["Events"].values()
    source = event["Properties"]
    # THEN it reads the outbox table's stream from the start, splits failing batches, retries a
    # bounded number of times, reports partial failures and sends what it gives up on to an SQS
    # queue (and uses no property SAM does not know: cfn-lint does not check SAM event sources)
    outbox = next(
        logical_id
        for logical_id, table in resources_of_type(dev_template, "AWS::DynamoDB::Table").items()
        if with_stage(table["Properties"]["TableName"], STAGE) == f"paycase-{STAGE}-outbox"
    )
    assert event["Type"] == "DynamoDB"
    assert set(source) <= SAM_DYNAMODB_EVENT_PROPERTIES
    assert source["Stream"] == {"Fn::GetAtt": [outbox, "StreamArn"]}
    assert source["StartingPosition"] == "TRIM_HORIZON"
    assert source["BisectBatchOnFunctionError"] is True
    assert 0 <= source["MaximumRetryAttempts"] <= 10
    assert 60 <= source["MaximumRecordAgeInSeconds"] <= 86400
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # AND each shard is read by several batches at once (a case's events stay in order: they
    # share its partition key)
    assert 2 <= source["ParallelizationFactor"] <= 10
    (queue,) = references(source["DestinationConfig"]["OnFailure"]["Destination"])
    assert dev_template["Resources"][queue]["Type"] == "AWS::SQS::Queue"


def test_functions_environment_complete(dev_template: dict[str, Any]) -> None:
    # GIVEN every function in the packaged template
    functions = resources_of_type(dev_template, "AWS::Serverless::Function")
    # the API, sla_timer, outbox_consumer, sweeper, inbound_sms, ses_events, sms_receipts
    assert len(functions) == 7
    for logical_id in functions:
        # WHEN SAM merges the Globals into its environment
        environment = function_environment(dev_template, logical_id)
        # THEN it gets the stage's settings and the ARNs of the resources the template creates
        assert set(environment) >= TEMPLATE_ENVIRONMENT, logical_id
        assert environment["PAYCASE_STAGE"] == STAGE
        assert environment["PAYCASE_SCHEDULE_ROLE_ARN"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
        assert environment["PAYCASE_SCHEDULE_DLQ_ARN"] == {
            "Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"]
        }
        assert environment["PAYCASE_KMS_KEY_ID"] == {"Fn::GetAtt": ["MerchantSecretsKey", "Arn"]}
        assert environment["PAYCASE_OUTBOX_STREAM_ARN"] == {
            "Fn::GetAtt": ["OutboxTable", "StreamArn"]
        }
        token_key = environment["PAYCASE_TOKEN_KEY"]
        assert token_key["Fn::Sub"].startswith("{{resolve:secretsmanager:")
        assert references(token_key) == {"TokenKeySecret"}
        webhook = environment["PAYCASE_WEBHOOK_SECRET"]
        assert webhook["Fn::Sub"].startswith("{{resolve:secretsmanager:")
        assert references(webhook) == {"WebhookSecret"}


def test_functions_environment_names_read_by_code(merge_template: dict[str, Any]) -> None:
    # GIVEN the sources that read settings from the environment
    sources = (ROOT / "chalicelib" / "settings.py").read_text() + (ROOT / "app.py").read_text()
    # WHEN the template's environment variables are listed
    names = set(merge_template["Globals"]["Function"]["Environment"]["Variables"])
    # THEN each is one the code reads (a typo would be silently ignored in AWS)
    assert names == TEMPLATE_ENVIRONMENT
    assert {name for name in names if f'"{name}"' not in sources} == set()


def test_schedule_target_arn_names_sla_timer(dev_template: dict[str, Any]) -> None:
    # GIVEN the sla_timer function, which reschedules itself and so cannot GetAtt its own ARN
    sla_timer = function_by_handler(dev_template, "app.sla_timer")
    name = dev_template["Resources"][sla_timer]["Properties"]["FunctionName"]
    # WHEN the target ARN the functions give EventBridge Scheduler is read
    target = dev_template["Globals"]["Function"]["Environment"]["Variables"][
        "PAYCASE_SCHEDULE_TARGET_ARN"
    ]
    # THEN it is the ARN of that function's fixed name
    prefix = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
    assert target == {"Fn::Sub": prefix + name["Fn::Sub"]}
    assert with_stage(name, STAGE) == f"paycase-{STAGE}-sla_timer"


def test_scheduler_role_invokes_sla_timer_and_dead_letters(dev_template: dict[str, Any]) -> None:
    # GIVEN the scheduler role and the policies attached to it
    resources = dev_template["Resources"]
    role = resources["SchedulerRole"]["Properties"]
    attached = [
        policy["Properties"]["PolicyDocument"]
        for policy in resources_of_type(dev_template, "AWS::IAM::RolePolicy").values()
        if policy["Properties"]["RoleName"] == {"Ref": "SchedulerRole"}
    ]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    statements += [s for document in attached for s in document["Statement"]]
    # WHEN its trust policy and permissions are read
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    granted = {
        (json.dumps(s["Action"]).strip('"'), json.dumps(s["Resource"], sort_keys=True))
        for s in statements
    }
    # THEN only EventBridge Scheduler of this account may assume it, under the name the Lambda
    # policy lets the functions pass, and it may invoke sla_timer and dead-letter to its queue
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert with_stage(role["RoleName"], STAGE) == f"paycase-{STAGE}-scheduler"
    sla_timer = function_by_handler(dev_template, "app.sla_timer")
    invoke = [{"Fn::GetAtt": [sla_timer, "Arn"]}, {"Fn::Sub": f"${{{sla_timer}.Arn}}:*"}]
    assert ("lambda:InvokeFunction", json.dumps(invoke, sort_keys=True)) in granted
    dlq = {"Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"]}
    assert ("sqs:SendMessage", json.dumps(dlq, sort_keys=True)) in granted


def test_template_dependencies_acyclic(dev_template: dict[str, Any]) -> None:
    # GIVEN the packaged template (cfn-lint cannot see cycles through SAM resources)
    graph = dependency_graph(dev_template)
    # WHEN CloudFormation orders its resources
    order = list(TopologicalSorter(graph).static_order())
    # THEN there is an order: no resource waits for itself
    assert set(dev_template["Resources"]) <= set(order)


def test_dependency_graph_function_needing_its_own_arn_cycles(dev_template: dict[str, Any]) -> None:
    # GIVEN the template with sla_timer's environment naming its own ARN by GetAtt
    broken = json.loads(json.dumps(dev_template))
    environment = broken["Resources"]["SlaTimer"]["Properties"]["Environment"]["Variables"]
    environment["PAYCASE_SCHEDULE_TARGET_ARN"] = {"Fn::GetAtt": ["SlaTimer", "Arn"]}
    # WHEN its resources are ordered
    # THEN the cycle is found
    with pytest.raises(CycleError):
        TopologicalSorter(dependency_graph(broken)).prepare()


def test_gateway_response_unknown_path_not_found(dev_template: dict[str, Any]) -> None:
    # GIVEN the REST API chalice generated
    (api,) = resources_of_type(dev_template, "AWS::Serverless::Api").values()
    # WHEN API Gateway answers a path no route matches (it calls that a missing token)
    response = api["Properties"]["GatewayResponses"]["MISSING_AUTHENTICATION_TOKEN"]
    # THEN the answer is a 404 in the API's error format (SAM puts the response into the
    # OpenAPI body, so every redeployment of the API carries it)
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert body == {"error": {"code": "not_found", "message": "No such resource."}}
    assert int(response["StatusCode"]) == STATUS[body["error"]["code"]] == 404
    assert set(response["ResponseParameters"]) <= {"Headers", "Paths", "QueryStrings"}
    content_type = response["ResponseParameters"]["Headers"]["Content-Type"]
    assert content_type.strip("'").startswith("application/json")


def test_alarms_watch_dead_letters_lag_errors_and_5xx(dev_template: dict[str, Any]) -> None:
    # GIVEN the alarms of the packaged template
    alarms = [
        a["Properties"] for a in resources_of_type(dev_template, "AWS::CloudWatch::Alarm").values()
    ]
    watched = {
        (a["Namespace"], a["MetricName"], json.dumps(a["Dimensions"], sort_keys=True)): a
        for a in alarms
    }

    def alarm(namespace: str, metric: str, **dimensions: Any) -> dict[str, Any]:
        key = [{"Name": name, "Value": value} for name, value in dimensions.items()]
        return watched[(namespace, metric, json.dumps(key, sort_keys=True))]

    # WHEN each thing worth waking someone for is looked up
    queues = resources_of_type(dev_template, "AWS::SQS::Queue")
    visible = "ApproximateNumberOfMessagesVisible"
    dead_letters = [
        alarm("AWS/SQS", visible, QueueName={"Fn::GetAtt": [queue, "QueueName"]})
        for queue in queues
    ]
    consumer = function_by_handler(dev_template, "app.outbox_consumer")
    lag = alarm("AWS/Lambda", "IteratorAge", FunctionName={"Ref": consumer})
    errors = [
        alarm("AWS/Lambda", "Errors", FunctionName={"Ref": function_by_handler(dev_template, h)})
        for h in ("app.sla_timer", "app.outbox_consumer", "app.sms_receipts", "app.app")
    ]
    (api,) = resources_of_type(dev_template, "AWS::Serverless::Api").values()
    names = {"ApiName": api["Properties"]["Name"], "Stage": api["Properties"]["StageName"]}
    server_errors = alarm("AWS/ApiGateway", "5XXError", **names)
    # THEN any dead letter, an error or a 5XX alarms, and so does a consumer over 5 minutes behind
    assert len(queues) == 3
    for found in [*dead_letters, *errors, server_errors]:
        assert (found["ComparisonOperator"], found["Threshold"]) == ("GreaterThanThreshold", 0)
    given_up = alarm("PayCase", "OutboxEventsFailed", service="paycase")
    assert (given_up["ComparisonOperator"], given_up["Threshold"]) == ("GreaterThanThreshold", 0)
    assert lag["Statistic"] == "Maximum"
    assert lag["Threshold"] <= 5 * 60 * 1000
    topic = dev_template["Resources"]["AlarmTopic"]["Properties"]["TopicName"]
    assert with_stage(topic, STAGE) == f"paycase-{STAGE}-alarms"
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)


def test_every_async_function_has_bounded_retries_and_a_failure_queue_the_sweeper_reads(
    dev_template: dict[str, Any],
) -> None:
    # GIVEN the functions AWS invokes asynchronously, and their invoke configurations
    resources = dev_template["Resources"]
    configs = {
        c["Properties"]["FunctionName"]["Ref"]: c["Properties"]
        for c in resources_of_type(dev_template, "AWS::Lambda::EventInvokeConfig").values()
    }
    urls = dev_template["Globals"]["Function"]["Environment"]["Variables"][
        "PAYCASE_FAILURE_QUEUE_URLS"
    ]["Fn::Join"][1]
    # WHEN each one's retries and destination are read
    for handler in ("app.sla_timer", "app.inbound_sms", "app.ses_events", "app.sms_receipts"):
        config = configs[function_by_handler(dev_template, handler)]
        destination = config["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        # THEN its retries are bounded and what it was given lands in a queue the sweeper reads
        assert config["MaximumRetryAttempts"] <= 2, handler
        assert resources[destination]["Type"] == "AWS::SQS::Queue"
        assert {"Ref": destination} in urls, handler
    # AND the sweeper, which runs every 5 minutes anyway, is not retried on top
    assert configs[function_by_handler(dev_template, "app.sweeper")]["MaximumRetryAttempts"] == 0


def test_merchant_key_usable_by_api_handler(dev_template: dict[str, Any]) -> None:
    # GIVEN the merchant secrets key and the role of the API handler (the only code that seals
    # merchant secrets; chalice gives every function a role of its own)
    resources = dev_template["Resources"]
    key = resources["MerchantSecretsKey"]
    api_handler = function_by_handler(dev_template, "app.app")
    role = resources[api_handler]["Properties"]["Role"]
    # WHEN the key policy is read
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    for_role = [s for s in statements if s["Principal"] == {"AWS": role}]
    # THEN that role may encrypt and decrypt with the context the merchant service uses, the key
    # rotates, survives the stack, and has the alias of the stage
    assert role == {"Fn::GetAtt": ["ApiHandlerRole", "Arn"]}
    (grant,) = for_role
    assert {"kms:Encrypt", "kms:Decrypt"} <= set(grant["Action"])
    purpose = secret_context("any-merchant")["purpose"]
    assert grant["Condition"] == {"StringEquals": {"kms:EncryptionContext:purpose": purpose}}
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    (alias,) = [
        alias
        for alias in resources_of_type(dev_template, "AWS::KMS::Alias").values()
        if alias["Properties"]["TargetKeyId"] == {"Ref": "MerchantSecretsKey"}
    ]
    assert with_stage(alias["Properties"]["AliasName"], STAGE) == (
        f"alias/paycase-{STAGE}-merchant-secrets"
    )


def test_token_key_secret_generates_valid_base64_key(dev_template: dict[str, Any]) -> None:
    # GIVEN how the template generates PAYCASE_TOKEN_KEY
    secret = dev_template["Resources"]["TokenKeySecret"]["Properties"]["GenerateSecretString"]
    # WHEN a value of that shape (letters and digits only, all base64 characters) is generated
    assert secret["ExcludePunctuation"] is True
    assert not secret.get("IncludeSpace") and "SecretStringTemplate" not in secret
    alphabet = string.ascii_letters + string.digits
    value = "".join(random.Random(7).choice(alphabet) for _ in range(secret["PasswordLength"]))
    settings = Settings.from_env({"PAYCASE_TOKEN_KEY": value})
    # THEN the settings accept it (any such string of a length divisible by 4 is valid base64)
    assert secret["PasswordLength"] % 4 == 0
    assert len(settings.token_key) >= 32


def test_package_pins_stage_parameter(dev_template: dict[str, Any]) -> None:
    # GIVEN the template packaged for dev
    # WHEN its Stage parameter is read
    parameter = dev_template["Parameters"]["Stage"]
    # THEN it defaults to, and only accepts, the stage chalice baked into the functions
    assert parameter["Default"] == STAGE
    assert parameter["AllowedValues"] == [STAGE]


def test_package_unknown_stage_rejected(tmp_path: Path) -> None:
    # GIVEN a stage without resources (`local` runs on DynamoDB Local and moto)
    # WHEN it is packaged
    # THEN packaging refuses before running chalice
    with pytest.raises(ValueError, match="stage must be one of"):
        package("local", tmp_path)
    assert list(tmp_path.iterdir()) == []


def _required_permissions(stage: str, merge_template: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(action, resource ARN, request context) for every call the adapters make in `stage`."""
    environment = CHALICE_CONFIG["stages"][stage]["environment_variables"]
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"
    resources = merge_template["Resources"]
    required: list[tuple[Any, ...]] = []
    for model in MODELS:
        table = arn.format("dynamodb", f"table/{environment['PAYCASE_TABLE_PREFIX']}")
        table += table_suffix(model)
        append_only = model is AuditModel  # entries are added and read, never changed
        for action in APPEND_ONLY_ACTIONS if append_only else TABLE_ACTIONS:
            required.append((f"dynamodb:{action}", table, {}))
        for index in model._indexes:
            required.append(("dynamodb:Query", f"{table}/index/{index}", {}))
        if getattr(model.Meta, "stream_view_type", None):
            stream = f"{table}/stream/2026-01-01T00:00:00.000"
            for action in ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"):
                required.append((f"dynamodb:{action}", stream, {}))
    group = environment["PAYCASE_SCHEDULE_GROUP"]
    for action in ("CreateSchedule", "UpdateSchedule", "DeleteSchedule"):
        required.append(
            (f"scheduler:{action}", arn.format("scheduler", f"schedule/{group}/c1"), {})
        )
    role = with_stage(resources["SchedulerRole"]["Properties"]["RoleName"], stage)
    required.append(
        (
            "iam:PassRole",
            f"arn:aws:iam::{ACCOUNT}:role/{role}",
            {"iam:PassedToService": "scheduler.amazonaws.com"},
        )
    )
    required.append(("sns:Publish", "*", {}))  # SMS to a phone number has no resource ARN
    sender_domain = environment["PAYCASE_EMAIL_FROM"].rstrip(">").split("@")[1]
    configuration_set = environment["PAYCASE_SES_CONFIGURATION_SET"]
    for resource in (f"identity/{sender_domain}", f"configuration-set/{configuration_set}"):
        required.append(("ses:SendEmail", arn.format("ses", resource), {}))
    for queue in resources_of_type(merge_template, "AWS::SQS::Queue").values():
        name = with_stage(queue["Properties"]["QueueName"], stage)
        required.append(("sqs:SendMessage", arn.format("sqs", name), {}))
    return required + _data_key_permissions(stage, resources)


def _data_key_permissions(stage: str, resources: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Tables, their stream and the failure queues are encrypted under the data key: DynamoDB
    and SQS use it on the caller's behalf, and so does Lambda for the functions' environment."""
    data_alias = with_stage(resources["DataKeyAlias"]["Properties"]["AliasName"], stage)
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/data-key-id"
    required: list[tuple[Any, ...]] = []
    for service in ("dynamodb", "sqs", "lambda"):
        via = {
            "kms:ResourceAliases": [data_alias],
            "kms:ViaService": f"{service}.{REGION}.amazonaws.com",
        }
        for action in ("kms:Decrypt", "kms:GenerateDataKey"):
            required.append((action, key, via))
    return required


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_iam_policy_allows_adapter_calls(stage: str, merge_template: dict[str, Any]) -> None:
    # GIVEN the hand-written Lambda policy of the stage
    policy_file = CHALICE_CONFIG["stages"][stage]["iam_policy_file"]
    policy = json.loads((ROOT / ".chalice" / policy_file).read_text(encoding="utf-8"))
    # WHEN each call the adapters and the stream event source make is checked against it
    missing = [
        (action, resource)
        for action, resource, context in _required_permissions(stage, merge_template)
        if not allows(policy, action, resource, context)
    ]
    # THEN every one is allowed (the merchant key's use is also granted by its key policy: see
    # test_merchant_key_usable_by_api_handler)
    assert missing == []


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_iam_policy_keeps_the_audit_trail_append_only(stage: str) -> None:
    # GIVEN the stage's Lambda policy and its audit table
    policy_file = CHALICE_CONFIG["stages"][stage]["iam_policy_file"]
    policy = json.loads((ROOT / ".chalice" / policy_file).read_text(encoding="utf-8"))
    audit = f"arn:aws:dynamodb:ap-southeast-1:123456789012:table/paycase-{stage}-audit"
    cases = f"arn:aws:dynamodb:ap-southeast-1:123456789012:table/paycase-{stage}-cases"
    # THEN the functions may add entries and read them, never change or remove one
    assert allows(policy, "dynamodb:PutItem", audit) and allows(policy, "dynamodb:Query", audit)
    for action in ("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"):
        assert not allows(policy, action, audit), action
    # AND the other tables keep their updates
    assert allows(policy, "dynamodb:UpdateItem", cases)


@pytest.mark.parametrize(
    ("response_type", "code"),
    [
        ("THROTTLED", "rate_limited"),
        ("REQUEST_TOO_LARGE", "payload_too_large"),
        ("UNSUPPORTED_MEDIA_TYPE", "unsupported_media_type"),
    ],
)
def test_gateway_responses_use_the_error_format(
    dev_template: dict[str, Any], response_type: str, code: str
) -> None:
    # GIVEN the answers API Gateway gives before a request reaches the app
    (api,) = resources_of_type(dev_template, "AWS::Serverless::Api").values()
    response = api["Properties"]["GatewayResponses"][response_type]
    # THEN they carry the API's code and status, in its error format
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert body["error"]["code"] == code
    assert int(response["StatusCode"]) == STATUS[code]


def test_gateway_answers_what_no_route_handles_in_the_error_format(
    dev_template: dict[str, Any],
) -> None:
    # GIVEN the answers API Gateway gives on its own (a REST API answers both an unknown path and
    # a method the path does not take with MISSING_AUTHENTICATION_TOKEN, with or without an
    # Authorization header)
    (api,) = resources_of_type(dev_template, "AWS::Serverless::Api").values()
    responses = api["Properties"]["GatewayResponses"]
    # THEN that one is the API's 404 (test_gateway_response_unknown_path_not_found), and any other
    # 4XX of API Gateway's own keeps its status but still comes in the error format
    fallback = responses["DEFAULT_4XX"]
    assert "StatusCode" not in fallback
    template = fallback["ResponseTemplates"]["application/json"]
    # ($context.error.messageString is API Gateway's message, already a quoted JSON string)
    body = json.loads(template.replace("$context.error.messageString", '"Forbidden"'))
    assert set(body["error"]) == {"code", "message"}
    content_type = fallback["ResponseParameters"]["Headers"]["Content-Type"]
    assert content_type.strip("'").startswith("application/json")


def test_gateway_default_5xx_keeps_status_but_uses_the_error_format(
    dev_template: dict[str, Any],
) -> None:
    (api,) = resources_of_type(dev_template, "AWS::Serverless::Api").values()
    response = api["Properties"]["GatewayResponses"]["DEFAULT_5XX"]
    assert "StatusCode" not in response  # API Gateway's own 5xx status stays
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert set(body["error"]) == {"code", "message"}


def test_sla_timer_failures_reach_the_dead_letter_queue(dev_template: dict[str, Any]) -> None:
    # GIVEN sla_timer, which EventBridge Scheduler invokes asynchronously
    resources = dev_template["Resources"]
    configs = resources_of_type(dev_template, "AWS::Lambda::EventInvokeConfig").values()
    # WHEN its asynchronous invocations run out of retries
    (config,) = [c for c in configs if c["Properties"]["FunctionName"] == {"Ref": "SlaTimer"}]
    # THEN the event goes to the scheduler's dead-letter queue, which is alarmed
    destination = config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == {"Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"]}
    assert config["Properties"]["MaximumRetryAttempts"] <= 2
    assert "SchedulerDeadLetterAlarm" in resources


def test_alarm_email_subscription_is_optional(dev_template: dict[str, Any]) -> None:
    subscription = dev_template["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    assert dev_template["Parameters"]["AlarmEmail"]["Default"] == ""


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_iam_policy_lets_functions_use_only_the_merchant_key(stage: str) -> None:
    # GIVEN the stage's Lambda policy
    policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/any-key-id"
    merchant = {
        "kms:EncryptionContext:purpose": secret_context("m")["purpose"],
        "kms:ResourceAliases": [f"alias/paycase-{stage}-merchant-secrets"],
    }
    # THEN the functions seal and open merchant secrets with the merchant key, in its context only
    assert allows(policy, "kms:Encrypt", key, merchant)
    assert allows(policy, "kms:Decrypt", key, merchant)
    assert not allows(
        policy, "kms:Decrypt", key, {**merchant, "kms:EncryptionContext:purpose": "x"}
    )
    # AND use the data key only through the services that encrypt with it, never directly
    data = {"kms:ResourceAliases": [f"alias/paycase-{stage}-data"]}
    assert not allows(policy, "kms:Decrypt", key, data)
    for service in ("dynamodb", "sqs"):
        via = {**data, "kms:ViaService": f"{service}.{REGION}.amazonaws.com"}
        assert allows(policy, "kms:Decrypt", key, via)
        assert not allows(policy, "kms:Encrypt", key, via)
    s3 = {**data, "kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    assert not allows(policy, "kms:Decrypt", key, s3)
    # AND no other key
    other = {
        "kms:ResourceAliases": ["alias/other"],
        "kms:ViaService": f"sqs.{REGION}.amazonaws.com",
    }
    assert not allows(policy, "kms:Decrypt", key, other)


def test_replies_and_bounces_reach_their_handlers(dev_template: dict[str, Any]) -> None:
    # GIVEN the topics SMS replies and SES events arrive on
    resources = dev_template["Resources"]
    topics = {
        name: body["Properties"]["TopicName"]
        for name, body in resources.items()
        if body["Type"] == "AWS::SNS::Topic"
    }
    assert with_stage(topics["InboundSmsTopic"], STAGE) == f"paycase-{STAGE}-inbound-sms"
    assert with_stage(topics["SesEventsTopic"], STAGE) == f"paycase-{STAGE}-ses-events"
    # THEN each handler subscribes to its topic, created before it
    for function, topic in (("InboundSms", "InboundSmsTopic"), ("SesEvents", "SesEventsTopic")):
        (event,) = resources[function]["Properties"]["Events"].values()
        assert event["Type"] == "SNS"
        assert event["Properties"]["Topic"]["Fn::Sub"].endswith(
            f":paycase-{STAGE}-" + ("inbound-sms" if function == "InboundSms" else "ses-events")
        )
        assert topic in resources[function]["DependsOn"]
    # AND the SES configuration set publishes to the events topic what settles a send without
    # an answer (send: accepted; reject) and what suppresses an address (bounce, complaint)
    destination = resources["EmailEventDestination"]["Properties"]["EventDestination"]
    assert sorted(destination["MatchingEventTypes"]) == ["bounce", "complaint", "reject", "send"]
    assert destination["SnsDestination"]["TopicARN"] == {"Ref": "SesEventsTopic"}
    policy = resources["SesEventsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert policy["Principal"] == {"Service": "ses.amazonaws.com"}


def test_every_function_logs_json_to_a_group_kept_as_long_as_the_stack_says(
    dev_template: dict[str, Any],
) -> None:
    # GIVEN every function of the packaged template
    resources = dev_template["Resources"]
    functions = resources_of_type(dev_template, "AWS::Serverless::Function")
    assert len(functions) >= 7
    for logical_id, function in functions.items():
        # WHEN its logging is read
        config = function["Properties"]["LoggingConfig"]
        group = resources[config["LogGroup"]["Ref"]]["Properties"]
        # THEN it logs JSON (Powertools' lines as they are), at INFO, to a group of its own
        # kept for the stack's retention and encrypted with the stack's data key
        assert (config["LogFormat"], config["ApplicationLogLevel"]) == ("JSON", "INFO"), logical_id
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}, logical_id
        assert group["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}, logical_id
    names = {
        resources[f["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"][
            "LogGroupName"
        ]["Fn::Sub"]
        for f in functions.values()
    }
    assert len(names) == len(functions)


def test_alarms_watch_breaches_and_dead_messages_and_a_dashboard_shows_them(
    dev_template: dict[str, Any],
) -> None:
    resources = dev_template["Resources"]
    for logical_id, metric in (
        ("SlaBreachesAlarm", "SlaBreaches"),
        ("MessagesDeadAlarm", "MessagesDead"),
        ("OutboxEventsFailedAlarm", "OutboxEventsFailed"),
    ):
        alarm = resources[logical_id]["Properties"]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("PayCase", metric)
        assert alarm["Dimensions"] == [{"Name": "service", "Value": "paycase"}]
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    body = resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for shown in ("ComplaintsFiled", "SlaBreaches", "MessagesDead", "OutboxEventsFailed"):
        assert shown in body
    for alarm_id in ("SlaBreachesAlarm", "MessagesDeadAlarm", "Api5xxAlarm"):
        assert f"${{{alarm_id}.Arn}}" in body


def test_sms_delivery_status_is_logged_and_read_by_sms_receipts(
    dev_template: dict[str, Any],
) -> None:
    # GIVEN the SMS delivery-status resources of the packaged template
    resources = dev_template["Resources"]
    receipts = function_by_handler(dev_template, "app.sms_receipts")
    prefix = "sns/${AWS::Region}/${AWS::AccountId}/DirectPublishToPhoneNumber"
    groups = {
        name: group["Properties"]["LogGroupName"]["Fn::Sub"]
        for name, group in resources_of_type(dev_template, "AWS::Logs::LogGroup").items()
        if group["Properties"]["LogGroupName"]["Fn::Sub"].startswith(prefix)
    }
    # THEN SNS's two delivery-status log groups exist, under the names SNS writes to
    assert sorted(groups.values()) == [prefix, prefix + "/Failure"]
    # AND the custom resource turns logging on for every SMS, with a role only SNS assumes
    settings = resources["SmsDeliveryStatus"]["Properties"]
    assert settings["SuccessSamplingRate"] == "100"
    assert settings["RoleArn"] == {"Fn::GetAtt": ["SmsDeliveryStatusRole", "Arn"]}
    assert set(resources["SmsDeliveryStatus"]["DependsOn"]) == set(groups)
    role = resources["SmsDeliveryStatusRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sns.amazonaws.com"}
    code = resources["SmsSettingsFunction"]["Properties"]["Code"]["ZipFile"]
    assert "DeliveryStatusIAMRole" in code and "DeliveryStatusSuccessSamplingRate" in code
    # AND each group hands every record to sms_receipts, which CloudWatch Logs may invoke
    filters = resources_of_type(dev_template, "AWS::Logs::SubscriptionFilter").values()
    assert sorted(f["Properties"]["LogGroupName"]["Ref"] for f in filters) == sorted(groups)
    for subscription in filters:
        properties = subscription["Properties"]
        assert properties["FilterPattern"] == ""
        assert properties["DestinationArn"] == {"Fn::GetAtt": [receipts, "Arn"]}
        (permission,) = subscription["DependsOn"]
        grant = resources[permission]["Properties"]
        assert grant["Principal"] == "logs.amazonaws.com"
        assert grant["FunctionName"] == {"Fn::GetAtt": [receipts, "Arn"]}
        assert grant["SourceArn"] == {"Fn::GetAtt": [properties["LogGroupName"]["Ref"], "Arn"]}
    # AND what it cannot handle goes, after bounded retries, to the alarmed queue the sweeper
    # runs again (test_every_async_function_has_bounded_retries_and_a_failure_queue_the_...)
    configs = resources_of_type(dev_template, "AWS::Lambda::EventInvokeConfig").values()
    (config,) = [c for c in configs if c["Properties"]["FunctionName"] == {"Ref": receipts}]
    destination = config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == {"Fn::GetAtt": ["AsyncFailuresQueue", "Arn"]}
