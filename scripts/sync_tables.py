"""Bring the tables in infra/resources.json in line with the PynamoDB models.

The models are the source of truth for key schemas, attribute types, indexes, streams and TTL;
everything else about a table (retention, encryption, recovery) is kept as written. A test
(tests/infra) fails when the two disagree; run this after changing a model:

    .venv/bin/python scripts/sync_tables.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from chalicelib.adapters.dynamo.models import MODELS, table_suffix

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "resources.json"


def logical_id(model: type[Model]) -> str:
    return "".join(part.title() for part in table_suffix(model).split("_")) + "Table"


def keys(schema: list[dict[str, str]]) -> list[dict[str, str]]:
    """The partition key first, as DynamoDB documents it."""
    return sorted(schema, key=lambda key: key["KeyType"] != "HASH")


def table(model: type[Model], existing: dict[str, Any]) -> dict[str, Any]:
    schema = model._get_schema()
    props = dict(existing.get("Properties", {}))
    props["TableName"] = {"Fn::Sub": f"paycase-${{Stage}}-{table_suffix(model)}"}
    props["BillingMode"] = "PAY_PER_REQUEST"
    props["AttributeDefinitions"] = schema["attribute_definitions"]
    props["KeySchema"] = keys(schema["key_schema"])
    indexes = [
        {
            "IndexName": gsi["index_name"],
            "KeySchema": keys(gsi["key_schema"]),
            "Projection": gsi["projection"],
        }
        for gsi in schema["global_secondary_indexes"]
    ]
    if indexes:
        props["GlobalSecondaryIndexes"] = indexes
    else:
        props.pop("GlobalSecondaryIndexes", None)
    stream = getattr(model.Meta, "stream_view_type", None)
    if stream:
        props["StreamSpecification"] = {"StreamViewType": stream}
    ttl = [name for name, attr in model.get_attributes().items() if isinstance(attr, TTLAttribute)]
    if ttl:
        props["TimeToLiveSpecification"] = {"AttributeName": ttl[0], "Enabled": True}
    props.setdefault("PointInTimeRecoverySpecification", {"PointInTimeRecoveryEnabled": True})
    props.setdefault("SSESpecification", {"SSEEnabled": True})
    props.setdefault("DeletionProtectionEnabled", True)
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": existing.get("DeletionPolicy", "Retain"),
        "UpdateReplacePolicy": existing.get("UpdateReplacePolicy", "Retain"),
        "Properties": props,
    }


def main() -> None:
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    resources = template["Resources"]
    for model in MODELS:
        name = logical_id(model)
        resources[name] = table(model, resources.get(name, {}))
    TEMPLATE.write_text(json.dumps(template, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"updated {len(MODELS)} tables in {TEMPLATE}")


if __name__ == "__main__":
    main()
