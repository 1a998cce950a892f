"""DynamoDB stream records, as Lambda would deliver them, built from outbox items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.adapters.dynamo.models import OutboxModel
from devstack.env import REGION


def stream_record(item: OutboxModel, sequence: int) -> dict[str, Any]:
    """The INSERT record the outbox table's NEW_IMAGE stream carries for `item`."""
    image = item.serialize()
    created: datetime = item.created_at
    return {
        "eventID": f"local-{sequence}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:000000000000:table/"
        f"{OutboxModel.Meta.table_name}/stream/local",
        "dynamodb": {
            "ApproximateCreationDateTime": int(created.timestamp()),
            "Keys": {"case_id": image["case_id"], "event_id": image["event_id"]},
            "NewImage": image,
            "SequenceNumber": f"{sequence:021d}",
            "SizeBytes": len(str(image)),
            "StreamViewType": "NEW_IMAGE",
        },
    }
